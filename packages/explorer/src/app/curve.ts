/**
 * Evaluates a loss along a probe: the loss and its derivative (tf.grad) at each x, for each series.
 * Points where the loss rejects the input (e.g. a negative Poisson rate) or gives a non-finite value
 * are left out and counted, so a curve never carries NaN into a chart.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError, type Loss, type option } from 'lossforge';
import { AXES, type AxisKind, type Probe } from './probes.js';

type OptionValue = option.OptionValue;

/** One plotted point. */
export type CurveRow = {
  /** The curve's legend label (the loss and its options). */
  loss: string;
  series: string;
  /** The point's index on the axis grid. */
  point: number;
  x: number;
  value: number;
  derivative: number;
};

export interface Curve {
  rows: CurveRow[];
  /** Points left out: rejected inputs or non-finite values. */
  dropped: number;
}

/** `count` evenly spaced values over `domain`, both ends included. */
export function grid([lo, hi]: readonly [number, number], count: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
}

/** Per-sample values of the loss at `x` and their derivatives d value_i / d x_i. */
function valuesAndDerivatives(loss: Loss, probe: Probe, x: Float32Array, y: number, axis: AxisKind, options: Record<string, OptionValue>) {
  return tf.tidy(() => {
    const f = (xs: tf.Tensor): tf.Tensor => {
      const { yTrue, yPred } = probe.inputs(xs as tf.Tensor1D, y, axis, options);
      const perSample = tf.reshape(loss(yTrue, yPred), [-1]);
      return probe.perPoint ? tf.mean(perSample) : perSample;
    };
    const xs = tf.tensor1d(x);
    const value = f(xs).dataSync();
    const derivative = tf.grad((t: tf.Tensor) => tf.sum(f(t)))(xs).dataSync();
    return { value: Float32Array.from(value), derivative: Float32Array.from(derivative) };
  });
}

/**
 * The curve of `loss` (made with reduction 'none') along `probe`, for each of the probe's series at
 * `target`, over `count` points of the axis. The probe reads the loss's resolved options (e.g. whether
 * it takes probabilities).
 */
export function evaluateCurve(loss: Loss, label: string, probe: Probe, options: { axis: AxisKind; target: number; count?: number }): Curve {
  const { axis, target, count = 121 } = options;
  const lossOptions = loss.options as Record<string, OptionValue>;
  const xs = grid(AXES[axis].domain, count);
  const rows: CurveRow[] = [];
  let dropped = 0;
  for (const series of probe.series(target)) {
    const push = (point: number, value: number, derivative: number) => {
      if (Number.isFinite(value) && Number.isFinite(derivative)) rows.push({ loss: label, series: series.label, point, x: xs[point]!, value, derivative });
      else dropped++;
    };
    const batch = probe.perPoint ? undefined : tryBatch(() => valuesAndDerivatives(loss, probe, xs, series.y, axis, lossOptions));
    if (batch) {
      xs.forEach((_, i) => push(i, batch.value[i]!, batch.derivative[i]!));
      continue;
    }
    // One point at a time: pair losses, or a batch that the loss rejected as a whole.
    for (const [i, x] of xs.entries()) {
      const one = tryBatch(() => valuesAndDerivatives(loss, probe, Float32Array.of(x), series.y, axis, lossOptions));
      if (one) push(i, one.value[0]!, one.derivative[0]!);
      else dropped++;
    }
  }
  return { rows, dropped };
}

/** The result, or undefined when the loss rejects the input (other errors are real bugs and propagate). */
function tryBatch<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (error instanceof LossInputError) return undefined;
    throw error;
  }
}
