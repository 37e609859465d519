/**
 * Turning `fit`'s arguments into one tensor per model input / output and one weight tensor per output:
 * x, y in the model's input / output order, `sampleWeight` × `classWeight` as per-sample weights.
 *
 * Class weights become sample weights here (Keras `class_weight` semantics), so any lossforge loss
 * applies them through `call.sampleWeight` with its own reduction: with the default `mean`, the loss
 * is Σ wᵢℓᵢ / n, exactly the by-hand per-class weighting.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { checkValues, toTensor } from '../core/validate.js';

/** A tensor per input (or output): one tensor, an array in model order, or a map by name. */
export type TensorOrList = tf.Tensor | tf.Tensor[] | { [name: string]: tf.Tensor };

/** Per-sample weights: one set for every output, or one per output (array of tensors, or map by output name). */
export type SampleWeightArg = tf.Tensor | number[] | tf.Tensor[] | { [outputName: string]: tf.Tensor | number[] };

/** `{ classIndex: weight }` for a single output, or one such map per output (array, or map by output name). */
export type ClassWeight = { [classIndex: number]: number };
export type ClassWeightArg = ClassWeight | ClassWeight[] | { [outputName: string]: ClassWeight };

const isTensor = (v: unknown): v is tf.Tensor => v instanceof tf.Tensor;

/** `map`'s values in `names` order (undefined where missing); a key not in `names` throws, naming it. */
function byName(tool: string, argument: string, map: Record<string, unknown>, names: readonly string[], what: string): unknown[] {
  for (const key of Object.keys(map)) {
    if (!names.includes(key)) throw new LossInputError(tool, `${argument}.${key}`, `one of the model's ${what} names (${names.join(', ')})`, 'an unknown name');
  }
  return names.map((name) => map[name]);
}

/** `base` for a single-output model, `base.<outputName>` (or `base[i]`) when there are several. */
export function argName(base: string, names: readonly string[], i: number, style: 'name' | 'index' = 'name'): string {
  if (names.length <= 1) return base;
  return style === 'name' ? `${base}.${names[i]}` : `${base}[${i}]`;
}

/** Tensors in `names` order from a tensor, an array or a map; `argument` is named in errors. */
export function toTensorList(tool: string, argument: string, value: unknown, names: readonly string[]): tf.Tensor[] {
  const what = argument === 'x' ? 'input' : 'output';
  let list: unknown[];
  if (isTensor(value)) list = [value];
  else if (Array.isArray(value)) list = value;
  else if (typeof value === 'object' && value !== null) {
    list = byName(tool, argument, value as Record<string, unknown>, names, what);
    list.forEach((t, i) => {
      if (t === undefined) throw new LossInputError(tool, argument, `an entry for '${names[i]}'`, `no entry for '${names[i]}'`);
    });
  } else {
    throw new LossInputError(tool, argument, 'a tensor, an array of tensors, or a map of tensors by name', describeValue(value));
  }
  if (list.length !== names.length) {
    throw new LossInputError(tool, argument, `${names.length} tensor(s), one per model ${what} (${names.join(', ')})`, `${list.length}`);
  }
  list.forEach((t, i) => {
    const arg = argName(argument, names, i, 'index');
    if (!isTensor(t)) throw new LossInputError(tool, arg, 'a tensor', describeValue(t));
    if (t.isDisposed) throw new LossInputError(tool, arg, 'a live tensor', 'a disposed tensor');
    if (t.rank === 0) throw new LossInputError(tool, arg, 'a tensor with a batch axis (rank ≥ 1)', 'a scalar');
  });
  return list as tf.Tensor[];
}

/** The common batch size of `tensors`, or a LossInputError naming the first one that differs. */
export function batchSizeOf(tool: string, groups: Array<[string, tf.Tensor[]]>): number {
  const n = groups[0]![1][0]!.shape[0]!;
  for (const [argument, tensors] of groups) {
    tensors.forEach((t, i) => {
      if (t.shape[0] !== n) {
        const arg = tensors.length > 1 ? `${argument}[${i}]` : argument;
        throw new LossInputError(tool, arg, `${n} samples along axis 0 (as many as x)`, `shape ${formatShape(t.shape)}`);
      }
    });
  }
  if (n === 0) throw new LossInputError(tool, 'x', 'at least one sample', 'an empty batch');
  return n;
}

/** `sampleWeight` as one tensor (or undefined) per output, each [N] or [N, …]. */
export function resolveSampleWeights(tool: string, value: unknown, outputNames: readonly string[], n: number): Array<tf.Tensor | undefined> {
  if (value === undefined || value === null) return outputNames.map(() => undefined);
  let perOutput: unknown[];
  if (isTensor(value) || (Array.isArray(value) && !value.some(isTensor))) perOutput = outputNames.map(() => value);
  else if (Array.isArray(value)) {
    if (value.length !== outputNames.length) {
      throw new LossInputError(tool, 'sampleWeight', `one weight tensor per output (${outputNames.length})`, `${value.length} tensors`);
    }
    perOutput = value;
  } else if (typeof value === 'object') {
    perOutput = byName(tool, 'sampleWeight', value as Record<string, unknown>, outputNames, 'output');
  } else {
    throw new LossInputError(tool, 'sampleWeight', 'a tensor or array of per-sample weights (or one per output)', describeValue(value));
  }
  return perOutput.map((w, i) => (w === undefined ? undefined : toWeightTensor(tool, argName('sampleWeight', outputNames, i), w, n)));
}

/** A tensor or array of per-sample weights: one finite non-negative weight per sample ([n] or [n, …]), as float32. */
function toWeightTensor(tool: string, argument: string, w: unknown, n: number): tf.Tensor {
  if (!isTensor(w) && !Array.isArray(w)) throw new LossInputError(tool, argument, 'a tensor or an array of per-sample weights', describeValue(w));
  const t = toTensor(tool, argument, w);
  if (t.rank === 0 || t.shape[0] !== n) {
    throw new LossInputError(tool, argument, `one weight per sample: shape [${n}] (or [${n}, …])`, `shape ${formatShape(t.shape)}`);
  }
  checkValues(tool, argument, t, 'nonNegative');
  return t;
}

/** `classWeight` as one `{ class: weight }` map (or undefined) per output. */
export function resolveClassWeights(tool: string, value: unknown, outputNames: readonly string[]): Array<ClassWeight | undefined> {
  if (value === undefined || value === null) return outputNames.map(() => undefined);
  if (Array.isArray(value)) {
    if (value.length !== outputNames.length) {
      throw new LossInputError(tool, 'classWeight', `one class-weight map per output (${outputNames.length})`, `${value.length} maps`);
    }
    return value.map((cw, i) => (cw == null ? undefined : checkClassWeightMap(tool, argName('classWeight', outputNames, i), cw)));
  }
  if (typeof value !== 'object') {
    throw new LossInputError(tool, 'classWeight', 'a map { classIndex: weight } (or one per output)', describeValue(value));
  }
  const map = value as Record<string, unknown>;
  const nested = Object.values(map).some((v) => typeof v === 'object' && v !== null);
  if (!nested) {
    if (outputNames.length > 1) {
      throw new LossInputError(tool, 'classWeight', `one class-weight map per output, by output name (${outputNames.join(', ')})`, 'a single map for a multi-output model');
    }
    return [checkClassWeightMap(tool, 'classWeight', map)];
  }
  return byName(tool, 'classWeight', map, outputNames, 'output').map((cw, i) => (cw == null ? undefined : checkClassWeightMap(tool, argName('classWeight', outputNames, i), cw)));
}

function checkClassWeightMap(tool: string, argument: string, value: unknown): ClassWeight {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LossInputError(tool, argument, 'a map { classIndex: weight }', describeValue(value));
  }
  const out: ClassWeight = {};
  for (const [key, w] of Object.entries(value as Record<string, unknown>)) {
    if (!/^\d+$/.test(key)) throw new LossInputError(tool, `${argument}.${key}`, 'a non-negative integer class index as key', `'${key}'`);
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new LossInputError(tool, `${argument}.${key}`, 'a finite non-negative weight', describeValue(w));
    out[Number(key)] = w;
  }
  if (Object.keys(out).length === 0) throw new LossInputError(tool, argument, 'at least one class weight', 'an empty map');
  return out;
}

/**
 * Per-sample weights from class weights: each target's class (an index, a 0/1 label, or the argmax of
 * a one-hot / probability row) looks up its weight. Shape: y's shape without the class axis.
 * `outputShape` is the model output's shape (batch axis null), which tells sparse from one-hot targets.
 */
export function classWeightsToSampleWeights(
  tool: string,
  argument: string,
  y: tf.Tensor,
  outputShape: ReadonlyArray<number | null>,
  classWeight: ClassWeight,
): tf.Tensor {
  const numClasses = Math.max(outputShape[outputShape.length - 1] ?? 1, 2);
  const lastDim = y.shape[y.rank - 1]!;
  let classes: tf.Tensor;
  if (y.rank === outputShape.length - 1) classes = y.clone();
  else if (y.rank === outputShape.length && lastDim === 1) classes = tf.squeeze(y, [y.rank - 1]);
  else if (y.rank === outputShape.length && lastDim > 1) classes = tf.argMax(y, -1);
  else {
    throw new LossInputError(tool, argument, `targets shaped like the output ${formatShape(outputShape.map((d) => d ?? -1))} (one-hot / 0-1 labels) or without its class axis (class indices)`, `y of shape ${formatShape(y.shape)}`);
  }
  const labels = classes.dataSync();
  const shape = classes.shape;
  classes.dispose();
  for (const key of Object.keys(classWeight).map(Number)) {
    if (key >= numClasses) {
      throw new LossInputError(tool, `${argument}.${key}`, `a class index in [0, ${numClasses - 1}] (the output has ${numClasses} classes)`, `class ${key}`);
    }
  }
  const weights = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c)) {
      throw new LossInputError(tool, argument, 'integer class labels in y to look up class weights (one-hot rows, 0/1 labels or indices)', `label ${c} at flat index ${i}`);
    }
    const w = classWeight[c];
    if (w === undefined) {
      throw new LossInputError(tool, argument, `a weight for every class present in y (class ${c} has none)`, `keys ${Object.keys(classWeight).join(', ')}`);
    }
    weights[i] = w;
  }
  return tf.tensor(weights, shape, 'float32');
}

/** The product of sample and class weights; a [N] weight is broadcast over a [N, …] one. */
export function combineWeights(a: tf.Tensor | undefined, b: tf.Tensor | undefined): tf.Tensor | undefined {
  if (!a || !b) return a ?? b;
  return tf.tidy(() => {
    const [lo, hi] = a.rank <= b.rank ? [a, b] : [b, a];
    const expanded = tf.reshape(lo, [...lo.shape, ...Array(hi.rank - lo.rank).fill(1)]);
    return tf.mul(expanded, hi);
  });
}
