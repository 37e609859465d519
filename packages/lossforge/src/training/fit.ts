/**
 * `fit` and `evaluate`: training and evaluation loops for tfjs-layers models compiled with lossforge
 * losses, with what tfjs-layers' own `model.fit` lacks (tensorflow/tfjs#25: "sample weight is not
 * supported yet"; class weights that assume per-sample losses):
 *
 * - `sampleWeight` and `classWeight` reach the loss as `call.sampleWeight`, so every lossforge loss
 *   applies them with its own reduction (default `mean`: Σ wᵢℓᵢ / n, Keras semantics);
 * - seeded shuffling (`seed`), so runs are reproducible on a deterministic backend;
 * - a History shaped like tfjs's (`history.history.loss`, `val_loss`, metric keys, `epoch`).
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { describeValue, LossInputError } from '../core/errors.js';
import * as option from '../core/options.js';
import type { Logs, TrainingCallback, TrainingParams } from './callbacks.js';
import {
  argName,
  batchSizeOf,
  classWeightsToSampleWeights,
  combineWeights,
  resolveClassWeights,
  resolveSampleWeights,
  toTensorList,
  type ClassWeightArg,
  type SampleWeightArg,
  type TensorOrList,
} from './data.js';
import { alignTarget, checkCompiled, forward, metricFunctions, outputLosses, trainableVariables, type LossFn, type OutputLoss, type TrainableModel } from './model.js';
import { multiTaskOption, multiTaskUpdate, type MultiTaskStrategy } from './multiTask.js';

export interface FitOptions {
  /** Number of epochs (default 1). */
  epochs?: number;
  /** Epoch to start from, for resumed training (default 0). */
  initialEpoch?: number;
  /** Samples per gradient step (default 32). */
  batchSize?: number;
  /** Per-sample weights ([N] or [N, …]; one for every output, or per output by array / output name). */
  sampleWeight?: SampleWeightArg;
  /** `{ classIndex: weight }` (per output for multi-output models); multiplied into the sample weights. */
  classWeight?: ClassWeightArg;
  /** Data to evaluate at the end of each epoch: `[x, y]` or `[x, y, sampleWeight]`. */
  validationData?: [TensorOrList, TensorOrList] | [TensorOrList, TensorOrList, SampleWeightArg];
  /** Fraction in [0, 1) of the samples (the last ones, before shuffling) held out for validation. */
  validationSplit?: number;
  /** Shuffle the training samples before each epoch (default true). */
  shuffle?: boolean;
  /** Seed for the shuffling: same seed, same order, same weights on a deterministic backend. */
  seed?: number | string;
  callbacks?: TrainingCallback | TrainingCallback[];
  /** 0: silent (default); 1: one line per epoch on the console. */
  verbose?: 0 | 1;
  /**
   * A multi-task strategy (`multiTask.dwa()`, `multiTask.gradNorm()`, `multiTask.pcgrad()`) for a model
   * with several outputs: each output's loss is a task, and the strategy turns the per-task losses and
   * gradients into each step's update (docs/multi-task.md). Default: the plain sum of the output losses.
   */
  multiTask?: MultiTaskStrategy;
}

/** The training record, shaped like tfjs-layers' `History`. */
export interface History {
  /** The epoch indices that ran. */
  epoch: number[];
  /** One value per epoch for each logged quantity: `loss`, `<output>_loss`, metrics, `val_…`. */
  history: { [key: string]: number[] };
  params: TrainingParams;
}

export interface EvaluateOptions {
  /** Samples per forward pass (default 32); the result does not depend on it. */
  batchSize?: number;
  /** Per-sample weights, as in `fit`. */
  sampleWeight?: SampleWeightArg;
  /** `{ classIndex: weight }`, as in `fit`. */
  classWeight?: ClassWeightArg;
}

const EVALUATE_OPTIONS = {
  batchSize: option.integer(32, { min: 1 }),
  sampleWeight: option.checkedWhereUsed(),
  classWeight: option.checkedWhereUsed(),
};

const FIT_OPTIONS = {
  ...EVALUATE_OPTIONS,
  epochs: option.integer(1, { min: 0 }),
  initialEpoch: option.integer(0, { min: 0 }),
  validationData: { default: undefined, expected: '[x, y] or [x, y, sampleWeight]', accepts: (v) => Array.isArray(v) && v.length >= 2 && v.length <= 3 } as option.OptionSpec<undefined>,
  validationSplit: option.number(0, { min: 0, max: 1, maxExclusive: true }),
  shuffle: option.boolean(true),
  seed: { default: undefined, expected: 'a finite number or a string', accepts: (v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) } as option.OptionSpec<number | string | undefined>,
  callbacks: option.checkedWhereUsed(),
  multiTask: option.checkedWhereUsed(),
  verbose: { default: 0, expected: '0 or 1', accepts: (v) => v === 0 || v === 1 } as option.OptionSpec<number>,
};
/** Models inside a `fit` / `fitDataset` call (a second concurrent call on the same model is refused). */
export const training = new WeakSet<object>();

/** The prepared tensors of one data set: inputs, targets and per-output weights (all N samples). */
export interface DataSet {
  xs: tf.Tensor[];
  ys: tf.Tensor[];
  weights: Array<tf.Tensor | undefined>;
  n: number;
}

/**
 * Trains `model` (compiled with any loss: a lossforge Loss, a combined loss, a tfjs built-in) with
 * per-sample and per-class weights, validation, callbacks and seeded shuffling.
 *
 * Semantics follow Keras 3 `Model.fit`: `sampleWeight` × `classWeight` (`sample_weight`,
 * `class_weight`) weight each sample's loss, and with reduction `mean` the batch loss is Σ wᵢℓᵢ / n;
 * `validationSplit` holds out the last samples before shuffling (with their weights; `validationData`
 * gets only its own sample weights); the logged `loss` is the mean of the batch losses weighted by
 * batch size, penalties included.
 * Use it instead of tfjs-layers' `model.fit` whenever weights are involved (tfjs-layers has no
 * `sampleWeight`, and its `classWeight` scales an already-averaged loss) or runs must be reproducible.
 * @example
 * model.compile({ optimizer: 'adam', loss: losses.binaryFocalCrossentropy({ gamma: 2 }) });
 * const history = await fit(model, x, y, { epochs: 20, classWeight: { 0: 1, 1: 5 }, validationSplit: 0.2, seed: 42 });
 * history.history.val_loss;
 */
export async function fit(model: TrainableModel, x: TensorOrList, y: TensorOrList, options: FitOptions = {}): Promise<History> {
  const tool = 'fit';
  checkCompiled(tool, model);
  const { epochs, initialEpoch, batchSize, shuffle, validationSplit, seed, verbose } = option.resolveOptions(tool, FIT_OPTIONS, options as Record<string, unknown>);
  const random = seed === undefined ? Math.random : seedrandom(String(seed));
  const callbacks = callbackList(tool, options.callbacks);
  const strategy = multiTaskOption(tool, 'options.multiTask', options.multiTask, model.outputNames.length);
  if (training.has(model)) throw new LossInputError(tool, 'model', 'a model that is not already training', 'a model inside another fit() call');

  const owned: tf.Tensor[] = [];
  try {
    training.add(model);
    const all = prepare(tool, model, x, y, options.sampleWeight, options.classWeight, owned);
    const { train, validation } = splitValidation(tool, model, all, options.validationData, validationSplit, owned);
    const compiled = compiledFunctions(tool, model);
    const history = await beginTraining(model, callbacks, {
      epochs,
      initialEpoch,
      samples: train.n,
      steps: Math.ceil(train.n / batchSize),
      batchSize,
      doValidation: validation !== undefined,
    });
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      const started = Date.now();
      await each(callbacks, (cb) => cb.onEpochBegin?.(epoch, {}));
      const order = shuffle ? permutation(train.n, random) : [...Array(train.n).keys()];
      const logs = await runEpoch(model, compiled, train, order, batchSize, callbacks, strategy);
      strategy?.endEpoch();
      const val = validation && (await evaluateSet(model, compiled, validation, batchSize));
      await endEpoch({ history, callbacks, epoch, epochs, started, verbose }, logs, val);
    }
    await each(callbacks, (cb) => cb.onTrainEnd?.({}));
    return history;
  } finally {
    training.delete(model);
    tf.dispose(owned);
  }
}

/**
 * The loss (and metrics) of `model` on `x`, `y`, with the same weighting as `fit`, averaged over the
 * samples: `{ loss, <output>_loss…, <metric>… }`.
 *
 * Like Keras 3 `Model.evaluate(x, y, sample_weight=…)`, with `classWeight` accepted as well (Keras
 * has none there). Use it to score held-out data with the weighting `fit` trains with; with reduction
 * `mean` the result does not depend on `batchSize`.
 * @example
 * const { loss } = await evaluate(model, xTest, yTest, { classWeight: { 0: 1, 1: 5 } });
 */
export async function evaluate(model: TrainableModel, x: TensorOrList, y: TensorOrList, options: EvaluateOptions = {}): Promise<Logs> {
  const tool = 'evaluate';
  checkCompiled(tool, model);
  const { batchSize } = option.resolveOptions(tool, EVALUATE_OPTIONS, options as Record<string, unknown>);
  const owned: tf.Tensor[] = [];
  try {
    const data = prepare(tool, model, x, y, options.sampleWeight, options.classWeight, owned);
    return await evaluateSet(model, compiledFunctions(tool, model), data, batchSize);
  } finally {
    tf.dispose(owned);
  }
}

/** The `callbacks` option as a list (one callback or an array), each checked to be an object; `tool` names the caller in errors. */
export function callbackList(tool: string, value: unknown): TrainingCallback[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((cb, i) => {
    if (typeof cb !== 'object' || cb === null) throw new LossInputError(tool, `options.callbacks[${i}]`, 'a callback object ({ onEpochEnd(epoch, logs) {…}, … })', describeValue(cb));
  });
  return list as TrainingCallback[];
}

/** Where an epoch ends, for `fit` and `fitDataset`. */
export interface EpochEnd {
  history: History;
  callbacks: TrainingCallback[];
  epoch: number;
  epochs: number;
  /** `Date.now()` when the epoch began. */
  started: number;
  verbose: number;
}

/**
 * Ends an epoch as tfjs' `fit` does: the validation logs join `logs` as `val_<name>`, the callbacks'
 * `onEpochEnd` runs, the history records every log, and `verbose: 1` prints the epoch line.
 */
export async function endEpoch(at: EpochEnd, logs: Logs, validation: Logs | undefined): Promise<void> {
  for (const [key, value] of Object.entries(validation ?? {})) logs[`val_${key}`] = value;
  await each(at.callbacks, (cb) => cb.onEpochEnd?.(at.epoch, logs));
  at.history.epoch.push(at.epoch);
  for (const [key, value] of Object.entries(logs)) (at.history.history[key] ??= []).push(value);
  if (at.verbose === 1) console.log(epochLine(at.epoch, at.epochs, Date.now() - at.started, logs));
}

/** Runs `fn` for each callback in order, awaiting each (tfjs' callback order). */
/**
 * The start of a training run (fit and fitDataset): the callbacks get the model and the params (with
 * the metric names, `val_` ones when validating), `stopTraining` is reset, `onTrainBegin` runs.
 * Returns the empty History that the epochs fill.
 */
export async function beginTraining(model: TrainableModel, callbacks: TrainingCallback[], run: Omit<TrainingParams, 'metrics'>): Promise<History> {
  const params: TrainingParams = {
    ...run,
    metrics: [...model.metricsNames, ...(run.doValidation ? model.metricsNames.map((m) => `val_${m}`) : [])],
  };
  for (const cb of callbacks) {
    cb.setModel?.(model as never);
    cb.setParams?.(params as never);
  }
  model.stopTraining = false;
  await each(callbacks, (cb) => cb.onTrainBegin?.({}));
  return { epoch: [], history: {}, params };
}

/** Runs `fn` on each callback in order, awaiting each (tfjs-layers' callbacks may be async). */
export async function each(callbacks: TrainingCallback[], fn: (cb: TrainingCallback) => void | Promise<void>): Promise<void> {
  for (const cb of callbacks) await fn(cb);
}

/** A Fisher–Yates permutation of 0..n-1 drawn from `random` (also the workbench's `shuffled`). */
export function permutation(n: number, random: () => number): number[] {
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Converts x, y and the weights; tensors created here are pushed to `owned` for disposal. */
export function prepare(tool: string, model: TrainableModel, x: unknown, y: unknown, sampleWeight: unknown, classWeight: unknown, owned: tf.Tensor[]): DataSet {
  const xs = toTensorList(tool, 'x', x, model.inputNames);
  const ys = toTensorList(tool, 'y', y, model.outputNames).map((t, i) => {
    const aligned = alignTarget(t, model.outputs[i]!.shape);
    if (aligned !== t) owned.push(aligned);
    return aligned;
  });
  const n = batchSizeOf(tool, [['x', xs], ['y', ys]]);
  const sample = resolveSampleWeights(tool, sampleWeight, model.outputNames, n);
  const perClass = resolveClassWeights(tool, classWeight, model.outputNames);
  const weights = model.outputNames.map((_name, i) => {
    const cw = perClass[i] && classWeightsToSampleWeights(tool, argName('classWeight', model.outputNames, i), ys[i]!, model.outputs[i]!.shape, perClass[i]!);
    const w = combineWeights(sample[i], cw);
    for (const t of [sample[i], cw, w]) if (t && !owned.includes(t) && !isUserTensor(t, sampleWeight)) owned.push(t);
    return w;
  });
  return { xs, ys, weights, n };
}

function isUserTensor(t: tf.Tensor, sampleWeight: unknown): boolean {
  if (sampleWeight === t) return true;
  if (Array.isArray(sampleWeight)) return sampleWeight.includes(t);
  return typeof sampleWeight === 'object' && sampleWeight !== null && Object.values(sampleWeight).includes(t);
}

function splitValidation(
  tool: string,
  model: TrainableModel,
  all: DataSet,
  validationData: FitOptions['validationData'],
  split: number,
  owned: tf.Tensor[],
): { train: DataSet; validation?: DataSet } {
  if (validationData !== undefined) {
    const [x, y, sampleWeight] = validationData;
    return { train: all, validation: prepare(tool, model, x, y, sampleWeight, undefined, owned) };
  }
  if (split === 0) return { train: all };
  const at = Math.floor(all.n * (1 - split));
  if (at === 0 || at === all.n) {
    throw new LossInputError(tool, 'options.validationSplit', `a split leaving samples on both sides of ${all.n} samples`, `${split} (${at} training samples)`);
  }
  const part = (from: number, size: number): DataSet => {
    const cut = (t: tf.Tensor) => {
      const s = tf.slice(t, [from], [size]);
      owned.push(s);
      return s;
    };
    return { xs: all.xs.map(cut), ys: all.ys.map(cut), weights: all.weights.map((w) => w && cut(w)), n: size };
  };
  return { train: part(0, at), validation: part(at, all.n - at) };
}

/** What a compiled model computes per output: its losses, and its metric functions (accuracy matched to the loss). */
export interface Compiled {
  losses: OutputLoss[];
  metrics: Array<[LossFn, number]>;
}

/** The loss and metric functions of a compiled model, one loss per output, checked; `tool` names the caller in errors. */
export function compiledFunctions(tool: string, model: TrainableModel): Compiled {
  return { losses: outputLosses(tool, model), metrics: metricFunctions(model) };
}

/** Per-batch values: the total loss, then one value per metric name after 'loss'. */
function batchValues(model: TrainableModel, compiled: Compiled, outputs: tf.Tensor[], ys: tf.Tensor[], weights: Array<tf.Tensor | undefined>): { total: tf.Scalar; named: tf.Scalar[] } {
  const perOutput = compiled.losses.map((loss, i) => loss(ys[i]!, outputs[i]!, weights[i]));
  let total = perOutput.length === 1 ? perOutput[0]! : (tf.addN(perOutput) as tf.Scalar);
  const multi = model.outputNames.length > 1;
  const named = compiled.metrics.map(([fn, out], k) =>
    multi && k < model.outputNames.length ? perOutput[k]! : (tf.mean(fn(ys[out]!, outputs[out]!)) as tf.Scalar),
  );
  for (const penalty of model.calculateLosses()) total = tf.add(total, penalty);
  return { total, named };
}

/**
 * One gradient step on a batch: returns the batch's values in `model.metricsNames` order (loss first).
 * The caller owns (and disposes) `xs`, `ys` and `ws`.
 */
export async function trainBatch(model: TrainableModel, compiled: Compiled, variables: tf.Variable[], xs: tf.Tensor[], ys: tf.Tensor[], ws: Array<tf.Tensor | undefined>, strategy?: MultiTaskStrategy): Promise<number[]> {
  if (strategy) return multiTaskBatch(model, compiled, strategy, variables, xs, ys, ws);
  let named: tf.Scalar[] = [];
  let cost: tf.Scalar | null = null;
  try {
    cost = model.optimizer.minimize(
      () => {
        const values = batchValues(model, compiled, forward(model, xs, true), ys, ws);
        named = values.named.map((t) => tf.keep(t));
        return values.total;
      },
      true,
      variables,
    );
    return [await cost!.data(), ...(await Promise.all(named.map((t) => t.data())))].map((d) => d[0]!);
  } finally {
    tf.dispose([...(cost ? [cost] : []), ...named]);
  }
}

async function runEpoch(model: TrainableModel, compiled: Compiled, data: DataSet, order: number[], batchSize: number, callbacks: TrainingCallback[], strategy?: MultiTaskStrategy): Promise<Logs> {
  const variables = trainableVariables(model);
  const sums = new Array<number>(model.metricsNames.length).fill(0);
  let seen = 0;
  for (let start = 0, batch = 0; start < data.n; start += batchSize, batch++) {
    const size = Math.min(batchSize, data.n - start);
    await each(callbacks, (cb) => cb.onBatchBegin?.(batch, { batch, size }));
    const index = tf.tensor1d(order.slice(start, start + size), 'int32');
    const pick = (t: tf.Tensor) => tf.gather(t, index);
    const xs = data.xs.map(pick);
    const ys = data.ys.map(pick);
    const ws = data.weights.map((w) => w && pick(w));
    let numbers: number[];
    try {
      numbers = await trainBatch(model, compiled, variables, xs, ys, ws, strategy);
    } finally {
      tf.dispose([index, ...xs, ...ys, ...(ws.filter(Boolean) as tf.Tensor[])]);
    }
    numbers.forEach((v, k) => (sums[k] += v * size));
    seen += size;
    const logs: Logs = { batch, size };
    model.metricsNames.forEach((name, k) => (logs[name] = numbers[k]!));
    await each(callbacks, (cb) => cb.onBatchEnd?.(batch, logs));
    if (model.stopTraining) break;
  }
  const logs: Logs = {};
  model.metricsNames.forEach((name, k) => (logs[name] = sums[k]! / seen));
  return logs;
}

// ───────────── multi-task strategies (src/training/multiTask.ts) ─────────────

/**
 * `trainBatch` with a multi-task strategy: the logged values are the batch's before the update (a
 * training-mode forward pass: the sum of the output losses, penalties, metrics); the update is the
 * strategy's (`multiTaskUpdate`: one forward and backward pass per output).
 */
async function multiTaskBatch(model: TrainableModel, compiled: Compiled, strategy: MultiTaskStrategy, variables: tf.Variable[], xs: tf.Tensor[], ys: tf.Tensor[], ws: Array<tf.Tensor | undefined>): Promise<number[]> {
  const values = tf.tidy(() => {
    const { total, named } = batchValues(model, compiled, forward(model, xs, true), ys, ws);
    return tf.stack([total, ...named]);
  });
  const numbers = Array.from(await values.data());
  values.dispose();
  const tasks = compiled.losses.map((loss, k) => () => loss(ys[k]!, forward(model, xs, true)[k]!, ws[k]));
  multiTaskUpdate(strategy, model.optimizer, variables, tasks, () => model.calculateLosses());
  return numbers;
}

/** The batch values (loss first, `model.metricsNames` order) of one evaluation batch, without gradients. */
export async function evaluateBatch(model: TrainableModel, compiled: Compiled, xs: tf.Tensor[], ys: tf.Tensor[], ws: Array<tf.Tensor | undefined>): Promise<number[]> {
  const values = tf.tidy(() => {
    const { total, named } = batchValues(model, compiled, forward(model, xs, false), ys, ws);
    return tf.stack([total, ...named]);
  });
  const numbers = Array.from(await values.data());
  values.dispose();
  return numbers;
}

async function evaluateSet(model: TrainableModel, compiled: Compiled, data: DataSet, batchSize: number): Promise<Logs> {
  const sums = new Array<number>(model.metricsNames.length).fill(0);
  for (let start = 0; start < data.n; start += batchSize) {
    const size = Math.min(batchSize, data.n - start);
    const cut = (t: tf.Tensor) => tf.slice(t, [start], [size]);
    const xs = data.xs.map(cut);
    const ys = data.ys.map(cut);
    const ws = data.weights.map((w) => w && cut(w));
    try {
      const numbers = await evaluateBatch(model, compiled, xs, ys, ws);
      numbers.forEach((v, k) => (sums[k] += v * size));
    } finally {
      tf.dispose([...xs, ...ys, ...(ws.filter(Boolean) as tf.Tensor[])]);
    }
  }
  const logs: Logs = {};
  model.metricsNames.forEach((name, k) => (logs[name] = sums[k]! / data.n));
  return logs;
}

/** The `verbose: 1` line of an epoch: `Epoch 3/10 - 120ms - loss: 0.41 - val_loss: 0.45`. */
export function epochLine(epoch: number, epochs: number, ms: number, logs: Logs): string {
  const values = Object.entries(logs).map(([k, v]) => `${k}: ${Number(v.toPrecision(5))}`);
  return [`Epoch ${epoch + 1}/${epochs}`, `${ms}ms`, ...values].join(' - ');
}
