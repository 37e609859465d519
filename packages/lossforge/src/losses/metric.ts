/**
 * Metric-learning losses: they shape an embedding space from labels, rather than fit targets.
 *
 * Batch losses (`tripletMargin`, `contrastive`, `ntXent`) take `yTrue` = integer class labels [B]
 * (or [B, 1], or [B, k] with every column equal: tfjs-layers wants targets shaped like the model
 * output, so `tf.tile(labels.reshape([-1, 1]), [1, D])` works in `model.fit`) and `yPred` =
 * embeddings [B, D]. Every sample of the batch acts as an anchor; the loss of anchor a is computed
 * against the other samples of the same batch, so these losses need batches holding several
 * samples per class. Anchors that have no usable partner (no positive, or no negative) give 0 and
 * are excluded from `mean` via `valid`.
 *
 * Pair losses (`cosineEmbedding`, `marginRanking`) follow PyTorch: `yTrue` = ±1 per pair and
 * `yPred` stacks the two members of each pair on axis 1.
 *
 * All use the `labels` layout (core/layouts.ts): the wrapper checks the label shapes and values and
 * hands `compute` the labels as [B]; the definitions here only add what the layout cannot know.
 */
import * as tf from '@tensorflow/tfjs-core';
import { valueChecksEnabled } from '../core/config.js';
import { formatShape, LossInputError } from '../core/errors.js';
import { defineLoss, type PerSample } from '../core/loss.js';
import { l2Normalize, logSoftmax, maxAbsScale, nonZeroDenominator, oneHot, softplus } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, ResolvedOptions } from '../core/options.js';

// ───────────────────────────── inputs ─────────────────────────────

const DISTANCES = ['euclidean', 'squaredEuclidean', 'cosine'] as const;
type Distance = (typeof DISTANCES)[number];
const MININGS = ['batchAll', 'batchHard', 'semiHard'] as const;
type Mining = (typeof MININGS)[number];

/** Added to squared distances before the square root, so d = 0 has a finite gradient. Shifts d by at most 1e-6. */
const SQRT_EPSILON = 1e-12;
/** The smallest ε of scaled squared distances (see `euclideanFromScaled`). */
const SCALED_EPSILON_FLOOR = 1e-14;
/** Subtracted from self-similarities so they drop out of a softmax without producing −∞ · 0 = NaN. */
const EXCLUDED_LOGIT = 1e9;

/** Largest squared distance computed in float32 without overflow, with room for rounding. */
const MAX_SQUARED_DISTANCE = 1e38;

/**
 * Squared distances (tripletMargin's 'squaredEuclidean', contrastive's same-label term) are values
 * of the loss: they must fit in float32. Σⱼ (maxᵢ eᵢⱼ − minᵢ eᵢⱼ)² bounds every ‖eᵢ − eₖ‖²; above
 * 1e38 the embeddings are a LossInputError naming yPred (Euclidean and cosine distances take
 * embeddings up to ~1e38). Non-finite entries are left to the wrapper's finite rule.
 */
function checkSquaredDistancesFit(name: string, yPred: tf.Tensor): void {
  if (!valueChecksEnabled()) return;
  const [batch, dim] = yPred.shape as [number, number];
  const e = yPred.dataSync();
  let bound = 0;
  for (let j = 0; j < dim; j++) {
    let [lo, hi] = [Infinity, -Infinity];
    for (let i = 0; i < batch; i++) [lo, hi] = [Math.min(lo, e[i * dim + j]!), Math.max(hi, e[i * dim + j]!)];
    if (batch > 0) bound += (hi - lo) ** 2;
  }
  if (bound > MAX_SQUARED_DISTANCE) {
    throw new LossInputError(name, 'yPred', `embeddings whose squared distances fit in float32 (Σ over dims of the squared spread ≤ 1e38; use distance 'euclidean' or 'cosine' for larger ones)`, `a bound of ${bound.toPrecision(3)}`);
  }
}

const COSINE_PAIRS = 'pairs stacked on axis 1: [batch, 2, dim] (x1 = yPred[:, 0], x2 = yPred[:, 1])';
const SCORE_PAIRS = 'pairs stacked on axis 1: [batch, 2] (x1 = yPred[:, 0], x2 = yPred[:, 1])';

/** Pairs stacked on axis 1: yPred [B, 2, …] (the labels layout has checked the rank and the labels). */
function validatePairAxis(name: string, yPred: tf.Tensor, pairShape: string): void {
  if (yPred.shape[1] !== 2) {
    throw new LossInputError(name, 'yPred', pairShape, `shape ${formatShape(yPred.shape)}`);
  }
}

// ───────────────────────────── building blocks ─────────────────────────────

/**
 * Wraps a selection (argmax, comparisons, counts) as one opaque op with a zero gradient (tfjs has no
 * stop_gradient): a selection is piecewise constant, so the gradient flows through the distances it
 * picks, not through the picking. Needed for correctness: tfjs 4.22 has no gradient for `Any` and
 * `LogicalAnd` (used by `semiHardNegatives`; core/gradients.ts only adds the comparisons'), so
 * without it the semiHard gradient throws. It also keeps backprop out of the masks, argmins and
 * one-hots inside, which would otherwise each get a (zero) backward pass over [B, B, B] tensors.
 */
function selection(f: (...xs: tf.Tensor[]) => tf.Tensor): (...xs: tf.Tensor[]) => tf.Tensor {
  const wrapped = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const xs = args as tf.Tensor[];
    save(xs);
    return { value: tf.cast(f(...xs), 'float32'), gradFunc: (_dy: tf.Tensor, saved: tf.Tensor[]) => saved.map((s) => tf.zerosLike(s)) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (...xs: tf.Tensor[]) => wrapped(...xs) as tf.Tensor;
}

/** Label masks [B, B]: same class without the diagonal, different class, and everything but the diagonal. */
interface PairMasks {
  positive: tf.Tensor2D;
  negative: tf.Tensor2D;
  offDiagonal: tf.Tensor2D;
}

function pairMasks(labels: tf.Tensor1D): PairMasks {
  const batch = labels.shape[0];
  const same = tf.cast(tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32') as tf.Tensor2D;
  const eye = tf.eye(batch);
  return { positive: tf.sub(same, eye), negative: tf.sub(1, same), offDiagonal: tf.sub(1, eye) };
}

/** 1 where the row has at least one entry of `mask`, else 0: [B, B] → [B]. Label-only, so off the gradient path. */
function hasAny(mask: tf.Tensor2D): tf.Tensor1D {
  return tf.cast(tf.greater(tf.sum(mask, 1), 0), 'float32') as tf.Tensor1D;
}

/**
 * ‖eᵢ − eⱼ‖² / s² for all pairs, with s the scale that keeps it from overflowing, as
 * ‖cᵢ‖² + ‖cⱼ‖² − 2cᵢ·cⱼ (one matmul, O(B²) memory) clamped at 0, with an exact 0 diagonal.
 * c = (e − mean(e)) / s (distances do not change but for the factor s): without centering, a common
 * offset much larger than the spread would cancel away the float32 digits of the distances; s =
 * max(maxᵢⱼ |eᵢⱼ − mean|, 1e-6) (`maxAbsScale`) keeps every square ≤ 1, so embeddings up to ~1e38
 * do not overflow.
 */
function scaledSquaredDistances(e: tf.Tensor2D, offDiagonal: tf.Tensor2D): { d2: tf.Tensor2D; scale: tf.Tensor } {
  const centered = tf.sub(e, tf.mean(e, 0, true));
  const scale = maxAbsScale(centered);
  const c = tf.div(centered, scale);
  const norms = tf.sum(tf.square(c), 1);
  const gram = tf.matMul(c, c, false, true);
  const d2 = tf.relu(tf.sub(tf.add(tf.expandDims(norms, 1), tf.expandDims(norms, 0)), tf.mul(2, gram)));
  return { d2: tf.mul(d2, offDiagonal), scale };
}

/**
 * √(‖eᵢ − eⱼ‖² + 1e-12) from the scaled squares: s·√(d2 + max(1e-12/s², 1e-14)). The floor 1e-14
 * (distances of 1e-7·s, float32's resolution of the embeddings) only acts for s > 10, where 1e-12/s²
 * would otherwise underflow to 0 and give coincident points an infinite (NaN) gradient.
 */
function euclideanFromScaled({ d2, scale }: { d2: tf.Tensor2D; scale: tf.Tensor }): tf.Tensor2D {
  const epsilon = tf.maximum(tf.div(SQRT_EPSILON, tf.square(scale)), SCALED_EPSILON_FLOOR);
  return tf.mul(scale, tf.sqrt(tf.add(d2, epsilon))) as tf.Tensor2D;
}

/**
 * Pairwise distances [B, B] with a 0 diagonal:
 * - `euclidean`: √(‖eᵢ − eⱼ‖² + 1e-12) (finite gradient at coincident points);
 * - `squaredEuclidean`: ‖eᵢ − eⱼ‖²;
 * - `cosine`: 1 − cos(eᵢ, eⱼ), embeddings L2-normalized first (Keras `l2_normalize`).
 */
function pairwiseDistances(e: tf.Tensor2D, distance: Distance, offDiagonal: tf.Tensor2D): tf.Tensor2D {
  if (distance === 'cosine') {
    const n = l2Normalize(e, 1);
    return tf.mul(tf.sub(1, tf.matMul(n, n, false, true)), offDiagonal);
  }
  const scaled = scaledSquaredDistances(e, offDiagonal);
  if (distance === 'squaredEuclidean') return tf.mul(scaled.d2, tf.square(scaled.scale));
  return tf.mul(euclideanFromScaled(scaled), offDiagonal);
}

/** sum / count: a mean that is 0 when nothing is counted. */
function meanOver(sum: tf.Tensor, count: tf.Tensor): tf.Tensor {
  return tf.div(sum, nonZeroDenominator(count));
}

// ───────────────────────────── triplet mining ─────────────────────────────

/** Number of strictly positive entries of `terms` [B, B, B] per anchor (zero gradient). */
const countActive = selection((terms) => tf.sum(tf.cast(tf.greater(terms!, 0), 'float32'), [1, 2]));

/** One-hot [B, B] of the column with the largest `d` among `mask` entries, per row. */
const argMaxWhere = selection((d, mask) =>
  oneHot(tf.argMax(tf.where(tf.greater(mask!, 0), d!, -Infinity), 1), d!.shape[1]!),
);

/** One-hot [B, B] of the column with the smallest `d` among `mask` entries, per row. */
const argMinWhere = selection((d, mask) =>
  oneHot(tf.argMin(tf.where(tf.greater(mask!, 0), d!, Infinity), 1), d!.shape[1]!),
);

/**
 * Semi-hard negatives, one-hot [a, p, n]: for each (anchor a, positive p), the closest negative n
 * farther than p, d(a,n) > d(a,p); when there is none, the negative farthest from a (TF-Addons
 * `triplet_semihard_loss`).
 */
const semiHardNegatives = selection((d, negative) => {
  const batch = d!.shape[0]!;
  const isNegative = tf.greater(negative!, 0);
  const dAN = tf.expandDims(d!, 1); // [a, 1, n]
  const farther = tf.logicalAnd(tf.expandDims(isNegative, 1), tf.greater(dAN, tf.expandDims(d!, 2))); // [a, p, n]
  const closestFarther = tf.argMin(tf.where(farther, dAN, Infinity), 2); // [a, p]
  const farthest = tf.expandDims(tf.argMax(tf.where(isNegative, d!, -Infinity), 1), 1); // [a, 1]
  const hasFarther = tf.any(farther, 2);
  const index = tf.where(hasFarther, closestFarther, tf.broadcastTo(farthest, [batch, batch]));
  return oneHot(index, batch);
});

interface TripletInputs extends Pick<ResolvedOptions<TripletMarginOptions>, 'margin' | 'swap'> {
  d: tf.Tensor2D;
  masks: PairMasks;
}

/** ℓₐ = mean of [d(a,p) − d(a,n) + m]₊ over the triplets (p, n) of anchor a where it is > 0; 0 if none. */
function batchAllLoss({ d, masks, margin, swap }: TripletInputs): tf.Tensor {
  const batch = d.shape[0];
  const dAP = tf.expandDims(d, 2); // [a, p, 1]
  let dAN = tf.expandDims(d, 1); // [a, 1, n]
  if (swap) {
    // min(d(a,n), d(p,n)); tfjs' minimum gradient does not broadcast, so broadcast first.
    const cube = [batch, batch, batch];
    dAN = tf.minimum(tf.broadcastTo(dAN, cube), tf.broadcastTo(tf.expandDims(d, 0), cube));
  }
  const triplets = tf.mul(tf.expandDims(masks.positive, 2), tf.expandDims(masks.negative, 1));
  const terms = tf.mul(tf.relu(tf.add(tf.sub(dAP, dAN), margin)), triplets);
  return meanOver(tf.sum(terms, [1, 2]), countActive(terms));
}

/** ℓₐ = [max_p d(a,p) − min_n d(a,n) + m]₊ (hardest positive, hardest negative). */
function batchHardLoss({ d, masks, margin, swap }: TripletInputs): tf.Tensor {
  const hardestPositive = argMaxWhere(d, masks.positive);
  const hardestNegative = argMinWhere(d, masks.negative);
  const dAP = tf.sum(tf.mul(d, hardestPositive), 1);
  let dAN = tf.sum(tf.mul(d, hardestNegative), 1);
  if (swap) dAN = tf.minimum(dAN, tf.sum(tf.mul(tf.matMul(hardestPositive, d), hardestNegative), 1)); // d(p*, n*)
  return tf.relu(tf.add(tf.sub(dAP, dAN), margin));
}

/** ℓₐ = mean over positives p of [d(a,p) − d(a,n*(a,p)) + m]₊ with n* the semi-hard negative. */
function semiHardLoss({ d, masks, margin, swap }: TripletInputs): tf.Tensor {
  const chosen = semiHardNegatives(d, masks.negative); // [a, p, n]
  let dAN = tf.sum(tf.mul(chosen, tf.expandDims(d, 1)), 2); // d(a, n*) → [a, p]
  if (swap) dAN = tf.minimum(dAN, tf.sum(tf.mul(chosen, tf.expandDims(d, 0)), 2)); // d(p, n*)
  const pairs = tf.mul(tf.relu(tf.add(tf.sub(d, dAN), margin)), masks.positive);
  return meanOver(tf.sum(pairs, 1), tf.sum(masks.positive, 1));
}

const MINERS: Record<Mining, (inputs: TripletInputs) => tf.Tensor> = {
  batchAll: batchAllLoss,
  batchHard: batchHardLoss,
  semiHard: semiHardLoss,
};

// ───────────────────────────── losses ─────────────────────────────

/** Options of `tripletMargin`. */
export interface TripletMarginOptions extends BaseLossOptions {
  /** m ≥ 0: the gap asked between d(a, n) and d(a, p). @defaultValue 1 */
  margin?: number;
  /** Which triplets of the batch count: the hardest per anchor, every valid one, or the semi-hard ones. @defaultValue 'batchHard' */
  mining?: 'batchAll' | 'batchHard' | 'semiHard';
  /** d: ‖a − b‖₂, its square, or 1 − cos. @defaultValue 'euclidean' */
  distance?: 'euclidean' | 'squaredEuclidean' | 'cosine';
  /** Replace d(a, n) by min(d(a, n), d(p, n)) (PyTorch `swap`, Balntas et al. 2016). @defaultValue false */
  swap?: boolean;
}

/**
 * Triplet margin loss with online mining over the batch: ℓ = [d(a,p) − d(a,n) + margin]₊ for
 * anchor a, positive p (same label) and negative n (different label), with the triplets chosen by
 * `mining`:
 * - `batchHard` (default; Hermans, Beyer & Leibe 2017 "In Defense of the Triplet Loss"): the
 *   farthest positive and the closest negative of each anchor: ℓₐ = [maxₚ d(a,p) − minₙ d(a,n) + m]₊;
 * - `batchAll` (Hermans et al. 2017 "BA≠0"; Moindrot's "batch all"): every valid (a, p, n); ℓₐ is the
 *   mean of the anchor's triplet losses that are > 0 (0 if none). `mean` then averages anchors, so
 *   each anchor counts once (the global average over active triplets weighs anchors by their count);
 * - `semiHard` (Schroff et al. 2015 FaceNet; TF-Addons `TripletSemiHardLoss`): for each positive p,
 *   the closest negative with d(a,n) > d(a,p) — inside the margin it is the semi-hard negative
 *   d(a,p) < d(a,n) < d(a,p) + m, beyond it the loss is 0 anyway — or, when every negative is
 *   closer than p, the farthest negative (TF-Addons' fallback); ℓₐ is the mean over a's positives.
 *   TF-Addons averages over all (a, p) pairs; equal to `mean` here when classes are balanced.
 *
 * `distance`: `euclidean` (‖a − b‖₂, PyTorch `TripletMarginLoss(p=2)`, TF-Addons 'L2'),
 * `squaredEuclidean` (TF-Addons 'squared-L2', FaceNet) or `cosine` (1 − cos, TF-Addons 'angular').
 * `swap` (PyTorch `swap=True`, Balntas et al. 2016): replace d(a,n) by min(d(a,n), d(p,n)) for the
 * mined triplet. Anchors without a positive or a negative in the batch give 0 and are left out of
 * `mean`. Per mined triplet the value equals PyTorch `triplet_margin_loss(a, p, n, margin, p=2)`
 * up to its eps = 1e-6. Memory: O(B²) for batchHard, O(B³) for batchAll and semiHard.
 *
 * When to choose: the standard loss for retrieval / re-identification / face embeddings. Build
 * batches of P classes × K samples; batchHard is the robust default, semiHard is gentler early in
 * training, batchAll gives more signal on small or easy batches.
 * @example
 * const loss = losses.tripletMargin({ margin: 0.5, mining: 'batchHard' });
 * loss(tf.tensor1d([0, 0, 1, 1]), embeddings); // embeddings: [4, D]
 */
export const tripletMargin = defineLoss<TripletMarginOptions>({
  name: 'tripletMargin',
  aliases: ['triplet', 'tripletLoss', 'TripletMarginLoss'],
  options: {
    margin: option.number(1, { min: 0 }),
    mining: option.oneOf(MININGS, 'batchHard'),
    distance: option.oneOf(DISTANCES, 'euclidean'),
    swap: option.boolean(false),
  },
  layout: 'labels',
  values: { yPred: 'finite' },
  validate: (_, yPred, o) => {
    if (o.distance === 'squaredEuclidean') checkSquaredDistancesFit('tripletMargin', yPred);
  },
  compute: (labels, yPred, { margin, mining, distance, swap }): PerSample => {
    const masks = pairMasks(labels as tf.Tensor1D);
    const d = pairwiseDistances(yPred as tf.Tensor2D, distance, masks.offDiagonal);
    const loss = MINERS[mining]({ d, masks, margin, swap });
    return { loss, valid: tf.mul(hasAny(masks.positive), hasAny(masks.negative)) };
  },
});

/** Options of `contrastive`. */
export interface ContrastiveOptions extends BaseLossOptions {
  /** m ≥ 0: pairs with different labels farther apart than m cost nothing. @defaultValue 1 */
  margin?: number;
}

/**
 * Contrastive loss (Hadsell, Chopra & LeCun 2006) over all pairs i ≠ j of the batch, with
 * d = ‖eᵢ − eⱼ‖₂: same label → d², different label → [margin − d]₊². No ½ factor (the TF-Addons
 * `contrastive_loss` convention; Hadsell et al. write ½ on both terms, i.e. half of this).
 * Per sample: the mean over its B − 1 pairs, so `mean` is the mean over all unordered pairs.
 * A batch of one sample has no pairs (0, excluded from `mean`).
 *
 * When to choose: siamese / verification setups where "same or not" is all the supervision; simple
 * and stable, but it pulls every positive pair to 0 distance — prefer `tripletMargin` or `ntXent`
 * for retrieval rankings.
 * @example
 * const loss = losses.contrastive({ margin: 1 });
 * loss(tf.tensor1d([0, 0, 1]), tf.tensor2d([[0, 0], [0.1, 0], [2, 0]]));
 */
export const contrastive = defineLoss<ContrastiveOptions>({
  name: 'contrastive',
  aliases: ['contrastiveLoss'],
  options: { margin: option.number(1, { min: 0 }) },
  layout: 'labels',
  values: { yPred: 'finite' },
  validate: (_, yPred) => checkSquaredDistancesFit('contrastive', yPred),
  compute: (labels, yPred, { margin }): PerSample => {
    const masks = pairMasks(labels as tf.Tensor1D);
    const scaled = scaledSquaredDistances(yPred as tf.Tensor2D, masks.offDiagonal);
    const d = euclideanFromScaled(scaled);
    const similar = tf.mul(masks.positive, tf.mul(scaled.d2, tf.square(scaled.scale)));
    const dissimilar = tf.mul(masks.negative, tf.square(tf.relu(tf.sub(margin, d))));
    const pairs = yPred.shape[0]! - 1;
    return {
      loss: tf.div(tf.sum(tf.add(similar, dissimilar), 1), Math.max(pairs, 1)),
      valid: tf.fill([yPred.shape[0]!], pairs > 0 ? 1 : 0),
    };
  },
});

/** Options of `ntXent`. */
export interface NtXentOptions extends BaseLossOptions {
  /** τ > 0, dividing the cosine similarities; lower focuses on hard negatives. @defaultValue 0.1 */
  temperature?: number;
  /**
   * One positive per term: each (anchor, positive) pair is a softmax over that positive and the anchor's
   * negatives only (pytorch-metric-learning `NTXentLoss`), instead of over every other sample. @defaultValue false
   */
  pairwise?: boolean;
}

/**
 * Supervised contrastive / NT-Xent / InfoNCE loss (Khosla et al. 2020, SupCon "L_out"; Chen et al.
 * 2020 SimCLR). With zᵢ = eᵢ/‖eᵢ‖ and sᵢⱼ = zᵢ·zⱼ / temperature, for anchor i with positives P(i)
 * (same label, j ≠ i):
 *   ℓᵢ = −1/|P(i)| Σ_{p∈P(i)} log( exp(sᵢₚ) / Σ_{k≠i} exp(sᵢₖ) ),
 * computed with a log-softmax over the other samples (stable for small temperatures). Anchors
 * without positives are excluded from `mean`. Unlike the SupCon reference code there is no
 * temperature/base_temperature factor (take base_temperature = temperature). SimCLR's NT-Xent is
 * the special case where each label is an instance id shared by its two augmented views.
 *
 * `pairwise: true` (pytorch-metric-learning `NTXentLoss`): every (anchor i, positive p) pair is its own
 * term with one positive in the denominator, the anchor's negatives N(i) (different label) besides it:
 *   ℓᵢ = 1/|P(i)| Σ_{p∈P(i)} −log( exp(sᵢₚ) / (exp(sᵢₚ) + Σ_{n∈N(i)} exp(sᵢₙ)) )
 *      = 1/|P(i)| Σ_p softplus(logsumexp_{n∈N(i)} sᵢₙ − sᵢₚ),
 * so other positives never act as negatives. pytorch-metric-learning averages over all positive pairs;
 * `mean` here averages anchors (the same when every anchor has as many positives, e.g. two views).
 * With two views per instance both forms are SimCLR's NT-Xent. `supervisedContrastive` is Khosla
 * et al.'s reference loss with its base temperature and the L_in variant.
 *
 * When to choose: representation learning with many negatives per batch (self-supervised with
 * augmented views, or supervised with labels); usually stronger than triplet losses for large
 * batches. Lower temperatures focus on hard negatives.
 * @example
 * const loss = losses.ntXent({ temperature: 0.1 });
 * loss(tf.tensor1d([0, 0, 1, 1]), embeddings); // views of the same image share a label
 */
export const ntXent = defineLoss<NtXentOptions>({
  name: 'ntXent',
  aliases: ['infoNCE', 'NTXentLoss'],
  options: { temperature: option.number(0.1, { min: 0, minExclusive: true }), pairwise: option.boolean(false) },
  layout: 'labels',
  values: { yPred: 'finite' },
  compute: (labels, yPred, { temperature, pairwise }): PerSample => {
    const masks = pairMasks(labels as tf.Tensor1D);
    const similarities = cosineLogits(yPred, temperature);
    const loss = pairwise ? pairwiseNtXent(similarities, masks) : tf.neg(meanLogProbOfPositives(similarities, masks));
    return { loss, valid: hasAny(masks.positive) };
  },
});

/** sᵢⱼ = zᵢ·zⱼ / τ with z = e/‖e‖ (Keras `l2_normalize`): [B, B] cosine similarities over the temperature. */
function cosineLogits(e: tf.Tensor, temperature: number): tf.Tensor2D {
  const z = l2Normalize(e, 1);
  return tf.div(tf.matMul(z, z, false, true), temperature) as tf.Tensor2D;
}

/** Keeps the entries of `mask` in a softmax / logsumexp: the others get −1e9 (exp → 0, no −∞·0 = NaN). */
function onlyWhere(logits: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(logits, mask), tf.mul(tf.sub(1, mask), EXCLUDED_LOGIT));
}

/** SupCon's L_out inner term: 1/|P(i)| Σ_{p∈P(i)} log softmax_{k≠i}(sᵢ)ₚ, per anchor (0 without positives). */
function meanLogProbOfPositives(similarities: tf.Tensor2D, masks: PairMasks): tf.Tensor {
  const logProb = logSoftmax(onlyWhere(similarities, masks.offDiagonal));
  return meanOver(tf.sum(tf.mul(masks.positive, logProb), 1), tf.sum(masks.positive, 1));
}

/** ℓᵢ = mean over positives p of softplus(logsumexp_{n∈N(i)} sᵢₙ − sᵢₚ) (one positive per softmax). */
function pairwiseNtXent(similarities: tf.Tensor2D, masks: PairMasks): tf.Tensor {
  const negatives = tf.logSumExp(onlyWhere(similarities, masks.negative), 1, true); // [B, 1]
  const terms = softplus(tf.sub(negatives, similarities));
  return meanOver(tf.sum(tf.mul(masks.positive, terms), 1), tf.sum(masks.positive, 1));
}

/** Options of `supervisedContrastive`. */
export interface SupervisedContrastiveOptions extends BaseLossOptions {
  /** τ > 0, dividing the cosine similarities (the reference code's default). @defaultValue 0.07 */
  temperature?: number;
  /** τ_base > 0: the loss is scaled by τ / τ_base (the reference code's `base_temperature`). @defaultValue 0.07 */
  baseTemperature?: number;
  /** Where the mean over positives sits: outside the log (`'out'`, the paper's better one) or inside (`'in'`). @defaultValue 'out' */
  variant?: 'out' | 'in';
}

/**
 * Supervised contrastive loss (Khosla et al. 2020, "Supervised Contrastive Learning"), as their
 * reference `SupConLoss(temperature, contrast_mode='all', base_temperature)` with the views flattened
 * into the batch (labels [B], embeddings [B, D]; every sample is an anchor). With zᵢ = eᵢ/‖eᵢ‖,
 * sᵢⱼ = zᵢ·zⱼ/τ, positives P(i) (same label, j ≠ i) and A(i) = every j ≠ i:
 * - `variant: 'out'` (L_out, eq. 2): ℓᵢ = −(τ/τ_base) · 1/|P(i)| Σ_{p∈P(i)} log( exp(sᵢₚ) / Σ_{a∈A(i)} exp(sᵢₐ) );
 * - `variant: 'in'` (L_in, eq. 3): ℓᵢ = −(τ/τ_base) · log( 1/|P(i)| Σ_{p∈P(i)} exp(sᵢₚ) / Σ_{a∈A(i)} exp(sᵢₐ) ).
 * Anchors without positives give 0 and are excluded from `mean` (the reference code counts them as
 * 0 in its mean). Embeddings are L2-normalized here (the reference expects normalized features).
 * `ntXent` is L_out with τ_base = τ; this loss adds the reference's scaling and L_in.
 *
 * When to choose: supervised representation learning with labels and large batches (several views
 * or samples per class); Khosla et al. report it beats cross-entropy on ImageNet. Keep L_out unless
 * you compare with the paper's ablation.
 * @example
 * const loss = losses.supervisedContrastive({ temperature: 0.1, baseTemperature: 0.07 });
 * loss(tf.tensor1d([0, 0, 1, 1]), embeddings); // embeddings: [4, D]
 */
export const supervisedContrastive = defineLoss<SupervisedContrastiveOptions>({
  name: 'supervisedContrastive',
  aliases: ['supCon', 'SupConLoss'],
  options: {
    temperature: option.number(0.07, { min: 0, minExclusive: true }),
    baseTemperature: option.number(0.07, { min: 0, minExclusive: true }),
    variant: option.oneOf(['out', 'in'] as const, 'out'),
  },
  layout: 'labels',
  values: { yPred: 'finite' },
  compute: (labels, yPred, { temperature, baseTemperature, variant }): PerSample => {
    const masks = pairMasks(labels as tf.Tensor1D);
    const similarities = cosineLogits(yPred, temperature);
    const inner = variant === 'out' ? meanLogProbOfPositives(similarities, masks) : logMeanProbOfPositives(similarities, masks);
    const valid = hasAny(masks.positive);
    return { loss: tf.mul(tf.mul(inner, valid), -temperature / baseTemperature), valid };
  },
});

/** SupCon's L_in inner term: log(1/|P(i)| Σ_{p∈P(i)} softmax_{k≠i}(sᵢ)ₚ), per anchor. */
function logMeanProbOfPositives(similarities: tf.Tensor2D, masks: PairMasks): tf.Tensor {
  const logProb = logSoftmax(onlyWhere(similarities, masks.offDiagonal));
  const positives = tf.logSumExp(onlyWhere(logProb, masks.positive), 1);
  return tf.sub(positives, tf.log(tf.maximum(tf.sum(masks.positive, 1), 1)));
}

/** Options of `circle`. */
export interface CircleOptions extends BaseLossOptions {
  /** γ > 0: the scale of the similarities in the logsumexps (large values approach the hardest pair). @defaultValue 80 */
  gamma?: number;
  /** m: the relaxation margin; optima 1 − m for positives' and m for negatives' similarities. @defaultValue 0.4 */
  margin?: number;
  /** Leave each anchor out of its own positives (Keras `remove_diagonal`). @defaultValue true */
  removeDiagonal?: boolean;
}

/**
 * Circle loss (Sun et al. 2020, "Circle Loss: A Unified Perspective of Pair Similarity
 * Optimization"), as Keras 3 `keras.losses.Circle(gamma, margin, remove_diagonal)` computes it on
 * cosine distances dᵢⱼ = max(1 − zᵢ·zⱼ, 0) of the L2-normalized embeddings z:
 *   positives (same label): wₚ = [m + d]₊, logit −γ·wₚ·(m − d);
 *   negatives (other label): wₙ = [1 + m − d]₊, logit γ·wₙ·(1 − m − d);
 *   ℓᵢ = softplus( logsumexp_{p∈P(i)} logitᵢₚ + logsumexp_{n∈N(i)} logitᵢₙ ),
 * which is the paper's eq. 4 with sₚ = 1 − d, Oₚ = 1 + m, Δₚ = 1 − m, Oₙ = −m, Δₙ = m. With
 * `removeDiagonal: false` an anchor is its own positive (d = 0). Anchors without a positive or a
 * negative give 0 and are left out of `mean` (Keras masks the zero losses). Keras expects normalized
 * embeddings; normalizing here is the same on those and defined on the others.
 *
 * When to choose: face / re-identification / retrieval embeddings trained from class labels, where
 * triplet losses weigh all pairs alike: Circle re-weights each similarity by how far it is from its
 * optimum, so converged pairs stop dominating. γ 32–256 and m 0.25–0.4 are the paper's ranges.
 * @example
 * const loss = losses.circle({ gamma: 80, margin: 0.4 });
 * loss(tf.tensor1d([0, 0, 1, 1]), embeddings); // embeddings: [4, D]
 */
export const circle = defineLoss<CircleOptions>({
  name: 'circle',
  aliases: ['circleLoss', 'Circle', 'CircleLoss'],
  options: {
    gamma: option.number(80, { min: 0, minExclusive: true }),
    margin: option.number(0.4),
    removeDiagonal: option.boolean(true),
  },
  layout: 'labels',
  values: { yPred: 'finite' },
  compute: (labels, yPred, { gamma, margin, removeDiagonal }): PerSample => {
    const masks = pairMasks(labels as tf.Tensor1D);
    const positive = removeDiagonal ? masks.positive : tf.add(masks.positive, tf.eye(yPred.shape[0]!));
    const z = l2Normalize(yPred, 1);
    const d = tf.relu(tf.sub(1, tf.matMul(z, z, false, true)));
    const positiveLogits = tf.mul(-gamma, tf.mul(tf.relu(tf.add(margin, d)), tf.sub(margin, d)));
    const negativeLogits = tf.mul(gamma, tf.mul(tf.relu(tf.sub(1 + margin, d)), tf.sub(1 - margin, d)));
    const valid = tf.mul(hasAny(positive as tf.Tensor2D), hasAny(masks.negative));
    const sum = tf.add(tf.logSumExp(onlyWhere(positiveLogits, positive), 1), tf.logSumExp(onlyWhere(negativeLogits, masks.negative), 1));
    return { loss: tf.mul(softplus(sum), valid), valid };
  },
});

/**
 * PyTorch's cosine for `cosine_embedding_loss`: x₁·x₂ / √((‖x₁‖² + ε)(‖x₂‖² + ε)), ε = 1e-12,
 * computed on yₖ = xₖ / sₖ (sₖ = `maxAbsScale`) as y₁·y₂ / √((‖y₁‖² + ε/s₁²)(‖y₂‖² + ε/s₂²)), the
 * same quantity without squaring x (finite for embeddings up to ~1e38).
 */
function pytorchCosine(x1: tf.Tensor, x2: tf.Tensor): tf.Tensor {
  const [s1, s2] = [maxAbsScale(x1, -1), maxAbsScale(x2, -1)];
  const [y1, y2] = [tf.div(x1, s1), tf.div(x2, s2)];
  const squaredNorm = (y: tf.Tensor, s: tf.Tensor) => tf.add(tf.sum(tf.square(y), -1), tf.squeeze(tf.div(1e-12, tf.square(s)), [-1]));
  const dot = tf.sum(tf.mul(y1, y2), -1);
  return tf.div(dot, tf.sqrt(tf.mul(squaredNorm(y1, s1), squaredNorm(y2, s2))));
}

/** Options of `cosineEmbedding` (PyTorch `CosineEmbeddingLoss`). */
export interface CosineEmbeddingOptions extends BaseLossOptions {
  /** m ∈ [−1, 1]: dissimilar pairs cost nothing once cos(x₁, x₂) ≤ m. @defaultValue 0 */
  margin?: number;
}

/**
 * Cosine embedding loss: y = 1 → 1 − cos(x₁, x₂); y = −1 → [cos(x₁, x₂) − margin]₊.
 * Matches PyTorch `cosine_embedding_loss(x1, x2, y, margin, reduction='none')` (cos with its
 * ε = 1e-12 on the squared norms). Calling convention: `yPred` = the pair stacked on axis 1,
 * [B, 2, D] (`tf.stack([x1, x2], 1)`), `yTrue` = y ∈ {−1, 1} of shape [B] (or [B, 1]).
 *
 * When to choose: siamese models trained on similar / dissimilar pairs where only the angle
 * matters (text or image matching); margin 0 to 0.5 is typical.
 * @example
 * const loss = losses.cosineEmbedding({ margin: 0.2 });
 * loss(tf.tensor1d([1, -1]), tf.stack([x1, x2], 1)); // x1, x2: [2, D]
 */
export const cosineEmbedding = defineLoss<CosineEmbeddingOptions>({
  name: 'cosineEmbedding',
  aliases: ['CosineEmbeddingLoss'],
  options: { margin: option.number(0, { min: -1, max: 1 }) },
  layout: 'labels',
  batchedRanks: { yTrue: 1, yPred: 3 },
  yPredShape: COSINE_PAIRS,
  values: { yTrue: 'sign', yPred: 'finite' },
  validate: (_, yPred) => validatePairAxis('cosineEmbedding', yPred, COSINE_PAIRS),
  compute: (yTrue, yPred, { margin }) => {
    const [x1, x2] = tf.unstack(yPred, 1);
    const cos = pytorchCosine(x1!, x2!);
    const similar = tf.equal(yTrue, 1);
    return tf.where(similar, tf.sub(1, cos), tf.relu(tf.sub(cos, margin)));
  },
});

/** Options of `marginRanking` (PyTorch `MarginRankingLoss`). */
export interface MarginRankingOptions extends BaseLossOptions {
  /** The gap asked between the score that should rank higher and the other. @defaultValue 0 */
  margin?: number;
}

/**
 * Margin ranking loss: [−y·(x₁ − x₂) + margin]₊, y = 1 when x₁ should rank above x₂, −1 otherwise.
 * Matches PyTorch `margin_ranking_loss(x1, x2, y, margin, reduction='none')`. Calling convention:
 * `yPred` = scores [B, 2] with column 0 = x₁ and column 1 = x₂, `yTrue` = y of shape [B] (or [B, 1]).
 *
 * When to choose: learning to rank from pairwise preferences (search results, recommendations,
 * RankNet-style data) with a scoring model; a positive margin asks for a clear gap.
 * @example
 * const loss = losses.marginRanking({ margin: 0.1 });
 * loss(tf.tensor1d([1, -1]), tf.tensor2d([[2.0, 1.0], [0.5, 0.7]]));
 */
export const marginRanking = defineLoss<MarginRankingOptions>({
  name: 'marginRanking',
  aliases: ['MarginRankingLoss'],
  options: { margin: option.number(0) },
  layout: 'labels',
  yPredShape: SCORE_PAIRS,
  values: { yTrue: 'sign', yPred: 'finite' },
  validate: (_, yPred) => validatePairAxis('marginRanking', yPred, SCORE_PAIRS),
  compute: (yTrue, yPred, { margin }) => {
    const [x1, x2] = tf.unstack(yPred, 1);
    return tf.relu(tf.add(tf.mul(tf.neg(yTrue), tf.sub(x1!, x2!)), margin));
  },
});
