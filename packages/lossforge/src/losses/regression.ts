/**
 * Regression losses. Each is elementwise: the per-sample loss is the mean over the last axis
 * (Keras), so [B, K] inputs give [B] per-sample values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from '../core/loss.js';
import { valueChecksEnabled } from '../core/config.js';
import { formatShape, LossInputError } from '../core/errors.js';
import { EPSILON, softplus } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, ResolvedOptions } from '../core/options.js';
import { sameShape } from '../core/validate.js';
import { fusedRegression, withFused } from '../kernels/fused.js';

/**
 * Mean squared error: mean((y − ŷ)²).
 * Matches Keras `MeanSquaredError` and PyTorch `MSELoss`. The default for regression with
 * roughly Gaussian noise; sensitive to outliers (see `huber`, `logCosh`).
 * @example
 * const loss = losses.meanSquaredError();
 * loss(tf.tensor2d([[1], [2]]), tf.tensor2d([[1.5], [2]])); // 0.125
 */
export const meanSquaredError = defineLoss<BaseLossOptions>({
  name: 'meanSquaredError',
  aliases: ['mse', 'mean_squared_error', 'MSELoss', 'l2'],
  layout: 'elementwise',
  compute: withFused(fusedRegression('mse'), mseTerms),
});
function mseTerms(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.squaredDifference(yTrue, yPred);
}

/**
 * Mean absolute error: mean(|y − ŷ|).
 * Matches Keras `MeanAbsoluteError` and PyTorch `L1Loss`. Robust to outliers; estimates the
 * conditional median. Its gradient is constant in size, which can slow convergence near the optimum.
 * @example
 * losses.meanAbsoluteError()(tf.tensor2d([[1], [2]]), tf.tensor2d([[1.5], [2]])); // 0.25
 */
export const meanAbsoluteError = defineLoss<BaseLossOptions>({
  name: 'meanAbsoluteError',
  aliases: ['mae', 'mean_absolute_error', 'L1Loss', 'l1'],
  layout: 'elementwise',
  compute: withFused(fusedRegression('mae'), maeTerms),
});
function maeTerms(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.abs(tf.sub(yTrue, yPred));
}

/**
 * Mean absolute percentage error: 100 · mean(|y − ŷ| / max(|y|, ε)), ε = 1e-7.
 * Matches Keras `MeanAbsolutePercentageError`. For relative errors on targets far from zero;
 * explodes when targets approach 0.
 * @example
 * losses.meanAbsolutePercentageError()(tf.tensor2d([[100]]), tf.tensor2d([[90]])); // 10
 */
export const meanAbsolutePercentageError = defineLoss<BaseLossOptions>({
  name: 'meanAbsolutePercentageError',
  aliases: ['mape', 'mean_absolute_percentage_error'],
  layout: 'elementwise',
  compute: (yTrue, yPred) =>
    tf.mul(100, tf.div(tf.abs(tf.sub(yTrue, yPred)), tf.maximum(tf.abs(yTrue), EPSILON))),
});

/**
 * Mean squared logarithmic error: mean((log(1 + max(ŷ, ε)) − log(1 + max(y, ε)))²).
 * Matches Keras `MeanSquaredLogarithmicError`. For non-negative targets spanning orders of
 * magnitude (counts, prices) where relative error matters; penalizes under-prediction more.
 * @example
 * losses.meanSquaredLogarithmicError()(tf.tensor2d([[3]]), tf.tensor2d([[1]])); // (ln 2 − ln 4)² ≈ 0.48
 */
export const meanSquaredLogarithmicError = defineLoss<BaseLossOptions>({
  name: 'meanSquaredLogarithmicError',
  aliases: ['msle', 'mean_squared_logarithmic_error'],
  layout: 'elementwise',
  compute: (yTrue, yPred) =>
    tf.squaredDifference(tf.log1p(tf.maximum(yPred, EPSILON)), tf.log1p(tf.maximum(yTrue, EPSILON))),
});

/** Options of `huber`. */
export interface HuberOptions extends BaseLossOptions {
  /** δ > 0: where the loss turns from quadratic to linear, in the units of the target. @defaultValue 1 */
  delta?: number;
}

/**
 * Huber loss with threshold δ: ½e² where |e| ≤ δ, else δ(|e| − ½δ), e = y − ŷ.
 * Matches Keras `Huber(delta)` and PyTorch `HuberLoss(delta)`. Quadratic near zero, linear in the
 * tails: the usual choice for regression with outliers. δ is in the units of the target.
 * @example
 * losses.huber({ delta: 1 })(tf.tensor2d([[0]]), tf.tensor2d([[3]])); // 2.5
 */
export const huber = defineLoss<HuberOptions>({
  name: 'huber',
  aliases: ['huber_loss', 'HuberLoss'],
  options: { delta: option.number(1, { min: 0, minExclusive: true }) },
  layout: 'elementwise',
  compute: withFused(fusedRegression('huber', ({ delta }) => delta), huberTerms),
});
function huberTerms(yTrue: tf.Tensor, yPred: tf.Tensor, { delta }: ResolvedOptions<HuberOptions>): tf.Tensor {
  const absError = tf.abs(tf.sub(yTrue, yPred));
  const quadratic = tf.minimum(absError, delta);
  // ½q² + δ(|e| − q): equal to the piecewise form, with one smooth expression.
  return tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, tf.sub(absError, quadratic)));
}

/** Options of `smoothL1`. */
export interface SmoothL1Options extends BaseLossOptions {
  /** β ≥ 0: where the loss turns from quadratic to linear (0 gives the L1 loss). @defaultValue 1 */
  beta?: number;
}

/**
 * Smooth L1: 0.5e²/β where |e| < β, else |e| − 0.5β (β = 0 gives L1).
 * Matches PyTorch `SmoothL1Loss(beta)`; equals huber(δ = β)/β. Common for bounding-box regression.
 * @example
 * losses.smoothL1({ beta: 1 })(tf.tensor2d([[0]]), tf.tensor2d([[3]])); // 2.5
 */
export const smoothL1 = defineLoss<SmoothL1Options>({
  name: 'smoothL1',
  aliases: ['smooth_l1', 'SmoothL1Loss'],
  options: { beta: option.number(1, { min: 0 }) },
  layout: 'elementwise',
  compute: withFused(fusedRegression('smoothL1', ({ beta }) => beta), smoothL1Terms),
});
function smoothL1Terms(yTrue: tf.Tensor, yPred: tf.Tensor, { beta }: ResolvedOptions<SmoothL1Options>): tf.Tensor {
  const absError = tf.abs(tf.sub(yTrue, yPred));
  if (beta === 0) return absError;
  const quadratic = tf.minimum(absError, beta);
  return tf.add(tf.div(tf.mul(0.5, tf.square(quadratic)), beta), tf.sub(absError, quadratic));
}

/**
 * Log-cosh: mean(log(cosh(ŷ − y))), computed as x + softplus(−2x) − log 2 so it never overflows.
 * Matches Keras `LogCosh`. Behaves like ½x² for small errors and |x| − log 2 for large ones: a
 * twice-differentiable alternative to Huber without a threshold to tune.
 * @example
 * losses.logCosh()(tf.tensor2d([[0]]), tf.tensor2d([[1]])); // log(cosh 1) ≈ 0.4338
 */
export const logCosh = defineLoss<BaseLossOptions>({
  name: 'logCosh',
  aliases: ['logcosh', 'log_cosh'],
  layout: 'elementwise',
  compute: withFused(fusedRegression('logCosh'), logCoshTerms),
});
function logCoshTerms(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const x = tf.sub(yPred, yTrue);
  return tf.sub(tf.add(x, softplus(tf.mul(-2, x))), Math.LN2);
}

/** Options of `quantile`. */
export interface QuantileOptions extends BaseLossOptions {
  /** The quantile q in (0, 1) the prediction estimates (0.5: the median). @defaultValue 0.5 */
  quantile?: number;
}

/**
 * Quantile (pinball) loss for quantile q: max(q·e, (q − 1)·e), e = y − ŷ.
 * Minimized by the q-th conditional quantile (Koenker & Bassett 1978); q = 0.5 is half the MAE.
 * Choose it for prediction intervals (train one output per quantile) or asymmetric costs.
 * @example
 * losses.quantile({ quantile: 0.9 })(tf.tensor2d([[10]]), tf.tensor2d([[8]])); // 1.8
 */
export const quantile = defineLoss<QuantileOptions>({
  name: 'quantile',
  aliases: ['pinball', 'quantile_loss', 'pinball_loss'],
  options: { quantile: option.number(0.5, { min: 0, max: 1, minExclusive: true, maxExclusive: true }) },
  layout: 'elementwise',
  compute: (yTrue, yPred, { quantile: q }) => {
    const e = tf.sub(yTrue, yPred);
    return tf.maximum(tf.mul(q, e), tf.mul(q - 1, e));
  },
});

/** Options of `poisson`. */
export interface PoissonOptions extends BaseLossOptions {
  /** Whether yPred is a log-rate (PyTorch `log_input=True`) rather than a rate ≥ 0 (Keras). @defaultValue false */
  logInput?: boolean;
}

/**
 * Poisson negative log-likelihood (without the log y! constant).
 * - `logInput: false` (Keras `Poisson`): ŷ − y·log(ŷ + ε), ŷ a rate ≥ 0, ε = 1e-7;
 * - `logInput: true` (PyTorch `PoissonNLLLoss(log_input=True)`): exp(ŷ) − y·ŷ, ŷ a log-rate.
 * For count targets (events, clicks). Prefer `logInput: true` with a linear output layer.
 * @example
 * losses.poisson({ logInput: true })(tf.tensor2d([[2]]), tf.tensor2d([[0]])); // 1
 */
export const poisson = defineLoss<PoissonOptions>({
  name: 'poisson',
  aliases: ['poisson_nll', 'PoissonNLLLoss'],
  options: { logInput: option.boolean(false) },
  layout: 'elementwise',
  values: ({ logInput }) => ({ yTrue: 'nonNegative', yPred: logInput ? 'any' : 'nonNegative' }),
  compute: (yTrue, yPred, { logInput }) =>
    logInput
      ? tf.sub(tf.exp(yPred), tf.mul(yTrue, yPred))
      : tf.sub(yPred, tf.mul(yTrue, tf.log(tf.add(yPred, EPSILON)))),
});

/** Options of `gaussianNll`. */
export interface GaussianNllOptions extends BaseLossOptions {
  /** Add the constant ½·log(2π), giving the exact negative log-likelihood (PyTorch `full`). @defaultValue false */
  full?: boolean;
  /** ε > 0: variances below it are clamped to it in the forward pass (PyTorch `eps`). @defaultValue 0.000001 */
  eps?: number;
  /**
   * yPred carries log σ² instead of σ² (a linear output layer then predicts it; no sign constraint).
   * Not in PyTorch: the same loss with σ² = exp(s), written ½(s + (y − μ)²·e⁻ˢ), s clamped at log ε. @defaultValue false
   */
  logVariance?: boolean;
}

/**
 * max(v, ε) in the forward pass with the gradient of the identity, as PyTorch clamps the variance
 * under `torch.no_grad()`: a variance below ε still receives the gradient computed at ε.
 */
function clampKeepingGradient(eps: number): (v: tf.Tensor) => tf.Tensor {
  return tf.customGrad(((v: tf.Tensor) => ({ value: tf.maximum(v, eps), gradFunc: (dy: tf.Tensor) => dy })) as unknown as Parameters<typeof tf.customGrad>[0]) as (v: tf.Tensor) => tf.Tensor;
}

/**
 * How a prediction carries its variance: yPred's last axis is the means followed by the variances.
 * With targets [..., K], yPred is [..., 2K] (one variance per element) or [..., K + 1] (one variance
 * shared by the sample's K elements); rank-1 targets [B] take yPred [B, 2] (mean, variance).
 * Returns the targets, means and variances ([..., K], [..., K], [..., K] or [..., 1]).
 */
function meansAndVariances(yTrue: tf.Tensor, yPred: tf.Tensor): { target: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const target = yTrue.rank === yPred.rank - 1 ? tf.expandDims(yTrue, -1) : yTrue;
  const k = target.shape[target.rank - 1]!;
  const mean = tf.slice(yPred, yPred.shape.map(() => 0), [...yPred.shape.slice(0, -1), k]);
  const variance = tf.slice(yPred, [...yPred.shape.slice(0, -1).map(() => 0), k], yPred.shape.map(() => -1));
  return { target, mean, variance };
}

/** Shape rules of `gaussianNll` (see `meansAndVariances`); a variance below 0 is a LossInputError naming yPred. */
function validateGaussianNll(yTrue: tf.Tensor, yPred: tf.Tensor, { logVariance }: ResolvedOptions<GaussianNllOptions>): void {
  const name = 'gaussianNll';
  const last = yPred.shape[yPred.rank - 1]!;
  const lead = yPred.shape.slice(0, -1);
  if (yPred.rank < 2) {
    throw new LossInputError(name, 'yPred', 'rank ≥ 2 with the means then the variances on the last axis ([B, 2K] or [B, K + 1] for targets [B, K])', `shape ${formatShape(yPred.shape)}`);
  }
  const k = yTrue.rank === yPred.rank - 1 ? 1 : yTrue.shape[yTrue.rank - 1]!;
  const targetLead = yTrue.rank === yPred.rank - 1 ? yTrue.shape : yTrue.shape.slice(0, -1);
  if (!sameShape(targetLead, lead) || yTrue.rank < yPred.rank - 1 || (last !== 2 * k && last !== k + 1) || k === 0) {
    throw new LossInputError(
      name,
      'yTrue',
      `targets of shape ${formatShape([...lead, last % 2 === 0 ? last / 2 : last - 1])} (yPred ${formatShape(yPred.shape)} holds K means then K or 1 variances on its last axis)`,
      `shape ${formatShape(yTrue.shape)}`,
    );
  }
  if (logVariance || !valueChecksEnabled()) return;
  const { variance } = tf.tidy(() => ({ variance: meansAndVariances(yTrue, yPred).variance }));
  const values = variance.dataSync();
  variance.dispose();
  const bad = values.findIndex((v) => v < 0);
  if (bad >= 0) throw new LossInputError(name, 'yPred', 'variances ≥ 0 (the entries after the means on the last axis)', `${values[bad]} at variance index ${bad}`);
}

/**
 * Gaussian negative log-likelihood with a predicted variance σ² (heteroscedastic regression):
 *   ℓ = ½·(log max(σ², ε) + (y − μ)² / max(σ², ε)) [+ ½·log 2π when `full`],
 * averaged over the last axis of the targets (as every regression loss here), so [B, K] targets
 * give [B] per-sample values. Matches PyTorch `GaussianNLLLoss(full, eps)` elementwise
 * (`reduction='none'`), including its clamp: σ² < ε is raised to ε in the value while the gradient
 * passes to σ² unchanged.
 *
 * How the variance arrives: yPred's last axis holds the means, then the variances — [B, 2K] for one
 * variance per element, [B, K + 1] for one variance shared by a sample's K targets (PyTorch's
 * broadcast `var`); targets [B] take yPred [B, 2]. A model gets there with two heads,
 * `tf.layers.concatenate()([mean, softplusVariance])`. Variances must be ≥ 0 (a LossInputError
 * naming yPred otherwise); predict them through softplus, or predict s = log σ² with a linear layer
 * and set `logVariance: true` (ℓ = ½(s + (y − μ)²·e⁻ˢ), s clamped at log ε the same way).
 *
 * When to choose: regression where the noise level varies with the input and you want the model
 * to say how sure it is (the variance head), or to down-weight samples it finds noisy.
 * @example
 * const loss = losses.gaussianNll();
 * loss(tf.tensor2d([[1]]), tf.tensor2d([[0, 1]])); // ½ · (log 1 + 1²/1) = 0.5
 */
export const gaussianNll = defineLoss<GaussianNllOptions>({
  name: 'gaussianNll',
  aliases: ['gaussian_nll', 'GaussianNLLLoss'],
  options: { full: option.boolean(false), eps: option.number(1e-6, { min: 0, minExclusive: true }), logVariance: option.boolean(false) },
  layout: 'custom',
  batchedRanks: { yTrue: 2, yPred: 2 },
  values: { yPred: 'finite' },
  validate: validateGaussianNll,
  compute: (yTrue, yPred, { full, eps, logVariance }) => {
    const { target, mean, variance } = meansAndVariances(yTrue, yPred);
    const squaredError = tf.squaredDifference(target, mean);
    let terms: tf.Tensor;
    if (logVariance) {
      const s = clampKeepingGradient(Math.log(eps))(variance);
      terms = tf.mul(0.5, tf.add(s, tf.mul(squaredError, tf.exp(tf.neg(s)))));
    } else {
      const v = clampKeepingGradient(eps)(variance);
      terms = tf.mul(0.5, tf.add(tf.log(v), tf.div(squaredError, v)));
    }
    return tf.mean(full ? tf.add(terms, 0.5 * Math.log(2 * Math.PI)) : terms, -1);
  },
});
