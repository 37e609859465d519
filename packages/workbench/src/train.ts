/**
 * The workbench's one training adapter: builds a small MLP with tfjs-layers and trains it with
 * lossforge's own `fit` (src/training): Adam, seeded shuffling (tfjs-layers' `model.fit` shuffles
 * with Math.random, so the same seed would not give the same table), sample weights through the
 * loss, per-epoch validation loss. Everything else in the workbench trains through `trainMlp`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Loss } from 'lossforge';
import { callbacks, fit, setValueChecks } from 'lossforge';
import { deriveSeed } from './random.js';

// Production mode: no debug checks, and no "install tfjs-node" banner on the console.
tf.enableProdMode();

export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** The model and training settings shared by every split of a study (the seed is per split). */
export interface TrainingKnobs {
  /** Hidden layer sizes (ReLU), e.g. [32, 16]; [] for a linear model. */
  hidden: number[];
  /** The epoch budget: fixed, or the cap when `earlyStopping` is on. */
  epochs: number;
  /**
   * Stop when the validation loss (a split of the training fold) has not improved for `patience`
   * epochs and restore the best epoch's weights; false trains exactly `epochs` epochs.
   */
  earlyStopping?: boolean;
  batchSize: number;
  /** Adam's learning rate. */
  learningRate: number;
}

/** The epoch cap of a training that stops on its own (early stopping, `--epochs` not given). */
export const MAX_EPOCHS = 300;

/** Epochs without a better validation loss before early stopping gives up. */
export const PATIENCE = 20;

export interface TrainOptions extends TrainingKnobs {
  /** Seeds the initial weights and the shuffling. */
  seed: number;
}

export interface TrainInput {
  x: Matrix;
  /** Targets as the loss expects them (row-major, `yCols` per row; 0 cols = a rank-1 vector). */
  y: Matrix;
  /** Scored with the loss after each epoch (`history.valLoss`); what early stopping watches. */
  validation: { x: Matrix; y: Matrix };
  loss: Loss;
  units: number;
  activation: 'linear' | 'sigmoid' | 'softmax' | 'softplus';
}

export interface TrainedModel {
  history: { loss: number[]; valLoss: number[] };
  /** The epoch (1-based) with the lowest validation loss: the weights kept under early stopping. */
  bestEpoch: number;
  /** True when the validation loss was still improving at the end (best epoch within the last `stillImprovingWindow` epochs). */
  stillImproving: boolean;
  /** Raw outputs (after the output activation), row-major rows × units. */
  predict(x: Matrix): Float32Array;
  dispose(): void;
}

/** Features as a [rows, cols] tensor. */
const features = (m: Matrix): tf.Tensor2D => tf.tensor2d(m.data, [m.rows, m.cols]);

/** Targets as a tensor; sparse labels (cols 0) become [N, 1], which sparse losses accept. */
const targets = (m: Matrix): tf.Tensor2D => tf.tensor2d(m.data, [m.rows, Math.max(1, m.cols)]);

function buildModel(inputs: number, units: number, activation: TrainInput['activation'], options: TrainOptions): tf.Sequential {
  const model = tf.sequential();
  let seed = 0;
  const init = () => tf.initializers.glorotUniform({ seed: deriveSeed(options.seed, 7, seed++) });
  options.hidden.forEach((size, i) => {
    model.add(
      tf.layers.dense({
        units: size,
        activation: 'relu',
        kernelInitializer: init(),
        ...(i === 0 ? { inputShape: [inputs] } : {}),
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units,
      activation,
      kernelInitializer: init(),
      ...(options.hidden.length === 0 ? { inputShape: [inputs] } : {}),
    }),
  );
  return model;
}

/** Trains a fresh MLP with lossforge's `fit`; deterministic for a given `options.seed` on the cpu backend. */
export async function trainMlp(input: TrainInput, options: TrainOptions): Promise<TrainedModel> {
  const previousChecks = setValueChecks(false); // the data was checked when it was loaded
  const model = buildModel(input.x.cols, input.units, input.activation, options);
  model.compile({ optimizer: tf.train.adam(options.learningRate), loss: input.loss });
  const tensors = [features(input.x), targets(input.y), features(input.validation.x), targets(input.validation.y)] as const;
  let history: TrainedModel['history'];
  try {
    const [x, y, xVal, yVal] = tensors;
    const fitted = await fit(model, x, y, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      shuffle: true,
      seed: deriveSeed(options.seed, 11),
      validationData: [xVal, yVal],
      callbacks: options.earlyStopping ? [callbacks.earlyStopping({ monitor: 'val_loss', patience: PATIENCE, restoreBestWeights: true })] : [],
    });
    history = { loss: fitted.history['loss'] ?? [], valLoss: fitted.history['val_loss'] ?? [] };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose([...tensors]);
    setValueChecks(previousChecks);
  }
  const bestEpoch = argmin(history.valLoss) + 1;
  return {
    history,
    bestEpoch,
    stillImproving: history.loss.length >= options.epochs && bestEpoch > history.loss.length - stillImprovingWindow(options),
    predict: (x) => {
      const out = tf.tidy(() => model.predict(features(x)) as tf.Tensor);
      const values = (out.dataSync() as Float32Array).slice();
      out.dispose();
      return values;
    },
    dispose: () => {
      model.optimizer?.dispose();
      model.dispose();
    },
  };
}

/**
 * How close to the end the best validation epoch must be for a training to count as still improving:
 * the patience under early stopping (it stopped only because the cap came first), else the last tenth.
 */
export function stillImprovingWindow(options: TrainingKnobs): number {
  return options.earlyStopping ? PATIENCE : Math.max(1, Math.ceil(options.epochs / 10));
}

/** Index of the smallest finite value (0 when none is finite). */
function argmin(values: readonly number[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && !(v >= values[best]!)) best = i;
  });
  return best;
}
