/**
 * Margin (hinge) losses: the classifier is rewarded for putting the score of the right answer at
 * least a margin of 1 beyond the wrong ones, and gets no gradient once it does (Keras 3 semantics).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BaseLossOptions } from '../core/options.js';
import { defineLoss } from '../core/loss.js';

/**
 * Keras' `convert_binary_labels_to_hinge`: labels that are all in {0, 1} become 2y − 1 ∈ {−1, 1};
 * any other labels (e.g. already in {−1, 1}) are returned unchanged. Labels carry no gradient, so
 * the comparisons are safe here.
 */
function toSignedLabels(yTrue: tf.Tensor): tf.Tensor {
  const isBinary = tf.all(tf.logicalOr(tf.equal(yTrue, 0), tf.equal(yTrue, 1)));
  return tf.where(tf.broadcastTo(isBinary, yTrue.shape), tf.sub(tf.mul(2, yTrue), 1), yTrue);
}

/** max(1 − y·ŷ, 0) per element, with y in {−1, 1} (converted from {0, 1} if needed). */
function hingeMargin(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.relu(tf.sub(1, tf.mul(toSignedLabels(yTrue), yPred)));
}

/**
 * Hinge loss: mean(max(1 − y·ŷ, 0)) over the last axis.
 * Labels are all in {−1, 1}, or all in {0, 1} (then converted to 2y − 1, as Keras does); ŷ is a
 * raw score (a logit-like margin, not a probability). Matches Keras 3 `Hinge` / `keras.losses.hinge`.
 * The SVM loss: choose it for maximum-margin binary classifiers; scores beyond the margin give no
 * gradient, so training stops pushing confident, correct examples.
 * @example
 * const loss = losses.hinge();
 * loss(tf.tensor2d([[1], [-1]]), tf.tensor2d([[0.3], [-2]])); // (0.7 + 0) / 2 = 0.35
 */
export const hinge = defineLoss<BaseLossOptions>({
  name: 'hinge',
  layout: 'elementwise',
  values: { yTrue: 'signedBinary', yPred: 'any' },
  compute: (yTrue, yPred) => hingeMargin(yTrue, yPred),
});

/**
 * Squared hinge loss: mean(max(1 − y·ŷ, 0)²) over the last axis.
 * Same labels as `hinge` ({−1, 1}, or {0, 1} converted to 2y − 1). Matches Keras 3 `SquaredHinge`.
 * A smooth (once-differentiable) hinge that punishes large margin violations more; often trains
 * more smoothly than `hinge`, but is more sensitive to outliers.
 * @example
 * const loss = losses.squaredHinge();
 * loss(tf.tensor2d([[1], [-1]]), tf.tensor2d([[0.3], [-2]])); // (0.49 + 0) / 2 = 0.245
 */
export const squaredHinge = defineLoss<BaseLossOptions>({
  name: 'squaredHinge',
  aliases: ['squared_hinge'],
  layout: 'elementwise',
  values: { yTrue: 'signedBinary', yPred: 'any' },
  compute: (yTrue, yPred) => tf.square(hingeMargin(yTrue, yPred)),
});

/**
 * Categorical hinge (Crammer–Singer): max(neg − pos + 1, 0) with pos = Σ y·ŷ and
 * neg = max((1 − y)·ŷ) over the class axis (last).
 * yTrue is one-hot (values in [0, 1]), ŷ are raw class scores. Matches Keras 3 `CategoricalHinge`.
 * A multi-class SVM loss: the true class's score must beat the best other score by a margin of 1.
 * Choose it for max-margin multi-class classifiers; prefer cross-entropy when calibrated
 * probabilities matter.
 * @example
 * const loss = losses.categoricalHinge();
 * loss(tf.tensor2d([[0, 1, 0]]), tf.tensor2d([[0.5, 1.2, -1]])); // max(0.5 − 1.2 + 1, 0) = 0.3
 */
export const categoricalHinge = defineLoss<BaseLossOptions>({
  name: 'categoricalHinge',
  aliases: ['categorical_hinge'],
  layout: 'dense',
  values: { yTrue: 'binary', yPred: 'any' },
  compute: (yTrue, yPred) => {
    const pos = tf.sum(tf.mul(yTrue, yPred), -1);
    const neg = tf.max(tf.mul(tf.sub(1, yTrue), yPred), -1);
    return tf.relu(tf.add(tf.sub(neg, pos), 1));
  },
});
