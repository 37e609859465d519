/**
 * The workbench's one training adapter: builds a small MLP and trains it on a loss. Everything else
 * in the workbench trains through `trainMlp`, so switching to lossforge's own `fit` is a change here.
 *
 * It builds the model with tfjs-layers and trains it with lossforge's own `fit` (src/training):
 * Adam, seeded shuffling (tfjs-layers' `model.fit` shuffles with Math.random, so the same seed would
 * not give the same table), sample weights through the loss, per-epoch validation loss.
 */
import * as tf from '@tensorflow/tfjs';
import type { Loss, Logs, TrainableModel } from '../index.js';
import { fit, setValueChecks } from '../index.js';
import { deriveSeed } from './random.js';

// Production mode: no debug checks, and no "install tfjs-node" banner on the console.
tf.enableProdMode();

export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

export interface TrainOptions {
  /** Hidden layer sizes (ReLU), e.g. [32, 16]. */
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export interface TrainInput {
  x: Matrix;
  /** Targets as the loss expects them (row-major, `yCols` per row; 0 cols = a rank-1 vector). */
  y: Matrix;
  validation?: { x: Matrix; y: Matrix };
  /** Optional per-row weights passed to the loss as `sampleWeight`. */
  sampleWeight?: Float32Array;
  loss: Loss;
  units: number;
  activation: 'linear' | 'sigmoid' | 'softmax' | 'softplus';
  /** Called after each epoch; returning false stops training. */
  onEpoch?: (epoch: number, logs: { loss: number; valLoss: number }) => boolean | void;
}

export interface TrainedModel {
  history: { loss: number[]; valLoss: number[] };
  /** Raw outputs (after the output activation), row-major rows × units. */
  predict(x: Matrix): Float32Array;
  dispose(): void;
}

/** Targets as a tensor; sparse labels (cols 0) become [N, 1], which sparse losses accept. */
function toTensor(m: Matrix): tf.Tensor {
  return tf.tensor2d(m.data, [m.rows, Math.max(1, m.cols)]);
}

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
  const owned: tf.Tensor[] = [];
  const track = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  const history = { loss: [] as number[], valLoss: [] as number[] };
  try {
    const x = track(tf.tensor2d(input.x.data, [input.x.rows, input.x.cols]));
    const y = track(toTensor(input.y));
    const validationData: [tf.Tensor, tf.Tensor] | undefined = input.validation
      ? [track(tf.tensor2d(input.validation.x.data, [input.validation.x.rows, input.validation.x.cols])), track(toTensor(input.validation.y))]
      : undefined;
    await fit(model as unknown as TrainableModel, x, y, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      shuffle: true,
      seed: deriveSeed(options.seed, 11),
      ...(validationData ? { validationData } : {}),
      ...(input.sampleWeight ? { sampleWeight: track(tf.tensor1d(input.sampleWeight)) } : {}),
      callbacks: {
        onEpochEnd: (epoch: number, logs?: Logs) => {
          const loss = logs?.['loss'] ?? NaN;
          const valLoss = logs?.['val_loss'] ?? NaN;
          history.loss.push(loss);
          history.valLoss.push(valLoss);
          if (input.onEpoch?.(epoch, { loss, valLoss }) === false) model.stopTraining = true;
        },
      },
    });
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(owned);
    setValueChecks(previousChecks);
  }
  return {
    history,
    predict: (x) => {
      const out = tf.tidy(() => model.predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor);
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
