import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { evaluateDataset, fit, fitDataset, losses, LossInputError } from '../../src/index.js';
import { binaryData, logistic, mlp, numbers, weightsOf } from './helpers.js';

await useBackend('cpu');

/** A tf.data dataset of { xs, ys[, sampleWeight] } batches over the rows of x, y (in order). */
function rows(x: tf.Tensor, y: tf.Tensor, batch: number, weights?: number[]): tf.data.Dataset<tf.TensorContainer> {
  const xs = x.arraySync() as number[][];
  const ys = y.arraySync() as number[] | number[][];
  return tf.data
    .array(xs.map((r, i) => (weights ? { xs: r, ys: ys[i]!, sampleWeight: weights[i]! } : { xs: r, ys: ys[i]! })) as unknown as tf.TensorContainer[])
    .batch(batch);
}

test('fitDataset = fit on the same batches in the same order: weights, logs, validation (dataset and tensors), class weights', async () => {
  const { x, y } = binaryData(24, 3);
  const classWeight = { 0: 1, 1: 3 };
  const a = logistic(3);
  const b = logistic(3);
  for (const m of [a, b]) m.compile({ optimizer: tf.train.sgd(0.4), loss: losses.binaryCrossentropy(), metrics: ['accuracy'] });
  const ha = await fit(a, x, y, { epochs: 3, batchSize: 8, shuffle: false, classWeight, validationData: [x, y] });
  const epochs: number[] = [];
  const hb = await fitDataset(b, rows(x, y, 8), { epochs: 3, classWeight, validationData: rows(x, y, 5), callbacks: { onEpochEnd: (e) => void epochs.push(e) } });
  assert.deepEqual(epochs, [0, 1, 2]);
  assert.deepEqual(Object.keys(hb.history).sort(), ['acc', 'loss', 'val_acc', 'val_loss']);
  for (const key of ['loss', 'acc', 'val_loss', 'val_acc']) assertClose(hb.history[key]!, ha.history[key]!, { rtol: 1e-5 }, key);
  weightsOf(b).forEach((w, i) => assertClose(w, weightsOf(a)[i]!, { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));

  // Validation as tensors gives the same val_loss as a validation dataset.
  const c = logistic(3);
  c.compile({ optimizer: tf.train.sgd(0.4), loss: losses.binaryCrossentropy() });
  const hc = await fitDataset(c, rows(x, y, 8), { epochs: 1, classWeight, validationData: [x, y] });
  assertClose(hc.history['val_loss']![0]!, ha.history['val_loss']![0]!, { rtol: 1e-5 });
});

test('fitDataset: { xs, ys, sampleWeight } elements weight each sample (Σ wᵢℓᵢ / n), as fit with sampleWeight', async () => {
  const { x, y } = binaryData(16, 3);
  const w = numbers(16, 4).map((v) => Math.abs(v) * 3);
  const a = logistic(3);
  const b = logistic(3);
  for (const m of [a, b]) m.compile({ optimizer: tf.train.sgd(0.5), loss: losses.binaryCrossentropy() });
  const ha = await fit(a, x, y, { epochs: 2, batchSize: 16, shuffle: false, sampleWeight: w });
  const before = tf.memory().numTensors;
  const hb = await fitDataset(b, rows(x, y, 16, w), { epochs: 2 });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak per batch');
  assertClose(hb.history['loss']!, ha.history['loss']!, { rtol: 1e-5 });
  weightsOf(b).forEach((v, i) => assertClose(v, weightsOf(a)[i]!, { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));
  // [N] targets for the [N, 1] output (flat labels) work too.
  const flat = await evaluateDataset(b, rows(x, y.reshape([16]), 4, w));
  const shaped = await evaluateDataset(b, rows(x, y, 16, w));
  assertClose(flat['loss']!, shaped['loss']!, { rtol: 1e-5 });
});

test('fitDataset: sparse labels, batchesPerEpoch, early stop by callback, and bad inputs named', async () => {
  const x = tf.tensor2d(numbers(30 * 4, 8), [30, 4]);
  const labels = (x.arraySync() as number[][]).map((r) => (r[0]! > 0.3 ? 2 : r[1]! > 0 ? 1 : 0));
  const model = mlp(4, 6, 3, 5, 'softmax');
  model.compile({ optimizer: tf.train.adam(0.05), loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
  const ds = tf.data.array(labels.map((l, i) => ({ xs: (x.arraySync() as number[][])[i]!, ys: l }))).batch(10).repeat();
  const h = await fitDataset(model, ds, {
    epochs: 5,
    batchesPerEpoch: 3,
    callbacks: { onEpochEnd: (e) => void (e === 2 && (model.stopTraining = true)) },
  });
  assert.deepEqual(h.epoch, [0, 1, 2]);
  const truth = (model.predict(x) as tf.Tensor).argMax(-1).arraySync() as number[];
  const logs = await evaluateDataset(model, tf.data.array(labels.map((l, i) => ({ xs: (x.arraySync() as number[][])[i]!, ys: l }))).batch(7));
  assertClose(logs['acc']!, truth.filter((c, i) => c === labels[i]).length / 30, { rtol: 1e-6 });

  const isNamed = (arg: RegExp) => (e: unknown) => e instanceof LossInputError && arg.test(e.message);
  await assert.rejects(() => fitDataset(model, [1, 2] as never), isNamed(/dataset/));
  await assert.rejects(() => fitDataset(model, tf.data.array([1, 2, 3]).batch(2)), isNamed(/dataset element 0/));
  await assert.rejects(() => fitDataset(model, tf.data.array([] as number[])), isNamed(/empty dataset/));
  await assert.rejects(
    () => fitDataset(model, tf.data.array(labels.map((l, i) => ({ xs: (x.arraySync() as number[][])[i]!, ys: l }))).batch(10), { epochs: 2, batchesPerEpoch: 3 }),
    isNamed(/batchesPerEpoch/),
  );
  await assert.rejects(() => fitDataset(model, ds, { validationData: 5 as never }), isNamed(/validationData/));
});
