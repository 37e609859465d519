/**
 * The one reduction path for every loss.
 *
 * With per-sample losses ℓᵢ, weights wᵢ = sampleWeightᵢ · classWeightᵢ · maskᵢ (entries ignored by the
 * loss itself, e.g. `ignoreIndex`, count as mask 0):
 * - `none`: wᵢ·ℓᵢ, in the per-sample shape;
 * - `sum`: Σ wᵢℓᵢ;
 * - `mean`: Σ wᵢℓᵢ / #{i : maskᵢ ≠ 0} (Keras `sum_over_batch_size`; PyTorch `mean` with ignore_index);
 * - `weightedMean`: Σ wᵢℓᵢ / Σ wᵢ (PyTorch cross-entropy `mean` with class weights).
 * An empty denominator (everything masked) gives 0, not NaN; so does an empty batch (`none`: an empty
 * tensor). Sums are pairwise (`numerics.total`), accurate to ~1e-7 relative on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nonZeroDenominator, total } from './numerics.js';

/** The values of every loss's `options.reduction` (default `'mean'`), as defined above. */
export const REDUCTIONS = ['none', 'sum', 'mean', 'weightedMean'] as const;
export type Reduction = (typeof REDUCTIONS)[number];

export interface WeightFactors {
  /** Product of sample weights and class weights (undefined: all 1). */
  weight?: tf.Tensor;
  /** 0/1 entries that count (undefined: all count). */
  valid?: tf.Tensor;
}

/** Applies the weights and the mask to per-sample `losses` and reduces them as `reduction` says. */
export function reduce(losses: tf.Tensor, { weight, valid }: WeightFactors, reduction: Reduction): tf.Tensor {
  const factor = weight && valid ? tf.mul(weight, valid) : weight ?? valid;
  // where() rather than a bare product: a masked entry's loss may be Infinity or NaN.
  const weighted = factor ? tf.where(tf.equal(factor, 0), tf.zeros(losses.shape), tf.mul(losses, factor)) : losses;
  switch (reduction) {
    case 'none':
      return weighted;
    case 'sum':
      return total(weighted);
    case 'mean': {
      const count = valid ? total(valid) : tf.scalar(losses.size);
      return tf.div(total(weighted), nonZeroDenominator(count));
    }
    case 'weightedMean': {
      const denominator = factor ? total(factor) : tf.scalar(losses.size);
      return tf.div(total(weighted), nonZeroDenominator(denominator));
    }
  }
}

