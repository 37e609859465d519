/**
 * src/losses/fenchelYoung.ts: sparsemax against the sorting algorithm (float64 torch, Jacobian by autograd
 * through the sort), and the behaviour of the Fenchel–Young losses beyond their golden values (which
 * test/fixtures/catalog-classification2.json holds and golden.test.ts runs on cpu and wasm).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { formatErrors, goldenErrors } from '../helpers/goldenErrors.js';
import { seeded } from '../helpers/random.js';
import { gradCheck, losses } from '../../src/index.js';

await useBackend('cpu');

type Nested = number | Nested[];
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
interface SparsemaxCase {
  scores: Nested;
  weights: Nested;
  value: Nested;
  grad: Nested;
  note: string;
}
const fixture = loadFixture<{ sparsemax: SparsemaxCase[] }>('catalog-classification2');
const FAMILY = ['fenchelYoung', 'multiclassSparsemax', 'multiclassPerceptron', 'binarySparsemax', 'perceptron'];
const none = { reduction: 'none' } as const;

const randomScores = (seed: number, rows: number, cols: number, scale = 2) => {
  const r = seeded(seed);
  return tf.tensor2d(Array.from({ length: rows * cols }, () => (r() * 2 - 1) * scale), [rows, cols]);
};

for (const backend of BACKENDS) {
  describe(`sparsemax matches the sorting algorithm on ${backend}`, () => {
    fixture.sparsemax.forEach((c, i) => {
      test(`${i}: ${c.note}`, async () => {
        await useBackend(backend);
        const z = tf.tensor(c.scores as number[]);
        const w = tf.tensor(c.weights as number[]);
        assertClose(losses.sparsemax(z), flat(c.value), { rtol: 1e-5, atol: 1e-6 });
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(losses.sparsemax(x), w)) as tf.Scalar)(z);
        assertClose(g, flat(c.grad), { rtol: 1e-3, atol: 1e-5 }, 'gradient');
        tf.dispose([z, w, g]);
      });
    });

    test('largest errors against the references (diagnostic)', async (t) => {
      await useBackend(backend);
      for (const line of formatErrors(goldenErrors('catalog-classification2', FAMILY))) t.diagnostic(line);
    });
  });
}

describe('sparsemax', () => {
  test('rows are distributions with exact zeros, and a single dominant score takes all the mass', () => {
    const p = losses.sparsemax(randomScores(1, 6, 5)).arraySync() as number[][];
    for (const row of p) {
      assertClose(row.reduce((a, b) => a + b, 0), 1, { rtol: 1e-6 });
      assert.ok(row.every((v) => v >= 0));
    }
    assert.deepEqual(losses.sparsemax(tf.tensor2d([[10, 0, -3]])).arraySync(), [[1, 0, 0]]);
    assertClose(losses.sparsemax(tf.tensor2d([[1e30, 1e30, -1e30]])), [0.5, 0.5, 0]);
  });

  test('leaves no tensors behind, value and gradient', () => {
    const z = randomScores(2, 3, 4);
    assertNoLeak(() => losses.sparsemax(z));
    assertNoLeak(() => tf.grad((x: tf.Tensor) => tf.sum(tf.square(losses.sparsemax(x))) as tf.Scalar)(z));
    z.dispose();
  });
});

describe('Fenchel–Young losses', () => {
  test('documented examples', () => {
    assertClose(losses.fenchelYoung()(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[1, 0.5, -1]])), 0.0625);
    assertClose(losses.multiclassSparsemax()(tf.tensor1d([0], 'int32'), tf.tensor2d([[1, 0.5, -1]])), 0.0625);
    assertClose(losses.multiclassPerceptron()(tf.tensor1d([1, 0], 'int32'), tf.tensor2d([[2, 1, 0], [2, 1, 0]])), 0.5);
    assertClose(losses.binarySparsemax()(tf.tensor2d([[1], [0]]), tf.tensor2d([[0], [2]])), 1.125);
    assertClose(losses.perceptron()(tf.tensor2d([[1], [-1]]), tf.tensor2d([[-0.5], [-2]])), 0.25);
  });

  test('non-negative, and zero exactly where the regularized prediction is the target', () => {
    const theta = randomScores(3, 8, 4);
    const y = tf.tensor2d(Array.from({ length: 8 }, (_, i) => [0, 1, 2, 3].map((c) => (c === i % 4 ? 1 : 0))));
    for (const regularizer of ['sparsemax', 'softmax', 'argmax'] as const) {
      const values = losses.fenchelYoung({ regularizer, ...none })(y, theta).dataSync();
      assert.ok(values.every((v) => v >= -1e-6), `${regularizer}: ${values}`);
    }
    // The prediction as the target: sparsemax(θ) and softmax(θ) give loss 0.
    const sparse = losses.fenchelYoung(none)(losses.sparsemax(theta), theta);
    assertClose(sparse, new Array(8).fill(0), { atol: 2e-6 });
    const soft = losses.fenchelYoung({ regularizer: 'softmax', ...none })(tf.softmax(theta), theta);
    assertClose(soft, new Array(8).fill(0), { atol: 2e-6 });
  });

  test('softmax regularizer = softmax cross-entropy minus the entropy of the target', () => {
    const theta = randomScores(4, 5, 3);
    const y = tf.softmax(randomScores(5, 5, 3));
    const fy = losses.fenchelYoung({ regularizer: 'softmax', ...none })(y, theta);
    const ce = losses.categoricalCrossentropy({ fromLogits: true, ...none })(y, theta);
    const entropy = tf.neg(tf.sum(tf.mul(y, tf.log(y)), -1));
    assertClose(fy, tf.sub(ce, entropy).dataSync(), { rtol: 1e-5, atol: 1e-6 });
  });

  test('the integer-label losses equal fenchelYoung with one-hot targets', () => {
    const theta = randomScores(6, 6, 4);
    const labels = tf.tensor1d([0, 3, 1, 2, 2, 0], 'int32');
    const oneHot = tf.oneHot(labels, 4).toFloat();
    assertClose(losses.multiclassSparsemax(none)(labels, theta), losses.fenchelYoung(none)(oneHot, theta).dataSync(), { atol: 1e-6 });
    assertClose(losses.multiclassPerceptron(none)(labels, theta), losses.fenchelYoung({ regularizer: 'argmax', ...none })(oneHot, theta).dataSync(), { atol: 1e-6 });
  });

  test('the class axis: axis 1 equals the transposed inputs with axis -1', () => {
    const theta = tf.reshape(randomScores(7, 2, 12), [2, 3, 4]);
    const y = tf.softmax(tf.reshape(randomScores(8, 2, 12), [2, 4, 3]), -1).transpose([0, 2, 1]);
    const moved = losses.fenchelYoung({ axis: 1, ...none })(y, theta);
    const last = losses.fenchelYoung(none)(y.transpose([0, 2, 1]), theta.transpose([0, 2, 1]));
    assertClose(moved, last.dataSync(), { atol: 1e-6 });
    const labels = tf.tensor2d([[0, 1, 2, 2], [1, 1, 0, 2]], undefined, 'int32');
    assert.deepEqual(losses.multiclassSparsemax({ axis: 1, ...none })(labels, theta).shape, [2, 4]);
  });

  test('gradCheck at moderate points', () => {
    const theta = randomScores(9, 4, 5, 1.5);
    const soft = tf.softmax(randomScores(10, 4, 5));
    for (const regularizer of ['sparsemax', 'softmax', 'argmax'] as const) {
      assert.ok(gradCheck(losses.fenchelYoung({ regularizer }), soft, theta).passed, regularizer);
    }
    const labels = tf.tensor1d([1, 0, 4, 2], 'int32');
    assert.ok(gradCheck(losses.multiclassSparsemax(), labels, theta).passed);
    assert.ok(gradCheck(losses.multiclassPerceptron(), labels, theta).passed);
    // Away from the kinks of sparse_plus (y·s = ±1) and of the perceptron (s = 0).
    const y = tf.tensor2d([[1, 0, 1], [0, 1, 1]]);
    const s = tf.tensor2d([[0.3, -2.2, 1.7], [0.6, -0.4, -1.5]]);
    assert.ok(gradCheck(losses.binarySparsemax(), y, s).passed);
    assert.ok(gradCheck(losses.perceptron(), y, s).passed);
  });

  test('config round trip and aliases', () => {
    const loss = losses.fenchelYoung({ regularizer: 'softmax', axis: 1 });
    assert.deepEqual(losses.fromConfig(loss.getConfig()).getConfig(), loss.getConfig());
    const pairs: [string, string][] = [
      ['multiclass_sparsemax_loss', 'multiclassSparsemax'], ['sparsemax_loss', 'binarySparsemax'], ['perceptron_loss', 'perceptron'],
      ['multiclass_perceptron_loss', 'multiclassPerceptron'], ['fenchel_young_loss', 'fenchelYoung'],
    ];
    for (const [alias, name] of pairs) assert.equal(losses.get(alias).name, name, alias);
  });

  test('defineFenchelYoungLoss: a regularizer of your own, and a bad one', () => {
    const { softmax } = losses.FENCHEL_YOUNG_REGULARIZERS;
    // The softmax regularizer written out by the user: Ω*(θ) = logsumexp θ, ŷ = softmax θ, Ω(y) = Σ y log y.
    const mine = losses.defineFenchelYoungLoss({
      name: 'testShannonFy',
      replace: true,
      regularizer: { conjugate: (t) => tf.logSumExp(t, -1), predict: (t) => tf.softmax(t), value: softmax.value },
    });
    const theta = randomScores(11, 3, 4);
    const y = tf.softmax(randomScores(12, 3, 4));
    assertClose(mine(none)(y, theta), losses.fenchelYoung({ regularizer: 'softmax', ...none })(y, theta).dataSync(), { atol: 1e-6 });
    assert.ok(gradCheck(mine(), y, theta).passed);
    assertLossInputError(() => losses.defineFenchelYoungLoss({ name: 'badFy', regularizer: { conjugate: () => tf.scalar(0) } as never }), 'definition.regularizer');
    assertLossInputError(() => losses.defineFenchelYoungLoss({ name: 'badFy', regularizer: undefined as never }), 'definition.regularizer');
  });

  test('bad inputs are LossInputErrors naming the argument', () => {
    const theta = tf.tensor2d([[0.1, 0.2, 0.3]]);
    assertLossInputError(() => losses.fenchelYoung({ regularizer: 'entmax' as never }), 'options.regularizer');
    assertLossInputError(() => losses.fenchelYoung()(tf.tensor2d([[0, 2, 0]]), theta), 'yTrue', /\[0, 1\]/);
    assertLossInputError(() => losses.fenchelYoung()(tf.tensor2d([[0, 1]]), theta), 'yTrue', /shape/);
    assertLossInputError(() => losses.fenchelYoung()(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0, NaN, 1]])), 'yPred');
    assertLossInputError(() => losses.multiclassSparsemax()(tf.tensor1d([3], 'int32'), theta), 'yTrue', /class indices in \[0, 2\]/);
    assertLossInputError(() => losses.multiclassPerceptron()(tf.tensor1d([0.5]), theta), 'yTrue');
    assertLossInputError(() => losses.binarySparsemax()(tf.tensor2d([[0, -1]]), tf.tensor2d([[1, 1]])), 'yTrue', /\{0, 1\} or all in \{-1, 1\}/);
    assertLossInputError(() => losses.perceptron()(tf.tensor2d([[2, 1]]), tf.tensor2d([[1, 1]])), 'yTrue');
    const outOfRange = tf.tensor1d([7], 'int32');
    assertNoLeak(() => assertLossInputError(() => losses.multiclassSparsemax()(outOfRange, theta), 'yTrue'));
  });

  test('no leaks, value and gradient', () => {
    const theta = randomScores(13, 4, 3);
    const y = tf.softmax(randomScores(14, 4, 3));
    for (const regularizer of ['sparsemax', 'softmax', 'argmax'] as const) {
      const loss = losses.fenchelYoung({ regularizer });
      assertNoLeak(() => loss(y, theta), regularizer);
      assertNoLeak(() => tf.grad((x: tf.Tensor) => loss(y, x) as tf.Scalar)(theta), `${regularizer} gradient`);
    }
  });
});
