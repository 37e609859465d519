/**
 * Segmentation losses: overlap losses on soft counts (Dice, Tversky, focal Tversky, Jaccard) and the
 * Lovász surrogates of the Jaccard loss (hinge for binary masks, softmax for class maps).
 *
 * Layout (all losses): yPred is [B, …spatial, C] (channels-last, tfjs' default) or, with `axis: 1`,
 * [B, C, …spatial]. Soft counts per class are
 *   TP = Σ p·y,  FP = Σ p·(1 − y),  FN = Σ (1 − p)·y
 * summed over the spatial axes of each image (`aggregation: 'perImage'`, one loss per image) or over the
 * whole batch (`'perBatch'`, segmentation_models_pytorch's default: one value, repeated for every image).
 * Per-class losses are averaged over classes (weighted by `classWeight` when given).
 *
 * Reductions: with 'perImage' the per-sample values are the B per-image losses, so `mean` is their mean
 * (the paper's `per_image=True`). With 'perBatch' every per-sample value is the one pooled loss L, so
 * `mean` and `weightedMean` return L itself (SMP's value), `sum` returns L·Σwᵢ (B·L unweighted), `none`
 * the B copies. Sample weights and masks scale those copies; they do not take images out of the pooled
 * counts (use 'perImage' to weight or exclude images).
 *
 * Modes (segmentation_models_pytorch's `mode`):
 * - `binary`: one foreground class; yTrue has yPred's shape; every non-batch axis is spatial; sigmoid when `fromLogits`;
 * - `multilabel`: C independent masks along `axis`; yTrue has yPred's shape; sigmoid when `fromLogits`;
 * - `multiclass`: C exclusive classes along `axis`; softmax over `axis` when `fromLogits`; yTrue is either one-hot
 *   (yPred's shape) or an integer label map (yPred's shape without the class axis, or with it of size 1),
 *   where `ignoreIndex` pixels are left out of every sum.
 */
import * as tf from '@tensorflow/tfjs-core';
import { valueChecksEnabled } from '../core/config.js';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { defineLoss } from '../core/loss.js';
import { EPSILON, nonZeroDenominator, oneHot, safePow } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, OptionSpecsFor, ResolvedOptions } from '../core/options.js';
import { checkRank, checkSameShape, checkValues, resolveAxis, sameShape } from '../core/validate.js';

const SEGMENTATION_MODES = ['binary', 'multiclass', 'multilabel'] as const;
export type SegmentationMode = (typeof SEGMENTATION_MODES)[number];
const AGGREGATIONS = ['perImage', 'perBatch'] as const;
export type SegmentationAggregation = (typeof AGGREGATIONS)[number];

/** Options shared by the class-aware segmentation losses. */
export interface SegmentationClassOptions extends BaseLossOptions {
  /** Whether yPred holds logits (sigmoid or softmax applied) rather than probabilities. @defaultValue false */
  fromLogits?: boolean;
  /** The class axis of yPred (`1` for PyTorch's [B, C, …spatial]). @defaultValue -1 */
  axis?: number;
  /** A label value of a multiclass label map whose pixels are left out of every count. @defaultValue undefined (none) */
  ignoreIndex?: number;
  /** One non-negative weight per class for the class average (not in mode 'binary'). @defaultValue undefined (equal weights) */
  classWeight?: number[];
  /** Counts summed per image (`'perImage'`, one loss each) or over the batch (`'perBatch'`, SMP's default). @defaultValue 'perImage' */
  aggregation?: SegmentationAggregation;
}

/** Options shared by the overlap losses (Dice, Tversky, focal Tversky, Jaccard). */
export interface SegmentationRegionOptions extends SegmentationClassOptions {
  /** segmentation_models_pytorch's `mode`: one foreground class, C exclusive classes, or C independent masks. @defaultValue 'binary' */
  mode?: SegmentationMode;
}

/** The segmentation options without a default. */
type Unset = 'ignoreIndex' | 'classWeight';

const classOptions: OptionSpecsFor<SegmentationClassOptions, Unset> = {
  fromLogits: option.boolean(false),
  axis: option.axis(-1),
  ignoreIndex: option.optionalInteger(),
  classWeight: option.optionalNumberArray({ min: 0 }),
  aggregation: option.oneOf(AGGREGATIONS, 'perImage'),
};
const regionOptions: OptionSpecsFor<SegmentationRegionOptions, Unset> = { mode: option.oneOf(SEGMENTATION_MODES, 'binary'), ...classOptions };

type ClassOptions = ResolvedOptions<SegmentationRegionOptions, Unset>;

/** Soft counts per group (image or batch) and class: [G, C] each. */
interface Counts {
  tp: tf.Tensor;
  fp: tf.Tensor;
  fn: tf.Tensor;
}

// ───────────────────────────── validation ─────────────────────────────

/** True when yTrue is an integer label map (multiclass), false when it has yPred's shape. */
function isLabelMap(yTrue: tf.Tensor, yPred: tf.Tensor): boolean {
  return !sameShape(yTrue.shape, yPred.shape);
}

function checkLabelMapShape(name: string, yTrue: tf.Tensor, yPred: tf.Tensor, axis: number): void {
  const expected = yPred.shape.filter((_, i) => i !== axis);
  const withUnitAxis = yPred.shape.map((d, i) => (i === axis ? 1 : d));
  if (sameShape(yTrue.shape, expected) || sameShape(yTrue.shape, withUnitAxis)) return;
  throw new LossInputError(
    name,
    'yTrue',
    `one-hot labels of shape ${formatShape(yPred.shape)} or a label map of shape ${formatShape(expected)} (yPred's shape without class axis ${axis})`,
    `shape ${formatShape(yTrue.shape)}`,
  );
}

/** Lovász losses need hard labels: every entry exactly 0 or 1. */
function checkHardLabels(name: string, yTrue: tf.Tensor): void {
  if (!valueChecksEnabled() || yTrue.size === 0) return;
  const values = yTrue.dataSync();
  const i = values.findIndex((v) => v !== 0 && v !== 1);
  if (i >= 0) throw new LossInputError(name, 'yTrue', 'hard labels, each exactly 0 or 1 (the Lovász extension needs binary ground truth)', `${values[i]} at flat index ${i}`);
}

function rejectOption(name: string, option: string, value: unknown, expected: string): never {
  throw new LossInputError(name, `options.${option}`, expected, describeValue(value));
}

function checkClassWeight(name: string, classWeight: number[] | undefined, numClasses: number): void {
  if (classWeight === undefined) return;
  if (classWeight.length !== numClasses) {
    throw new LossInputError(name, 'options.classWeight', `one weight per class (${numClasses}, the size of yPred's class axis)`, `${classWeight.length} weights`);
  }
  if (!classWeight.some((w) => w > 0)) rejectOption(name, 'classWeight', classWeight, 'at least one positive weight');
}

/**
 * Shape and label checks for every mode. Cross-option rules (classWeight/ignoreIndex need classes)
 * are checked here too, since they depend on the mode.
 */
function validateClasses(name: string, yTrue: tf.Tensor, yPred: tf.Tensor, o: ClassOptions, hardLabels = false): void {
  checkRank(name, 'yPred', yPred, 2);
  if (o.mode === 'binary') {
    if (o.classWeight !== undefined) rejectOption(name, 'classWeight', o.classWeight, "undefined in mode 'binary' (one class); use mode 'multiclass' or 'multilabel'");
    if (o.ignoreIndex !== undefined) rejectOption(name, 'ignoreIndex', o.ignoreIndex, "undefined in mode 'binary' (ignoreIndex is for multiclass label maps)");
    checkSameShape(name, yTrue, yPred);
    if (hardLabels) checkHardLabels(name, yTrue);
    else checkValues(name, 'yTrue', yTrue, 'binary');
    return;
  }
  const axis = resolveAxis(name, o.axis, yPred.rank);
  if (axis === 0) rejectOption(name, 'axis', o.axis, 'a class axis other than the batch axis 0');
  const numClasses = yPred.shape[axis]!;
  checkClassWeight(name, o.classWeight, numClasses);
  if (o.mode === 'multiclass' && numClasses < 2) {
    throw new LossInputError(name, 'yPred', `at least 2 classes along axis ${axis} in mode 'multiclass' (use mode 'binary' for one)`, `shape ${formatShape(yPred.shape)}`);
  }
  const sameShapeLabels = o.mode === 'multilabel' || !isLabelMap(yTrue, yPred);
  if (sameShapeLabels) {
    if (o.ignoreIndex !== undefined) rejectOption(name, 'ignoreIndex', o.ignoreIndex, "undefined unless mode is 'multiclass' with an integer label map");
    checkSameShape(name, yTrue, yPred);
    if (hardLabels) checkHardLabels(name, yTrue);
    else checkValues(name, 'yTrue', yTrue, 'binary');
    return;
  }
  checkLabelMapShape(name, yTrue, yPred, axis);
  checkValues(name, 'yTrue', yTrue, { classIndex: numClasses, ignoreIndex: o.ignoreIndex });
}

// ───────────────────────────── shared math ─────────────────────────────

/** Moves `axis` last and flattens the rest of the non-batch axes: [B, …, C, …] → [B, S, C]. */
function pixelsByClass(x: tf.Tensor, axis: number): tf.Tensor {
  const order = [...Array(x.rank).keys()].filter((i) => i !== axis);
  order.push(axis);
  const moved = axis === x.rank - 1 ? x : tf.transpose(x, order);
  return tf.reshape(moved, [x.shape[0]!, -1, x.shape[axis]!]);
}

/**
 * Probabilities and targets as [B, S, C] (binary: C = 1). Pixels labelled `ignoreIndex` are zero in
 * both, which removes them from every soft count.
 */
function probabilitiesAndTargets(yTrue: tf.Tensor, yPred: tf.Tensor, o: ClassOptions): { prob: tf.Tensor; target: tf.Tensor } {
  if (o.mode === 'binary') {
    const prob = o.fromLogits ? tf.sigmoid(yPred) : yPred;
    return { prob: tf.reshape(prob, [yPred.shape[0]!, -1, 1]), target: tf.reshape(yTrue, [yTrue.shape[0]!, -1, 1]) };
  }
  const axis = resolveAxis('segmentation', o.axis, yPred.rank);
  const logitsOrProb = pixelsByClass(yPred, axis);
  const activate = o.mode === 'multiclass' ? (x: tf.Tensor) => tf.softmax(x, -1) : tf.sigmoid;
  const prob = o.fromLogits ? activate(logitsOrProb) : logitsOrProb;
  if (o.mode === 'multilabel' || !isLabelMap(yTrue, yPred)) return { prob, target: pixelsByClass(yTrue, axis) };

  const numClasses = yPred.shape[axis]!;
  const labels = tf.reshape(yTrue, [yTrue.shape[0]!, -1]);
  if (o.ignoreIndex === undefined) return { prob, target: oneHot(labels, numClasses) };
  const valid = tf.expandDims(tf.cast(tf.notEqual(labels, o.ignoreIndex), 'float32'), -1);
  const safeLabels = tf.cast(tf.mul(labels, tf.squeeze(valid, [-1])), 'int32');
  const target = tf.mul(oneHot(safeLabels, numClasses), valid);
  return { prob: tf.mul(prob, valid), target };
}

/** TP, FP, FN summed per image ([B, C]) or over the whole batch ([1, C]). */
function softCounts(prob: tf.Tensor, target: tf.Tensor, aggregation: SegmentationAggregation): Counts {
  const axes = aggregation === 'perImage' ? [1] : [0, 1];
  const total = (x: tf.Tensor) => (aggregation === 'perImage' ? tf.sum(x, axes) : tf.expandDims(tf.sum(x, axes), 0));
  return {
    tp: total(tf.mul(prob, target)),
    fp: total(tf.mul(prob, tf.sub(1, target))),
    fn: total(tf.mul(tf.sub(1, prob), target)),
  };
}

/**
 * (numerator)/(denominator), both ≥ 0, with the denominator clamped at EPSILON (segmentation_models_pytorch's
 * `clamp_min(eps)`): a class absent from both prediction and target then has loss 0.
 */
function ratio(numerator: tf.Tensor, denominator: tf.Tensor): tf.Tensor {
  return tf.div(numerator, tf.maximum(denominator, EPSILON));
}

/** Per-class losses [G, C] → per-group losses [G]: mean over classes, or Σ w_c·L_c / Σ w_c. */
function averageClasses(perClass: tf.Tensor, classWeight: number[] | undefined, include?: tf.Tensor): tf.Tensor {
  if (classWeight === undefined && include === undefined) return tf.mean(perClass, -1);
  let weight: tf.Tensor = classWeight === undefined ? tf.ones(perClass.shape) : tf.mul(tf.ones(perClass.shape), tf.tensor1d(classWeight));
  if (include !== undefined) weight = tf.mul(weight, include);
  // A group with no weighted class (Σw = 0) has a zero numerator too: its loss is 0.
  return tf.div(tf.sum(tf.mul(perClass, weight), -1), nonZeroDenominator(tf.sum(weight, -1)));
}

/** Per-group values → one value per image: [B] as is (perImage), [1] repeated B times (perBatch). */
function toPerSample(groupLoss: tf.Tensor, batchSize: number): tf.Tensor {
  return groupLoss.shape[0] === batchSize ? groupLoss : tf.mul(tf.ones([batchSize]), groupLoss);
}

function regionLoss(yTrue: tf.Tensor, yPred: tf.Tensor, o: ClassOptions, perClass: (c: Counts) => tf.Tensor): tf.Tensor {
  const { prob, target } = probabilitiesAndTargets(yTrue, yPred, o);
  const counts = softCounts(prob, target, o.aggregation);
  return toPerSample(averageClasses(perClass(counts), o.mode === 'binary' ? undefined : o.classWeight), yPred.shape[0]!);
}

/** Tversky loss per class, 1 − TI = (αFP + βFN) / (TP + αFP + βFN + s), written without the cancelling 1 − …. */
function tverskyPerClass({ tp, fp, fn }: Counts, alpha: number, beta: number, smooth: number): tf.Tensor {
  const misses = tf.add(tf.mul(alpha, fp), tf.mul(beta, fn));
  return ratio(misses, tf.add(tf.add(tp, misses), smooth));
}

function valueRules({ fromLogits }: ResolvedOptions<SegmentationClassOptions, Unset>) {
  return { yTrue: 'any' as const, yPred: fromLogits ? ('finite' as const) : ('probability' as const) };
}

// ───────────────────────────── overlap losses ─────────────────────────────

/** Options of `dice`. */
export interface DiceOptions extends SegmentationRegionOptions {
  /** s ≥ 0, added to numerator and denominator: 1 − (2TP + s)/(2TP + FP + FN + s). @defaultValue 1 */
  smooth?: number;
}

/**
 * Soft Dice loss, per class c: 1 − (2·TPc + s) / (Σp + Σy + s) = (FPc + FNc) / (2·TPc + FPc + FNc + s),
 * averaged over classes (weighted by `classWeight`).
 *
 * Matches segmentation_models_pytorch `DiceLoss(mode, from_logits, smooth, ignore_index)` with
 * `aggregation: 'perBatch'` (its sums run over batch and pixels), except that it drops classes absent from
 * the batch's target (their false positives go unpunished) while here every class counts; with `smooth > 0`
 * an empty, correctly empty class costs ~0 either way. Milletari et al. 2016 (V-Net) use squared
 * denominators; this is the linear form used by SMP and MONAI.
 *
 * Choose it when the foreground is small (class imbalance): the loss is a ratio, so a 1%-foreground mask
 * is not drowned by background pixels the way per-pixel cross-entropy is. Often summed with cross-entropy
 * (`combine`) for smoother early training.
 * @example
 * const loss = losses.dice({ fromLogits: true });             // [B, H, W, 1] logits vs 0/1 masks
 * const multi = losses.dice({ mode: 'multiclass', fromLogits: true, ignoreIndex: 255 }); // label maps [B, H, W]
 * loss(masks, logits);
 */
export const dice = defineLoss<DiceOptions, Unset>({
  name: 'dice',
  aliases: ['dice_loss', 'DiceLoss', 'softDice', 'soft_dice'],
  options: { ...regionOptions, smooth: option.number(1, { min: 0 }) },
  layout: 'custom',
  values: valueRules,
  validate: (yTrue, yPred, o) => validateClasses('dice', yTrue, yPred, o),
  compute: (yTrue, yPred, o) =>
    regionLoss(yTrue, yPred, o, ({ tp, fp, fn }) => {
      const misses = tf.add(fp, fn);
      return ratio(misses, tf.add(tf.add(tf.mul(2, tp), misses), o.smooth));
    }),
});

/** Options of `tversky`. */
export interface TverskyOptions extends SegmentationRegionOptions {
  /** α ≥ 0, the weight of false positives. @defaultValue 0.5 */
  alpha?: number;
  /** β ≥ 0, the weight of false negatives (β > α favours recall). @defaultValue 0.5 */
  beta?: number;
  /** s ≥ 0, added to the denominator (and, through 1 − TI, to the numerator). @defaultValue 1 */
  smooth?: number;
}

/**
 * Tversky loss, per class: 1 − TI, TI = (TP + s) / (TP + α·FP + β·FN + s), averaged over classes.
 * α weighs false positives, β false negatives (α = β = 0.5 is Dice; α = β = 1 is Jaccard).
 *
 * Matches segmentation_models_pytorch `TverskyLoss(alpha, beta, smooth)` with `gamma = 1` and
 * `aggregation: 'perBatch'` (up to SMP dropping classes absent from the batch). Salehi et al. 2017.
 *
 * Choose it over Dice when recall matters more than precision (small lesions, thin structures): raise β
 * (e.g. α = 0.3, β = 0.7) to penalize missed foreground more than false alarms.
 * @example
 * const loss = losses.tversky({ alpha: 0.3, beta: 0.7, fromLogits: true });
 * loss(masks, logits);
 */
export const tversky = defineLoss<TverskyOptions, Unset>({
  name: 'tversky',
  aliases: ['tversky_loss', 'TverskyLoss'],
  options: {
    ...regionOptions,
    alpha: option.number(0.5, { min: 0 }),
    beta: option.number(0.5, { min: 0 }),
    smooth: option.number(1, { min: 0 }),
  },
  layout: 'custom',
  values: valueRules,
  validate: (yTrue, yPred, o) => validateClasses('tversky', yTrue, yPred, o),
  compute: (yTrue, yPred, o) => regionLoss(yTrue, yPred, o, (c) => tverskyPerClass(c, o.alpha, o.beta, o.smooth)),
});

/** Options of `focalTversky`. */
export interface FocalTverskyOptions extends TverskyOptions {
  /** γ > 0, the exponent on each class's Tversky loss (< 1 focuses on hard classes). @defaultValue 0.75 */
  gamma?: number;
}

/**
 * Focal Tversky loss, per class: (1 − TIc)^γ with the Tversky index TI above, averaged over classes.
 * Abraham & Khan 2019 (their exponent 1/γ with γ = 4/3 is `gamma: 0.75`, the default). γ < 1 boosts the
 * loss of classes that are already well segmented (small 1 − TI) relative to hard ones, so small,
 * hard regions keep a large share of the loss and of the gradient as training proceeds.
 *
 * segmentation_models_pytorch's `TverskyLoss(gamma)` raises the class-averaged loss to γ instead;
 * with one class (mode 'binary') and `aggregation: 'perBatch'` the two agree.
 *
 * Choose it for very small structures where plain Tversky/Dice plateau; keep γ in [0.5, 1].
 * @example
 * const loss = losses.focalTversky({ alpha: 0.3, beta: 0.7, gamma: 0.75, fromLogits: true });
 * loss(masks, logits);
 */
export const focalTversky = defineLoss<FocalTverskyOptions, Unset>({
  name: 'focalTversky',
  aliases: ['focal_tversky', 'focal_tversky_loss', 'FocalTverskyLoss'],
  options: {
    ...regionOptions,
    alpha: option.number(0.5, { min: 0 }),
    beta: option.number(0.5, { min: 0 }),
    gamma: option.number(0.75, { min: 0, minExclusive: true }),
    smooth: option.number(1, { min: 0 }),
  },
  layout: 'custom',
  values: valueRules,
  validate: (yTrue, yPred, o) => validateClasses('focalTversky', yTrue, yPred, o),
  compute: (yTrue, yPred, o) =>
    regionLoss(yTrue, yPred, o, (c) => safePow(tverskyPerClass(c, o.alpha, o.beta, o.smooth), o.gamma)),
});

/** Options of `jaccard`. */
export interface JaccardOptions extends SegmentationRegionOptions {
  /** s ≥ 0, added to numerator and denominator: 1 − (TP + s)/(TP + FP + FN + s). @defaultValue 1 */
  smooth?: number;
}

/**
 * Soft Jaccard (IoU) loss, per class: 1 − (TP + s) / (TP + FP + FN + s), averaged over classes.
 *
 * Matches segmentation_models_pytorch `JaccardLoss(mode, from_logits, smooth)` with
 * `aggregation: 'perBatch'` (up to SMP dropping classes absent from the batch). Rahman & Wang 2016.
 *
 * Choose it when the metric you report is IoU; its gradients are close to Dice's (J = D / (2 − D)),
 * with a slightly larger push on poor overlaps. For a tighter IoU surrogate use `lovaszHinge` / `lovaszSoftmax`.
 * @example
 * const loss = losses.jaccard({ mode: 'multilabel', fromLogits: true });
 * loss(masks, logits); // masks, logits: [B, H, W, C]
 */
export const jaccard = defineLoss<JaccardOptions, Unset>({
  name: 'jaccard',
  aliases: ['jaccard_loss', 'JaccardLoss', 'softJaccard', 'soft_iou', 'softIou'],
  options: { ...regionOptions, smooth: option.number(1, { min: 0 }) },
  layout: 'custom',
  values: valueRules,
  validate: (yTrue, yPred, o) => validateClasses('jaccard', yTrue, yPred, o),
  compute: (yTrue, yPred, o) => regionLoss(yTrue, yPred, o, (c) => tverskyPerClass(c, 1, 1, o.smooth)),
});

// ───────────────────────────── Lovász ─────────────────────────────

/**
 * The gradient of the Lovász extension of the Jaccard loss for ground truth sorted by decreasing error
 * (Berman et al. 2018, Alg. 1): with Jᵢ = 1 − (Σgt − cumsum(gt)ᵢ) / (Σgt + cumsum(1 − gt)ᵢ),
 * g₁ = J₁ and gᵢ = Jᵢ − Jᵢ₋₁. Rows are independent: [N, P] → [N, P].
 */
function lovaszGradient(gtSorted: tf.Tensor): tf.Tensor {
  const positives = tf.sum(gtSorted, -1, true);
  const intersection = tf.sub(positives, tf.cumsum(gtSorted, 1));
  const union = tf.add(positives, tf.cumsum(tf.sub(1, gtSorted), 1));
  const jaccardIndex = tf.sub(1, tf.div(intersection, union));
  const [n, p] = gtSorted.shape as [number, number];
  const previous = tf.concat([tf.zeros([n, 1]), tf.slice(jaccardIndex, [0, 0], [n, p - 1])], 1);
  return tf.sub(jaccardIndex, previous);
}

/** Gathers along axis 1 of [N, P] with per-row indices [N, P] (one flat gather: portable across backends). */
function gatherRows(x: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  const [n, p] = x.shape as [number, number];
  const offsets = tf.reshape(tf.range(0, n * p, p, 'int32'), [n, 1]);
  return tf.reshape(tf.gather(tf.reshape(x, [-1]), tf.reshape(tf.add(indices, offsets), [-1])), [n, p]);
}

/**
 * The Lovász weight of every entry, in the original order: w[perm[i]] = g[i] where perm sorts each row of
 * `errors` by decreasing value. The sort is piecewise constant, so its gradient is zero: the weights
 * go through customGrad (tfjs has no TopK gradient), and Σ f(e)·w has exactly the Lovász gradient.
 */
const lovaszWeights = tf.customGrad(((errors: tf.Tensor, gt: tf.Tensor) => {
  const p = errors.shape[1]!;
  const order = tf.topk(errors, p).indices;
  const g = lovaszGradient(gatherRows(gt, order));
  const inverse = tf.topk(tf.neg(tf.cast(order, 'float32')), p).indices;
  return {
    value: gatherRows(g, inverse),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy), tf.zerosLike(dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (errors: tf.Tensor, gt: tf.Tensor) => tf.Tensor;

/** Σ over each row of f(e)·w(e) with the Lovász weights: the Lovász extension of the Jaccard loss at f(e). */
function lovaszExtension(errors: tf.Tensor, gt: tf.Tensor, activate: (e: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (errors.shape[1] === 0) return tf.zeros([errors.shape[0]!]);
  return tf.sum(tf.mul(activate(errors), lovaszWeights(errors, gt)), -1);
}

/** Options of `lovaszHinge`. */
export interface LovaszHingeOptions extends BaseLossOptions {
  /** One loss per image (`'perImage'`) or one over the whole batch (`'perBatch'`). @defaultValue 'perImage' */
  aggregation?: SegmentationAggregation;
}

/**
 * Lovász hinge loss for binary masks (Berman, Rannen Triki & Blaschko 2018): with margins
 * eᵢ = 1 − zᵢ·(2yᵢ − 1) for logits z and labels y ∈ {0, 1}, sorted so that e₍₁₎ ≥ e₍₂₎ ≥ …,
 *   loss = Σᵢ max(e₍ᵢ₎, 0) · gᵢ,   g = the gradient of the Lovász extension of the Jaccard loss (`lovaszGradient`).
 * It is the tight convex surrogate of 1 − IoU of the foreground.
 *
 * Matches the paper's `lovasz_hinge(logits, labels, per_image)` (`aggregation: 'perImage'` is
 * `per_image=True`, its default; `'perBatch'` is `per_image=False` and segmentation_models_pytorch's
 * `LovaszLoss(mode='binary')`). yPred are logits (real scores), always; yTrue must be exactly 0/1.
 *
 * Choose it to optimize the IoU of a binary mask directly, typically to fine-tune a model first trained
 * with cross-entropy or Dice (it learns slowly from scratch); it sharpens boundaries and thin parts.
 * @example
 * const loss = losses.lovaszHinge();
 * loss(masks, logits); // masks 0/1, logits of the same shape [B, H, W, 1]
 */
export const lovaszHinge = defineLoss<LovaszHingeOptions>({
  name: 'lovaszHinge',
  aliases: ['lovasz_hinge', 'LovaszHingeLoss'],
  options: { aggregation: option.oneOf(AGGREGATIONS, 'perImage') },
  layout: 'custom',
  values: { yTrue: 'any', yPred: 'finite' },
  validate: (yTrue, yPred) => {
    checkRank('lovaszHinge', 'yPred', yPred, 2);
    checkSameShape('lovaszHinge', yTrue, yPred);
    checkHardLabels('lovaszHinge', yTrue);
  },
  compute: (yTrue, yPred, { aggregation }) => {
    const rows = aggregation === 'perImage' ? yPred.shape[0]! : 1;
    const logits = tf.reshape(yPred, [rows, -1]);
    const labels = tf.reshape(yTrue, [rows, -1]);
    const margins = tf.sub(1, tf.mul(logits, tf.sub(tf.mul(2, labels), 1)));
    return toPerSample(lovaszExtension(margins, labels, tf.relu), yPred.shape[0]!);
  },
});

/** Options of `lovaszSoftmax`. */
export interface LovaszSoftmaxOptions extends SegmentationClassOptions {
  /** Average over the classes present in the target (`'present'`) or over all classes. @defaultValue 'present' */
  classes?: 'present' | 'all';
}

/**
 * Lovász-softmax loss for class maps (Berman et al. 2018): per class c, with errors
 * eᵢ = |[yᵢ = c] − pᵢ,c| sorted decreasingly, loss_c = Σᵢ e₍ᵢ₎ · gᵢ(c) (the Lovász gradient of the
 * class-c Jaccard loss), averaged over the classes present in the target (`classes: 'present'`, the
 * paper's default) or over all classes (`'all'`), weighted by `classWeight` when given. With no class
 * present the loss is 0.
 *
 * Matches the paper's `lovasz_softmax(probas, labels, classes, per_image, ignore)`: `aggregation:
 * 'perBatch'` is `per_image=False` (its default, and segmentation_models_pytorch's `LovaszLoss(mode=
 * 'multiclass')`), `'perImage'` is `per_image=True`; `ignoreIndex` is `ignore`. yPred are probabilities
 * (the paper) unless `fromLogits` (softmax over `axis`, as SMP always does).
 *
 * Choose it to optimize mean IoU of a multi-class segmentation directly, usually after (or together
 * with) cross-entropy training; it improves boundaries and small classes that pixel accuracy ignores.
 * @example
 * const loss = losses.lovaszSoftmax({ fromLogits: true, ignoreIndex: 255 });
 * loss(labelMap, logits); // labelMap [B, H, W] integers, logits [B, H, W, C]
 */
export const lovaszSoftmax = defineLoss<LovaszSoftmaxOptions, Unset>({
  name: 'lovaszSoftmax',
  aliases: ['lovasz_softmax', 'LovaszSoftmaxLoss'],
  options: { ...classOptions, classes: option.oneOf(['present', 'all'] as const, 'present') },
  layout: 'custom',
  values: valueRules,
  validate: (yTrue, yPred, o) => validateClasses('lovaszSoftmax', yTrue, yPred, { ...o, mode: 'multiclass' }, true),
  compute: (yTrue, yPred, o) => {
    const { prob, target } = probabilitiesAndTargets(yTrue, yPred, { ...o, mode: 'multiclass' });
    const rows = o.aggregation === 'perImage' ? yPred.shape[0]! : 1;
    const numClasses = prob.shape[2]!;
    // [B, S, C] → [rows, C, P] → [rows·C, P]: one Lovász extension per (group, class).
    const byClass = (x: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(x, [rows, -1, numClasses]), [0, 2, 1]), [rows * numClasses, -1]);
    const fg = byClass(target);
    const errors = tf.abs(tf.sub(fg, byClass(prob)));
    const perClass = tf.reshape(lovaszExtension(errors, fg, (e) => e), [rows, numClasses]);
    const present = o.classes === 'present' ? tf.cast(tf.greater(tf.sum(tf.reshape(fg, [rows, numClasses, -1]), -1), 0), 'float32') : undefined;
    return toPerSample(averageClasses(perClass, o.classWeight, present), yPred.shape[0]!);
  },
});
