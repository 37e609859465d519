/**
 * The rows and columns of `npm run bench` (bench/run.ts measures them; bench/torch_bench.py builds
 * the same rows in PyTorch from the specs it is given, so both measure the same shapes).
 *
 * Rows: each binary and regression loss at the bench's square shape [1024, 1024] and at the shapes a
 * model outputs, [N] and [N, 1] with N = 2²⁰ (the same element count); the softmax rows at [B, K];
 * CTC at [B, T, C]. Columns: the tfjs composite ops and lossforge's fused kernels on each backend with
 * value checks off and the gradient read back (the original columns), lossforge with default settings
 * (value checks on), and lossforge in training mode (default settings, the gradient left in the
 * backend: only one of its entries, a scalar that depends on it, is read back).
 */
import * as tf from '@tensorflow/tfjs-core';
import { losses } from 'lossforge';

export type Family = 'bce-logits' | 'binary-focal' | 'mse' | 'huber' | 'softmax-ce' | 'ctc';

/** One row: a loss family at one yPred shape; `targetLength` is CTC's label count per sample. */
export interface RowSpec {
  name: string;
  family: Family;
  /** yPred's shape ([B, T, C] for CTC). */
  shape: number[];
  targetLength?: number;
}

/** Elements of the user-shaped rows [N] and [N, 1]: as many as [1024, 1024]. */
export const USER_N = 1024 * 1024;
export const ELEMENTWISE_FAMILIES: readonly Family[] = ['bce-logits', 'binary-focal', 'mse', 'huber'];
export const ELEMENTWISE_SHAPES: readonly number[][] = [[1024, 1024], [USER_N], [USER_N, 1]];
export const SOFTMAX_SHAPES: readonly number[][] = [[256, 32768], [4096, 1000]];
/** CTC, T = 200 frames, B = 16, C = 40 classes (blank 0), targets of S = 50 labels; summed over the batch. */
export const CTC_SHAPE = { T: 200, B: 16, C: 40, S: 50 };

const rowName = (family: Family, shape: readonly number[]): string => `${family} ${shape.join('x')}`;

/** Every row of the bench, in print order (each family's rows together). */
export function benchRows(): RowSpec[] {
  const { T, B, C, S } = CTC_SHAPE;
  return [
    ...ELEMENTWISE_FAMILIES.flatMap((family) => ELEMENTWISE_SHAPES.map((shape) => ({ name: rowName(family, shape), family, shape: [...shape] }))),
    ...SOFTMAX_SHAPES.map((shape) => ({ name: rowName('softmax-ce', shape), family: 'softmax-ce' as const, shape: [...shape] })),
    { name: `ctc T${T} B${B} C${C} S${S}`, family: 'ctc', shape: [B, T, C], targetLength: S },
  ];
}

/** The rows whose name contains `only` (every row for ''). */
export function selectRows(rows: readonly RowSpec[], only: string): RowSpec[] {
  return rows.filter((r) => r.name.includes(only));
}

/** How a column runs each row. */
export interface Column {
  name: string;
  backend: 'cpu' | 'wasm';
  /** lossforge's fused kernels on (false: the composite tfjs ops). */
  fused: boolean;
  /** Value checks on (lossforge's default) or off. */
  valueChecks: boolean;
  /** 'gradient': the whole gradient is read back; 'scalar': one entry of it (the gradient stays in the backend, as in training). */
  sync: 'gradient' | 'scalar';
  /** Fewer repetitions (the tfjs-cpu composite takes seconds per call). */
  slow?: boolean;
}

export const COLUMNS: readonly Column[] = [
  { name: 'tfjs-cpu', backend: 'cpu', fused: false, valueChecks: false, sync: 'gradient', slow: true },
  { name: 'tfjs-wasm', backend: 'wasm', fused: false, valueChecks: false, sync: 'gradient' },
  { name: 'lossforge', backend: 'cpu', fused: true, valueChecks: false, sync: 'gradient' },
  { name: 'lossforge-wasm', backend: 'wasm', fused: true, valueChecks: false, sync: 'gradient' },
  { name: 'lossforge default', backend: 'cpu', fused: true, valueChecks: true, sync: 'gradient' },
  { name: 'lossforge-wasm default', backend: 'wasm', fused: true, valueChecks: true, sync: 'gradient' },
  { name: 'lossforge train', backend: 'cpu', fused: true, valueChecks: true, sync: 'scalar' },
  { name: 'lossforge-wasm train', backend: 'wasm', fused: true, valueChecks: true, sync: 'scalar' },
];

const fastest = (r: Record<string, number>, names: string[]): number | undefined => {
  const values = names.map((n) => r[n]).filter((v): v is number => v !== undefined);
  return values.length > 0 ? Math.min(...values) : undefined;
};
const over = (a?: number, b?: number): number | undefined => (a === undefined || b === undefined ? undefined : a / b);

/**
 * The ratios of a row (> 1: lossforge faster): each backend's fused kernels over its composite ops;
 * PyTorch over the faster lossforge backend with checks off, with default settings and in training
 * mode; and the cost of the value checks (faster default column over faster checks-off column).
 */
export function ratios(r: Record<string, number>): Record<string, number | undefined> {
  const off = fastest(r, ['lossforge', 'lossforge-wasm']);
  const defaults = fastest(r, ['lossforge default', 'lossforge-wasm default']);
  const train = fastest(r, ['lossforge train', 'lossforge-wasm train']);
  return {
    'cpu vs tfjs': over(r['tfjs-cpu'], r['lossforge']),
    'wasm vs tfjs': over(r['tfjs-wasm'], r['lossforge-wasm']),
    'vs pytorch': over(r['pytorch'], off),
    'default vs pytorch': over(r['pytorch'], defaults),
    'train vs pytorch': over(r['pytorch'], train),
    'checks cost': over(defaults, off),
  };
}

/** A row made runnable: its inputs and its loss (mean-reduced; CTC summed over the batch). */
export interface Workload {
  make(): { yTrue: tf.Tensor; yPred: tf.Tensor };
  loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
}

const LOSS_CONFIGS: Record<Exclude<Family, 'ctc'>, { name: string } & Record<string, unknown>> = {
  'bce-logits': { name: 'binaryCrossentropy', fromLogits: true },
  'binary-focal': { name: 'binaryFocalCrossentropy', fromLogits: true, gamma: 2 },
  mse: { name: 'meanSquaredError' },
  huber: { name: 'huber' },
  'softmax-ce': { name: 'sparseCategoricalCrossentropy', fromLogits: true },
};

/** The tensors and loss of a row (seeded, so every column sees the same inputs). */
export function workload(row: RowSpec): Workload {
  const { family, shape } = row;
  if (family === 'ctc') {
    const [B, T, C] = shape as [number, number, number];
    const loss = losses.ctc({ reduction: 'sum' });
    return {
      make: () => ({ yTrue: tf.randomUniform([B, row.targetLength ?? 1], 1, C, 'int32', 8), yPred: tf.randomNormal([B, T, C], 0, 1, 'float32', 9) }),
      loss: (yTrue, yPred) => loss(yTrue, yPred),
    };
  }
  const loss = losses.fromConfig(LOSS_CONFIGS[family] as never);
  if (family === 'softmax-ce') {
    const classes = shape[shape.length - 1]!;
    return { make: () => ({ yTrue: tf.randomUniform(shape.slice(0, -1), 0, classes, 'int32', 3), yPred: tf.randomNormal(shape, 0, 1, 'float32', 4) }), loss };
  }
  const binary = family === 'bce-logits' || family === 'binary-focal';
  return {
    make: () => ({
      yTrue: binary ? tf.tidy(() => tf.cast(tf.greater(tf.randomUniform(shape, 0, 1, 'float32', 1), 0.5), 'float32')) : tf.randomNormal(shape, 0, 1, 'float32', 1),
      yPred: tf.randomNormal(shape, 0, 1, 'float32', 2),
    }),
    loss,
  };
}
