/**
 * `combine`: a fixed weighted sum of per-output losses, for multi-output models.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import type { Loss, LossCall, LossConfig } from '../core/loss.js';
import type { TensorInput } from '../core/validate.js';
import { namedEntries, perTask, resolveLoss, taskLoss, type LossLike, type PerTask, type Task } from './entries.js';

const NAME = 'combine';

/** A task: its loss (weight 1), or `[loss, weight]`. */
export type CombineSpec = PerTask<LossLike | readonly [LossLike, number]>;

export interface CombineConfig {
  name: 'combine';
  /** Per output, in order: the loss's config and its weight. */
  outputs: Record<string, { loss: LossConfig; weight: number }>;
}

/** One output's loss scaled by its weight: what `model.compile` receives for that output. */
export interface WeightedLoss extends Loss {
  readonly weight: number;
}

export interface CombinedLoss {
  /** Σₖ wₖ·Lₖ(yTrueₖ, yPredₖ) (each Lₖ averaged to a scalar), for custom training loops. */
  (yTrues: PerTask<TensorInput>, yPreds: PerTask<TensorInput>, calls?: PerTask<LossCall>): tf.Scalar;
  /** The output names, in order (array specs: '0', '1', …). */
  readonly names: readonly string[];
  readonly weights: Readonly<Record<string, number>>;
  /** name → weighted loss: `model.compile({ loss: combined.losses })` for a model whose output layers have these names. */
  readonly losses: Readonly<Record<string, WeightedLoss>>;
  /** The weighted losses in order: `model.compile({ loss: combined.list })` for the model's outputs in that order. */
  readonly list: readonly WeightedLoss[];
  /** The weighted terms wₖ·Lₖ by name (for logging); the caller disposes them. */
  terms(yTrues: PerTask<TensorInput>, yPreds: PerTask<TensorInput>, calls?: PerTask<LossCall>): Record<string, tf.Scalar>;
  getConfig(): CombineConfig;
}

function parseTask(name: string, spec: unknown): Task & { weight: number } {
  const argument = `spec.${name}`;
  const [lossLike, weight] = Array.isArray(spec) ? spec : [spec, 1];
  if (Array.isArray(spec) && spec.length !== 2) {
    throw new LossInputError(NAME, argument, '[loss, weight] or a loss', describeValue(spec));
  }
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw new LossInputError(NAME, `${argument}[1]`, 'a finite weight ≥ 0', describeValue(weight));
  }
  const { loss, config } = resolveLoss(NAME, Array.isArray(spec) ? `${argument}[0]` : argument, lossLike);
  return { name, loss, config, weight };
}

function weightedLoss(task: Task & { weight: number }): WeightedLoss {
  const { loss, weight, config } = task;
  const scaled = (yTrue: TensorInput, yPred: TensorInput, call?: LossCall): tf.Tensor =>
    tf.tidy(() => (weight === 1 ? loss(yTrue, yPred, call) : tf.mul(weight, loss(yTrue, yPred, call))));
  const options = (loss as Partial<Loss>).options ?? { reduction: 'mean' };
  Object.defineProperty(scaled, 'name', { value: config.name });
  Object.defineProperty(scaled, 'options', { value: options, enumerable: true });
  Object.defineProperty(scaled, 'weight', { value: weight, enumerable: true });
  // A loss with trainable state (Loss.variables) keeps it visible to fit and saveModel.
  if ((loss as Partial<Loss>).variables) Object.defineProperty(scaled, 'variables', { value: (loss as Loss).variables, enumerable: true });
  Object.defineProperty(scaled, 'getConfig', {
    value: () => ({ name: 'weighted', weight, loss: { ...config } }) as unknown as LossConfig,
    enumerable: true,
  });
  return scaled as WeightedLoss;
}

/**
 * Combines per-output losses with fixed weights: L = Σₖ wₖ·Lₖ (Keras' `loss` dict plus
 * `loss_weights`). Give a dict `{ outputName: loss | [loss, weight] }` (or an array, for outputs
 * by position); a loss is a lossforge `Loss`, any `(yTrue, yPred) => Tensor`, or a registered name.
 *
 * - With `model.compile` (tfjs-layers has no `lossWeights`): pass `combined.losses` (a dict keyed by
 *   the output layers' names) or `combined.list` (by output position); each is the output's loss
 *   scaled by its weight, so fit minimizes Σₖ wₖ·Lₖ and reports each output's weighted loss.
 * - In a custom loop: `combined(yTrues, yPreds, calls?)` returns the total as a scalar, with
 *   per-output values as dicts by name or arrays in order; `combined.terms(...)` gives the terms.
 *
 * Choose it when the relative importance of the tasks is known; when it is not, see
 * `uncertaintyWeighting`, which learns the weights.
 * @example
 * // not run: needs a model with outputs 'price' and 'category' (docs/multi-task.md runs a whole one)
 * const loss = combine({ price: [losses.huber(), 1], category: [losses.categoricalCrossentropy(), 0.2] });
 * model.compile({ optimizer: 'adam', loss: loss.losses });
 * const total = loss({ price: yPrice, category: yCat }, model.apply(x) as tf.Tensor[]); // custom loop
 */
export function combine(spec: CombineSpec): CombinedLoss {
  const tasks = namedEntries<unknown>(NAME, 'spec', spec).map(([name, s]) => parseTask(name, s));
  const names = tasks.map((t) => t.name);
  const list = tasks.map(weightedLoss);
  const terms = (yTrues: unknown, yPreds: unknown, calls?: unknown): tf.Scalar[] => {
    const trues = perTask<TensorInput>(NAME, 'yTrues', yTrues, names);
    const preds = perTask<TensorInput>(NAME, 'yPreds', yPreds, names);
    const perCall = perTask<LossCall>(NAME, 'calls', calls, names, true);
    return tasks.map((task, k) => tf.mul(task.weight, taskLoss(task, trues[k]!, preds[k]!, perCall[k])) as tf.Scalar);
  };
  const combined = (yTrues: PerTask<TensorInput>, yPreds: PerTask<TensorInput>, calls?: PerTask<LossCall>): tf.Scalar =>
    tf.tidy(() => tf.addN(terms(yTrues, yPreds, calls)) as tf.Scalar);
  Object.defineProperty(combined, 'name', { value: NAME });
  Object.assign(combined, {
    names: Object.freeze([...names]),
    weights: Object.freeze(Object.fromEntries(tasks.map((t) => [t.name, t.weight]))),
    losses: Object.freeze(Object.fromEntries(names.map((n, k) => [n, list[k]!]))),
    list: Object.freeze(list),
    terms: (yTrues: PerTask<TensorInput>, yPreds: PerTask<TensorInput>, calls?: PerTask<LossCall>) => {
      const values = tf.tidy(() => terms(yTrues, yPreds, calls));
      return Object.fromEntries(names.map((n, k) => [n, values[k]!]));
    },
    getConfig: (): CombineConfig => ({
      name: NAME,
      outputs: Object.fromEntries(tasks.map((t) => [t.name, { loss: { ...t.config }, weight: t.weight }])),
    }),
  });
  return combined as CombinedLoss;
}
