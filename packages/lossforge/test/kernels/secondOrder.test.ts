/**
 * Second-order gradients through the fused losses (issue 14, item 3): the gradient of a gradient and a
 * Hessian-vector product, just below (4,095 elements) and at or above the fused threshold (4,096), on
 * cpu and wasm, equal the composite path's (`setFusedKernels(false)`) — the kernels' backward is not
 * differentiable, so a call that a higher-order tape can see takes the composite (src/kernels/higherOrder.ts).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { seeded } from '../helpers/random.js';
import { withFused } from '../helpers/fused.js';
import { losses } from '../../src/index.js';
import { fusedAvailable, fusedKernelsReady } from '../../src/kernels/index.js';
import { higherOrderGradientPossible } from '../../src/kernels/higherOrder.js';

type Inputs = (shape: number[], random: () => number) => [tf.Tensor, tf.Tensor];

const uniform = (n: number, random: () => number, lo: number, hi: number): number[] => Array.from({ length: n }, () => lo + (hi - lo) * random());
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** Targets in {0, 1} (soft for a third of them) and logits in [−4, 4]. */
const binaryLogits: Inputs = (shape, r) => [tf.tensor(uniform(size(shape), r, 0, 1).map((u) => (u < 0.33 ? u * 3 : u < 0.66 ? 0 : 1)), shape), tf.tensor(uniform(size(shape), r, -4, 4), shape)];
/** Probabilities in [0.05, 0.95]. */
const binaryProbs: Inputs = (shape, r) => [tf.tensor(uniform(size(shape), r, 0, 1).map((u) => (u < 0.5 ? 0 : 1)), shape), tf.tensor(uniform(size(shape), r, 0.05, 0.95), shape)];
/** Residuals in [−3, 3], so that huber and smoothL1 have entries on both sides of δ = β = 1. */
const regression: Inputs = (shape, r) => [tf.tensor(uniform(size(shape), r, -1, 1), shape), tf.tensor(uniform(size(shape), r, -3, 3), shape)];
/** One-hot targets (label smoothing adds the soft part) over the last axis and logits in [−4, 4]. */
const oneHot: Inputs = (shape, r) => {
  const k = shape[shape.length - 1]!;
  const labels = uniform(size(shape) / k, r, 0, k).map(Math.floor);
  return [tf.oneHot(tf.tensor1d(labels, 'int32'), k).reshape(shape), tf.tensor(uniform(size(shape), r, -4, 4), shape)];
};
const sparse: Inputs = (shape, r) => {
  const k = shape[shape.length - 1]!;
  return [tf.tensor(uniform(size(shape) / k, r, 0, k).map(Math.floor), shape.slice(0, -1), 'int32'), tf.tensor(uniform(size(shape), r, -4, 4), shape)];
};

/** Every loss with a fused kernel, with options that exercise its kernel (fused.ts). */
const CASES: { name: string; options: object; inputs: Inputs; classes?: boolean }[] = [
  { name: 'binaryCrossentropy', options: { fromLogits: true, labelSmoothing: 0.1 }, inputs: binaryLogits },
  { name: 'binaryCrossentropy', options: { fromLogits: false }, inputs: binaryProbs },
  { name: 'binaryFocalCrossentropy', options: { fromLogits: true, gamma: 2, alpha: 0.25, applyClassBalancing: true }, inputs: binaryLogits },
  { name: 'binaryFocalCrossentropy', options: { fromLogits: false, gamma: 1.5 }, inputs: binaryProbs },
  { name: 'meanSquaredError', options: {}, inputs: regression },
  { name: 'meanAbsoluteError', options: {}, inputs: regression },
  { name: 'huber', options: { delta: 1 }, inputs: regression },
  { name: 'smoothL1', options: { beta: 1 }, inputs: regression },
  { name: 'logCosh', options: {}, inputs: regression },
  { name: 'categoricalCrossentropy', options: { fromLogits: true, labelSmoothing: 0.1 }, inputs: oneHot, classes: true },
  { name: 'sparseCategoricalCrossentropy', options: { fromLogits: true }, inputs: sparse, classes: true },
  { name: 'categoricalFocalCrossentropy', options: { fromLogits: true, gamma: 2 }, inputs: oneHot, classes: true },
];

/** Shapes of 4,095 elements (never fused) and of 4,096 or more (fused at first order). */
const ELEMENTWISE_SHAPES = [[4095], [63, 65], [4096], [64, 64], [4100, 1]];
const CLASS_SHAPES = [[63, 65], [64, 64], [32, 130]];

interface SecondOrder {
  /** ∇ₚ Σᵢ (∇ₚ L)ᵢ: the gradient of the gradient's sum (the Hessian times a vector of ones). */
  gradOfGrad: Float32Array;
  /** H·v for a fixed random v: ∇ₚ ⟨∇ₚ L, v⟩. */
  hvp: Float32Array;
}

function secondOrder(fused: boolean, name: string, options: object, yTrue: tf.Tensor, yPred: tf.Tensor, v: tf.Tensor): SecondOrder {
  return withFused(fused, () => {
    const loss = losses.fromConfig({ name, ...options } as never);
    const gradient = tf.grad((p: tf.Tensor) => loss(yTrue, p) as tf.Scalar);
    const gradOfGrad = tf.grad((p: tf.Tensor) => tf.sum(gradient(p)))(yPred);
    const hvp = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(gradient(p), v)))(yPred);
    const out = { gradOfGrad: gradOfGrad.dataSync() as Float32Array, hvp: hvp.dataSync() as Float32Array };
    tf.dispose([gradOfGrad, hvp]);
    return out;
  });
}

const scaleOf = (values: Float32Array): number => values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

await useBackend('cpu');
assert.equal(await fusedKernelsReady(), true, 'the fused kernels load in Node');

describe('higherOrderGradientPossible', () => {
  test('is false outside any tape and under one gradient, true under a gradient of a gradient', () => {
    const seen: boolean[] = [];
    const x = tf.scalar(2);
    const f = (t: tf.Tensor): tf.Scalar => {
      seen.push(higherOrderGradientPossible());
      return tf.square(t) as tf.Scalar;
    };
    f(x);
    tf.grad(f)(x).dispose();
    tf.grad((t: tf.Tensor) => tf.grad(f)(t) as tf.Scalar)(x).dispose();
    assert.deepEqual(seen, [false, false, true]);
    x.dispose();
  });
});

for (const backend of BACKENDS) {
  describe(`second-order gradients through the fused losses on ${backend}`, () => {
    before(async () => {
      await useBackend(backend);
    });

    test('a first-order gradient at 4,096 elements takes the fused path; a second-order one the composite', () => {
      const yPred = tf.zeros([4096]);
      const seen: boolean[] = [];
      const probe = (p: tf.Tensor): tf.Scalar => {
        seen.push(fusedAvailable(p));
        return tf.sum(tf.square(p));
      };
      tf.grad(probe)(yPred).dispose();
      tf.grad((p: tf.Tensor) => tf.sum(tf.grad(probe)(p)))(yPred).dispose();
      assert.deepEqual(seen, [true, false]);
      yPred.dispose();
    });

    for (const [index, { name, options, inputs, classes }] of CASES.entries()) {
      for (const shape of classes ? CLASS_SHAPES : ELEMENTWISE_SHAPES) {
        test(`${name} ${JSON.stringify(options)} at [${shape.join(', ')}] (${size(shape)} elements)`, () => {
          const random = seeded(1000 + index);
          const [yTrue, yPred] = inputs(shape, random);
          const v = tf.tensor(uniform(size(shape), random, -1, 1), shape);
          const before = tf.memory().numTensors;
          const fused = secondOrder(true, name, options, yTrue, yPred, v);
          const composite = secondOrder(false, name, options, yTrue, yPred, v);
          assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
          for (const key of ['gradOfGrad', 'hvp'] as const) {
            assert.ok(composite[key].every(Number.isFinite), `${key} is finite`);
            assertClose(fused[key], composite[key], { rtol: 1e-5, atol: 1e-6 * Math.max(1e-6, scaleOf(composite[key])) }, `${name} ${key}`);
          }
          tf.dispose([yTrue, yPred, v]);
        });
      }
    }
  });
}
