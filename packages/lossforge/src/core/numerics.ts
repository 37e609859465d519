/**
 * Stable primitives. Every log, exponential and clip in a loss goes through these, so that logits
 * of ±1e4 and probabilities of exactly 0 or 1 give finite values and finite gradients.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Keras' fuzz factor: probabilities are clipped to [EPSILON, 1 − EPSILON]. */
export const EPSILON = 1e-7;

/**
 * softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^(−|x|)) so it never overflows,
 * with the exact gradient σ(x) (the composite's autodiff would give 0 at x = 0).
 */
export const softplus: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  const value = tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
  return { value, gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.sigmoid(saved!)) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** log σ(x) = −softplus(−x): the log-probability of the positive class from a logit. */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(softplus(tf.neg(x)));
}

/**
 * log softmax over the last axis: (x − m) − log Σ exp(x − m), m = max(x) (stable). The same ops as
 * tf.logSoftmax, but differentiated by the tape instead of tf.logSoftmax's custom gradient (whose
 * backward reads a saved constant, so a gradient of the gradient throws): m is a constant to the tape
 * (`lastAxisMax`: its terms cancel exactly), so the gradient dy − Σdy·softmax(x) is
 * differentiable to every order (Hessian-vector products, gradient penalties).
 */
export function logSoftmax(x: tf.Tensor): tf.Tensor {
  const shifted = tf.sub(x, lastAxisMax(x));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
}

/** max over the last axis (kept), with a zero gradient: a stop-gradient shift for `logSoftmax`. */
const lastAxisMax: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: tf.max(x, -1, true), gradFunc: (_dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.zerosLike(saved!) };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** Clips probabilities to [eps, 1 − eps] (Keras). The gradient is zero outside that range. */
export function clipProbability(p: tf.Tensor, eps = EPSILON): tf.Tensor {
  return tf.clipByValue(p, eps, 1 - eps);
}

/** log p for probabilities, clipped to [EPSILON, 1 − EPSILON] first. */
export function clippedLog(p: tf.Tensor): tf.Tensor {
  return tf.log(clipProbability(p));
}

/**
 * baseᵉˣᵖᵒⁿᵉⁿᵗ for base ≥ 0 with a finite gradient at base = 0 (where d/db b^γ is infinite for
 * γ < 1): computed as exp(γ · log(max(base, 1e-30))). Used for focal modulating factors.
 */
export function safePow(base: tf.Tensor, exponent: number): tf.Tensor {
  if (exponent === 0) return tf.onesLike(base);
  if (exponent === 1) return base;
  return tf.exp(tf.mul(exponent, tf.log(tf.maximum(base, 1e-30))));
}

/** x · log(y), defined as 0 where x = 0 (the convention of KL divergence and entropies). */
export function xlogy(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  return tf.where(tf.equal(x, 0), tf.zeros(x.shape), tf.mul(x, tf.log(y)));
}

/** The smallest scale `maxAbsScale` returns: below it, scaling is not needed to avoid overflow. */
const SCALE_FLOOR = 1e-6;

/**
 * s = max(maxᵢ |xᵢ|, 1e-6) along `axis` (kept), or over all of x without an axis: dividing by s
 * before squaring keeps every square ≤ 1, so norms and distances of embeddings up to float32's
 * largest values (≈ 3.4e38) neither overflow nor, above 1e-6, underflow. s ≥ 1e-6 keeps ε/s² ≤ ε·1e12.
 *
 * Its gradient is zero (a stop-gradient): the quantities computed with it (‖x‖ as s·‖x/s‖, x/‖x‖…)
 * do not depend on s, so the exact gradient flows through x alone; differentiating through s would
 * only add terms that cancel, computed as dy·x/s², which overflow (Infinity/Infinity = NaN) for
 * |x| beyond ~1e19.
 */
export function maxAbsScale(x: tf.Tensor, axis?: number): tf.Tensor {
  const key = axis ?? 'all';
  let scale = scaleFunctions.get(key);
  if (!scale) {
    scale = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
      save([t]);
      const value = tf.maximum(tf.max(tf.abs(t), axis, axis !== undefined), SCALE_FLOOR);
      return { value, gradFunc: (_dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.zerosLike(saved!) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (t: tf.Tensor) => tf.Tensor;
    scaleFunctions.set(key, scale);
  }
  return scale(x);
}

/** One stop-gradient scale function per axis (tf.customGrad takes tensors only). */
const scaleFunctions = new Map<number | 'all', (t: tf.Tensor) => tf.Tensor>();

/**
 * x / max(‖x‖₂, √1e-12) along `axis` (Keras' l2_normalize), computed on y = x / s (s = `maxAbsScale`)
 * as y / max(‖y‖₂, 1e-6 / s), which is the same quantity without squaring x (finite up to |x| ≈ 3.4e38).
 */
export function l2Normalize(x: tf.Tensor, axis = -1): tf.Tensor {
  const scale = maxAbsScale(x, axis);
  const y = tf.div(x, scale);
  const squaredNorm = tf.sum(tf.square(y), axis, true);
  return tf.mul(y, tf.rsqrt(tf.maximum(squaredNorm, tf.square(tf.div(SCALE_FLOOR, scale)))));
}

/**
 * One-hot float32 vectors of `depth` ≥ 1 classes: [..] int32 indices → [.., depth], computed as
 * indices == range(depth). Unlike tf.oneHot it takes depth 1 (one class, or a batch of one), and an
 * out-of-range index gives a zero row.
 */
export function oneHot(indices: tf.Tensor, depth: number): tf.Tensor {
  return tf.cast(tf.equal(tf.expandDims(tf.cast(indices, 'int32'), -1), tf.range(0, depth, 1, 'int32')), 'float32');
}

/** Entries per block of `pairwiseSum`. */
const SUM_BLOCK = 16;

/**
 * Σ over the last axis, pairwise in blocks of 16: the axis is zero-padded to a multiple of 16,
 * summed per block, and again until one block is left. The rounding error grows with
 * 16·log₁₆(n)·ε instead of n·ε for a plain float32 loop (the wasm backend's Sum): a row of 100,000
 * values is summed to ~1e-7 relative instead of ~1e-3. A row of at most 16 is one tf.sum.
 */
export function pairwiseSum(x: tf.Tensor): tf.Tensor {
  let y = x;
  while (y.shape[y.rank - 1]! > SUM_BLOCK) {
    const n = y.shape[y.rank - 1]!;
    const blocks = Math.ceil(n / SUM_BLOCK);
    const lead = y.shape.slice(0, -1);
    if (blocks * SUM_BLOCK !== n) y = tf.pad(y, [...lead.map((): [number, number] => [0, 0]), [0, blocks * SUM_BLOCK - n]]);
    y = tf.sum(tf.reshape(y, [...lead, blocks, SUM_BLOCK]), -1);
  }
  return tf.sum(y, -1);
}

/**
 * Σ of every entry of `x` (pairwise, see `pairwiseSum`), 0 for an empty tensor, with the gradient
 * (ones, or an empty gradient) flowing to `x` in both cases. tf.sum of an empty tensor returns
 * uninitialised memory on the tfjs wasm backend; here it is a sum of [0] concatenated to x.
 */
export function total(x: tf.Tensor): tf.Scalar {
  const flat = tf.reshape(x, [x.size]);
  return (x.size === 0 ? tf.sum(tf.concat([flat, tf.zeros([1])])) : pairwiseSum(flat)) as tf.Scalar;
}

/**
 * A non-negative denominator with its zeros replaced by 1, for quotients whose numerator is 0 there
 * (an all-masked batch, a zero class weight). Unlike tf.divNoNan this keeps comparison ops off the
 * gradient path of the numerator.
 */
export function nonZeroDenominator(denominator: tf.Tensor): tf.Tensor {
  return tf.where(tf.greater(denominator, 0), denominator, tf.onesLike(denominator));
}
