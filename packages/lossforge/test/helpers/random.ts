/** Seeded randomness shared by the test suites, so that every generated input is fixed. */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';

/** Uniform numbers in [0, 1), fully determined by `seed`: seedrandom's alea, the workbench's generator too. */
export function seeded(seed: number): () => number {
  return seedrandom.alea(String(seed));
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A tensor of `shape` filled from `seeded(seed)` through `draw`. */
function seededTensor(shape: number[], seed: number, draw: (r: () => number) => number): tf.Tensor {
  const r = seeded(seed);
  return tf.tensor(Array.from({ length: sizeOf(shape) }, () => draw(r)), shape);
}

/** Uniform values in [lo, hi). */
export const seededUniform = (shape: number[], lo: number, hi: number, seed: number) => seededTensor(shape, seed, (r) => lo + (hi - lo) * r());

/** 0/1 entries, 1 with probability p. */
export const seededMask = (shape: number[], seed: number, p = 0.4) => seededTensor(shape, seed, (r) => (r() < p ? 1 : 0));

/** Integer class labels in [0, numClasses). */
export const seededLabels = (shape: number[], numClasses: number, seed: number) => seededTensor(shape, seed, (r) => Math.floor(r() * numClasses));
