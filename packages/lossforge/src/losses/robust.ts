/**
 * The general and adaptive robust loss (Barron, CVPR 2019, "A General and Adaptive Robust Loss
 * Function"): one loss ρ(x, α, c) whose shape α moves between L2, pseudo-Huber, Cauchy,
 * Geman–McClure and Welsch, fixed (`generalRobust`) or learned with the model (`adaptiveRobust`,
 * whose α and scale are trainable variables of the loss, see `LossDefinition.variables`).
 * Reference semantics: jonbarron/robust_loss_pytorch (`general.lossfun`, `distribution.nllfun`,
 * `adaptive.AdaptiveLossFunction`); fixtures from scripts/fixtures/robust.py.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { defineLoss, type LossVariables } from '../core/loss.js';
import { oneHot, softplus } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, OptionSpec, ResolvedOptions } from '../core/options.js';
import { ALPHA_MAX, KNOT_TANGENTS, KNOT_VALUES, KNOT_X, SEGMENTS } from './robustPartition.js';

/** float32 machine epsilon: the reference's floor for |α| and |α − 2| in the general form. */
const F32_EPS = 2 ** -23;

/** α as an option: a finite number, or the JSON-safe strings of its limits. */
export type RobustAlpha = number | '-Infinity' | 'Infinity';

/** Options of `generalRobust`. */
export interface GeneralRobustOptions extends BaseLossOptions {
  /**
   * α, the shape: 2 is L2, 1 pseudo-Huber (Charbonnier), 0 Cauchy, −2 Geman–McClure, `'-Infinity'`
   * Welsch; smaller is more robust (outliers cost less). Any finite number, or `'-Infinity'` /
   * `'Infinity'` (strings, so that the config stays JSON). @defaultValue 1
   */
  alpha?: RobustAlpha;
  /** c > 0: the scale of the quadratic bowl around 0 (|x| < c is L2-like), in the units of the target. @defaultValue 1 */
  scale?: number;
}

const alphaOption: OptionSpec<RobustAlpha> = {
  default: 1,
  expected: "a finite number, or '-Infinity' / 'Infinity' (α's limits, as JSON-safe strings)",
  accepts: (v) => (typeof v === 'number' && Number.isFinite(v)) || v === '-Infinity' || v === 'Infinity',
  shape: { kind: 'value' },
};

/**
 * ρ(x, α, c) elementwise for a fixed α (a number, ±Infinity allowed), as Barron (2019) Eq. 1 and
 * its limits, with z = (x / c)²:
 *
 *   α = 2: z / 2;   α = 0: log(1 + z / 2);   α = −∞: 1 − exp(−z / 2);   α = +∞: exp(z / 2) − 1;
 *   else:  |α − 2| / α · ((z / |α − 2| + 1)^{α/2} − 1).
 *
 * The general form is evaluated as |α−2|/α · expm1(α/2 · log1p(z / |α−2|)), with |α| and |α − 2|
 * floored at float32 epsilon as in the reference code, so that α near 0 and near 2 lose no digits
 * (the reference's pow(…) − 1 cancels for α near 0).
 */
export function robustRho(x: tf.Tensor, alpha: number, scale: number): tf.Tensor {
  const z = tf.square(tf.div(x, scale));
  if (alpha === -Infinity) return tf.neg(tf.expm1(tf.mul(-0.5, z)));
  if (alpha === 0) return tf.log1p(tf.mul(0.5, z));
  if (alpha === 2) return tf.mul(0.5, z);
  if (alpha === Infinity) return tf.expm1(tf.mul(0.5, z));
  const beta = Math.max(F32_EPS, Math.abs(alpha - 2));
  const a = Math.sign(alpha) * Math.max(F32_EPS, Math.abs(alpha));
  return tf.mul(beta / a, tf.expm1(tf.mul(alpha / 2, tf.log1p(tf.div(z, beta)))));
}

/** ρ(x, α, c) for tensors α ≥ 0 and c > 0 (broadcast against x): the general form of `robustRho`, differentiable in α and c. */
export function robustRhoTensor(x: tf.Tensor, alpha: tf.Tensor, scale: tf.Tensor): tf.Tensor {
  const z = tf.square(tf.div(x, scale));
  const beta = tf.maximum(F32_EPS, tf.abs(tf.sub(alpha, 2)));
  // The floored α in the exponent too, so that α = 0 exactly gives the Cauchy limit log(1 + z/2).
  const a = tf.maximum(F32_EPS, alpha);
  return tf.mul(tf.div(beta, a), tf.expm1(tf.mul(tf.div(a, 2), tf.log1p(tf.div(z, beta)))));
}

/**
 * The general robust loss (Barron 2019): mean over the last axis of ρ(ŷ − y, α, c) (see
 * `robustRho` for ρ and its special cases). One loss that is L2 at α = 2, pseudo-Huber/Charbonnier
 * at α = 1 (√((x/c)² + 1) − 1), Cauchy/Lorentzian at α = 0, Geman–McClure at α = −2 and Welsch at
 * α = −∞; below α = 0 the loss is bounded, so outliers stop pulling at all.
 * Matches robust_loss_pytorch's `general.lossfun(x, alpha, scale)` (exact form). Choose it when
 * residuals have outliers and `huber` is not robust enough (α ≤ 0), or to tune robustness as one
 * number; to learn α and c from the data, see `adaptiveRobust`.
 * @example
 * const cauchy = losses.generalRobust({ alpha: 0, scale: 1 });
 * cauchy(tf.tensor1d([0]), tf.tensor1d([2])); // log(1 + ½·2²) = log 3 ≈ 1.0986
 */
export const generalRobust = defineLoss<GeneralRobustOptions>({
  name: 'generalRobust',
  aliases: [
    'barron',
    'robust',
    { alias: 'charbonnier', options: { alpha: 1 } },
    { alias: 'pseudoHuber', options: { alpha: 1 } },
    { alias: 'cauchy', options: { alpha: 0 } },
    { alias: 'gemanMcClure', options: { alpha: -2 } },
    { alias: 'welsch', options: { alpha: '-Infinity' } },
  ],
  options: { alpha: alphaOption, scale: option.number(1, { min: 0, minExclusive: true }) },
  layout: 'elementwise',
  compute: (yTrue, yPred, { alpha, scale }) => robustRho(tf.sub(yPred, yTrue), Number(alpha), scale),
});

// ---------------------------------------------------------------- the log partition function

/**
 * The curved coordinate of the log Z spline (robust_loss_pytorch's `partition_spline_curve`):
 * roughly linear on [0, 4] with slope ~10 around α = 2 (where log Z bends fastest), logarithmic
 * beyond 4. Differentiable; α ≥ 0.
 */
function partitionCurve(alpha: tf.Tensor): tf.Tensor {
  const below = tf.add(tf.div(tf.sub(tf.mul(2.25, alpha), 4.5), tf.add(tf.abs(tf.sub(alpha, 2)), 0.25)), tf.add(alpha, 2));
  // The other branch's log is kept finite, so that its (unused) gradient is too.
  const above = tf.add(tf.mul(5 / 18, tf.log(tf.maximum(tf.sub(tf.mul(4, alpha), 15), 1))), 8);
  return tf.where(tf.less(alpha, 4), below, above);
}

/** The knot index coordinate of curved x: piecewise linear, one unit per knot (see `SEGMENTS`). */
function knotCoordinate(x: tf.Tensor): tf.Tensor {
  return tf.addN(SEGMENTS.map(({ start, end, perUnit }) => tf.mul(perUnit, tf.clipByValue(tf.sub(x, start), 0, end - start))));
}

/**
 * u·log(|u| / √(1 + u²)) / 4, u = α − 2: the part of log Z whose slope is infinite at α = 2 (u·log|u| / 4;
 * less the analytic u·log(1 + u²) / 8, so that it stays bounded for large α). |u| is floored at 1e-30,
 * so the gradient at α = 2 exactly is large but finite.
 */
function singularPart(alpha: tf.Tensor): tf.Tensor {
  const u = tf.sub(alpha, 2);
  return tf.div(tf.mul(u, tf.sub(tf.log(tf.maximum(tf.abs(u), 1e-30)), tf.div(tf.log1p(tf.square(u)), 2))), 4);
}

/**
 * log Z(α) for α in [0, ALPHA_MAX] (Barron 2019, Eq. 16: Z(α) = ∫ exp(−ρ(x, α, 1)) dx), from a
 * cubic Hermite spline over the curved coordinate `partitionCurve(α)` plus `singularPart(α)`, whose
 * slope is infinite at α = 2 (the spline holds the C¹ rest). The knots
 * are numerical integrals at 20 digits (scripts/fixtures/robust.py --table); the spline is within
 * ~1e-7 of them (test/losses/robust.test.ts). Like the reference's spline (12289 knots), with the
 * singular term in closed form and 665 knots, denser near α = 0 and 2.
 */
export function logPartition(alpha: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const x = partitionCurve(alpha);
    const last = KNOT_X.length - 2;
    const lo = tf.cast(tf.clipByValue(tf.floor(knotCoordinate(x)), 0, last), 'int32');
    const hi = tf.add(lo, tf.scalar(1, 'int32'));
    // A one-hot product rather than tf.gather, whose gradient would reach the (int32) knot index.
    const at = (table: readonly number[], index: tf.Tensor) => tf.sum(tf.mul(oneHot(index, table.length), tf.tensor1d(table as number[])), -1);
    const x0 = at(KNOT_X, lo);
    const h = tf.sub(at(KNOT_X, hi), x0);
    const t = tf.div(tf.sub(x, x0), h);
    const t2 = tf.square(t);
    const t3 = tf.mul(t2, t);
    const h01 = tf.add(tf.mul(-2, t3), tf.mul(3, t2));
    const h00 = tf.sub(1, h01);
    const h11 = tf.sub(t3, t2);
    const h10 = tf.add(tf.sub(h11, t2), t);
    const spline = tf.addN([
      tf.mul(at(KNOT_VALUES, lo), h00),
      tf.mul(at(KNOT_VALUES, hi), h01),
      tf.mul(tf.mul(at(KNOT_TANGENTS, lo), h), h10),
      tf.mul(tf.mul(at(KNOT_TANGENTS, hi), h), h11),
    ]);
    return tf.add(spline, singularPart(alpha));
  });
}

// ---------------------------------------------------------------- the adaptive loss

/** Options of `adaptiveRobust`. */
export interface AdaptiveRobustOptions extends BaseLossOptions {
  /** Lowest α, ≥ 0 (the NLL needs α ≥ 0: below, Z is infinite). @defaultValue 0.001 */
  alphaLow?: number;
  /** Highest α, ≥ alphaLow and ≤ 12.9 (the spline's range); equal to alphaLow: α fixed there. @defaultValue 1.999 */
  alphaHigh?: number;
  /** Initial α, strictly between alphaLow and alphaHigh. @defaultValue undefined (their midpoint) */
  alphaInit?: number;
  /** Lowest scale c, > 0 (the NLL is unbounded below as c → 0). @defaultValue 0.00001 */
  scaleLow?: number;
  /** Initial scale, ≥ scaleLow; equal to scaleLow: c fixed there. @defaultValue 1 */
  scaleInit?: number;
  /** 1: one α and c for every element; n > 1: one per entry of the last axis (which must then be n). @defaultValue 1 */
  dims?: number;
}

type AdaptiveResolved = ResolvedOptions<AdaptiveRobustOptions, 'alphaInit'>;
const NAME = 'adaptiveRobust';
/** softplus(shift) = 1, so latent scale 0 is scaleInit (the reference's `affine_softplus`). */
const SOFTPLUS_SHIFT = Math.log(Math.E - 1);

/** The initial latent variables, after the checks that involve two options. */
function adaptiveVariables(o: AdaptiveResolved): Record<string, tf.Tensor> {
  if (o.alphaHigh < o.alphaLow) throw new LossInputError(NAME, 'options.alphaHigh', `a number ≥ alphaLow (${o.alphaLow})`, describeValue(o.alphaHigh));
  if (o.scaleInit < o.scaleLow) throw new LossInputError(NAME, 'options.scaleInit', `a number ≥ scaleLow (${o.scaleLow})`, describeValue(o.scaleInit));
  const state: Record<string, tf.Tensor> = {};
  if (o.alphaLow < o.alphaHigh) {
    const init = o.alphaInit ?? (o.alphaLow + o.alphaHigh) / 2;
    if (!(init > o.alphaLow && init < o.alphaHigh)) {
      throw new LossInputError(NAME, 'options.alphaInit', `a number strictly between alphaLow (${o.alphaLow}) and alphaHigh (${o.alphaHigh})`, describeValue(init));
    }
    const p = (init - o.alphaLow) / (o.alphaHigh - o.alphaLow);
    state['latentAlpha'] = tf.fill([o.dims], Math.log(p / (1 - p)));
  }
  if (o.scaleLow < o.scaleInit) state['latentScale'] = tf.zeros([o.dims]);
  return state;
}

/** α = lo + (hi − lo)·sigmoid(latentAlpha), or the fixed α; a tensor of shape [dims] (or a scalar). */
function alphaOf(o: AdaptiveResolved, state: LossVariables): tf.Tensor {
  const latent = state['latentAlpha'];
  return latent ? tf.add(o.alphaLow, tf.mul(o.alphaHigh - o.alphaLow, tf.sigmoid(latent))) : tf.scalar(o.alphaLow);
}

/** c = (c₀ − cLow)·softplus(latentScale + log(e − 1)) + cLow, or the fixed c. */
function scaleOf(o: AdaptiveResolved, state: LossVariables): tf.Tensor {
  const latent = state['latentScale'];
  return latent ? tf.add(o.scaleLow, tf.mul(o.scaleInit - o.scaleLow, softplus(tf.add(latent, SOFTPLUS_SHIFT)))) : tf.scalar(o.scaleInit);
}

/**
 * The adaptive robust loss (Barron 2019, Sec. 3): the negative log-likelihood of the residual
 * x = ŷ − y under the distribution p(x | α, c) ∝ exp(−ρ(x, α, c)),
 *
 *   NLL = ρ(x, α, c) + log c + log Z(α),
 *
 * averaged over the last axis, where α ∈ [alphaLow, alphaHigh] and c ≥ scaleLow are trainable
 * variables of the loss (`loss.variables`: `latentAlpha`, `latentScale`, one per `dims`) in the
 * paper's latent form (α = lo + (hi − lo)·sigmoid(ℓ_α), c = (c₀ − cLow)·softplus(ℓ_c + log(e−1)) +
 * cLow). `fit`, `fitDataset` and `trainStep` train them with the model, `saveModel` / `loadModel`
 * keep them; read the current values with `robustParameters(loss)`. log Z is `logPartition`.
 * Matches robust_loss_pytorch's `AdaptiveLossFunction(num_dims, alpha_lo, alpha_hi, alpha_init,
 * scale_lo, scale_init).lossfun(x)` (its mean). Unlike ρ, the NLL can be negative.
 * Choose it when you do not know how heavy the residuals' tails are: the model learns how robust
 * to be (α falls toward 0 with outliers, rises toward 2 for Gaussian noise) and at what scale.
 * @example
 * const loss = losses.adaptiveRobust({ alphaInit: 1 });
 * model.compile({ optimizer: 'adam', loss });
 * await fit(model, x, y, { epochs: 2 }); // trains the model's weights and the loss's α and c
 * robustParameters(loss).alpha.length; // 1
 */
export const adaptiveRobust = defineLoss<AdaptiveRobustOptions, 'alphaInit'>({
  name: 'adaptiveRobust',
  aliases: ['adaptiveRobustLoss', 'AdaptiveLossFunction'],
  options: {
    alphaLow: option.number(0.001, { min: 0, max: ALPHA_MAX }),
    alphaHigh: option.number(1.999, { min: 0, max: ALPHA_MAX }),
    alphaInit: option.optionalNumber({ min: 0, max: ALPHA_MAX }),
    scaleLow: option.number(1e-5, { min: 0, minExclusive: true }),
    scaleInit: option.number(1, { min: 0, minExclusive: true }),
    dims: option.integer(1, { min: 1 }),
  },
  layout: 'elementwise',
  variables: adaptiveVariables,
  compute: (yTrue, yPred, o, _call, { state }) => {
    const last = yPred.shape[yPred.rank - 1];
    if (o.dims > 1 && (yPred.rank < 2 || last !== o.dims)) {
      throw new LossInputError(NAME, 'yPred', `a last axis of ${o.dims} (options.dims: one α and scale per entry)`, `shape ${formatShape(yPred.shape)}`);
    }
    const alpha = alphaOf(o, state);
    const scale = scaleOf(o, state);
    const rho = robustRhoTensor(tf.sub(yPred, yTrue), alpha, scale);
    return tf.add(rho, tf.add(tf.log(scale), logPartition(alpha)));
  },
});

/**
 * The current α and scale c of an `adaptiveRobust` loss (one each per `dims`), as numbers.
 * @example
 * robustParameters(losses.adaptiveRobust({ alphaInit: 1.5, scaleInit: 2 })).alpha[0]; // ≈ 1.5
 */
export function robustParameters(loss: unknown): { alpha: number[]; scale: number[] } {
  const l = loss as { name?: string; options?: AdaptiveResolved; variables?: LossVariables };
  if (typeof loss !== 'function' || l.name !== NAME || !l.options) {
    throw new LossInputError('robustParameters', 'loss', 'a losses.adaptiveRobust() loss', describeValue(loss));
  }
  const o = l.options;
  const state = l.variables ?? {};
  return tf.tidy(() => {
    const ones = tf.ones([o.dims]);
    const read = (t: tf.Tensor) => Array.from(tf.mul(ones, t).dataSync());
    return { alpha: read(alphaOf(o, state)), scale: read(scaleOf(o, state)) };
  });
}
