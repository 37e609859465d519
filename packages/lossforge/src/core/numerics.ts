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

/** log softmax over the last axis: x − logsumexp(x), shifted by the max (stable). */
export function logSoftmax(x: tf.Tensor): tf.Tensor {
  return tf.logSoftmax(x, -1);
}

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

/** x / max(‖x‖₂, √1e-12) along `axis` (Keras' l2_normalize). */
export function l2Normalize(x: tf.Tensor, axis = -1): tf.Tensor {
  const squaredNorm = tf.sum(tf.square(x), axis, true);
  return tf.mul(x, tf.rsqrt(tf.maximum(squaredNorm, 1e-12)));
}

/**
 * A non-negative denominator with its zeros replaced by 1, for quotients whose numerator is 0 there
 * (an all-masked batch, a zero class weight). Unlike tf.divNoNan this keeps comparison ops off the
 * gradient path of the numerator.
 */
export function nonZeroDenominator(denominator: tf.Tensor): tf.Tensor {
  return tf.where(tf.greater(denominator, 0), denominator, tf.onesLike(denominator));
}
