/**
 * The fused path of the built-in losses: same inputs, options and outputs as the composite math in
 * src/losses/*.ts, computed by the WebAssembly SIMD kernels. A loss's `compute` is
 * `withFused(fusedX, xValues)`: the matching function here when `fusedAvailable(yPred)`, the
 * composite otherwise. Every function here takes the composite as its last argument, uses it for the
 * cases it does not fuse, and for the (lazy) gradient with respect to yTrue.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedElementwise, fusedSoftmax, writesInPlace, type Composite } from './ops.js';
import { getKernels, MAX_FUSED_ELEMENTS } from './runtime.js';
import { perElementValuesRequired, setting } from '../core/config.js';
import type { ResolvedOptions } from '../core/options.js';
// The loss's own options interfaces (type-only: erased at build, so no import cycle at run time).
import type {
  BinaryCrossentropyOptions,
  BinaryFocalCrossentropyOptions,
  CategoricalCrossentropyOptions,
  CategoricalFocalCrossentropyOptions,
  SparseCategoricalCrossentropyOptions,
} from '../losses/classification.js';

const enabled = setting(true);
const threshold = setting(4096, (n) => Math.max(0, n));

/**
 * Turns the fused kernels on or off for every built-in loss (default on). Returns the previous
 * setting. Off, every loss runs its composite tfjs-ops formula (the reference for parity tests).
 */
export function setFusedKernels(on: boolean): boolean {
  return enabled.set(on);
}

/** Whether the fused kernels are switched on (`setFusedKernels`); `fusedAvailable` tells whether a call uses them. */
export function fusedKernelsEnabled(): boolean {
  return enabled.get();
}

/**
 * Smallest yPred size (elements) that takes the fused path (default 4096: below it the copies into
 * the kernel's memory cost about as much as they save). Returns the previous value.
 */
export function setFusedThreshold(elements: number): number {
  return threshold.set(elements);
}

/**
 * True when the fused kernels should run for this prediction: enabled, not under a per-element
 * `call.where` mask (`perElementValuesRequired`), loaded, the active backend is
 * 'cpu' or 'wasm' (and the kernels can write into its memory: `writesInPlace`), yPred is float32 and
 * has at least the threshold number of elements (and at most MAX_FUSED_ELEMENTS = 2²⁸, so that the
 * kernel's buffers fit in WebAssembly's 4 GiB).
 */
export function fusedAvailable(yPred: tf.Tensor): boolean {
  if (!enabled.get() || perElementValuesRequired() || yPred.dtype !== 'float32' || yPred.size < threshold.get() || yPred.size === 0) return false;
  if (yPred.size > MAX_FUSED_ELEMENTS) return false; // would not fit in the kernel's 4 GiB memory
  const backend = tf.getBackend();
  return (backend === 'cpu' || backend === 'wasm') && getKernels() !== undefined && writesInPlace(tf.backend());
}

/** A fused implementation of a loss's math: the composite's arguments, plus the composite itself. */
export type FusedFunction<O, R> = (yTrue: tf.Tensor, yPred: tf.Tensor, options: O, composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => R) => R;

/**
 * The `compute` of a built-in loss with a fused kernel: `fused` when `fusedAvailable(yPred)`, else
 * `composite` (the tfjs-ops formula, which `fused` also receives for what it does not fuse).
 * @example
 * // not run: a fragment of a loss definition inside lossforge
 * compute: withFused(fusedBinaryFocal, binaryFocalValues),
 */
export function withFused<O, R>(
  fused: FusedFunction<O, R>,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor, options: O) => R,
): (yTrue: tf.Tensor, yPred: tf.Tensor, options: O) => R {
  return (yTrue, yPred, options) =>
    fusedAvailable(yPred) ? fused(yTrue, yPred, options, (t, p) => composite(t, p, options)) : composite(yTrue, yPred, options);
}

const f32 = Math.fround;
/** Label smoothing parameters of the kernels: y′ = y·(1 − ε) + ε/k, each rounded to float32 as tfjs does. */
const smoothing = (epsilon: number, k: number): [number, number] => (epsilon === 0 ? [1, 0] : [f32(1 - epsilon), f32(epsilon / k)]);
const lastDim = (t: tf.Tensor): number => t.shape[t.rank - 1]!;

// ───────────────────────────── binary ─────────────────────────────

/**
 * binaryCrossentropy (probabilities or logits, label smoothing, posWeight): per-element values averaged
 * per sample. A posWeight of one number is a kernel parameter, one per column of a rank ≥ 2 input a
 * weight vector; any other posWeight (per element of a rank-1 input, or a wrong length, which the
 * composite rejects with a LossInputError) takes the composite.
 */
export function fusedBinaryCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: ResolvedOptions<BinaryCrossentropyOptions, 'posWeight'>, composite: Composite): tf.Tensor {
  const { fromLogits, labelSmoothing, posWeight = 1 } = options;
  const weights = typeof posWeight === 'number' ? [posWeight] : posWeight;
  const perColumn = weights.length > 1;
  if (perColumn && (yPred.rank < 2 || weights.length !== lastDim(yPred))) return composite(yTrue, yPred);
  const [keep, add] = smoothing(labelSmoothing, 2);
  return fusedElementwise(fromLogits ? 'bceLogits' : 'bceProbs', yTrue, yPred, {
    p: [keep, add, perColumn ? 1 : f32(weights[0]!), 0, 0],
    flags: perColumn ? 1 : 0,
    columnWeight: perColumn ? weights : undefined,
  }, composite);
}

/** binaryFocalCrossentropy (Keras 3 semantics, see src/losses/classification.ts). */
export function fusedBinaryFocal(yTrue: tf.Tensor, yPred: tf.Tensor, options: ResolvedOptions<BinaryFocalCrossentropyOptions>, composite: Composite): tf.Tensor {
  const { gamma, alpha, applyClassBalancing, fromLogits, labelSmoothing } = options;
  const [keep, add] = smoothing(labelSmoothing, 2);
  return fusedElementwise(fromLogits ? 'focalLogits' : 'focalProbs', yTrue, yPred, {
    p: [keep, add, gamma, f32(alpha), f32(1 - alpha)],
    flags: applyClassBalancing ? 2 : 0,
  }, composite);
}

// ───────────────────────────── regression ─────────────────────────────

export type RegressionKind = 'mse' | 'mae' | 'huber' | 'smoothL1' | 'logCosh';

/**
 * The fused meanSquaredError, meanAbsoluteError, huber (δ), smoothL1 (β) or logCosh, for `withFused`;
 * `parameter` reads δ or β from the loss's options (smoothL1 with β = 0 is the absolute error).
 */
export function fusedRegression<O>(kind: RegressionKind, parameter: (options: O) => number = () => 0): FusedFunction<O, tf.Tensor> {
  return (yTrue, yPred, options, composite) => {
    const value = parameter(options);
    const effective = kind === 'smoothL1' && value === 0 ? 'mae' : kind;
    return fusedElementwise(effective, yTrue, yPred, { p: [f32(value), 0, 0, 0, 0], flags: 0 }, composite);
  };
}

// ───────────────────────────── categorical (logits) ─────────────────────────────

/**
 * categoricalCrossentropy from logits, the per-sample loss only (the loss adds its class weight);
 * probabilities take the composite path.
 */
export function fusedCategoricalCrossentropy(yTrue: tf.Tensor, yPred: tf.Tensor, options: ResolvedOptions<CategoricalCrossentropyOptions, 'classWeight'>, composite: Composite): tf.Tensor {
  if (!options.fromLogits) return composite(yTrue, yPred);
  const [keep, add] = smoothing(options.labelSmoothing, lastDim(yPred));
  return fusedSoftmax('dense', yTrue, yPred, {
    p: [keep, add, 0, 0, 0],
    flags: options.classWeight ? 1 : 0,
    classWeight: options.classWeight,
  }, composite);
}

/**
 * sparseCategoricalCrossentropy from logits, the per-sample loss only (0 where ignored; the loss adds
 * class weights and the ignoreIndex mask); probabilities take the composite path.
 */
export function fusedSparseCrossentropy(labels: tf.Tensor, yPred: tf.Tensor, options: ResolvedOptions<SparseCategoricalCrossentropyOptions, 'ignoreIndex' | 'classWeight'>, composite: Composite): tf.Tensor {
  if (!options.fromLogits) return composite(labels, yPred);
  const { ignoreIndex } = options;
  // Ignored labels become −1, which the kernel treats as "no loss, no gradient"; so do labels out of range.
  const kernelLabels = ignoreIndex === undefined ? labels : tf.where(tf.equal(labels, ignoreIndex), tf.fill(labels.shape, -1, 'int32'), labels);
  return fusedSoftmax('sparse', kernelLabels, yPred, { p: [0, 0, 0, 0, 0], flags: 0 }, composite);
}

/** categoricalFocalCrossentropy from logits (Keras 3); probabilities take the composite path. */
export function fusedCategoricalFocal(yTrue: tf.Tensor, yPred: tf.Tensor, options: ResolvedOptions<CategoricalFocalCrossentropyOptions>, composite: Composite): tf.Tensor {
  if (!options.fromLogits) return composite(yTrue, yPred);
  const [keep, add] = smoothing(options.labelSmoothing, lastDim(yPred));
  return fusedSoftmax('focal', yTrue, yPred, { p: [keep, add, options.gamma, f32(options.alpha), 0], flags: 0 }, composite);
}
