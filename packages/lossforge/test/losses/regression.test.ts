/** Family-specific behaviour of src/losses/regression.ts (golden values live in catalog-regression.json). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { gradCheck, losses, LossInputError } from '../../src/index.js';

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

// ───────────────────────────── gaussianNll (golden values: catalog-gaussian-nll.json) ─────────────────────────────

test('gaussianNll: a shared variance equals the same variance repeated per element; [B] targets take [B, 2]', () => {
  const none = losses.gaussianNll({ reduction: 'none' });
  const means = [[1.5, 1, 0.75], [2, 1.5, 2.5]];
  const shared = tf.tensor2d(means.map((m, i) => [...m, [0.5, 2][i]!]));
  const repeated = tf.tensor2d(means.map((m, i) => [...m, ...[0, 0, 0].map(() => [0.5, 2][i]!)]));
  const y = tf.tensor2d([[1, 2, 0.5], [3, 1, 2]]);
  assertClose(none(y, shared), values(none(y, repeated)));
  assertClose(none([1, 2], [[0, 1], [2, 4]]), [0.5 * (0 + 1), 0.5 * Math.log(4)]);
  tf.dispose([shared, repeated, y]);
});

test('gaussianNll: gradCheck with a variance per element and shared, full or not', () => {
  const y = tf.tensor2d([[0.5, -1, 2], [3, 0, -4]]);
  const perElement = tf.tensor2d([[1.5, -0.8, -1, 0.7, 1.2, 2], [2.9, 0.25, 1, 0.4, 3, 1.1]]);
  const shared = tf.tensor2d([[1.5, -0.8, -1, 0.9], [2.9, 0.25, 1, 1.7]]);
  for (const [p, options] of [[perElement, {}], [shared, { full: true }], [perElement, { reduction: 'sum' }], [shared, { logVariance: true }]] as const) {
    const report = gradCheck(losses.gaussianNll(options), y, p);
    assert.ok(report.passed, JSON.stringify(report));
  }
  tf.dispose([y, perElement, shared]);
});

test('gaussianNll: logVariance takes s = log σ² (negative values fine) and equals the loss of σ² = exp(s)', () => {
  const y = [[1, 2], [0, -1]];
  const s = [[-1.5, 0.3], [2, -0.2]];
  const withLog = losses.gaussianNll({ logVariance: true, reduction: 'none' })(y, [[0.5, 1, ...s[0]!], [0.1, -2, ...s[1]!]]);
  const withVariance = losses.gaussianNll({ reduction: 'none' })(y, [[0.5, 1, ...s[0]!.map(Math.exp)], [0.1, -2, ...s[1]!.map(Math.exp)]]);
  assertClose(withLog, withVariance.dataSync());
  tf.dispose([withLog, withVariance]);
});

test('gaussianNll: a variance below eps is clamped in the value and still gets a gradient (PyTorch)', () => {
  const loss = losses.gaussianNll({ eps: 0.5 });
  // ½·(log 0.5 + 1/0.5) for variance 0.1 and for 0.5.
  assertClose(loss([[1]], [[0, 0.1]]), 0.5 * (Math.log(0.5) + 2));
  const g = tf.grad((p: tf.Tensor) => loss([[1]], p) as tf.Scalar)(tf.tensor2d([[0, 0.1]]));
  // At σ² = 0.5, e = y − μ = 1: d/dμ = −e/σ² = −2; d/dσ² = ½(1/σ² − e²/σ⁴) = ½(2 − 4) = −1.
  assertClose(g, [-2, -1]);
  g.dispose();
});

test('gaussianNll: bad inputs are LossInputErrors naming the argument, without leaks', () => {
  const loss = losses.gaussianNll();
  assertNoLeak(() => assertLossInputError(() => loss([[1, 2]], [[1, 2, -0.5, 1]]), 'yPred', /variances ≥ 0/));
  assertNoLeak(() => assertLossInputError(() => loss([[1, 2, 3]], [[1, 2, 3, 4, 5]]), 'yTrue', /K means then K or 1 variances/));
  assertLossInputError(() => loss([[1], [2]], [[1, 2, 1], [1, 2, 1]]), 'yTrue');
  assertLossInputError(() => loss([[1, 2], [3, 4]], [[1, 2, 1, 1]]), 'yTrue');
  assertLossInputError(() => loss([[1], [2]], [1, 2]), 'yPred', /rank ≥ 2/);
  assertLossInputError(() => losses.gaussianNll({ eps: -1 }), 'options.eps');
  assertNoLeak(() => loss([[1, 2]], [[1, 2, 0.5, 1]]));
});

test('gaussianNll: a variance head learns noise that grows with |x| (logVariance, trained with Adam)', () => {
  // y = 2x + ε, ε ~ N(0, (0.2 + |x|)²). Features [x, |x|, 1]; outputs [μ, log σ²] = features · W.
  const random = seedrandom('gaussianNll');
  const n = 400;
  const xs = Array.from({ length: n }, () => 4 * random() - 2);
  const noise = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const features = tf.tensor2d(xs.map((x) => [x, Math.abs(x), 1]));
  const y = tf.tensor2d(xs.map((x) => [2 * x + (0.2 + Math.abs(x)) * noise()]));
  const w = tf.variable(tf.zeros([3, 2]));
  const loss = losses.gaussianNll({ logVariance: true });
  const optimizer = tf.train.adam(0.05);
  for (let step = 0; step < 400; step++) tf.dispose(optimizer.minimize(() => loss(y, tf.matMul(features, w)) as tf.Scalar, true)!);
  const [[mu0, s0], [mu2, s2]] = tf.tidy(() => tf.matMul(tf.tensor2d([[0, 0, 1], [2, 2, 1]]), w).arraySync() as number[][]);
  // True σ² is 0.04 at x = 0 and 4.84 at x = 2 (log: −3.2 and 1.6); a linear log σ² in |x| gets close.
  assert.ok(Math.abs(mu2! - 4) < 0.5 && Math.abs(mu0!) < 0.3, `means ${mu0}, ${mu2}`);
  assert.ok(s2! - s0! > 2.5, `log variances ${s0} (x = 0) and ${s2} (x = 2) should differ by ≈ 4.8`);
  optimizer.dispose();
  tf.dispose([features, y, w]);
});
