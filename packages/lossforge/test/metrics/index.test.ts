import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertNoLeak } from '../helpers/assert.js';
import { losses, LossInputError, metrics } from '../../src/index.js';
import { seeded } from '../helpers/random.js';

await useBackend('cpu');

/** Real predictions: softmax rows of seeded logits, and labels that agree with the argmax 2 times out of 3. */
function predictions(n: number, c: number, seed: number): { logits: number[][]; probs: number[][]; labels: number[] } {
  const random = seeded(seed);
  const logits = Array.from({ length: n }, () => Array.from({ length: c }, () => random() * 4 - 2));
  const probs = logits.map((r) => {
    const e = r.map(Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
  const labels = logits.map((r, i) => (i % 3 === 0 ? (r.indexOf(Math.max(...r)) + 1) % c : r.indexOf(Math.max(...r))));
  return { logits, probs, labels };
}

const mean = (t: tf.Tensor) => tf.mean(t).dataSync()[0]!;

test('sparse / categorical / top-k accuracy equal counts done by hand, for logits and probabilities', () => {
  const { logits, probs, labels } = predictions(30, 4, 3);
  const argmaxHits = logits.filter((r, i) => r.indexOf(Math.max(...r)) === labels[i]).length / 30;
  const top2Hits = logits.filter((r, i) => [...r].sort((a, b) => b - a).slice(0, 2).includes(r[labels[i]!]!)).length / 30;
  const sparse = tf.tensor1d(labels, 'int32');
  const oneHot = tf.oneHot(sparse, 4);
  for (const pred of [tf.tensor2d(logits), tf.tensor2d(probs)]) {
    assertClose(mean(metrics.sparseCategoricalAccuracy()(sparse, pred)), argmaxHits, { rtol: 1e-6 });
    assertClose(mean(metrics.sparseCategoricalAccuracy()(sparse.reshape([30, 1]), pred)), argmaxHits, { rtol: 1e-6 });
    assertClose(mean(metrics.categoricalAccuracy()(oneHot, pred)), argmaxHits, { rtol: 1e-6 });
    assertClose(mean(metrics.topKAccuracy({ k: 2 })(oneHot, pred)), top2Hits, { rtol: 1e-6 });
    assertClose(mean(metrics.topKAccuracy({ k: 2, sparse: true })(sparse, pred)), top2Hits, { rtol: 1e-6 });
    assert.equal(mean(metrics.topKAccuracy({ k: 9, sparse: true })(sparse, pred)), 1);
  }
  assert.ok(argmaxHits > 0.5 && argmaxHits < 0.8, `the hand count is not trivial (${argmaxHits})`);
});

test('binaryAccuracy: logits compared with 0 (fromLogits), probabilities with the threshold; [N] or [N, 1] labels', () => {
  const random = seeded(5);
  const z = Array.from({ length: 40 }, () => random() * 6 - 3);
  const y = z.map((v, i) => (i % 4 === 0 ? (v > 0 ? 0 : 1) : v > 0 ? 1 : 0));
  const p = z.map((v) => 1 / (1 + Math.exp(-v)));
  const hand = (t: number, score: number[]) => score.filter((s, i) => (s > t ? 1 : 0) === y[i]).length / 40;
  const yt = tf.tensor2d(y, [40, 1]);
  assertClose(mean(metrics.binaryAccuracy({ fromLogits: true })(yt, tf.tensor2d(z, [40, 1]))), hand(0, z), { rtol: 1e-6 });
  assertClose(mean(metrics.binaryAccuracy()(yt, tf.tensor2d(p, [40, 1]))), hand(0.5, p), { rtol: 1e-6 });
  assertClose(mean(metrics.binaryAccuracy({ threshold: 0.7 })(tf.tensor1d(y), tf.tensor2d(p, [40, 1]))), hand(0.7, p), { rtol: 1e-6 });
  assertClose(mean(metrics.binaryAccuracy({ threshold: 0.7, fromLogits: true })(yt, tf.tensor2d(z, [40, 1]))), hand(0.7, p), { rtol: 1e-6 });
  // tfjs' binaryAccuracy thresholds logits at 0.5: not the same number here.
  assert.notEqual(mean(tf.metrics.binaryAccuracy(yt, tf.tensor2d(z, [40, 1]))), hand(0, z));
  const pt = tf.tensor2d(p, [40, 1]);
  assertNoLeak(() => metrics.binaryAccuracy()(yt, pt).dispose());
});

test('accuracyFor picks by the loss name and fromLogits; bad options are named', () => {
  const z = tf.tensor2d([[2], [-1], [0.2]]);
  const y = tf.tensor2d([[1], [1], [0]]);
  const forLogits = metrics.accuracyFor(losses.binaryCrossentropy({ fromLogits: true }))!;
  assert.equal(forLogits.name, 'acc');
  assert.deepEqual(Array.from(forLogits(y, z).dataSync()), [1, 0, 0]);
  assert.deepEqual(Array.from(metrics.accuracyFor(losses.binaryCrossentropy())!(y, z).dataSync()), [1, 0, 1]);
  const p = tf.tensor2d([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]);
  assert.deepEqual(Array.from(metrics.accuracyFor(losses.sparseCategoricalCrossentropy())!(tf.tensor1d([1, 1], 'int32'), p).dataSync()), [1, 0]);
  assert.deepEqual(Array.from(metrics.accuracyFor(losses.categoricalCrossentropy())!(tf.tensor2d([[0, 1, 0], [0, 1, 0]]), p).dataSync()), [1, 0]);
  assert.equal(metrics.accuracyFor(losses.huber()), undefined);
  assert.throws(() => metrics.topKAccuracy({ k: 0 }), (e: unknown) => e instanceof LossInputError && /options\.k/.test(e.message));
  assert.throws(() => metrics.binaryAccuracy({ threshold: 1 }), (e: unknown) => e instanceof LossInputError && /options\.threshold/.test(e.message));
});
