/**
 * Losses with trainable state (`LossDefinition.variables`, `Loss.variables`): fit, fitDataset and
 * trainStep train the loss's variables with the model; saveModel / loadModel store and restore them;
 * getConfig / fromConfig round-trip the options (the state starts again from its initial value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError } from '../helpers/assert.js';
import { combine, compileLoss, defineLoss, fit, fitDataset, loadModel, lossVariables, losses, option, saveModel, trainStep, uncertaintyWeighting, type TrainableModel } from '../../src/index.js';
import { mlp, numbers } from './helpers.js';

await useBackend('cpu');

/** exp(−s)·(yPred − yTrue)² + s with a trainable s (log variance): its optimum is exp(s) = the mean squared error. */
const learnedNoise = defineLoss({
  name: 'lossStateTestLearnedNoise',
  options: { initialLogVariance: option.number(0) },
  layout: 'elementwise',
  variables: ({ initialLogVariance }) => ({ logVariance: tf.scalar(initialLogVariance) }),
  compute: (yTrue, yPred, _options, _call, { state: { logVariance } }) => tf.add(tf.mul(tf.exp(tf.neg(logVariance!)), tf.square(tf.sub(yPred, yTrue))), logVariance!),
});

const value = (v: tf.Variable) => v.dataSync()[0]!;

function regression(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = numbers(n * 2, 3);
  // y = x₀ − x₁ plus noise of standard deviation ~0.5: the learned exp(s) heads for the residual variance.
  const noise = numbers(n, 4).map((v) => v * 0.87);
  return { x: tf.tensor2d(xs, [n, 2]), y: tf.tensor2d(Array.from({ length: n }, (_, i) => xs[2 * i]! - xs[2 * i + 1]! + noise[i]!), [n, 1]) };
}

test('each loss owns its variables: trainable, keyed, named uniquely, freed by dispose(); stateless losses have none', () => {
  const before = tf.memory().numTensors;
  const a = learnedNoise({ initialLogVariance: 1.5 });
  const b = learnedNoise();
  assert.deepEqual(Object.keys(a.variables!), ['logVariance']);
  assert.equal(value(a.variables!['logVariance']!), 1.5);
  assert.notEqual(a.variables!['logVariance']!.name, b.variables!['logVariance']!.name);
  assert.ok(a.variables!['logVariance']!.trainable);
  assert.deepEqual(lossVariables(a), [a.variables!['logVariance']]);
  assert.deepEqual(lossVariables(losses.huber()), []);
  assert.equal(losses.huber().variables, undefined);
  a.dispose!();
  b.dispose!();
  assert.equal(tf.memory().numTensors, before);
});

test('the config is the options: fromConfig rebuilds the loss with fresh state at its initial value', () => {
  const loss = learnedNoise({ initialLogVariance: 0.25 });
  loss.variables!['logVariance']!.assign(tf.scalar(2));
  const again = losses.fromConfig(loss.getConfig());
  assert.deepEqual(again.getConfig(), loss.getConfig());
  assert.equal(value(again.variables!['logVariance']!), 0.25);
  assert.notEqual(again.variables!['logVariance'], loss.variables!['logVariance']);
  loss.dispose!();
  again.dispose!();
});

test('fit trains the loss variables with the model (exp(s) heads for the residual variance) and leaks nothing per epoch', async () => {
  const { x, y } = regression(64);
  const model = mlp(2, 8, 1);
  const loss = learnedNoise({ initialLogVariance: 1 });
  model.compile({ optimizer: tf.train.adam(0.05), loss });
  await fit(model, x, y, { epochs: 1, batchSize: 16, seed: 1 });
  const tensors = tf.memory().numTensors;
  const history = await fit(model, x, y, { epochs: 60, batchSize: 16, seed: 1 });
  assert.equal(tf.memory().numTensors, tensors);
  const s = value(loss.variables!['logVariance']!);
  assert.ok(s < 0.5, `s moved from 1 down (s = ${s})`);
  // At the optimum of exp(−s)·mse + s in s, exp(s) = mse: check the learned s against the model's own residuals.
  const residual = tf.tidy(() => tf.mean(tf.square(tf.sub(model.predict(x) as tf.Tensor, y))).dataSync()[0]!);
  assert.ok(Math.abs(Math.exp(s) - residual) / residual < 0.3, `exp(s) = ${Math.exp(s)} vs residual mse ${residual}`);
  assert.ok(history.history['loss']!.at(-1)! < history.history['loss']![0]!);
  model.dispose();
  loss.dispose!();
  tf.dispose([x, y]);
});

test('fitDataset and fit through combine() train the same variables', async () => {
  const { x, y } = regression(32);
  const viaDataset = learnedNoise();
  const m1 = mlp(2, 4, 1);
  m1.compile({ optimizer: tf.train.sgd(0.1), loss: viaDataset });
  const ds = tf.data.zip({ xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(y)) }).batch(8);
  await fitDataset(m1, ds as never, { epochs: 2 });
  assert.notEqual(value(viaDataset.variables!['logVariance']!), 0);

  const inner = learnedNoise();
  const weighted = combine([[inner, 0.5]]).list[0]!;
  assert.equal(weighted.variables, inner.variables);
  const m2 = mlp(2, 4, 1);
  m2.compile({ optimizer: tf.train.sgd(0.1), loss: weighted });
  await fit(m2, x, y, { epochs: 1, batchSize: 8, seed: 2 });
  assert.notEqual(value(inner.variables!['logVariance']!), 0);
  for (const m of [m1, m2]) m.dispose();
  for (const l of [viaDataset, inner]) l.dispose!();
  tf.dispose([x, y]);
});

test('trainStep: the model form trains the loss variables too; the variables form trains what lossVariables gives', () => {
  const { x, y } = regression(16);
  const model = mlp(2, 4, 1);
  const loss = learnedNoise();
  const optimizer = tf.train.sgd(0.1);
  // One SGD step from s = 0: ds = −mean(r²) + 1 ⇒ s₁ = −0.1·(1 − mean r²), the gradient of the loss at the model's output before the step.
  const r2 = tf.tidy(() => tf.mean(tf.square(tf.sub(model.predict(x) as tf.Tensor, y))).dataSync()[0]!);
  trainStep(model as unknown as TrainableModel, optimizer, loss, x, y);
  assertClose([value(loss.variables!['logVariance']!)], [-0.1 * (1 - r2)], { rtol: 1e-4 });

  const alone = learnedNoise();
  trainStep(lossVariables(alone), optimizer, (a: tf.Tensor, b: tf.Tensor) => alone(b, a), x.slice([0, 0], [-1, 1]), y);
  assert.notEqual(value(alone.variables!['logVariance']!), 0);
  model.dispose();
  optimizer.dispose();
  for (const l of [loss, alone]) l.dispose!();
  tf.dispose([x, y]);
});

test('uncertaintyWeighting exposes its log variances as variables too', () => {
  const uw = uncertaintyWeighting({ a: losses.meanSquaredError(), b: losses.meanAbsoluteError() }, { initialLogVariance: [0.5, -1] });
  assert.deepEqual(Object.keys(uw.variables), ['a', 'b']);
  assert.deepEqual(lossVariables(uw), [...uw.logVariances]);
  uw.dispose();
});

test('saveModel / loadModel store the loss state with the weights; the loaded model continues with it', async () => {
  const { x, y } = regression(32);
  const model = mlp(2, 4, 1);
  const loss = learnedNoise({ initialLogVariance: 0.5 });
  model.compile({ optimizer: tf.train.adam(0.05), loss });
  await fit(model, x, y, { epochs: 5, batchSize: 8, seed: 3 });
  const trained = value(loss.variables!['logVariance']!);
  assert.notEqual(trained, 0.5);
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const meta = (artifacts!.userDefinedMetadata as Record<string, { loss: unknown }>)['lossforge']!;
  assert.deepEqual(meta.loss, { lossforge: { name: 'lossStateTestLearnedNoise', initialLogVariance: 0.5, reduction: 'mean' }, state: { logVariance: 'lossforge/loss/logVariance' } });
  assert.equal(artifacts!.weightSpecs!.at(-1)!.name, 'lossforge/loss/logVariance', 'the state is stored last');

  const loaded = await loadModel(tf.io.fromMemory(artifacts!));
  const restored = (loaded.loss as unknown as typeof loss).variables!['logVariance']!;
  assert.notEqual(restored, loss.variables!['logVariance']);
  assertClose([value(restored)], [trained], { rtol: 1e-7 });
  // Both continue identically: same weights, same optimizer state, same loss state.
  await fit(model, x, y, { epochs: 2, batchSize: 8, seed: 9 });
  await fit(loaded, x, y, { epochs: 2, batchSize: 8, seed: 9 });
  assertClose([value(restored)], [value(loss.variables!['logVariance']!)], { rtol: 1e-5 });
  const wa = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
  const wb = loaded.getWeights().flatMap((w) => Array.from(w.dataSync()));
  assertClose(wb, wa, { rtol: 1e-5, atol: 1e-6 });

  // A stored state that does not fit the loss is a typed error naming it.
  const bad = { ...artifacts!, userDefinedMetadata: { lossforge: { ...meta, loss: { ...(meta.loss as object), state: { other: 'lossforge/loss/logVariance' } } } } };
  await assert.rejects(loadModel(tf.io.fromMemory(bad)), /loss\.state\.other/);
  for (const m of [model, loaded]) m.dispose();
  loss.dispose!();
  (loaded.loss as unknown as typeof loss).dispose!();
  tf.dispose([x, y]);
});

test("compileLoss refuses a loss with state (tfjs-layers' own fit would not train it)", () => {
  const loss = learnedNoise();
  assertLossInputError(() => compileLoss(loss), 'loss', /without trainable variables/);
  loss.dispose!();
});
