/**
 * Regression losses. Each is elementwise: the per-sample loss is the mean over the last axis
 * (Keras), so [B, K] inputs give [B] per-sample values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineLoss } from '../core/loss.js';
import { EPSILON, softplus } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, ResolvedOptions } from '../core/options.js';
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
