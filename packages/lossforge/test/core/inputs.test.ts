/**
 * The input rules of the Loss contract (docs/inputs.md, src/core/loss.ts), each on the cpu and wasm
 * backends, fused kernels on and off where they apply: the exact cases of issue 13, plus every
 * registered loss for the empty batch. The fuzz suite (test/losses/fuzz.test.ts) covers the rest.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { generateCase, type Nested } from '../helpers/lossInputs.js';
import { seeded } from '../helpers/random.js';
import { losses, LossInputError, setValueChecks, type Loss } from '../../src/index.js';
import { fusedKernelsReady, setFusedKernels, setFusedThreshold } from '../../src/kernels/index.js';

const shapeOf = (x: Nested): number[] => (Array.isArray(x) ? [x.length, ...(x.length > 0 ? shapeOf(x[0]!) : [])] : []);

/** value and gradient (with respect to yPred) of `loss` on tensors. */
function valueAndGrad(loss: Loss, yTrue: tf.Tensor | Nested, yPred: tf.Tensor): { value: number[]; grad: number[]; shape: number[] } {
  return tf.tidy(() => {
    const value = loss(yTrue as never, yPred);
    const grad = tf.grad((p: tf.Tensor) => tf.sum(loss(yTrue as never, p)) as tf.Scalar)(yPred);
    return { value: Array.from(value.dataSync()), grad: Array.from(grad.dataSync()), shape: value.shape };
  });
}

function onBothPaths(run: (fused: boolean) => void): void {
  for (const fused of [true, false]) {
    const previous = setFusedKernels(fused);
    try {
      run(fused);
    } finally {
      setFusedKernels(previous);
    }
  }
}

const threshold = setFusedThreshold(0);
after(() => setFusedThreshold(threshold));

for (const backend of BACKENDS) {
  describe(`input rules on ${backend}`, () => {
    test('setup', async () => {
      await useBackend(backend);
      await fusedKernelsReady();
    });

    test('a non-finite prediction or target is a LossInputError naming the argument and the index', () => {
      onBothPaths(() => {
        assertLossInputError(() => losses.meanSquaredError()(tf.tensor2d([[1]]), tf.tensor2d([[NaN]])), 'yPred', /got NaN at index \[0,0\]/);
        assertLossInputError(() => losses.hinge()([[1, -1]], [[0.5, Infinity]]), 'yPred', /got Infinity at index \[0,1\]/);
        assertLossInputError(() => losses.cosineSimilarity()([[1, 2]], [[-Infinity, 1]]), 'yPred', /at index \[0,0\]/);
        assertLossInputError(() => losses.binaryCrossentropy({ fromLogits: true })([[1, 0]], [[2, NaN]]), 'yPred', /at index \[0,1\]/);
        assertLossInputError(() => losses.huber()([[1, NaN]], [[0.5, 1]]), 'yTrue', /got NaN at index \[0,1\]/);
      });
    });

    test('with value checks off, non-finite inputs are the caller\'s: the value is computed as is, no error', () => {
      const previous = setValueChecks(false);
      try {
        assert.ok(Number.isNaN(losses.meanSquaredError()(tf.tensor2d([[1]]), tf.tensor2d([[NaN]])).dataSync()[0]));
      } finally {
        setValueChecks(previous);
      }
    });

    test('a ragged array is a LossInputError naming the argument', () => {
      assertNoLeak(() => assertLossInputError(() => losses.meanSquaredError()([[1, 0, 1], [0, 1]], [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]), 'yTrue', /row of 2 entries at index \[1\]/));
      assertLossInputError(() => losses.categoricalCrossentropy()([[1, 0], [0, 1]], [[0.5, 0.5], [0.5]]), 'yPred', /rectangular/);
      assertLossInputError(() => losses.meanSquaredError()([[1, 0], [0, 1]], [[0.5, 0.5], 0.5] as never), 'yPred', /rectangular/);
      assertLossInputError(() => losses.meanSquaredError()([[1, 0], [0, 1]], [[0.5, null], [1, 1]] as never), 'yPred', /null at index \[0,1\]/);
    });

    test('an empty batch: 0 for sum, mean and weightedMean, [0] for none, a zero gradient, on every loss', () => {
      for (const name of losses.list()) {
        const made = generateCase(name, { batch: 1, width: 3 }, seeded(1));
        const shape = (x: Nested[]) => [0, ...shapeOf(x[0]!)];
        const yTrue = tf.zeros(shape(made.yTrue), made.yTrueDtype);
        const yPred = tf.zeros(shape(made.yPred));
        onBothPaths((fused) => {
          for (const reduction of ['sum', 'mean', 'weightedMean', 'none'] as const) {
            const loss = losses.fromConfig({ name, ...made.options, reduction } as never);
            assertNoLeak(() => {
              const { value, grad, shape: outShape } = valueAndGrad(loss, yTrue, yPred);
              const what = `${name} ${reduction} (fused ${fused})`;
              if (reduction === 'none') assert.equal(outShape[0], 0, `${what}: shape ${outShape}`);
              else assert.deepEqual(value, [0], what);
              assert.equal(grad.length, 0, what);
            }, name);
            loss.dispose?.(); // a loss with trainable state owns variables
          }
        });
        tf.dispose([yTrue, yPred]);
      }
    });

    test('size 1: tripletMargin with a batch of one is 0 (no triplet), sparse CE with one class is −log 1 = 0', () => {
      for (const mining of ['batchHard', 'semiHard', 'batchAll'] as const) {
        const { value, grad } = valueAndGrad(losses.tripletMargin({ mining }), tf.tensor1d([0]), tf.tensor2d([[0.3, -1]]));
        assert.deepEqual([value, grad], [[0], [0, 0]], mining);
      }
      onBothPaths((fused) => {
        for (const fromLogits of [true, false]) {
          const { value, grad } = valueAndGrad(losses.sparseCategoricalCrossentropy({ fromLogits }), tf.tensor1d([0, 0], 'int32'), tf.tensor2d([[fromLogits ? 3 : 1], [fromLogits ? -2 : 1]]));
          assertClose(value, [0], {}, `fused ${fused}, fromLogits ${fromLogits}`);
          assertClose(grad, [0, 0], {}, `fused ${fused}, fromLogits ${fromLogits} gradient`);
        }
      });
    });

    test('a −Infinity logit: a LossInputError on both paths; with value checks off both give PyTorch\'s value', () => {
      const loss = losses.sparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' });
      onBothPaths(() => assertLossInputError(() => loss([0, 0], [[0, 0, -Infinity], [0, -Infinity, 1]]), 'yPred', /-Infinity at index \[0,2\]/));
      const previous = setValueChecks(false);
      try {
        // PyTorch 1.13 F.cross_entropy (float64): [0, 0, −inf] → 0.6931471805599453 (log 2), [0, −inf] → 0.
        onBothPaths((fused) => {
          assertClose(loss([0, 0], [[0, 0, -Infinity], [0, -Infinity, -Infinity]]), [Math.LN2, 0], {}, `fused ${fused}`);
        });
      } finally {
        setValueChecks(previous);
      }
    });

    test('a long row: composite and fused BCE over 1×100,000 logits of ±1e4 is 5000 to 1e-6 relative', () => {
      const logits = tf.tensor2d(Float32Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? 1e4 : -1e4)), [1, 100_000]);
      const labels = tf.ones([1, 100_000]);
      onBothPaths((fused) => {
        assertClose(losses.binaryCrossentropy({ fromLogits: true })(labels, logits), 5000, { rtol: 1e-6, atol: 0 }, `fused ${fused}`);
        assertClose(losses.binaryCrossentropy({ fromLogits: true, reduction: 'sum' })(labels, logits), 5000, { rtol: 1e-6, atol: 0 }, `fused ${fused}, sum`);
      });
      tf.dispose([logits, labels]);
    });

    test('overflow-safe norms and distances: embeddings up to 1e30 give the scale-1 values and gradients', () => {
      const x = tf.tensor2d([[1, -2, 0.5], [0.3, 1, 1], [-1, 0, 2], [2, 2, -1]]);
      const labels = tf.tensor1d([0, 0, 1, 1]);
      const pairs = tf.stack([x.slice([0, 0], [2, 3]), x.slice([2, 0], [2, 3])], 1);
      const cases: [string, Loss, tf.Tensor | number[], tf.Tensor, number, number][] = [
        // [name, loss, yTrue, yPred, degree of homogeneity of the value, of the gradient]
        ['cosineSimilarity', losses.cosineSimilarity(), x, x.reverse(0), 0, -1],
        ['ntXent', losses.ntXent(), labels, x, 0, -1],
        ['cosineEmbedding', losses.cosineEmbedding(), [1, -1], pairs, 0, -1],
        ['tripletMargin euclidean, margin 0', losses.tripletMargin({ margin: 0, mining: 'batchAll' }), labels, x, 1, 0],
        ['tripletMargin cosine', losses.tripletMargin({ distance: 'cosine' }), labels, x, 0, -1],
        ['contrastive, margin 0 (squared distances: up to 1e19)', losses.contrastive({ margin: 0 }), labels, x, 2, 1],
      ];
      for (const [name, loss, yTrue, yPred, valueDegree, gradDegree] of cases) {
        const base = valueAndGrad(loss, yTrue as tf.Tensor, yPred);
        for (const scale of name.startsWith('contrastive') ? [1e10, 1e15] : [1e10, 1e20, 1e30]) {
          const scaled = tf.mul(yPred, scale);
          const { value, grad } = valueAndGrad(loss, yTrue as tf.Tensor, scaled);
          scaled.dispose();
          assertClose(value, base.value.map((v) => v * scale ** valueDegree), { rtol: 1e-4, atol: 1e-6 * scale ** valueDegree }, `${name} ×${scale} value`);
          assertClose(grad, base.grad.map((g) => g * scale ** gradDegree), { rtol: 1e-3, atol: 1e-5 * scale ** gradDegree }, `${name} ×${scale} gradient`);
        }
      }
      // Two parallel 1e20 vectors: cosine similarity −1 (issue 13: it was 0 with a zero gradient).
      assertClose(losses.cosineSimilarity()(tf.tensor2d([[1e20, 2e20]]), tf.tensor2d([[2e20, 4e20]])), -1);
      tf.dispose([x, labels, pairs]);
    });

    test('a throw inside tf.valueAndGrad leaves nothing behind, also after the math ran', () => {
      const yTrue = tf.tensor2d([[0, 1], [1, 0]]);
      const yPred = tf.tensor2d([[0.3, 0.7], [0.6, 0.4]]);
      const huge = tf.mul(yPred, 1e30);
      // (Only the loss's own ops: an op the caller runs before the loss inside the same tf.grad is
      // recorded on the tape too, and tfjs leaks what it saved when the forward pass throws.)
      const throwing: [string, (p: tf.Tensor) => tf.Tensor, tf.Tensor][] = [
        // the sampleWeight shape is only known to be wrong against the per-sample losses, after compute
        ['a sampleWeight of the wrong shape', (p) => losses.categoricalCrossentropy()(yTrue, p, { sampleWeight: [1, 1, 1] }), yPred],
        // the result overflows float32, found after the whole math
        ['an overflowing loss', (p) => losses.meanSquaredError()(yTrue, p), huge],
        ['a NaN in yTrue', (p) => losses.huber()([[0, NaN], [1, 0]], p), yPred],
      ];
      for (const [what, f, x] of throwing) {
        const before = tf.memory().numTensors;
        for (let i = 0; i < 50; i++) {
          assert.throws(() => tf.valueAndGrad((p: tf.Tensor) => tf.sum(f(p)) as tf.Scalar)(x), LossInputError, what);
        }
        assert.equal(tf.memory().numTensors, before, `${what}: leaked ${tf.memory().numTensors - before} tensors in 50 calls`);
      }
      tf.dispose([yTrue, yPred, huge]);
    });

    test('unbatched: one example without its batch axis is a batch of one (Keras), the same way on every layout', () => {
      const same = (a: tf.Tensor, b: tf.Tensor, what: string) => {
        assert.deepEqual(a.shape, b.shape, what);
        assertClose(a, Array.from(b.dataSync()), {}, what);
      };
      const none = { reduction: 'none' } as const;
      same(losses.meanSquaredError(none)(1, 0.5), losses.meanSquaredError(none)([1], [0.5]), 'elementwise: a scalar pair');
      same(losses.categoricalCrossentropy(none)([0, 1], [0.3, 0.7]), losses.categoricalCrossentropy(none)([[0, 1]], [[0.3, 0.7]]), 'dense: [C]');
      same(losses.sparseCategoricalCrossentropy(none)(1, [0.3, 0.7]), losses.sparseCategoricalCrossentropy(none)([1], [[0.3, 0.7]]), 'sparse: a label and [C]');
      same(losses.marginRanking(none)(1, [0.2, 0.5]), losses.marginRanking(none)([1], [[0.2, 0.5]]), 'custom (marginRanking): a target and [2]');
      same(losses.cosineEmbedding(none)(-1, [[1, 2], [2, 1]]), losses.cosineEmbedding(none)([-1], [[[1, 2], [2, 1]]]), 'custom (cosineEmbedding): [2, D]');
      same(losses.tripletMargin(none)(0, [1, 2]), losses.tripletMargin(none)([0], [[1, 2]]), 'custom (tripletMargin): one embedding');
      same(
        losses.ctc(none)(tf.tensor1d([1], 'int32'), tf.zeros([3, 2])),
        losses.ctc(none)(tf.tensor2d([[1]], [1, 1], 'int32'), tf.zeros([1, 3, 2])),
        'custom (ctc): labels [S] and logits [T, C]',
      );
      // Segmentation losses take [B, …spatial] of any rank: every input is a batch; rank 1 is refused.
      assertLossInputError(() => losses.dice()([1, 0], [0.5, 0.5]), 'yPred', /rank ≥ 2/);
    });
  });
}
