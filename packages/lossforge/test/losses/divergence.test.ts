/**
 * Family-specific behaviour of src/losses/divergence.ts. Golden values (Keras formulas in float64
 * torch, cross-checked with torch's kl_div and cosine_similarity) live in
 * test/fixtures/catalog-divergence.json and run in golden.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { formatErrors, goldenErrors } from '../helpers/goldenErrors.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { gradCheck, losses, LossInputError, setValueChecks } from '../../src/index.js';

await useBackend('cpu');

const none = { reduction: 'none' } as const;

test('aliases resolve to the divergence losses', () => {
  const pairs: [string, string][] = [
    ['kld', 'kullbackLeiblerDivergence'], ['kl_divergence', 'kullbackLeiblerDivergence'],
    ['KLDivergence', 'kullbackLeiblerDivergence'], ['cosine_similarity', 'cosineSimilarity'], ['CosineSimilarity', 'cosineSimilarity'],
  ];
  for (const [alias, name] of pairs) assert.equal(losses.get(alias).name, name, alias);
});

test('documented examples (values worked out by hand)', () => {
  const kl = losses.kullbackLeiblerDivergence()(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[0.9, 0.1]]));
  assertClose(kl, 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1));
  assertClose(losses.cosineSimilarity()(tf.tensor2d([[0, 1]]), tf.tensor2d([[1, 1]])), -Math.SQRT1_2);
});

test('KL: zero for identical distributions, and with one-hot targets equals −log p of the target (plus the clipped zeros)', () => {
  const y = tf.tensor2d([[0.2, 0.3, 0.5], [0, 1, 0]]);
  const p = tf.tensor2d([[0.2, 0.3, 0.5], [0.25, 0.5, 0.25]]);
  const v = losses.kullbackLeiblerDivergence(none)(y, p).dataSync();
  assertClose(v[0]!, 0, { atol: 1e-7 });
  // y clipped to 1e-7 where 0: 1e-7·log(1e-7/0.25) twice, plus 1·log(1/0.5).
  assertClose(v[1]!, 2 * 1e-7 * Math.log(1e-7 / 0.25) + Math.log(2));
});

test('KL: probabilities of exactly 0 and 1 give finite values and gradients', () => {
  const y = tf.tensor2d([[1, 0], [0, 1]]);
  const p = tf.tensor2d([[0, 1], [0, 1]]);
  const loss = losses.kullbackLeiblerDivergence(none);
  const v = loss(y, p).dataSync();
  assertClose(v, [Math.log(1 / 1e-7) + 1e-7 * Math.log(1e-7), 0], { rtol: 1e-5 });
  const g = tf.grad((x: tf.Tensor) => tf.sum(loss(y, x)) as tf.Scalar)(p).dataSync();
  for (const x of g) assert.ok(Number.isFinite(x), `gradient ${x}`);
});

test('KL: the class axis is the last; probabilities outside [0, 1] are rejected unless value checks are off', () => {
  const loss = losses.kullbackLeiblerDivergence(none);
  assert.deepEqual(loss(tf.fill([2, 5, 3], 1 / 3), tf.fill([2, 5, 3], 1 / 3)).shape, [2, 5]);
  assert.throws(() => loss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[1.5, -0.5]])), /kullbackLeiblerDivergence: yPred: expected probabilities in \[0, 1\]/);
  assert.throws(() => loss(tf.tensor2d([[-0.1, 1.1]]), tf.tensor2d([[0.5, 0.5]])), /kullbackLeiblerDivergence: yTrue: expected probabilities/);
  const previous = setValueChecks(false);
  try {
    assert.doesNotThrow(() => loss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[1.5, -0.5]])).dispose());
  } finally {
    setValueChecks(previous);
  }
});

test('cosine: −1 for parallel, 0 for orthogonal, 1 for opposite, independent of length', () => {
  const y = tf.tensor2d([[1, 2, 3], [1, 0, 0], [2, -1, 0.5]]);
  const p = tf.tensor2d([[10, 20, 30], [0, 5, -2], [-0.2, 0.1, -0.05]]);
  assertClose(losses.cosineSimilarity(none)(y, p), [-1, 0, 1]);
});

test('cosine: zero vectors give 0 and finite gradients (norm floored at 1e-6)', () => {
  const y = tf.tensor2d([[0, 0, 0], [1, 2, 2]]);
  const p = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
  const loss = losses.cosineSimilarity(none);
  assertClose(loss(y, p), [0, 0]);
  const g = tf.grad((x: tf.Tensor) => tf.sum(loss(y, x)) as tf.Scalar)(p).dataSync();
  // d/dŷ at ŷ = 0: −y/‖y‖ · 1e6 for the second row, 0 for the first.
  assertClose(g, [0, 0, 0, -1e6 / 3, -2e6 / 3, -2e6 / 3], { rtol: 1e-4 });
});

test('cosine: options.axis picks the feature axis; per-sample shape drops it', () => {
  const y = tf.tensor3d([[[1, 0], [0, 1], [0, 0]]]); // [1, 3, 2]
  const p = tf.tensor3d([[[1, 1], [0, 1], [0, 0]]]);
  const axis1 = losses.cosineSimilarity({ axis: 1, reduction: 'none' })(y, p);
  assert.deepEqual(axis1.shape, [1, 2]);
  // columns: y (1,0,0)·p (1,0,0) → −1; y (0,1,0)·p (1,1,0)/√2 → −1/√2
  assertClose(axis1, [-1, -Math.SQRT1_2]);
  const last = losses.cosineSimilarity(none)(y, p);
  assert.deepEqual(last.shape, [1, 3]);
  assertClose(last, [-Math.SQRT1_2, -1, 0]);
  assert.throws(() => losses.cosineSimilarity({ axis: 3 })(y, p), /cosineSimilarity: options\.axis: expected an axis in \[-3, 2\]/);
  assert.throws(() => losses.cosineSimilarity({ axis: 0.5 }), /cosineSimilarity: options\.axis: expected an integer axis/);
  assert.throws(() => losses.kullbackLeiblerDivergence({ axis: 0.5 }), LossInputError);
});

test('gradCheck passes at interior points', () => {
  const y = tf.tensor2d([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]]);
  const p = tf.tensor2d([[0.3, 0.3, 0.4], [0.5, 0.2, 0.3]]);
  const kl = gradCheck(losses.kullbackLeiblerDivergence(), y, p);
  assert.ok(kl.passed, JSON.stringify(kl));
  const cos = gradCheck(losses.cosineSimilarity({ axis: 0 }), tf.tensor2d([[1, -2], [0.5, 3]]), tf.tensor2d([[0.7, 1.1], [-0.4, 2]]));
  assert.ok(cos.passed, JSON.stringify(cos));
});

test('config round trip and no leaks', () => {
  for (const loss of [losses.kullbackLeiblerDivergence({ reduction: 'sum' }), losses.cosineSimilarity({ axis: 0, reduction: 'weightedMean' })]) {
    assert.deepEqual(losses.fromConfig(loss.getConfig()).getConfig(), loss.getConfig());
    const y = tf.tensor2d([[0.3, 0.7], [0.9, 0.1]]);
    const p = tf.tensor2d([[0.5, 0.5], [0.2, 0.8]]);
    assertNoLeak(() => loss(y, p, { sampleWeight: [1, 2], mask: [1, 0] }), `${loss.name} call`);
    assertNoLeak(() => tf.grad((x: tf.Tensor) => loss(y, x) as tf.Scalar)(p), `${loss.name} gradient`);
    tf.dispose([y, p]);
  }
  assert.deepEqual(losses.cosineSimilarity().getConfig(), { name: 'cosineSimilarity', axis: -1, reduction: 'mean' });
});

// ───────────────────────────── KL in log space, generalized KL ─────────────────────────────

for (const backend of BACKENDS) {
  test(`KL (log space) and generalized KL: largest errors against the references on ${backend} (diagnostic)`, async (t) => {
    await useBackend(backend);
    for (const line of formatErrors(goldenErrors('catalog-classification2', ['kullbackLeiblerDivergence', 'generalizedKullbackLeibler']))) t.diagnostic(line);
    await useBackend('cpu');
  });
}

test('KL: the three input forms agree on the same distributions; −Infinity log inputs give 0 and a zero gradient', () => {
  const y = tf.tensor2d([[0.2, 0.3, 0.5], [0.6, 0.4, 0]]);
  const p = tf.tensor2d([[0.25, 0.25, 0.5], [0.5, 0.3, 0.2]]);
  const keras = losses.kullbackLeiblerDivergence(none)(y, p).dataSync();
  const logPred = losses.kullbackLeiblerDivergence({ logPredictions: true, ...none })(y, tf.log(p));
  const bothLog = losses.get('kl_divergence_with_log_targets')(tf.log(y), tf.log(p), {});
  assertClose(logPred, [keras[0]!, 0.6 * Math.log(0.6 / 0.5) + 0.4 * Math.log(0.4 / 0.3)], { rtol: 1e-5 });
  assertClose(bothLog, (logPred.dataSync()[0]! + logPred.dataSync()[1]!) / 2, { rtol: 1e-5 });
  const g = tf.grad((x: tf.Tensor) => losses.kullbackLeiblerDivergence({ logPredictions: true, logTargets: true })(tf.log(y), x) as tf.Scalar)(
    tf.tensor2d([[-1, -1, -1], [-1, -1, -Infinity]]),
  ).arraySync() as number[][];
  assert.ok(g[1]![2] === 0, `${g[1]![2]}`);
  assert.ok(g.flat().every(Number.isFinite));
  assert.ok(gradCheck(losses.kullbackLeiblerDivergence({ logPredictions: true }), y, tf.log(p)).passed);
});

test('KL: a zero log-prediction under target mass is a LossInputError naming yPred; +Infinity is rejected', () => {
  const loss = losses.kullbackLeiblerDivergence({ logPredictions: true });
  assertLossInputError(() => loss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[0, -Infinity]])), 'yPred');
  assertLossInputError(() => loss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[0, Infinity]])), 'yPred');
  assertLossInputError(() => losses.kullbackLeiblerDivergence({ logTargets: true })(tf.tensor2d([[0.5, NaN]]), tf.tensor2d([[0.5, 0.5]])), 'yTrue');
});

test('generalized KL: zero at ŷ = y, equals KL for distributions, counts a mass difference', () => {
  const y = tf.tensor2d([[2, 0, 1], [0.2, 0.3, 0.5]]);
  const loss = losses.generalizedKullbackLeibler(none);
  assertClose(loss(y, y), [0, 0], { atol: 1e-6 });
  const p = tf.tensor2d([[1, 1, 1], [0.25, 0.25, 0.5]]);
  const v = loss(y, p).dataSync();
  assertClose(v[1]!, losses.kullbackLeiblerDivergence(none)(tf.tensor2d([[0.2, 0.3, 0.5]]), tf.tensor2d([[0.25, 0.25, 0.5]])).dataSync()[0]!, { rtol: 1e-5 });
  assertClose(v[0]!, 2 * Math.log(2) - 3 + 3, { rtol: 1e-5 });
  assertClose(losses.generalizedKullbackLeibler({ logPredictions: true, ...none })(y, tf.log(p)), v, { rtol: 1e-5 });
  assert.ok(gradCheck(losses.generalizedKullbackLeibler(), y, tf.tensor2d([[1.5, 0.5, 0.8], [0.3, 0.2, 0.6]])).passed);
  assertLossInputError(() => loss(tf.tensor2d([[-1, 1]]), tf.tensor2d([[1, 1]])), 'yTrue', /non-negative/);
  assertLossInputError(() => losses.generalizedKullbackLeibler({ axis: 2 })(y, p), 'options.axis');
  assertNoLeak(() => tf.grad((x: tf.Tensor) => losses.generalizedKullbackLeibler()(y, x) as tf.Scalar)(p));
});
