/**
 * Classification losses: binary and categorical cross-entropy (with label smoothing, class weights,
 * `pos_weight`, `ignoreIndex`), focal losses, Poly-1 and generalized cross-entropy.
 *
 * Every loss takes probabilities by default and logits with `fromLogits: true`:
 * - probabilities are clipped to [EPSILON, 1 − EPSILON] (EPSILON = 1e-7) before any log (Keras), and
 *   categorical probabilities are first normalized to sum to 1 over the class axis (Keras);
 * - logits go through the stable primitives (softplus, logSoftmax) and are never clipped, so logits
 *   of ±1e4 give finite values and gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { valueChecksEnabled } from '../core/config.js';
import { checkRank, checkValues, toTensor, type TensorInput } from '../core/validate.js';
import { defineLoss, type PerSample, type ValueRules } from '../core/loss.js';
import { clipProbability, logSigmoid, logSoftmax, nonZeroDenominator, oneHot, safePow } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, ResolvedOptions } from '../core/options.js';
import {
  fusedBinaryCrossentropy,
  fusedBinaryFocal,
  fusedCategoricalCrossentropy,
  fusedCategoricalFocal,
  fusedSparseCrossentropy,
  withFused,
} from '../kernels/fused.js';

/** `fromLogits`, shared by the classification losses. */
export interface FromLogitsOption {
  /** Whether yPred holds logits (any real) rather than probabilities (Keras `from_logits`). @defaultValue false */
  fromLogits?: boolean;
}

/** `labelSmoothing`, shared by the cross-entropies. */
export interface LabelSmoothingOption {
  /** ε ∈ [0, 1]: targets become y(1 − ε) + ε/k over k outcomes (Keras `label_smoothing`). @defaultValue 0 */
  labelSmoothing?: number;
}

/** `axis`, the class axis of the categorical losses. */
export interface ClassAxisOption {
  /** The class axis of yPred (negative counts from the last; PyTorch's layout is `axis: 1`). @defaultValue -1 */
  axis?: number;
}

/** `axis` of the dense categorical losses: one class axis, or a tuple of axes taken together as one (flattened, row-major). */
export interface ClassAxesOption {
  /** The class axis of yPred (negative counts from the last; PyTorch's layout is `axis: 1`), or several (`[1, 2]`). @defaultValue -1 */
  axis?: number | number[];
}

/** `classWeight`, per-class weights (PyTorch `weight`). */
export interface ClassWeightOption {
  /** One non-negative weight per class; the sample's weight is its target's class weight. @defaultValue undefined (no weights) */
  classWeight?: number[];
}

// ───────────────────────────── shared pieces ─────────────────────────────

const fromLogitsOption = () => option.boolean(false);
const labelSmoothingOption = () => option.number(0, { min: 0, max: 1 });
const classWeightOption = () => option.optionalNumberArray({ min: 0 });

/** Labels in [0, 1]; yPred probabilities unless `fromLogits`. */
const labelAndPrediction = ({ fromLogits }: ResolvedOptions<FromLogitsOption>): ValueRules => ({
  yTrue: 'binary',
  yPred: fromLogits ? 'any' : 'probability',
});

/** Keras label smoothing toward the uniform distribution over k outcomes: y(1 − ε) + ε/k. */
function smoothTargets(y: tf.Tensor, epsilon: number, k: number): tf.Tensor {
  return epsilon === 0 ? y : tf.add(tf.mul(y, 1 - epsilon), epsilon / k);
}

/**
 * Label smoothing as a standalone function: (1 − α)·y + α/K over the last axis (K its size), which
 * moves one-hot (or soft) targets toward the uniform distribution. Matches Optax
 * `smooth_labels(labels, alpha)`, and what the cross-entropies' `labelSmoothing` option does inside
 * the loss (Keras `label_smoothing`). Use it to smooth targets once, outside a loss: for a loss
 * without the option (`fenchelYoung`, `kullbackLeiblerDivergence`…), or to inspect the targets.
 * The result is a new tensor (the caller disposes it); `labels` is left as is.
 * @example
 * losses.smoothLabels(tf.tensor2d([[0, 1]]), 0.2).arraySync(); // [[0.1, 0.9]]
 */
export function smoothLabels(labels: TensorInput, alpha: number): tf.Tensor {
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) {
    throw new LossInputError('smoothLabels', 'alpha', 'a number in [0, 1]', describeValue(alpha));
  }
  return tf.tidy(() => {
    const y = toTensor('smoothLabels', 'labels', labels);
    checkRank('smoothLabels', 'labels', y, 1);
    if (lastDim(y) === 0) throw new LossInputError('smoothLabels', 'labels', 'a last (class) axis of size ≥ 1', `shape ${formatShape(y.shape)}`);
    checkValues('smoothLabels', 'labels', y, 'finite');
    // A copy when α = 0 too, so that the caller owns (and may dispose) what it gets.
    return alpha === 0 ? tf.clone(y) : smoothTargets(y, alpha, lastDim(y));
  });
}

/** Size of the last axis (the class axis once the wrapper has moved it last). */
const lastDim = (t: tf.Tensor): number => t.shape[t.rank - 1]!;

/**
 * log p and log(1 − p) elementwise: logSigmoid(±x) = −softplus(∓x) from logits (stable), or the logs of the clipped
 * probability (Keras clips to [1e-7, 1 − 1e-7]).
 */
function binaryLogProbs(yPred: tf.Tensor, fromLogits: boolean): { logP: tf.Tensor; log1mP: tf.Tensor } {
  if (fromLogits) return { logP: logSigmoid(yPred), log1mP: logSigmoid(tf.neg(yPred)) };
  const p = clipProbability(yPred);
  return { logP: tf.log(p), log1mP: tf.log1p(tf.neg(p)) };
}

/** Elementwise −[w⁺·y·log p + (1 − y)·log(1 − p)], with w⁺ the optional positive-class weight. */
function binaryCrossentropyTerms(y: tf.Tensor, yPred: tf.Tensor, fromLogits: boolean, posWeight?: tf.Tensor): tf.Tensor {
  const { logP, log1mP } = binaryLogProbs(yPred, fromLogits);
  const positive = tf.mul(y, logP);
  const negative = tf.mul(tf.sub(1, y), log1mP);
  return tf.neg(tf.add(posWeight ? tf.mul(posWeight, positive) : positive, negative));
}

/** p and 1 − p without cancellation: σ(x) and σ(−x) for logits, p and 1 − p (unclipped, Keras) otherwise. */
function binaryProbs(yPred: tf.Tensor, fromLogits: boolean): { p: tf.Tensor; q: tf.Tensor } {
  return fromLogits
    ? { p: tf.sigmoid(yPred), q: tf.sigmoid(tf.neg(yPred)) }
    : { p: yPred, q: tf.sub(1, yPred) };
}

/** 1 − p_t with p_t = y·p + (1 − y)(1 − p), written as y·(1 − p) + (1 − y)·p. */
function binaryOneMinusPt(y: tf.Tensor, yPred: tf.Tensor, fromLogits: boolean): tf.Tensor {
  const { p, q } = binaryProbs(yPred, fromLogits);
  return tf.add(tf.mul(y, q), tf.mul(tf.sub(1, y), p));
}

/** Smallest row sum used to normalize categorical probabilities. */
const MIN_ROW_SUM = 1e-15;

/** Probabilities normalized over the last axis: p / Σp (guarded against an all-zero row), then clipped (Keras). */
function normalizedProbs(yPred: tf.Tensor): tf.Tensor {
  // The floor keeps an all-zero row finite, value and gradient (1e-15² does not underflow float32).
  const total = tf.maximum(tf.sum(yPred, -1, true), MIN_ROW_SUM);
  return clipProbability(tf.div(yPred, total));
}

/** log p over the last axis: logSoftmax of logits, or log of the normalized, clipped probabilities. */
function classLogProbs(yPred: tf.Tensor, fromLogits: boolean): tf.Tensor {
  return fromLogits ? logSoftmax(yPred) : tf.log(normalizedProbs(yPred));
}

/** A per-class weight vector, broadcast along the last axis. */
const classVector = (weights: readonly number[]): tf.Tensor => tf.tensor1d(weights as number[], 'float32');

/** Σ_c w_c y_c: the class weight of each sample's target (dense targets, class axis last). */
const targetWeight = (yTrue: tf.Tensor, classWeight: readonly number[]): tf.Tensor => tf.sum(tf.mul(classVector(classWeight), yTrue), -1);

/**
 * Sparse labels with `ignoreIndex`: `valid` is 0 where a label is ignored, and `safeLabels` has those
 * labels (possibly out of range) replaced by class 0, so that they can index (their loss is zeroed).
 */
function ignoredLabels(labels: tf.Tensor, ignoreIndex: number | undefined): { safeLabels: tf.Tensor; valid?: tf.Tensor } {
  if (ignoreIndex === undefined) return { safeLabels: labels };
  const ignored = tf.equal(labels, ignoreIndex);
  return { safeLabels: tf.where(ignored, tf.zerosLike(labels), labels), valid: tf.sub(1, tf.cast(ignored, 'float32')) };
}

// ───────────────────────────── binary ─────────────────────────────

/** Options of `binaryCrossentropy`. */
export interface BinaryCrossentropyOptions extends BaseLossOptions, FromLogitsOption, LabelSmoothingOption {
  /**
   * w⁺ ≥ 0, the weight of the positive term (PyTorch `pos_weight`): a number, or one weight per entry
   * of the last axis. @defaultValue undefined (1)
   */
  posWeight?: number | number[];
}

/**
 * Binary cross-entropy, elementwise; the per-sample loss is the mean over the last axis (Keras).
 *
 *   ℓ = −[w⁺·y′·log p + (1 − y′)·log(1 − p)],   y′ = y(1 − ε) + ε/2
 *
 * - probabilities (default): p clipped to [1e-7, 1 − 1e-7] (Keras 3 `BinaryCrossentropy`);
 * - `fromLogits: true`: w⁺·y′·softplus(−x) + (1 − y′)·softplus(x), stable for any logit
 *   (PyTorch `BCEWithLogitsLoss`, `binary_cross_entropy_with_logits`).
 *
 * Options: `fromLogits` (Keras `from_logits`), `labelSmoothing` ε ∈ [0, 1] (Keras `label_smoothing`),
 * `posWeight` w⁺ (PyTorch `pos_weight`: a number, or one weight per entry of the last axis) which
 * scales the positive term in both modes.
 *
 * Choose it for binary and multi-label classification (one independent yes/no per output). Prefer
 * `fromLogits: true` with a linear last layer; use `posWeight` ≈ #negatives/#positives for rare positives.
 * The alias `BCEWithLogitsLoss` presets `fromLogits: true`, as PyTorch's class takes logits.
 * @example
 * const loss = losses.binaryCrossentropy({ fromLogits: true, posWeight: 3 });
 * loss(tf.tensor2d([[1, 0]]), tf.tensor2d([[2.5, -1]])); // mean of 3·softplus(−2.5) and softplus(−1)
 */
export const binaryCrossentropy = defineLoss<BinaryCrossentropyOptions, 'posWeight'>({
  name: 'binaryCrossentropy',
  aliases: ['bce', 'binary_crossentropy', 'binary_cross_entropy', 'BCELoss', { alias: 'BCEWithLogitsLoss', options: { fromLogits: true } }],
  options: {
    fromLogits: fromLogitsOption(),
    labelSmoothing: labelSmoothingOption(),
    posWeight: option.optionalNumberOrArray({ min: 0 }),
  },
  layout: 'elementwise',
  values: labelAndPrediction,
  compute: withFused(fusedBinaryCrossentropy, binaryCrossentropyValues),
});

function binaryCrossentropyValues(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  { fromLogits, labelSmoothing, posWeight }: ResolvedOptions<BinaryCrossentropyOptions, 'posWeight'>,
): tf.Tensor {
  const y = smoothTargets(yTrue, labelSmoothing, 2);
  return binaryCrossentropyTerms(y, yPred, fromLogits, positiveWeight(yPred, posWeight));
}

/** posWeight as a tensor broadcast along the last axis, after checking its length. */
function positiveWeight(yPred: tf.Tensor, posWeight: number | number[] | undefined): tf.Tensor | undefined {
  if (posWeight === undefined) return undefined;
  if (typeof posWeight === 'number') return tf.scalar(posWeight);
  if (posWeight.length !== 1 && posWeight.length !== lastDim(yPred)) {
    throw new LossInputError(
      'binaryCrossentropy',
      'options.posWeight',
      `a number or one weight per entry of yPred's last axis (${lastDim(yPred)})`,
      `${posWeight.length} weights`,
    );
  }
  return classVector(posWeight);
}

/** Options of `binaryFocalCrossentropy` (Keras 3 `BinaryFocalCrossentropy`). */
export interface BinaryFocalCrossentropyOptions extends BaseLossOptions, FromLogitsOption, LabelSmoothingOption {
  /** γ ≥ 0, the focusing parameter: larger down-weights easy examples more. @defaultValue 2 */
  gamma?: number;
  /** α ∈ [0, 1], the weight of the positive class; used only with `applyClassBalancing`. @defaultValue 0.25 */
  alpha?: number;
  /** Whether to weight the positive class by α and the negative by 1 − α (Keras `apply_class_balancing`). @defaultValue false */
  applyClassBalancing?: boolean;
}

/**
 * Binary focal cross-entropy (Lin et al. 2017), elementwise; per-sample = mean over the last axis.
 *
 *   ℓ = (1 − p_t)^γ · BCE(y′, p) [· (y′α + (1 − y′)(1 − α)) if applyClassBalancing],
 *   p_t = y′p + (1 − y′)(1 − p),   y′ = y(1 − ε) + ε/2
 *
 * Matches Keras 3 `BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits,
 * label_smoothing)`: α is used only with `applyClassBalancing` (as in Keras 3). One deliberate
 * difference: with `fromLogits` the BCE term uses the stable logit form instead of clipping σ(x).
 *
 * Choose it for heavily imbalanced binary or multi-label problems (dense detection, rare events):
 * γ > 0 down-weights easy, well-classified examples. γ = 0 (without balancing) is plain BCE.
 * @example
 * const loss = losses.binaryFocalCrossentropy({ gamma: 2, fromLogits: true });
 * loss(tf.tensor2d([[1], [0]]), tf.tensor2d([[3], [-0.5]]));
 */
export const binaryFocalCrossentropy = defineLoss<BinaryFocalCrossentropyOptions>({
  name: 'binaryFocalCrossentropy',
  aliases: ['focal', 'focal_loss', 'binary_focal_crossentropy', 'binary_focal_loss'],
  options: {
    gamma: option.number(2, { min: 0 }),
    alpha: option.number(0.25, { min: 0, max: 1 }),
    applyClassBalancing: option.boolean(false),
    fromLogits: fromLogitsOption(),
    labelSmoothing: labelSmoothingOption(),
  },
  layout: 'elementwise',
  values: labelAndPrediction,
  compute: withFused(fusedBinaryFocal, binaryFocalValues),
});

function binaryFocalValues(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  { gamma, alpha, applyClassBalancing, fromLogits, labelSmoothing }: ResolvedOptions<BinaryFocalCrossentropyOptions>,
): tf.Tensor {
  const y = smoothTargets(yTrue, labelSmoothing, 2);
  const bce = binaryCrossentropyTerms(y, yPred, fromLogits);
  const focal = tf.mul(safePow(binaryOneMinusPt(y, yPred, fromLogits), gamma), bce);
  if (!applyClassBalancing) return focal;
  return tf.mul(tf.add(tf.mul(y, alpha), tf.mul(tf.sub(1, y), 1 - alpha)), focal);
}

// ───────────────────────────── categorical ─────────────────────────────

/** Options of `categoricalCrossentropy`. */
export interface CategoricalCrossentropyOptions extends BaseLossOptions, FromLogitsOption, LabelSmoothingOption, ClassAxesOption, ClassWeightOption {}

/**
 * Categorical cross-entropy over the class axis (`axis`, default −1); targets may be soft.
 *
 *   ℓ = −Σ_c y′_c log p_c,   y′ = y(1 − ε) + ε/C
 *
 * - probabilities (default): p ← clip(p / Σp) (Keras 3 `CategoricalCrossentropy(from_logits,
 *   label_smoothing, axis)`; an all-zero row is treated as p = 1e-7 everywhere instead of Keras' NaN);
 * - `fromLogits: true`: log p = logSoftmax(x) (PyTorch `cross_entropy` with probability targets).
 *
 * `classWeight` w (one per class, PyTorch `weight`): the per-sample loss is −Σ_c w_c y′_c log p_c and
 * its weight (the `weightedMean` denominator) is Σ_c w_c y_c. With one-hot targets, reductions
 * none / sum / weightedMean equal PyTorch `cross_entropy(weight=w, label_smoothing=ε)` with reduction
 * none / sum / mean; with soft targets, `mean` equals PyTorch's mean. (A sample whose Σ_c w_c y_c is 0
 * contributes 0.)
 *
 * Choose it for single-label multi-class classification with one-hot or soft (distilled, mixed-up)
 * targets; use `sparseCategoricalCrossentropy` for integer labels.
 * @example
 * const loss = losses.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 });
 * loss(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[1, 3, -1]]));
 */
export const categoricalCrossentropy = defineLoss<CategoricalCrossentropyOptions, 'classWeight'>({
  name: 'categoricalCrossentropy',
  aliases: ['cce', 'categorical_crossentropy', 'categorical_cross_entropy', 'softmax_cross_entropy'],
  options: {
    fromLogits: fromLogitsOption(),
    labelSmoothing: labelSmoothingOption(),
    axis: option.axes(-1),
    classWeight: classWeightOption(),
  },
  layout: 'dense',
  values: labelAndPrediction,
  compute: withFused(fusedCategoricalCrossentropy, (yTrue, yPred, options): tf.Tensor | PerSample => {
    const loss = categoricalValues(yTrue, yPred, options);
    return options.classWeight === undefined ? loss : { loss, weight: targetWeight(yTrue, options.classWeight) };
  }),
});

function categoricalValues(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  { fromLogits, labelSmoothing, classWeight }: ResolvedOptions<CategoricalCrossentropyOptions, 'classWeight'>,
): tf.Tensor {
  const y = smoothTargets(yTrue, labelSmoothing, lastDim(yPred));
  const logP = classLogProbs(yPred, fromLogits);
  if (classWeight === undefined) return tf.neg(tf.sum(tf.mul(y, logP), -1));
  const weightedLoss = tf.neg(tf.sum(tf.mul(tf.mul(classVector(classWeight), y), logP), -1));
  // The wrapper multiplies the loss by the target's weight: divide here so that the product is −Σ w_c y′_c log p_c.
  return tf.div(weightedLoss, nonZeroDenominator(targetWeight(yTrue, classWeight)));
}

/** Options of `sparseCategoricalCrossentropy` (PyTorch `cross_entropy(weight, ignore_index)`). */
export interface SparseCategoricalCrossentropyOptions extends BaseLossOptions, FromLogitsOption, ClassAxisOption, ClassWeightOption {
  /** A label value (any integer, e.g. −100 or 255) that gives loss 0 and is left out of `mean`. @defaultValue undefined (none) */
  ignoreIndex?: number;
}

/**
 * Sparse categorical cross-entropy: integer class labels, −log p_y.
 *
 * yTrue holds class indices shaped like yPred without its class axis: [B] (or [B, 1]) for [B, C];
 * with `axis: 1`, [B, L] for [B, C, L] (PyTorch's layout). log p is logSoftmax(x) with `fromLogits`,
 * else log(clip(p / Σp)) (Keras 3 `SparseCategoricalCrossentropy`).
 *
 * Options as PyTorch `cross_entropy(weight, ignore_index)`: `classWeight` w gives sample weight w_y;
 * `ignoreIndex` (any integer, e.g. −100 or 255, even outside [0, C)) gives loss 0 and excludes the
 * entry from `mean`. Reductions: PyTorch `mean` = ours `weightedMean` (= ours `mean` without
 * classWeight); `sum` and `none` are the same.
 *
 * Choose it for single-label multi-class classification and per-pixel segmentation with integer labels.
 * @example
 * const loss = losses.sparseCategoricalCrossentropy({ fromLogits: true, ignoreIndex: -100 });
 * loss(tf.tensor1d([2, -100], 'int32'), tf.tensor2d([[0.1, 0.2, 3], [1, 2, 3]])); // −log softmax(x₀)₂
 */
export const sparseCategoricalCrossentropy = defineLoss<SparseCategoricalCrossentropyOptions, 'ignoreIndex' | 'classWeight'>({
  name: 'sparseCategoricalCrossentropy',
  aliases: ['scce', 'sparse_categorical_crossentropy', 'sparse_softmax_cross_entropy', { alias: 'CrossEntropyLoss', options: { fromLogits: true } }, 'cross_entropy'],
  options: {
    fromLogits: fromLogitsOption(),
    ignoreIndex: option.optionalInteger(),
    classWeight: classWeightOption(),
    axis: option.axis(-1),
  },
  layout: 'sparse',
  values: ({ fromLogits }) => ({ yPred: fromLogits ? 'any' : 'probability' }),
  compute: withFused(fusedSparseCrossentropy, (labels, yPred, options): PerSample => {
    const { safeLabels, valid } = ignoredLabels(labels, options.ignoreIndex);
    const weight = options.classWeight === undefined ? undefined : tf.gather(classVector(options.classWeight), safeLabels);
    return { loss: sparseValues(labels, yPred, options), weight, valid };
  }),
});

/** −log p_y per entry, 0 where the label is ignored. */
function sparseValues(labels: tf.Tensor, yPred: tf.Tensor, { fromLogits, ignoreIndex }: ResolvedOptions<SparseCategoricalCrossentropyOptions, 'ignoreIndex' | 'classWeight'>): tf.Tensor {
  const { safeLabels, valid } = ignoredLabels(labels, ignoreIndex);
  // Picks log p_y with where(), not a product with the one-hot: a −Infinity logit on another class has
  // log p = −Infinity there, and 0 · −Infinity would be NaN (the fused kernel gives the true value).
  const isTarget = tf.cast(oneHot(safeLabels, lastDim(yPred)), 'bool');
  const logP = classLogProbs(yPred, fromLogits);
  const nll = tf.neg(tf.sum(tf.where(isTarget, logP, tf.zerosLike(logP)), -1));
  return valid ? tf.mul(nll, valid) : nll;
}

/** Options of `categoricalFocalCrossentropy` (Keras 3 `CategoricalFocalCrossentropy`). */
export interface CategoricalFocalCrossentropyOptions extends BaseLossOptions, FromLogitsOption, LabelSmoothingOption, ClassAxesOption {
  /** γ ≥ 0, the focusing parameter. @defaultValue 2 */
  gamma?: number;
  /** α ≥ 0, a weight on every class term. @defaultValue 0.25 */
  alpha?: number;
}

/**
 * Categorical focal cross-entropy (Lin et al. 2017, multi-class form) over the class axis.
 *
 *   ℓ = Σ_c −α (1 − p_c)^γ y′_c log p_c,   y′ = y(1 − ε) + ε/C
 *
 * Matches Keras 3 `CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing, axis)`:
 * p = softmax(x) or p / Σp, clipped to [1e-7, 1 − 1e-7]; with `fromLogits` log p is logSoftmax(x)
 * (unclipped, stable) instead of the log of the clipped softmax.
 *
 * Choose it for imbalanced multi-class problems where easy examples dominate the plain
 * cross-entropy; γ = 0, α = 1 is categorical cross-entropy.
 * @example
 * const loss = losses.categoricalFocalCrossentropy({ gamma: 2, fromLogits: true });
 * loss(tf.tensor2d([[0, 0, 1]]), tf.tensor2d([[0.5, 1, 2]]));
 */
export const categoricalFocalCrossentropy = defineLoss<CategoricalFocalCrossentropyOptions>({
  name: 'categoricalFocalCrossentropy',
  aliases: ['categorical_focal_crossentropy', 'categorical_focal', 'categorical_focal_loss'],
  options: {
    gamma: option.number(2, { min: 0 }),
    alpha: option.number(0.25, { min: 0 }),
    fromLogits: fromLogitsOption(),
    labelSmoothing: labelSmoothingOption(),
    axis: option.axes(-1),
  },
  layout: 'dense',
  values: labelAndPrediction,
  compute: withFused(fusedCategoricalFocal, categoricalFocalValues),
});

function categoricalFocalValues(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  { gamma, alpha, fromLogits, labelSmoothing }: ResolvedOptions<CategoricalFocalCrossentropyOptions>,
): tf.Tensor {
  const y = smoothTargets(yTrue, labelSmoothing, lastDim(yPred));
  const p = fromLogits ? clipProbability(tf.softmax(yPred)) : normalizedProbs(yPred);
  const logP = fromLogits ? logSoftmax(yPred) : tf.log(p);
  const modulating = tf.mul(alpha, safePow(tf.sub(1, p), gamma));
  return tf.neg(tf.sum(tf.mul(modulating, tf.mul(y, logP)), -1));
}

// ───────────────────────────── robust / polynomial ─────────────────────────────

/** Options of `polyCrossentropy`. */
export interface PolyCrossentropyOptions extends BaseLossOptions, FromLogitsOption, ClassAxesOption {
  /** ε ≥ −1, the weight of the first polynomial term (1 − p_t). @defaultValue 1 */
  epsilon?: number;
}

/**
 * Poly-1 cross-entropy (Leng et al. 2022, "PolyLoss"): cross-entropy plus ε times its first
 * polynomial term.
 *
 *   ℓ = CE + ε (1 − p_t),   CE = −Σ_c y_c log p_c,   p_t = Σ_c y_c p_c
 *
 * p is softmax(x) with `fromLogits`, else clip(p / Σp). When the class axis has size 1 the loss is
 * binary: p = σ(x) (or the clipped probability), CE = BCE, p_t = y·p + (1 − y)(1 − p).
 *
 * Choose it as a drop-in for cross-entropy with one tunable knob: ε > 0 pushes confident
 * predictions further (helps on ImageNet-style tasks), ε < 0 (down to −1) softens them.
 * @example
 * const loss = losses.polyCrossentropy({ epsilon: 1, fromLogits: true });
 * loss(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.2, 1.5]]));
 */
export const polyCrossentropy = defineLoss<PolyCrossentropyOptions>({
  name: 'polyCrossentropy',
  aliases: ['poly1', 'poly_loss', 'poly1_cross_entropy', 'poly_crossentropy'],
  options: {
    epsilon: option.number(1, { min: -1 }),
    fromLogits: fromLogitsOption(),
    axis: option.axes(-1),
  },
  layout: 'dense',
  values: labelAndPrediction,
  compute: (yTrue, yPred, { epsilon, fromLogits }) => {
    if (lastDim(yPred) === 1) {
      // Binary: p and 1 − p from the same (clipped or logit) log-probabilities as the BCE term.
      const { logP, log1mP } = binaryLogProbs(yPred, fromLogits);
      const bce = tf.neg(tf.add(tf.mul(yTrue, logP), tf.mul(tf.sub(1, yTrue), log1mP)));
      const oneMinusPt = tf.add(tf.mul(yTrue, tf.exp(log1mP)), tf.mul(tf.sub(1, yTrue), tf.exp(logP)));
      return tf.sum(tf.add(bce, tf.mul(epsilon, oneMinusPt)), -1);
    }
    const logP = classLogProbs(yPred, fromLogits);
    const ce = tf.neg(tf.sum(tf.mul(yTrue, logP), -1));
    const pt = tf.sum(tf.mul(yTrue, tf.exp(logP)), -1);
    return tf.add(ce, tf.mul(epsilon, tf.sub(1, pt)));
  },
});

/** Options of `generalizedCrossentropy`. */
export interface GeneralizedCrossentropyOptions extends BaseLossOptions, FromLogitsOption, ClassAxesOption {
  /** q ∈ (0, 1]: q → 0 is cross-entropy, q = 1 is MAE on the true class. @defaultValue 0.7 */
  q?: number;
}

/**
 * Generalized cross-entropy L_q (Zhang & Sabuncu 2018), robust to noisy labels.
 *
 *   ℓ = Σ_c y_c (1 − p_c^q) / q   (= (1 − p_y^q)/q for one-hot y),   q ∈ (0, 1]
 *
 * p is softmax(x) with `fromLogits` (p^q = exp(q·logSoftmax(x)), stable), else clip(p / Σp).
 * q → 0 recovers cross-entropy, q = 1 is MAE on the true class. A size-1 class axis is binary:
 * y(1 − p^q)/q + (1 − y)(1 − (1 − p)^q)/q with p = σ(x) or the clipped probability.
 *
 * Choose it when a noticeable fraction of the labels may be wrong (crowd-sourced, weak labels):
 * it bounds the loss of confidently contradicted examples; q = 0.7 is the paper's default.
 * @example
 * const loss = losses.generalizedCrossentropy({ q: 0.7, fromLogits: true });
 * loss(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[2, 0.5, -1]]));
 */
export const generalizedCrossentropy = defineLoss<GeneralizedCrossentropyOptions>({
  name: 'generalizedCrossentropy',
  aliases: ['gce', 'generalized_cross_entropy', 'generalized_crossentropy', 'lq_loss'],
  options: {
    q: option.number(0.7, { min: 0, max: 1, minExclusive: true }),
    fromLogits: fromLogitsOption(),
    axis: option.axes(-1),
  },
  layout: 'dense',
  values: labelAndPrediction,
  compute: (yTrue, yPred, { q, fromLogits }) => {
    const lq = (logP: tf.Tensor) => tf.div(tf.sub(1, tf.exp(tf.mul(q, logP))), q);
    if (lastDim(yPred) === 1) {
      const { logP, log1mP } = binaryLogProbs(yPred, fromLogits);
      return tf.sum(tf.add(tf.mul(yTrue, lq(logP)), tf.mul(tf.sub(1, yTrue), lq(log1mP))), -1);
    }
    return tf.sum(tf.mul(yTrue, lq(classLogProbs(yPred, fromLogits))), -1);
  },
});

// ───────────────────────────── masked classes ─────────────────────────────

/** Options of `safeSoftmaxCrossentropy`. */
export interface SafeSoftmaxCrossentropyOptions extends BaseLossOptions, ClassAxisOption {}

/**
 * Softmax cross-entropy whose logits may be −Infinity (masked classes: excluded from the softmax):
 *
 *   ℓ = −Σ_{c : y_c ≠ 0} y_c · logSoftmax(x)_c
 *
 * A −Infinity logit gives its class probability 0, and, where the target puts no mass on it, a term
 * of 0 (0 · log 0 = 0) instead of NaN, and a zero gradient. Matches Optax
 * `safe_softmax_cross_entropy(logits, labels)`. yTrue are target distributions (one-hot or soft) over
 * the class axis (`axis`); yPred are logits, finite or −Infinity (+Infinity and NaN are rejected).
 * A row whose logits are all −Infinity, or whose target puts mass on a −Infinity logit, has no finite
 * loss: a LossInputError naming yPred (with value checks on).
 * Choose it when some classes are invalid for some samples (legal moves, a vocabulary restricted per
 * example, padding classes) and are masked by setting their logit to −Infinity.
 * @example
 * const loss = losses.safeSoftmaxCrossentropy();
 * loss(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[0, 0, -Infinity]])); // −log ½ ≈ 0.6931
 */
export const safeSoftmaxCrossentropy = defineLoss<SafeSoftmaxCrossentropyOptions>({
  name: 'safeSoftmaxCrossentropy',
  aliases: ['safe_softmax_cross_entropy', 'masked_softmax_cross_entropy'],
  options: { axis: option.axis(-1) },
  layout: 'dense',
  values: { yTrue: 'binary', yPred: 'logProbability' },
  compute: (yTrue, yPred) => {
    checkMaskedLogits(yTrue, yPred);
    const logP = tf.logSoftmax(yPred, -1);
    const terms = tf.where(tf.equal(yTrue, 0), tf.zerosLike(logP), tf.mul(yTrue, logP));
    return tf.neg(tf.sum(terms, -1));
  },
});

/**
 * With value checks on: every row (class axis last) has a finite logit, and no target mass sits on a
 * −Infinity logit (both would make the loss infinite or NaN).
 */
function checkMaskedLogits(yTrue: tf.Tensor, yPred: tf.Tensor): void {
  if (!valueChecksEnabled()) return;
  const x = yPred.dataSync();
  const y = yTrue.dataSync();
  const C = lastDim(yPred);
  for (let row = 0; row * C < x.length; row++) {
    const start = row * C;
    if (x.subarray(start, start + C).every((v) => v === -Infinity)) {
      throw new LossInputError('safeSoftmaxCrossentropy', 'yPred', 'at least one finite logit per row (−Infinity masks a class)', `row ${row} all −Infinity`);
    }
    for (let c = start; c < start + C; c++) {
      if (x[c] === -Infinity && y[c]! > 0) {
        throw new LossInputError('safeSoftmaxCrossentropy', 'yPred', 'a finite logit wherever yTrue has mass (−Infinity masks a class)', `−Infinity under target ${y[c]} (row ${row}, class ${c - start})`);
      }
    }
  }
}
