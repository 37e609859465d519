/**
 * `defineLoss`: the one mechanism every loss goes through, built-in or user-defined.
 *
 *   yTrue, yPred, call ──► validate ──► compute (per-sample math) ──► weights × mask ──► reduce
 *
 * A definition gives the name, the options (with defaults and rules), the input layout and the math;
 * the returned factory validates options once, and each call validates inputs, applies sample weights,
 * class weights and masks, reduces, and cleans up every intermediate tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.js'; // every loss needs the gradients tfjs lacks (comparisons), see gradients.ts
import { describeValue, formatShape, LossInputError } from './errors.js';
import {
  oneOf,
  resolveOptions,
  toConfig,
  type BaseLossOptions,
  type NamedConfig,
  type OptionsOf,
  type OptionSpec,
  type OptionSpecs,
  type OptionSpecsFor,
  type OptionValue,
  type OptionValues,
  type ResolvedOptions,
  type UnsetOptions,
} from './options.js';
import { nonZeroDenominator, pairwiseSum } from './numerics.js';
import { reduce, REDUCTIONS, type Reduction } from './reduce.js';
import { requiringPerElementValues, valueChecksEnabled } from './config.js';
import {
  checkLabelColumns,
  checkLabels,
  checkRegion,
  labelVector,
  regionTargets,
  toPixelsByClass,
  type RegionMode,
  type RegionOptions,
  type RegionShape,
} from './layouts.js';
import { register, type Alias } from './registry.js';
import {
  alignToLossShape,
  checkRank,
  checkSameShape,
  broadcastWhere,
  checkValues,
  resolveAxes,
  resolveAxis,
  sameShape,
  toTensor,
  type TensorInput,
  type ValueRule,
} from './validate.js';

/** Per-call inputs besides yTrue and yPred. Loss-specific entries (e.g. `inputLengths`) are declared by the loss. */
export interface LossCall {
  /** Non-negative weights, broadcast to the per-sample loss shape from the batch axis ([B], [B,1], [B,L]…). */
  sampleWeight?: TensorInput;
  /** 0/1 (or boolean) entries in the per-sample shape; 0 excludes the entry from the loss and from `mean`'s count. */
  mask?: TensorInput;
  /**
   * 0/1 (or boolean) entries of yPred's shape, or broadcastable to it (trailing axes aligned): 0 excludes
   * that entry of yPred from the loss, from its gradient and from the counts (Optax's `where=`). What an
   * excluded entry means per layout, and how it meets `mask` and `sampleWeight`: docs/inputs.md.
   */
  where?: TensorInput;
  [entry: string]: unknown;
}

/**
 * A loss: callable as `loss(yTrue, yPred, call?)`, usable directly in `model.compile({ loss })`.
 *
 * The contract, the same for every loss (applied by `defineLoss`'s wrapper; docs/inputs.md): a call
 * returns a finite value with a finite gradient, or throws a `LossInputError` naming the argument.
 * - NaN/±Infinity in yTrue or yPred: a LossInputError with the first bad index; so is a loss that
 *   overflows float32 (naming yPred). Both are value checks: with `setValueChecks(false)` finite
 *   inputs are the caller's responsibility and the math runs as is.
 * - Ragged JS arrays: a LossInputError on every backend.
 * - An empty batch [0, …]: 0 for `sum`/`mean`/`weightedMean`, an empty per-sample tensor for `none`,
 *   a zero gradient; the math does not run.
 * - One example without its batch axis (yTrue and yPred both one rank short of the layout's batch,
 *   see `Layout` and `LossDefinition.batchedRanks`): given a batch axis of 1 (Keras' rule).
 * - Nothing leaks, also when the call throws inside tf.grad / tf.valueAndGrad.
 *
 * `O` is the type of its resolved options (`ResolvedOptions<HuberOptions>` for `losses.huber()`).
 */
export interface Loss<O = Record<string, OptionValue>> {
  (yTrue: TensorInput, yPred: TensorInput, call?: LossCall): tf.Tensor;
  /** The registered name, e.g. `'huber'`. */
  readonly name: string;
  /** The resolved options, defaults filled in (frozen). */
  readonly options: Readonly<O> & { readonly reduction: Reduction };
  /** Plain JSON, `{ name, ...options }`: `losses.fromConfig(config)` rebuilds an equal loss. */
  getConfig(): LossConfig;
  /**
   * The trainable state the loss owns, by key (e.g. the adaptive robust loss's latent α and scale,
   * ArcFace's class centers); absent for a loss without state. `fit`, `fitDataset` and `trainStep`
   * train these with the model's weights, `saveModel` / `loadModel` store them with them (see
   * `LossDefinition.variables`, docs/training.md).
   */
  readonly variables?: LossVariables;
  /** Frees the loss's variables (present when it has `variables`). */
  dispose?(): void;
}

/** A loss's trainable state: its tf.Variables by key (see `Loss.variables`). */
export type LossVariables = Readonly<Record<string, tf.Variable>>;

/**
 * The trainable variables of a loss-like value (`loss.variables` in key order), or none: what
 * `fit` and `trainStep` add to the model's weights. Pass it into the variables form of `trainStep`
 * or your own `optimizer.minimize(…, varList)`.
 * @example
 * const loss = losses.adaptiveRobust();
 * lossVariables(loss).map((v) => v.shape); // [[], []]: the latent α and scale
 */
export function lossVariables(loss: unknown): tf.Variable[] {
  const variables = (loss as { variables?: unknown } | null | undefined)?.variables;
  if (typeof variables !== 'object' || variables === null) return [];
  return Object.values(variables).filter((v): v is tf.Variable => v instanceof tf.Variable);
}

/** `loss.getConfig()`: `{ name, ...options }`, plain JSON. */
export type LossConfig = NamedConfig;

/**
 * The config of a loss function: its `getConfig()`, or `{ name }` for a plain function (`'custom'` when
 * anonymous), for wrappers (combine, withPenalties) that accept any `(yTrue, yPred) => Tensor`.
 */
export function configOf(loss: { name: string; getConfig?: () => LossConfig }): LossConfig {
  return typeof loss.getConfig === 'function' ? loss.getConfig() : { name: loss.name || 'custom' };
}

/** What the user may pass to the factory of a loss declared by specs alone (see `defineLoss`). */
export type LossOptions<S extends OptionSpecs> = OptionsOf<S>;

/**
 * A loss factory, `(options?: O) => Loss`: `O` is the loss's options interface (`HuberOptions`), whose
 * fields carry their docs and defaults; `Unset` names its options without a default.
 */
export interface LossFactory<O extends object = Record<string, OptionValue>, Unset extends keyof O = never> {
  (options?: O): Loss<ResolvedOptions<O, Unset>>;
  /** The registered name of the losses this factory makes. */
  readonly lossName: string;
  /**
   * The option specs the factory validates against (read-only, frozen): defaults, rules and their
   * structured `shape`, `reduction` included. For tools that list or build inputs for a loss's options.
   * @example
   * losses.huber.optionSpecs.delta.default; // 1
   * losses.huber.optionSpecs.delta.shape;   // { kind: 'number', range: { min: 0, minExclusive: true } }
   */
  readonly optionSpecs: Readonly<OptionSpecs>;
}

const LAYOUTS = ['elementwise', 'dense', 'sparse', 'labels', 'region', 'custom'] as const;

/**
 * How yTrue and yPred relate, which fixes validation and the per-sample shape:
 * - `elementwise`: same shape; `compute` returns per-element values, averaged over the last axis
 *   (rank ≥ 2) to give per-sample values ([B, K] → [B]; a rank-1 input is one value per sample);
 * - `dense`: same shape, class axis `options.axis` (default −1) moved last before `compute`, which
 *   returns per-sample values with that axis reduced ([B, C, L] → [B, L]); a tuple of axes
 *   (`axis: [1, 2]`) is moved last and flattened into one class axis (`classWeight` then has one
 *   weight per entry of the flattened axis, in row-major order);
 * - `sparse`: yTrue holds integer class indices, shaped like yPred without the class axis (or with
 *   it of size 1); yPred's class axis is moved last, yTrue arrives as int32;
 * - `labels`: one label per sample (metric learning): yTrue is [B], [B, 1] or [B, k] with the same
 *   label in every column, checked with `values.yTrue` (default `'classLabel'`, integers); yPred is [B, d…]
 *   of rank `batchedRanks.yPred` (default 2: embeddings [B, D]) with every d ≥ 1. `compute` receives
 *   the labels as [B] and returns per-sample values [B];
 * - `region`: class maps scored per image (segmentation). `options.mode` (or `regionMode`, default
 *   'binary') says how to read them: 'binary' (yTrue of yPred's shape, every non-batch axis spatial),
 *   'multilabel' (class axis `options.axis`, yTrue of yPred's shape) or 'multiclass' (C ≥ 2 classes;
 *   yTrue one-hot of yPred's shape, or an integer label map without the class axis, where
 *   `options.ignoreIndex` pixels are left out). The wrapper checks the axis (never the batch axis),
 *   `options.classWeight` (one per class, one positive) and the labels (`values.yTrue`, default
 *   'binary'), and hands `compute` yTrue and yPred as [B, S, C] (class axis last, the other non-batch
 *   axes flattened; binary: C = 1; a label map one-hot encoded) with `context.where` ([B, S, 1] or
 *   [B, S, C], 0 for ignored pixels and `call.where` exclusions); `compute` returns [B] (or [B, C]);
 * - `custom`: no shape rule beyond rank ≥ 1; the definition's `validate` checks the rest, and
 *   `compute` returns values whose first axis is the batch.
 */
export type Layout = (typeof LAYOUTS)[number];

/** What `compute` may return besides a plain per-sample tensor. */
export interface PerSample {
  loss: tf.Tensor;
  /** Extra per-sample weight (e.g. the class weight of the target); multiplies the loss, and sums into `weightedMean`'s denominator. */
  weight?: tf.Tensor;
  /** 0/1: entries the loss itself excludes (e.g. `ignoreIndex`); counted out of `mean` like a mask. */
  valid?: tf.Tensor;
}

/**
 * What a fused kernel's `compute` may return instead: the final value, with the sample weights, the
 * mask and the reduction already applied (in the kernel's own pass).
 */
export interface Reduced {
  reduced: tf.Tensor;
  /** The per-sample losses (for error messages only: computed when the reduced value is not finite). */
  perSample(): tf.Tensor;
}

/** Arguments whose value checks a fused kernel may take over. */
export type CheckedArgument = 'yTrue' | 'yPred';

/**
 * The value checks of yTrue and yPred (the wrapper's `checkValues`, with their rules) not run yet:
 * a fused kernel counts bad entries in its own pass and, when it finds one, calls `run()` for the
 * wrapper's error with the first bad index; a composite path calls `run()` before its math.
 */
export interface DeferredChecks {
  /** The rule still to check on `argument` (undefined: none pending; 'any' means finite only). */
  pending(argument: CheckedArgument): ValueRule | undefined;
  /** Runs the pending checks of `argument` (default: yTrue, then yPred) in JavaScript; throws LossInputError. */
  run(argument?: CheckedArgument): void;
  /** Marks the checks of `argument` as done by a kernel. */
  done(argument: CheckedArgument): void;
}

/**
 * What the wrapper hands every `compute` besides the inputs (its fifth argument): the loss's trainable
 * state, the `region` layout's `where`, and, for a `compute` marked with
 * `ownsReduction`, what a fused kernel needs to own the rest of the path (value checks, sample
 * weights, mask, reduction). See `Reduced`.
 */
export interface ComputeContext {
  readonly reduction: Reduction;
  /** The call's sample weight and mask, batched like yPred, not aligned yet (undefined: not given). */
  readonly sampleWeight?: tf.Tensor;
  readonly mask?: tf.Tensor;
  /** `argument` (call.sampleWeight or call.mask) aligned to `lossShape` as the wrapper does, or throws LossInputError. */
  align(argument: 'call.sampleWeight' | 'call.mask', w: tf.Tensor, lossShape: readonly number[]): tf.Tensor;
  /** The wrapper's composite rest of the path: per-sample output × sampleWeight × mask, reduced. */
  finish(out: tf.Tensor | PerSample, sampleWeight?: tf.Tensor, mask?: tf.Tensor): tf.Tensor;
  readonly checks: DeferredChecks;
  /** The loss's trainable variables by key (`LossDefinition.variables`; empty for a loss without state). */
  readonly state: LossVariables;
  /** `region`: 0/1 per entry of the [B, S, C] inputs (broadcastable), 0 where a pixel is ignored or excluded by `call.where`. */
  readonly where?: tf.Tensor;
}

const OWNS_REDUCTION = Symbol('lossforge.ownsReduction');

/**
 * Marks a `compute` (a fused kernel's, see src/kernels/fused.ts) that takes a `ComputeContext` as
 * its fifth argument: the wrapper then defers the value checks of yTrue and yPred to it, and accepts
 * a `Reduced` result.
 */
export function ownsReduction<F extends (...args: never[]) => unknown>(compute: F): F {
  return Object.assign(compute, { [OWNS_REDUCTION]: true });
}

const isReduced = (out: unknown): out is Reduced => typeof out === 'object' && out !== null && 'reduced' in out;

/** The ranks of yTrue and yPred for a batch (see `LossDefinition.batchedRanks`). */
export interface BatchedRanks {
  yTrue: number;
  yPred: number;
}

export interface ValueRules {
  yTrue?: ValueRule;
  yPred?: ValueRule;
}

/**
 * What `defineLoss` takes. `S` is the type of the option specs, `R` the resolved options the math
 * receives (by default read off the specs).
 */
export interface LossDefinition<S extends OptionSpecs, R = OptionValues<S>> {
  /** Registered name (camelCase by convention). */
  name: string;
  /** Other names: Keras/PyTorch spellings, short names; `{ alias, options }` presets options. */
  aliases?: readonly Alias[];
  /** Option specs (see `option.*`); `reduction` is added for every loss. */
  options?: S;
  layout: Layout;
  /** Value rules for yTrue and yPred, possibly depending on the options (e.g. probabilities unless fromLogits). */
  values?: ValueRules | ((options: R) => ValueRules);
  /** Names of loss-specific `call` entries (e.g. `inputLengths`). */
  callEntries?: readonly string[];
  /** dtype yTrue is converted to (default float32; int32 for `sparse`). */
  yTrueDtype?: 'float32' | 'int32';
  /**
   * `custom` layouts: the ranks of a batched yTrue and yPred, when they are fixed (e.g. labels [B]
   * and embeddings [B, D]: `{ yTrue: 1, yPred: 2 }`). Inputs both one rank short are then one example,
   * given a batch axis as with every layout (see `Layout`).
   */
  batchedRanks?: BatchedRanks;
  /** `labels` layouts: yPred's batched shape in words, for error messages (e.g. '[batch, 2, dim]'). */
  yPredShape?: string;
  /** `region` layouts: the mode when the loss has no `mode` option (e.g. 'multiclass' for Lovász-softmax). */
  regionMode?: RegionMode;
  /**
   * Whether the loss of finite inputs is always finite (default true: with value checks on, a
   * non-finite result is a LossInputError). False where +Infinity is the documented value, e.g. an
   * impossible CTC alignment without `zeroInfinity`.
   */
  finite?: boolean | ((options: R) => boolean);
  /**
   * Extra input checks (what the layout cannot know, e.g. a pair axis of size 2), run after the layout's
   * shape checks on the inputs as given (before any axis is moved). Throw LossInputError.
   */
  validate?(yTrue: tf.Tensor, yPred: tf.Tensor, options: R, call: LossCall): void;
  /**
   * Trainable state: the initial value of each variable, by key, from the resolved options (throw
   * LossInputError for options that do not allow one). Every loss the factory makes gets its own
   * trainable tf.Variables (`loss.variables`, freed by `loss.dispose()`), passed to `compute` as
   * `context.state`; `fit`, `fitDataset` and `trainStep` train them with the model, and `saveModel` /
   * `loadModel` store them with its weights (the config stays the options: `fromConfig` rebuilds the
   * loss with its initial state).
   */
  variables?(options: R): Record<string, tf.Tensor>;
  /** The math: per-element (elementwise) or per-sample values. Never reduces over the batch. */
  compute(yTrue: tf.Tensor, yPred: tf.Tensor, options: R, call: LossCall, context: ComputeContext): tf.Tensor | PerSample | Reduced;
  /** Redefine a name that is already registered. */
  replace?: boolean;
}

const REDUCTION_OPTION: OptionSpec<Reduction> = oneOf(REDUCTIONS, 'mean');
const CALL_ENTRIES = ['sampleWeight', 'mask', 'where'];

/**
 * Builds and registers a loss factory from a definition. Every built-in loss is made this way, so a
 * user's loss gets the same validation, weights, masks, reductions, config and registry.
 *
 * Options are declared in one of two styles:
 * - **specs alone** (quickest, for your own losses): `options: { scale: option.number(2) }`; the
 *   factory's option type and the resolved `{ scale: number }` the math receives are read off the specs;
 * - **an interface** (how the built-in losses do it, so that editors show each option's doc and
 *   default): declare `interface ScaledAbsOptions extends BaseLossOptions { /** … @defaultValue 2 *\/ scale?: number }`
 *   and call `defineLoss<ScaledAbsOptions>({ … })`. The specs are then checked against the interface
 *   (`OptionSpecsFor<ScaledAbsOptions>`: a missing or extra option, or a default of the wrong type, is a
 *   compile error), the math receives `ResolvedOptions<ScaledAbsOptions>`, and the factory's type is
 *   `LossFactory<ScaledAbsOptions>`, i.e. `(options?: ScaledAbsOptions) => Loss`. Options without a
 *   default (specs such as `option.optionalInteger()`) are named in the second type argument:
 *   `defineLoss<MyOptions, 'ignoreIndex'>`.
 *
 * Annotated as free of side effects for bundlers: the registration is one, but a factory nobody
 * references can go, and `losses.get` keeps every built-in (see src/losses/index.ts).
 *
 * @example
 * const scaledAbs = defineLoss({
 *   name: 'scaledAbs', layout: 'elementwise', options: { scale: option.number(2, { min: 0 }) },
 *   compute: (yTrue, yPred, { scale }) => tf.mul(scale, tf.abs(tf.sub(yTrue, yPred))),
 * });
 * scaledAbs()(tf.tensor2d([[1]]), tf.tensor2d([[4]])); // 2 · |1 − 4| = 6
 */
export function defineLoss<S extends OptionSpecs = {}>(definition: LossDefinition<S>): LossFactory<OptionsOf<S>, UnsetOptions<S>>;
export function defineLoss<O extends BaseLossOptions, Unset extends keyof O = never>(
  definition: LossDefinition<OptionSpecsFor<O, Unset>, ResolvedOptions<O, Unset>>,
): LossFactory<O, Unset>;
/* @__NO_SIDE_EFFECTS__ */
export function defineLoss<S extends OptionSpecs = {}>(definition: LossDefinition<S>): LossFactory<OptionsOf<S>, UnsetOptions<S>> {
  checkDefinition(definition);
  const specs = { ...(definition.options ?? {}), reduction: REDUCTION_OPTION } as S & { reduction: OptionSpec<Reduction> };
  const factory = ((options?: OptionsOf<S>) => {
    const resolved = resolveOptions(definition.name, specs, options as Record<string, unknown> | undefined);
    return makeLoss(definition, resolved);
  }) as LossFactory<OptionsOf<S>, UnsetOptions<S>>;
  Object.defineProperty(factory, 'name', { value: definition.name });
  Object.defineProperty(factory, 'lossName', { value: definition.name, enumerable: true });
  Object.defineProperty(factory, 'optionSpecs', { value: Object.freeze({ ...specs }), enumerable: true });
  register(factory as unknown as LossFactory, { aliases: definition.aliases, replace: definition.replace });
  return factory;
}

function checkDefinition<S extends OptionSpecs>(definition: LossDefinition<S>): void {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(definition?.name ?? '')) {
    throw new LossInputError('defineLoss', 'definition.name', 'an identifier such as "myLoss"', describeValue(definition?.name));
  }
  const name = definition.name;
  if (!LAYOUTS.includes(definition.layout)) {
    throw new LossInputError(name, 'definition.layout', LAYOUTS.map((l) => `'${l}'`).join(', '), describeValue(definition.layout));
  }
  if (typeof definition.compute !== 'function') {
    throw new LossInputError(name, 'definition.compute', 'a function (yTrue, yPred, options, call) => Tensor', describeValue(definition.compute));
  }
  for (const reserved of ['name', 'reduction']) {
    if (definition.options && reserved in definition.options) {
      throw new LossInputError(name, `definition.options.${reserved}`, 'an option name other than name and reduction (both are provided)', 'a reserved name');
    }
  }
}

function makeLoss<S extends OptionSpecs>(
  definition: LossDefinition<S>,
  options: OptionValues<S> & { reduction: Reduction },
): Loss<OptionValues<S>> {
  const name = definition.name;
  const allowedCall = new Set([...CALL_ENTRIES, ...(definition.callEntries ?? [])]);
  const state = definition.variables ? createVariables(name, definition.variables(options)) : undefined;

  const loss = (yTrue: TensorInput, yPred: TensorInput, call: LossCall = {}): tf.Tensor =>
    releasingTapeOnThrow(() =>
      tf.tidy(name, () => {
        if (typeof call !== 'object' || call === null) {
          throw new LossInputError(name, 'call', 'an object { sampleWeight?, mask?, where?, … } or undefined', describeValue(call));
        }
        for (const entry of Object.keys(call)) {
          if (!allowedCall.has(entry) && call[entry] !== undefined) {
            throw new LossInputError(name, `call.${entry}`, `one of ${[...allowedCall].join(', ')}`, 'an unknown entry');
          }
        }
        const owns = OWNS_REDUCTION in definition.compute;
        const checks = new PendingChecks(name, valueChecksEnabled() && owns);
        const inputs = prepareInputs(definition, options, yTrue, yPred, call, checks);
        // Every value check runs before the first op of the math (see releasingTapeOnThrow), or in
        // the same pass as a fused kernel's math (see DeferredChecks).
        const sampleWeight = call.sampleWeight === undefined ? undefined : toTensor(name, 'call.sampleWeight', call.sampleWeight);
        if (sampleWeight) checkValues(name, 'call.sampleWeight', sampleWeight, 'nonNegative');
        const mask = call.mask === undefined ? undefined : toTensor(name, 'call.mask', call.mask);
        if (mask) checkValues(name, 'call.mask', mask, 'mask');

        const batchedWeight = sampleWeight && batchOf(sampleWeight, inputs.unbatched);
        const batchedMask = mask && batchOf(mask, inputs.unbatched);
        const nonEmpty = inputs.yPred.shape[0] !== 0;
        // call.where: per-element for elementwise/custom (the math returns per-element values and the
        // excluded ones are dropped), per-position for dense/sparse/region (like a mask).
        const elementWhere = nonEmpty ? inputs.elementWhere : undefined;
        const sampleWhere = nonEmpty ? inputs.sampleWhere : undefined;
        /** The composite rest of the path: per-sample losses × weights × mask (and where), reduced. */
        const finish = (out: tf.Tensor | PerSample, weight = batchedWeight, valid = batchedMask): { result: tf.Tensor; losses: tf.Tensor } => {
          const perSample = out instanceof tf.Tensor ? { loss: out } : out;
          let losses = perSample.loss;
          const valids = [perSample.valid];
          if (elementWhere) {
            const perElement = excludeElements(name, losses, elementWhere);
            losses = perElement.loss;
            valids.push(perElement.valid);
          } else if (definition.layout === 'elementwise' && losses.rank >= 2) {
            losses = tf.div(pairwiseSum(losses), losses.shape[losses.rank - 1]!);
          }
          if (losses.dtype !== 'float32') losses = tf.cast(losses, 'float32');
          if (sampleWhere) valids.push(alignToLossShape(name, 'call.where', sampleWhere, losses.shape));
          valids.push(valid && alignToLossShape(name, 'call.mask', valid, losses.shape));
          const factors = [perSample.weight, weight && alignToLossShape(name, 'call.sampleWeight', weight, losses.shape)].filter((t) => t !== undefined);
          const present = valids.filter((t) => t !== undefined);
          const product = (ts: tf.Tensor[]) => (ts.length === 0 ? undefined : ts.reduce((a, b) => tf.mul(a, b)));
          return { result: reduce(losses, { weight: product(factors), valid: product(present) }, options.reduction), losses };
        };
        let result: tf.Tensor;
        let perSampleLosses: () => tf.Tensor;
        if (!nonEmpty) {
          checks.run();
          ({ result } = finish(emptyLosses(definition.layout, inputs.yTrue, inputs.yPred)));
          perSampleLosses = () => result;
        } else {
          const context: ComputeContext = {
            reduction: options.reduction,
            sampleWeight: batchedWeight,
            mask: batchedMask,
            align: (argument, w, lossShape) => alignToLossShape(name, argument, w, lossShape),
            finish: (out, weight, valid) => finish(out, weight, valid).result,
            checks,
            state: state ?? NO_STATE,
            where: inputs.where,
          };
          const run = () => definition.compute(inputs.yTrue, inputs.yPred, options, call, context);
          // Under call.where the fused kernels (which reduce per sample and own the reduction) stand aside.
          const out = elementWhere || sampleWhere ? requiringPerElementValues(run) : run();
          checks.run(); // a no-op unless a fused compute neither checked nor ran them
          if (isReduced(out)) {
            result = out.reduced;
            perSampleLosses = out.perSample;
          } else {
            const finished = finish(out);
            result = finished.result;
            perSampleLosses = () => finished.losses;
          }
        }
        if (finiteLoss(definition, options)) checkFiniteResult(name, result, perSampleLosses, sampleWeight !== undefined);
        return result;
      }),
    );

  Object.defineProperty(loss, 'name', { value: name });
  Object.defineProperty(loss, 'options', { value: options, enumerable: true });
  Object.defineProperty(loss, 'getConfig', { value: () => toConfig(name, options), enumerable: true });
  if (state) {
    Object.defineProperty(loss, 'variables', { value: state, enumerable: true });
    Object.defineProperty(loss, 'dispose', { value: () => Object.values(state).forEach((v) => v.isDisposed || v.dispose()), enumerable: true });
  }
  return loss as Loss<OptionValues<S>>;
}

const NO_STATE: LossVariables = Object.freeze({});
/** Losses with state made so far: their variables' names are `<loss><n>/<key>`, unique in the tfjs engine. */
let statefulLosses = 0;

/** Trainable tf.Variables holding `initial` (the tensors are taken over: disposed once copied). */
function createVariables(name: string, initial: Record<string, tf.Tensor>): LossVariables {
  const id = statefulLosses++;
  const state: Record<string, tf.Variable> = {};
  for (const [key, value] of Object.entries(initial)) {
    state[key] = tf.variable(value, true, `${name}${id}/${key}`, 'float32');
    value.dispose();
  }
  return Object.freeze(state);
}

/**
 * The value checks of yTrue and yPred (with the `finite` rule of the Loss contract): run at once
 * (`add`), or, when `deferred`, kept for a fused kernel (see DeferredChecks).
 */
class PendingChecks implements DeferredChecks {
  private readonly waiting = new Map<CheckedArgument, { tensor: tf.Tensor; rule: ValueRule }>();

  constructor(private readonly name: string, private readonly deferred: boolean) {}

  add(argument: CheckedArgument, tensor: tf.Tensor, rule: ValueRule): void {
    if (this.deferred && tensor.size > 0) this.waiting.set(argument, { tensor, rule });
    else checkValues(this.name, argument, tensor, rule, { finite: true });
  }

  pending(argument: CheckedArgument): ValueRule | undefined {
    return this.waiting.get(argument)?.rule;
  }

  run(argument?: CheckedArgument): void {
    for (const arg of argument ? [argument] : (['yTrue', 'yPred'] as const)) {
      const check = this.waiting.get(arg);
      if (!check) continue;
      this.waiting.delete(arg);
      checkValues(this.name, arg, check.tensor, check.rule, { finite: true });
    }
  }

  done(argument: CheckedArgument): void {
    this.waiting.delete(argument);
  }
}

/**
 * The ranks of a batched yTrue and yPred per layout (labels: `definition.batchedRanks` or labels [B]
 * and embeddings [B, D]; custom: `definition.batchedRanks`, when the loss declares them; region: none,
 * a class map always has its batch axis). Both one axis short is one example without its batch axis.
 */
function batchedRanks<S extends OptionSpecs>(definition: LossDefinition<S>): BatchedRanks | undefined {
  const ranks: Record<Layout, BatchedRanks | undefined> = {
    elementwise: { yTrue: 1, yPred: 1 },
    dense: { yTrue: 2, yPred: 2 },
    sparse: { yTrue: 1, yPred: 2 },
    labels: definition.batchedRanks ?? { yTrue: 1, yPred: 2 },
    region: undefined,
    custom: definition.batchedRanks,
  };
  return ranks[definition.layout];
}

/** The inputs `compute` receives, and what `call.where` became in the loss's terms. */
interface PreparedInputs {
  yTrue: tf.Tensor;
  yPred: tf.Tensor;
  unbatched: boolean;
  /** `region`: the per-entry mask handed to compute ([B, S, 1] or [B, S, C]). */
  where?: tf.Tensor;
  /** `elementwise` with `call.where`: the mask in yPred's shape, applied to compute's per-element values. */
  elementWhere?: tf.Tensor;
  /** dense, sparse, region with `call.where`: 0 for samples (positions) with no entry left; out of every count. */
  sampleWhere?: tf.Tensor;
}

/** Converts and validates yTrue, yPred and call.where per the layout; moves the class axis last for dense/sparse/region. */
function prepareInputs<S extends OptionSpecs>(
  definition: LossDefinition<S>,
  options: OptionValues<S>,
  yTrueIn: TensorInput,
  yPredIn: TensorInput,
  call: LossCall,
  checks: PendingChecks,
): PreparedInputs {
  const name = definition.name;
  const layout = definition.layout;
  const rules = typeof definition.values === 'function' ? definition.values(options) : definition.values ?? {};
  // The options the wrapper itself reads, when the loss declares them.
  const { axis, classWeight, ignoreIndex, mode } = options as Record<string, OptionValue>;
  let yPred = toTensor(name, 'yPred', yPredIn);
  // Integer targets are read as float32 first, so that 2.7 is reported rather than truncated to 2
  // (sparse labels are checked and cast below, with their class range).
  let yTrue = toTensor(name, 'yTrue', yTrueIn);
  // The unbatched rule (Keras): one axis short of a batch is one example, given a batch axis of 1.
  const ranks = batchedRanks(definition);
  // (An empty yPred is an empty batch, never an example: `[]` is not one example without classes.)
  const unbatched = ranks !== undefined && yPred.size > 0 && yPred.rank === ranks.yPred - 1 && yTrue.rank === ranks.yTrue - 1;
  if (unbatched) {
    yPred = tf.expandDims(yPred, 0);
    yTrue = tf.expandDims(yTrue, 0);
  }
  if (definition.yTrueDtype === 'int32' && layout !== 'sparse') {
    checkValues(name, 'yTrue', yTrue, 'integer', { finite: true });
    yTrue = tf.cast(yTrue, 'int32');
  }
  checkRank(name, 'yPred', yPred, layout === 'sparse' || layout === 'region' ? 2 : 1);
  checkRank(name, 'yTrue', yTrue, 1);

  let region: RegionShape | undefined;
  const regionOptions = {
    mode: (typeof mode === 'string' ? mode : definition.regionMode) ?? 'binary',
    axis: typeof axis === 'number' ? axis : -1,
    classWeight: Array.isArray(classWeight) ? classWeight : undefined,
    ignoreIndex: typeof ignoreIndex === 'number' ? ignoreIndex : undefined,
  } as RegionOptions;
  if (layout === 'elementwise' || layout === 'dense') checkSameShape(name, yTrue, yPred);
  if (layout === 'labels') checkLabels(name, yTrue, yPred, batchedRanks(definition)!.yPred, definition.yPredShape);
  if (layout === 'region') region = checkRegion(name, yTrue, yPred, regionOptions, rules.yTrue ?? 'binary');
  const where = call.where === undefined ? undefined : toWhere(name, layout, call.where, yPred.shape);
  definition.validate?.(yTrue, yPred, options, call);
  // An empty batch is a batch (its loss is 0); an empty axis after the batch axis is not an input.
  if (yPred.size === 0 && yPred.shape[0] !== 0) {
    throw new LossInputError(name, 'yPred', 'no empty axis after the batch axis (an empty batch [0, …] is fine)', `shape ${formatShape(yPred.shape)}`);
  }
  if (yTrue.shape[0] !== yPred.shape[0] && yTrue.rank >= 1) {
    throw new LossInputError(name, 'yTrue', `a batch axis of ${yPred.shape[0]} (yPred's)`, `shape ${formatShape(yTrue.shape)}`);
  }

  let classAxes = [yPred.rank - 1];
  if (layout === 'dense') classAxes = resolveAxes(name, Array.isArray(axis) ? axis : typeof axis === 'number' ? axis : -1, yPred.rank);
  if (layout === 'sparse') classAxes = [resolveAxis(name, typeof axis === 'number' ? axis : -1, yPred.rank)];
  if (layout === 'sparse') yTrue = alignSparseLabels(name, yTrue, yPred.shape, classAxes[0]!);

  const numClasses = classAxes.reduce((n, a) => n * yPred.shape[a]!, 1);
  // Labels, region and custom layouts check classWeight against their own class axis (or have none).
  if ((layout === 'dense' || layout === 'sparse') && Array.isArray(classWeight) && classWeight.length !== numClasses) {
    const what = classAxes.length > 1 ? `the product of the sizes of yPred's axes ${formatShape(classAxes)}` : "the size of yPred's class axis";
    throw new LossInputError(name, 'options.classWeight', `one weight per class (${numClasses}, ${what})`, `${classWeight.length} weights`);
  }

  // Whatever a loss's own rules, yTrue and yPred hold finite numbers (the non-finite rule of the Loss contract).
  if (layout === 'labels') {
    // The label rules ('classLabel', 'sign') admit finite values only, and name the labels in their message.
    checkValues(name, 'yTrue', yTrue, rules.yTrue ?? 'classLabel');
    checkLabelColumns(name, yTrue);
  } else {
    const yTrueRule: ValueRule =
      layout === 'sparse'
        ? { classIndex: numClasses, ignoreIndex: typeof ignoreIndex === 'number' ? ignoreIndex : undefined }
        : region?.yTrueRule ?? rules.yTrue ?? 'finite';
    checks.add('yTrue', yTrue, yTrueRule);
  }
  checks.add('yPred', yPred, rules.yPred ?? 'any');

  if (layout === 'labels') return { yTrue: labelVector(yTrue), yPred, unbatched };
  if (layout === 'region') return { ...regionInputs(yTrue, yPred, region!, regionOptions.ignoreIndex, where), unbatched };
  if (layout === 'elementwise' || layout === 'custom') return { yTrue, yPred, unbatched, elementWhere: where };

  if (layout === 'sparse') yTrue = tf.cast(yTrue, 'int32');
  const toClassesLast = (x: tf.Tensor) => classesLast(x, classAxes);
  yPred = toClassesLast(yPred);
  if (layout === 'dense') yTrue = toClassesLast(yTrue);
  return { yTrue, yPred, unbatched, sampleWhere: where && perPositionWhere(name, toClassesLast(where)) };
}

/**
 * `call.where` as float 0/1 in yPred's shape. The labels and custom layouts have no per-element
 * structure the wrapper can mask (a distance or an alignment mixes every entry): a LossInputError.
 */
function toWhere(name: string, layout: Layout, whereIn: TensorInput, predShape: readonly number[]): tf.Tensor {
  if (layout === 'labels' || layout === 'custom') {
    throw new LossInputError(name, 'call.where', `no where mask: ${name} mixes every entry of a sample (exclude whole samples with call.mask)`, 'a where mask');
  }
  const where = toTensor(name, 'call.where', whereIn);
  checkValues(name, 'call.where', where, 'mask');
  return broadcastWhere(name, where, predShape);
}

/** Moves `axes` last (in the order given) and flattens them into one axis: [B, C, L] with axes [1] → [B, L, C]. */
function classesLast(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const order = [...Array(x.rank).keys()].filter((i) => !axes.includes(i));
  order.push(...axes);
  const moved = order.every((a, i) => a === i) ? x : tf.transpose(x, order);
  if (axes.length === 1) return moved;
  const rest = moved.shape.slice(0, x.rank - axes.length);
  return tf.reshape(moved, [...rest, axes.reduce((n, a) => n * x.shape[a]!, 1)]);
}

/**
 * dense and sparse: a where mask (class axis last) must not split a position's classes (every class
 * enters the position's normalization); it excludes whole positions: [B, …, C] → [B, …].
 */
function perPositionWhere(name: string, where: tf.Tensor): tf.Tensor {
  const kept = tf.max(where, -1);
  if (valueChecksEnabled() && where.size > 0 && tf.any(tf.notEqual(kept, tf.min(where, -1))).dataSync()[0]) {
    throw new LossInputError(name, 'call.where', "the same value along the class axis (this loss excludes whole positions, not single classes)", 'a mask that differs across classes');
  }
  return kept;
}

/** region: yTrue and yPred as [B, S, C], the targets one-hot, and the pixels to leave out. */
function regionInputs(yTrue: tf.Tensor, yPred: tf.Tensor, shape: RegionShape, ignoreIndex: number | undefined, where?: tf.Tensor): Omit<PreparedInputs, 'unbatched'> {
  if (yPred.shape[0] === 0) return { yTrue, yPred };
  const { target, keep } = regionTargets(yTrue, yPred.shape, shape, ignoreIndex);
  const excluded = where && toPixelsByClass(where, shape.classAxis);
  const combined = keep && excluded ? tf.mul(keep, excluded) : keep ?? excluded;
  return {
    yTrue: target,
    yPred: toPixelsByClass(yPred, shape.classAxis),
    where: combined,
    sampleWhere: excluded && tf.max(excluded, [1, 2]),
  };
}

/**
 * elementwise with `call.where`: compute's per-element values with the excluded entries set to 0 (a
 * `where`, so that their gradient is 0 and a non-finite value there does no harm), averaged over the
 * kept entries of the last axis; a sample with no kept entry is 0 and left out of every count.
 */
function excludeElements(name: string, losses: tf.Tensor, where: tf.Tensor): { loss: tf.Tensor; valid: tf.Tensor } {
  if (!sameShape(losses.shape, where.shape)) {
    throw new LossInputError(name, 'call.where', `a loss whose math returns per-element values of yPred's shape ${formatShape(where.shape)}`, `values of shape ${formatShape(losses.shape)}`);
  }
  const kept = tf.where(tf.equal(where, 0), tf.zerosLike(losses), losses);
  if (losses.rank < 2) return { loss: kept, valid: where };
  const count = pairwiseSum(where);
  return { loss: tf.div(pairwiseSum(kept), nonZeroDenominator(count)), valid: tf.cast(tf.greater(count, 0), 'float32') };
}

/**
 * The per-sample losses of an empty batch: zeros in the per-sample shape ([0], [0, L]…), computed
 * from yPred so that the gradient (empty) reaches it. No loss's math runs on an empty batch.
 */
function emptyLosses(layout: Layout, yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const shape =
    layout === 'custom' || layout === 'labels' || layout === 'region'
      ? [0]
      : layout === 'sparse'
        ? yTrue.shape
        : layout === 'dense' || yPred.rank >= 2
          ? yPred.shape.slice(0, -1)
          : yPred.shape;
  return tf.reshape(tf.reshape(yPred, [0]), shape);
}

function finiteLoss<S extends OptionSpecs>(definition: LossDefinition<S>, options: OptionValues<S>): boolean {
  const { finite } = definition;
  return finite === undefined || (typeof finite === 'function' ? finite(options) : finite);
}

/** A sample weight or mask given with one unbatched example gets the example's batch axis too. */
function batchOf(w: tf.Tensor, unbatched: boolean): tf.Tensor {
  return unbatched && w.rank >= 1 ? tf.expandDims(w, 0) : w;
}

/**
 * With value checks on, a loss never returns a non-finite value: inputs whose loss overflows float32
 * (e.g. squared errors of values beyond ~1.8e19) are a LossInputError naming yPred, or
 * call.sampleWeight when the unweighted losses were finite.
 */
function checkFiniteResult(name: string, result: tf.Tensor, perSampleLosses: () => tf.Tensor, weighted: boolean): void {
  if (!valueChecksEnabled() || result.size === 0) return;
  const values = result.dataSync();
  if (values.every(Number.isFinite)) return;
  const losses = perSampleLosses();
  const perSample = losses.dataSync();
  const bad = perSample.findIndex((v) => !Number.isFinite(v));
  if (bad < 0 && weighted) {
    throw new LossInputError(name, 'call.sampleWeight', 'weights whose weighted loss is finite in float32', 'a weighted loss that overflows');
  }
  const where = bad < 0 ? 'the reduced loss' : `the loss of sample ${formatShape(unravel(bad, losses.shape))}`;
  throw new LossInputError(name, 'yPred', 'inputs whose loss is finite in float32', `${where} = ${bad < 0 ? values.find((v) => !Number.isFinite(v)) : perSample[bad]} (overflow)`);
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(flat % shape[i]!);
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

interface TapeNode {
  saved?: tf.Tensor[];
}

/**
 * Runs `f`; if it throws inside tf.grad / tf.valueAndGrad, releases what it recorded on the gradient
 * tape. tfjs keeps a clone of each tensor a recorded op saves for its backward pass and frees them
 * only after a completed backward pass, so an error thrown inside the forward pass would leak them
 * (37 tensors per call before this). Uses tfjs' engine state (`state.activeTape`), and does nothing
 * when it is not there.
 */
function releasingTapeOnThrow<T>(f: () => T): T {
  const state = (tf.engine() as unknown as { state?: { activeTape?: TapeNode[] | null } }).state;
  const tape = state?.activeTape;
  const start = Array.isArray(tape) ? tape.length : 0;
  try {
    return f();
  } catch (e) {
    if (Array.isArray(tape) && state?.activeTape === tape && tape.length > start) {
      for (const node of tape.splice(start)) tf.dispose(node.saved ?? []);
    }
    throw e;
  }
}

/** Sparse labels are yPred's shape without the class axis; a size-1 class axis ([B, 1]) is accepted too. */
function alignSparseLabels(name: string, labels: tf.Tensor, predShape: readonly number[], classAxis: number): tf.Tensor {
  const expected = predShape.filter((_, i) => i !== classAxis);
  if (sameShape(labels.shape, expected)) return labels;
  if (labels.rank === predShape.length && labels.shape[classAxis] === 1) {
    const squeezed = tf.squeeze(labels, [classAxis]);
    if (sameShape(squeezed.shape, expected)) return squeezed;
  }
  throw new LossInputError(
    name,
    'yTrue',
    `class indices of shape ${formatShape(expected)} (yPred's shape ${formatShape(predShape)} without class axis ${classAxis})`,
    `shape ${formatShape(labels.shape)}`,
  );
}

