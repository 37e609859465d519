/**
 * Segmentation losses: overlap losses on soft counts (Dice, Tversky, focal Tversky, Jaccard, generalized
 * Dice, Matthews correlation) and the Lovász surrogates of the Jaccard loss (hinge for binary masks,
 * softmax for class maps). All use the `region` layout (core/layouts.ts): the wrapper checks the mode,
 * class axis, class weights, label maps and ignoreIndex, and hands `compute` targets and predictions as
 * [B, S, C] with the ignored or `call.where`-excluded entries in `context.where`; this file holds math only.
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
import { formatShape, LossInputError } from '../core/errors.js';
import { REGION_MODES, type RegionMode } from '../core/layouts.js';
import { defineLoss, type ComputeContext, type LossCall, type PerSample } from '../core/loss.js';
import { EPSILON, nonZeroDenominator, safePow } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, OptionSpecsFor, ResolvedOptions } from '../core/options.js';
import { resolveAxis } from '../core/validate.js';

const SEGMENTATION_MODES = REGION_MODES;
export type SegmentationMode = RegionMode;
const CLASS_REDUCTIONS = ['mean', 'none'] as const;
export type ClassReduction = (typeof CLASS_REDUCTIONS)[number];
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

/** Options of the losses that score each class (the overlap losses and MCC). */
export interface SegmentationPerClassOptions extends SegmentationRegionOptions {
  /** Leave class 0 (the background) out of the loss (MONAI's `include_background=False`; not in mode 'binary'). @defaultValue false */
  ignoreBackground?: boolean;
  /**
   * `'mean'`: the class (weighted) mean, one value per image; `'none'`: the per-class values, [B, C] per
   * sample (with `reduction: 'none'`, every image's and class's loss; `classWeight` then weighs them).
   * @defaultValue 'mean'
   */
  classReduction?: ClassReduction;
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
const perClassOptions: OptionSpecsFor<SegmentationPerClassOptions, Unset> = {
  ...regionOptions,
  ignoreBackground: option.boolean(false),
  classReduction: option.oneOf(CLASS_REDUCTIONS, 'mean'),
};

type ClassOptions = ResolvedOptions<SegmentationRegionOptions, Unset>;

/** Soft counts per group (image or batch) and class: [G, C] each; TN is computed on demand (MCC). */
interface Counts {
  tp: tf.Tensor;
  fp: tf.Tensor;
  fn: tf.Tensor;
  tn: () => tf.Tensor;
}

// ───────────────────────────── shared math ─────────────────────────────

/**
 * Probabilities and targets [B, S, C] (the region layout's inputs), with the excluded entries
 * (ignoreIndex pixels, `call.where`: `where`, 0/1) zeroed in both, which removes them from every soft count.
 */
interface Region {
  prob: tf.Tensor;
  target: tf.Tensor;
  /** 0/1, broadcastable to [B, S, C]; undefined: every entry counts. */
  keep?: tf.Tensor;
}

function region(target: tf.Tensor, pred: tf.Tensor, o: { fromLogits: boolean; mode: SegmentationMode }, keep?: tf.Tensor): Region {
  const activate = o.mode === 'multiclass' ? (x: tf.Tensor) => tf.softmax(x, -1) : tf.sigmoid;
  const prob = o.fromLogits ? activate(pred) : pred;
  if (keep === undefined) return { prob, target };
  return { prob: tf.mul(prob, keep), target: tf.mul(target, keep), keep };
}

/** TP, FP, FN (and, on demand, TN) summed per image ([B, C]) or over the whole batch ([1, C]). */
function softCounts({ prob, target, keep }: Region, aggregation: SegmentationAggregation): Counts {
  const total = (x: tf.Tensor) => (aggregation === 'perImage' ? tf.sum(x, 1) : tf.expandDims(tf.sum(x, [0, 1]), 0));
  const negatives = () => {
    const both = tf.mul(tf.sub(1, prob), tf.sub(1, target));
    return total(keep === undefined ? both : tf.mul(both, keep));
  };
  return {
    tp: total(tf.mul(prob, target)),
    fp: total(tf.mul(prob, tf.sub(1, target))),
    fn: total(tf.mul(tf.sub(1, prob), target)),
    tn: negatives,
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
function averageClasses(perClass: tf.Tensor, classWeight: readonly number[] | undefined, include?: tf.Tensor): tf.Tensor {
  if (classWeight === undefined && include === undefined) return tf.mean(perClass, -1);
  let weight: tf.Tensor = classWeight === undefined ? tf.ones(perClass.shape) : tf.mul(tf.ones(perClass.shape), tf.tensor1d(classWeight as number[]));
  if (include !== undefined) weight = tf.mul(weight, include);
  // A group with no weighted class (Σw = 0) has a zero numerator too: its loss is 0.
  return tf.div(tf.sum(tf.mul(perClass, weight), -1), nonZeroDenominator(tf.sum(weight, -1)));
}

/** Per-group values [G] or [G, C] → one row per image: as is (perImage), the pooled row repeated B times (perBatch). */
function toPerSample(groupLoss: tf.Tensor, batchSize: number): tf.Tensor {
  return groupLoss.shape[0] === batchSize ? groupLoss : tf.broadcastTo(groupLoss, [batchSize, ...groupLoss.shape.slice(1)]);
}

/** Options of the losses with per-class output (the overlap losses and MCC), resolved. */
type PerClassOptions = ClassOptions & { ignoreBackground: boolean; classReduction: ClassReduction };

/**
 * Per-class losses [G, C] → what `compute` returns: without class 0 when `ignoreBackground`; averaged
 * over classes (`classReduction: 'mean'`, weighted by `classWeight`), or per class ([B, C], `'none'`)
 * with `classWeight` as the per-sample weight (so `reduction: 'weightedMean'` is the class-weighted mean).
 */
function classOutput(perClass: tf.Tensor, o: PerClassOptions, batchSize: number): tf.Tensor | PerSample {
  const skip = o.ignoreBackground ? 1 : 0;
  const values = skip ? tf.slice(perClass, [0, skip], [-1, -1]) : perClass;
  const classWeight = o.mode === 'binary' ? undefined : o.classWeight?.slice(skip);
  if (o.classReduction === 'mean') return toPerSample(averageClasses(values, classWeight), batchSize);
  const loss = toPerSample(values, batchSize);
  return classWeight === undefined ? loss : { loss, weight: tf.mul(tf.ones(loss.shape), tf.tensor1d(classWeight)) };
}

/** The loss of every overlap loss and MCC: soft counts, per-class values, then `classOutput`. */
function perClassLoss<O extends PerClassOptions>(perClass: (counts: Counts, options: O) => tf.Tensor) {
  return (target: tf.Tensor, pred: tf.Tensor, o: O, _call: LossCall, { where }: ComputeContext): tf.Tensor | PerSample =>
    classOutput(perClass(softCounts(region(target, pred, o, where), o.aggregation), o), o, pred.shape[0]!);
}

/** Tversky loss per class, 1 − TI = (αFP + βFN) / (TP + αFP + βFN + s), written without the cancelling 1 − …. */
function tverskyPerClass({ tp, fp, fn }: Counts, alpha: number, beta: number, smooth: number): tf.Tensor {
  const misses = tf.add(tf.mul(alpha, fp), tf.mul(beta, fn));
  return ratio(misses, tf.add(tf.add(tp, misses), smooth));
}

function valueRules({ fromLogits }: { fromLogits: boolean }) {
  return { yTrue: 'binary' as const, yPred: fromLogits ? ('finite' as const) : ('probability' as const) };
}

/** ignoreBackground needs a background class to drop and one class left. */
function checkBackground(name: string, yPred: tf.Tensor, o: { ignoreBackground: boolean; mode: SegmentationMode; axis: number }): void {
  if (!o.ignoreBackground) return;
  if (o.mode === 'binary') {
    throw new LossInputError(name, 'options.ignoreBackground', "false in mode 'binary' (its one class is the foreground)", 'true');
  }
  const classes = yPred.shape[resolveAxis(name, o.axis, yPred.rank)]!;
  if (classes < 2) throw new LossInputError(name, 'yPred', 'at least 2 classes along the class axis with ignoreBackground (class 0 is dropped)', `shape ${formatShape(yPred.shape)}`);
}

// ───────────────────────────── overlap losses ─────────────────────────────

/** Options of `dice`. */
export interface DiceOptions extends SegmentationPerClassOptions {
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
  options: { ...perClassOptions, smooth: option.number(1, { min: 0 }) },
  layout: 'region',
  values: valueRules,
  validate: (_, yPred, o) => checkBackground('dice', yPred, o),
  compute: perClassLoss(({ tp, fp, fn }, o) => {
    const misses = tf.add(fp, fn);
    return ratio(misses, tf.add(tf.add(tf.mul(2, tp), misses), o.smooth));
  }),
});

/** Options of `tversky`. */
export interface TverskyOptions extends SegmentationPerClassOptions {
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
    ...perClassOptions,
    alpha: option.number(0.5, { min: 0 }),
    beta: option.number(0.5, { min: 0 }),
    smooth: option.number(1, { min: 0 }),
  },
  layout: 'region',
  values: valueRules,
  validate: (_, yPred, o) => checkBackground('tversky', yPred, o),
  compute: perClassLoss((c, o) => tverskyPerClass(c, o.alpha, o.beta, o.smooth)),
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
    ...perClassOptions,
    alpha: option.number(0.5, { min: 0 }),
    beta: option.number(0.5, { min: 0 }),
    gamma: option.number(0.75, { min: 0, minExclusive: true }),
    smooth: option.number(1, { min: 0 }),
  },
  layout: 'region',
  values: valueRules,
  validate: (_, yPred, o) => checkBackground('focalTversky', yPred, o),
  compute: perClassLoss((c, o) => safePow(tverskyPerClass(c, o.alpha, o.beta, o.smooth), o.gamma)),
});

/** Options of `jaccard`. */
export interface JaccardOptions extends SegmentationPerClassOptions {
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
  options: { ...perClassOptions, smooth: option.number(1, { min: 0 }) },
  layout: 'region',
  values: valueRules,
  validate: (_, yPred, o) => checkBackground('jaccard', yPred, o),
  compute: perClassLoss((c, o) => tverskyPerClass(c, 1, 1, o.smooth)),
});

/** Options of `generalizedDice`. */
export interface GeneralizedDiceOptions extends BaseLossOptions {
  /** segmentation_models_pytorch's `mode`: one foreground class, C exclusive classes, or C independent masks. @defaultValue 'binary' */
  mode?: SegmentationMode;
  /** Whether yPred holds logits (sigmoid or softmax applied) rather than probabilities. @defaultValue false */
  fromLogits?: boolean;
  /** The class axis of yPred (`1` for PyTorch's [B, C, …spatial]). @defaultValue -1 */
  axis?: number;
  /** A label value of a multiclass label map whose pixels are left out of every count. @defaultValue undefined (none) */
  ignoreIndex?: number;
  /** Counts and weights per image (`'perImage'`, MONAI's default) or over the batch (`'perBatch'`, MONAI's `batch=True`). @defaultValue 'perImage' */
  aggregation?: SegmentationAggregation;
  /** s ≥ 0, added to numerator and denominator (MONAI's `smooth_nr` = `smooth_dr`). @defaultValue 1e-5 */
  smooth?: number;
  /** Class weights from the target volume V_c = Σ y_c: 1/V_c² (`'square'`, Sudre et al.), 1/V_c (`'simple'`) or 1 (`'uniform'`). @defaultValue 'square' */
  weightType?: 'square' | 'simple' | 'uniform';
  /** Leave class 0 (the background) out (MONAI's `include_background=False`; not in mode 'binary'). @defaultValue false */
  ignoreBackground?: boolean;
}

/**
 * The generalized Dice class weights of one group (image or batch): w_c = 1/V_c² ('square'), 1/V_c
 * ('simple') or 1, with V_c = Σ y_c (TP + FN). A class absent from the group's target (V_c = 0, an
 * infinite weight) gets the largest weight of the present classes (MONAI); with none present every
 * weight is 0 and the loss is 0. Computed from the targets only: no gradient flows through it.
 */
function volumeWeights(volume: tf.Tensor, weightType: 'square' | 'simple' | 'uniform'): tf.Tensor {
  if (weightType === 'uniform') return tf.onesLike(volume);
  const present = tf.greater(volume, 0);
  const scale = weightType === 'square' ? tf.square(volume) : volume;
  // A present class with V_c² below float32's range would overflow: its weight is capped at 1/EPSILON².
  const weight = tf.where(present, tf.div(1, tf.maximum(scale, EPSILON * EPSILON)), tf.zerosLike(volume));
  return tf.where(present, weight, tf.broadcastTo(tf.max(weight, -1, true), weight.shape));
}

/**
 * Generalized Dice loss (Sudre et al. 2017), per image (or per batch):
 *   1 − (2·Σ_c w_c·TP_c + s) / (Σ_c w_c·(Σp_c + Σy_c) + s),   w_c = 1 / (Σ y_c)²,
 * written as Σ_c w_c(FP_c + FN_c) / (Σ_c w_c(2TP_c + FP_c + FN_c) + s). The class-volume weights make a
 * rare class count as much as a large one: each class contributes in proportion to its relative
 * overlap error, not its pixel count.
 *
 * Matches MONAI `GeneralizedDiceLoss(w_type, smooth_nr = smooth_dr = s, include_background, batch)`
 * (`aggregation: 'perBatch'` is `batch=True`; `ignoreBackground` is `include_background=False`),
 * including its rule for classes absent from the target (they take the largest weight of the present
 * classes). yPred are probabilities unless `fromLogits` (softmax for 'multiclass', sigmoid otherwise).
 *
 * Choose it for multi-class segmentation with very unequal class sizes (small organs, lesions) where
 * plain Dice lets the large classes dominate; prefer `dice` when classes have similar sizes.
 * @example
 * const loss = losses.generalizedDice({ mode: 'multiclass', fromLogits: true, ignoreIndex: 255 });
 * loss(labelMap, logits); // labelMap [B, H, W] integers, logits [B, H, W, C]
 */
export const generalizedDice = defineLoss<GeneralizedDiceOptions, 'ignoreIndex'>({
  name: 'generalizedDice',
  aliases: ['generalized_dice', 'GeneralizedDiceLoss', 'gdl'],
  options: {
    mode: option.oneOf(SEGMENTATION_MODES, 'binary'),
    fromLogits: option.boolean(false),
    axis: option.axis(-1),
    ignoreIndex: option.optionalInteger(),
    aggregation: option.oneOf(AGGREGATIONS, 'perImage'),
    smooth: option.number(1e-5, { min: 0 }),
    weightType: option.oneOf(['square', 'simple', 'uniform'] as const, 'square'),
    ignoreBackground: option.boolean(false),
  },
  layout: 'region',
  values: valueRules,
  validate: (_, yPred, o) => checkBackground('generalizedDice', yPred, o),
  compute: (target, pred, o, _call, { where }) => {
    const { tp, fp, fn } = softCounts(region(target, pred, o, where), o.aggregation);
    const skip = (x: tf.Tensor) => (o.ignoreBackground ? tf.slice(x, [0, 1], [-1, -1]) : x);
    const [t, misses] = [skip(tp), skip(tf.add(fp, fn))];
    const w = volumeWeights(tf.add(t, skip(fn)), o.weightType);
    const weighted = (x: tf.Tensor) => tf.sum(tf.mul(w, x), -1);
    const loss = tf.div(weighted(misses), tf.add(weighted(tf.add(tf.mul(2, t), misses)), o.smooth));
    return toPerSample(loss, pred.shape[0]!);
  },
});

/** Options of `mcc`. */
export interface MccOptions extends SegmentationPerClassOptions {
  /** ε ≥ 0 added to each of TP, TN, FP, FN (segmentation_models_pytorch's `eps`). @defaultValue 1e-5 */
  eps?: number;
}

/**
 * Matthews-correlation loss, per class: 1 − MCC with soft counts (each + ε),
 *   MCC = (TP·TN − FP·FN) / √((TP + FP)(TP + FN)(TN + FP)(TN + FN)),
 * averaged over classes (or per class, `classReduction: 'none'`). In [0, 2]: 0 for a perfect mask, 1 for
 * one uncorrelated with the target. Abhishek & Hamarneh 2021 ("Matthews correlation coefficient loss for
 * deep convolutional networks").
 *
 * Matches segmentation_models_pytorch `MCCLoss(eps)` (binary masks, counts pooled over the batch) with
 * `aggregation: 'perBatch'`; its inputs are probabilities (SMP applies no activation), here too unless
 * `fromLogits`. The square root is taken of two products of two sums, so counts up to ~1e9 pixels stay finite.
 *
 * Choose it when both the foreground and the background matter (MCC, unlike Dice, rewards true negatives),
 * e.g. skin-lesion or cell masks with very unequal foreground fractions across images.
 * @example
 * const loss = losses.mcc({ fromLogits: true, aggregation: 'perBatch' });
 * loss(masks, logits); // masks 0/1, logits [B, H, W, 1]
 */
export const mcc = defineLoss<MccOptions, Unset>({
  name: 'mcc',
  aliases: ['mccLoss', 'MCCLoss', 'matthews'],
  options: { ...perClassOptions, eps: option.number(1e-5, { min: 0 }) },
  layout: 'region',
  values: valueRules,
  validate: (_, yPred, o) => checkBackground('mcc', yPred, o),
  compute: perClassLoss((counts, o) => {
    const [tp, fp, fn, tn] = [counts.tp, counts.fp, counts.fn, counts.tn()].map((c) => tf.add(c, o.eps)) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const numerator = tf.sub(tf.mul(tp, tn), tf.mul(fp, fn));
    const denominator = tf.mul(tf.sqrt(tf.mul(tf.add(tp, fp), tf.add(tp, fn))), tf.sqrt(tf.mul(tf.add(tn, fp), tf.add(tn, fn))));
    return tf.sub(1, tf.div(numerator, tf.maximum(denominator, EPSILON)));
  }),
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
  layout: 'region',
  regionMode: 'binary',
  values: { yTrue: 'hardBinary', yPred: 'finite' },
  compute: (target, pred, { aggregation }, _call, { where }) => {
    const rows = aggregation === 'perImage' ? pred.shape[0]! : 1;
    const flat = (x: tf.Tensor) => tf.reshape(x, [rows, -1]);
    const keep = where && flat(tf.broadcastTo(where, pred.shape));
    const labels = keep ? tf.mul(flat(target), keep) : flat(target);
    const margins = tf.sub(1, tf.mul(flat(pred), tf.sub(tf.mul(2, labels), 1)));
    // An excluded pixel: margin −1 (after every positive margin, relu 0) and label 0 (out of the union).
    const kept = keep ? tf.where(tf.equal(keep, 0), tf.fill(margins.shape, -1), margins) : margins;
    return toPerSample(lovaszExtension(kept, labels, tf.relu), pred.shape[0]!);
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
  layout: 'region',
  regionMode: 'multiclass',
  values: ({ fromLogits }) => ({ yTrue: 'hardBinary', yPred: fromLogits ? 'finite' : 'probability' }),
  compute: (labels, pred, o, _call, { where }) => {
    // Excluded pixels have zero error and no ground truth: they sort last and add nothing.
    const { prob, target } = region(labels, pred, { ...o, mode: 'multiclass' }, where);
    const rows = o.aggregation === 'perImage' ? pred.shape[0]! : 1;
    const numClasses = prob.shape[2]!;
    // [B, S, C] → [rows, C, P] → [rows·C, P]: one Lovász extension per (group, class).
    const byClass = (x: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(x, [rows, -1, numClasses]), [0, 2, 1]), [rows * numClasses, -1]);
    const fg = byClass(target);
    const errors = tf.abs(tf.sub(fg, byClass(prob)));
    const perClass = tf.reshape(lovaszExtension(errors, fg, (e) => e), [rows, numClasses]);
    const present = o.classes === 'present' ? tf.cast(tf.greater(tf.sum(tf.reshape(fg, [rows, numClasses, -1]), -1), 0), 'float32') : undefined;
    return toPerSample(averageClasses(perClass, o.classWeight, present), pred.shape[0]!);
  },
});
