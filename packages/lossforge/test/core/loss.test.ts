import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { defineLoss, losses, LossInputError, option } from '../../src/index.js';

await useBackend('cpu');

test('mean reduction averages per-sample values', () => {
  const v = losses.meanSquaredError()(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 3], [3, 6]]));
  assertClose(v, (0.5 + 2) / 2);
});

test('reductions none / sum / mean / weightedMean with sample weights and a mask', () => {
  const yTrue = tf.tensor2d([[0], [0], [0], [0]]);
  const yPred = tf.tensor2d([[1], [2], [3], [4]]);
  const call = { sampleWeight: [1, 2, 0.5, 3], mask: [1, 1, 1, 0] };
  const per = [1 * 1, 4 * 2, 9 * 0.5, 0];
  assertClose(losses.meanSquaredError({ reduction: 'none' })(yTrue, yPred, call), per);
  assertClose(losses.meanSquaredError({ reduction: 'sum' })(yTrue, yPred, call), 13.5);
  assertClose(losses.meanSquaredError({ reduction: 'mean' })(yTrue, yPred, call), 13.5 / 3);
  assertClose(losses.meanSquaredError({ reduction: 'weightedMean' })(yTrue, yPred, call), 13.5 / 3.5);
});

test('a fully masked batch reduces to 0, not NaN', () => {
  assertClose(losses.huber()(tf.tensor2d([[0]]), tf.tensor2d([[5]]), { mask: [0] }), 0);
  for (const reduction of ['sum', 'mean', 'weightedMean'] as const) {
    assertClose(losses.huber({ reduction })(tf.tensor2d([[0]]), tf.tensor2d([[5]]), { mask: [0] }), 0, undefined, reduction);
  }
});

test('a masked or zero-weight entry contributes 0 even when its loss is infinite', () => {
  const yTrue = tf.tensor2d([[0], [0]]);
  const yPred = tf.tensor2d([[1e20], [2]]); // (1e20)² overflows float32 to Infinity
  assertClose(losses.meanSquaredError()(yTrue, yPred, { mask: [0, 1] }), 4);
  assertClose(losses.meanSquaredError({ reduction: 'none' })(yTrue, yPred, { sampleWeight: [0, 0.5] }), [0, 2]);
});

test('sample weights of shape [B,1] and [B] are both accepted for [B,L] losses', () => {
  const yTrue = tf.zeros([2, 3, 1]);
  const yPred = tf.ones([2, 3, 1]);
  const loss = losses.meanSquaredError({ reduction: 'sum' });
  assertClose(loss(yTrue, yPred, { sampleWeight: [1, 2] }), 9);
  assertClose(loss(yTrue, yPred, { sampleWeight: [[1], [2]] }), 9);
  assert.throws(() => loss(yTrue, yPred, { sampleWeight: [1, 2, 3] }), LossInputError);
  assertLossInputError(() => loss(yTrue, yPred, { sampleWeight: [1, 2, 3] }), 'call.sampleWeight', /expected a shape that broadcasts to the per-sample loss shape \[2,3\]/, 'meanSquaredError');
  assertLossInputError(() => loss(yTrue, yPred, { sampleWeight: [1, -2] }), 'call.sampleWeight', /got -2 at index \[1\]/);
  assertLossInputError(() => loss(yTrue, yPred, { mask: [1, 0.5] }), 'call.mask', /expected mask values 0 or 1/);
});

test('defineLoss: a user loss behaves like a built-in', () => {
  const penalized = defineLoss({
    name: 'testPenalizedAbs',
    options: { scale: option.number(0.5, { min: 0 }) },
    layout: 'elementwise',
    compute: (yTrue, yPred, { scale }) => {
      const e = tf.abs(tf.sub(yTrue, yPred));
      return tf.mul(tf.mul(e, scale), tf.add(1, e));
    },
  });
  const loss = penalized({ scale: 1 });
  assert.deepEqual(loss.getConfig(), { name: 'testPenalizedAbs', scale: 1, reduction: 'mean' });
  const again = losses.fromConfig(loss.getConfig());
  assertClose(again(tf.tensor1d([0, 0]), tf.tensor1d([1, 2])), (2 + 6) / 2);
  assert.equal(losses.get('test_penalized_abs').name, 'testPenalizedAbs');
  assert.throws(() => penalized({ scale: -1 }), /options\.scale: expected a finite number in \[0, ∞\), got -1/);
  assert.throws(() => penalized({ scael: 1 } as never), /options\.scael/);
});

test('no leaks in the call or its gradient', () => {
  const loss = losses.huber();
  const yTrue = tf.tensor2d([[1, 2]]);
  const yPred = tf.tensor2d([[0, 5]]);
  assertNoLeak(() => loss(yTrue, yPred, { sampleWeight: [2] }));
  assertNoLeak(() => tf.grad((p: tf.Tensor) => loss(yTrue, p) as tf.Scalar)(yPred));
});

test('aliases resolve by any spelling, and preset aliases carry their options', () => {
  assert.equal(losses.get('MSE').name, 'meanSquaredError');
  assert.equal(losses.get('mean_squared_error').name, 'meanSquaredError');
  const withLogits = losses.get('BCEWithLogitsLoss');
  assert.equal(withLogits.name, 'binaryCrossentropy');
  assert.equal(withLogits.options.fromLogits, true);
  assert.equal(losses.fromConfig({ name: 'BCEWithLogitsLoss', fromLogits: false }).options.fromLogits, false);
  assert.throws(() => losses.get('meanSquaredErorr'), /losses: identifier: expected a registered loss name/);
});

test('a taken name is refused unless replace is set', () => {
  const definition = { name: 'testTaken', layout: 'elementwise' as const, compute: (t: tf.Tensor, p: tf.Tensor) => tf.sub(t, p) };
  defineLoss(definition);
  assert.throws(() => defineLoss(definition), /testTaken: name: expected a name not yet registered/);
  assert.throws(() => defineLoss({ ...definition, name: 'mse' }), /taken by 'meanSquaredError'/);
  assert.doesNotThrow(() => defineLoss({ ...definition, replace: true }));
});

test('bad definitions are refused with the field named', () => {
  const compute = (t: tf.Tensor) => t;
  assert.throws(() => defineLoss({ name: '1bad', layout: 'elementwise', compute }), /defineLoss: definition\.name/);
  assert.throws(() => defineLoss({ name: 'testBadLayout', layout: 'diagonal' as never, compute }), /definition\.layout/);
  assert.throws(() => defineLoss({ name: 'testBadOpt', layout: 'elementwise', options: { reduction: option.boolean(true) }, compute }), /definition\.options\.reduction/);
});

test('unknown call entries and a disposed tensor are refused', () => {
  const loss = losses.meanSquaredError();
  assert.throws(() => loss([1], [1], { sampleWeights: [1] } as never), /call\.sampleWeights: expected one of sampleWeight, mask/);
  const t = tf.tensor1d([1]);
  t.dispose();
  assert.throws(() => loss(t, [1]), /yTrue: expected a live tensor/);
});

test('factory.optionSpecs: the specs a factory validates against, with their structured shape, frozen', () => {
  const specs = losses.huber.optionSpecs;
  assert.deepEqual(Object.keys(specs).sort(), ['delta', 'reduction']);
  assert.equal(specs.delta.default, 1);
  assert.deepEqual(specs.delta.shape, { kind: 'number', range: { min: 0, minExclusive: true } });
  assert.deepEqual(specs.reduction.shape, { kind: 'oneOf', choices: ['none', 'sum', 'mean', 'weightedMean'] });
  assert.equal(specs.delta.accepts(0), false, 'the specs are the ones the factory checks with');
  assert.ok(Object.isFrozen(specs));
  assert.throws(() => losses.huber({ delta: 0 }), /options\.delta/);
  const focal = losses.binaryFocalCrossentropy.optionSpecs;
  assert.deepEqual(focal.applyClassBalancing.shape, { kind: 'boolean' });
  assert.deepEqual(focal.alpha.shape, { kind: 'number', range: { min: 0, max: 1 } });
  assert.deepEqual(losses.binaryCrossentropy.optionSpecs.posWeight.shape, { kind: 'numberOrArray', optional: true, range: { min: 0 } });
  assert.deepEqual(losses.sparseCategoricalCrossentropy.optionSpecs.ignoreIndex.shape, { kind: 'integer', optional: true, range: {} });
  assert.deepEqual(losses.sparseCategoricalCrossentropy.optionSpecs.axis.shape, { kind: 'axis' });
  assert.deepEqual(losses.sparseCategoricalCrossentropy.optionSpecs.classWeight.shape, { kind: 'numberArray', optional: true, range: { min: 0 } });
});
