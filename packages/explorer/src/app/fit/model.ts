/**
 * The live fit's network: one tanh hidden layer, trained full-batch with Adam. Every loss starts
 * from the same initial weights (Glorot-uniform, drawn once from the seed) so the runs differ only
 * by their loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Loss } from 'lossforge';
import { randomSource } from './problems.js';

export const HIDDEN = 16;

export interface InitialWeights {
  shapes: [number, number][];
  values: Float32Array[];
}

/** Glorot-uniform weights and zero biases for inputs → HIDDEN → outputs, from `seed`. */
export function initialWeights(inputs: number, outputs: number, seed: number): InitialWeights {
  const r = randomSource(`weights-${seed}`);
  const glorot = (fanIn: number, fanOut: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return Float32Array.from({ length: fanIn * fanOut }, () => (2 * r.uniform() - 1) * limit);
  };
  return {
    shapes: [[inputs, HIDDEN], [1, HIDDEN], [HIDDEN, outputs], [1, outputs]],
    values: [glorot(inputs, HIDDEN), new Float32Array(HIDDEN), glorot(HIDDEN, outputs), new Float32Array(outputs)],
  };
}

/** One network being trained with one loss. */
export class Run {
  readonly variables: tf.Variable[];
  private readonly optimizer: tf.Optimizer;
  steps = 0;
  history: number[] = [];

  /** Starts from `init`; the history begins with the loss at step 0 on (x, y). */
  constructor(init: InitialWeights, private readonly loss: Loss, learningRate: number, x: tf.Tensor2D, y: tf.Tensor) {
    this.variables = init.values.map((v, i) => tf.variable(tf.tensor2d(v, init.shapes[i]!)));
    this.optimizer = tf.train.adam(learningRate);
    this.history.push(tf.tidy(() => this.loss(y, this.predict(x)).dataSync()[0]!));
  }

  /** The network's raw outputs (logits or values) for `x` [n, inputs]. */
  predict(x: tf.Tensor2D): tf.Tensor2D {
    const [w1, b1, w2, b2] = this.variables as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    return tf.tidy(() => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2), b2) as tf.Tensor2D);
  }

  /** `count` Adam steps on the whole batch; records the loss of each step. */
  train(x: tf.Tensor2D, y: tf.Tensor, count: number): void {
    for (let i = 0; i < count; i++) {
      const cost = this.optimizer.minimize(() => this.loss(y, this.predict(x)) as tf.Scalar, true, this.variables);
      this.history.push(cost!.dataSync()[0]!);
      cost!.dispose();
      this.steps++;
    }
  }

  dispose(): void {
    tf.dispose(this.variables);
    this.optimizer.dispose();
  }
}
