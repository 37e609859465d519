/**
 * `fitDataset`: lossforge's `fit` over a `tf.data.Dataset` (tfjs-layers' `model.fitDataset` with
 * sample weights, class weights that weight each sample, and the accuracy that matches the loss).
 *
 * The dataset is read structurally (`iterator()` / `next()`), so lossforge does not load tfjs-data.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import * as option from '../core/options.js';
import type { Logs, TrainingCallback } from './callbacks.js';
import { argName, classWeightsToSampleWeights, combineWeights, resolveClassWeights, type ClassWeightArg, type SampleWeightArg, type TensorOrList } from './data.js';
import {
  beginTraining,
  callbackList,
  compiledFunctions,
  each,
  endEpoch,
  evaluate,
  evaluateBatch,
  prepare,
  trainBatch,
  training,
  type Compiled,
  type History,
} from './fit.js';
import { checkCompiled, trainableVariables, type TrainableModel } from './model.js';

/** One dataset element: a batch of inputs, targets and (optionally) per-sample weights. */
export interface DatasetElement {
  xs: TensorOrList;
  ys: TensorOrList;
  sampleWeight?: SampleWeightArg;
}

/**
 * What `fitDataset` needs of a dataset: tfjs-data's `Dataset` (`tf.data.array(…).batch(n)`, `tf.data.csv(…)`…).
 * Its elements are checked when read: `DatasetElement`, or tfjs' `[xs, ys]`.
 */
export interface DatasetLike<T = unknown> {
  iterator(): Promise<{ next(): Promise<{ value: T; done?: boolean }> }>;
}

export interface FitDatasetOptions {
  /** Number of epochs (default 1). */
  epochs?: number;
  /** Epoch to start from (default 0). */
  initialEpoch?: number;
  /**
   * Batches per epoch. Default: the whole dataset each epoch (re-iterated from the start). When set,
   * one iterator is drawn across epochs, as in tfjs (the dataset must then hold enough batches).
   */
  batchesPerEpoch?: number;
  /** `{ classIndex: weight }` (per output for multi-output models), multiplied into each batch's sample weights. */
  classWeight?: ClassWeightArg;
  /** Evaluated at the end of each epoch: a dataset of `{ xs, ys[, sampleWeight] }` batches, or `[x, y]` / `[x, y, sampleWeight]`. */
  validationData?: DatasetLike | [TensorOrList, TensorOrList] | [TensorOrList, TensorOrList, SampleWeightArg];
  /** With a validation dataset: the number of its batches to use (default: all of them). */
  validationBatches?: number;
  callbacks?: TrainingCallback | TrainingCallback[];
  /** 0: silent (default); 1: one line per epoch on the console. */
  verbose?: 0 | 1;
}

const FIT_DATASET_OPTIONS = {
  epochs: option.integer(1, { min: 0 }),
  initialEpoch: option.integer(0, { min: 0 }),
  batchesPerEpoch: option.optionalInteger({ min: 1 }),
  classWeight: option.checkedWhereUsed(),
  validationData: option.checkedWhereUsed(),
  validationBatches: option.optionalInteger({ min: 1 }),
  callbacks: option.checkedWhereUsed(),
  verbose: { default: 0, expected: '0 or 1', accepts: (v) => v === 0 || v === 1 } as option.OptionSpec<number>,
};

const isDataset = (v: unknown): v is DatasetLike<unknown> => typeof v === 'object' && v !== null && typeof (v as DatasetLike<unknown>).iterator === 'function';

/**
 * Trains `model` on the batches of a `tf.data.Dataset` whose elements are `{ xs, ys }` or
 * `{ xs, ys, sampleWeight }`, with class weights, validation (a dataset or tensors), callbacks and the
 * logs tfjs' `model.fitDataset` writes (`loss`, metric names, `val_…`, averaged over the samples).
 *
 * Each batch goes through the same step as `fit`: weights reach the loss as `call.sampleWeight`, so
 * with reduction `mean` the batch loss is Σ wᵢℓᵢ / n (Keras 3 `fit(dataset)` with `class_weight`).
 * Targets `[N]` for a `[N, 1]` output (and the reverse) are accepted, as in `fit`.
 * @example
 * const data = tf.data.zip({ xs: tf.data.array(x.arraySync() as number[][]), ys: tf.data.array(y.arraySync() as number[][]) }).batch(8);
 * const history = await fitDataset(model, data, { epochs: 2, classWeight: { 0: 1, 1: 5 }, validationData: [xTest, yTest] });
 * history.epoch.length; // 2
 */
export async function fitDataset(model: TrainableModel, dataset: DatasetLike, options: FitDatasetOptions = {}): Promise<History> {
  const tool = 'fitDataset';
  checkCompiled(tool, model);
  if (!isDataset(dataset)) throw new LossInputError(tool, 'dataset', 'a tf.data.Dataset of { xs, ys } batches', describeValue(dataset));
  const { epochs, initialEpoch, batchesPerEpoch, validationBatches, verbose } = option.resolveOptions(tool, FIT_DATASET_OPTIONS, options as Record<string, unknown>);
  const callbacks = callbackList(tool, options.callbacks);
  const classWeights = resolveClassWeights(tool, options.classWeight, model.outputNames);
  const validation = options.validationData;
  if (validation !== undefined && !isDataset(validation) && !(Array.isArray(validation) && validation.length >= 2 && validation.length <= 3)) {
    throw new LossInputError(tool, 'options.validationData', 'a tf.data.Dataset, [x, y] or [x, y, sampleWeight]', describeValue(validation));
  }
  if (training.has(model)) throw new LossInputError(tool, 'model', 'a model that is not already training', 'a model inside another fit() call');

  try {
    training.add(model);
    const compiled = compiledFunctions(tool, model);
    const history = await beginTraining(model, callbacks, {
      epochs,
      initialEpoch,
      samples: NaN,
      steps: batchesPerEpoch ?? NaN,
      batchSize: NaN,
      doValidation: validation !== undefined,
    });
    const shared = batchesPerEpoch === undefined ? undefined : await dataset.iterator();
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      const started = Date.now();
      await each(callbacks, (cb) => cb.onEpochBegin?.(epoch, {}));
      const iterator = shared ?? (await dataset.iterator());
      const sums = new Array<number>(model.metricsNames.length).fill(0);
      const variables = trainableVariables(model);
      let seen = 0;
      for (let batch = 0; batchesPerEpoch === undefined || batch < batchesPerEpoch; batch++) {
        const next = await iterator.next();
        if (next.done) {
          if (batchesPerEpoch !== undefined) {
            throw new LossInputError(tool, 'options.batchesPerEpoch', `at most the ${batch + (epoch - initialEpoch) * batchesPerEpoch} batches the dataset holds over ${epochs - initialEpoch} epochs`, `${batchesPerEpoch} per epoch`);
          }
          break;
        }
        const size = await runBatch(tool, model, classWeights, next.value, `dataset element ${batch}`, async (xs, ys, ws, n) => {
          await each(callbacks, (cb) => cb.onBatchBegin?.(batch, { batch, size: n }));
          const numbers = await trainBatch(model, compiled, variables, xs, ys, ws);
          numbers.forEach((v, k) => (sums[k] += v * n));
          const logs: Logs = { batch, size: n };
          model.metricsNames.forEach((name, k) => (logs[name] = numbers[k]!));
          await each(callbacks, (cb) => cb.onBatchEnd?.(batch, logs));
        });
        seen += size;
        if (model.stopTraining) break;
      }
      if (seen === 0) throw new LossInputError(tool, 'dataset', 'at least one batch per epoch', 'an empty dataset');
      const logs: Logs = {};
      model.metricsNames.forEach((name, k) => (logs[name] = sums[k]! / seen));
      const val =
        validation === undefined
          ? undefined
          : isDataset(validation)
            ? await evaluateDatasetWith(tool, model, compiled, validation as DatasetLike, validationBatches)
            : await evaluate(model, validation[0], validation[1], { sampleWeight: validation[2] });
      await endEpoch({ history, callbacks, epoch, epochs, started, verbose }, logs, val);
    }
    await each(callbacks, (cb) => cb.onTrainEnd?.({}));
    return history;
  } finally {
    training.delete(model);
  }
}

/**
 * The loss and metrics of `model` over the batches of a dataset (all, or the first `batches`),
 * averaged over the samples, with the same weighting as `fitDataset`. Like tfjs' `model.evaluateDataset`,
 * with per-sample weights and the accuracy that matches the loss.
 * @example
 * const testData = tf.data.zip({ xs: tf.data.array(xTest.arraySync() as number[][]), ys: tf.data.array(yTest.arraySync() as number[][]) }).batch(4);
 * const { loss } = await evaluateDataset(model, testData);
 */
export async function evaluateDataset(model: TrainableModel, dataset: DatasetLike, options: { batches?: number; classWeight?: ClassWeightArg } = {}): Promise<Logs> {
  const tool = 'evaluateDataset';
  checkCompiled(tool, model);
  if (!isDataset(dataset)) throw new LossInputError(tool, 'dataset', 'a tf.data.Dataset of { xs, ys } batches', describeValue(dataset));
  const { batches } = option.resolveOptions(tool, { batches: option.optionalInteger({ min: 1 }), classWeight: option.checkedWhereUsed() }, options as Record<string, unknown>);
  return evaluateDatasetWith(tool, model, compiledFunctions(tool, model), dataset, batches, resolveClassWeights(tool, options.classWeight, model.outputNames));
}

async function evaluateDatasetWith(
  tool: string,
  model: TrainableModel,
  compiled: Compiled,
  dataset: DatasetLike,
  batches: number | undefined,
  classWeights = model.outputNames.map(() => undefined) as ReturnType<typeof resolveClassWeights>,
): Promise<Logs> {
  const iterator = await dataset.iterator();
  const sums = new Array<number>(model.metricsNames.length).fill(0);
  let seen = 0;
  for (let batch = 0; batches === undefined || batch < batches; batch++) {
    const next = await iterator.next();
    if (next.done) break;
    seen += await runBatch(tool, model, classWeights, next.value, `validation element ${batch}`, async (xs, ys, ws, n) => {
      const numbers = await evaluateBatch(model, compiled, xs, ys, ws);
      numbers.forEach((v, k) => (sums[k] += v * n));
    });
  }
  if (seen === 0) throw new LossInputError(tool, 'validationData', 'a dataset with at least one batch', 'an empty dataset');
  const logs: Logs = {};
  model.metricsNames.forEach((name, k) => (logs[name] = sums[k]! / seen));
  return logs;
}

/**
 * Converts one dataset element (weights and class weights included, targets aligned to the outputs),
 * runs `step` on it, and disposes what it made and the element's tensors. Returns the batch size.
 */
async function runBatch(
  tool: string,
  model: TrainableModel,
  classWeights: ReturnType<typeof resolveClassWeights>,
  element: unknown,
  where: string,
  step: (xs: tf.Tensor[], ys: tf.Tensor[], ws: Array<tf.Tensor | undefined>, n: number) => Promise<void>,
): Promise<number> {
  const { xs, ys, sampleWeight } = elementParts(tool, element, where);
  const owned: tf.Tensor[] = [];
  try {
    const data = prepare(tool, model, xs, ys, sampleWeight, undefined, owned);
    const ws = data.weights.map((w, i) => {
      const cw = classWeights[i] && classWeightsToSampleWeights(tool, argName('classWeight', model.outputNames, i), data.ys[i]!, model.outputs[i]!.shape, classWeights[i]!);
      if (cw) owned.push(cw);
      const combined = combineWeights(w, cw);
      if (combined && combined !== w && combined !== cw) owned.push(combined);
      return combined;
    });
    await step(data.xs, data.ys, ws, data.n);
    return data.n;
  } finally {
    tf.dispose(owned);
    tf.dispose(collectTensors(element));
  }
}

/** `{ xs, ys[, sampleWeight] }` (or tfjs' `[xs, ys]`) from a dataset element, or an error naming it. */
function elementParts(tool: string, element: unknown, where: string): { xs: unknown; ys: unknown; sampleWeight: unknown } {
  if (Array.isArray(element) && element.length === 2) return { xs: element[0], ys: element[1], sampleWeight: undefined };
  if (typeof element === 'object' && element !== null && 'xs' in element && 'ys' in element) {
    const e = element as Record<string, unknown>;
    return { xs: e['xs'], ys: e['ys'], sampleWeight: e['sampleWeight'] };
  }
  throw new LossInputError(tool, where, '{ xs, ys } or { xs, ys, sampleWeight } (map the dataset: ds.map(r => ({ xs: …, ys: … })))', describeValue(element));
}

/** Every tensor in a (nested) dataset element, so the batch is freed once used. */
function collectTensors(value: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (value instanceof tf.Tensor) out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => collectTensors(v, out));
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach((v) => collectTensors(v, out));
  return out;
}
