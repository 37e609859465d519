/**
 * Behaviour specific to the classification family (src/losses/classification.ts). Golden values against
 * PyTorch / Keras formulas live in test/fixtures/catalog-classification.json (test/losses/golden.test.ts);
 * here: aliases, reductions with class weights and ignoreIndex on hand-checkable cases, class axis 1,
 * extreme inputs, gradient checks over every option combination, bad inputs and leaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { loadFixture } from '../helpers/fixtures.js';
import { formatErrors, goldenErrors } from '../helpers/goldenErrors.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { gradCheck, losses, LossInputError, type Loss, type LossCall } from '../../src/index.js';

await useBackend('cpu');

const { log } = Math;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** Every option combination: { a: [1, 2], b: [x] } → [{ a: 1, b: x }, { a: 2, b: x }]; undefined values are dropped. */
function combinations(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(grid).reduce<Record<string, unknown>[]>(
    (acc, [key, choices]) => acc.flatMap((o) => choices.map((v) => (v === undefined ? { ...o } : { ...o, [key]: v }))),
    [{}],
  );
}

const make = (name: string, options: Record<string, unknown>): Loss => losses.fromConfig({ name, ...options } as never);

describe('names and aliases', () => {
  const expected: Record<string, string[]> = {
    binaryCrossentropy: ['bce', 'binary_crossentropy', 'BCELoss', 'BCEWithLogitsLoss'],
    categoricalCrossentropy: ['cce', 'categorical_crossentropy', 'softmax_cross_entropy'],
    sparseCategoricalCrossentropy: ['scce', 'sparse_categorical_crossentropy', 'CrossEntropyLoss', 'cross_entropy'],
    binaryFocalCrossentropy: ['focal', 'binary_focal_crossentropy', 'focal_loss'],
    categoricalFocalCrossentropy: ['categorical_focal_crossentropy', 'categorical_focal'],
    polyCrossentropy: ['poly1', 'poly_loss'],
    generalizedCrossentropy: ['gce', 'generalized_cross_entropy'],
  };
  for (const [name, aliases] of Object.entries(expected)) {
    test(`${name}: ${aliases.join(', ')}`, () => {
      assert.equal(losses.get(name).name, name);
      for (const alias of aliases) assert.equal(losses.get(alias).name, name, alias);
    });
  }

  test('getConfig round-trips array options', () => {
    const loss = losses.categoricalCrossentropy({ classWeight: [1, 2, 0.5], labelSmoothing: 0.1, axis: 1 });
    const config = loss.getConfig();
    assert.deepEqual(config, { name: 'categoricalCrossentropy', fromLogits: false, labelSmoothing: 0.1, axis: 1, classWeight: [1, 2, 0.5], reduction: 'mean' });
    assert.deepEqual(losses.fromConfig(config).getConfig(), config);
    const bce = losses.binaryCrossentropy({ posWeight: [1, 3] });
    assert.deepEqual(losses.fromConfig(bce.getConfig()).options.posWeight, [1, 3]);
  });
});

describe('binaryCrossentropy', () => {
  test('per-sample value is the mean of the elementwise terms (probabilities and logits)', () => {
    const yTrue = tf.tensor2d([[1, 0], [0.25, 1]]);
    const probs = tf.tensor2d([[0.8, 0.4], [0.5, 0.9]]);
    const bce = (y: number, p: number) => -(y * log(p) + (1 - y) * log(1 - p));
    const expected = [(bce(1, 0.8) + bce(0, 0.4)) / 2, (bce(0.25, 0.5) + bce(1, 0.9)) / 2];
    assertClose(losses.binaryCrossentropy({ reduction: 'none' })(yTrue, probs), expected);
    const logits = tf.tensor2d([[2, -1], [0, 3]]);
    const fromLogits = [(bce(1, sigmoid(2)) + bce(0, sigmoid(-1))) / 2, (bce(0.25, 0.5) + bce(1, sigmoid(3))) / 2];
    assertClose(losses.binaryCrossentropy({ fromLogits: true, reduction: 'none' })(yTrue, logits), fromLogits);
  });

  test('posWeight scales the positive term only, as a number or per entry of the last axis', () => {
    const yTrue = tf.tensor2d([[1, 0, 0.5]]);
    const x = tf.tensor2d([[0.5, 0.5, -1]]);
    const pos = (v: number) => -log(sigmoid(v));
    const neg = (v: number) => -log(1 - sigmoid(v));
    const loss = (posWeight: number | number[]) => losses.binaryCrossentropy({ fromLogits: true, posWeight, reduction: 'sum' })(yTrue, x);
    assertClose(loss(3), (3 * pos(0.5) + neg(0.5) + 0.5 * 3 * pos(-1) + 0.5 * neg(-1)) / 3);
    assertClose(loss([2, 5, 4]), (2 * pos(0.5) + neg(0.5) + 0.5 * 4 * pos(-1) + 0.5 * neg(-1)) / 3);
    const probs = losses.binaryCrossentropy({ posWeight: 2, reduction: 'none' })(tf.tensor1d([1, 0]), tf.tensor1d([0.6, 0.3]));
    assertClose(probs, [-2 * log(0.6), -log(0.7)]);
  });

  test('labelSmoothing 1 turns every label into 0.5', () => {
    const v = losses.binaryCrossentropy({ labelSmoothing: 1, reduction: 'none' })(tf.tensor1d([1, 0]), tf.tensor1d([0.9, 0.9]));
    const half = -0.5 * (log(0.9) + log(0.1));
    assertClose(v, [half, half]);
  });

  test('probabilities 0 and 1 are clipped to [1e-7, 1 − 1e-7]', () => {
    const v = values(losses.binaryCrossentropy({ reduction: 'none' })(tf.tensor1d([1, 0, 1, 0]), tf.tensor1d([1, 0, 0, 1])));
    assert.ok(v[0]! < 1e-6 && v[1]! < 1e-6);
    // float32 clip bounds: −log(1e-7) and −log(1 − fround(1 − 1e-7)).
    assertClose(v.slice(2), [-log(Math.fround(1e-7)), -log(1 - Math.fround(1 - 1e-7))], { rtol: 1e-5 });
  });
});

describe('categoricalCrossentropy', () => {
  const yTrue = tf.tensor2d([[1, 0], [0, 1]]);
  const probs = tf.tensor2d([[0.5, 0.5], [0.25, 0.75]]);
  const [a, b] = [-log(0.5), -log(0.75)];

  test('class weights: none / sum / mean / weightedMean by hand', () => {
    const loss = (reduction: 'none' | 'sum' | 'mean' | 'weightedMean') =>
      losses.categoricalCrossentropy({ classWeight: [2, 1], reduction })(yTrue, probs);
    assertClose(loss('none'), [2 * a, b]);
    assertClose(loss('sum'), 2 * a + b);
    assertClose(loss('mean'), (2 * a + b) / 2);
    assertClose(loss('weightedMean'), (2 * a + b) / 3);
    // Sample weights multiply on top of class weights and join the weightedMean denominator.
    const weighted = losses.categoricalCrossentropy({ classWeight: [2, 1], reduction: 'weightedMean' })(yTrue, probs, { sampleWeight: [0.5, 3] });
    assertClose(weighted, (0.5 * 2 * a + 3 * b) / (0.5 * 2 + 3));
  });

  test('label smoothing with class weights: −Σ w_c y′_c log p_c per sample', () => {
    const eps = 0.2;
    const v = losses.categoricalCrossentropy({ classWeight: [2, 1], labelSmoothing: eps, reduction: 'none' })(yTrue, probs);
    const y = (hot: boolean) => (hot ? 1 - eps : 0) + eps / 2;
    assertClose(v, [-(2 * y(true) * log(0.5) + 1 * y(false) * log(0.5)), -(2 * y(false) * log(0.25) + 1 * y(true) * log(0.75))]);
  });

  test('a sample whose target classes all have weight 0 contributes 0, with a finite gradient', () => {
    const loss = losses.categoricalCrossentropy({ classWeight: [0, 1], labelSmoothing: 0.1, reduction: 'sum' });
    // Sample 1 (class 0, weight 0) contributes 0; sample 2: −(0 · 0.05 · log 0.25 + 1 · 0.95 · log 0.75).
    assertClose(loss(yTrue, probs), -0.95 * log(0.75));
    const g = tf.grad((p: tf.Tensor) => loss(yTrue, p) as tf.Scalar)(probs);
    assert.ok(values(g).every(Number.isFinite));
  });

  test('probabilities are normalized over the class axis (Keras)', () => {
    const v = losses.categoricalCrossentropy({ reduction: 'none' })(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.2, 0.2, 0.4]]));
    assertClose(v, [-log(0.25)]);
  });

  test('fromLogits: −Σ y log softmax(x)', () => {
    const v = losses.categoricalCrossentropy({ fromLogits: true, reduction: 'none' })(tf.tensor2d([[0.2, 0.8, 0]]), tf.tensor2d([[1, 2, -1]]));
    const p = softmax([1, 2, -1]);
    assertClose(v, [-(0.2 * log(p[0]!) + 0.8 * log(p[1]!))]);
  });

  test('axis 1 on [B,C,L] equals axis −1 on the transposed input', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 2, 'float32', 7);
    const y = tf.oneHot(tf.tensor2d([[0, 1, 2, 1], [2, 2, 0, 1]], undefined, 'int32'), 3).transpose([0, 2, 1]).toFloat();
    const axis1 = losses.categoricalCrossentropy({ fromLogits: true, axis: 1, reduction: 'none' })(y, x);
    assert.deepEqual(axis1.shape, [2, 4]);
    const last = losses.categoricalCrossentropy({ fromLogits: true, reduction: 'none' })(y.transpose([0, 2, 1]), x.transpose([0, 2, 1]));
    assertClose(axis1, values(last));
  });
});

describe('sparseCategoricalCrossentropy', () => {
  const probs = tf.tensor2d([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.1, 0.6, 0.3]]);
  const [l0, l2] = [-log(0.7), -log(0.6)];

  test('ignoreIndex: loss 0 there, excluded from mean; classWeight gives weightedMean = PyTorch mean', () => {
    const labels = tf.tensor1d([0, -100, 1], 'int32');
    const loss = (reduction: 'none' | 'sum' | 'mean' | 'weightedMean', classWeight?: number[]) =>
      losses.sparseCategoricalCrossentropy({ ignoreIndex: -100, classWeight, reduction })(labels, probs);
    assertClose(loss('none'), [l0, 0, l2]);
    assertClose(loss('sum'), l0 + l2);
    assertClose(loss('mean'), (l0 + l2) / 2);
    assertClose(loss('weightedMean'), (l0 + l2) / 2);
    assertClose(loss('none', [2, 0.5, 1]), [2 * l0, 0, 0.5 * l2]);
    assertClose(loss('sum', [2, 0.5, 1]), 2 * l0 + 0.5 * l2);
    assertClose(loss('mean', [2, 0.5, 1]), (2 * l0 + 0.5 * l2) / 2);
    assertClose(loss('weightedMean', [2, 0.5, 1]), (2 * l0 + 0.5 * l2) / 2.5);
  });

  test('ignored labels may lie outside [0, C) (255) or inside it (0); everything ignored gives 0', () => {
    const v = losses.sparseCategoricalCrossentropy({ ignoreIndex: 255, reduction: 'none' })(tf.tensor1d([255, 2, 1], 'int32'), probs);
    assertClose(v, [0, -log(0.4), l2]);
    const zero = losses.sparseCategoricalCrossentropy({ ignoreIndex: 0, reduction: 'mean' })(tf.tensor1d([0, 0, 1], 'int32'), probs);
    assertClose(zero, l2);
    const none = losses.sparseCategoricalCrossentropy({ ignoreIndex: -1, reduction: 'weightedMean', classWeight: [1, 1, 1] });
    assertClose(none(tf.tensor1d([-1, -1, -1], 'int32'), probs), 0);
  });

  test('labels of shape [B,1] and float labels holding integers are accepted', () => {
    const loss = losses.sparseCategoricalCrossentropy({ reduction: 'none' });
    assertClose(loss(tf.tensor2d([[0], [2], [1]], undefined, 'int32'), probs), [l0, -log(0.4), l2]);
    assertClose(loss([0, 2, 1], probs), [l0, -log(0.4), l2]);
  });

  test('axis 1 on [B,C,L] with labels [B,L] (PyTorch layout) equals axis −1 on the transposed input', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 2, 'float32', 11);
    const labels = tf.tensor2d([[0, 1, -100, 2], [2, -100, 0, 1]], undefined, 'int32');
    const opts = { fromLogits: true, ignoreIndex: -100, classWeight: [1, 2, 0.5] };
    const axis1 = losses.sparseCategoricalCrossentropy({ ...opts, axis: 1, reduction: 'none' })(labels, x);
    assert.deepEqual(axis1.shape, [2, 4]);
    const last = losses.sparseCategoricalCrossentropy({ ...opts, reduction: 'none' })(labels, x.transpose([0, 2, 1]));
    assertClose(axis1, values(last));
    assert.equal(values(axis1)[2], 0);
  });

  test('equals categoricalCrossentropy on one-hot targets', () => {
    const x = tf.tensor2d([[1, -2, 0.5], [0, 3, -1]]);
    const sparse = losses.sparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' })(tf.tensor1d([2, 1], 'int32'), x);
    const dense = losses.categoricalCrossentropy({ fromLogits: true, reduction: 'none' })(tf.tensor2d([[0, 0, 1], [0, 1, 0]]), x);
    assertClose(sparse, values(dense));
  });
});

describe('focal losses', () => {
  test('binaryFocalCrossentropy: (1 − p_t)^γ · BCE, α only with applyClassBalancing (Keras 3)', () => {
    const y = tf.tensor1d([1, 0]);
    const p = tf.tensor1d([0.8, 0.3]);
    const bce = [-log(0.8), -log(0.7)];
    const factor = [0.2 ** 2, 0.3 ** 2];
    assertClose(losses.binaryFocalCrossentropy({ reduction: 'none' })(y, p), [factor[0]! * bce[0]!, factor[1]! * bce[1]!]);
    assertClose(losses.binaryFocalCrossentropy({ alpha: 0.9, reduction: 'none' })(y, p), [factor[0]! * bce[0]!, factor[1]! * bce[1]!]);
    assertClose(
      losses.binaryFocalCrossentropy({ applyClassBalancing: true, alpha: 0.9, reduction: 'none' })(y, p),
      [0.9 * factor[0]! * bce[0]!, 0.1 * factor[1]! * bce[1]!],
    );
  });

  test('binaryFocalCrossentropy with γ = 0 is binaryCrossentropy (with smoothing and logits)', () => {
    const y = tf.tensor2d([[1, 0, 0.4], [0, 1, 1]]);
    const x = tf.tensor2d([[2, -1, 0.3], [1.5, -0.5, 4]]);
    const opts = { fromLogits: true, labelSmoothing: 0.2, reduction: 'none' } as const;
    const focal = losses.binaryFocalCrossentropy({ ...opts, gamma: 0 })(y, x);
    assertClose(focal, values(losses.binaryCrossentropy(opts)(y, x)));
  });

  test('categoricalFocalCrossentropy: Σ −α (1 − p_c)^γ y_c log p_c; γ = 0, α = 1 is cross-entropy', () => {
    const y = tf.tensor2d([[0, 1, 0]]);
    const p = tf.tensor2d([[0.2, 0.5, 0.3]]);
    assertClose(losses.categoricalFocalCrossentropy({ reduction: 'none' })(y, p), [-0.25 * 0.5 ** 2 * log(0.5)]);
    const x = tf.tensor2d([[1, 2, -0.5], [0, 0.3, 2]]);
    const soft = tf.tensor2d([[0.1, 0.8, 0.1], [0, 0, 1]]);
    const focal = losses.categoricalFocalCrossentropy({ gamma: 0, alpha: 1, fromLogits: true, labelSmoothing: 0.1, reduction: 'none' })(soft, x);
    const ce = losses.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1, reduction: 'none' })(soft, x);
    assertClose(focal, values(ce));
  });
});

describe('polyCrossentropy and generalizedCrossentropy', () => {
  const y = tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
  const x = tf.tensor2d([[0.5, 2, -1], [0.2, 0.1, 1.5]]);
  const p = [softmax([0.5, 2, -1]), softmax([0.2, 0.1, 1.5])];
  const pt = [p[0]![1]!, p[1]![0]!];

  test('poly: CE + ε(1 − p_t)', () => {
    const v = losses.polyCrossentropy({ epsilon: 2, fromLogits: true, reduction: 'none' })(y, x);
    assertClose(v, pt.map((q) => -log(q) + 2 * (1 - q)));
    const zero = losses.polyCrossentropy({ epsilon: 0, fromLogits: true, reduction: 'none' })(y, x);
    assertClose(zero, values(losses.categoricalCrossentropy({ fromLogits: true, reduction: 'none' })(y, x)));
  });

  test('poly with a size-1 class axis is binary: BCE + ε(1 − p_t)', () => {
    const v = losses.polyCrossentropy({ epsilon: 1, fromLogits: true, reduction: 'none' })(tf.tensor2d([[1], [0.25]]), tf.tensor2d([[0.4], [-1]]));
    const bce = (yy: number, q: number) => -(yy * log(q) + (1 - yy) * log(1 - q));
    const [p1, p2] = [sigmoid(0.4), sigmoid(-1)];
    assertClose(v, [bce(1, p1) + (1 - p1), bce(0.25, p2) + (1 - (0.25 * p2 + 0.75 * (1 - p2)))]);
  });

  test('GCE: (1 − p_y^q)/q; q = 1 is 1 − p_y; q → 0 approaches cross-entropy', () => {
    assertClose(losses.generalizedCrossentropy({ fromLogits: true, reduction: 'none' })(y, x), pt.map((q) => (1 - q ** 0.7) / 0.7));
    assertClose(losses.generalizedCrossentropy({ q: 1, fromLogits: true, reduction: 'none' })(y, x), pt.map((q) => 1 - q));
    assertClose(losses.generalizedCrossentropy({ q: 1e-3, fromLogits: true, reduction: 'none' })(y, x), pt.map((q) => -log(q)), { rtol: 5e-3 });
  });

  test('GCE with a size-1 class axis is binary', () => {
    const v = losses.generalizedCrossentropy({ q: 0.5, reduction: 'none' })(tf.tensor2d([[1], [0]]), tf.tensor2d([[0.64], [0.19]]));
    assertClose(v, [(1 - 0.8) / 0.5, (1 - 0.9) / 0.5]);
  });
});

// ───────────────────────────── every loss, every option ─────────────────────────────

type Kind = 'elementwise' | 'dense' | 'dense1' | 'dense3' | 'sparse' | 'sparse3';

/** Moderate inputs per layout: [yTrue, logits, probabilities]. */
function inputs(kind: Kind): [tf.Tensor, tf.Tensor, tf.Tensor] {
  switch (kind) {
    case 'elementwise':
      return [tf.tensor2d([[1, 0, 0.3], [0, 1, 0.8]]), tf.tensor2d([[0.7, -1.2, 0.4], [1.5, 0.3, -0.6]]), tf.tensor2d([[0.7, 0.2, 0.45], [0.35, 0.8, 0.6]])];
    case 'dense':
      return [tf.tensor2d([[0, 1, 0], [0.2, 0.5, 0.3]]), tf.tensor2d([[0.7, -1.2, 0.4], [1.5, 0.3, -0.6]]), tf.tensor2d([[0.3, 0.5, 0.2], [0.35, 0.4, 0.6]])];
    case 'dense1':
      return [tf.tensor2d([[1], [0], [0.3]]), tf.tensor2d([[0.7], [-1.2], [0.4]]), tf.tensor2d([[0.7], [0.2], [0.45]])];
    case 'dense3': // [B, C, L] with class axis 1
      return [
        tf.tensor3d([[[1, 0], [0, 0.4], [0, 0.6]], [[0, 0], [1, 0], [0, 1]]]),
        tf.tensor3d([[[0.7, -1.2], [0.4, 1.5], [0.3, -0.6]], [[1.1, 0.2], [-0.3, 0.9], [0.5, -1]]]),
        tf.tensor3d([[[0.3, 0.5], [0.2, 0.35], [0.4, 0.6]], [[0.25, 0.7], [0.5, 0.1], [0.3, 0.45]]]),
      ];
    case 'sparse':
      return [tf.tensor1d([2, -100, 0], 'int32'), tf.tensor2d([[0.7, -1.2, 0.4], [1.5, 0.3, -0.6], [0.2, 0.9, -0.3]]), tf.tensor2d([[0.3, 0.5, 0.2], [0.35, 0.4, 0.6], [0.5, 0.2, 0.25]])];
    case 'sparse3':
      return [
        tf.tensor2d([[0, -100], [2, 1]], undefined, 'int32'),
        tf.tensor3d([[[0.7, -1.2], [0.4, 1.5], [0.3, -0.6]], [[1.1, 0.2], [-0.3, 0.9], [0.5, -1]]]),
        tf.tensor3d([[[0.3, 0.5], [0.2, 0.35], [0.4, 0.6]], [[0.25, 0.7], [0.5, 0.1], [0.3, 0.45]]]),
      ];
  }
}

const fromLogits = [false, true];
const GRIDS: [string, Kind, Record<string, unknown[]>][] = [
  ['binaryCrossentropy', 'elementwise', { fromLogits, labelSmoothing: [0, 0.2], posWeight: [undefined, 2.5, [0.5, 1, 3]] }],
  ['binaryFocalCrossentropy', 'elementwise', { fromLogits, gamma: [0, 0.5, 2], applyClassBalancing: [false, true], alpha: [0.25, 0.7], labelSmoothing: [0, 0.1] }],
  ['categoricalCrossentropy', 'dense', { fromLogits, labelSmoothing: [0, 0.2], classWeight: [undefined, [0.5, 2, 1]] }],
  ['categoricalCrossentropy', 'dense3', { fromLogits, axis: [1], labelSmoothing: [0, 0.1], classWeight: [undefined, [0.5, 2, 1]] }],
  ['sparseCategoricalCrossentropy', 'sparse', { fromLogits, ignoreIndex: [-100], classWeight: [undefined, [0.5, 2, 1]], reduction: ['sum', 'mean', 'weightedMean'] }],
  ['sparseCategoricalCrossentropy', 'sparse3', { fromLogits, axis: [1], ignoreIndex: [-100], classWeight: [undefined, [0.5, 2, 1]] }],
  ['categoricalFocalCrossentropy', 'dense', { fromLogits, gamma: [0, 0.5, 2], alpha: [0.25, 1], labelSmoothing: [0, 0.1] }],
  ['categoricalFocalCrossentropy', 'dense3', { fromLogits, axis: [1], gamma: [2] }],
  ['polyCrossentropy', 'dense', { fromLogits, epsilon: [-0.5, 1, 2] }],
  ['polyCrossentropy', 'dense1', { fromLogits, epsilon: [-0.5, 1] }],
  ['polyCrossentropy', 'dense3', { fromLogits, axis: [1] }],
  ['generalizedCrossentropy', 'dense', { fromLogits, q: [0.3, 0.7, 1] }],
  ['generalizedCrossentropy', 'dense1', { fromLogits, q: [0.3, 1] }],
  ['generalizedCrossentropy', 'dense3', { fromLogits, axis: [1] }],
];

describe('gradCheck passes for every loss and option combination', () => {
  for (const [name, kind, grid] of GRIDS) {
    test(`${name} on ${kind} (${combinations(grid).length} combinations)`, () => {
      const [yTrue, logits, probs] = inputs(kind);
      for (const options of combinations({ reduction: ['sum'], ...grid })) {
        const loss = make(name, options);
        const report = gradCheck(loss, yTrue, options.fromLogits ? logits : probs);
        assert.ok(report.passed, `${name} ${JSON.stringify(options)}: ${JSON.stringify(report.worst)}`);
        assert.equal(report.nonFinite, 0);
      }
      tf.dispose([yTrue, logits, probs]);
    });
  }

  test('with sample weights and a mask', () => {
    const [yTrue, logits] = inputs('dense');
    const call: LossCall = { sampleWeight: [0.5, 2], mask: [1, 1] };
    for (const reduction of ['mean', 'weightedMean'] as const) {
      const loss = losses.categoricalCrossentropy({ fromLogits: true, classWeight: [0.5, 2, 1], reduction });
      assert.ok(gradCheck(loss, yTrue, logits, call).passed, reduction);
    }
  });
});

describe('extreme inputs give finite values and gradients', () => {
  const extremes: Record<'elementwise' | 'dense' | 'dense1' | 'sparse', [number[][] | number[], number[][], number[][]]> = {
    elementwise: [[[1, 0, 1, 0.3], [0, 1, 0.5, 1]], [[1e4, -1e4, -1e4, 1e4], [100, -100, 1e4, -1e4]], [[1, 0, 0, 1], [0, 1, 1, 0]]],
    dense: [[[1, 0, 0], [0, 0.5, 0.5]], [[1e4, -1e4, 0], [1e4, -100, 1e4]], [[1, 0, 0], [1, 0, 0]]],
    dense1: [[[1], [0], [1], [0.5]], [[1e4], [-1e4], [-1e4], [100]], [[1], [0], [0], [1]]],
    sparse: [[0, 1, -100], [[1e4, -1e4, 0], [1e4, -1e4, 1e4], [-1e4, 0, 1e4]], [[1, 0, 0], [1, 0, 0], [0, 0, 0]]],
  };
  const cases: [string, keyof typeof extremes, Record<string, unknown>][] = [
    ['binaryCrossentropy', 'elementwise', { labelSmoothing: 0.1, posWeight: 3 }],
    ['binaryFocalCrossentropy', 'elementwise', { gamma: 0.5, applyClassBalancing: true, labelSmoothing: 0.1 }],
    ['binaryFocalCrossentropy', 'elementwise', { gamma: 2 }],
    ['categoricalCrossentropy', 'dense', { labelSmoothing: 0.1, classWeight: [1, 2, 0.5] }],
    ['sparseCategoricalCrossentropy', 'sparse', { ignoreIndex: -100, classWeight: [1, 2, 0.5] }],
    ['categoricalFocalCrossentropy', 'dense', { gamma: 0.5, labelSmoothing: 0.1 }],
    ['polyCrossentropy', 'dense', {}],
    ['polyCrossentropy', 'dense1', {}],
    ['generalizedCrossentropy', 'dense', { q: 0.3 }],
    ['generalizedCrossentropy', 'dense1', { q: 0.3 }],
  ];
  for (const [name, kind, options] of cases) {
    for (const logits of [true, false]) {
      test(`${name} ${JSON.stringify(options)} ${logits ? 'logits ±1e4' : 'probabilities 0 and 1'}`, () => {
        const [y, x, p] = extremes[kind];
        const yTrue = tf.tensor(y, undefined, kind === 'sparse' ? 'int32' : 'float32');
        const yPred = tf.tensor(logits ? x : p);
        const loss = make(name, { ...options, fromLogits: logits, reduction: 'none' });
        const value = values(loss(yTrue, yPred));
        assert.ok(value.every(Number.isFinite), `value ${value}`);
        const grad = values(tf.grad((t: tf.Tensor) => tf.sum(loss(yTrue, t)) as tf.Scalar)(yPred));
        assert.ok(grad.every(Number.isFinite), `gradient ${grad}`);
      });
    }
  }

  test('a confidently wrong logit of 1e4 costs about 1e4 (linear, not clipped)', () => {
    const v = losses.binaryCrossentropy({ fromLogits: true, reduction: 'none' })(tf.tensor1d([0]), tf.tensor1d([1e4]));
    assertClose(v, 1e4);
    const ce = losses.sparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' })(tf.tensor1d([1], 'int32'), tf.tensor2d([[1e4, -1e4]]));
    assertClose(ce, 2e4);
  });
});

describe('bad inputs raise LossInputError naming the argument', () => {
  test('probabilities outside [0, 1] and labels outside [0, 1]', () => {
    assertLossInputError(() => losses.binaryCrossentropy()([[1, 0]], [[1.2, 0.5]]), 'yPred', undefined, 'binaryCrossentropy');
    assertLossInputError(() => losses.categoricalCrossentropy()([[1, 0]], [[-0.1, 0.5]]), 'yPred', undefined, 'categoricalCrossentropy');
    assertLossInputError(() => losses.sparseCategoricalCrossentropy()([0], [[2, 0.5]]), 'yPred', undefined, 'sparseCategoricalCrossentropy');
    assertLossInputError(() => losses.binaryFocalCrossentropy()([[1.5, 0]], [[0.2, 0.5]]), 'yTrue', undefined, 'binaryFocalCrossentropy');
    assertLossInputError(() => losses.polyCrossentropy({ fromLogits: true })([[2, 0]], [[0.2, 0.5]]), 'yTrue', undefined, 'polyCrossentropy');
    assertLossInputError(() => losses.generalizedCrossentropy()([[1, 0]], [[0.2, Number.NaN]]), 'yPred', undefined, 'generalizedCrossentropy');
    // The message tells the user about fromLogits.
    assert.throws(() => losses.categoricalFocalCrossentropy()([[1, 0]], [[3, -1]]), /fromLogits: true/);
  });

  test('sparse labels out of range, negative or non-integer', () => {
    const loss = losses.sparseCategoricalCrossentropy({ fromLogits: true });
    const x = [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]];
    assertLossInputError(() => loss([0, 3], x), 'yTrue', undefined, 'sparseCategoricalCrossentropy');
    assertLossInputError(() => loss([0, -1], x), 'yTrue', undefined, 'sparseCategoricalCrossentropy');
    assertLossInputError(() => loss([0, 1.5], x), 'yTrue', undefined, 'sparseCategoricalCrossentropy');
    assertLossInputError(() => losses.sparseCategoricalCrossentropy({ ignoreIndex: -100 })([0, -99], x), 'yTrue', undefined, 'sparseCategoricalCrossentropy');
    assertLossInputError(() => loss([[0, 1]], x), 'yTrue', undefined, 'sparseCategoricalCrossentropy');
  });

  test('shape mismatch and class axis out of range', () => {
    assertLossInputError(() => losses.categoricalCrossentropy()([[1, 0, 0]], [[0.5, 0.5]]), 'yTrue', undefined, 'categoricalCrossentropy');
    assertLossInputError(() => losses.categoricalCrossentropy({ axis: 2 })([[1, 0]], [[0.5, 0.5]]), 'options.axis', undefined, 'categoricalCrossentropy');
  });

  test('classWeight and posWeight of the wrong length', () => {
    assertLossInputError(() => losses.categoricalCrossentropy({ classWeight: [1, 2, 3] })([[1, 0]], [[0.5, 0.5]]), 'options.classWeight', undefined, 'categoricalCrossentropy');
    assertLossInputError(() => losses.sparseCategoricalCrossentropy({ classWeight: [1] })([0], [[0.5, 0.5]]), 'options.classWeight', undefined, 'sparseCategoricalCrossentropy');
    assertLossInputError(() => losses.binaryCrossentropy({ posWeight: [1, 2] })([[1, 0, 1]], [[0.5, 0.5, 0.5]]), 'options.posWeight', undefined, 'binaryCrossentropy');
  });

  test('bad options throw at construction', () => {
    const bad: [string, Record<string, unknown>, string][] = [
      ['binaryCrossentropy', { labelSmoothing: 1.5 }, 'options.labelSmoothing'],
      ['binaryCrossentropy', { labelSmoothing: -0.1 }, 'options.labelSmoothing'],
      ['binaryCrossentropy', { posWeight: -1 }, 'options.posWeight'],
      ['binaryCrossentropy', { posWeight: [] }, 'options.posWeight'],
      ['binaryCrossentropy', { fromLogits: 'yes' }, 'options.fromLogits'],
      ['categoricalCrossentropy', { labelSmoothing: 1.5 }, 'options.labelSmoothing'],
      ['categoricalCrossentropy', { classWeight: [1, -2] }, 'options.classWeight'],
      ['categoricalCrossentropy', { axis: 0.5 }, 'options.axis'],
      ['sparseCategoricalCrossentropy', { ignoreIndex: 1.5 }, 'options.ignoreIndex'],
      ['sparseCategoricalCrossentropy', { labelSmoothing: 0.1 }, 'options.labelSmoothing'],
      ['binaryFocalCrossentropy', { gamma: -1 }, 'options.gamma'],
      ['binaryFocalCrossentropy', { alpha: 1.5 }, 'options.alpha'],
      ['binaryFocalCrossentropy', { labelSmoothing: 2 }, 'options.labelSmoothing'],
      ['categoricalFocalCrossentropy', { gamma: Number.NaN }, 'options.gamma'],
      ['polyCrossentropy', { epsilon: -2 }, 'options.epsilon'],
      ['generalizedCrossentropy', { q: 0 }, 'options.q'],
      ['generalizedCrossentropy', { q: 1.5 }, 'options.q'],
      ['generalizedCrossentropy', { reduction: 'avg' }, 'options.reduction'],
    ];
    for (const [name, options, argument] of bad) assertLossInputError(() => make(name, options), argument, undefined, name);
  });
});

describe('no leaks', () => {
  for (const [name, kind, grid] of GRIDS) {
    test(`${name} on ${kind}: call and gradient`, () => {
      const [yTrue, logits, probs] = inputs(kind);
      const options = combinations(grid).at(-1)!;
      const loss = make(name, options);
      const yPred = options.fromLogits ? logits : probs;
      const sampleWeight = Array.from({ length: yTrue.shape[0]! }, (_, i) => 0.5 + i);
      assertNoLeak(() => loss(yTrue, yPred, { sampleWeight }));
      assertNoLeak(() => tf.grad((p: tf.Tensor) => loss(yTrue, p) as tf.Scalar)(yPred));
      tf.dispose([yTrue, logits, probs]);
    });
  }

  test('an error thrown inside the math (posWeight length) leaves nothing behind', () => {
    const yTrue = tf.tensor2d([[1, 0, 1]]);
    const yPred = tf.tensor2d([[0.5, 0.5, 0.5]]);
    const before = tf.memory().numTensors;
    assert.throws(() => losses.binaryCrossentropy({ posWeight: [1, 2] })(yTrue, yPred), LossInputError);
    assert.throws(() => losses.sparseCategoricalCrossentropy()([5], yPred), LossInputError);
    assert.equal(tf.memory().numTensors, before);
  });
});

// ───────────────────────────── smoothLabels and safeSoftmaxCrossentropy ─────────────────────────────

describe('smoothLabels', () => {
  type Nested = number | Nested[];
  const flatten = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flatten) : [x]);
  const { smoothLabels: cases } = loadFixture<{ smoothLabels: { labels: Nested; alpha: number; value: Nested }[] }>('catalog-classification2');

  test('matches Optax smooth_labels: (1 − α)·y + α/K over the last axis', () => {
    for (const c of cases) {
      const labels = tf.tensor(c.labels as number[]);
      assertNoLeak(() => {
        const out = losses.smoothLabels(labels, c.alpha);
        assertClose(out, flatten(c.value), { rtol: 1e-6 }, `alpha ${c.alpha}`);
        return out;
      });
      assert.ok(!labels.isDisposed);
      labels.dispose();
    }
  });

  test('bad alpha or labels are LossInputErrors', () => {
    assertLossInputError(() => losses.smoothLabels([[0, 1]], 1.5), 'alpha');
    assertLossInputError(() => losses.smoothLabels([[0, 1]], NaN), 'alpha');
    assertLossInputError(() => losses.smoothLabels('labels' as never, 0.1), 'labels');
    assertLossInputError(() => losses.smoothLabels(3 as never, 0.1), 'labels', /rank/);
    assertLossInputError(() => losses.smoothLabels([[0, NaN]], 0.1), 'labels', /finite/);
  });
});

describe('safeSoftmaxCrossentropy', () => {
  for (const backend of BACKENDS) {
    test(`largest errors against the references on ${backend} (diagnostic)`, async (t) => {
      await useBackend(backend);
      for (const line of formatErrors(goldenErrors('catalog-classification2', ['safeSoftmaxCrossentropy']))) t.diagnostic(line);
      await useBackend('cpu');
    });
  }

  test('−Infinity logits: finite loss, zero gradient there, the softmax over the other classes', () => {
    const y = tf.tensor2d([[0.25, 0.75, 0], [0, 1, 0]]);
    const x = tf.tensor2d([[0.5, -1, -Infinity], [-Infinity, 2, 1]]);
    const loss = losses.safeSoftmaxCrossentropy({ reduction: 'sum' });
    const expected = losses.categoricalCrossentropy({ fromLogits: true, reduction: 'none' });
    const v1 = expected(tf.tensor2d([[0.25, 0.75]]), tf.tensor2d([[0.5, -1]])).dataSync()[0]!;
    const v2 = expected(tf.tensor2d([[1, 0]]), tf.tensor2d([[2, 1]])).dataSync()[0]!;
    assertClose(loss(y, x), v1 + v2);
    const g = tf.grad((p: tf.Tensor) => loss(y, p) as tf.Scalar)(x).arraySync() as number[][];
    assert.ok(g[0]![2] === 0 && g[1]![0] === 0, `${g}`);
    assert.ok(g.flat().every(Number.isFinite), `${g}`);
    assert.ok(gradCheck(losses.safeSoftmaxCrossentropy(), tf.tensor2d([[0.2, 0.8, 0]]), tf.tensor2d([[0.3, -0.4, 0.9]])).passed);
  });

  test('rows with no finite logit, or target mass on a −Infinity logit, are LossInputErrors naming yPred', () => {
    const loss = losses.safeSoftmaxCrossentropy();
    const allMasked = tf.tensor2d([[1, 0], [-Infinity, -Infinity]]);
    const targets = tf.tensor2d([[1, 0], [0, 1]]);
    assertNoLeak(() => assertLossInputError(() => loss(targets, allMasked), 'yPred', /row 1 all −Infinity/));
    assertLossInputError(() => loss(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, -Infinity]])), 'yPred', /−Infinity under target 1/);
    assertLossInputError(() => loss(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, Infinity]])), 'yPred');
    assertLossInputError(() => loss(tf.tensor2d([[0, 1.5]]), tf.tensor2d([[0, 1]])), 'yTrue');
    tf.dispose([allMasked, targets]);
  });
});
