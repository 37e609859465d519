/**
 * `call.where` (src/core/loss.ts, validate.ts `broadcastWhere`): the per-element mask of every layout that has
 * per-element structure, on cpu and wasm. Golden values against PyTorch live in test/fixtures/catalog-where.json
 * and catalog-segmentation2.json (golden.test.ts); this file checks the semantics as identities (an excluded
 * entry is as if it were not there), the zero gradient of excluded entries, the fused kernels standing aside,
 * how where meets mask and sampleWeight, bad inputs and leaks. Tuple class axes of the dense layout are here too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { withFused } from '../helpers/fused.js';
import { seeded } from '../helpers/random.js';
import { fusedKernelsReady, losses } from '../../src/index.js';

const uniform = (shape: number[], lo: number, hi: number, seed: number) => {
  const r = seeded(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * r()), shape);
};
const bits = (shape: number[], seed: number, p = 0.6) => {
  const r = seeded(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() < p ? 1 : 0)), shape);
};
const scalar = (t: tf.Tensor) => t.dataSync()[0]!;

for (const backend of BACKENDS) {
  describe(`call.where on ${backend}`, () => {
    test('elementwise: a sample is the mean over its kept entries; a sample with none is out of the count', async () => {
      await useBackend(backend);
      const yTrue = tf.tensor2d([[1, 2, 3], [4, 5, 6], [0, 0, 0]]);
      const yPred = tf.tensor2d([[2, 2, 5], [4, 9, 6], [7, 7, 7]]);
      const where = tf.tensor2d([[1, 0, 1], [0, 1, 0], [0, 0, 0]]);
      const mse = losses.meanSquaredError();
      // Kept entries: sample 0 → (1 + 4)/2, sample 1 → 16/1, sample 2 → none.
      assertClose(losses.meanSquaredError({ reduction: 'none' })(yTrue, yPred, { where }), [2.5, 16, 0]);
      assertClose(mse(yTrue, yPred, { where }), (2.5 + 16) / 2);
      // The same as computing the loss on the kept entries alone.
      const alone = (t: number[], p: number[]) => scalar(mse(tf.tensor2d([t]), tf.tensor2d([p])));
      assertClose(mse(yTrue, yPred, { where }), (alone([1, 3], [2, 5]) + alone([5], [9])) / 2);
      // Booleans work, and a broadcast mask ([K]) is the same mask for every sample.
      assertClose(mse(yTrue, yPred, { where: tf.tensor1d([true, false, true], 'bool') }), scalar(mse(tf.gather(yTrue, [0, 2], 1), tf.gather(yPred, [0, 2], 1))));
    });

    test('where × mask × sampleWeight: weights multiply, counts take samples kept by both', async () => {
      await useBackend(backend);
      const yTrue = tf.zeros([3, 2]);
      const yPred = tf.tensor2d([[1, 3], [2, 2], [4, 4]]);
      const where = tf.tensor2d([[1, 1], [1, 0], [0, 0]]);
      const call = { where, mask: [1, 1, 1], sampleWeight: [1, 3, 5] };
      // Per sample: 5, 4, (none). mean: (1·5 + 3·4)/2 samples; weightedMean: /(1 + 3); sum: 17.
      assertClose(losses.meanSquaredError()(yTrue, yPred, call), 17 / 2);
      assertClose(losses.meanSquaredError({ reduction: 'weightedMean' })(yTrue, yPred, call), 17 / 4);
      assertClose(losses.meanSquaredError({ reduction: 'sum' })(yTrue, yPred, call), 17);
      assertClose(losses.meanSquaredError()(yTrue, yPred, { ...call, mask: [0, 1, 1] }), 12 / 1);
      // Everything excluded: 0, not NaN.
      assertClose(losses.meanSquaredError()(yTrue, yPred, { where: tf.zeros([3, 2]) }), 0);
    });

    test('excluded entries get a zero gradient, kept ones the gradient of the kept-only loss', async () => {
      await useBackend(backend);
      const yTrue = uniform([4, 5], -1, 1, 1);
      const yPred = uniform([4, 5], -2, 2, 2);
      const where = bits([4, 5], 3);
      for (const loss of [losses.huber({ reduction: 'sum' }), losses.binaryCrossentropy({ fromLogits: true, reduction: 'sum' })]) {
        const target = loss.name === 'binaryCrossentropy' ? bits([4, 5], 4, 0.5) : yTrue;
        const g = tf.grad((p: tf.Tensor) => loss(target, p, { where }))(yPred);
        const values = g.dataSync();
        where.dataSync().forEach((w, i) => {
          if (w === 0) assert.ok(values[i] === 0, `${loss.name}: entry ${i} is excluded, gradient ${values[i]}`);
        });
        // A kept entry of a sample with k kept entries: the gradient of its own term, divided by k.
        const perElement = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(loss(target, p, { where: tf.ones([4, 5]) }), 1)))(yPred).dataSync();
        const kept = tf.sum(where, 1).dataSync();
        where.dataSync().forEach((w, i) => {
          if (w === 1) assertClose(values[i]!, (perElement[i]! * 5) / kept[Math.floor(i / 5)]!, { rtol: 1e-5, atol: 1e-6 }, `${loss.name} grad ${i}`);
        });
      }
    });

    test('the fused kernels stand aside under where (same values as the composite path)', async () => {
      await useBackend(backend);
      await fusedKernelsReady();
      const yTrue = bits([64, 80], 5, 0.5);
      const yPred = uniform([64, 80], -3, 3, 6); // 5120 elements: above the fused threshold
      const where = bits([64, 80], 7);
      for (const loss of [losses.binaryCrossentropy({ fromLogits: true }), losses.meanSquaredError(), losses.binaryFocalCrossentropy({ fromLogits: true })]) {
        const fused = withFused(true, () => loss(yTrue, yPred, { where }));
        const composite = withFused(false, () => loss(yTrue, yPred, { where }));
        assertClose(fused, composite.dataSync(), { rtol: 1e-6 }, loss.name);
        // And without where, the same inputs give a different value (where is not ignored).
        assert.notEqual(scalar(withFused(true, () => loss(yTrue, yPred))), scalar(fused));
      }
    });

    test('dense and sparse: where keeps or drops whole positions, like a mask on the per-position losses', async () => {
      await useBackend(backend);
      const logits = uniform([2, 3, 4], -2, 2, 8); // [B, L, C]
      const labels = tf.tensor2d([[0, 3, 1], [2, 2, 0]]);
      const keep = tf.tensor2d([[1, 0, 1], [1, 1, 0]]);
      const sparse = losses.sparseCategoricalCrossentropy({ fromLogits: true });
      assertClose(sparse(labels, logits, { where: tf.expandDims(keep, -1) }), scalar(sparse(labels, logits, { mask: keep })), { rtol: 1e-6 });
      const dense = losses.categoricalCrossentropy({ fromLogits: true, axis: 1 }); // [B, C, L]
      const oneHot = tf.transpose(tf.oneHot(tf.cast(labels, 'int32'), 4), [0, 2, 1]);
      const where = tf.broadcastTo(tf.expandDims(keep, 1), [2, 4, 3]);
      assertClose(dense(oneHot, tf.transpose(logits, [0, 2, 1]), { where }), scalar(sparse(labels, logits, { mask: keep })), { rtol: 1e-5 });
      assertLossInputError(() => dense(oneHot, tf.transpose(logits, [0, 2, 1]), { where: bits([2, 4, 3], 9, 0.5) }), 'call.where', /same value along the class axis/);
    });

    test('region: where removes pixels from every count, like cutting them out', async () => {
      await useBackend(backend);
      const masks = bits([1, 2, 4, 1], 10, 0.5);
      const probs = uniform([1, 2, 4, 1], 0.1, 0.9, 11);
      const where = tf.tensor4d([[[[1], [1], [1], [0]], [[1], [1], [1], [0]]]]); // the last column excluded
      const cut = (x: tf.Tensor) => tf.slice(x, [0, 0, 0, 0], [1, 2, 3, 1]);
      for (const name of ['dice', 'jaccard', 'mcc', 'generalizedDice', 'lovaszHinge']) {
        const loss = losses.get(name);
        const input = name === 'lovaszHinge' ? tf.sub(tf.mul(probs, 4), 2) : probs;
        assertClose(loss(masks, input, { where }), scalar(loss(cut(masks), cut(input))), { rtol: 1e-5 }, name);
      }
    });

    test('bad where masks are LossInputErrors naming call.where', async () => {
      await useBackend(backend);
      const yTrue = tf.zeros([2, 3]);
      const yPred = tf.zeros([2, 3]);
      const mse = losses.meanSquaredError();
      assertLossInputError(() => mse(yTrue, yPred, { where: tf.ones([3, 3]) }), 'call.where', /broadcasts to yPred's shape \[2,3\]/);
      assertLossInputError(() => mse(yTrue, yPred, { where: tf.ones([2, 3, 1]) }), 'call.where');
      assertLossInputError(() => mse(yTrue, yPred, { where: [[1, 0.5, 1], [1, 1, 1]] }), 'call.where', /0 or 1/);
      assertLossInputError(() => mse(yTrue, yPred, { where: 'all' as never }), 'call.where');
      assertLossInputError(() => losses.tripletMargin()([0, 0], tf.zeros([2, 3]), { where: tf.ones([2, 3]) }), 'call.where', /call\.mask/);
      assertLossInputError(() => losses.ctc()(tf.zeros([1, 1]), tf.zeros([1, 2, 3]), { where: tf.ones([1, 2, 3]) }), 'call.where');
    });

    test('no leaks, an empty batch, one example without its batch axis', async () => {
      await useBackend(backend);
      const yTrue = uniform([3, 4], 0, 1, 12);
      const yPred = uniform([3, 4], 0, 1, 13);
      const where = bits([3, 4], 14);
      assertNoLeak(() => losses.meanSquaredError()(yTrue, yPred, { where }));
      const [masks, probs, pixels, tooLong] = [tf.round(yTrue.reshape([1, 3, 4, 1])), yPred.reshape([1, 3, 4, 1]), where.reshape([1, 3, 4, 1]), tf.ones([5])];
      assertNoLeak(() => tf.grad((p: tf.Tensor) => losses.dice({ mode: 'multilabel' })(masks, p, { where: pixels }))(probs));
      assertNoLeak(() => {
        try {
          losses.meanSquaredError()(yTrue, yPred, { where: tooLong });
        } catch {
          // the error is the point; nothing may leak
        }
      });
      assert.deepEqual(losses.meanSquaredError({ reduction: 'none' })(tf.zeros([0, 4]), tf.zeros([0, 4]), { where: tf.ones([4]) }).shape, [0]);
      assertClose(losses.meanSquaredError()(tf.zeros([0, 4]), tf.zeros([0, 4]), { where: tf.ones([0, 4]) }), 0);
      assertClose(losses.meanSquaredError()([1, 2, 3], [2, 2, 7], { where: [1, 0, 0] }), 1);
    });
  });
}

describe('tuple class axes (dense layout)', () => {
  test('axis [1, 2] is the flattened class axis; classWeight has one weight per flattened class', async () => {
    await useBackend('cpu');
    const logits = uniform([3, 2, 3], -2, 2, 20);
    const targets = tf.oneHot(tf.tensor1d([0, 4, 5], 'int32'), 6).reshape([3, 2, 3]);
    const flat = losses.categoricalCrossentropy({ fromLogits: true, classWeight: [1, 2, 3, 4, 5, 6], reduction: 'weightedMean' });
    const tuple = losses.categoricalCrossentropy({ fromLogits: true, axis: [1, 2], classWeight: [1, 2, 3, 4, 5, 6], reduction: 'weightedMean' });
    assertClose(tuple(targets, logits), scalar(flat(targets.reshape([3, 6]), logits.reshape([3, 6]))), { rtol: 1e-6 });
    const cosine = losses.cosineSimilarity({ axis: [1, 2], reduction: 'none' });
    assertClose(cosine(targets, logits), losses.cosineSimilarity({ reduction: 'none' })(targets.reshape([3, 6]), logits.reshape([3, 6])).dataSync(), { rtol: 1e-6 });
    assert.deepEqual(tuple.getConfig().axis, [1, 2]);
    assert.deepEqual(losses.fromConfig(tuple.getConfig()).options.axis, [1, 2]);
  });

  test('bad tuples are LossInputErrors', async () => {
    await useBackend('cpu');
    const x = tf.zeros([2, 2, 3]);
    assertLossInputError(() => losses.categoricalCrossentropy({ axis: [1, 1] }), 'options.axis', /distinct/);
    assertLossInputError(() => losses.categoricalCrossentropy({ axis: [] }), 'options.axis');
    assertLossInputError(() => losses.categoricalCrossentropy({ axis: [1.5] }), 'options.axis');
    assertLossInputError(() => losses.categoricalCrossentropy({ axis: [1, 3] })(x, x), 'options.axis', /\[-3, 2\]/);
    assertLossInputError(() => losses.categoricalCrossentropy({ axis: [2, -1] })(x, x), 'options.axis', /distinct/);
    assertLossInputError(() => losses.categoricalCrossentropy({ axis: [1, 2], classWeight: [1, 2, 3] })(x, x), 'options.classWeight', /one weight per class \(6, the product/);
  });
});
