/**
 * The fused path of the built-in losses: same inputs, options and outputs as the composite math in
 * src/losses/*.ts, computed by the WebAssembly SIMD kernels. A loss's `compute` calls
 * `fusedAvailable(yPred)` and, when true, the matching function here; every function takes the
 * composite as its last argument, uses it for the cases it does not fuse, and for the (lazy)
 * gradient with respect to yTrue.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from '../core/errors.js';
import type { PerSample } from '../core/loss.js';
import { fusedElementwise, fusedSoftmax, type Composite } from './ops.js';
import { getKernels, MAX_FUSED_ELEMENTS } from './runtime.js';

let enabled = true;
let threshold = 4096;

/**
 * Turns the fused kernels on or off for every built-in loss (default on). Returns the previous
 * setting. Off, every loss runs its composite tfjs-ops formula (the reference for parity tests).
 */
export function setFusedKernels(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

export function fusedKernelsEnabled(): boolean {
  return enabled;
}

/**
 * Smallest yPred size (elements) that takes the fused path (default 4096: below it the copies into
 * the kernel's memory cost about as much as they save). Returns the previous value.
 */
export function setFusedThreshold(elements: number): number {
  const previous = threshold;
  threshold = Math.max(0, elements);
  return previous;
}

/**
 * True when the fused kernels should run for this prediction: enabled, loaded, the active backend is
 * 'cpu' or 'wasm', yPred is float32 and has at least the threshold number of elements (and at most
 * MAX_FUSED_ELEMENTS = 2²⁸, so that the kernel's buffers fit in WebAssembly's 4 GiB).
 */
export function fusedAvailable(yPred: tf.Tensor): boolean {
  if (!enabled || yPred.dtype !== 'float32' || yPred.size < threshold || yPred.size === 0) return false;
  if (yPred.size > MAX_FUSED_ELEMENTS) return false; // would not fit in the kernel's 4 GiB memory
  const backend = tf.getBackend();
  return (backend === 'cpu' || backend === 'wasm') && getKernels() !== undefined;
}

const f32 = Math.fround;
/** Label smoothing parameters of the kernels: y′ = y·(1 − ε) + ε/k, each rounded to float32 as tfjs does. */
const smoothing = (epsilon: number, k: number): [number, number] => (epsilon === 0 ? [1, 0] : [f32(1 - epsilon), f32(epsilon / k)]);
const lastDim = (t: tf.Tensor): number => t.shape[t.rank - 1]!;

// ───────────────────────────── binary ─────────────────────────────

export interface BinaryCrossentropyOptions {
  fromLogits: boolean;
  labelSmoothing: number;
  posWeight?: number | number[];
}

/** binaryCrossentropy (probabilities or logits, label smoothing, posWeight): per-element values averaged per sample. */
export function fusedBinaryCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: BinaryCrossentropyOptions, composite: Composite): tf.Tensor {
  const { fromLogits, labelSmoothing, posWeight } = options;
  let scalarWeight = 1;
  let columnWeight: number[] | undefined;
  if (typeof posWeight === 'number') scalarWeight = posWeight;
  else if (Array.isArray(posWeight)) {
    if (posWeight.length !== 1 && posWeight.length !== lastDim(yPred)) {
      throw new LossInputError(
        'binaryCrossentropy',
        'options.posWeight',
        `a number or one weight per entry of yPred's last axis (${lastDim(yPred)})`,
        `${posWeight.length} weights`,
      );
    }
    if (posWeight.length === 1) scalarWeight = posWeight[0]!;
    else if (yPred.rank === 1) return composite(yTrue, yPred); // per-element weights on a rank-1 input: not fused
    else columnWeight = posWeight;
  }
  const [keep, add] = smoothing(labelSmoothing, 2);
  return fusedElementwise(fromLogits ? 'bceLogits' : 'bceProbs', yTrue, yPred, {
    p: [keep, add, f32(scalarWeight), 0, 0],
    flags: columnWeight ? 1 : 0,
    columnWeight,
  }, composite);
}

export interface BinaryFocalOptions {
  gamma: number;
  alpha: number;
  applyClassBalancing: boolean;
  fromLogits: boolean;
  labelSmoothing: number;
}

/** binaryFocalCrossentropy (Keras 3 semantics, see src/losses/classification.ts). */
export function fusedBinaryFocal(yTrue: tf.Tensor, yPred: tf.Tensor, options: BinaryFocalOptions, composite: Composite): tf.Tensor {
  const { gamma, alpha, applyClassBalancing, fromLogits, labelSmoothing } = options;
  const [keep, add] = smoothing(labelSmoothing, 2);
  return fusedElementwise(fromLogits ? 'focalLogits' : 'focalProbs', yTrue, yPred, {
    p: [keep, add, gamma, f32(alpha), f32(1 - alpha)],
    flags: applyClassBalancing ? 2 : 0,
  }, composite);
}

// ───────────────────────────── regression ─────────────────────────────

export type RegressionKind = 'mse' | 'mae' | 'huber' | 'smoothL1' | 'logCosh';

/** meanSquaredError, meanAbsoluteError, huber(δ), smoothL1(β), logCosh. `parameter` is δ or β. */
export function fusedRegression(kind: RegressionKind, yTrue: tf.Tensor, yPred: tf.Tensor, composite: Composite, parameter = 0): tf.Tensor {
  const effective = kind === 'smoothL1' && parameter === 0 ? 'mae' : kind;
  return fusedElementwise(effective, yTrue, yPred, { p: [f32(parameter), 0, 0, 0, 0], flags: 0 }, composite);
}

// ───────────────────────────── categorical (logits) ─────────────────────────────

export interface CategoricalOptions {
  fromLogits: boolean;
  labelSmoothing: number;
  classWeight?: number[];
}

/** categoricalCrossentropy from logits; probabilities take the composite path. */
export function fusedCategoricalCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: CategoricalOptions,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor | PerSample,
): tf.Tensor | PerSample {
  if (!options.fromLogits) return composite(yTrue, yPred);
  const c = lastDim(yPred);
  const [keep, add] = smoothing(options.labelSmoothing, c);
  const lossOnly: Composite = (t, p) => {
    const out = composite(t, p);
    return out instanceof tf.Tensor ? out : out.loss;
  };
  const loss = fusedSoftmax('dense', yTrue, yPred, {
    p: [keep, add, 0, 0, 0],
    flags: options.classWeight ? 1 : 0,
    classWeight: options.classWeight,
  }, lossOnly);
  if (!options.classWeight) return loss;
  const weight = tf.sum(tf.mul(tf.tensor1d(options.classWeight, 'float32'), yTrue), -1);
  return { loss, weight };
}

export interface SparseOptions {
  fromLogits: boolean;
  ignoreIndex?: number;
  classWeight?: number[];
}

/** sparseCategoricalCrossentropy from logits (ignoreIndex, classWeight); probabilities take the composite path. */
export function fusedSparseCrossentropy(
  labels: tf.Tensor,
  yPred: tf.Tensor,
  options: SparseOptions,
  composite: (labels: tf.Tensor, yPred: tf.Tensor) => PerSample,
): PerSample {
  if (!options.fromLogits) return composite(labels, yPred);
  const { ignoreIndex, classWeight } = options;
  // Ignored labels become −1, which the kernel treats as "no loss, no gradient"; so do labels out of range.
  const kernelLabels = ignoreIndex === undefined ? labels : tf.where(tf.equal(labels, ignoreIndex), tf.fill(labels.shape, -1, 'int32'), labels);
  const lossOnly: Composite = (t, p) => composite(t, p).loss;
  const loss = fusedSoftmax('sparse', kernelLabels, yPred, { p: [0, 0, 0, 0, 0], flags: 0 }, lossOnly);
  if (ignoreIndex === undefined && classWeight === undefined) return { loss };
  const ignored = ignoreIndex === undefined ? undefined : tf.equal(labels, ignoreIndex);
  const safeLabels = ignored ? tf.where(ignored, tf.zerosLike(labels), labels) : labels;
  const weight = classWeight === undefined ? undefined : tf.gather(tf.tensor1d(classWeight, 'float32'), safeLabels);
  const valid = ignored ? tf.sub(1, tf.cast(ignored, 'float32')) : undefined;
  return { loss, weight, valid };
}

export interface CategoricalFocalOptions {
  gamma: number;
  alpha: number;
  fromLogits: boolean;
  labelSmoothing: number;
}

/** categoricalFocalCrossentropy from logits (Keras 3); probabilities take the composite path. */
export function fusedCategoricalFocal(yTrue: tf.Tensor, yPred: tf.Tensor, options: CategoricalFocalOptions, composite: Composite): tf.Tensor {
  if (!options.fromLogits) return composite(yTrue, yPred);
  const [keep, add] = smoothing(options.labelSmoothing, lastDim(yPred));
  return fusedSoftmax('focal', yTrue, yPred, { p: [keep, add, options.gamma, f32(options.alpha), 0], flags: 0 }, composite);
}
