/** Family-specific behaviour of src/losses/regression.ts (golden values live in catalog-regression.json). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { losses, LossInputError } from '../../src/index.js';

await useBackend('cpu');

const yTrue = tf.tensor2d([[0.5, -1, 2], [3, 0, -4]]);
const yPred = tf.tensor2d([[1.5, -0.8, -1], [2.9, 0.25, 1]]);
const values = (t: tf.Tensor) => Array.from(t.dataSync());

test('aliases resolve to the regression losses', () => {
  const pairs: [string, string][] = [
    ['mse', 'meanSquaredError'], ['mean_absolute_error', 'meanAbsoluteError'], ['MAPE', 'meanAbsolutePercentageError'],
    ['msle', 'meanSquaredLogarithmicError'], ['HuberLoss', 'huber'], ['SmoothL1Loss', 'smoothL1'], ['logcosh', 'logCosh'],
    ['pinball', 'quantile'], ['PoissonNLLLoss', 'poisson'],
  ];
  for (const [alias, name] of pairs) assert.equal(losses.get(alias).name, name, alias);
});

test('documented examples (values worked out by hand)', () => {
  const y = tf.tensor2d([[1], [2]]);
  const p = tf.tensor2d([[1.5], [2]]);
  assertClose(losses.meanSquaredError()(y, p), 0.125);
  assertClose(losses.meanAbsoluteError()(y, p), 0.25);
  assertClose(losses.meanAbsolutePercentageError()(tf.tensor2d([[100]]), tf.tensor2d([[90]])), 10);
  assertClose(losses.meanSquaredLogarithmicError()(tf.tensor2d([[3]]), tf.tensor2d([[1]])), (Math.LN2 - Math.log(4)) ** 2);
  assertClose(losses.huber({ delta: 1 })(tf.tensor2d([[0]]), tf.tensor2d([[3]])), 2.5);
  assertClose(losses.smoothL1({ beta: 1 })(tf.tensor2d([[0]]), tf.tensor2d([[3]])), 2.5);
  assertClose(losses.logCosh()(tf.tensor2d([[0]]), tf.tensor2d([[1]])), Math.log(Math.cosh(1)));
  assertClose(losses.quantile({ quantile: 0.9 })(tf.tensor2d([[10]]), tf.tensor2d([[8]])), 1.8);
  assertClose(losses.poisson({ logInput: true })(tf.tensor2d([[2]]), tf.tensor2d([[0]])), 1);
});

test('smoothL1 with beta = 0 is the absolute error, and smoothL1(β) = huber(δ = β) / β', () => {
  const none = { reduction: 'none' } as const;
  assertClose(losses.smoothL1({ beta: 0, ...none })(yTrue, yPred), values(losses.meanAbsoluteError(none)(yTrue, yPred)));
  const huber = values(losses.huber({ delta: 0.7, ...none })(yTrue, yPred)).map((v) => v / 0.7);
  assertClose(losses.smoothL1({ beta: 0.7, ...none })(yTrue, yPred), huber);
});

test('quantile 0.5 is half the absolute error; high quantiles punish under-prediction more', () => {
  const half = values(losses.meanAbsoluteError({ reduction: 'none' })(yTrue, yPred)).map((v) => v / 2);
  assertClose(losses.quantile({ reduction: 'none' })(yTrue, yPred), half);
  const under = losses.quantile({ quantile: 0.9 })(tf.tensor1d([10]), tf.tensor1d([8])).dataSync()[0]!;
  const over = losses.quantile({ quantile: 0.9 })(tf.tensor1d([10]), tf.tensor1d([12])).dataSync()[0]!;
  assert.ok(under > over, `under-prediction ${under} should cost more than over-prediction ${over}`);
});

test('logCosh and huber stay finite with huge errors, with bounded gradients', () => {
  const big = tf.tensor1d([1e30, -1e30, 1e4]);
  const zero = tf.zeros([3]);
  for (const loss of [losses.logCosh(), losses.huber(), losses.smoothL1()]) {
    const v = loss(zero, big).dataSync()[0]!;
    assert.ok(Number.isFinite(v), `${loss.name} value ${v}`);
    const g = tf.grad((p: tf.Tensor) => loss(zero, p) as tf.Scalar)(big).dataSync();
    for (const x of g) assert.ok(Number.isFinite(x) && Math.abs(x) <= 1, `${loss.name} gradient ${x}`);
  }
});

test('poisson: counts must be non-negative; rates must be non-negative unless logInput', () => {
  assert.throws(() => losses.poisson()(tf.tensor1d([-1]), tf.tensor1d([1])), /poisson: yTrue: expected finite non-negative values, got -1 at index \[0\]/);
  assert.throws(() => losses.poisson()(tf.tensor1d([1]), tf.tensor1d([-1])), LossInputError);
  assert.doesNotThrow(() => losses.poisson({ logInput: true })(tf.tensor1d([1]), tf.tensor1d([-1])));
});

test('options are checked at construction', () => {
  assert.throws(() => losses.huber({ delta: 0 }), /huber: options\.delta: expected a finite number in \(0, ∞\), got 0/);
  assert.throws(() => losses.quantile({ quantile: 1 }), /options\.quantile/);
  assert.throws(() => losses.smoothL1({ beta: Number.NaN }), /options\.beta/);
  assert.throws(() => losses.poisson({ logInput: 'yes' as never }), /options\.logInput: expected true or false/);
});
