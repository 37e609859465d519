import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import '../../src/index.js';
import { registerMissingGradients } from '../../src/core/gradients.js';

await useBackend('cpu');

test('a gradient through a comparison no longer throws: it is zero through the condition', () => {
  const x = tf.tensor1d([-2, -0.5, 0.5, 3]);
  const leaky = (t: tf.Tensor) => tf.sum(tf.where(tf.greater(t, 0), t, tf.mul(0.2, t))) as tf.Scalar;
  assertClose(tf.grad(leaky)(x), [0.2, 0.2, 1, 1]);
});

test('second-order gradients through leakyRelu (the WGAN-GP case) match the analytic derivative', () => {
  // g(w) = Σᵢ (∂/∂xᵢ Σⱼ leakyRelu(w·xⱼ))² = Σᵢ (w·sᵢ)², sᵢ = 1 or α by the sign of w·xᵢ; g'(w) = 2w Σ sᵢ².
  const alpha = 0.2;
  const x = tf.tensor1d([-1.5, -0.3, 0.7, 2]);
  const g = (w: tf.Tensor) => {
    const inner = tf.grad((xs: tf.Tensor) => tf.sum(tf.leakyRelu(tf.mul(w, xs), alpha)) as tf.Scalar)(x);
    return tf.sum(tf.square(inner)) as tf.Scalar;
  };
  const w = tf.scalar(0.8);
  const slopes = [-1.5, -0.3, 0.7, 2].map((v) => (v * 0.8 > 0 ? 1 : alpha));
  assertClose(tf.grad(g)(w), 2 * 0.8 * slopes.reduce((s, v) => s + v * v, 0));
});

test('registration is idempotent: an existing gradient is never replaced', () => {
  const before = tf.getGradient('Greater');
  assert.ok(before !== undefined);
  registerMissingGradients();
  assert.equal(tf.getGradient('Greater'), before);
});
