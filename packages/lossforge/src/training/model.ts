/**
 * What training needs to know about a tfjs-layers model, read through a small structural type so that
 * src/training does not load tfjs-layers at import time (it is needed only by `loadModel`).
 *
 * Also: resolving the compiled loss of each output (a lossforge `Loss`, a tfjs built-in, or a
 * `compileLoss` adapter), and checking that the model is compiled.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import { lossVariables, type Loss, type LossCall } from '../core/loss.js';
import { reduce } from '../core/reduce.js';
import { alignToLossShape } from '../core/validate.js';
import { accuracyFor } from '../metrics/index.js';

/** A tfjs-layers variable (`LayerVariable`): `read()` gives the underlying `tf.Variable` (typed as a Tensor). */
export interface LayerVariableLike {
  read(): tf.Tensor;
  readonly name: string;
}

/** Loss identifiers as tfjs-layers stores them after `compile` (`model.loss`). */
type CompiledLoss = string | LossFn | Array<string | LossFn> | { [outputName: string]: string | LossFn };

export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * The part of a tfjs-layers `LayersModel` that lossforge's training functions use. Any
 * `tf.LayersModel` / `tf.Sequential` satisfies it.
 */
export interface TrainableModel {
  readonly name: string;
  readonly inputs: ReadonlyArray<{ readonly shape: ReadonlyArray<number | null> }>;
  readonly outputs: ReadonlyArray<{ readonly shape: ReadonlyArray<number | null> }>;
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly trainableWeights: LayerVariableLike[];
  optimizer: tf.Optimizer;
  loss: CompiledLoss;
  lossFunctions: LossFn[];
  metricsNames: string[];
  metricsTensors: Array<[LossFn, number]>;
  stopTraining: boolean;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: { training?: boolean }): unknown;
  calculateLosses(): tf.Scalar[];
  getWeights(trainableOnly?: boolean): tf.Tensor[];
  setWeights(weights: tf.Tensor[]): void;
  compile(args: { optimizer: tf.Optimizer | string; loss: unknown; metrics?: unknown }): void;
  save(handler: tf.io.IOHandler, config?: { includeOptimizer?: boolean }): Promise<tf.io.SaveResult>;
}

/** The property a `compileLoss` adapter carries: the lossforge loss it wraps. */
export const WRAPPED_LOSS = 'lossforgeLoss';

/** True for a lossforge `Loss` (built-in, `defineLoss`, combined): a function with `getConfig()`. */
export function isLoss(value: unknown): value is Loss {
  return typeof value === 'function' && typeof (value as Partial<Loss>).getConfig === 'function';
}

/** The lossforge loss behind `fn`: itself, or the loss a `compileLoss` adapter wraps; else undefined. */
export function lossforgeLossOf(fn: unknown): Loss | undefined {
  if (typeof fn !== 'function') return undefined;
  const wrapped = (fn as unknown as Record<string, unknown>)[WRAPPED_LOSS];
  if (isLoss(wrapped)) return wrapped;
  return isLoss(fn) ? fn : undefined;
}

/** True for a tfjs-layers model (duck-typed: `apply`, `compile`, input and output names). */
export function isModel(model: unknown): model is TrainableModel {
  if (typeof model !== 'object' || model === null) return false;
  const m = model as Partial<TrainableModel>;
  return typeof m.apply === 'function' && Array.isArray(m.outputNames) && Array.isArray(m.inputNames) && typeof m.compile === 'function';
}

/** Checks that `model` is a tfjs-layers model; `tool` names the function for the error. */
export function checkModel(tool: string, model: unknown): asserts model is TrainableModel {
  if (!isModel(model)) {
    throw new LossInputError(tool, 'model', 'a tfjs-layers model (tf.sequential() / tf.model())', describeValue(model));
  }
}

/** Checks that `model` is a compiled tfjs-layers model. */
export function checkCompiled(tool: string, model: unknown): asserts model is TrainableModel {
  checkModel(tool, model);
  if (model.optimizer == null || lossFunctionsOf(model).length === 0) {
    throw new LossInputError(tool, 'model', 'a compiled model (call model.compile({ optimizer, loss }) first)', 'a model that is not compiled');
  }
}

/**
 * One callable per output that takes `(yTrue, yPred, call)` and returns a scalar:
 * - a lossforge `Loss` gets the sample weights through `call.sampleWeight`, so its own reduction applies;
 * - any other function (a tfjs built-in such as `'meanSquaredError'`) returns per-sample values,
 *   which are weighted and averaged the way tfjs-layers does (Σ wᵢℓᵢ / n).
 */
export type OutputLoss = (yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor) => tf.Scalar;

/**
 * The per-output loss functions tfjs-layers resolved at compile time. A `tf.Sequential` keeps them on
 * its inner model (its `compile` copies the loss and metrics but not `lossFunctions`).
 */
function lossFunctionsOf(model: TrainableModel): LossFn[] {
  const own = model.lossFunctions;
  if (Array.isArray(own) && own.length > 0) return own;
  const inner = (model as unknown as { model?: { lossFunctions?: LossFn[] } }).model?.lossFunctions;
  return Array.isArray(inner) ? inner : [];
}

/** The compiled loss of each output as an `OutputLoss` (see there), in output order. */
export function outputLosses(tool: string, model: TrainableModel): OutputLoss[] {
  return lossFunctionsOf(model).map((fn, i) => {
    const loss = lossforgeLossOf(fn);
    if (loss) {
      return (yTrue, yPred, sampleWeight) => {
        const call: LossCall = sampleWeight ? { sampleWeight } : {};
        return checkScalar(tool, model.outputNames[i]!, loss(yTrue, yPred, call));
      };
    }
    return (yTrue, yPred, sampleWeight) => {
      const values = fn(yTrue, yPred);
      if (!sampleWeight) return tf.mean(values) as tf.Scalar;
      if (values.rank === 0) {
        throw new LossInputError(
          tool,
          'sampleWeight',
          `a lossforge Loss (or a loss returning per-sample values) for output '${model.outputNames[i]}'`,
          `a loss function '${fn.name || 'anonymous'}' that returns a scalar`,
        );
      }
      return reduce(values, { weight: alignToLossShape(tool, 'sampleWeight', sampleWeight, values.shape) }, 'mean') as tf.Scalar;
    };
  });
}

function checkScalar(tool: string, output: string, value: tf.Tensor): tf.Scalar {
  if (value.rank !== 0) {
    throw new LossInputError(
      tool,
      'model.loss',
      `a loss that reduces to a scalar for output '${output}' (reduction 'mean', 'sum' or 'weightedMean')`,
      `a tensor of shape [${value.shape.join(',')}] (reduction 'none'?)`,
    );
  }
  return value as tf.Scalar;
}

/** The model's outputs for `inputs` as an array (one tensor per output). */
export function forward(model: TrainableModel, inputs: tf.Tensor[], training: boolean): tf.Tensor[] {
  const out = model.apply(inputs.length === 1 ? inputs[0]! : inputs, { training });
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

/**
 * The tf.Variables the optimizer updates: the model's trainable weights, then the trainable state of
 * its compiled losses (`loss.variables`, e.g. the adaptive robust loss's α and scale), each once.
 */
export function trainableVariables(model: TrainableModel): tf.Variable[] {
  // A LayerVariable reads out its tf.Variable (typed Tensor in tfjs-layers).
  const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const ofLosses = model.optimizer == null ? [] : lossFunctionsOf(model).flatMap((fn) => lossVariables(lossforgeLossOf(fn)));
  return [...new Set([...weights, ...ofLosses])];
}

/** Sets the optimizer's learning rate (SGD and momentum cache it; the others read the field). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** The optimizer's learning rate, or undefined for one without a numeric `learningRate`. */
export function getLearningRate(optimizer: tf.Optimizer): number | undefined {
  const lr = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  return typeof lr === 'number' ? lr : undefined;
}

/**
 * The model's metric functions (`model.metricsTensors`), with tfjs' `'accuracy'` / `'acc'` replaced by
 * the accuracy that matches each output's lossforge loss (`accuracyFor`: sparse labels, `fromLogits`).
 * tfjs-layers recognises only its own losses when it picks an accuracy, so with a lossforge
 * `sparseCategoricalCrossentropy` it would report categorical accuracy on integer labels.
 */
export function metricFunctions(model: TrainableModel): Array<[LossFn, number]> {
  const fns = lossFunctionsOf(model);
  return model.metricsTensors.map(([fn, out], k) => {
    const name = model.metricsNames[k + 1];
    const isAccuracy = name === 'acc' || name === `${model.outputNames[out]}_acc`;
    const loss = isAccuracy ? lossforgeLossOf(fns[out]) : undefined;
    return [(loss && accuracyFor(loss)) || fn, out];
  });
}

/**
 * Targets as tfjs users pass them: `y` reshaped to the output's rank when the two differ only by a
 * trailing axis of size 1 (`[N]` for a `[N, 1]` output, `[N, 1]` for a `[N]` output), as tfjs-layers'
 * and Keras' `fit` accept. Anything else is left to the loss, which names the mismatch. Returns `y`
 * itself when nothing changes.
 */
export function alignTarget(y: tf.Tensor, outputShape: ReadonlyArray<number | null>): tf.Tensor {
  const rank = outputShape.length;
  if (y.rank === rank - 1 && outputShape[rank - 1] === 1) return tf.reshape(y, [...y.shape, 1]);
  if (y.rank === rank + 1 && y.shape[y.rank - 1] === 1) return tf.reshape(y, y.shape.slice(0, -1));
  return y;
}
