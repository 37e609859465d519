/**
 * Input validation shared by every loss: conversion with the argument's name, shape rules, and value
 * rules. Value rules read the tensor back to JavaScript and are skipped when value checks are off
 * (`setValueChecks(false)`); shape rules always run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { valueChecksEnabled } from './config.js';
import { describeValue, formatShape, LossInputError } from './errors.js';

/** Anything a loss accepts where a tensor is expected. */
export type TensorInput = tf.Tensor | tf.TensorLike;

/**
 * Converts `x` to a numeric tensor, or throws naming `argument`. Booleans become 0/1 in `dtype`.
 * Tensors of another dtype are cast (the original is left to the caller).
 */
export function toTensor(loss: string, argument: string, x: unknown, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  let t: tf.Tensor;
  if (x instanceof tf.Tensor) {
    if (x.isDisposed) throw new LossInputError(loss, argument, 'a live tensor', 'a disposed tensor');
    t = x;
  } else if (typeof x === 'number' || typeof x === 'boolean' || Array.isArray(x) || ArrayBuffer.isView(x)) {
    const ragged = raggedEntry(x);
    if (ragged) throw new LossInputError(loss, argument, 'a rectangular (nested) array of numbers', ragged);
    try {
      t = tf.tensor(x as tf.TensorLike);
    } catch (e) {
      throw new LossInputError(loss, argument, 'a tensor or a (nested) array of numbers', `an array tfjs cannot read (${(e as Error).message})`);
    }
  } else {
    throw new LossInputError(loss, argument, 'a tensor or a (nested) array of numbers', describeValue(x));
  }
  if (t.dtype === 'string' || t.dtype === 'complex64') {
    throw new LossInputError(loss, argument, 'a numeric tensor (float32, int32 or bool)', `dtype ${t.dtype}`);
  }
  return t.dtype === dtype ? t : tf.cast(t, dtype);
}

/**
 * Where a nested JS array stops being rectangular, or holds something other than numbers and
 * booleans: a description such as `a row of 2 entries at index [1] (row [0] has 3)`, or undefined
 * when `x` is a number, a boolean, a typed array or a rectangular nested array of them. tfjs infers a
 * shape from the first entry of each level only, so without this check a ragged array is rejected on
 * some backends and silently padded or truncated on others.
 */
export function raggedEntry(x: unknown): string | undefined {
  const isLeaf = (v: unknown) => typeof v === 'number' || typeof v === 'boolean';
  const isRow = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  let level: { value: unknown; index: number[] }[] = [{ value: x, index: [] }];
  while (level.length > 0) {
    const first = level[0]!.value;
    if (!isRow(first)) {
      const bad = level.find((e) => !isLeaf(e.value));
      return bad && `${describeValue(bad.value)} at index ${formatShape(bad.index)}`;
    }
    const next: typeof level = [];
    for (const { value, index } of level) {
      if (!isRow(value)) return `a number where a row is expected at index ${formatShape(index)}`;
      if (value.length !== first.length) {
        return `a row of ${value.length} entries at index ${formatShape(index)} (row ${formatShape(level[0]!.index)} has ${first.length})`;
      }
      if (ArrayBuffer.isView(value)) continue; // typed arrays hold numbers only
      for (let i = 0; i < value.length; i++) next.push({ value: value[i], index: [...index, i] });
    }
    if (next.length === 0) return undefined;
    level = next;
  }
  return undefined;
}

export function checkRank(loss: string, argument: string, t: tf.Tensor, minRank: number, maxRank = Infinity): void {
  if (t.rank < minRank || t.rank > maxRank) {
    const expected = maxRank === minRank ? `rank ${minRank}` : maxRank === Infinity ? `rank ≥ ${minRank}` : `rank ${minRank} to ${maxRank}`;
    throw new LossInputError(loss, argument, expected, `rank ${t.rank} (shape ${formatShape(t.shape)})`);
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function checkSameShape(loss: string, yTrue: tf.Tensor, yPred: tf.Tensor): void {
  if (!sameShape(yTrue.shape, yPred.shape)) {
    throw new LossInputError(loss, 'yTrue', `shape ${formatShape(yPred.shape)} (the shape of yPred)`, `shape ${formatShape(yTrue.shape)}`);
  }
}

/** Resolves a possibly negative axis against `rank`, or throws naming `options.axis`. */
export function resolveAxis(loss: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new LossInputError(loss, 'options.axis', `an axis in [${-rank}, ${rank - 1}] for yPred of rank ${rank}`, String(axis));
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Resolves a class/feature axis or a tuple of them (`axis: [1, 2]`) against `rank`: distinct axes,
 * each in [−rank, rank − 1], or throws naming `options.axis`.
 */
export function resolveAxes(loss: string, axis: number | readonly number[], rank: number): number[] {
  const axes = (typeof axis === 'number' ? [axis] : axis).map((a) => resolveAxis(loss, a, rank));
  if (axes.length === 0 || new Set(axes).size !== axes.length) {
    throw new LossInputError(loss, 'options.axis', 'one axis or a non-empty list of distinct axes', describeValue(axis));
  }
  return axes;
}

/**
 * Broadcasts a `call.where` mask to `shape` (yPred's), NumPy-style: trailing axes aligned, each of
 * the mask's dimensions equal to yPred's or 1. Returns float32 0/1.
 */
export function broadcastWhere(loss: string, where: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const offset = shape.length - where.rank;
  const fits = offset >= 0 && where.shape.every((d, i) => d === shape[i + offset] || d === 1);
  if (!fits) {
    throw new LossInputError(loss, 'call.where', `a shape that broadcasts to yPred's shape ${formatShape(shape)} (trailing axes aligned)`, `shape ${formatShape(where.shape)}`);
  }
  return tf.broadcastTo(where, shape as number[]);
}

/** A value rule: what every entry of a tensor must satisfy. */
export type ValueRule =
  | 'any'
  | 'finite'
  | 'nonNegative'
  | 'probability'
  | 'binary'
  | 'signedBinary'
  | 'mask'
  | 'integer'
  | 'logProbability'
  | 'classLabel'
  | 'sign'
  | 'hardBinary'
  | { classIndex: number; ignoreIndex?: number };

function ruleText(rule: ValueRule): string {
  if (typeof rule === 'object') {
    const ignore = rule.ignoreIndex === undefined ? '' : ` (or ignoreIndex ${rule.ignoreIndex})`;
    return `integer class indices in [0, ${rule.classIndex - 1}]${ignore}`;
  }
  return {
    any: 'any values',
    finite: 'finite values (no NaN or Infinity)',
    nonNegative: 'finite non-negative values',
    probability: 'probabilities in [0, 1] (or pass fromLogits: true for logits)',
    binary: 'labels in [0, 1]',
    signedBinary: 'labels all in {0, 1} or all in {-1, 1}',
    mask: 'mask values 0 or 1 (or booleans)',
    integer: 'integer values',
    logProbability: 'log-probabilities (finite or −Infinity)',
    classLabel: 'integer class labels (whole numbers, any dtype)',
    sign: 'targets −1 or 1',
    hardBinary: 'hard labels, each exactly 0 or 1',
  }[rule];
}

function entryOk(rule: ValueRule, v: number): boolean {
  if (typeof rule === 'object') {
    return (Number.isInteger(v) && v >= 0 && v < rule.classIndex) || v === rule.ignoreIndex;
  }
  switch (rule) {
    case 'any':
      return true;
    case 'finite':
      return Number.isFinite(v);
    case 'nonNegative':
      return Number.isFinite(v) && v >= 0;
    case 'probability':
    case 'binary':
      return v >= 0 && v <= 1;
    case 'mask':
      return v === 0 || v === 1;
    case 'integer':
      return Number.isInteger(v);
    case 'logProbability':
      return Number.isFinite(v) || v === -Infinity;
    case 'signedBinary':
      return v === 0 || v === 1 || v === -1;
    case 'classLabel':
      return Number.isInteger(v);
    case 'sign':
      return v === 1 || v === -1;
    case 'hardBinary':
      return v === 0 || v === 1;
  }
}

function indexOf(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(flat % shape[i]!);
    flat = Math.floor(flat / shape[i]!);
  }
  return formatShape(idx);
}

/**
 * Checks every entry of `t` against `rule` (when value checks are on), throwing with the first
 * offending value and its index. `finite`: check first that every entry is finite (the rule every
 * loss applies to yTrue and yPred, whatever its own rule), with the message of the `finite` rule;
 * the one exception is the `logProbability` rule, which takes −Infinity (probability 0).
 */
export function checkValues(loss: string, argument: string, t: tf.Tensor, rule: ValueRule, { finite = false } = {}): void {
  if ((rule === 'any' && !finite) || !valueChecksEnabled() || t.size === 0) return;
  const values = t.dataSync();
  if (finite && rule !== 'logProbability') {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        throw new LossInputError(loss, argument, ruleText('finite'), `${values[i]} at index ${indexOf(i, t.shape)}`);
      }
    }
  }
  for (let i = 0; i < values.length; i++) {
    if (!entryOk(rule, values[i]!)) {
      throw new LossInputError(loss, argument, ruleText(rule), `${values[i]} at index ${indexOf(i, t.shape)}`);
    }
  }
  if (rule === 'signedBinary') {
    let hasZero = false;
    let hasMinusOne = false;
    for (const v of values) {
      hasZero ||= v === 0;
      hasMinusOne ||= v === -1;
    }
    if (hasZero && hasMinusOne) throw new LossInputError(loss, argument, ruleText(rule), 'a mix of 0 and -1');
  }
}

/**
 * Aligns a weight or mask with the per-sample loss shape, Keras-style: from the batch axis on,
 * each dimension equals the loss's or is 1; missing trailing dimensions are added, and one extra
 * trailing dimension of size 1 is dropped ([B, 1] weights for [B] losses).
 */
export function alignToLossShape(loss: string, argument: string, w: tf.Tensor, lossShape: readonly number[]): tf.Tensor {
  let aligned = w;
  if (aligned.rank === lossShape.length + 1 && aligned.shape[aligned.rank - 1] === 1) {
    aligned = tf.squeeze(aligned, [aligned.rank - 1]);
  }
  const fits =
    aligned.rank <= lossShape.length && aligned.shape.every((d, i) => d === lossShape[i] || d === 1);
  if (!fits) {
    throw new LossInputError(
      loss,
      argument,
      `a shape that broadcasts to the per-sample loss shape ${formatShape(lossShape)} from the batch axis (e.g. ${formatShape(lossShape.slice(0, 1))})`,
      `shape ${formatShape(w.shape)}`,
    );
  }
  while (aligned.rank < lossShape.length) aligned = tf.expandDims(aligned, -1);
  return tf.broadcastTo(aligned, lossShape as number[]);
}
