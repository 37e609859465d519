import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { defineLoss, gradCheck, losses, LossInputError } from '../../src/index.js';

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
});
