import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertNoLeak } from '../helpers/assert.js';
import { numerics } from '../../src/index.js';

await useBackend('cpu');

const xs = [-1e4, -100, -20, -1, 0, 1e-3, 1, 20, 100, 1e4];
/** log(1 + eˣ) in float64, written to avoid overflow. */
const softplus64 = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid64 = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

test('softplus is finite and exact over the whole range, with gradient σ(x) (0.5 at 0)', () => {
  const x = tf.tensor1d(xs);
  assertClose(numerics.softplus(x), xs.map(softplus64));
  assertClose(tf.grad((t: tf.Tensor) => tf.sum(numerics.softplus(t)) as tf.Scalar)(x), xs.map(sigmoid64));
});

test('logSigmoid equals −softplus(−x), finite at ±1e4', () => {
  assertClose(numerics.logSigmoid(tf.tensor1d(xs)), xs.map((x) => -softplus64(-x)));
});

test('logSoftmax is shift-invariant and finite for huge logits', () => {
  const big = numerics.logSoftmax(tf.tensor2d([[1e4, 0, -1e4]])).dataSync();
  assertClose(big, [0, -1e4, -2e4], { rtol: 1e-6 });
});

test('clippedLog never returns −Infinity', () => {
  assertClose(numerics.clippedLog(tf.tensor1d([0, 1])), [Math.log(Math.fround(1e-7)), Math.log(Math.fround(1 - 1e-7))], { rtol: 1e-4 });
});

test('safePow has a finite gradient at base 0 and equals pow elsewhere', () => {
  const base = tf.tensor1d([0, 0.25, 1]);
  for (const gamma of [0, 0.5, 2]) {
    assertClose(numerics.safePow(base, gamma), [0, 0.25, 1].map((b) => (b === 0 ? (gamma === 0 ? 1 : 0) : b ** gamma)), { atol: 1e-6 });
    const g = tf.grad((b: tf.Tensor) => tf.sum(numerics.safePow(b, gamma)) as tf.Scalar)(base).dataSync();
    assert.ok(Array.from(g).every(Number.isFinite), `gamma ${gamma}: ${g}`);
    // γ·b^(γ−1) where b > 0; 0 at b = 0 (the clamp to 1e-30 cuts the gradient there).
    assertClose(g, [0, 0.25, 1].map((b) => (b === 0 || gamma === 0 ? 0 : gamma * b ** (gamma - 1))), { rtol: 1e-5 }, `gamma ${gamma} gradient`);
  }
});

test('xlogy is 0 where x = 0, even with y = 0', () => {
  assertClose(numerics.xlogy(tf.tensor1d([0, 2]), tf.tensor1d([0, Math.E])), [0, 2]);
});

test('l2Normalize gives unit rows and leaves a zero row at zero', () => {
  assertClose(numerics.l2Normalize(tf.tensor2d([[3, 4], [0, 0]])), [0.6, 0.8, 0, 0]);
});

test('primitives leave no tensors behind', () => {
  const x = tf.tensor1d(xs);
  assertNoLeak(() => numerics.softplus(x));
  assertNoLeak(() => tf.grad((t: tf.Tensor) => tf.sum(numerics.softplus(t)) as tf.Scalar)(x));
});
