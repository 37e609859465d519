/**
 * `trainStep`: one gradient step, for custom loops (GANs, multi-task, curriculum) where `fit` is too
 * rigid. Two forms:
 *
 * - `trainStep(model, optimizer, loss, x, y, call?)`: forward `model` on `x` (training mode), apply
 *   `loss(y, ŷ, call)` plus the model's regularization penalties, update the model's trainable weights
 *   and the loss's own trainable state (`loss.variables`, e.g. `losses.adaptiveRobust()`'s α and scale);
 * - `trainStep(variables, optimizer, objective, x, y, call?)`: `objective(x, y, call)` computes the
 *   whole scalar loss (e.g. through two models); only `variables` are updated (add
 *   `lossVariables(loss)` for a loss with trainable state).
 *
 * Returns the loss value before the update, as a number.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import { lossVariables, type LossCall } from '../core/loss.js';
import type { TensorInput } from '../core/validate.js';
import { forward, isModel, trainableVariables, type LayerVariableLike, type TrainableModel } from './model.js';
import { multiTaskStep, type MultiTaskStepOptions, type TaskLoss } from './multiTask.js';

/** A loss for the model form: `(yTrue, yPred, call?) => scalar` (any lossforge Loss fits). */
export type StepLoss = (yTrue: tf.Tensor, yPred: tf.Tensor, call?: LossCall) => tf.Tensor;
/** An objective for the variables form: computes the whole scalar loss from x and y. */
export type StepObjective<X, Y> = (x: X, y: Y, call?: LossCall) => tf.Tensor;

const tool = 'trainStep';

/**
 * One optimizer step on `loss` (model form) or `objective` (variables form; see the module comment),
 * returning the loss before the step. Use it for loops `fit` cannot express: alternating updates of
 * two models, several losses per batch, schedules of your own. `call` (`sampleWeight`, `mask`, …)
 * is passed to the loss unchanged.
 * @example
 * // not run: needs your GAN's models, optimizers and batches (docs/training.md runs a small one)
 * // GAN: update the discriminator, then the generator through the (frozen) discriminator.
 * const bce = losses.binaryCrossentropy({ fromLogits: true });
 * const dLoss = trainStep(disc, optD, bce, tf.concat([real, gen.predict(z)]), labels);
 * const gLoss = trainStep(gen.trainableWeights, optG, (z, ones) => bce(ones, disc.apply(gen.apply(z))), z, ones);
 */
export function trainStep(model: TrainableModel, optimizer: tf.Optimizer, loss: StepLoss, x: tf.Tensor | tf.Tensor[], y: TensorInput, call?: LossCall): number;
export function trainStep<X, Y>(variables: Array<tf.Variable | LayerVariableLike>, optimizer: tf.Optimizer, objective: StepObjective<X, Y>, x: X, y: Y, call?: LossCall): number;
/**
 * The multi-task form (src/training/multiTask.ts): a multi-output `model`, one loss per output
 * (`losses` and `ys` by output name or position), and `options.multiTask`, the strategy that turns the
 * per-task losses and gradients into the update. Returns Σₖ aₖ·Lₖ before the update.
 */
export function trainStep(
  model: TrainableModel,
  optimizer: tf.Optimizer,
  losses: Readonly<Record<string, TaskLoss>> | readonly TaskLoss[],
  x: tf.Tensor | tf.Tensor[],
  ys: Readonly<Record<string, tf.Tensor>> | readonly tf.Tensor[],
  options: MultiTaskStepOptions,
): number;
export function trainStep(
  target: TrainableModel | Array<tf.Variable | LayerVariableLike>,
  optimizer: tf.Optimizer,
  loss: ((a: never, b: never, call?: LossCall) => tf.Tensor) | object,
  x: unknown,
  y: unknown,
  call?: LossCall | MultiTaskStepOptions,
): number {
  if (typeof loss === 'object' && loss !== null) return multiTaskStep(target as TrainableModel, optimizer, loss, x as tf.Tensor, y, call as MultiTaskStepOptions);
  if (typeof optimizer?.minimize !== 'function') throw new LossInputError(tool, 'optimizer', 'a tf.Optimizer (e.g. tf.train.adam())', describeValue(optimizer));
  if (typeof loss !== 'function') throw new LossInputError(tool, 'loss', 'a loss function', describeValue(loss));
  if (call !== undefined && (typeof call !== 'object' || call === null)) throw new LossInputError(tool, 'call', 'an object { sampleWeight?, mask?, … } or undefined', describeValue(call));

  let variables: tf.Variable[];
  let objective: () => tf.Tensor;
  if (Array.isArray(target)) {
    variables = target.map((v, i) => toVariable(v, i));
    objective = () => (loss as StepObjective<never, never>)(x as never, y as never, call as LossCall);
  } else if (isModel(target)) {
    const inputs = Array.isArray(x) ? x : [x];
    inputs.forEach((t, i) => {
      if (!(t instanceof tf.Tensor)) throw new LossInputError(tool, Array.isArray(x) ? `x[${i}]` : 'x', 'a tensor', describeValue(t));
    });
    // The model's weights, and the trainable state of the loss (Loss.variables) when it has one.
    variables = [...new Set([...trainableVariables(target), ...lossVariables(loss)])];
    objective = () => {
      const outputs = forward(target, inputs as tf.Tensor[], true);
      if (outputs.length !== 1) {
        throw new LossInputError(tool, 'model', 'a single-output model (for several outputs, pass variables and an objective)', `${outputs.length} outputs`);
      }
      let total = (loss as StepLoss)(y as never, outputs[0] as never, call as LossCall);
      for (const penalty of target.calculateLosses()) total = tf.add(total, penalty);
      return total;
    };
  } else {
    throw new LossInputError(tool, 'model', 'a tfjs-layers model or an array of variables', describeValue(target));
  }
  if (variables.length === 0) throw new LossInputError(tool, 'variables', 'at least one trainable variable', 'none');

  const cost = optimizer.minimize(
    () => {
      const value = objective();
      if (!(value instanceof tf.Tensor) || value.rank !== 0) {
        throw new LossInputError(tool, 'loss', 'a function returning a scalar tensor', value instanceof tf.Tensor ? `a tensor of shape [${value.shape.join(',')}]` : describeValue(value));
      }
      return value as tf.Scalar;
    },
    true,
    variables,
  )!;
  const value = cost.dataSync()[0]!;
  cost.dispose();
  return value;
}

function toVariable(v: unknown, i: number): tf.Variable {
  if (v instanceof tf.Variable) return v;
  if (typeof v === 'object' && v !== null && typeof (v as LayerVariableLike).read === 'function') return (v as LayerVariableLike).read() as tf.Variable;
  throw new LossInputError(tool, `variables[${i}]`, 'a tf.Variable or a layer weight (model.trainableWeights)', describeValue(v));
}
