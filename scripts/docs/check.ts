/**
 * What a docs snippet runs with (see scripts/docs/snippets.ts): `__check`, which compares a value with
 * the one its comment states, and `__fixtures`, the few ready-made values a doc-comment `@example` may
 * use without defining them (a small compiled model with its data, tensors of the usual shapes).
 */
import * as tf from '@tensorflow/tfjs';
import { losses } from 'lossforge';
import type { Stated } from './snippets.js';

function plain(value: unknown): unknown {
  if (value instanceof tf.Tensor) return value.arraySync();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

function decimals(x: number): number {
  const m = /\.(\d+)/.exec(String(x));
  return m ? m[1]!.length : 0;
}

function close(actual: unknown, expected: Stated, approx: boolean): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => close(actual[i], e, approx));
  }
  if (typeof expected === 'string' || typeof expected === 'boolean') return actual === expected;
  if (typeof actual !== 'number' || !Number.isFinite(actual)) return false;
  const tolerance = approx ? 0.5 * 10 ** -decimals(expected) : 1e-5 * Math.max(1, Math.abs(expected));
  return Math.abs(actual - expected) <= tolerance;
}

/** Throws unless `value` (a tensor, typed array, number, array or string) is the stated `expected`. */
export function __check(where: string, value: unknown, expected: Stated, approx: boolean): void {
  const actual = plain(value);
  if (!close(actual, expected, approx)) {
    throw new Error(`${where}: the comment states ${JSON.stringify(expected)}, the code gives ${JSON.stringify(actual)}`);
  }
}

/** The values an `@example` may use without defining them; each made only when the snippet names it. */
export const FIXTURES: Record<string, () => unknown> = {
  /** A compiled binary classifier: 4 features → 1 probability. */
  model: () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
    model.compile({ optimizer: 'adam', loss: losses.binaryCrossentropy() });
    return model;
  },
  /** 16 samples × 4 features, and their 0/1 labels [16, 1]. */
  x: () => tf.randomNormal([16, 4], 0, 1, 'float32', 1),
  y: () => tf.tensor2d([0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0], [16, 1]),
  /** Probabilities [4, 3] and targets in [0, 1] of the same shape. */
  yTrue: () => tf.tensor2d([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]]),
  yPred: () => tf.tensor2d([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1]]),
  /** 4 embeddings of dimension 8. */
  embeddings: () => tf.randomNormal([4, 8], 0, 1, 'float32', 2),
  /** Per-frame scores of 2 sequences: [2, 20 frames, 5 classes]. */
  logits: () => tf.randomNormal([2, 20, 5], 0, 1, 'float32', 3),
  /** Two batches of 2 vectors of dimension 8, for pair losses. */
  x1: () => tf.randomNormal([2, 8], 0, 1, 'float32', 4),
  x2: () => tf.randomNormal([2, 8], 0, 1, 'float32', 5),
  /** Held-out data like x and y: 8 samples. */
  xTest: () => tf.randomNormal([8, 4], 0, 1, 'float32', 6),
  yTest: () => tf.tensor2d([1, 0, 0, 1, 0, 1, 1, 0], [8, 1]),
  /** linearCrossentropy's inputs: hidden [8, 16], an output weight [16, 50], token ids [8]. */
  hidden: () => tf.randomNormal([8, 16], 0, 1, 'float32', 7),
  outputWeight: () => tf.randomNormal([16, 50], 0, 0.1, 'float32', 8),
  tokenIds: () => tf.tensor1d([3, 14, 15, 9, 26, 5, 35, 8], 'int32'),
  /** A GAN: generator 4 → 8, critic 8 → 1 (ReLU), a real and a fake batch of 8, noise z, each model's variables. */
  generator: () => GAN.generator,
  critic: () => GAN.critic,
  real: () => tf.randomNormal([8, 8], 0, 1, 'float32', 9),
  fake: () => tf.randomNormal([8, 8], 0, 1, 'float32', 10),
  z: () => tf.randomNormal([8, 4], 0, 1, 'float32', 11),
  genVars: () => GAN.generator.trainableWeights.map((w) => w.read() as tf.Variable),
  criticVars: () => GAN.critic.trainableWeights.map((w) => w.read() as tf.Variable),
  /** Segmentation: 0/1 masks [2, 4, 4, 3] and an integer label map [2, 4, 4] (255 = void). */
  masks: () => tf.cast(tf.greater(tf.randomUniform([2, 4, 4, 3], 0, 1, 'float32', 12), 0.6), 'float32'),
  labelMap: () => tf.tensor3d(Array.from({ length: 32 }, (_, i) => (i === 5 ? 255 : i % 3)), [2, 4, 4], 'int32'),
};

/** Overrides of FIXTURES for the examples of one source file (its path ends with the key). */
export const FIXTURES_BY_FILE: Record<string, Record<string, () => unknown>> = {
  /** Segmentation logits [2, 4, 4, 3], the shape of `masks`. */
  'losses/segmentation.ts': { logits: () => tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 13) },
};

const GAN = {
  get generator() {
    return (this._generator ??= tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 8 })] }));
  },
  get critic() {
    return (this._critic ??= tf.sequential({
      layers: [tf.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), tf.layers.dense({ units: 1 })],
    }));
  },
  _generator: undefined as tf.Sequential | undefined,
  _critic: undefined as tf.Sequential | undefined,
};
