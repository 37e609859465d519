/**
 * Probes: how a loss is seen as a curve. A probe turns a vector of x values (an error, a logit or
 * probability, a distance) into yTrue and yPred batches for one target value, so that each x is one
 * sample and `loss(yTrue, yPred)` with reduction 'none' gives the curve, and tf.grad its derivative.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { option } from 'lossforge';

type OptionValue = option.OptionValue;

/** The x axes a curve can have. */
export type AxisKind = 'error' | 'logit' | 'probability' | 'distance';

export const AXES: Record<AxisKind, { title: string; domain: [number, number] }> = {
  error: { title: 'error e = ŷ − y', domain: [-4, 4] },
  logit: { title: 'logit z (p = σ(z))', domain: [-6, 6] },
  probability: { title: 'predicted probability p', domain: [0.005, 0.995] },
  distance: { title: 'distance d between the pair', domain: [0, 3] },
};

/** One plotted series of a probe: a target value and its legend label. */
export interface Series {
  label: string;
  y: number;
}

export interface Probe {
  /** 'classification' probes plot against the logit or the probability, as the view chooses. */
  family: 'regression' | 'classification' | 'distance';
  /** Options the 1-D view fixes (e.g. segmentation mode), not shown as controls. */
  fixed: Record<string, OptionValue>;
  series(target: number): Series[];
  /** yTrue and yPred for the points `x` (1-D) and target `y`; yPred is differentiable in x. */
  inputs(x: tf.Tensor1D, y: number, axis: AxisKind, options: Record<string, OptionValue>): { yTrue: tf.Tensor; yPred: tf.Tensor };
  /** The points interact within a batch (pair losses): evaluate them one at a time. */
  perPoint?: boolean;
}

const column = (t: tf.Tensor1D): tf.Tensor2D => tf.reshape(t, [-1, 1]) as tf.Tensor2D;

/** The logit z and probability p of the x values, for either classification axis. */
function logitAndProbability(x: tf.Tensor1D, axis: AxisKind): { z: tf.Tensor1D; p: tf.Tensor1D } {
  if (axis === 'probability') return { z: tf.sub(tf.log(x), tf.log1p(tf.neg(x))) as tf.Tensor1D, p: x };
  return { z: x, p: tf.sigmoid(x) as tf.Tensor1D };
}

/**
 * What a classification loss receives: the logit when it takes logits (`fromLogits: true`, or a
 * score-based loss such as hinge), the probability otherwise.
 */
function prediction(x: tf.Tensor1D, axis: AxisKind, takesProbability: boolean): tf.Tensor1D {
  const { z, p } = logitAndProbability(x, axis);
  return takesProbability ? p : z;
}

const binarySeries = (): Series[] => [
  { label: 'y = 1', y: 1 },
  { label: 'y = 0', y: 0 },
];

/** Regression: yTrue = y, yPred = y + e. */
export const errorProbe: Probe = {
  family: 'regression',
  fixed: {},
  series: (target) => [{ label: `y = ${target}`, y: target }],
  inputs: (x, y) => ({ yTrue: tf.fill([x.shape[0], 1], y), yPred: column(tf.add(x, y) as tf.Tensor1D) }),
};

/**
 * Elementwise binary losses ([N, 1] labels and predictions). `probability(options)` says whether the
 * loss reads probabilities (e.g. `fromLogits: false`) rather than logits or scores.
 */
export function elementwiseProbe(probability: (options: Record<string, OptionValue>) => boolean): Probe {
  return {
    family: 'classification',
    fixed: {},
    series: binarySeries,
    inputs: (x, y, axis, options) => ({ yTrue: tf.fill([x.shape[0], 1], y), yPred: column(prediction(x, axis, probability(options))) }),
  };
}

/** Two classes, class 1 the positive: predictions [0, z] (logits) or [1 − p, p]; targets one-hot, or the index when sparse. */
export function twoClassProbe(probability: (options: Record<string, OptionValue>) => boolean, sparse = false): Probe {
  return {
    family: 'classification',
    fixed: {},
    series: binarySeries,
    inputs: (x, y, axis, options) => {
      const n = x.shape[0];
      const { z, p } = logitAndProbability(x, axis);
      const yPred = probability(options) ? tf.stack([tf.sub(1, p), p], 1) : tf.stack([tf.zerosLike(z), z], 1);
      const yTrue = sparse ? tf.fill([n], y, 'int32') : tf.tile(tf.tensor2d([[1 - y, y]]), [n, 1]);
      return { yTrue, yPred };
    },
  };
}

/** Segmentation losses on one-pixel binary masks, one image per point (per-image aggregation). */
export function pixelProbe(probability: (options: Record<string, OptionValue>) => boolean, fixed: Record<string, OptionValue>): Probe {
  return {
    family: 'classification',
    fixed,
    series: binarySeries,
    inputs: (x, y, axis, options) => ({
      yTrue: tf.fill([x.shape[0], 1, 1, 1], y),
      yPred: tf.reshape(prediction(x, axis, probability(options)), [-1, 1, 1, 1]),
    }),
  };
}

/** Margin ranking: scores [z, 0], y = 1 (x₁ should rank first) or −1. */
export const rankingProbe: Probe = {
  family: 'classification',
  fixed: {},
  series: () => [
    { label: 'y = 1', y: 1 },
    { label: 'y = −1', y: -1 },
  ],
  inputs: (x, y, axis) => {
    const z = prediction(x, axis, false);
    return { yTrue: tf.fill([x.shape[0]], y), yPred: tf.stack([z, tf.zerosLike(z)], 1) };
  },
};

/** Pair losses: two 1-D embeddings 0 and d, with the same label (similar) or different ones. */
export const pairProbe: Probe = {
  family: 'distance',
  fixed: {},
  perPoint: true,
  series: () => [
    { label: 'similar pair', y: 1 },
    { label: 'dissimilar pair', y: 0 },
  ],
  inputs: (x, y) => ({
    yTrue: tf.tensor1d([0, y === 1 ? 0 : 1]),
    yPred: tf.stack([tf.zerosLike(x), x]) as tf.Tensor2D,
  }),
};
