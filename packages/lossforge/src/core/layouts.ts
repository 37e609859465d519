/**
 * The shape rules and input transforms of the `labels` and `region` layouts (see `Layout` in loss.ts),
 * so that metric-learning and segmentation losses hold math only: the wrapper checks labels, class
 * axes, class weights and label maps, and hands `compute` inputs in one fixed layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { valueChecksEnabled } from './config.js';
import { describeValue, formatShape, LossInputError } from './errors.js';
import { oneHot } from './numerics.js';
import { checkRank, checkSameShape, resolveAxis, sameShape, type ValueRule } from './validate.js';

// ───────────────────────────── labels ─────────────────────────────

/**
 * `labels`: yPred is [B, d…] of rank `predRank` with every d ≥ 1; yTrue holds one label per sample:
 * [B], [B, 1], or [B, k] with the same label in every column (tfjs-layers wants targets shaped like the
 * model's output, so `tf.tile(labels.reshape([-1, 1]), [1, D])` works in `model.fit`).
 */
export function checkLabels(name: string, yTrue: tf.Tensor, yPred: tf.Tensor, predRank: number, predShape?: string): void {
  if (yPred.rank !== predRank || yPred.shape.slice(1).some((d) => d === 0)) {
    const dims = predShape ?? (predRank === 2 ? '[batch, dim], dim ≥ 1' : '[batch, …], each dim ≥ 1');
    throw new LossInputError(name, 'yPred', `rank ${predRank} (${dims})`, `rank ${yPred.rank} (shape ${formatShape(yPred.shape)})`);
  }
  const batch = yPred.shape[0]!;
  const ok = (yTrue.rank === 1 || (yTrue.rank === 2 && yTrue.shape[1]! >= 1)) && yTrue.shape[0] === batch;
  if (!ok) {
    throw new LossInputError(name, 'yTrue', `labels of shape [${batch}] or [${batch},k] (one per row of yPred)`, `shape ${formatShape(yTrue.shape)}`);
  }
}

/** A [B, k] label tensor must repeat the same label across its k columns (a value check). */
export function checkLabelColumns(name: string, yTrue: tf.Tensor): void {
  if (!valueChecksEnabled() || yTrue.rank !== 2 || yTrue.shape[1]! <= 1) return;
  const k = yTrue.shape[1]!;
  const values = yTrue.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== values[i - (i % k)]) {
      throw new LossInputError(name, 'yTrue', 'the same label in every column of a [B,k] label tensor', `a differing ${values[i]} at flat index ${i}`);
    }
  }
}

/** Labels as a [B] tensor (the first column of a [B, k] label tensor). */
export function labelVector(yTrue: tf.Tensor): tf.Tensor {
  const column = yTrue.rank === 1 ? yTrue : tf.slice(yTrue, [0, 0], [-1, 1]);
  return tf.reshape(column, [-1]);
}

// ───────────────────────────── region ─────────────────────────────

/**
 * How a `region` loss reads its inputs (segmentation_models_pytorch's `mode`): `binary` (one foreground
 * class, no class axis: every non-batch axis is spatial), `multilabel` (C independent masks along the
 * class axis) or `multiclass` (C ≥ 2 exclusive classes; yTrue one-hot or an integer label map).
 */
export const REGION_MODES = ['binary', 'multiclass', 'multilabel'] as const;
export type RegionMode = (typeof REGION_MODES)[number];

/** The options a region layout reads, when the loss declares them. */
export interface RegionOptions {
  mode: RegionMode;
  axis: number;
  classWeight?: readonly number[];
  ignoreIndex?: number;
}

/** What `checkRegion` found: the class axis (undefined in mode 'binary') and whether yTrue is a label map. */
export interface RegionShape {
  classAxis?: number;
  labelMap: boolean;
  /** The value rule of yTrue (class indices for a label map, else the loss's rule). */
  yTrueRule: ValueRule;
}

function rejectOption(name: string, option: string, value: unknown, expected: string): never {
  throw new LossInputError(name, `options.${option}`, expected, describeValue(value));
}

/** Shape and cross-option checks of the region layout; value rules are applied by the caller. */
export function checkRegion(name: string, yTrue: tf.Tensor, yPred: tf.Tensor, o: RegionOptions, sameShapeRule: ValueRule): RegionShape {
  checkRank(name, 'yPred', yPred, 2);
  if (o.mode === 'binary') {
    if (o.classWeight !== undefined) rejectOption(name, 'classWeight', o.classWeight, "undefined in mode 'binary' (one class); use mode 'multiclass' or 'multilabel'");
    if (o.ignoreIndex !== undefined) rejectOption(name, 'ignoreIndex', o.ignoreIndex, "undefined in mode 'binary' (ignoreIndex is for multiclass label maps)");
    checkSameShape(name, yTrue, yPred);
    return { labelMap: false, yTrueRule: sameShapeRule };
  }
  const classAxis = resolveAxis(name, o.axis, yPred.rank);
  if (classAxis === 0) rejectOption(name, 'axis', o.axis, 'a class axis other than the batch axis 0');
  const numClasses = yPred.shape[classAxis]!;
  if (o.classWeight !== undefined) {
    if (o.classWeight.length !== numClasses) {
      throw new LossInputError(name, 'options.classWeight', `one weight per class (${numClasses}, the size of yPred's class axis)`, `${o.classWeight.length} weights`);
    }
    if (!o.classWeight.some((w) => w > 0)) rejectOption(name, 'classWeight', o.classWeight, 'at least one positive weight');
  }
  if (o.mode === 'multiclass' && numClasses < 2) {
    throw new LossInputError(name, 'yPred', `at least 2 classes along axis ${classAxis} in mode 'multiclass' (use mode 'binary' for one)`, `shape ${formatShape(yPred.shape)}`);
  }
  if (o.mode === 'multilabel' || sameShape(yTrue.shape, yPred.shape)) {
    if (o.ignoreIndex !== undefined) rejectOption(name, 'ignoreIndex', o.ignoreIndex, "undefined unless mode is 'multiclass' with an integer label map");
    checkSameShape(name, yTrue, yPred);
    return { classAxis, labelMap: false, yTrueRule: sameShapeRule };
  }
  const expected = yPred.shape.filter((_, i) => i !== classAxis);
  const withUnitAxis = yPred.shape.map((d, i) => (i === classAxis ? 1 : d));
  if (!sameShape(yTrue.shape, expected) && !sameShape(yTrue.shape, withUnitAxis)) {
    throw new LossInputError(
      name,
      'yTrue',
      `one-hot labels of shape ${formatShape(yPred.shape)} or a label map of shape ${formatShape(expected)} (yPred's shape without class axis ${classAxis})`,
      `shape ${formatShape(yTrue.shape)}`,
    );
  }
  return { classAxis, labelMap: true, yTrueRule: { classIndex: numClasses, ignoreIndex: o.ignoreIndex } };
}

/** [B, …, C, …] → [B, S, C]: the class axis last, the other non-batch axes flattened (binary: C = 1). */
export function toPixelsByClass(x: tf.Tensor, classAxis: number | undefined): tf.Tensor {
  if (classAxis === undefined) return tf.reshape(x, [x.shape[0]!, -1, 1]);
  const order = [...Array(x.rank).keys()].filter((i) => i !== classAxis);
  order.push(classAxis);
  const moved = classAxis === x.rank - 1 ? x : tf.transpose(x, order);
  return tf.reshape(moved, [x.shape[0]!, -1, x.shape[classAxis]!]);
}

/**
 * Targets as float [B, S, C]: yTrue itself, or a label map one-hot encoded. Pixels labelled
 * `ignoreIndex` get an all-zero row, and `keep` ([B, S, 1], 0 there) says which.
 */
export function regionTargets(yTrue: tf.Tensor, predShape: readonly number[], shape: RegionShape, ignoreIndex?: number): { target: tf.Tensor; keep?: tf.Tensor } {
  if (!shape.labelMap) return { target: toPixelsByClass(yTrue, shape.classAxis) };
  const numClasses = predShape[shape.classAxis!]!;
  const labels = tf.reshape(yTrue, [yTrue.shape[0]!, -1]);
  if (ignoreIndex === undefined) return { target: oneHot(labels, numClasses) };
  const keep = tf.expandDims(tf.cast(tf.notEqual(labels, ignoreIndex), 'float32'), -1);
  // An ignored label is out of range for oneHot (a zero row) unless it is a class index; zero it explicitly.
  return { target: tf.mul(oneHot(labels, numClasses), keep), keep };
}
