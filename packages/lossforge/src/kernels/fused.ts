/**
 * The fused path of the built-in losses: same inputs, options and outputs as the composite math in
 * src/losses/*.ts, computed by the WebAssembly SIMD kernels. A loss's `compute` is
 * `withFused(fusedX, xValues)`: the matching function here when `fusedAvailable(yPred)`, the
 * composite otherwise. Every function here takes the composite, uses it for the cases it does not
 * fuse, and for the (lazy) gradients with respect to yTrue, sample weights and masks.
 *
 * Where the kernel runs it owns the rest of the wrapper's path (the wrapper's `ComputeContext`):
 * it counts the value checks of yTrue and yPred in its pass (`kernelChecks`), and for `sum`, `mean`
 * and `weightedMean` it applies the sample weights, the mask, the class weights and the reduction
 * itself (`kernelReduction`), returning the scalar and a gradient scaled by the reduction: no tfjs op
 * runs over the per-sample values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedElementwise, fusedSoftmax, writesInPlace, type Fusion } from './ops.js';
import { CHECK, getKernels, MAX_FUSED_ELEMENTS, type ElementwiseKind } from './runtime.js';
import { perElementValuesRequired, setting } from '../core/config.js';
import { higherOrderGradientPossible } from './higherOrder.js';
import { ownsReduction, type ComputeContext, type DeferredChecks, type PerSample, type Reduced } from '../core/loss.js';
import type { ResolvedOptions } from '../core/options.js';
import { sameShape, type ValueRule } from '../core/validate.js';
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
 * kernel's buffers fit in WebAssembly's 4 GiB), and no second-order gradient can be taken through the
 * call (`higherOrderGradientPossible`: the kernels' backward is not differentiable).
 */
export function fusedAvailable(yPred: tf.Tensor): boolean {
  if (!enabled.get() || perElementValuesRequired() || yPred.dtype !== 'float32' || yPred.size < threshold.get() || yPred.size === 0) return false;
  if (yPred.size > MAX_FUSED_ELEMENTS) return false; // would not fit in the kernel's 4 GiB memory
  if (higherOrderGradientPossible()) return false; // a gradient of this gradient needs the composite
  const backend = tf.getBackend();
  return (backend === 'cpu' || backend === 'wasm') && getKernels() !== undefined && writesInPlace(tf.backend());
}

/** What a loss's math returns (see `LossDefinition.compute`). */
type Out = tf.Tensor | PerSample;

/**
 * A fused implementation of a loss's math: the composite's arguments, the composite itself (which
 * runs the deferred value checks first), and the wrapper's context when it offers one.
 */
export type FusedFunction<O, R extends Out> = (
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: O,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => R,
  context?: ComputeContext,
) => R | Reduced;

/**
 * The `compute` of a built-in loss with a fused kernel: `fused` when `fusedAvailable(yPred)`, else
 * `composite` (the tfjs-ops formula, which `fused` also receives for what it does not fuse). Marked
 * `ownsReduction`: the wrapper defers its value checks of yTrue and yPred to it.
 * @example
 * // not run: a fragment of a loss definition inside lossforge
 * compute: withFused(fusedBinaryFocal, binaryFocalValues),
 */
export function withFused<O, R extends Out>(
  fused: FusedFunction<O, R>,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor, options: O) => R,
): (yTrue: tf.Tensor, yPred: tf.Tensor, options: O, call?: unknown, context?: ComputeContext) => R | Reduced {
  return ownsReduction((yTrue: tf.Tensor, yPred: tf.Tensor, options: O, _call?: unknown, context?: ComputeContext) => {
    const checkedComposite = (t: tf.Tensor, p: tf.Tensor): R => {
      context?.checks.run();
      return composite(t, p, options);
    };
    return fusedAvailable(yPred) ? fused(yTrue, yPred, options, checkedComposite, context) : checkedComposite(yTrue, yPred);
  });
}

/** The CHECK flag of a pending value rule the kernels count (undefined: they cannot; 0: nothing pending). */
function checkFlag(rule: ValueRule | undefined, finite: number, unit: number): number | undefined {
  if (rule === undefined) return 0;
  if (rule === 'any' || rule === 'finite') return finite;
  if (rule === 'binary' || rule === 'probability') return unit;
  return undefined;
}

/**
 * The value checks a kernel counts in its pass: the flags for the deferred checks of yTrue (unless
 * `labels`: class indices are checked here, in JavaScript, before the kernel) and yPred, and what to
 * do when it finds a bad entry (run the wrapper's checks, which throw with the first bad index).
 * Checks a kernel cannot count run here, before it.
 */
function kernelChecks(checks: DeferredChecks | undefined, targets: 'values' | 'labels'): Pick<Fusion, 'checks' | 'onBadInput'> {
  if (!checks) return {};
  if (targets === 'labels') checks.run('yTrue');
  const onTrue = checkFlag(checks.pending('yTrue'), CHECK.trueFinite, CHECK.trueUnit);
  const onPred = checkFlag(checks.pending('yPred'), CHECK.predFinite, CHECK.predUnit);
  if (onTrue === undefined || onPred === undefined) {
    checks.run();
    return {};
  }
  return { checks: onTrue | onPred, onBadInput: () => checks.run() };
}

/**
 * What a kernel call owns: the value checks and, for `sum`, `mean` and `weightedMean`, the sample
 * weights, the mask and the reduction over the per-sample shape `lossShape` (`composite` gives the
 * per-sample output, for the gradients the kernel does not compute). `none` (or no context) leaves
 * the kernel per sample.
 */
function fusion(
  context: ComputeContext | undefined,
  targets: 'values' | 'labels',
  lossShape: readonly number[],
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => Out,
): Fusion {
  const checks = kernelChecks(context?.checks, targets);
  if (!context || context.reduction === 'none') return checks;
  const aligned = (argument: 'call.sampleWeight' | 'call.mask', w: tf.Tensor | undefined) =>
    w && (sameShape(w.shape, lossShape) ? w : tf.reshape(context.align(argument, w, lossShape), [...lossShape]));
  return {
    ...checks,
    reduce: {
      reduction: context.reduction,
      sampleWeight: aligned('call.sampleWeight', context.sampleWeight),
      mask: aligned('call.mask', context.mask),
      composite: (t, p, w, m) => context.finish(composite(t, p), w, m),
    },
  };
}

/**
 * The result of a kernel call: per sample, or `Reduced` with the composite per-sample losses for the
 * wrapper's error message when the reduced value is not finite. Marks the deferred checks done.
 */
function finished(context: ComputeContext | undefined, out: tf.Tensor, reduced: boolean, perSample: () => Out): tf.Tensor | Reduced {
  context?.checks.done('yTrue');
  context?.checks.done('yPred');
  if (!reduced) return out;
  return {
    reduced: out,
    perSample: () => {
      const o = perSample();
      return o instanceof tf.Tensor ? o : o.loss;
    },
  };
}

/** The per-sample loss tensor of a composite's output. */
const lossOf = (out: Out): tf.Tensor => (out instanceof tf.Tensor ? out : out.loss);

const f32 = Math.fround;
/** Label smoothing parameters of the kernels: y′ = y·(1 − ε) + ε/k, each rounded to float32 as tfjs does. */
const smoothing = (epsilon: number, k: number): [number, number] => (epsilon === 0 ? [1, 0] : [f32(1 - epsilon), f32(epsilon / k)]);
const lastDim = (t: tf.Tensor): number => t.shape[t.rank - 1]!;

// ───────────────────────────── binary ─────────────────────────────

/** Per-sample shape of an elementwise loss (the last axis averaged for rank ≥ 2). */
const elementwiseLossShape = (yPred: tf.Tensor): number[] => (yPred.rank >= 2 ? yPred.shape.slice(0, -1) : [...yPred.shape]);

/** An elementwise kernel call owning what `context` offers (see `fusion`). */
function elementwise(
  kind: ElementwiseKind,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  params: Parameters<typeof fusedElementwise>[3],
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
  context: ComputeContext | undefined,
): tf.Tensor | Reduced {
  const rowMean = (t: tf.Tensor, p: tf.Tensor) => (yPred.rank >= 2 ? tf.mean(composite(t, p), -1) : composite(t, p));
  // The wrapper's `finish` averages per-element values over the last axis itself.
  const f = fusion(context, 'values', elementwiseLossShape(yPred), composite);
  const out = fusedElementwise(kind, yTrue, yPred, params, composite, f);
  return finished(context, out, f.reduce !== undefined, () => rowMean(yTrue, yPred));
}

/**
 * binaryCrossentropy (probabilities or logits, label smoothing, posWeight): per-element values averaged
 * per sample. A posWeight of one number is a kernel parameter, one per column of a rank ≥ 2 input a
 * weight vector; any other posWeight (per element of a rank-1 input, or a wrong length, which the
 * composite rejects with a LossInputError) takes the composite.
 */
export function fusedBinaryCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: ResolvedOptions<BinaryCrossentropyOptions, 'posWeight'>,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
  context?: ComputeContext,
): tf.Tensor | Reduced {
  const { fromLogits, labelSmoothing, posWeight = 1 } = options;
  const weights = typeof posWeight === 'number' ? [posWeight] : posWeight;
  const perColumn = weights.length > 1;
  if (perColumn && (yPred.rank < 2 || weights.length !== lastDim(yPred))) return composite(yTrue, yPred);
  const [keep, add] = smoothing(labelSmoothing, 2);
  return elementwise(fromLogits ? 'bceLogits' : 'bceProbs', yTrue, yPred, {
    p: [keep, add, perColumn ? 1 : f32(weights[0]!), 0, 0],
    flags: perColumn ? 1 : 0,
    columnWeight: perColumn ? weights : undefined,
  }, composite, context);
}

/** binaryFocalCrossentropy (Keras 3 semantics, see src/losses/classification.ts). */
export function fusedBinaryFocal(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: ResolvedOptions<BinaryFocalCrossentropyOptions>,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
  context?: ComputeContext,
): tf.Tensor | Reduced {
  const { gamma, alpha, applyClassBalancing, fromLogits, labelSmoothing } = options;
  const [keep, add] = smoothing(labelSmoothing, 2);
  return elementwise(fromLogits ? 'focalLogits' : 'focalProbs', yTrue, yPred, {
    p: [keep, add, gamma, f32(alpha), f32(1 - alpha)],
    flags: applyClassBalancing ? 2 : 0,
  }, composite, context);
}

// ───────────────────────────── regression ─────────────────────────────

export type RegressionKind = 'mse' | 'mae' | 'huber' | 'smoothL1' | 'logCosh';

/**
 * The fused meanSquaredError, meanAbsoluteError, huber (δ), smoothL1 (β) or logCosh, for `withFused`;
 * `parameter` reads δ or β from the loss's options (smoothL1 with β = 0 is the absolute error).
 */
export function fusedRegression<O>(kind: RegressionKind, parameter: (options: O) => number = () => 0): FusedFunction<O, tf.Tensor> {
  return (yTrue, yPred, options, composite, context) => {
    const value = parameter(options);
    const effective = kind === 'smoothL1' && value === 0 ? 'mae' : kind;
    return elementwise(effective, yTrue, yPred, { p: [f32(value), 0, 0, 0, 0], flags: 0 }, composite, context);
  };
}

// ───────────────────────────── categorical (logits) ─────────────────────────────

/**
 * A softmax kernel call owning what `context` offers (see `fusion`); `perSample` turns the kernel's
 * per-sample loss into the loss's per-sample output (`none`).
 */
function softmax(
  kind: 'sparse' | 'dense' | 'focal',
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  params: Parameters<typeof fusedSoftmax>[3],
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => Out,
  context: ComputeContext | undefined,
): tf.Tensor | Reduced {
  const f = fusion(context, kind === 'sparse' ? 'labels' : 'values', yPred.shape.slice(0, -1), composite);
  const out = fusedSoftmax(kind, yTrue, yPred, params, (t, p) => lossOf(composite(t, p)), f);
  return finished(context, out, f.reduce !== undefined, () => composite(yTrue, yPred));
}

/** Whether a call would return per-sample values (no context, or `none`). */
const perSampleCall = (context: ComputeContext | undefined): boolean => !context || context.reduction === 'none';

/**
 * categoricalCrossentropy from logits. Reduced: class weights weight each row by its target's weight
 * Σ w_c y_c (the wrapper's `weight`), inside the kernel. Per sample with class weights, and
 * probabilities, take the composite path.
 */
export function fusedCategoricalCrossentropy(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: ResolvedOptions<CategoricalCrossentropyOptions, 'classWeight'>,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => Out,
  context?: ComputeContext,
): Out | Reduced {
  if (!options.fromLogits || (options.classWeight && perSampleCall(context))) return composite(yTrue, yPred);
  const [keep, add] = smoothing(options.labelSmoothing, lastDim(yPred));
  return softmax('dense', yTrue, yPred, {
    p: [keep, add, 0, 0, 0],
    flags: options.classWeight ? 1 : 0,
    classWeight: options.classWeight,
  }, composite, context);
}

/**
 * sparseCategoricalCrossentropy from logits. Labels outside [0, C) and an ignoreIndex inside it (flag
 * 2, P2) are "no loss, no gradient, not counted" in the kernel; reduced, class weights weight each row
 * by its label's weight inside the kernel. Per sample with class weights or ignoreIndex, and
 * probabilities, take the composite path.
 */
export function fusedSparseCrossentropy(
  labels: tf.Tensor,
  yPred: tf.Tensor,
  options: ResolvedOptions<SparseCategoricalCrossentropyOptions, 'ignoreIndex' | 'classWeight'>,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => Out,
  context?: ComputeContext,
): Out | Reduced {
  const { ignoreIndex, classWeight } = options;
  if (!options.fromLogits || ((classWeight || ignoreIndex !== undefined) && perSampleCall(context))) return composite(labels, yPred);
  const ignoreInside = ignoreIndex !== undefined && ignoreIndex >= 0 && ignoreIndex < lastDim(yPred);
  return softmax('sparse', labels, yPred, {
    p: [0, 0, ignoreInside ? ignoreIndex : 0, 0, 0],
    flags: (classWeight ? 1 : 0) | (ignoreInside ? 2 : 0),
    classWeight,
  }, composite, context);
}

/** categoricalFocalCrossentropy from logits (Keras 3); probabilities take the composite path. */
export function fusedCategoricalFocal(
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  options: ResolvedOptions<CategoricalFocalCrossentropyOptions>,
  composite: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
  context?: ComputeContext,
): tf.Tensor | Reduced {
  if (!options.fromLogits) return composite(yTrue, yPred);
  const [keep, add] = smoothing(options.labelSmoothing, lastDim(yPred));
  return softmax('focal', yTrue, yPred, { p: [keep, add, options.gamma, f32(options.alpha), 0], flags: 0 }, composite, context) as tf.Tensor | Reduced;
}
