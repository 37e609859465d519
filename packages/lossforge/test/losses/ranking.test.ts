/**
 * src/losses/ranking.ts beyond its golden values (test/fixtures/catalog-ranking.json, run by golden.test.ts on
 * cpu and wasm): smooth-AP against exact average precision as τ → 0, the exclusion of lists without pairs or
 * positives, the list axis, gradCheck, bad inputs and leaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { formatErrors, goldenErrors } from '../helpers/goldenErrors.js';
import { seeded } from '../helpers/random.js';
import { gradCheck, losses } from '../../src/index.js';

await useBackend('cpu');

const FAMILY = ['pairwiseHinge', 'pairwiseLogistic', 'listwiseSoftmax', 'smoothAp'];
const none = { reduction: 'none' } as const;

for (const backend of BACKENDS) {
  test(`largest errors against the references on ${backend} (diagnostic)`, async (t) => {
    await useBackend(backend);
    const errors = goldenErrors('catalog-ranking', FAMILY);
    assert.deepEqual(Object.keys(errors).sort(), [...FAMILY].sort());
    for (const line of formatErrors(errors)) t.diagnostic(line);
  });
}

/** Average precision of one ranked list (scores distinct): mean over positives of precision at their rank. */
function averagePrecision(relevant: number[], scores: number[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  let hits = 0;
  let sum = 0;
  order.forEach(([, i], rank) => {
    if (relevant[i]) {
      hits += 1;
      sum += hits / (rank + 1);
    }
  });
  return sum / hits;
}

describe('ranking losses', () => {
  test('documented examples', () => {
    assertClose(losses.pairwiseHinge()(tf.tensor2d([[2, 1, 0]]), tf.tensor2d([[1, 1.5, 0]])), 0.5);
    assertClose(losses.pairwiseLogistic()(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]])), Math.LN2);
    assertClose(losses.listwiseSoftmax()(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]])), Math.LN2);
    assertClose(losses.smoothAp()(tf.tensor2d([[1, 0, 1]]), tf.tensor2d([[0.9, 0.5, 0.1]])), 1 - (1 + 2 / 3) / 2);
  });

  test('smoothAp tends to 1 − AP as the temperature goes to 0', () => {
    const rand = seeded(3);
    const rows = 6;
    const L = 9;
    const relevant = Array.from({ length: rows }, (_, r) => Array.from({ length: L }, (_, j) => (j === r || rand() < 0.3 ? 1 : 0)));
    // Scores on a grid of distinct values, so that the ranking is unambiguous at τ = 1e-4.
    const scores = relevant.map(() => Array.from({ length: L }, (_, j) => j / L).sort(() => rand() - 0.5));
    const value = losses.smoothAp({ temperature: 1e-4, ...none })(tf.tensor2d(relevant), tf.tensor2d(scores));
    assertClose(value, relevant.map((y, i) => 1 - averagePrecision(y, scores[i]!)), { atol: 1e-6 });
    // A perfect ranking has AP 1; the reversed one is worse.
    const perfect = losses.smoothAp({ temperature: 1e-3 })(tf.tensor2d([[1, 1, 0, 0]]), tf.tensor2d([[0.9, 0.8, 0.2, 0.1]]));
    assertClose(perfect, 0, { atol: 1e-6 });
  });

  test('lists without a pair of different relevance (pairwise) or without a positive (smoothAp) are left out of mean', () => {
    const y = tf.tensor2d([[2, 0, 1], [1, 1, 1]]);
    const s = tf.tensor2d([[0.1, 0.4, -0.3], [0.5, 0.2, 0.9]]);
    for (const name of ['pairwiseHinge', 'pairwiseLogistic'] as const) {
      const perList = losses[name](none)(y, s).dataSync();
      assertClose(perList[1]!, 0, { atol: 0 }, name);
      assertClose(losses[name]()(y, s), perList[0]!, {}, name);
    }
    const binary = tf.tensor2d([[1, 0, 1], [0, 0, 0]]);
    const ap = losses.smoothAp(none)(binary, s).dataSync();
    assertClose(ap[1]!, 0, { atol: 0 });
    assertClose(losses.smoothAp()(binary, s), ap[0]!);
    // The listwise softmax follows Optax: a list without relevant items has loss 0 and still counts.
    const soft = losses.listwiseSoftmax(none)(tf.tensor2d([[1, 0, 2], [0, 0, 0]]), s).dataSync();
    assertClose(soft[1]!, 0, { atol: 0 });
    assertClose(losses.listwiseSoftmax()(tf.tensor2d([[1, 0, 2], [0, 0, 0]]), s), soft[0]! / 2);
  });

  test('pairwise losses depend only on the order of the relevance labels', () => {
    const s = tf.tensor2d([[0.3, -1.2, 0.8, 0.1]]);
    for (const name of ['pairwiseHinge', 'pairwiseLogistic'] as const) {
      const a = losses[name]()(tf.tensor2d([[3, 0, 1, 2]]), s).dataSync()[0]!;
      const b = losses[name]()(tf.tensor2d([[30, -5, 1, 7]]), s).dataSync()[0]!;
      assertClose(a, b, {}, name);
    }
  });

  test('the list axis: axis 1 equals the transposed inputs with axis -1', () => {
    const rand = seeded(4);
    const y = tf.tensor3d(Array.from({ length: 24 }, () => (rand() < 0.4 ? 1 : 0)), [2, 4, 3]);
    const s = tf.tensor3d(Array.from({ length: 24 }, () => rand() * 2 - 1), [2, 4, 3]);
    const t = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);
    for (const name of FAMILY) {
      const moved = losses.get({ name, axis: 1, reduction: 'none' } as never)(y, s);
      const last = losses.get({ name, reduction: 'none' } as never)(t(y), t(s));
      assert.deepEqual(moved.shape, [2, 3], name);
      assertClose(moved, last.dataSync(), { atol: 1e-6 }, name);
    }
  });

  test('gradCheck at moderate points', () => {
    const rand = seeded(5);
    const graded = tf.tensor2d(Array.from({ length: 15 }, () => Math.floor(rand() * 3)), [3, 5]);
    const binary = tf.tensor2d([[1, 0, 0, 1, 0], [0, 1, 0, 0, 0], [1, 1, 0, 0, 1]]);
    // Scores on a grid whose pair differences stay away from the hinge's kink at s_i − s_j = 1.
    const scores = tf.tensor2d(Array.from({ length: 15 }, () => Math.round((rand() * 3 - 1.5) * 10) / 10 + 0.03), [3, 5]);
    assert.ok(gradCheck(losses.pairwiseHinge({ margin: 1.05 }), graded, scores).passed);
    assert.ok(gradCheck(losses.pairwiseLogistic(), graded, scores).passed);
    assert.ok(gradCheck(losses.listwiseSoftmax(), graded, scores).passed);
    assert.ok(gradCheck(losses.smoothAp({ temperature: 0.5 }), binary, scores).passed);
  });

  test('config round trip and aliases', () => {
    const loss = losses.smoothAp({ temperature: 0.05, axis: 1 });
    assert.deepEqual(losses.fromConfig(loss.getConfig()).getConfig(), loss.getConfig());
    const pairs: [string, string][] = [
      ['pairwise_hinge_loss', 'pairwiseHinge'], ['ranknet', 'pairwiseLogistic'], ['ranking_softmax_loss', 'listwiseSoftmax'], ['smooth_ap', 'smoothAp'],
    ];
    for (const [alias, name] of pairs) assert.equal(losses.get(alias).name, name, alias);
  });

  test('bad inputs are LossInputErrors naming the argument', () => {
    const s = tf.tensor2d([[0.1, 0.2, 0.3]]);
    assertLossInputError(() => losses.smoothAp({ temperature: 0 }), 'options.temperature');
    assertLossInputError(() => losses.pairwiseHinge({ margin: -1 }), 'options.margin');
    assertLossInputError(() => losses.smoothAp()(tf.tensor2d([[1, 2, 0]]), s), 'yTrue', /\[0, 1\]/);
    assertLossInputError(() => losses.listwiseSoftmax()(tf.tensor2d([[1, -1, 0]]), s), 'yTrue', /non-negative/);
    assertLossInputError(() => losses.pairwiseLogistic()(tf.tensor2d([[1, 0]]), s), 'yTrue', /shape/);
    assertLossInputError(() => losses.pairwiseHinge()(tf.tensor2d([[1, 0, 2]]), tf.tensor2d([[0, Infinity, 1]])), 'yPred');
    assertLossInputError(() => losses.smoothAp({ axis: 2 })(tf.tensor2d([[1, 0, 1]]), s), 'options.axis');
  });

  test('no leaks, value and gradient', () => {
    const y = tf.tensor2d([[1, 0, 1, 0], [2, 1, 0, 0]]);
    const s = tf.tensor2d([[0.3, -0.2, 0.8, 0.1], [0.5, 0.6, -1, 0]]);
    for (const name of FAMILY) {
      const loss = losses.get(name);
      const labels = name === 'smoothAp' ? tf.minimum(y, 1) : y;
      assertNoLeak(() => loss(labels, s), name);
      assertNoLeak(() => tf.grad((x: tf.Tensor) => loss(labels, x) as tf.Scalar)(s), `${name} gradient`);
      if (labels !== y) labels.dispose();
    }
  });
});
