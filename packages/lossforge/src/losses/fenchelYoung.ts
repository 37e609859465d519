/**
 * Fenchel–Young losses (Blondel, Martins & Niculae, JMLR 2020): sparsemax and its losses, the
 * perceptron losses, and a builder for the loss of any regularized prediction map.
 *
 * Given a regularizer Ω on the probability simplex Δ, the regularized prediction of scores θ is
 * ŷ_Ω(θ) = argmax_{p ∈ Δ} ⟨θ, p⟩ − Ω(p) = ∇Ω*(θ), and the Fenchel–Young loss is
 *
 *   L_Ω(θ; y) = Ω*(θ) + Ω(y) − ⟨θ, y⟩ ≥ 0,   zero iff ŷ_Ω(θ) = y,   ∇_θ L = ŷ_Ω(θ) − y.
 *
 * Instances: Ω = Σ p log p (Shannon negentropy) gives softmax and KL(y ‖ softmax θ) (cross-entropy
 * minus the target's entropy); Ω = ½‖p‖² gives sparsemax and the sparsemax loss; Ω = 0 gives argmax
 * and the perceptron loss max θ − ⟨θ, y⟩.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import { defineLoss, type LossFactory } from '../core/loss.js';
import { oneHot, xlogy } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions } from '../core/options.js';
import type { Alias } from '../core/registry.js';

const lastDim = (t: tf.Tensor): number => t.shape[t.rank - 1]!;

/**
 * The sparsemax threshold τ(z) of each row (last axis, kept) for rows already shifted so that their
 * maximum is 0, by the sorting algorithm of Martins & Astudillo (2016, Alg. 1): with z sorted in
 * decreasing order, k* = max{k : 1 + k·z₍ₖ₎ > Σ_{j≤k} z₍ⱼ₎} and τ = (Σ_{j≤k*} z₍ⱼ₎ − 1) / k*.
 * (The support {k : 1 + k·z₍ₖ₎ > Σ_{j≤k} z₍ⱼ₎} is a prefix of the sorted order.)
 */
function sparsemaxThreshold(z: tf.Tensor): tf.Tensor {
  const C = lastDim(z);
  const sorted = tf.topk(z, C).values;
  const inSupport = tf.greater(tf.add(1, tf.mul(tf.range(1, C + 1, 1, 'float32'), sorted)), tf.cumsum(sorted, sorted.rank - 1));
  const size = tf.sum(tf.cast(inSupport, 'float32'), -1, true);
  const supportSum = tf.sum(tf.where(inSupport, sorted, tf.zerosLike(sorted)), -1, true);
  return tf.div(tf.sub(supportSum, 1), size);
}

/**
 * sparsemax(z) = argmin_{p ∈ Δ} ‖p − z‖² = max(z − τ(z), 0) over the last axis (Martins &
 * Astudillo 2016): the Euclidean projection of the scores onto the probability simplex. Like softmax
 * it maps scores to probabilities, but exactly zero for the classes below the threshold τ.
 * Its Jacobian is diag(s) − s sᵀ/|S| (s the 0/1 support indicator, |S| its size), so the gradient
 * reaches the supported classes only. Rows are shifted by their maximum first (sparsemax is
 * shift-invariant), so scores of any magnitude are safe.
 * @example
 * losses.sparsemax(tf.tensor1d([1, 0.5, -1])).arraySync(); // [0.75, 0.25, 0]
 */
export const sparsemax: (scores: tf.Tensor) => tf.Tensor = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
  const shifted = tf.sub(z, tf.max(z, -1, true));
  const p = tf.relu(tf.sub(shifted, sparsemaxThreshold(shifted)));
  save([p]);
  return {
    value: p,
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => {
      const s = tf.cast(tf.greater(saved!, 0), 'float32');
      const mean = tf.div(tf.sum(tf.mul(s, dy), -1, true), tf.sum(s, -1, true));
      return tf.mul(s, tf.sub(dy, mean));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (scores: tf.Tensor) => tf.Tensor;

/**
 * A regularizer Ω on the probability simplex, given by the three functions a Fenchel–Young loss
 * needs (each over the last axis of its input, which it reduces, but `predict`):
 * - `conjugate(θ)` = Ω*(θ) = max_{p ∈ Δ} ⟨θ, p⟩ − Ω(p), per row;
 * - `predict(θ)` = ∇Ω*(θ) = the maximizing p (softmax, sparsemax, argmax…), the loss's gradient;
 * - `value(y)` = Ω(y), per row.
 */
export interface FenchelYoungRegularizer {
  conjugate(theta: tf.Tensor): tf.Tensor;
  predict(theta: tf.Tensor): tf.Tensor;
  value(y: tf.Tensor): tf.Tensor;
}

/**
 * The built-in regularizers, named after their prediction maps:
 * - `softmax`: Ω(p) = Σ p log p, Ω*(θ) = logsumexp θ, ŷ = softmax θ;
 * - `sparsemax`: Ω(p) = ½‖p‖², Ω*(θ) = ⟨θ, p⟩ − ½‖p‖² at p = sparsemax θ;
 * - `argmax`: Ω = 0, Ω*(θ) = max θ, ŷ = one-hot of the (first) largest score.
 */
export const FENCHEL_YOUNG_REGULARIZERS = {
  softmax: {
    conjugate: (theta: tf.Tensor) => tf.logSumExp(theta, -1),
    predict: (theta: tf.Tensor) => tf.softmax(theta, -1),
    value: (y: tf.Tensor) => tf.sum(xlogy(y, y), -1),
  },
  sparsemax: {
    conjugate: (theta: tf.Tensor) => {
      const p = sparsemax(theta);
      return tf.sub(tf.sum(tf.mul(theta, p), -1), tf.mul(0.5, tf.sum(tf.square(p), -1)));
    },
    predict: sparsemax,
    value: (y: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(y), -1)),
  },
  argmax: {
    conjugate: (theta: tf.Tensor) => tf.max(theta, -1),
    predict: (theta: tf.Tensor) => oneHot(tf.argMax(theta, -1), lastDim(theta)),
    value: (y: tf.Tensor) => tf.zeros(y.shape.slice(0, -1)),
  },
} as const satisfies Record<string, FenchelYoungRegularizer>;

export type FenchelYoungRegularizerName = keyof typeof FENCHEL_YOUNG_REGULARIZERS;

/** Ω* with the gradient ∇Ω* = predict (what makes it a Fenchel–Young loss), one per regularizer. */
const conjugates = new WeakMap<FenchelYoungRegularizer, (theta: tf.Tensor) => tf.Tensor>();

function conjugateOf(regularizer: FenchelYoungRegularizer): (theta: tf.Tensor) => tf.Tensor {
  let f = conjugates.get(regularizer);
  if (!f) {
    f = tf.customGrad(((theta: tf.Tensor, save: tf.GradSaveFunc) => {
      save([theta]);
      return {
        value: regularizer.conjugate(theta),
        gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(tf.expandDims(dy, -1), regularizer.predict(saved!)),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (theta: tf.Tensor) => tf.Tensor;
    conjugates.set(regularizer, f);
  }
  return f;
}

/**
 * The Fenchel–Young loss per row, class axis last: L_Ω(θ; y) = Ω*(θ) + Ω(y) − ⟨θ, y⟩, with the
 * gradient ŷ_Ω(θ) − y with respect to θ (Blondel et al. 2020, Def. 2). Computed on θ′ = θ − max θ
 * as Ω*(θ′) − ⟨θ′, y⟩ + Ω(y) + max θ · (1 − Σy), the same value (Ω*(θ + c) = Ω*(θ) + c on the
 * simplex) without the cancellation of two large terms when y is a distribution.
 * @example
 * const y = tf.tensor2d([[0, 1, 0]]);
 * losses.fenchelYoungLoss(losses.FENCHEL_YOUNG_REGULARIZERS.argmax, y, tf.tensor2d([[2, 1, 0]])); // per row: max θ − θ₁ = [1]
 */
export function fenchelYoungLoss(regularizer: FenchelYoungRegularizer, yTrue: tf.Tensor, theta: tf.Tensor): tf.Tensor {
  const top = tf.max(theta, -1, true);
  const shifted = tf.sub(theta, top);
  const mass = tf.sum(yTrue, -1);
  const offset = tf.mul(tf.squeeze(top, [-1]), tf.sub(1, mass));
  const inner = tf.sum(tf.mul(shifted, yTrue), -1);
  return tf.add(tf.add(tf.sub(conjugateOf(regularizer)(shifted), inner), regularizer.value(yTrue)), offset);
}

/** Options of `fenchelYoung` and of the losses `defineFenchelYoungLoss` makes. */
export interface FenchelYoungOptions extends BaseLossOptions {
  /** The class axis of yTrue and yPred (negative counts from the last). @defaultValue -1 */
  axis?: number;
}

/** What `defineFenchelYoungLoss` takes. */
export interface FenchelYoungDefinition {
  /** Registered name of the loss. */
  name: string;
  aliases?: readonly Alias[];
  regularizer: FenchelYoungRegularizer;
  /** Redefine a name that is already registered. */
  replace?: boolean;
}

/**
 * Builds (and registers) the Fenchel–Young loss of a regularizer Ω (Blondel et al. 2020):
 * L_Ω(θ; y) = Ω*(θ) + Ω(y) − ⟨θ, y⟩ over the class axis (`axis`), yTrue a target in [0, 1]
 * (a distribution: one-hot or soft), yPred the scores θ. The gradient is ŷ_Ω(θ) − y, computed from
 * `regularizer.predict`, so Ω* need not be differentiable by tfjs (sparsemax's sort is not).
 * Optax's `make_fenchel_young_loss(max_fun)` is the same loss without the Ω(y) term (constant in θ:
 * same gradient; here the loss is 0 exactly when the prediction is the target).
 * Choose it to turn a prediction map of your own (a regularized argmax: entmax, a top-k projection…)
 * into a convex loss with the right gradient.
 * @example
 * const gini = losses.defineFenchelYoungLoss({ name: 'myGini', regularizer: losses.FENCHEL_YOUNG_REGULARIZERS.sparsemax, replace: true });
 * gini()(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 3]])); // sparsemax([0, 3]) is the target [0, 1]: loss = 0
 */
export function defineFenchelYoungLoss(definition: FenchelYoungDefinition): LossFactory<FenchelYoungOptions> {
  const regularizer = definition?.regularizer;
  const fields = ['conjugate', 'predict', 'value'] as const;
  if (typeof regularizer !== 'object' || regularizer === null || fields.some((f) => typeof regularizer[f] !== 'function')) {
    throw new LossInputError(
      String(definition?.name ?? 'defineFenchelYoungLoss'),
      'definition.regularizer',
      'an object { conjugate, predict, value } of functions (e.g. FENCHEL_YOUNG_REGULARIZERS.sparsemax)',
      describeValue(regularizer),
    );
  }
  return defineLoss<FenchelYoungOptions>({
    name: definition.name,
    aliases: definition.aliases,
    replace: definition.replace,
    options: { axis: option.axis(-1) },
    layout: 'dense',
    values: { yTrue: 'binary', yPred: 'any' },
    compute: (yTrue, yPred) => fenchelYoungLoss(regularizer, yTrue, yPred),
  });
}

/** Options of `fenchelYoung`. */
export interface FenchelYoungLossOptions extends FenchelYoungOptions {
  /** Ω, named after its prediction map: `'softmax'`, `'sparsemax'` or `'argmax'` (perceptron). @defaultValue 'sparsemax' */
  regularizer?: FenchelYoungRegularizerName;
}

/**
 * The Fenchel–Young loss of a built-in regularizer, dense targets (one-hot or soft, in [0, 1]) over
 * the class axis (`axis`): L_Ω(θ; y) = Ω*(θ) + Ω(y) − ⟨θ, y⟩ (Blondel et al. 2020), with
 * - `regularizer: 'sparsemax'` (Ω = ½‖p‖²): the sparsemax loss (Martins & Astudillo 2016) with soft
 *   targets; Optax `multiclass_sparsemax_loss` for one-hot y;
 * - `'softmax'` (Ω = Σ p log p): logsumexp θ − ⟨θ, y⟩ + Σ y log y = KL(y ‖ softmax θ), i.e.
 *   softmax cross-entropy minus the targets' entropy;
 * - `'argmax'` (Ω = 0): the perceptron loss max θ − ⟨θ, y⟩ (Optax `multiclass_perceptron_loss`).
 * The loss is ≥ 0 and 0 exactly when the regularized prediction equals y. Choose it with
 * `'sparsemax'` when sparse output probabilities are wanted (attention, multi-label with exact
 * zeros); use `defineFenchelYoungLoss` for a regularizer of your own.
 * @example
 * const loss = losses.fenchelYoung({ regularizer: 'sparsemax' });
 * loss(tf.tensor2d([[1, 0, 0]]), tf.tensor2d([[1, 0.5, -1]])); // p = [0.75, 0.25, 0]: 0.875 + 0.5 − 1 − 0.3125 = 0.0625
 */
export const fenchelYoung = defineLoss<FenchelYoungLossOptions>({
  name: 'fenchelYoung',
  aliases: ['fenchel_young_loss'],
  options: { regularizer: option.oneOf(['sparsemax', 'softmax', 'argmax'] as const, 'sparsemax'), axis: option.axis(-1) },
  layout: 'dense',
  values: { yTrue: 'binary', yPred: 'any' },
  compute: (yTrue, yPred, { regularizer }) => fenchelYoungLoss(FENCHEL_YOUNG_REGULARIZERS[regularizer], yTrue, yPred),
});

/** Options of the multiclass losses with integer labels. */
export interface MulticlassScoresOptions extends BaseLossOptions {
  /** The class axis of yPred (negative counts from the last; PyTorch's layout is `axis: 1`). @defaultValue -1 */
  axis?: number;
}

/** A multiclass Fenchel–Young loss with integer labels: L_Ω(θ; e_y). */
const sparseFenchelYoung =
  (regularizer: FenchelYoungRegularizer) =>
  (labels: tf.Tensor, scores: tf.Tensor): tf.Tensor =>
    fenchelYoungLoss(regularizer, oneHot(labels, lastDim(scores)), scores);

/**
 * Multiclass sparsemax loss (Martins & Astudillo 2016, eq. 18), integer labels y:
 *
 *   L(θ; y) = −θ_y + ½ Σ_{j ∈ S(θ)} (θ_j² − τ(θ)²) + ½ = ⟨θ, p⟩ − ½‖p‖² + ½ − θ_y,   p = sparsemax(θ)
 *
 * the Fenchel–Young loss of Ω = ½‖p‖² at y = e_y; gradient sparsemax(θ) − e_y. Matches Optax
 * `multiclass_sparsemax_loss(scores, labels)`. yTrue holds class indices shaped like yPred without
 * the class axis (`axis`), as for `sparseCategoricalCrossentropy`.
 * Choose it instead of softmax cross-entropy when the model should put exactly zero probability on
 * implausible classes (sparse, interpretable outputs); it is 0 once the true class leads every other
 * by a margin of 1.
 * @example
 * const loss = losses.multiclassSparsemax();
 * loss(tf.tensor1d([0], 'int32'), tf.tensor2d([[1, 0.5, -1]])); // 0.875 − 0.3125 + 0.5 − 1 = 0.0625
 */
export const multiclassSparsemax = defineLoss<MulticlassScoresOptions>({
  name: 'multiclassSparsemax',
  aliases: ['multiclass_sparsemax_loss'],
  options: { axis: option.axis(-1) },
  layout: 'sparse',
  values: { yPred: 'any' },
  compute: sparseFenchelYoung(FENCHEL_YOUNG_REGULARIZERS.sparsemax),
});

/**
 * Multiclass perceptron loss (Collins 2002): max_c θ_c − θ_y, integer labels y; the Fenchel–Young
 * loss of Ω = 0 (its gradient is e_argmax − e_y). Matches Optax `multiclass_perceptron_loss`.
 * Choose it for the classic structured/multiclass perceptron: no loss and no gradient once the true
 * class has the top score (no margin; `categoricalHinge` adds a margin of 1).
 * @example
 * const loss = losses.multiclassPerceptron();
 * loss(tf.tensor1d([1, 0], 'int32'), tf.tensor2d([[2, 1, 0], [2, 1, 0]])); // (1 + 0) / 2 = 0.5
 */
export const multiclassPerceptron = defineLoss<MulticlassScoresOptions>({
  name: 'multiclassPerceptron',
  aliases: ['multiclass_perceptron_loss'],
  options: { axis: option.axis(-1) },
  layout: 'sparse',
  values: { yPred: 'any' },
  compute: sparseFenchelYoung(FENCHEL_YOUNG_REGULARIZERS.argmax),
});

/** Labels all in {0, 1} or all in {−1, 1} (the `signedBinary` rule) as signs: 0 → −1. */
const signs = (yTrue: tf.Tensor): tf.Tensor => tf.where(tf.equal(yTrue, 0), tf.fill(yTrue.shape, -1), yTrue);

/**
 * sparse_plus(x): 0 for x ≤ −1, (x + 1)²/4 for −1 < x < 1, x for x ≥ 1 — the binary sparsemax's
 * conjugate (a once-differentiable softplus that is exactly 0 and exactly linear beyond ±1),
 * computed as (clip(x, −1, 1) + 1)²/4 + max(x − 1, 0).
 */
function sparsePlus(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.div(tf.square(tf.add(tf.clipByValue(x, -1, 1), 1)), 4), tf.relu(tf.sub(x, 1)));
}

/**
 * Binary sparsemax loss (Blondel et al. 2020, §4.4), elementwise; the per-sample loss is the mean
 * over the last axis: ℓ = sparse_plus(−y·s) with y ∈ {−1, 1} (labels in {0, 1} are read as 2y − 1),
 * i.e. 0 when y·s ≥ 1, (1 − y·s)²/4 when |s| < 1, −y·s when y·s ≤ −1. Matches Optax
 * `sparsemax_loss(logits, labels)`: zero exactly when sparse_sigmoid(s) = (clip(s, −1, 1) + 1)/2 equals
 * the label. Choose it as a binary/multi-label cross-entropy whose predicted probabilities reach
 * exactly 0 and 1 (no gradient on examples already beyond the margin).
 * @example
 * const loss = losses.binarySparsemax();
 * loss(tf.tensor2d([[1], [0]]), tf.tensor2d([[0], [2]])); // ((0 + 1)²/4 + 2) / 2 = 1.125
 */
export const binarySparsemax = defineLoss<BaseLossOptions>({
  name: 'binarySparsemax',
  aliases: ['sparsemax_loss', 'binary_sparsemax_loss'],
  layout: 'elementwise',
  values: { yTrue: 'signedBinary', yPred: 'any' },
  compute: (yTrue, yPred) => sparsePlus(tf.neg(tf.mul(signs(yTrue), yPred))),
});

/**
 * Binary perceptron loss, elementwise; the per-sample loss is the mean over the last axis:
 * ℓ = max(0, −y·s) with y ∈ {−1, 1} (labels in {0, 1} are read as 2y − 1). Matches Optax
 * `perceptron_loss(predictor_outputs, targets)` (Rosenblatt's perceptron criterion). Choose it for
 * a linear classifier that should only fix its mistakes; unlike `hinge` there is no margin.
 * @example
 * const loss = losses.perceptron();
 * loss(tf.tensor2d([[1], [-1]]), tf.tensor2d([[-0.5], [-2]])); // (0.5 + 0) / 2 = 0.25
 */
export const perceptron = defineLoss<BaseLossOptions>({
  name: 'perceptron',
  aliases: ['perceptron_loss'],
  layout: 'elementwise',
  values: { yTrue: 'signedBinary', yPred: 'any' },
  compute: (yTrue, yPred) => tf.relu(tf.neg(tf.mul(signs(yTrue), yPred))),
});
