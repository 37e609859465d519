/**
 * The penalty mechanism: a weight penalty is a factory of options returning a callable that maps a
 * tensor, a list of tensors, or a model's trainable weights to a scalar. `definePenalty` validates
 * the options once (with the loss option specs of core/options), resolves the target, sums the
 * per-tensor penalties inside `tf.tidy`, and gives `name`, `options` and `getConfig()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import {
  resolveOptions,
  toConfig,
  type NamedConfig,
  type OptionSpecs,
  type OptionSpecsFor,
  type OptionValue,
  type OptionValues,
  type ResolvedOptions,
  type UnsetOptions,
} from '../core/options.js';

/** Anything with `read()` returning a tensor: a tfjs-layers `LayerVariable`. */
export interface Readable {
  read(): tf.Tensor;
}

/** A tfjs-layers model or layer (duck-typed): its `trainableWeights` are penalized. */
export interface HasTrainableWeights {
  readonly trainableWeights: readonly Readable[];
}

/** What a penalty applies to. */
export type PenaltyTarget = tf.Tensor | Readable | readonly (tf.Tensor | Readable)[] | HasTrainableWeights;

/** `penalty.getConfig()`: `{ name, ...options }`, plain JSON. */
export type PenaltyConfig = NamedConfig;

/** A weight penalty: `penalty(target)` is a scalar to add to the training loss. */
export interface Penalty<O = Record<string, OptionValue>> {
  (target: PenaltyTarget): tf.Scalar;
  readonly name: string;
  readonly options: Readonly<O>;
  /** `{ name, ...options }`: `penalties.fromConfig(config)` rebuilds an equal penalty. */
  getConfig(): PenaltyConfig;
}

/**
 * A penalty factory, `(options?: O) => Penalty`: `O` is the penalty's options interface (`L2Options`),
 * whose fields carry their docs and defaults; `Unset` names its options without a default.
 */
export interface PenaltyFactory<O extends object = Record<string, OptionValue>, Unset extends keyof O = never> {
  (options?: O): Penalty<ResolvedOptions<O, Unset>>;
  readonly penaltyName: string;
}

/** One weight tensor as the math sees it, with a label for error messages. */
export interface WeightEntry {
  tensor: tf.Tensor;
  /** e.g. `target[2]` or `trainableWeights[0] (dense_Dense1/kernel)`. */
  label: string;
  /** True when the tensor came from a model's trainableWeights (filters apply), false when given explicitly. */
  fromModel: boolean;
}

/** What `definePenalty` takes: `S` the type of the option specs, `R` the resolved options the math receives. */
export interface PenaltyDefinition<S extends OptionSpecs, R = OptionValues<S>> {
  name: string;
  options: S;
  /**
   * Which model weights the penalty applies to (explicitly given tensors are always penalized):
   * by default those of rank ≥ 2 (kernels, embeddings), plus rank < 2 ones (biases, norm scales)
   * when the resolved options have `includeBiases: true`.
   */
  appliesTo?: (entry: WeightEntry, options: R) => boolean;
  /** Extra checks of an explicitly given tensor (throw LossInputError). */
  check?: (entry: WeightEntry, options: R, fn: string) => void;
  /** The penalty of one tensor, a scalar. */
  compute(w: tf.Tensor, options: R, entry: WeightEntry, fn: string): tf.Tensor;
}

const factories = new Map<string, PenaltyFactory>();

const isReadable = (x: unknown): x is Readable =>
  typeof x === 'object' && x !== null && !(x instanceof tf.Tensor) && typeof (x as Readable).read === 'function';

const hasTrainableWeights = (x: unknown): x is HasTrainableWeights =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && Array.isArray((x as HasTrainableWeights).trainableWeights);

function readEntry(fn: string, item: unknown, label: string, fromModel: boolean): WeightEntry {
  const tensor = isReadable(item) ? item.read() : item;
  if (!(tensor instanceof tf.Tensor)) {
    throw new LossInputError(fn, label, 'a tensor or a weight with read()', describeValue(item));
  }
  if (tensor.isDisposed) throw new LossInputError(fn, label, 'a live tensor', 'a disposed tensor');
  if (tensor.dtype !== 'float32') throw new LossInputError(fn, label, 'a float32 tensor', `dtype ${tensor.dtype}`);
  return { tensor, label, fromModel };
}

/**
 * The weight tensors of a target: a tensor, a weight with `read()`, an array of either, or a model's
 * `trainableWeights` (read at call time, so the current values and their gradients are used).
 */
export function collectWeights(fn: string, target: unknown): WeightEntry[] {
  if (target instanceof tf.Tensor || isReadable(target)) return [readEntry(fn, target, 'target', false)];
  if (Array.isArray(target)) {
    if (target.length === 0) throw new LossInputError(fn, 'target', 'at least one tensor', 'an empty array');
    return target.map((item, i) => readEntry(fn, item, `target[${i}]`, false));
  }
  if (hasTrainableWeights(target)) return collectModelWeights(fn, target);
  throw new LossInputError(fn, 'target', 'a tensor, an array of tensors, or a model with trainableWeights', describeValue(target));
}

function collectModelWeights(fn: string, model: HasTrainableWeights): WeightEntry[] {
  return model.trainableWeights.map((w, i) => {
    const name = (w as { name?: unknown }).name;
    return readEntry(fn, w, `trainableWeights[${i}]${typeof name === 'string' ? ` (${name})` : ''}`, true);
  });
}

const defaultAppliesTo = (entry: WeightEntry, options: Record<string, unknown>): boolean =>
  !entry.fromModel || entry.tensor.rank >= 2 || options['includeBiases'] === true;

/**
 * Builds and registers a penalty factory. As with `defineLoss`, the options are declared by specs
 * alone (types read off them) or by an interface: `definePenalty<L2Options>({ … })` checks the specs
 * against it (`OptionSpecsFor<L2Options>`) and types the factory `PenaltyFactory<L2Options>`.
 */
export function definePenalty<S extends OptionSpecs>(definition: PenaltyDefinition<S>): PenaltyFactory<{ [K in keyof S]?: S[K]['default'] }, UnsetOptions<S>>;
export function definePenalty<O extends object, Unset extends keyof O = never>(
  definition: PenaltyDefinition<OptionSpecsFor<O, Unset>, ResolvedOptions<O, Unset>>,
): PenaltyFactory<O, Unset>;
export function definePenalty<S extends OptionSpecs>(definition: PenaltyDefinition<S>): PenaltyFactory<{ [K in keyof S]?: S[K]['default'] }, UnsetOptions<S>> {
  const fn = `penalties.${definition.name}`;
  const appliesTo = definition.appliesTo ?? defaultAppliesTo;
  const factory = ((given?: Record<string, unknown>) => {
    const options = resolveOptions(fn, definition.options, given);
    const penalty = (target: PenaltyTarget): tf.Scalar =>
      tf.tidy(() => {
        const entries = collectWeights(fn, target).filter((e) => appliesTo(e, options as never));
        let total: tf.Tensor = tf.scalar(0);
        for (const entry of entries) {
          if (!entry.fromModel) definition.check?.(entry, options, fn);
          total = tf.add(total, definition.compute(entry.tensor, options, entry, fn));
        }
        return total as tf.Scalar;
      });
    Object.defineProperty(penalty, 'name', { value: definition.name });
    Object.defineProperty(penalty, 'options', { value: options, enumerable: true });
    Object.defineProperty(penalty, 'getConfig', { value: () => toConfig(definition.name, options), enumerable: true });
    return penalty as Penalty<OptionValues<S>>;
  }) as unknown as PenaltyFactory<{ [K in keyof S]?: S[K]['default'] }, UnsetOptions<S>>;
  Object.defineProperty(factory, 'name', { value: definition.name });
  Object.defineProperty(factory, 'penaltyName', { value: definition.name, enumerable: true });
  factories.set(definition.name, factory as unknown as PenaltyFactory);
  return factory;
}

/** Rebuilds a penalty from `penalty.getConfig()`. */
export function fromConfig(config: PenaltyConfig): Penalty {
  if (typeof config !== 'object' || config === null || typeof config.name !== 'string') {
    throw new LossInputError('penalties', 'config', "an object with a string 'name' (from penalty.getConfig())", describeValue(config));
  }
  const { name, ...options } = config;
  const factory = factories.get(name);
  if (!factory) {
    throw new LossInputError('penalties', 'config.name', `one of ${[...factories.keys()].map((n) => `'${n}'`).join(', ')}`, `'${name}'`);
  }
  return factory(options as never) as Penalty;
}

/** True for a penalty made by a penalty factory (or anything with the same shape). */
export function isPenalty(x: unknown): x is Penalty {
  return typeof x === 'function' && typeof (x as Penalty).getConfig === 'function' && typeof (x as Penalty).name === 'string';
}

/** Shape text for error messages. */
export const shapeText = (t: tf.Tensor): string => `shape ${formatShape(t.shape)}`;
