/** Runs every example's main() with few epochs and checks what each one demonstrates. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../packages/lossforge/test/helpers/backends.js';
import * as breastCancer from '../examples/imbalanced-breast-cancer.js';
import * as customLoss from '../examples/custom-loss.js';
import * as segmentation from '../examples/segmentation.js';
import * as multiTask from '../examples/multi-task.js';
import * as multiTaskStrategies from '../examples/multi-task-strategies.js';
import * as migrateIris from '../examples/migrate-iris.js';
import * as migrateBreastCancer from '../examples/migrate-breast-cancer.js';

await useBackend('cpu');

const inUnit = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;

test('imbalanced-breast-cancer: three losses, all far better than chance on the rare class', async () => {
  const before = tf.memory().numTensors;
  const results = await breastCancer.main({ epochs: 8, log: false });
  assert.deepEqual(results.map((r) => r.loss.split(' ')[0]), ['binaryCrossentropy', 'binaryCrossentropy', 'binaryFocalCrossentropy']);
  const data = breastCancer.loadBreastCancer();
  assert.equal(data.x.length, 569);
  assert.equal(data.y.filter((v) => v === 1).length, 212); // malignant
  for (const r of results) {
    for (const k of ['accuracy', 'precision', 'recall', 'f1', 'averagePrecision'] as const) assert.ok(inUnit(r[k]), `${r.loss} ${k} = ${r[k]}`);
    // Chance-level average precision is the positive rate (≈ 0.1).
    assert.ok(r.averagePrecision > 0.5, `${r.loss}: average precision ${r.averagePrecision}`);
  }
  // Class weights move the decision towards the rare class: they never find fewer malignant cases.
  const [plain, weighted] = results;
  assert.ok(weighted!.recall >= plain!.recall, `recall ${weighted!.recall} (classWeight) vs ${plain!.recall}`);
  assert.equal(tf.memory().numTensors, before, 'the example cleans up its tensors');
});

test('imbalanced-breast-cancer: scoreBinary matches counts done by hand', () => {
  const s = breastCancer.scoreBinary([0.9, 0.8, 0.3, 0.6, 0.1], [1, 0, 1, 1, 0]);
  assert.equal(s.accuracy, 3 / 5);
  assert.equal(s.precision, 2 / 3);
  assert.equal(s.recall, 2 / 3);
  // Ranked labels 1, 0, 1, 1, 0: precision at each hit 1/1, 2/3, 3/4.
  assert.ok(Math.abs(s.averagePrecision - (1 + 2 / 3 + 3 / 4) / 3) < 1e-12);
});

test('custom-loss: the asymmetric loss forecasts higher and stocks out less than MSE, and survives save/load', async () => {
  const before = tf.memory().numTensors;
  const r = await customLoss.main({ epochs: 15, log: false });
  assert.equal(tf.memory().numTensors, before, 'the example cleans up its tensors');
  assert.ok(r.meanBias.asymmetricSquaredError > r.meanBias.meanSquaredError + 0.3, JSON.stringify(r.meanBias));
  assert.ok(r.stockOutRate.asymmetricSquaredError < r.stockOutRate.meanSquaredError, JSON.stringify(r.stockOutRate));
  assert.equal(r.reloadedMatches, true);
});

test('segmentation: per-pixel class weights raise foreground recall; dice trains', async () => {
  const before = tf.memory().numTensors;
  const results = await segmentation.main({ epochs: 4, images: 64, log: false });
  assert.equal(tf.memory().numTensors, before, 'the example cleans up its tensors');
  assert.equal(results.length, 3);
  for (const r of results) assert.ok(inUnit(r.iou) && inUnit(r.recall), JSON.stringify(r));
  const [plain, weighted] = results;
  assert.ok(weighted!.recall > plain!.recall, `recall ${weighted!.recall} vs ${plain!.recall}`);
  assert.ok(results[2]!.iou > 0.1, `dice IoU ${results[2]!.iou}`);
});

test('multi-task: combine() weights trade one head against the other, and travel with the model', async () => {
  const before = tf.memory().numTensors;
  const { results, reloadedConfig } = await multiTask.main({ epochs: 15, labelWeights: [0.1, 10], log: false });
  assert.equal(tf.memory().numTensors, before, 'the example cleans up its tensors');
  const [low, high] = results;
  for (const r of results) {
    assert.deepEqual(Object.keys(r.history).sort(), ['label_loss', 'loss', 'value_loss']);
    r.history['loss']!.forEach((total, e) => assert.ok(Math.abs(total - r.history['value_loss']![e]! - r.history['label_loss']![e]!) < 1e-4 * Math.max(1, total)));
  }
  assert.ok(high!.labelBce < low!.labelBce, `label BCE ${high!.labelBce} (weight 10) vs ${low!.labelBce} (weight 0.1)`);
  assert.ok(low!.valueMae < high!.valueMae, `value MAE ${low!.valueMae} (label weight 0.1) vs ${high!.valueMae} (10)`);
  assert.deepEqual(reloadedConfig, {
    value: { name: 'weighted', weight: 1, loss: { name: 'huber', delta: 1, reduction: 'mean' } },
    label: { name: 'weighted', weight: 10, loss: { name: 'binaryCrossentropy', fromLogits: false, labelSmoothing: 0, reduction: 'mean' } },
  });
});

test('migrate-iris: fitDataset with sparse labels; the logged val_acc is the accuracy counted from the predictions', async () => {
  const before = tf.memory().numTensors;
  const { history, testAccuracy, tested } = await migrateIris.main({ epochs: 25, log: false });
  assert.equal(tested, 30);
  assert.equal(history.epoch.length, 25);
  const valAcc = history.history['val_acc']!.at(-1)!;
  assert.ok(Math.abs(valAcc - testAccuracy) < 1e-6, `val_acc ${valAcc} vs counted ${testAccuracy}`);
  assert.ok(testAccuracy > 0.8, `test accuracy ${testAccuracy}`);
  assert.equal(tf.memory().numTensors, before, 'the example cleans up its tensors');
});

test("migrate-breast-cancer: tfjs' own model.fit after compile(): val_acc is the counted accuracy, classWeight accepted", async () => {
  const { history, valAccuracy, validated } = await migrateBreastCancer.main({ epochs: 6, log: false });
  assert.equal(validated, 569 - Math.floor(569 * 0.8));
  const valAcc = history.history['val_acc']!.at(-1) as number;
  assert.ok(Math.abs(valAcc - valAccuracy) < 1e-6, `val_acc ${valAcc} vs counted ${valAccuracy}`);
  assert.ok(valAccuracy > 0.85, `validation accuracy ${valAccuracy}`);
});

test('multi-task-strategies: DWA, GradNorm and PCGrad each change a head\'s test score by ≥ 3% from the plain sum', async () => {
  const before = tf.memory().numTensors;
  const results = await multiTaskStrategies.main({ log: false });
  assert.equal(tf.memory().numTensors, before, 'the example cleans up its tensors');
  assert.deepEqual(results.map((r) => r.strategy), ['sum', 'dwa', 'gradNorm', 'pcgrad']);
  const [sum, ...strategies] = results;
  for (const r of results) for (const v of [r.valueMae, r.labelBce, r.labelAccuracy, ...r.weights]) assert.ok(Number.isFinite(v), `${r.strategy}: ${v}`);
  for (const r of strategies) {
    const change = Math.max(Math.abs(r.valueMae / sum!.valueMae - 1), Math.abs(r.labelBce / sum!.labelBce - 1));
    assert.ok(change >= 0.03, `${r.strategy}: value MAE ${r.valueMae} vs ${sum!.valueMae}, label BCE ${r.labelBce} vs ${sum!.labelBce}`);
  }
  const [dwa, gradNorm] = strategies;
  assert.ok(dwa!.weights[0]! > dwa!.weights[1]!, `DWA weights ${dwa!.weights}: more on the value task, whose loss levels off first`);
  assert.ok(gradNorm!.weights[1]! > gradNorm!.weights[0]!, `GradNorm weights ${gradNorm!.weights}: more on the label task`);
  assert.ok(gradNorm!.labelBce < sum!.labelBce, `GradNorm label BCE ${gradNorm!.labelBce} vs ${sum!.labelBce}`);
});
