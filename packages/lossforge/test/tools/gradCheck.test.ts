import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertLossInputError } from '../helpers/assert.js';
import { defineLoss, gradCheck, losses, LossInputError, type GradCheckOptions } from '../../src/index.js';

await useBackend('cpu');

test('passes for a built-in loss', () => {
  const report = gradCheck(losses.logCosh(), tf.tensor2d([[0.1, -2, 3]]), tf.tensor2d([[1.2, 0.4, -0.7]]));
  assert.ok(report.passed, JSON.stringify(report));
  assert.equal(report.checked, 3);
  assert.equal(report.nonFinite, 0);
});

test('catches a loss whose custom gradient is wrong', () => {
  // Forward: x²/2 per element; the custom gradient claims 1.5·x instead of x.
  const brokenSquare = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: tf.mul(0.5, tf.square(x)), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, tf.mul(1.5, s!)) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  const broken = defineLoss({
    name: 'testBrokenGradient',
    layout: 'elementwise',
    compute: (yTrue, yPred) => brokenSquare(tf.sub(yPred, yTrue)),
  });
  const report = gradCheck(broken(), tf.tensor2d([[0, 0]]), tf.tensor2d([[1, -2]]));
  assert.equal(report.passed, false);
  // The worst entry is x = −2: analytic −3·(1/2 mean) vs numeric −2·(1/2).
  assert.equal(report.worst.index, 1);
  assert.ok(Math.abs(report.worst.analytic - -1.5) < 1e-4);
  assert.ok(Math.abs(report.worst.numeric - -1) < 1e-2);
});

test('leaves no tensors behind', () => {
  const yTrue = tf.tensor1d([1, 2]);
  const yPred = tf.tensor1d([0.5, 2.5]);
  const before = tf.memory().numTensors;
  gradCheck(losses.huber(), yTrue, yPred);
  assert.equal(tf.memory().numTensors, before);
});

test('rejects bad arguments with a LossInputError', () => {
  assert.throws(() => gradCheck(losses.huber(), [1], [1], undefined, { step: 0 }), LossInputError);
  assert.throws(() => gradCheck(42 as never, [1], [1]), /gradCheck: loss: expected a loss function/);
  const bad: [GradCheckOptions, string][] = [
    [{ step: 0 }, 'options.step'],
    [{ step: NaN }, 'options.step'],
    [{ rtol: -1 }, 'options.rtol'],
    [{ atol: Infinity }, 'options.atol'],
    [{ maxEntries: 2.5 }, 'options.maxEntries'],
  ];
  for (const [options, argument] of bad) {
    assertLossInputError(() => gradCheck(losses.huber(), [1], [1], undefined, options), argument, undefined, 'gradCheck');
  }
  assertLossInputError(() => gradCheck(losses.huber(), [1], 'x' as never), 'yPred', /gradCheck: yPred: expected a tensor/);
});

test('checks at most maxEntries entries, spread evenly (stride ⌈size / maxEntries⌉)', () => {
  const yPred = tf.linspace(-2, 2, 10);
  const report = gradCheck((t, p) => tf.mul(0.5, tf.square(tf.sub(p, t))), tf.zeros([10]), yPred, undefined, { maxEntries: 4 });
  assert.equal(report.checked, 4); // indices 0, 3, 6, 9
  assert.ok(report.passed, JSON.stringify(report));
  tf.dispose(yPred);
});

test('an exact zero gradient passes even with atol = rtol = 0', () => {
  // relu(−p) is 0 with gradient 0 for p > 0: both sides are exactly 0.
  const report = gradCheck((_, p) => tf.relu(tf.neg(p)), [0, 0], [1, 2], undefined, { atol: 0, rtol: 0 });
  assert.deepEqual({ passed: report.passed, maxAbsError: report.maxAbsError, maxRelError: report.maxRelError }, { passed: true, maxAbsError: 0, maxRelError: 0 });
});

test('a non-finite gradient fails and is reported as the worst entry, with infinite errors', () => {
  // d/dp √|p| at p = 0 is infinite in autodiff (tfjs: −∞, as abs' gradient at 0 is −1); the central difference is 0.
  const report = gradCheck((t, p) => tf.sqrt(tf.abs(tf.sub(p, t))), [0, 0], [1, 0]);
  assert.equal(report.passed, false);
  assert.equal(report.nonFinite, 1);
  assert.equal(report.worst.index, 1);
  assert.ok(!Number.isFinite(report.worst.analytic), `analytic ${report.worst.analytic}`);
  assert.equal(report.worst.numeric, 0);
  assert.equal(report.maxAbsError, Infinity);
  assert.equal(report.maxRelError, Infinity);
});
