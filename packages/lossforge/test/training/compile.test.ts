import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { compile, evaluate, fit, loadModel, losses, LossInputError, saveModel } from '../../src/index.js';
import { binaryData, logistic, mlp, numbers, weightsOf } from './helpers.js';

await useBackend('cpu');

/** `steps` full-batch SGD steps on Σ wᵢ·BCEᵢ / n, written out, from `reference`'s initial weights. */
function handWeightedSgd(reference: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, w: number[], lr: number, steps: number): number[][] {
  const vars = reference.trainableWeights.map((v) => (v as unknown as { read(): tf.Variable }).read());
  const wt = tf.tensor1d(w);
  for (let s = 0; s < steps; s++) {
    const { grads } = tf.variableGrads(() => {
      const p = reference.predict(x) as tf.Tensor;
      const bce = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))).reshape([-1]);
      return tf.mean(tf.mul(wt, bce)) as tf.Scalar;
    }, vars);
    vars.forEach((v) => v.assign(tf.sub(v, tf.mul(lr, grads[v.name]!))));
  }
  return vars.map((v) => Array.from(v.dataSync()));
}

test('compile(): tfjs model.fit with classWeight trains the hand-weighted model (Keras class_weight), plain compile does not', async () => {
  const { x, y, labels } = binaryData(16, 3);
  const classWeight = { 0: 1, 1: 7 };
  const hand = handWeightedSgd(logistic(3), x, y, labels.map((l) => classWeight[l as 0 | 1]), 0.5, 5);

  const model = logistic(3);
  compile(model, { optimizer: tf.train.sgd(0.5), loss: losses.binaryCrossentropy() });
  await model.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, classWeight, verbose: 0 });
  weightsOf(model).forEach((w, i) => assertClose(w, hand[i]!, { rtol: 1e-4, atol: 1e-5 }, `weight ${i}`));

  // The difference compile() removes: a plain model.compile with the scalar loss trains another model.
  const plain = logistic(3);
  plain.compile({ optimizer: tf.train.sgd(0.5), loss: losses.binaryCrossentropy() });
  await plain.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, classWeight, verbose: 0 });
  const gap = Math.max(...weightsOf(plain).flat().map((v, i) => Math.abs(v - hand.flat()[i]!)));
  assert.ok(gap > 1e-2, `plain compile differs from the hand-weighted model (gap ${gap})`);
});

test('compile(): a loss with reduction "sum" and classWeight in tfjs model.fit is refused, naming lossforge fit', async () => {
  const { x, y } = binaryData(8, 3);
  const model = logistic(3);
  compile(model, { optimizer: 'sgd', loss: losses.binaryCrossentropy({ reduction: 'sum' }) });
  await assert.rejects(() => model.fit(x, y, { classWeight: { 0: 1, 1: 2 }, verbose: 0 }), (e: unknown) => e instanceof LossInputError && /classWeight/.test(e.message) && /fit\(model, x, y/.test(e.message));
  // Without class weights it trains as usual.
  const h = await model.fit(x, y, { epochs: 1, verbose: 0 });
  assert.ok(Number.isFinite(h.history['loss']![0] as number));
});

/** Iris-like 3-class data: class = argmax of a fixed linear map, so a small model learns it. */
function threeClasses(n: number, seed = 21): { x: tf.Tensor2D; labels: number[] } {
  const v = numbers(n * 4, seed);
  const labels = Array.from({ length: n }, (_, i) => {
    const s = [v[i * 4]! + v[i * 4 + 1]!, v[i * 4 + 2]! - v[i * 4]!, v[i * 4 + 3]! * 1.5];
    return s.indexOf(Math.max(...s));
  });
  return { x: tf.tensor2d(v, [n, 4]), labels };
}

/** Fraction of rows whose argmax is the label, counted in plain JS. */
function handAccuracy(pred: tf.Tensor, labels: number[]): number {
  const rows = pred.arraySync() as number[][];
  return rows.filter((r, i) => r.indexOf(Math.max(...r)) === labels[i]).length / labels.length;
}

test("metrics ['accuracy'] with a sparse loss: lossforge fit/evaluate and compile() report the true accuracy (tfjs alone does not)", async () => {
  const { x, labels } = threeClasses(60);
  const y = tf.tensor1d(labels, 'int32');
  const model = mlp(4, 8, 3, 7, 'softmax');
  model.compile({ optimizer: tf.train.adam(0.05), loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
  const h = await fit(model, x, y, { epochs: 15, batchSize: 60, shuffle: false });
  assert.ok(h.history['acc'], 'the log key stays acc');
  const truth = handAccuracy(model.predict(x) as tf.Tensor, labels);
  assert.ok(truth > 0.6, `the model learned something (${truth})`);
  const logs = await evaluate(model, x, y);
  assertClose(logs['acc']!, truth, { rtol: 1e-6 }, 'evaluate acc');

  // tfjs-layers' own choice (categorical accuracy on integer labels) is wrong for this loss:
  const tfjsAcc = tf.mean(tf.metrics.categoricalAccuracy(tf.cast(y.reshape([-1, 1]), 'float32'), model.predict(x) as tf.Tensor)).dataSync()[0]!;
  assert.ok(Math.abs(tfjsAcc - truth) > 0.1, `tfjs' categorical accuracy ${tfjsAcc} vs ${truth}`);

  // compile(): tfjs' own evaluate with one-hot-free sparse labels is refused with a message naming fit.
  compile(model, { optimizer: tf.train.adam(0.05), loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
  await assert.rejects(() => model.fit(x, y, { epochs: 1, verbose: 0 }), (e: unknown) => e instanceof LossInputError && /lossforge's fit\(model, x, y\)/.test(e.message));
});

test("compile(): 'accuracy' with binaryCrossentropy({ fromLogits: true }) thresholds logits at 0, in tfjs' own fit", async () => {
  const { x, y, labels } = binaryData(40, 3);
  const model = logistic(3, 1, 'linear');
  compile(model, { optimizer: tf.train.sgd(0.5), loss: losses.binaryCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 10, batchSize: 40, verbose: 0 });
  const logits = Array.from((model.predict(x) as tf.Tensor).dataSync());
  const truth = logits.filter((z, i) => (z > 0 ? 1 : 0) === labels[i]).length / labels.length;
  const [, acc] = model.evaluate(x, y) as tf.Scalar[];
  assertClose(acc!.dataSync()[0]!, truth, { rtol: 1e-6 });
  const ours = await evaluate(model, x, y);
  assertClose(ours['acc']!, truth, { rtol: 1e-6 });
});

test('targets [N] for a [N, 1] output (and [N, 1] for [N]) in fit / evaluate, same numbers as the aligned targets', async () => {
  const { x, y } = binaryData(20, 3);
  const flat = y.reshape([20]);
  const a = logistic(3);
  const b = logistic(3);
  for (const m of [a, b]) m.compile({ optimizer: tf.train.sgd(0.3), loss: losses.binaryCrossentropy() });
  const ha = await fit(a, x, y, { epochs: 3, batchSize: 8, seed: 1 });
  const hb = await fit(b, x, flat, { epochs: 3, batchSize: 8, seed: 1, classWeight: { 0: 1, 1: 2 }, validationData: [x, flat] });
  assert.ok(hb.history['val_loss']);
  assertClose((await evaluate(a, x, flat))['loss']!, (await evaluate(a, x, y))['loss']!, { rtol: 1e-6 });
  assert.ok(ha.history['loss']!.every(Number.isFinite) && hb.history['loss']!.every(Number.isFinite));
  // Same seed, same init, no class weights: [N] and [N, 1] targets train the same model.
  const c0 = logistic(3);
  c0.compile({ optimizer: tf.train.sgd(0.3), loss: losses.binaryCrossentropy() });
  await fit(c0, x, flat, { epochs: 3, batchSize: 8, seed: 1 });
  weightsOf(c0).forEach((w, i) => assertClose(w, weightsOf(a)[i]!, { rtol: 1e-6, atol: 1e-7 }, `weight ${i}`));

  // [N, 1] targets for a rank-1 output (a Flatten of a Dense(1)).
  const flatOut = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3], activation: 'sigmoid' }), tf.layers.reshape({ targetShape: [] as unknown as number[] })] });
  flatOut.compile({ optimizer: 'sgd', loss: losses.binaryCrossentropy() });
  assertClose((await evaluate(flatOut, x, y))['loss']!, (await evaluate(flatOut, x, flat))['loss']!, { rtol: 1e-6 });

  // tfjs' own fit after compile(): [N] targets too.
  const c = logistic(3);
  compile(c, { optimizer: 'sgd', loss: losses.binaryCrossentropy() });
  const before = tf.memory().numTensors;
  const hn = await c.fit(x, flat, { epochs: 1, verbose: 0 });
  assert.ok(Number.isFinite(hn.history['loss']![0] as number));
  assert.ok(tf.memory().numTensors <= before + 2, 'the reshaped targets are disposed');
});

test('model.save with a lossforge loss: the tfjs error is explained and names saveModel; loadModel returns a LayersModel', async () => {
  const { x, y } = binaryData(8, 3);
  const model = logistic(3);
  compile(model, { optimizer: 'adam', loss: losses.binaryCrossentropy(), metrics: ['accuracy'] });
  const sink = tf.io.withSaveHandler(async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }));
  await assert.rejects(() => model.save(sink, { includeOptimizer: true }), (e: unknown) => e instanceof LossInputError && /saveModel\(model, url\)/.test(e.message));

  let saved: tf.io.ModelArtifacts | undefined;
  await saveModel(model, tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const loaded = await loadModel(tf.io.fromMemory(saved!));
  // These type-check only because loadModel returns a LayersModel.
  const p: tf.Tensor = loaded.predict(x) as tf.Tensor;
  const lines: string[] = [];
  loaded.summary(undefined, undefined, (line: string) => lines.push(line));
  assert.equal(p.shape[0], 8);
  assert.ok(lines.some((l) => /Total params/.test(l)));
  // The matched accuracy travels as 'accuracy' (nothing dropped) and evaluate matches it to the loss again.
  const metadata = (saved!.userDefinedMetadata as { lossforge: { metrics: unknown; droppedMetrics?: string[] } }).lossforge;
  assert.deepEqual(metadata.metrics, [{ tfjs: 'accuracy' }]);
  assert.equal(metadata.droppedMetrics, undefined);
  const counted = (loaded.predict(x) as tf.Tensor).dataSync().filter((s, i) => (s > 0.5 ? 1 : 0) === (y.dataSync()[i] ?? -1)).length / 8;
  const logs = await evaluate(loaded, x, y);
  assert.ok(Number.isFinite(logs['loss']!));
  assertClose(logs['acc']!, counted, { rtol: 1e-6 });
});
