/**
 * Training callbacks for `fit`: the hooks (compatible with tfjs-layers' `CustomCallbackArgs` and its
 * `tf.callbacks.earlyStopping()`), and two callbacks with Keras 3 semantics:
 * `earlyStopping` (with `restoreBestWeights`, which tfjs lacks) and `learningRateScheduler`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import * as option from '../core/options.js';
import { getLearningRate, setLearningRate, type TrainableModel } from './model.js';

/** Numbers logged for a batch or an epoch: `loss`, `val_loss`, metric names, `learning_rate`… */
export type Logs = { [key: string]: number };

export interface TrainingParams {
  epochs: number;
  initialEpoch: number;
  samples: number;
  steps: number;
  batchSize: number;
  doValidation: boolean;
  metrics: string[];
}

/**
 * A callback: any subset of these hooks. Hooks may be async. `setModel` / `setParams` are called
 * first, so tfjs-layers callback objects (e.g. `tf.callbacks.earlyStopping()`) work too.
 */
export interface TrainingCallback {
  setModel?(model: never): void;
  setParams?(params: never): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

export interface EarlyStoppingOptions {
  /** The logged quantity to watch (default `'val_loss'`). */
  monitor?: string;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** `'min'`, `'max'`, or `'auto'` (max for names containing `acc`, else min). */
  mode?: 'auto' | 'min' | 'max';
  /** Stop unless the monitored value beats this (default none). */
  baseline?: number;
  /** At the end of training, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before starting to monitor (default 0). */
  startFromEpoch?: number;
}

/** What `earlyStopping` exposes after training. */
export interface EarlyStoppingCallback extends TrainingCallback {
  /** The epoch training stopped at (0 if it ran to the end). */
  readonly stoppedEpoch: number;
  /** The epoch with the best monitored value (−1 before any). */
  readonly bestEpoch: number;
  readonly best: number;
}

const EARLY_STOPPING_OPTIONS = {
  monitor: { default: 'val_loss', expected: 'a logged quantity name such as "val_loss"', accepts: (v) => typeof v === 'string' && v !== '' } as option.OptionSpec<string>,
  minDelta: option.number(0, { min: 0 }),
  patience: option.integer(0, { min: 0 }),
  mode: option.oneOf(['auto', 'min', 'max'], 'auto'),
  baseline: option.optionalNumber(),
  restoreBestWeights: option.boolean(false),
  startFromEpoch: option.integer(0, { min: 0 }),
};

/**
 * Stops training when a monitored quantity has stopped improving (Keras 3 `EarlyStopping`: same
 * options, `restore_best_weights` → `restoreBestWeights`, which restores the best epoch's weights at
 * the end of training).
 * @example
 * await fit(model, x, y, { epochs: 100, validationSplit: 0.2,
 *   callbacks: [callbacks.earlyStopping({ patience: 5, restoreBestWeights: true })] });
 */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStoppingCallback {
  const { monitor, minDelta, patience, mode: modeOption, baseline, restoreBestWeights: restore, startFromEpoch } = option.resolveOptions(
    'earlyStopping',
    EARLY_STOPPING_OPTIONS,
    options as Record<string, unknown>,
  );
  const mode = modeOption === 'auto' ? (/acc/.test(monitor) ? 'max' : 'min') : modeOption;

  const better = (current: number, reference: number): boolean =>
    mode === 'min' ? current + minDelta < reference : current - minDelta > reference;

  let model: TrainableModel | undefined;
  let wait = 0;
  let best = mode === 'min' ? Infinity : -Infinity;
  let bestEpoch = -1;
  let stoppedEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;
  const keepWeights = () => {
    tf.dispose(bestWeights);
    bestWeights = model!.getWeights().map((w) => tf.keep(w.clone()));
  };

  return {
    get stoppedEpoch() { return stoppedEpoch; },
    get bestEpoch() { return bestEpoch; },
    get best() { return best; },
    setModel(m: never) { model = m as unknown as TrainableModel; },
    onTrainBegin() {
      wait = 0;
      best = mode === 'min' ? Infinity : -Infinity;
      bestEpoch = -1;
      stoppedEpoch = 0;
      tf.dispose(bestWeights);
      bestWeights = undefined;
    },
    onEpochEnd(epoch: number, logs: Logs = {}) {
      const current = logs[monitor];
      if (current === undefined) {
        throw new LossInputError('earlyStopping', 'options.monitor', `a logged quantity (${Object.keys(logs).join(', ')})`, `'${monitor}'`);
      }
      if (epoch < startFromEpoch) return;
      if (restore && bestWeights === undefined) keepWeights();
      wait += 1;
      if (better(current, best)) {
        best = current;
        bestEpoch = epoch;
        if (restore) keepWeights();
        if (baseline === undefined || better(current, baseline)) wait = 0;
        return;
      }
      if (wait >= patience && epoch > 0) {
        stoppedEpoch = epoch;
        model!.stopTraining = true;
      }
    },
    onTrainEnd() {
      if (restore && bestWeights !== undefined) model!.setWeights(bestWeights);
      tf.dispose(bestWeights);
      bestWeights = undefined;
    },
  };
}

/**
 * Sets the optimizer's learning rate at the start of each epoch to `schedule(epoch, currentRate)`
 * (Keras 3 `LearningRateScheduler`); the rate is logged as `learning_rate`.
 * @example
 * callbacks.learningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * 0.9))
 */
export function learningRateScheduler(schedule: (epoch: number, learningRate: number) => number): TrainingCallback {
  const tool = 'learningRateScheduler';
  if (typeof schedule !== 'function') throw new LossInputError(tool, 'schedule', 'a function (epoch, learningRate) => number', describeValue(schedule));
  let model: TrainableModel | undefined;
  return {
    setModel(m: never) { model = m as unknown as TrainableModel; },
    onEpochBegin(epoch: number) {
      const current = getLearningRate(model!.optimizer);
      if (current === undefined) {
        throw new LossInputError(tool, 'model.optimizer', 'an optimizer with a learningRate', describeValue(model!.optimizer?.getClassName?.()));
      }
      const next = schedule(epoch, current);
      if (typeof next !== 'number' || !Number.isFinite(next) || next < 0) {
        throw new LossInputError(tool, 'schedule', 'a finite non-negative learning rate', `${describeValue(next)} at epoch ${epoch}`);
      }
      setLearningRate(model!.optimizer, next);
    },
    onEpochEnd(_epoch: number, logs?: Logs) {
      const lr = getLearningRate(model!.optimizer);
      if (logs && lr !== undefined) logs['learning_rate'] = lr;
    },
  };
}
