/**
 * `uncertaintyWeighting`: multi-task weights learned as homoscedastic uncertainties
 * (Kendall, Gal & Cipolla 2018).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossCall, LossConfig } from '../core/loss.js';
import { optionalNumberOrArray, resolveOptions, type OptionSpec } from '../core/options.js';
import type { TensorInput } from '../core/validate.js';
import { namedEntries, perTask, resolveLoss, taskLoss, type LossLike, type PerTask, type Task } from './entries.js';

const NAME = 'uncertaintyWeighting';
let instances = 0;

export interface UncertaintyWeightingOptions {
  /** Initial sᵢ = log σᵢ², one number for all tasks or one per task (default 0: every weight 1). */
  initialLogVariance?: number | readonly number[];
}

export interface UncertaintyWeighting {
  /** Σᵢ exp(−sᵢ)·Lᵢ + sᵢ, per-task values as dicts by task name or arrays in task order. */
  (yTrues: PerTask<TensorInput>, yPreds: PerTask<TensorInput>, calls?: PerTask<LossCall>): tf.Scalar;
  /** Task names in order (array specs: '0', '1', …). */
  readonly names: readonly string[];
  /** sᵢ = log σᵢ², trainable scalar variables: add them to the optimizer's variable list. */
  readonly logVariances: readonly tf.Variable[];
  /** The same sᵢ by task name: the trainable state every stateful loss exposes (`lossVariables(loss)`, docs/training.md). */
  readonly variables: Readonly<Record<string, tf.Variable>>;
  /** The current σᵢ² = exp(sᵢ). */
  variances(): number[];
  /** The current task weights exp(−sᵢ). */
  weights(): number[];
  /** Frees the logVariances variables. */
  dispose(): void;
  getConfig(): { name: 'uncertaintyWeighting'; losses: Record<string, LossConfig>; logVariances: number[] };
}

/** sᵢ at the start: one finite number for every task, or one per task (undefined: 0). */
function initialLogVarianceSpec(count: number): OptionSpec<number | number[] | undefined> {
  const numberOrArray = optionalNumberOrArray();
  return {
    default: undefined,
    expected: `a finite number or ${count} finite numbers (one per task)`,
    accepts: (v) => numberOrArray.accepts(v) && (!Array.isArray(v) || v.length === count),
  };
}

/**
 * Learns multi-task weights (Kendall, Gal & Cipolla 2018, "Multi-Task Learning Using Uncertainty
 * to Weigh Losses"): with one trainable sᵢ = log σᵢ² per task,
 *
 *   L = Σᵢ exp(−sᵢ)·Lᵢ + sᵢ,
 *
 * the common implementation of the paper's objective (for a Gaussian task the paper's
 * ½exp(−sᵢ)Lᵢ + ½sᵢ is half of this term, with the same minimizer). For fixed Lᵢ the optimum is
 * exp(sᵢ) = Lᵢ: a task's weight falls as its loss (its noise) grows, and the +sᵢ term stops
 * every weight from going to zero. Choose it when tasks have different units or noise levels and
 * hand-tuned `combine` weights would be guesswork.
 *
 * Train the sᵢ with the model: they are the loss's trainable state (`loss.variables`, one per task,
 * as for every loss with state: docs/training.md), so include `lossVariables(loss)` in the variables
 * the optimizer updates (`trainStep([...model.trainableWeights, ...lossVariables(loss)], optimizer, objective, x, y)`
 * or your own `optimizer.minimize`). tfjs-layers' `model.fit` does not train them, so use a custom
 * loop. Call `dispose()` when done.
 * @example
 * // not run: needs your multi-output model, data and optimizer (docs/multi-task.md runs a whole one)
 * const loss = uncertaintyWeighting({ depth: losses.meanSquaredError(), labels: losses.categoricalCrossentropy() });
 * optimizer.minimize(() => loss({ depth: d, labels: y }, model.apply(x) as tf.Tensor[]), false, [...vars, ...loss.logVariances]);
 */
export function uncertaintyWeighting(spec: PerTask<LossLike>, options: UncertaintyWeightingOptions = {}): UncertaintyWeighting {
  const tasks: Task[] = namedEntries<unknown>(NAME, 'losses', spec).map(([name, lossLike]) => ({ name, ...resolveLoss(NAME, `losses.${name}`, lossLike) }));
  const specs = { initialLogVariance: initialLogVarianceSpec(tasks.length) };
  const { initialLogVariance } = resolveOptions(NAME, specs, options as Record<string, unknown>);
  const names = tasks.map((t) => t.name);
  const initial = Array.isArray(initialLogVariance) ? initialLogVariance : tasks.map(() => initialLogVariance ?? 0);
  const id = instances++;
  const logVariances = tasks.map((t, i) => tf.variable(tf.scalar(initial[i]!), true, `${NAME}${id}/logVariance_${t.name}`));

  const total = (yTrues: PerTask<TensorInput>, yPreds: PerTask<TensorInput>, calls?: PerTask<LossCall>): tf.Scalar =>
    tf.tidy(() => {
      const trues = perTask<TensorInput>(NAME, 'yTrues', yTrues, names);
      const preds = perTask<TensorInput>(NAME, 'yPreds', yPreds, names);
      const perCall = perTask<LossCall>(NAME, 'calls', calls, names, true);
      const terms = tasks.map((task, i) => {
        const s = logVariances[i]!;
        return tf.add(tf.mul(tf.exp(tf.neg(s)), taskLoss(task, trues[i]!, preds[i]!, perCall[i])), s);
      });
      return tf.addN(terms) as tf.Scalar;
    });
  const read = () => logVariances.map((v) => v.dataSync()[0]!);
  Object.defineProperty(total, 'name', { value: NAME });
  Object.assign(total, {
    names: Object.freeze([...names]),
    logVariances: Object.freeze(logVariances),
    variables: Object.freeze(Object.fromEntries(names.map((n, i) => [n, logVariances[i]!]))),
    variances: () => read().map(Math.exp),
    weights: () => read().map((s) => Math.exp(-s)),
    dispose: () => logVariances.forEach((v) => v.isDisposed || v.dispose()),
    getConfig: () => ({ name: NAME, losses: Object.fromEntries(tasks.map((t) => [t.name, { ...t.config }])), logVariances: read() }),
  });
  return total as UncertaintyWeighting;
}
