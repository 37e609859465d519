/**
 * Divergence and similarity losses between two distributions, measures or directions, over the class
 * (feature) axis: Kullback–Leibler divergence (Keras 3, or PyTorch/Optax in log space), the
 * generalized KL divergence of unnormalized measures (Optax), and cosine similarity (Keras 3).
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

/** Options of `kullbackLeiblerDivergence`. */
export interface KullbackLeiblerDivergenceOptions extends BaseLossOptions {
  /** The axis the distributions lie along (negative counts from the last). @defaultValue -1 */
  axis?: number;
  /** Whether yPred holds log-probabilities log ŷ (PyTorch `KLDivLoss` input, Optax `log_predictions`). @defaultValue false */
  logPredictions?: boolean;
  /** Whether yTrue holds log-probabilities log y (PyTorch `log_target`, Optax `kl_divergence_with_log_targets`). @defaultValue false */
  logTargets?: boolean;
}

/**
 * Kullback–Leibler divergence KL(y ‖ ŷ) = Σ y · (log y − log ŷ) over `axis` (default the last).
 * - both probabilities (the default): y and ŷ clipped to [1e-7, 1] first, as Keras 3 `KLDivergence` /
 *   `keras.losses.kl_divergence`;
 * - `logPredictions: true`: yPred is log ŷ, as PyTorch `KLDivLoss` (`reduction='sum'` per sample) and
 *   Optax `kl_divergence(log_predictions, targets)`; nothing is clipped and 0 · log 0 = 0;
 * - `logTargets: true` too: yTrue is log y, as PyTorch `KLDivLoss(log_target=True)` and Optax
 *   `kl_divergence_with_log_targets`: Σ exp(log y) · (log y − log ŷ). Log inputs may be −Infinity
 *   (probability 0): a class with y = 0 contributes 0 (PyTorch and Optax give NaN for a −Infinity
 *   log target), one with ŷ = 0 < y makes the loss infinite (a LossInputError naming yPred).
 * Choose it for distillation and for matching soft target distributions; with one-hot targets it
 * equals categorical cross-entropy. The log-space options keep tiny probabilities exact (no
 * underflow, no clipping): use them with a logSoftmax output.
 * @example
 * const loss = losses.kullbackLeiblerDivergence();
 * loss(tf.tensor2d([[0.5, 0.5]]), tf.tensor2d([[0.9, 0.1]])); // 0.5·ln(5/9) + 0.5·ln 5 ≈ 0.5108
 */
export const kullbackLeiblerDivergence = defineLoss<KullbackLeiblerDivergenceOptions>({
  name: 'kullbackLeiblerDivergence',
  aliases: ['kld', 'kl_divergence', 'kullback_leibler_divergence', { alias: 'KLDivLoss', options: { logPredictions: true } }, { alias: 'kl_divergence_with_log_targets', options: { logPredictions: true, logTargets: true } }],
  options: { axis: option.axis(-1), logPredictions: option.boolean(false), logTargets: option.boolean(false) },
  layout: 'dense',
  values: ({ logPredictions, logTargets }) => ({
    yTrue: logTargets ? 'logProbability' : 'probability',
    yPred: logPredictions ? 'logProbability' : 'probability',
  }),
  compute: (yTrue, yPred, { logPredictions, logTargets }) => {
    if (!logPredictions && !logTargets) {
      const y = clipToUnit(yTrue);
      return tf.sum(tf.mul(y, tf.sub(tf.log(y), tf.log(clipToUnit(yPred)))), -1);
    }
    const y = logTargets ? tf.exp(yTrue) : yTrue;
    const logY = logTargets ? yTrue : tf.log(yTrue);
    const logP = logPredictions ? yPred : tf.log(clipToUnit(yPred));
    return tf.sum(zeroWhereNoMass(y, tf.mul(y, tf.sub(logY, logP))), -1);
  },
});

/** `terms` with 0 where y = 0 (0 · log 0 = 0, also against log ŷ = −Infinity); no NaN reaches the gradient. */
const zeroWhereNoMass = (y: tf.Tensor, terms: tf.Tensor): tf.Tensor => tf.where(tf.equal(y, 0), tf.zerosLike(terms), terms);

/** Options of `generalizedKullbackLeibler`. */
export interface GeneralizedKullbackLeiblerOptions extends BaseLossOptions {
  /** The axis the measures lie along (negative counts from the last). @defaultValue -1 */
  axis?: number;
  /** Whether yPred holds log ŷ (Optax `log_predictions`) rather than ŷ ≥ 0. @defaultValue false */
  logPredictions?: boolean;
}

/**
 * Generalized Kullback–Leibler divergence (I-divergence) between non-negative measures, which need
 * not sum to 1:
 *
 *   D(y ‖ ŷ) = Σ y · log(y / ŷ) − y + ŷ   over `axis`,   0 · log 0 = 0
 *
 * It is ≥ 0, zero only at ŷ = y, and equals KL(y ‖ ŷ) when both sum to 1. With `logPredictions`,
 * yPred is log ŷ and ŷ = exp(yPred): Optax `convex_kl_divergence` / `generalized_kl_divergence`
 * (log_predictions, targets). With ŷ given directly, log ŷ is taken of max(ŷ, 1e-7) (Keras' clip)
 * so a zero prediction under a positive target stays finite. The Poisson NLL summed over the axis,
 * up to a term in y only.
 * Choose it to fit unnormalized non-negative quantities: spectrogram magnitudes (NMF), counts,
 * intensities, attention masses.
 * @example
 * const loss = losses.generalizedKullbackLeibler();
 * loss(tf.tensor2d([[2, 0]]), tf.tensor2d([[1, 1]])); // 2·ln 2 − 2 + 2 ≈ 1.3863
 */
export const generalizedKullbackLeibler = defineLoss<GeneralizedKullbackLeiblerOptions>({
  name: 'generalizedKullbackLeibler',
  aliases: ['generalized_kl_divergence', 'generalized_kl', 'i_divergence', 'convex_kl_divergence'],
  options: { axis: option.axis(-1), logPredictions: option.boolean(false) },
  layout: 'dense',
  values: ({ logPredictions }) => ({ yTrue: 'nonNegative', yPred: logPredictions ? 'logProbability' : 'nonNegative' }),
  compute: (yTrue, yPred, { logPredictions }) => {
    const logP = logPredictions ? yPred : tf.log(tf.maximum(yPred, EPSILON));
    const p = logPredictions ? tf.exp(yPred) : yPred;
    const crossTerm = zeroWhereNoMass(yTrue, tf.mul(yTrue, tf.sub(tf.log(yTrue), logP)));
    return tf.sum(tf.add(crossTerm, tf.sub(p, yTrue)), -1);
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
