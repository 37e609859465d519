/**
 * Metrics that match the loss: accuracy for 0/1 labels (probabilities or logits), one-hot and sparse
 * integer labels, and top-k. Each is a tfjs-layers metric function `(yTrue, yPred) => Tensor` that
 * returns one value per sample (tfjs-layers and lossforge's `fit` average them over the batch), so it
 * goes into `model.compile({ metrics: [...] })` as it is.
 *
 * Which accuracy for which loss (what `accuracyFor(loss)` picks, and what lossforge's `fit`, `evaluate`,
 * `fitDataset` and `compile` use for `metrics: ['accuracy']`):
 * - `binaryCrossentropy`, `binaryFocalCrossentropy` (0/1 labels): `binaryAccuracy({ fromLogits })`, the
 *   loss's own `fromLogits`: a logit is positive exactly when its probability is above 0.5;
 * - `sparseCategoricalCrossentropy` (integer labels): `sparseCategoricalAccuracy()`;
 * - `categoricalCrossentropy`, `categoricalFocalCrossentropy`, `polyCrossentropy`, `categoricalHinge`
 *   (one-hot labels): `categoricalAccuracy()` (argmax: the same for logits and probabilities).
 *
 * tfjs-layers picks its accuracy by recognising its own loss functions only, so with any other loss it
 * uses categorical accuracy (0.21 for an iris model that is 97 % right with sparse labels), and its
 * binary accuracy thresholds logits at 0.5. Keras 3 semantics: `BinaryAccuracy(threshold)`,
 * `CategoricalAccuracy`, `SparseCategoricalAccuracy`, `TopKCategoricalAccuracy(k)`,
 * `SparseTopKCategoricalAccuracy(k)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import * as option from '../core/options.js';

/** A tfjs-layers metric: per-sample values (shape [N], or yTrue's shape without its class axis). */
export type Metric = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** `yTrue` reshaped to `yPred`'s rank when they differ only by a trailing axis of size 1 ([N] vs [N, 1]). */
function alignTrailingOne(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  if (yTrue.rank === yPred.rank - 1 && yPred.shape[yPred.rank - 1] === 1) return tf.expandDims(yTrue, -1);
  if (yTrue.rank === yPred.rank + 1 && yTrue.shape[yTrue.rank - 1] === 1) return tf.squeeze(yTrue, [-1]);
  return yTrue;
}

function named(name: string, fn: Metric): Metric {
  const metric: Metric = (yTrue, yPred) => tf.tidy(() => fn(yTrue, yPred));
  Object.defineProperty(metric, 'name', { value: name });
  return metric;
}

const BINARY_OPTIONS = {
  threshold: option.number(0.5, { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
  fromLogits: option.boolean(false),
};

/**
 * Binary accuracy: the fraction of entries where `yPred > threshold` agrees with the 0/1 label,
 * averaged over the last axis (Keras 3 `BinaryAccuracy(threshold=0.5)`). With `fromLogits: true`, the
 * threshold applies to `sigmoid(yPred)`: a logit is compared with `log(t / (1 − t))` (0 for 0.5).
 * Use with `binaryCrossentropy` / `binaryFocalCrossentropy` (same `fromLogits`).
 * @example
 * model.compile({ optimizer: 'adam', loss: losses.binaryCrossentropy({ fromLogits: true }),
 *   metrics: [metrics.binaryAccuracy({ fromLogits: true })] });
 */
export function binaryAccuracy(options: { threshold?: number; fromLogits?: boolean } = {}): Metric {
  const { threshold, fromLogits } = option.resolveOptions('binaryAccuracy', BINARY_OPTIONS, options as Record<string, unknown>);
  const cut = fromLogits ? Math.log(threshold / (1 - threshold)) : threshold;
  return named('binaryAccuracy', (yTrue, yPred) => {
    const predicted = tf.cast(tf.greater(yPred, cut), 'float32');
    const labels = tf.cast(tf.greater(tf.cast(alignTrailingOne(yTrue, yPred), 'float32'), 0.5), 'float32');
    return tf.mean(tf.cast(tf.equal(labels, predicted), 'float32'), -1);
  });
}

/**
 * Categorical accuracy: 1 where the argmax of `yPred` is the argmax of the one-hot `yTrue` (Keras 3
 * `CategoricalAccuracy`); the same for logits and probabilities. Use with `categoricalCrossentropy`
 * and the other one-hot losses.
 * @example
 * metrics: [metrics.categoricalAccuracy()]
 */
export function categoricalAccuracy(): Metric {
  return named('categoricalAccuracy', (yTrue, yPred) => tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)), 'float32'));
}

/**
 * Sparse categorical accuracy: 1 where the argmax of `yPred` equals the integer label (`yTrue` shaped
 * like `yPred` without its class axis, or with a class axis of size 1) (Keras 3
 * `SparseCategoricalAccuracy`). Use with `sparseCategoricalCrossentropy`.
 * @example
 * metrics: [metrics.sparseCategoricalAccuracy()]
 */
export function sparseCategoricalAccuracy(): Metric {
  return named('sparseCategoricalAccuracy', (yTrue, yPred) => {
    const labels = yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [-1]) : yTrue;
    return tf.cast(tf.equal(tf.cast(labels, 'int32'), tf.argMax(yPred, -1)), 'float32');
  });
}

const TOP_K_OPTIONS = { k: option.integer(5, { min: 1 }), sparse: option.boolean(false) };

/**
 * Top-k accuracy: 1 where the true class (one-hot `yTrue`, or integer labels with `sparse: true`) is
 * among the `k` largest entries of `yPred` (Keras 3 `TopKCategoricalAccuracy(k=5)`,
 * `SparseTopKCategoricalAccuracy`). Ties are broken by tfjs' `topk` (lower index first).
 * @example
 * metrics: [metrics.topKAccuracy({ k: 3, sparse: true })]
 */
export function topKAccuracy(options: { k?: number; sparse?: boolean } = {}): Metric {
  const { k, sparse } = option.resolveOptions('topKAccuracy', TOP_K_OPTIONS, options as Record<string, unknown>);
  return named(`top${k}Accuracy`, (yTrue, yPred) => {
    const classes = yPred.shape[yPred.rank - 1]!;
    const labels = sparse ? tf.cast(yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [-1]) : yTrue, 'int32') : tf.argMax(yTrue, -1);
    const { indices } = tf.topk(yPred, Math.min(k, classes));
    return tf.cast(tf.any(tf.equal(indices, tf.expandDims(labels, -1)), -1), 'float32');
  });
}

/** Marks an `accuracyFor` metric: `saveModel` stores it as `'accuracy'`, which `fit` / `evaluate` match to the loss again. */
export const MATCHED_ACCURACY = Symbol.for('lossforge.matchedAccuracy');

/** The config fields `accuracyFor` reads: the loss's registry name and its `fromLogits`. */
interface LossLike {
  readonly name: string;
  getConfig?(): Record<string, unknown>;
}

const BINARY_LOSSES = new Set(['binaryCrossentropy', 'binaryFocalCrossentropy']);
const SPARSE_LOSSES = new Set(['sparseCategoricalCrossentropy']);
const CATEGORICAL_LOSSES = new Set(['categoricalCrossentropy', 'categoricalFocalCrossentropy', 'polyCrossentropy', 'categoricalHinge']);

/**
 * The accuracy metric that matches `loss` (see the module comment), named `acc` like tfjs' own
 * `'accuracy'` so the logs keep their keys; undefined for a loss with no accuracy rule (regression,
 * segmentation…), where tfjs' choice stands.
 * @example
 * metrics.accuracyFor(losses.sparseCategoricalCrossentropy({ fromLogits: true })); // sparse categorical accuracy
 */
export function accuracyFor(loss: LossLike): Metric | undefined {
  if (typeof loss !== 'function' && (typeof loss !== 'object' || loss === null)) {
    throw new LossInputError('accuracyFor', 'loss', 'a lossforge Loss', describeValue(loss));
  }
  const config = typeof loss.getConfig === 'function' ? loss.getConfig() : {};
  const name = typeof config['name'] === 'string' ? (config['name'] as string) : loss.name;
  let metric: Metric | undefined;
  if (BINARY_LOSSES.has(name)) metric = binaryAccuracy({ fromLogits: config['fromLogits'] === true });
  else if (SPARSE_LOSSES.has(name)) metric = sparseCategoricalAccuracy();
  else if (CATEGORICAL_LOSSES.has(name)) metric = categoricalAccuracy();
  if (metric) {
    Object.defineProperty(metric, 'name', { value: 'acc' });
    Object.defineProperty(metric, MATCHED_ACCURACY, { value: true });
  }
  return metric;
}
