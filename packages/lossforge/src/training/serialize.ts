/**
 * `saveModel` / `loadModel`: a model's loss, metrics and optimizer (config and state) travel with its
 * topology and weights, so a loaded model is compiled and continues training with the same loss.
 *
 * tfjs-layers cannot do this for function losses: `getTrainingConfig` throws "Serialization of
 * non-string loss is not supported", and a loaded model comes back uncompiled (tensorflow/tfjs
 * #3410, #8179, #2961). lossforge writes the loss configs (`loss.getConfig()`) and the optimizer's
 * class and config into the artifacts' `userDefinedMetadata.lossforge`, and the optimizer's state
 * (e.g. Adam's moments) as weights of group `'optimizer'`, the way tfjs stores them. Loading rebuilds
 * each loss through the registry, so a `defineLoss` loss only needs its module imported first.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { describeValue, LossInputError } from '../core/errors.js';
import type { Loss, LossConfig } from '../core/loss.js';
import * as option from '../core/options.js';
import { fromConfig } from '../losses/index.js';
import { combine } from '../compose/combine.js';
import { fromConfig as penaltyFromConfig } from '../penalties/penalty.js';
import { withPenalties, type PenalizedLossConfig } from '../penalties/withPenalties.js';
import { compileLoss } from './compileLoss.js';
import { MATCHED_ACCURACY } from '../metrics/index.js';
import { checkModel, lossforgeLossOf, type TrainableModel } from './model.js';

/** The metadata key lossforge writes into `userDefinedMetadata`. */
export const METADATA_KEY = 'lossforge';
const FORMAT_VERSION = 1;

/**
 * A serialized loss: a lossforge config (`adapter` when compiled through `compileLoss`; `state`: the
 * names of the saved weights holding its trainable variables, by key), or a tfjs loss name.
 */
export type LossEntry = { lossforge: LossConfig; adapter?: boolean; state?: Record<string, string> } | { tfjs: string };
type Nested<T> = T | T[] | { [outputName: string]: T };

/** What `saveModel` stores under `userDefinedMetadata.lossforge`. */
export interface TrainingMetadata {
  version: number;
  loss?: Nested<LossEntry>;
  metrics?: Nested<LossEntry>;
  /** Function metrics that could not be serialized (neither a lossforge Loss nor a name). */
  droppedMetrics?: string[];
  optimizer?: { className: string; config: Record<string, unknown> };
}

export interface SaveModelOptions {
  /** Store the optimizer's state (moments, iteration count) too (default true). */
  includeOptimizer?: boolean;
}

export interface LoadModelOptions {
  /** Compile the loaded model with the stored loss, metrics and optimizer (default true). */
  compile?: boolean;
  /** A loss to compile with instead of the stored one. */
  loss?: Loss | Loss[] | { [outputName: string]: Loss };
  /** Passed to tfjs-layers: fail on weights that do not match the topology (default true). */
  strict?: boolean;
}

/**
 * What `loadModel` returns: a tfjs-layers `LayersModel` (`predict`, `evaluate`, `summary`, `fit`…
 * type-check). A type-only import: tfjs-layers is still loaded lazily, by `loadModel` itself.
 */
export type LoadedModel = LayersModel;

const SAVE_OPTIONS = { includeOptimizer: option.boolean(true) };
const LOAD_OPTIONS = { compile: option.boolean(true), loss: option.checkedWhereUsed(), strict: option.boolean(true) };

/**
 * Saves topology, weights, loss, metrics and optimizer. `urlOrHandler`: any tfjs `IOHandler`
 * (`tf.io.withSaveHandler`, `tf.io.browserHTTPRequest`…) or a URL with a registered scheme
 * (`indexeddb://`, `localstorage://`, `downloads://`, `http(s)://`; `file://` in Node after importing
 * `lossforge/node`).
 * @example
 * // not run: indexeddb:// needs a browser (docs/training.md runs the Node version)
 * await saveModel(model, 'indexeddb://my-model');
 * const again = await loadModel('indexeddb://my-model'); // compiled, same loss and optimizer
 */
export async function saveModel(model: TrainableModel, urlOrHandler: string | tf.io.IOHandler, options: SaveModelOptions = {}): Promise<tf.io.SaveResult> {
  const tool = 'saveModel';
  checkModel(tool, model);
  const handler = resolveHandler(tool, urlOrHandler, 'save');
  const { includeOptimizer } = option.resolveOptions(tool, SAVE_OPTIONS, options as Record<string, unknown>);
  const lossState: Array<{ name: string; tensor: tf.Tensor }> = [];
  const metadata = trainingMetadata(tool, model, lossState);
  const optimizerWeights = includeOptimizer && model.optimizer ? await model.optimizer.getWeights() : [];
  const encodedOptimizer = optimizerWeights.length > 0 ? await tf.io.encodeWeights(optimizerWeights, 'optimizer') : undefined;
  // getWeights() returns the slot variables themselves plus fresh tensors (the iteration count).
  tf.dispose(optimizerWeights.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
  // The losses' trainable state goes last, so that loading can drop it before tfjs-layers reads the rest.
  const encodedState = lossState.length > 0 ? await tf.io.encodeWeights(lossState) : undefined;
  const extra = [encodedOptimizer, encodedState].filter((e) => e !== undefined);
  const wrapper: tf.io.IOHandler = {
    save: (artifacts) => {
      const user = { ...(artifacts.userDefinedMetadata ?? {}), [METADATA_KEY]: metadata };
      const out: tf.io.ModelArtifacts = { ...artifacts, userDefinedMetadata: user };
      if (extra.length > 0) {
        out.weightSpecs = [...(artifacts.weightSpecs ?? []), ...extra.flatMap((e) => e.specs)];
        out.weightData = tf.io.CompositeArrayBuffer.join([...toBuffers(artifacts.weightData), ...extra.map((e) => e.data)]);
      }
      return handler.save!(out);
    },
  };
  return model.save(wrapper, { includeOptimizer: false });
}

/**
 * Loads a model saved by `saveModel` (or by tfjs) and, unless `compile: false`, compiles it with the
 * stored loss, metrics and optimizer state, ready to continue training. The restored optimizer belongs
 * to the model: `model.dispose()` disposes it.
 */
export async function loadModel(urlOrHandler: string | tf.io.IOHandler, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const tool = 'loadModel';
  const { compile, strict } = option.resolveOptions(tool, LOAD_OPTIONS, options as Record<string, unknown>);
  const handler = resolveHandler(tool, urlOrHandler, 'load');
  const artifacts = await handler.load!();
  const { metadata, rest } = splitMetadata(tool, artifacts.userDefinedMetadata);
  const stateNames = new Set(metadata?.loss === undefined ? [] : stateWeightNames(metadata.loss));
  // The losses' state is stored last (see saveModel): without its specs, the offsets of the rest hold.
  const layersSpecs = artifacts.weightSpecs?.filter((s) => !stateNames.has(s.name));
  const tfl = await import('@tensorflow/tfjs-layers');
  const model = (await tfl.loadLayersModel(tf.io.fromMemory({ ...artifacts, weightSpecs: layersSpecs, userDefinedMetadata: rest }), { strict })) as unknown as LoadedModel;
  if (!compile || !metadata || (metadata.loss === undefined && options.loss === undefined)) return model;
  const loss = options.loss ?? withDecodedState(artifacts, stateNames, (state) => deserializeNested(tool, 'loss', metadata.loss!, model, state));
  const metrics = metadata.metrics === undefined ? undefined : deserializeNested(tool, 'metrics', metadata.metrics, model, {});
  const optimizer = metadata.optimizer ? deserializeOptimizer(tool, metadata.optimizer) : 'adam';
  model.compile({ optimizer, loss: loss as never, ...(metrics === undefined ? {} : { metrics: metrics as never }) });
  // The optimizer was made here, so the model owns it: model.dispose() disposes it too.
  (model as unknown as { isOptimizerOwned: boolean }).isOptimizerOwned = true;
  await restoreOptimizerState(model, artifacts);
  return model;
}

/** The metadata `saveModel` writes for `model`; the losses' trainable state is pushed to `lossState`. */
function trainingMetadata(tool: string, model: TrainableModel, lossState: Array<{ name: string; tensor: tf.Tensor }>): TrainingMetadata {
  const metadata: TrainingMetadata = { version: FORMAT_VERSION };
  const compiled = model as TrainableModel & { metrics?: unknown };
  if (model.optimizer == null) return metadata;
  metadata.loss = mapNested(model.loss as unknown, (entry, where) => {
    const serialized = serializeLoss(tool, `model.loss${where}`, entry);
    const variables = lossforgeLossOf(entry)?.variables;
    if (!variables || !('lossforge' in serialized)) return serialized;
    const state = Object.fromEntries(Object.keys(variables).map((key) => [key, `lossforge/loss${where}/${key}`]));
    for (const [key, name] of Object.entries(state)) lossState.push({ name, tensor: variables[key]! });
    return { ...serialized, state };
  });
  if (compiled.metrics != null) {
    const dropped: string[] = [];
    const metrics = mapNested(compiled.metrics, (entry, where) => {
      try {
        return serializeLoss(tool, `model.metrics${where}`, entry);
      } catch {
        dropped.push(typeof entry === 'function' ? entry.name || 'anonymous' : String(entry));
        return undefined;
      }
    });
    metadata.metrics = metrics;
    if (dropped.length > 0) metadata.droppedMetrics = dropped;
  }
  metadata.optimizer = { className: model.optimizer.getClassName(), config: model.optimizer.getConfig() as Record<string, unknown> };
  return metadata;
}

function serializeLoss(tool: string, argument: string, entry: unknown): LossEntry {
  if (typeof entry === 'string') return { tfjs: entry };
  if (typeof entry === 'function' && (entry as unknown as Record<symbol, unknown>)[MATCHED_ACCURACY] === true) return { tfjs: 'accuracy' };
  const loss = lossforgeLossOf(entry);
  if (!loss) {
    throw new LossInputError(tool, argument, 'a lossforge Loss (built-in or defineLoss) or a loss name, which can be saved', `a plain function '${(entry as { name?: string })?.name || 'anonymous'}'`);
  }
  const config = loss.getConfig();
  return entry === loss ? { lossforge: config } : { lossforge: config, adapter: true };
}

/** Applies `fn` to a loss identifier, an array of them, or a map of them by output name. */
function mapNested<T>(value: unknown, fn: (entry: unknown, where: string) => T | undefined): Nested<T> {
  if (Array.isArray(value)) return value.map((v, i) => fn(v, `[${i}]`)).filter((v): v is T => v !== undefined);
  if (typeof value === 'object' && value !== null) {
    const out: { [key: string]: T } = {};
    for (const [key, v] of Object.entries(value)) {
      const mapped = fn(v, `.${key}`);
      if (mapped !== undefined) out[key] = mapped;
    }
    return out;
  }
  return fn(value, '') as T;
}

function isEntry(v: unknown): v is LossEntry {
  return typeof v === 'object' && v !== null && ('lossforge' in v || 'tfjs' in v);
}

/** The weight names of every loss's trainable state in the stored `loss` metadata. */
function stateWeightNames(value: Nested<LossEntry>): string[] {
  const entries = isEntry(value) ? [value] : Array.isArray(value) ? value : typeof value === 'object' && value !== null ? Object.values(value) : [];
  return entries.flatMap((e) => (isEntry(e) && 'lossforge' in e && typeof e.state === 'object' && e.state !== null ? Object.values(e.state) : []));
}

/** Runs `fn` with the stored tensors named in `names` (decoded from the artifacts), then frees them. */
function withDecodedState<T>(artifacts: tf.io.ModelArtifacts, names: Set<string>, fn: (state: tf.NamedTensorMap) => T): T {
  if (names.size === 0 || artifacts.weightData == null) return fn({});
  const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs ?? []);
  try {
    return fn(Object.fromEntries(Object.entries(decoded).filter(([name]) => names.has(name))));
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

function deserializeNested(tool: string, argument: string, value: Nested<LossEntry>, model: TrainableModel, state: tf.NamedTensorMap): unknown {
  if (isEntry(value)) return deserializeLoss(tool, argument, value, model, state);
  if (Array.isArray(value)) return value.map((v, i) => deserializeLoss(tool, `${argument}[${i}]`, v, model, state));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deserializeLoss(tool, `${argument}.${k}`, v, model, state)]));
  }
  throw new LossInputError(tool, `userDefinedMetadata.${METADATA_KEY}.${argument}`, 'a serialized loss', describeValue(value));
}

function deserializeLoss(tool: string, argument: string, entry: LossEntry, model: TrainableModel, state: tf.NamedTensorMap = {}): unknown {
  if (!isEntry(entry)) throw new LossInputError(tool, `userDefinedMetadata.${METADATA_KEY}.${argument}`, 'a serialized loss', describeValue(entry));
  if ('tfjs' in entry) return entry.tfjs;
  let loss: Loss;
  try {
    loss = rebuildLoss(entry.lossforge, model);
  } catch (e) {
    const name = describeValue(entry.lossforge?.name);
    throw new LossInputError(
      tool,
      argument,
      `a loss registered under ${name}: import the module that defines it (defineLoss) before loading`,
      (e as Error).message,
    );
  }
  if (entry.state) restoreLossState(tool, argument, loss, entry.state, state);
  return entry.adapter ? compileLoss(loss) : loss;
}

/** Assigns the stored values to a rebuilt loss's variables (`stored`: weight name by variable key). */
function restoreLossState(tool: string, argument: string, loss: Loss, stored: Record<string, string>, state: tf.NamedTensorMap): void {
  const variables = loss.variables ?? {};
  for (const [key, weightName] of Object.entries(stored)) {
    const variable = variables[key];
    const value = state[weightName];
    if (!variable || !value || !tf.util.arraysEqual(variable.shape, value.shape)) {
      throw new LossInputError(
        tool,
        `${argument}.state.${key}`,
        `a stored weight '${weightName}' of shape [${variable?.shape.join(',') ?? '?'}] for the loss's variable '${key}'`,
        value ? `shape [${value.shape.join(',')}]` : variable ? 'no such weight in the artifacts' : `a loss without a variable '${key}' (${Object.keys(variables).join(', ') || 'none'})`,
      );
    }
    variable.assign(value);
  }
}

/**
 * A loss from its config: registered losses through the registry; the composite configs of
 * `combine` (one output's `{ name: 'weighted', weight, loss }`) and `withPenalties` (penalties on
 * `model`, the loaded model) by rebuilding the wrapper around the rebuilt inner loss.
 */
function rebuildLoss(config: LossConfig, model: TrainableModel): Loss {
  const c = config as unknown as Record<string, unknown>;
  if (c['name'] === 'weighted' && typeof c['weight'] === 'number' && typeof c['loss'] === 'object') {
    return combine([[rebuildLoss(c['loss'] as LossConfig, model), c['weight']]]).list[0]!;
  }
  if (c['name'] === 'withPenalties' && typeof c['loss'] === 'object' && Array.isArray(c['penalties'])) {
    // Not withPenalties.fromConfig: it rebuilds the inner loss through the registry only, and the
    // inner loss may itself be a composite (e.g. a weighted loss).
    const { loss, penalties } = config as unknown as PenalizedLossConfig;
    return withPenalties(rebuildLoss(loss, model), model as never, ...penalties.map(penaltyFromConfig));
  }
  return fromConfig(config);
}

function deserializeOptimizer(tool: string, stored: { className: string; config: Record<string, unknown> }): tf.Optimizer {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[stored.className];
  if (!registered) {
    throw new LossInputError(tool, 'optimizer', 'an optimizer class registered with tf.serialization', describeValue(stored.className));
  }
  const [cls, fromConfig] = registered;
  return fromConfig(cls, stored.config as tf.serialization.ConfigDict) as unknown as tf.Optimizer;
}

function splitMetadata(tool: string, user: unknown): { metadata?: TrainingMetadata; rest?: {} } {
  if (typeof user !== 'object' || user === null || !(METADATA_KEY in user)) return { rest: user as {} | undefined };
  const { [METADATA_KEY]: metadata, ...rest } = user as Record<string, unknown>;
  const m = metadata as TrainingMetadata;
  if (typeof m !== 'object' || m === null || typeof m.version !== 'number' || m.version > FORMAT_VERSION) {
    throw new LossInputError(tool, `userDefinedMetadata.${METADATA_KEY}`, `lossforge training metadata of version ≤ ${FORMAT_VERSION}`, describeValue(m?.version));
  }
  return { metadata: m, rest: Object.keys(rest).length > 0 ? rest : undefined };
}

async function restoreOptimizerState(model: TrainableModel, artifacts: tf.io.ModelArtifacts): Promise<void> {
  const specs = artifacts.weightSpecs ?? [];
  if (!specs.some((s) => s.group === 'optimizer') || artifacts.weightData == null) return;
  const decoded = tf.io.decodeWeights(artifacts.weightData, specs);
  const state = specs.filter((s) => s.group === 'optimizer').map((s) => ({ name: s.name, tensor: decoded[s.name]! }));
  try {
    await model.optimizer.setWeights(state);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

function toBuffers(data: tf.io.WeightData | undefined): ArrayBuffer[] {
  if (data === undefined) return [];
  return Array.isArray(data) ? data : [data];
}

function resolveHandler(tool: string, urlOrHandler: unknown, kind: 'save' | 'load'): tf.io.IOHandler {
  if (typeof urlOrHandler === 'string') {
    const handlers = kind === 'save' ? tf.io.getSaveHandlers(urlOrHandler) : tf.io.getLoadHandlers(urlOrHandler);
    if (handlers.length !== 1) {
      throw new LossInputError(
        tool,
        'urlOrHandler',
        "a URL with one registered scheme (indexeddb://, localstorage://, downloads://, http(s)://; file:// in Node after importing 'lossforge/node') or an IOHandler",
        `'${urlOrHandler}' (${handlers.length} handlers)`,
      );
    }
    return handlers[0]!;
  }
  if (typeof urlOrHandler !== 'object' || urlOrHandler === null || typeof (urlOrHandler as tf.io.IOHandler)[kind] !== 'function') {
    throw new LossInputError(tool, 'urlOrHandler', `a URL or an IOHandler with a ${kind}() method`, describeValue(urlOrHandler));
  }
  return urlOrHandler as tf.io.IOHandler;
}
