/**
 * Cross-entropy of a linear layer's logits, `softmaxCrossentropy(hidden · weight, labels)`, without
 * ever holding the full [N, V] logits: the rows are processed in chunks, and the backward pass
 * recomputes each chunk's softmax instead of keeping it. This is the output layer of a language model
 * or of any classifier with a very large number of classes, where the logits (N × V floats) would
 * dominate the memory of a training step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LossInputError } from '../core/errors.js';
import { oneOf, integer, optionalInteger, resolveOptions, type BaseLossOptions, type OptionSpecsFor } from '../core/options.js';
import { reduce, REDUCTIONS } from '../core/reduce.js';
import { toTensor, type TensorInput } from '../core/validate.js';

const NAME = 'linearCrossentropy';

/** Options of `linearCrossentropy`; its `reduction: 'none'` gives per-row losses shaped like `labels`. */
export interface LinearCrossentropyOptions extends BaseLossOptions {
  /** Rows of `hidden` per chunk. Peak extra memory is about 3 · chunkSize · V floats. @defaultValue 1024 */
  chunkSize?: number;
  /** A label value whose rows have no loss, no gradient, and do not count in `mean` (PyTorch `ignore_index`). @defaultValue undefined (none) */
  ignoreIndex?: number;
}

const OPTION_SPECS: OptionSpecsFor<LinearCrossentropyOptions, 'ignoreIndex'> = {
  chunkSize: integer(1024, { min: 1 }),
  ignoreIndex: optionalInteger(),
};
const SPECS = { ...OPTION_SPECS, reduction: oneOf(REDUCTIONS, 'mean') };

/** The validated inputs: hidden as [N, H], labels as Int32Array (ignored rows set to −1). */
interface Inputs {
  hidden: tf.Tensor2D;
  weight: tf.Tensor2D;
  labels: Int32Array;
  /** Shape of the per-row loss (hidden's shape without its last axis). */
  rowShape: number[];
}

function readInputs(hiddenIn: TensorInput, weightIn: TensorInput, labelsIn: TensorInput, ignoreIndex: number | undefined): Inputs {
  const hidden = toTensor(NAME, 'hidden', hiddenIn);
  const weight = toTensor(NAME, 'weight', weightIn);
  if (hidden.rank < 2) {
    throw new LossInputError(NAME, 'hidden', 'rank ≥ 2 ([N, H] or [..., H])', `rank ${hidden.rank} (shape ${formatShape(hidden.shape)})`);
  }
  const H = hidden.shape[hidden.rank - 1]!;
  if (weight.rank !== 2 || weight.shape[0] !== H) {
    throw new LossInputError(NAME, 'weight', `shape [${H}, V] (H = ${H}, the last axis of hidden)`, `shape ${formatShape(weight.shape)}`);
  }
  const V = weight.shape[1]!;
  if (V < 1) throw new LossInputError(NAME, 'weight', 'at least one class (V ≥ 1)', `shape ${formatShape(weight.shape)}`);
  const rowShape = hidden.shape.slice(0, -1);
  const labelTensor = toTensor(NAME, 'labels', labelsIn, 'float32');
  const sameRows = labelTensor.rank === rowShape.length && labelTensor.shape.every((d, i) => d === rowShape[i]);
  if (!sameRows) {
    throw new LossInputError(NAME, 'labels', `class indices of shape ${formatShape(rowShape)} (hidden's shape without its last axis)`, `shape ${formatShape(labelTensor.shape)}`);
  }
  const values = labelTensor.dataSync();
  if (labelTensor !== labelsIn) labelTensor.dispose();
  const labels = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === ignoreIndex) {
      labels[i] = -1;
      continue;
    }
    if (!Number.isInteger(v) || v < 0 || v >= V) {
      const ignore = ignoreIndex === undefined ? '' : ` (or ignoreIndex ${ignoreIndex})`;
      throw new LossInputError(NAME, 'labels', `integer class indices in [0, ${V - 1}]${ignore}`, `${v} at flat index ${i}`);
    }
    labels[i] = v;
  }
  const N = labels.length;
  return { hidden: tf.reshape(hidden, [N, H]), weight: weight as tf.Tensor2D, labels, rowShape };
}

/** Rows [r0, r0 + rows) of the labels, with ignored rows (−1) mapped to class 0 (their loss and gradient are zeroed). */
function chunkLabels(labels: Int32Array, r0: number, rows: number): tf.Tensor1D {
  return tf.tensor1d(labels.subarray(r0, r0 + rows).map((l) => (l < 0 ? 0 : l)), 'int32');
}

/** 0/1 per row: 0 where the label is ignored. */
function validRows(labels: Int32Array, r0: number, rows: number): Float32Array {
  return Float32Array.from(labels.subarray(r0, r0 + rows), (l) => (l < 0 ? 0 : 1));
}

/** ℓ = logΣ exp(z) − z_label for one chunk of rows, z = hidden_chunk · W (the [rows, V] logits are freed on return). */
function chunkLoss(hiddenChunk: tf.Tensor2D, weight: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const [rows, V] = [hiddenChunk.shape[0], weight.shape[1]];
    const logits = tf.matMul(hiddenChunk, weight);
    const lse = tf.logSumExp(logits, 1);
    const flatIndex = tf.add(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(V, 'int32')), labels);
    const picked = tf.gather(tf.reshape(logits, [rows * V]), flatIndex);
    return tf.sub(lse, picked) as tf.Tensor1D;
  });
}

/**
 * (softmax(z) − onehot(label)) · dy for one chunk, z recomputed from hidden_chunk · W. Intermediates
 * are disposed as soon as they are used, so at most about three [rows, V] blocks are alive at once.
 */
function chunkLogitGradient(hiddenChunk: tf.Tensor2D, weight: tf.Tensor2D, labels: tf.Tensor1D, dy: tf.Tensor2D): tf.Tensor2D {
  const V = weight.shape[1];
  const logits = tf.matMul(hiddenChunk, weight);
  const lse = tf.logSumExp(logits, 1, true);
  const shifted = tf.sub(logits, lse);
  tf.dispose([logits, lse]);
  const softmax = tf.exp(shifted);
  shifted.dispose();
  // int32 one-hot, then cast: the wasm backend's OneHot ignores the dtype argument (tfjs 4.22).
  const oneHotInt = tf.oneHot(labels, V);
  const oneHot = tf.cast(oneHotInt, 'float32');
  oneHotInt.dispose();
  const diff = tf.sub(softmax, oneHot);
  tf.dispose([softmax, oneHot]);
  const g = tf.mul(diff, dy) as tf.Tensor2D;
  diff.dispose();
  return g;
}

/**
 * Per-row losses [N] with the gradient with respect to hidden [N, H] and weight [H, V], both
 * computed chunk by chunk (tf.customGrad): for each chunk, G = (softmax(z) − onehot) · dy,
 * dH_chunk = G · Wᵀ and dW += hidden_chunkᵀ · G.
 */
function chunkedRowLosses(hidden: tf.Tensor2D, weight: tf.Tensor2D, labels: Int32Array, chunkSize: number): tf.Tensor1D {
  const [N, H] = hidden.shape;
  const forward = (h: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([h, w]);
    const parts: tf.Tensor1D[] = [];
    for (let r0 = 0; r0 < N; r0 += chunkSize) {
      const rows = Math.min(chunkSize, N - r0);
      parts.push(
        tf.tidy(() => {
          const loss = chunkLoss(tf.slice(h, [r0, 0], [rows, H]), w, chunkLabels(labels, r0, rows));
          return tf.mul(loss, tf.tensor1d(validRows(labels, r0, rows))) as tf.Tensor1D;
        }),
      );
    }
    const value = parts.length === 1 ? parts[0]! : tf.concat(parts);
    if (parts.length > 1) tf.dispose(parts);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      // Plain (untransposed) products only: tfjs-wasm's transposed matMul paths are up to 40× slower.
      const wT = tf.transpose(ws) as tf.Tensor2D;
      const dHidden: tf.Tensor2D[] = [];
      let dWeight: tf.Tensor2D | undefined;
      for (let r0 = 0; r0 < N; r0 += chunkSize) {
        const rows = Math.min(chunkSize, N - r0);
        const [dH, dW] = tf.tidy(() => {
          const hc = tf.slice(hs, [r0, 0], [rows, H]) as tf.Tensor2D;
          const dyc = tf.mul(tf.reshape(tf.slice(dy, [r0], [rows]), [rows, 1]), tf.tensor2d(validRows(labels, r0, rows), [rows, 1])) as tf.Tensor2D;
          const g = chunkLogitGradient(hc, ws, chunkLabels(labels, r0, rows), dyc);
          const dWc = tf.matMul(tf.transpose(hc), g);
          return [tf.matMul(g, wT), dWeight ? tf.add(dWeight, dWc) : dWc] as tf.Tensor2D[];
        });
        dHidden.push(dH!);
        dWeight?.dispose();
        dWeight = dW!;
      }
      wT.dispose();
      const dH = dHidden.length === 1 ? dHidden[0]! : tf.concat(dHidden);
      if (dHidden.length > 1) tf.dispose(dHidden);
      return [dH, dWeight ?? tf.zerosLike(ws)];
    };
    return { value, gradFunc };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as (h: tf.Tensor, w: tf.Tensor) => tf.Tensor1D;
  return op(hidden, weight);
}

/**
 * Softmax cross-entropy of the logits `hidden · weight`, computed in chunks of rows so that the
 * [N, V] logits are never materialized, with exact gradients for both `hidden` and `weight`:
 *
 *   z = hidden · weight,   ℓᵢ = log Σ_v exp(z_iv) − z_{i,labelᵢ},
 *   ∂ℓ/∂z = softmax(z) − onehot(label),  ∂/∂hidden = (∂ℓ/∂z) · weightᵀ,  ∂/∂weight = hiddenᵀ · (∂ℓ/∂z).
 *
 * The forward pass keeps only the per-row losses; the backward pass recomputes each chunk's logits
 * and softmax (one extra hidden · weight product), so the extra memory is O(chunkSize · V) instead of
 * O(N · V) for the materialized `sparseCategoricalCrossentropy({ fromLogits: true })(labels,
 * tf.matMul(hidden, weight))`, whose values and gradients it equals.
 *
 * Reference semantics: PyTorch `F.cross_entropy(hidden @ weight, labels, ignore_index, reduction)`
 * (the "fused linear cross-entropy" / "cut cross-entropy" of large-vocabulary language models);
 * Keras `SparseCategoricalCrossentropy(from_logits=True)` on a `Dense(V, use_bias=False)` output.
 * `reduction: 'mean'` averages over the rows that are not ignored.
 *
 * Choose it for the output layer of a model with many classes (language-model vocabularies,
 * extreme classification), where N × V logits would not fit or would dominate a training step.
 * `hidden` may have leading batch axes ([B, T, H] with labels [B, T]).
 * @example
 * const loss = linearCrossentropy(hidden, outputWeight, tokenIds, { chunkSize: 512, ignoreIndex: -100 });
 * const [dHidden, dWeight] = tf.grads((h, w) => linearCrossentropy(h, w, tokenIds))([hidden, outputWeight]);
 */
export function linearCrossentropy(
  hidden: TensorInput,
  weight: TensorInput,
  labels: TensorInput,
  options?: LinearCrossentropyOptions,
): tf.Tensor {
  const { chunkSize, ignoreIndex, reduction } = resolveOptions(NAME, SPECS, options as Record<string, unknown> | undefined);
  return tf.tidy(() => {
    const inputs = readInputs(hidden, weight, labels, ignoreIndex);
    const N = inputs.labels.length;
    const perRow = N === 0 ? tf.zeros([0]) : chunkedRowLosses(inputs.hidden, inputs.weight, inputs.labels, chunkSize);
    const valid = ignoreIndex === undefined ? undefined : tf.tensor1d(validRows(inputs.labels, 0, N));
    return tf.reshape(reduce(perRow, { valid }, reduction), reduction === 'none' ? inputs.rowShape : []);
  });
}
