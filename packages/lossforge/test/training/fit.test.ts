import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { callbacks, combine, compileLoss, defineLoss, evaluate, fit, losses, LossInputError, penalties, withPenalties } from '../../src/index.js';
import { binaryData, logistic, mlp, numbers, twoHeads, weightsOf } from './helpers.js';

await useBackend('cpu');

/** −[y log p + (1 − y) log(1 − p)] per sample, written out (the reference for BCE). */
const handBce = (y: tf.Tensor, p: tf.Tensor) =>
  tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))).reshape([-1]);

/** The by-hand weighted loss Σ wᵢℓᵢ / n and one SGD step of it on `reference`'s weights. */
function handStep(reference: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, w: number[], lr: number): { loss: number; weights: number[][] } {
  const vars = reference.trainableWeights.map((v) => (v as unknown as { read(): tf.Variable }).read());
  const wt = tf.tensor1d(w);
  const { value, grads } = tf.variableGrads(() => tf.mean(tf.mul(wt, handBce(y, reference.predict(x) as tf.Tensor))) as tf.Scalar, vars);
  const weights = vars.map((v) => Array.from(tf.sub(v, tf.mul(lr, grads[v.name]!)).dataSync()));
  return { loss: value.dataSync()[0]!, weights };
}

test('compile: a lossforge loss works in tfjs-layers compile / fit / evaluate (single output)', async () => {
  const { x, y } = binaryData(12, 3);
  const model = logistic(3);
  const loss = losses.binaryCrossentropy();
  model.compile({ optimizer: tf.train.sgd(0.1), loss });
  const expected = loss(y, model.predict(x) as tf.Tensor).dataSync()[0]!;
  assertClose((model.evaluate(x, y) as tf.Scalar).dataSync()[0]!, expected, { rtol: 1e-5 });
  const ours = await evaluate(model, x, y);
  assertClose(ours['loss']!, expected, { rtol: 1e-5 });
  const h = await model.fit(x, y, { epochs: 2, batchSize: 12, verbose: 0 });
  assert.ok(h.history['loss']![1]! < h.history['loss']![0]!, 'native fit decreases the loss');
});

test('compile: multi-output models with losses as an array and as a map by output name', async () => {
  const x = tf.tensor2d(numbers(20, 5), [10, 2]);
  const value = tf.tensor2d(numbers(10, 6), [10, 1]);
  const label = tf.tensor2d(numbers(10, 7).map((v) => (v > 0 ? 1 : 0)), [10, 1]);
  const huber = losses.huber({ delta: 0.5 });
  const bce = losses.binaryCrossentropy();
  for (const loss of [[huber, bce], { value: huber, label: bce }]) {
    const model = twoHeads(2);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: loss as never });
    const [pv, pl] = model.predict(x) as tf.Tensor[];
    const expectedValue = huber(value, pv!).dataSync()[0]!;
    const expectedLabel = bce(label, pl!).dataSync()[0]!;
    const logs = await evaluate(model, x, { value, label });
    assertClose(logs['value_loss']!, expectedValue, { rtol: 1e-5 });
    assertClose(logs['label_loss']!, expectedLabel, { rtol: 1e-5 });
    assertClose(logs['loss']!, expectedValue + expectedLabel, { rtol: 1e-5 });
    const h = await fit(model, x, [value, label], { epochs: 2, batchSize: 5, seed: 1, validationData: [x, [value, label]] });
    assert.deepEqual(Object.keys(h.history).sort(), ['label_loss', 'loss', 'val_label_loss', 'val_loss', 'val_value_loss', 'value_loss']);
    assert.deepEqual(h.epoch, [0, 1]);
  }
});

test('combine(): compile with combined.losses; fit minimizes Σ wₖ·Lₖ with per-output sample weights', async () => {
  const x = tf.tensor2d(numbers(20, 15), [10, 2]);
  const value = tf.tensor2d(numbers(10, 16), [10, 1]);
  const label = tf.tensor2d(numbers(10, 17).map((v) => (v > 0 ? 1 : 0)), [10, 1]);
  const sw = numbers(10, 18).map((v) => 1 + v);
  const combined = combine({ value: [losses.meanSquaredError(), 2], label: [losses.binaryCrossentropy(), 0.5] });
  const model = twoHeads(2);
  model.compile({ optimizer: tf.train.sgd(0), loss: combined.losses as never });
  const [pv, pl] = model.predict(x) as tf.Tensor[];
  const w = tf.tensor1d(sw);
  const mse = tf.mean(tf.mul(w, tf.square(tf.sub(value, pv!)).reshape([-1]))).dataSync()[0]!;
  const bce = tf.mean(tf.mul(w, handBce(label, pl!))).dataSync()[0]!;
  const h = await fit(model, x, { value, label }, { batchSize: 10, sampleWeight: { value: sw, label: sw } });
  assertClose(h.history['value_loss']![0]!, 2 * mse, { rtol: 1e-5 });
  assertClose(h.history['label_loss']![0]!, 0.5 * bce, { rtol: 1e-5 });
  assertClose(h.history['loss']![0]!, 2 * mse + 0.5 * bce, { rtol: 1e-5 });
});

test('withPenalties(): fit\'s loss is the data loss plus the weight penalty, by hand', async () => {
  const { x, y } = binaryData(12, 3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(0), loss: withPenalties(losses.binaryCrossentropy(), model, penalties.l2({ scale: 0.1 })) });
  const kernel = model.getWeights()[0]!;
  const expected = tf.mean(handBce(y, model.predict(x) as tf.Tensor)).dataSync()[0]! + 0.1 * tf.sum(tf.square(kernel)).dataSync()[0]!;
  const h = await fit(model, x, y, { batchSize: 12 });
  assertClose(h.history['loss']![0]!, expected, { rtol: 1e-5 });
});

test('classWeight equals the per-class weighting computed by hand (loss value and SGD step), no reduction to pick', async () => {
  const { x, y, labels } = binaryData(16, 3);
  const classWeight = { 0: 1, 1: 4 };
  const perSample = labels.map((c) => classWeight[c as 0 | 1]);
  const hand = handStep(logistic(3), x, y, perSample, 0.5);

  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(0.5), loss: losses.binaryCrossentropy() });
  const h = await fit(model, x, y, { classWeight, epochs: 1, batchSize: 16, shuffle: false });
  assertClose(h.history['loss']![0]!, hand.loss, { rtol: 1e-5 }, 'fit loss');
  weightsOf(model).forEach((w, i) => assertClose(w, hand.weights[i]!, { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));

  // tfjs-layers' own fit weights a scalar loss wrongly; through compileLoss it matches too.
  const native = logistic(3);
  native.compile({ optimizer: tf.train.sgd(0.5), loss: compileLoss(losses.binaryCrossentropy()) });
  const hn = await native.fit(x, y, { classWeight, epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
  assertClose(hn.history['loss']![0] as number, hand.loss, { rtol: 1e-5 }, 'native fit loss with compileLoss');
  weightsOf(native).forEach((w, i) => assertClose(w, hand.weights[i]!, { rtol: 1e-5, atol: 1e-6 }, `native weight ${i}`));
});

test('sampleWeight reaches the loss (Σ wᵢℓᵢ / n), combined with classWeight by product', async () => {
  const { x, y, labels } = binaryData(10, 3, 5);
  const sampleWeight = numbers(10, 9).map((v) => Math.abs(v) * 2);
  const classWeight = { 0: 0.5, 1: 3 };
  const hand = handStep(logistic(3), x, y, sampleWeight.map((w, i) => w * classWeight[labels[i] as 0 | 1]), 0.3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(0.3), loss: losses.binaryCrossentropy() });
  const h = await fit(model, x, y, { sampleWeight, classWeight, epochs: 1, batchSize: 10 });
  assertClose(h.history['loss']![0]!, hand.loss, { rtol: 1e-5 });
  weightsOf(model).forEach((w, i) => assertClose(w, hand.weights[i]!, { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));
});

test('evaluate and validationData weight like fit (Σ wᵢℓᵢ / n over all batches, by hand); all-zero weights give 0 and no step', async () => {
  const { x, y, labels } = binaryData(12, 3, 23);
  const sampleWeight = numbers(12, 24).map((v) => Math.abs(v) * 3);
  const classWeight = { 0: 0.25, 1: 2 };
  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(0.5), loss: losses.binaryCrossentropy() });
  const perSample = handBce(y, model.predict(x) as tf.Tensor).dataSync();
  const byHand = (w: number[]) => w.reduce((s, wi, i) => s + wi * perSample[i]!, 0) / w.length;
  const combined = sampleWeight.map((w, i) => w * classWeight[labels[i] as 0 | 1]);
  // batchSize 5 splits the 12 samples 5 + 5 + 2: the result must not depend on it.
  assertClose((await evaluate(model, x, y, { sampleWeight, classWeight, batchSize: 5 }))['loss']!, byHand(combined), { rtol: 1e-5 });

  const zeros = Array<number>(12).fill(0);
  const before = weightsOf(model);
  const h = await fit(model, x, y, { sampleWeight: zeros, batchSize: 5, validationData: [x, y, sampleWeight] });
  assert.equal(h.history['loss']![0], 0);
  assert.deepEqual(weightsOf(model), before, 'zero weights: zero gradient');
  assertClose(h.history['val_loss']![0]!, byHand(sampleWeight), { rtol: 1e-5 }, 'val_loss with validation sample weights');
});

test('a tfjs built-in loss name still works, its per-sample values weighted like tfjs-layers does', async () => {
  const x = tf.tensor2d(numbers(12, 41), [6, 2]);
  const y = tf.tensor2d(numbers(6, 42), [6, 1]);
  const sw = [1, 2, 0, 1, 3, 0.5];
  const model = logistic(2, 5, 'linear');
  model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
  const expected = tf.mean(tf.mul(tf.tensor1d(sw), tf.square(tf.sub(y, model.predict(x) as tf.Tensor)).reshape([-1]))).dataSync()[0]!;
  const h = await fit(model, x, y, { sampleWeight: sw, batchSize: 6 });
  assertClose(h.history['loss']![0]!, expected, { rtol: 1e-5 });
});

test('classWeight with one-hot and sparse targets of a softmax output', async () => {
  const x = tf.tensor2d(numbers(18, 21), [6, 3]);
  const classes = [0, 2, 1, 2, 2, 0];
  const classWeight = { 0: 2, 1: 0.5, 2: 1.5 };
  const model = mlp(3, 4, 3, 2, 'softmax');
  model.compile({ optimizer: tf.train.sgd(0), loss: losses.categoricalCrossentropy() });
  const oneHot = tf.oneHot(tf.tensor1d(classes, 'int32'), 3);
  const p = model.predict(x) as tf.Tensor;
  const perSample = tf.neg(tf.sum(tf.mul(oneHot, tf.log(p)), -1));
  const expected = tf.mean(tf.mul(perSample, tf.tensor1d(classes.map((c) => classWeight[c as 0 | 1 | 2])))).dataSync()[0]!;
  const dense = await fit(model, x, oneHot, { classWeight, batchSize: 6 });
  assertClose(dense.history['loss']![0]!, expected, { rtol: 1e-5 });
  model.compile({ optimizer: tf.train.sgd(0), loss: losses.sparseCategoricalCrossentropy() });
  const sparse = await fit(model, x, tf.tensor1d(classes, 'int32'), { classWeight, batchSize: 6 });
  assertClose(sparse.history['loss']![0]!, expected, { rtol: 1e-5 });
});

test('a defineLoss loss trains through fit, and the history has tfjs-layers\' shape', async () => {
  const cubic = defineLoss({
    name: 'trainingTestAbsCubed',
    layout: 'elementwise',
    compute: (yTrue, yPred) => tf.pow(tf.abs(tf.sub(yTrue, yPred)), 3),
  });
  const x = tf.tensor2d(numbers(40, 31), [20, 2]);
  const y = tf.sum(tf.mul(x, tf.tensor1d([2, -1])), -1, true);
  const model = logistic(2, 4, 'linear');
  model.compile({ optimizer: tf.train.adam(0.05), loss: cubic(), metrics: ['mse'] });
  const h = await fit(model, x, y, { epochs: 5, batchSize: 8, seed: 3, validationSplit: 0.25 });
  assert.deepEqual(Object.keys(h.history).sort(), ['loss', 'mse', 'val_loss', 'val_mse']);
  assert.deepEqual(h.epoch, [0, 1, 2, 3, 4]);
  assert.equal(h.params.samples, 15);
  assert.ok(h.history['loss']![4]! < h.history['loss']![0]!);
  // val_loss of the last epoch is the loss of the final weights on the held-out last quarter.
  const xv = x.slice([15], [5]);
  const yv = y.slice([15], [5]);
  assertClose(h.history['val_loss']![4]!, cubic()(yv, model.predict(xv) as tf.Tensor).dataSync()[0]!, { rtol: 1e-5 });
});

test('seeded runs are reproducible: same seed, same weights; another seed, other weights', async () => {
  const { x, y } = binaryData(24, 3, 17);
  const run = async (seed: number) => {
    const model = mlp(3, 5, 1, 9, 'sigmoid');
    model.compile({ optimizer: tf.train.adam(0.05), loss: losses.binaryFocalCrossentropy({ gamma: 2 }) });
    await fit(model, x, y, { epochs: 3, batchSize: 5, seed, shuffle: true });
    return weightsOf(model);
  };
  const [a, b, c] = [await run(42), await run(42), await run(43)];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('callbacks: learningRateScheduler sets and logs the rate; earlyStopping stops and restores the best weights', async () => {
  const { x, y } = binaryData(16, 3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(0.1), loss: losses.binaryCrossentropy() });
  const stop = callbacks.earlyStopping({ monitor: 'loss', patience: 1 });
  const seen: number[] = [];
  const h = await fit(model, x, y, {
    epochs: 10,
    batchSize: 16,
    callbacks: [callbacks.learningRateScheduler((epoch) => (epoch === 0 ? 0.5 : 0)), stop, { onEpochEnd: (e) => void seen.push(e) }],
  });
  // Epoch 0 learns; epochs 1 and 2 (rate 0) repeat the same loss: no improvement at epoch 2 → stop.
  assert.deepEqual(h.epoch, [0, 1, 2]);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual(h.history['learning_rate'], [0.5, 0, 0]);
  assert.equal(stop.stoppedEpoch, 2);
  assert.equal(h.history['loss']![1], h.history['loss']![2]);

  // restoreBestWeights: the weights of the best epoch come back at the end.
  const best = logistic(3);
  best.compile({ optimizer: tf.train.sgd(0.5), loss: losses.binaryCrossentropy() });
  const snapshots: number[][][] = [];
  const restore = callbacks.earlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
  const bad = tf.tensor2d(numbers(16, 4).map((v) => (v > 0 ? 1 : 0)), [16, 1]);
  const hb = await fit(best, x, y, {
    epochs: 6,
    batchSize: 4,
    seed: 2,
    validationData: [x, bad],
    callbacks: [{ onEpochEnd: () => void snapshots.push(weightsOf(best)) }, restore],
  });
  const vals = hb.history['val_loss']!;
  const bestEpoch = vals.indexOf(Math.min(...vals));
  assert.equal(restore.bestEpoch, bestEpoch);
  assert.deepEqual(weightsOf(best), snapshots[bestEpoch]);
});

test('tfjs-layers callbacks work too (tf.callbacks.earlyStopping)', async () => {
  const { x, y } = binaryData(16, 3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(0), loss: losses.binaryCrossentropy() });
  // Rate 0: the loss never improves, so tfjs's EarlyStopping (patience 1) stops after epoch 1.
  const h = await fit(model, x, y, { epochs: 10, batchSize: 16, callbacks: [tf.callbacks.earlyStopping({ monitor: 'loss', patience: 1 })] });
  assert.deepEqual(h.epoch, [0, 1]);
});

test('earlyStopping follows Keras: patience, minDelta, mode', () => {
  const fake = { stopTraining: false } as never;
  const run = (values: number[], options: Parameters<typeof callbacks.earlyStopping>[0]) => {
    const cb = callbacks.earlyStopping(options);
    (fake as { stopTraining: boolean }).stopTraining = false;
    cb.setModel!(fake);
    void cb.onTrainBegin!();
    for (let e = 0; e < values.length && !(fake as { stopTraining: boolean }).stopTraining; e++) void cb.onEpochEnd!(e, { m: values[e]! });
    return cb.stoppedEpoch;
  };
  assert.equal(run([5, 4, 4.5, 4.6, 4.7], { monitor: 'm', patience: 2 }), 3);
  assert.equal(run([5, 4, 3.95, 3.9, 3.85], { monitor: 'm', patience: 1, minDelta: 0.1 }), 2);
  assert.equal(run([0.5, 0.6, 0.55, 0.58], { monitor: 'm', patience: 1, mode: 'max' }), 2);
  assert.equal(run([1, 0.9, 0.8, 0.7], { monitor: 'm', patience: 0 }), 0);
});

test('no tensors leak across fit epochs (weights, validation, callbacks)', async () => {
  const { x, y } = binaryData(20, 3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.adam(0.01), loss: losses.binaryFocalCrossentropy(), metrics: ['accuracy'] });
  const options = {
    epochs: 2,
    batchSize: 6,
    seed: 1,
    sampleWeight: numbers(20, 2).map(Math.abs),
    classWeight: { 0: 1, 1: 2 },
    validationSplit: 0.2,
    callbacks: [callbacks.earlyStopping({ patience: 5, restoreBestWeights: true }), callbacks.learningRateScheduler((_e, lr) => lr)],
  };
  await fit(model, x, y, options); // creates Adam's slots
  const before = tf.memory().numTensors;
  await fit(model, x, y, { ...options, epochs: 4 });
  await evaluate(model, x, y, { classWeight: { 0: 1, 1: 2 } });
  assert.equal(tf.memory().numTensors, before);
});

test('bad inputs throw LossInputError naming the argument', async () => {
  const { x, y } = binaryData(8, 3);
  const model = logistic(3);
  const m = model;
  const rejects = async (options: object, argument: string, xs: unknown = x, ys: unknown = y) => {
    await assert.rejects(fit(m, xs as tf.Tensor, ys as tf.Tensor, options as never), (e: unknown) => {
      assert.ok(e instanceof LossInputError, `expected LossInputError, got ${String(e)}`);
      assert.equal(e.argument, argument, e.message);
      return true;
    });
  };
  await rejects({}, 'model'); // not compiled
  model.compile({ optimizer: tf.train.sgd(0.1), loss: losses.binaryCrossentropy() });
  await rejects({ sampleWeight: [1, 2, 3] }, 'sampleWeight');
  await rejects({ sampleWeight: numbers(8, 1) }, 'sampleWeight'); // negative weights
  await rejects({ sampleWeight: [1, 1, NaN, 1, 1, 1, 1, 1] }, 'sampleWeight');
  await rejects({ sampleWeight: [1, 1, Infinity, 1, 1, 1, 1, 1] }, 'sampleWeight');
  await rejects({ sampleWeight: 'heavy' }, 'sampleWeight');
  await rejects({ classWeight: { 0: 1, 1: 2, 5: 3 } }, 'classWeight.5');
  await rejects({ classWeight: { 0: 1 } }, 'classWeight'); // class 1 present in y without a weight
  await rejects({ classWeight: { a: 1 } }, 'classWeight.a');
  await rejects({ classWeight: { 0: -1, 1: 1 } }, 'classWeight.0');
  await rejects({ epochs: 1.5 }, 'options.epochs');
  await rejects({ batchSize: 0 }, 'options.batchSize');
  await rejects({ validationSplit: 1 }, 'options.validationSplit');
  await rejects({ validationSplit: 0.9 }, 'options.validationSplit'); // 8 samples: none left to train on
  await rejects({ validationData: [x] }, 'options.validationData');
  await rejects({ seed: {} }, 'options.seed');
  await rejects({ shufle: false }, 'options.shufle');
  await rejects({ verbose: 2 }, 'options.verbose');
  await rejects({ shuffle: 'yes' }, 'options.shuffle');
  await rejects({ initialEpoch: -1 }, 'options.initialEpoch');
  await assert.rejects(evaluate(m, x, y, { batchsize: 4 } as never), (e: unknown) => e instanceof LossInputError && e.argument === 'options.batchsize');
  await rejects({}, 'y', x, tf.zeros([7, 1]));
  await rejects({}, 'x', 'data');
  await rejects({}, 'y', x, [y, y]);
  await assert.rejects(fit({} as never, x, y), (e: unknown) => e instanceof LossInputError && e.argument === 'model');
  assert.throws(() => callbacks.earlyStopping({ patience: -1 }), (e: unknown) => e instanceof LossInputError && e.argument === 'options.patience');
  assert.throws(() => callbacks.earlyStopping({ patiance: 3 } as never), (e: unknown) => e instanceof LossInputError && e.argument === 'options.patiance');
  assert.throws(() => callbacks.earlyStopping({ mode: 'maximum' } as never), (e: unknown) => e instanceof LossInputError && e.argument === 'options.mode');
  assert.throws(() => callbacks.earlyStopping({ baseline: NaN }), (e: unknown) => e instanceof LossInputError && e.argument === 'options.baseline');
  assert.throws(() => callbacks.learningRateScheduler(3 as never), (e: unknown) => e instanceof LossInputError && e.argument === 'schedule');
  await assert.rejects(
    fit(m, x, y, { callbacks: callbacks.learningRateScheduler(() => NaN) }),
    (e: unknown) => e instanceof LossInputError && e.argument === 'schedule',
  );
  await assert.rejects(
    fit(m, x, y, { callbacks: callbacks.earlyStopping({ monitor: 'val_accuracy' }) }),
    (e: unknown) => e instanceof LossInputError && e.argument === 'options.monitor',
  );
  assert.throws(() => compileLoss(losses.binaryCrossentropy({ reduction: 'sum' })), (e: unknown) => e instanceof LossInputError && e.argument === 'loss');
  assert.throws(() => compileLoss(((a: tf.Tensor, b: tf.Tensor) => tf.sub(a, b)) as never), (e: unknown) => e instanceof LossInputError && e.argument === 'loss');
  // A plain function returning a scalar cannot take sample weights.
  model.compile({ optimizer: tf.train.sgd(0.1), loss: (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.abs(tf.sub(a, b))) });
  await rejects({ sampleWeight: [1, 1, 1, 1, 1, 1, 1, 1] }, 'sampleWeight');
  // A per-sample tfjs loss takes [N] weights, not weights that cannot broadcast to its values.
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  await rejects({ sampleWeight: tf.ones([8, 2, 3]) }, 'sampleWeight');
});

test('extreme values: epochs 0 trains nothing; a batch larger than the data is one full-batch step; huge weights scale the loss exactly', async () => {
  const { x, y } = binaryData(10, 3, 5);
  const idle = logistic(3);
  idle.compile({ optimizer: tf.train.sgd(0.3), loss: losses.binaryCrossentropy() });
  const before = weightsOf(idle);
  const none = await fit(idle, x, y, { epochs: 0 });
  assert.deepEqual(none.epoch, []);
  assert.deepEqual(none.history, {});
  assert.deepEqual(weightsOf(idle), before);

  const w = new Array<number>(10).fill(1e6);
  const hand = handStep(logistic(3), x, y, w, 1e-7);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(1e-7), loss: losses.binaryCrossentropy() });
  const h = await fit(model, x, y, { sampleWeight: w, batchSize: 1000, shuffle: false });
  assert.equal(h.params.steps, 1);
  assertClose(h.history['loss']![0]!, hand.loss, { rtol: 1e-5 });
  weightsOf(model).forEach((v, i) => assertClose(v, hand.weights[i]!, { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));
});
