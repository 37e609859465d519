/** Small models and data for the training tests (seeded initializers, so tests are deterministic). */
import * as tf from '@tensorflow/tfjs';
import { seeded } from '../helpers/random.js';

/** A logistic regression: Dense(1, sigmoid) on `features` inputs, seeded kernel. */
export function logistic(features: number, seed = 1, activation: 'sigmoid' | 'linear' = 'sigmoid'): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({
        units: 1,
        inputShape: [features],
        activation,
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
        biasInitializer: 'zeros',
      }),
    ],
  });
}

/** A small MLP with seeded initializers. */
export function mlp(features: number, hidden: number, outputs: number, seed = 7, activation: 'sigmoid' | 'linear' | 'softmax' = 'linear'): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: hidden, inputShape: [features], activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: outputs, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** A two-output functional model: a shared Dense trunk, a regression head 'value' and a sigmoid head 'label'. */
export function twoHeads(features: number, seed = 3): tf.LayersModel {
  const input = tf.input({ shape: [features], name: 'features' });
  const trunk = tf.layers.dense({ units: 4, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  const value = tf.layers.dense({ units: 1, name: 'value', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(trunk) as tf.SymbolicTensor;
  const label = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'label', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(trunk) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [value, label] });
}

/** Deterministic pseudo-random numbers in [-1, 1), from the shared seeded generator. */
export function numbers(count: number, seed: number): number[] {
  const random = seeded(seed);
  return Array.from({ length: count }, () => random() * 2 - 1);
}

/** A binary problem: x [n, f], y [n, 1] with label 1 where a fixed linear score is positive. */
export function binaryData(n: number, f: number, seed = 11): { x: tf.Tensor2D; y: tf.Tensor2D; labels: number[] } {
  const xs = numbers(n * f, seed);
  const labels = Array.from({ length: n }, (_, i) => (xs[i * f]! + 0.5 * xs[i * f + 1]! > 0.3 ? 1 : 0));
  return { x: tf.tensor2d(xs, [n, f]), y: tf.tensor2d(labels, [n, 1]), labels };
}

export function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}
