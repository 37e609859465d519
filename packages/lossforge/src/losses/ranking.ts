/**
 * Ranking and retrieval losses: yPred holds the scores of the items of a list (documents for a query,
 * gallery items for a probe, classes for a multi-label example), yTrue their relevance, both shaped
 * [B, L] with the list along `axis` (default −1). Each list gives one per-sample loss, which the
 * usual reductions average over the batch.
 *
 * - pairwise (TF-Ranking / Rax semantics): every pair (i, j) with y_i > y_j should have s_i > s_j;
 *   a list's loss is the mean pair loss over its pairs, and a list without such a pair (all items
 *   equally relevant) is left out of `mean`;
 * - listwise softmax (Optax `ranking_softmax_loss`): a cross-entropy between relevance and softmax(s);
 * - smooth-AP (Brown et al., ECCV 2020): one minus average precision with the rank relaxed by a sigmoid.
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineLoss, type PerSample } from '../core/loss.js';
import { logSoftmax, nonZeroDenominator, softplus } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions } from '../core/options.js';

/** `axis`, the list axis of the ranking losses. */
export interface ListAxisOption {
  /** The list (item) axis of yTrue and yPred (negative counts from the last). @defaultValue -1 */
  axis?: number;
}

/** s_i − s_j for every pair of items of each list: [..., L] → [..., L, L]. */
const pairDifferences = (x: tf.Tensor): tf.Tensor => tf.sub(tf.expandDims(x, -1), tf.expandDims(x, -2));

/**
 * The mean of `pairLoss(s_i − s_j)` over the pairs with y_i > y_j of each list, and `valid` = 0 for
 * lists without such a pair (their loss is 0 and `mean` does not count them).
 */
function pairwise(yTrue: tf.Tensor, yPred: tf.Tensor, pairLoss: (d: tf.Tensor) => tf.Tensor): PerSample {
  const pairs = tf.cast(tf.greater(pairDifferences(yTrue), 0), 'float32');
  const count = tf.sum(pairs, [-2, -1]);
  const total = tf.sum(tf.mul(pairs, pairLoss(pairDifferences(yPred))), [-2, -1]);
  return { loss: tf.div(total, nonZeroDenominator(count)), valid: tf.cast(tf.greater(count, 0), 'float32') };
}

/** Options of `pairwiseHinge`. */
export interface PairwiseHingeOptions extends BaseLossOptions, ListAxisOption {
  /** m ≥ 0: the score gap a more relevant item should keep over a less relevant one. @defaultValue 1 */
  margin?: number;
}

/**
 * Pairwise hinge ranking loss: for each list, the mean over the pairs (i, j) with y_i > y_j of
 *
 *   max(0, m − (s_i − s_j))
 *
 * Matches TF-Ranking `PairwiseHingeLoss` and Rax `pairwise_hinge_loss` (m = 1) per list; they
 * average over all pairs of the batch, which is the same for one list, and for lists with equal
 * pair counts. Relevance labels are graded (any finite values; only their order within a list
 * matters). A list with no pair of different relevance gives 0 and is left out of `mean`.
 * Choose it (RankSVM) for learning to rank when only the order of the items matters and a margin
 * should separate relevant from irrelevant items.
 * @example
 * const loss = losses.pairwiseHinge();
 * loss(tf.tensor2d([[2, 1, 0]]), tf.tensor2d([[1, 1.5, 0]])); // (1.5 + 0 + 0) / 3 = 0.5
 */
export const pairwiseHinge = defineLoss<PairwiseHingeOptions>({
  name: 'pairwiseHinge',
  aliases: ['pairwise_hinge_loss', 'ranksvm'],
  options: { margin: option.number(1, { min: 0 }), axis: option.axis(-1) },
  layout: 'dense',
  values: { yTrue: 'finite', yPred: 'any' },
  compute: (yTrue, yPred, { margin }) => pairwise(yTrue, yPred, (d) => tf.relu(tf.sub(margin, d))),
});

/** Options of `pairwiseLogistic`. */
export interface PairwiseLogisticOptions extends BaseLossOptions, ListAxisOption {}

/**
 * Pairwise logistic ranking loss (RankNet): for each list, the mean over the pairs (i, j) with
 * y_i > y_j of
 *
 *   log(1 + exp(−(s_i − s_j)))
 *
 * computed as softplus(s_j − s_i) (stable for any score). Matches TF-Ranking `PairwiseLogisticLoss`
 * and Rax `pairwise_logistic_loss` per list (see `pairwiseHinge` for the averaging). Choose it for
 * learning to rank with a smooth pairwise objective (every mis-ordered or close pair keeps a gradient).
 * @example
 * const loss = losses.pairwiseLogistic();
 * loss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]])); // log 2 ≈ 0.6931
 */
export const pairwiseLogistic = defineLoss<PairwiseLogisticOptions>({
  name: 'pairwiseLogistic',
  aliases: ['pairwise_logistic_loss', 'ranknet'],
  options: { axis: option.axis(-1) },
  layout: 'dense',
  values: { yTrue: 'finite', yPred: 'any' },
  compute: (yTrue, yPred) => pairwise(yTrue, yPred, (d) => softplus(tf.neg(d))),
});

/** Options of `listwiseSoftmax`. */
export interface ListwiseSoftmaxOptions extends BaseLossOptions, ListAxisOption {}

/**
 * Listwise softmax ranking loss (ListNet-style cross-entropy): per list,
 *
 *   ℓ(s, y) = −Σ_i y_i log softmax(s)_i
 *
 * with relevance y_i ≥ 0 used as given (not normalized). Matches Optax `ranking_softmax_loss`
 * (TF-Ranking `SoftmaxLoss` normalizes y to sum 1 and weights the list by Σy, which is the same value);
 * a list with no relevant item has loss 0 and, as in Optax, still counts in `mean`.
 * Choose it as the default learning-to-rank loss: it is a smooth bound on ranking metrics such as
 * NDCG, and usually beats the pairwise losses.
 * @example
 * const loss = losses.listwiseSoftmax();
 * loss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 0]])); // −log ½ ≈ 0.6931
 */
export const listwiseSoftmax = defineLoss<ListwiseSoftmaxOptions>({
  name: 'listwiseSoftmax',
  aliases: ['ranking_softmax_loss', 'ranking_softmax', 'listnet'],
  options: { axis: option.axis(-1) },
  layout: 'dense',
  values: { yTrue: 'nonNegative', yPred: 'any' },
  compute: (yTrue, yPred) => tf.neg(tf.sum(tf.mul(yTrue, logSoftmax(yPred)), -1)),
});

/** Options of `smoothAp`. */
export interface SmoothApOptions extends BaseLossOptions, ListAxisOption {
  /** τ > 0, the sigmoid's temperature: smaller is closer to the true rank (and to a zero gradient). @defaultValue 0.01 */
  temperature?: number;
}

/**
 * Smooth-AP (Brown, Xie, Kalogeiton & Zisserman, ECCV 2020): one minus average precision, with each
 * item's rank relaxed by a sigmoid G(x) = 1 / (1 + exp(−x/τ)) of the score differences. Per list
 * (a query's scores s over L items, y_j = 1 for the positives P):
 *
 *   AP ≈ (1/|P|) Σ_{i ∈ P} (1 + Σ_{j ∈ P, j ≠ i} G(s_j − s_i)) / (1 + Σ_{j ≠ i} G(s_j − s_i)),   ℓ = 1 − AP
 *
 * (the paper's eq. 10: the rank among positives over the rank among all items). As τ → 0 it is
 * 1 − AP exactly. Labels in [0, 1] (a soft label y_j weighs item j as a positive by y_j). A list with
 * no positive gives 0 and is left out of `mean`. The reference code clamps the sigmoid's exponent at
 * ±50, which changes values by less than e⁻⁵⁰; τ = 0.01 is the paper's choice for cosine similarities.
 * Choose it to train retrieval embeddings (a query against a gallery) or multi-label scorers
 * directly for mAP, the metric they are judged by.
 * @example
 * const loss = losses.smoothAp({ temperature: 0.01 });
 * loss(tf.tensor2d([[1, 0, 1]]), tf.tensor2d([[0.9, 0.5, 0.1]])); // ≈ 1 − (1 + 2/3)/2 ≈ 0.1667
 */
export const smoothAp = defineLoss<SmoothApOptions>({
  name: 'smoothAp',
  aliases: ['smooth_ap_loss'],
  options: { temperature: option.number(0.01, { min: 0, minExclusive: true }), axis: option.axis(-1) },
  layout: 'dense',
  values: { yTrue: 'binary', yPred: 'any' },
  compute: (yTrue, yPred, { temperature }) => {
    const L = yPred.shape[yPred.rank - 1]!;
    // G(s_j − s_i) for row i, column j; the diagonal (j = i) is left out.
    const others = tf.sub(1, tf.eye(L));
    const g = tf.mul(tf.sigmoid(tf.div(tf.neg(pairDifferences(yPred)), temperature)), others);
    const rankAll = tf.add(1, tf.sum(g, -1));
    const rankPositives = tf.add(1, tf.sum(tf.mul(g, tf.expandDims(yTrue, -2)), -1));
    const positives = tf.sum(yTrue, -1);
    const ap = tf.div(tf.sum(tf.mul(yTrue, tf.div(rankPositives, rankAll)), -1), nonZeroDenominator(positives));
    const valid = tf.cast(tf.greater(positives, 0), 'float32');
    return { loss: tf.mul(tf.sub(1, ap), valid), valid };
  },
});
