/**
 * Divergence and similarity losses between two distributions or directions, over the class
 * (feature) axis: Kullback–Leibler divergence and cosine similarity (Keras 3 semantics).
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from '../core/loss.js';
import { EPSILON, l2Normalize } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions } from '../core/options.js';

/**
 * Keras clips both distributions to [ε, 1] (not [ε, 1 − ε] like cross-entropy): a probability of
 * exactly 1 stays 1, and zeros become ε so the log is finite.
 */
const clipToUnit = (p: tf.Tensor): tf.Tensor => tf.clipByValue(p, EPSILON, 1);

/**
 * Kullback–Leibler divergence KL(y ‖ ŷ) = Σ y · log(y / ŷ) over the class axis (last), with
 * y and ŷ clipped to [1e-7, 1] first.
 * Matches Keras 3 `KLDivergence` / `keras.losses.kl_divergence` (both arguments probabilities).
 * PyTorch's `KLDivLoss` computes the same sum from log-probabilities (`input = log ŷ`,
 * `reduction='sum'` per sample); here yPred is a probability, as in Keras (use a softmax output).
 * Choose it for distillation and for matching soft target distributions; with one-hot targets it
 * equals categorical cross-entropy.
 * @example
 * const loss = losses.kullbackLeiblerDivergence();
 * loss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[0.9, 0.1]])); // 0.5·ln(5/9) + 0.5·ln 5 ≈ 0.5108
 */
export const kullbackLeiblerDivergence = defineLoss<BaseLossOptions>({
  name: 'kullbackLeiblerDivergence',
  aliases: ['kld', 'kl_divergence', 'kullback_leibler_divergence'],
  layout: 'dense',
  values: { yTrue: 'probability', yPred: 'probability' },
  compute: (yTrue, yPred) => {
    const y = clipToUnit(yTrue);
    const p = clipToUnit(yPred);
    return tf.sum(tf.mul(y, tf.sub(tf.log(y), tf.log(p))), -1);
  },
});

/** Options of `cosineSimilarity`. */
export interface CosineSimilarityOptions extends BaseLossOptions {
  /** The axis along which the cosine is taken (negative counts from the last), or several taken together (`[1, 2]`). @defaultValue -1 */
  axis?: number | number[];
}

/**
 * Cosine similarity loss: −Σ normalize(y) · normalize(ŷ) over `axis`, with
 * normalize(x) = x / max(‖x‖₂, 1e-6) (`numerics.l2Normalize`). Per-sample values lie in [−1, 1]:
 * −1 when ŷ points the same way as y, 0 when orthogonal, 1 when opposite (so the loss is not
 * non-negative; it is minimized, not zeroed, by a perfect prediction).
 * Matches Keras 3 `CosineSimilarity(axis)` (Keras floors the norm at 1e-7 instead of 1e-6: only
 * vectors shorter than 1e-6 differ). Choose it when only the direction of the output matters
 * (embeddings, normalized regression targets), not its length.
 * @example
 * const loss = losses.cosineSimilarity({ axis: -1 });
 * loss(tf.tensor2d([[0, 1]]), tf.tensor2d([[1, 1]])); // −1/√2 ≈ −0.7071
 */
export const cosineSimilarity = defineLoss<CosineSimilarityOptions>({
  name: 'cosineSimilarity',
  aliases: ['cosine_similarity', 'cosine'],
  options: { axis: option.axes(-1) },
  layout: 'dense',
  values: { yTrue: 'finite', yPred: 'any' },
  compute: (yTrue, yPred) => tf.neg(tf.sum(tf.mul(l2Normalize(yTrue), l2Normalize(yPred)), -1)),
});
