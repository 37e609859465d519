/**
 * Shared plumbing of `combine` and `uncertaintyWeighting`: named task entries from a dict or an
 * array, resolving each task's loss, and matching per-task targets/predictions/calls to the tasks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { configOf, type LossCall, type LossConfig } from '../core/loss.js';
import { get as getLoss } from '../losses/index.js';
import type { TensorInput } from '../core/validate.js';

export type LossFunction = (yTrue: TensorInput, yPred: TensorInput, call?: LossCall) => tf.Tensor;

/** A loss (a lossforge `Loss` or any `(yTrue, yPred, call?) => Tensor` function), or a registered loss name. */
export type LossLike = LossFunction | string;

/** Per-task values: a dict by task name, or an array in the tasks' order. */
export type PerTask<T> = Readonly<Record<string, T>> | readonly T[];

export interface Task {
  name: string;
  loss: LossFunction;
  config: LossConfig;
}

/** Resolves a LossLike: a name through the registry, a function as is (its config from getConfig or its name). */
export function resolveLoss(fn: string, argument: string, x: unknown): { loss: LossFunction; config: LossConfig } {
  if (typeof x === 'string') {
    const loss = getLoss(x);
    return { loss, config: loss.getConfig() };
  }
  if (typeof x !== 'function') {
    throw new LossInputError(fn, argument, 'a loss, a function (yTrue, yPred) => Tensor, or a loss name', describeValue(x));
  }
  const loss = x as LossFunction;
  return { loss, config: configOf(loss) };
}

/** [name, value] pairs of a dict or an array (names '0', '1', …), checked non-empty. */
export function namedEntries<T>(fn: string, argument: string, spec: unknown): [string, T][] {
  let entries: [string, T][];
  if (Array.isArray(spec)) entries = spec.map((v, i) => [String(i), v as T]);
  else if (typeof spec === 'object' && spec !== null && !(spec instanceof tf.Tensor)) entries = Object.entries(spec as Record<string, T>);
  else throw new LossInputError(fn, argument, 'a dict { outputName: … } or an array', describeValue(spec));
  if (entries.length === 0) throw new LossInputError(fn, argument, 'at least one task', Array.isArray(spec) ? 'an empty array' : 'an empty object');
  return entries;
}

/**
 * The value of each task, in task order, from a dict by name or an array in task order. A single
 * tensor is accepted for a single task.
 */
export function perTask<T>(fn: string, argument: string, given: unknown, names: readonly string[], optional = false): (T | undefined)[] {
  if (given === undefined && optional) return names.map(() => undefined);
  if (names.length === 1 && given instanceof tf.Tensor) return [given as T];
  if (Array.isArray(given)) {
    if (given.length !== names.length) {
      throw new LossInputError(fn, argument, `one entry per task (${names.length}: ${names.join(', ')})`, `${given.length} entries`);
    }
    return given as T[];
  }
  if (typeof given === 'object' && given !== null && !(given instanceof tf.Tensor)) {
    const dict = given as Record<string, T>;
    for (const key of Object.keys(dict)) {
      if (!names.includes(key)) throw new LossInputError(fn, `${argument}.${key}`, `one of the tasks (${names.join(', ')})`, 'an unknown task');
    }
    return names.map((name) => {
      if (dict[name] === undefined && !optional) throw new LossInputError(fn, `${argument}.${name}`, 'a value for every task', 'nothing');
      return dict[name];
    });
  }
  const got = given instanceof tf.Tensor ? `a tensor of shape ${formatShape(given.shape)}` : describeValue(given);
  throw new LossInputError(fn, argument, `a dict by task name or an array in task order (${names.join(', ')})`, got);
}

/** One task's loss as a scalar: `mean` of whatever the loss returns (as tfjs-layers' fit does). */
export function taskLoss(task: Task, yTrue: TensorInput, yPred: TensorInput, call: LossCall | undefined): tf.Tensor {
  const value = task.loss(yTrue, yPred, call);
  return value.rank === 0 ? value : tf.mean(value);
}
