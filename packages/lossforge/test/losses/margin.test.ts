/**
 * Family-specific behaviour of src/losses/margin.ts. Golden values (Keras formulas in float64 torch)
 * live in test/fixtures/catalog-margin.json and run in golden.test.ts; cross-catalog properties,
 * bad inputs and leaks in properties.test.ts and bad-inputs.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertNoLeak } from '../helpers/assert.js';
import { gradCheck, losses, LossInputError } from '../../src/index.js';

await useBackend('cpu');

const none = { reduction: 'none' } as const;

test('aliases resolve to the margin losses', () => {
  const pairs: [string, string][] = [
    ['hinge', 'hinge'], ['squared_hinge', 'squaredHinge'], ['SquaredHinge', 'squaredHinge'],
    ['categorical_hinge', 'categoricalHinge'], ['CategoricalHinge', 'categoricalHinge'],
  ];
  for (const [alias, name] of pairs) assert.equal(losses.get(alias).name, name, alias);
});

test('documented examples (values worked out by hand)', () => {
  const y = tf.tensor2d([[1], [-1]]);
  const p = tf.tensor2d([[0.3], [-2]]);
  assertClose(losses.hinge()(y, p), (0.7 + 0) / 2);
  assertClose(losses.squaredHinge()(y, p), (0.49 + 0) / 2);
  assertClose(losses.categoricalHinge()(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.5, 1.2, -1]])), 0.3);
});

test('hinge: labels in {0, 1} give the same values as the same labels in {-1, 1}', () => {
  const y01 = tf.tensor2d([[0, 1, 1], [1, 0, 0]]);
  const yPm = tf.tensor2d([[-1, 1, 1], [1, -1, -1]]);
  const p = tf.tensor2d([[0.4, -0.2, 2.5], [0.9, 1.3, -0.1]]);
  for (const factory of [losses.hinge, losses.squaredHinge]) {
    const a = factory(none)(y01, p);
    assertClose(a, Array.from(factory(none)(yPm, p).dataSync()));
    // Hand check of the first sample of hinge: max(1 + 0.4, 0), max(1 + 0.2, 0), max(1 − 2.5, 0).
    if (factory === losses.hinge) assertClose(a.dataSync()[0]!, (1.4 + 1.2 + 0) / 3);
  }
});

test('hinge: all-ones labels are used as +1 (both conventions agree), all -1 labels as -1', () => {
  const p = tf.tensor1d([0.5, -0.5]);
  assertClose(losses.hinge(none)(tf.tensor1d([1, 1]), p), [0.5, 1.5]);
  assertClose(losses.hinge(none)(tf.tensor1d([-1, -1]), p), [1.5, 0.5]);
});

test('hinge: mixing 0 and -1 labels, or other values, is a LossInputError on yTrue', () => {
  const p = tf.tensor1d([0.5, 0.5, 0.5]);
  assert.throws(() => losses.hinge()(tf.tensor1d([0, -1, 1]), p), /hinge: yTrue: expected labels all in \{0, 1\} or all in \{-1, 1\}, got a mix of 0 and -1/);
  assert.throws(() => losses.squaredHinge()(tf.tensor1d([0.5, 1, 1]), p), /squaredHinge: yTrue: .*got 0\.5 at index \[0\]/);
  assert.throws(() => losses.hinge()(tf.tensor1d([2, 1, 1]), p), LossInputError);
});

test('categoricalHinge: one-hot labels in [0, 1] only; soft labels are accepted', () => {
  const p = tf.tensor2d([[0.1, 0.2, 0.3]]);
  assert.throws(() => losses.categoricalHinge()(tf.tensor2d([[-1, 1, -1]]), p), /categoricalHinge: yTrue: expected labels in \[0, 1\]/);
  const soft = losses.categoricalHinge(none)(tf.tensor2d([[0.2, 0.8, 0]]), p);
  // pos = 0.02 + 0.16 = 0.18; neg = max(0.08, 0.04, 0.3) = 0.3 → 1.12
  assertClose(soft, [1.12]);
});

test('categoricalHinge: the class axis is the last one; [B, L, C] gives per-sample [B, L]', () => {
  const y = tf.oneHot(tf.tensor2d([[0, 2], [1, 1]], undefined, 'int32'), 3);
  const p = tf.tensor3d([[[2, 0, 0], [0.5, 0.5, 0.1]], [[0, 0, 0], [1, 3, -1]]]);
  const v = losses.categoricalHinge(none)(y, p);
  assert.deepEqual(v.shape, [2, 2]);
  // [0,0]: pos 2, neg 0 → 0;  [0,1]: pos 0.1, neg 0.5 → 1.4;  [1,0]: pos 0, neg 0 → 1;  [1,1]: pos 3, neg 1 → 0
  assertClose(v, [0, 1.4, 1, 0]);
});

test('gradients: −y inside the margin, 0 beyond it; squared hinge −2y·(1 − yŷ)', () => {
  const y = tf.tensor2d([[1, -1, 1, -1]]);
  const p = tf.tensor2d([[0.5, 0.25, 2, -3]]);
  const g = tf.grad((x: tf.Tensor) => losses.hinge({ reduction: 'sum' })(y, x) as tf.Scalar)(p);
  assertClose(g, [-1 / 4, 1 / 4, 0, 0]);
  const g2 = tf.grad((x: tf.Tensor) => losses.squaredHinge({ reduction: 'sum' })(y, x) as tf.Scalar)(p);
  assertClose(g2, [(-2 * 0.5) / 4, (2 * 1.25) / 4, 0, 0]);
});

test('gradCheck passes away from the kinks', () => {
  const y = tf.tensor2d([[1, -1, 1], [-1, 1, 1]]);
  const p = tf.tensor2d([[0.3, 0.6, -0.8], [-0.2, 1.7, 0.4]]);
  for (const loss of [losses.hinge(), losses.squaredHinge()]) {
    const report = gradCheck(loss, y, p);
    assert.ok(report.passed, `${loss.name}: ${JSON.stringify(report)}`);
  }
  const report = gradCheck(losses.categoricalHinge(), tf.tensor2d([[0, 1, 0], [1, 0, 0]]), tf.tensor2d([[0.9, 0.2, -0.4], [0.1, 0.7, 0.3]]));
  assert.ok(report.passed, JSON.stringify(report));
});

test('config round trip and no leaks', () => {
  for (const factory of [losses.hinge, losses.squaredHinge, losses.categoricalHinge]) {
    const loss = factory({ reduction: 'sum' });
    assert.deepEqual(losses.fromConfig(loss.getConfig()).getConfig(), { name: factory.lossName, reduction: 'sum' });
    const y = tf.tensor2d([[0, 1], [1, 0]]);
    const p = tf.tensor2d([[0.2, 0.4], [-0.3, 0.8]]);
    assertNoLeak(() => loss(y, p, { sampleWeight: [1, 2], mask: [1, 0] }), `${loss.name} call`);
    assertNoLeak(() => tf.grad((x: tf.Tensor) => loss(y, x) as tf.Scalar)(p), `${loss.name} gradient`);
    tf.dispose([y, p]);
  }
});
