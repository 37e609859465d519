/**
 * The live fit's problems: small seeded 2-D data sets, each with the losses it is meant to contrast
 * and a metric on clean data (the losses are trained on the corrupted data).
 */
import seedrandom from 'seedrandom';
import type { LossConfig } from 'lossforge';

export type ProblemId = 'outliers' | 'imbalance' | 'noisy';

export interface Knob {
  id: string;
  label: string;
  min: number;
  max: number;
  step: number;
  default: number;
}

export interface Dataset {
  /** Inputs [n, d]. */
  x: number[][];
  /** Regression: targets; classification: class indices. */
  y: number[];
  /** Rows that were corrupted (outliers, flipped labels): drawn differently. */
  corrupted: boolean[];
  /** Clean held-out data for the metric. */
  test: { x: number[][]; y: number[] };
}

export interface Problem {
  id: ProblemId;
  title: string;
  task: 'regression' | 'binary' | 'multiclass';
  inputs: 1 | 2;
  outputs: number;
  knobs: Knob[];
  /** The losses side by side, as configs (`losses.fromConfig`), with a legend label each. */
  losses: (settings: Record<string, number>, data: Dataset) => { label: string; config: LossConfig }[];
  metric: { name: string; higherIsBetter: boolean };
  learningRate: number;
  make(settings: Record<string, number>, seed: number): Dataset;
}

/** A seeded source of uniform and normal numbers (Box–Muller on seedrandom's alea). */
export function randomSource(seed: number | string): { uniform: () => number; normal: () => number } {
  const random = seedrandom.alea(String(seed));
  return { uniform: () => random(), normal: () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) };
}

/** The regression function the outliers hide: a gentle curve. */
export const trueFunction = (x: number): number => 0.8 * x + 0.4 * Math.sin(3 * x);

const outliers: Problem = {
  id: 'outliers',
  title: 'Regression with outliers',
  task: 'regression',
  inputs: 1,
  outputs: 1,
  knobs: [
    { id: 'fraction', label: 'Outlier fraction', min: 0, max: 0.4, step: 0.01, default: 0.15 },
    { id: 'size', label: 'Outlier size', min: 0, max: 8, step: 0.1, default: 4 },
  ],
  losses: () => [
    { label: 'meanSquaredError', config: { name: 'meanSquaredError' } },
    { label: 'huber (δ = 0.5)', config: { name: 'huber', delta: 0.5 } },
    { label: 'logCosh', config: { name: 'logCosh' } },
  ],
  metric: { name: 'RMSE against the clean function', higherIsBetter: false },
  learningRate: 0.03,
  make: ({ fraction = 0.15, size = 4 }, seed) => {
    const r = randomSource(seed);
    const n = 120;
    const x: number[][] = [];
    const y: number[] = [];
    const corrupted: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const xi = 2 * r.uniform() - 1;
      const bad = r.uniform() < fraction;
      x.push([xi]);
      y.push(trueFunction(xi) + 0.08 * r.normal() + (bad ? size * (0.6 + 0.4 * r.uniform()) : 0));
      corrupted.push(bad);
    }
    const testX = Array.from({ length: 101 }, (_, i) => [-1 + i / 50]);
    return { x, y, corrupted, test: { x: testX, y: testX.map(([v]) => trueFunction(v!)) } };
  },
};

/** Two Gaussian blobs; class 1 is the rare one (its share is the knob). */
function blobs(n: number, share: number, r: ReturnType<typeof randomSource>): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const positive = r.uniform() < share ? 1 : 0;
    const [cx, cy, s] = positive ? [0.55, 0.35, 0.3] : [-0.25, -0.1, 0.45];
    x.push([cx + s * r.normal(), cy + s * r.normal()]);
    y.push(positive);
  }
  return { x, y };
}

const imbalance: Problem = {
  id: 'imbalance',
  title: 'Imbalanced two-class blobs',
  task: 'binary',
  inputs: 2,
  outputs: 1,
  knobs: [{ id: 'share', label: 'Share of the rare class', min: 0.02, max: 0.5, step: 0.01, default: 0.06 }],
  losses: (_settings, data) => {
    const positives = data.y.filter((v) => v === 1).length;
    const posWeight = +((data.y.length - positives) / Math.max(positives, 1)).toFixed(2);
    return [
      { label: 'binaryCrossentropy', config: { name: 'binaryCrossentropy', fromLogits: true } },
      { label: 'binaryFocalCrossentropy (γ = 2)', config: { name: 'binaryFocalCrossentropy', fromLogits: true, gamma: 2 } },
      { label: `binaryCrossentropy, posWeight ${posWeight}`, config: { name: 'binaryCrossentropy', fromLogits: true, posWeight } },
    ];
  },
  metric: { name: 'balanced accuracy on clean test data', higherIsBetter: true },
  learningRate: 0.03,
  make: ({ share = 0.06 }, seed) => {
    const r = randomSource(seed);
    const train = blobs(300, share, r);
    return { ...train, corrupted: train.y.map(() => false), test: blobs(2000, share, r) };
  },
};

const CENTERS = [
  [-0.5, -0.35],
  [0.5, -0.35],
  [0, 0.5],
];

/** Three blobs; a fraction of the training labels is replaced by another class. */
const noisy: Problem = {
  id: 'noisy',
  title: 'Noisy labels (three classes)',
  task: 'multiclass',
  inputs: 2,
  outputs: 3,
  knobs: [{ id: 'noise', label: 'Share of wrong labels', min: 0, max: 0.6, step: 0.01, default: 0.35 }],
  losses: () => [
    { label: 'categoricalCrossentropy', config: { name: 'categoricalCrossentropy', fromLogits: true } },
    { label: 'generalizedCrossentropy (q = 0.7)', config: { name: 'generalizedCrossentropy', fromLogits: true, q: 0.7 } },
  ],
  metric: { name: 'accuracy on clean test data', higherIsBetter: true },
  learningRate: 0.03,
  make: ({ noise = 0.35 }, seed) => {
    const r = randomSource(seed);
    const sample = (n: number, flip: number) => {
      const x: number[][] = [];
      const y: number[] = [];
      const corrupted: boolean[] = [];
      for (let i = 0; i < n; i++) {
        const c = Math.floor(r.uniform() * 3);
        x.push([CENTERS[c]![0]! + 0.28 * r.normal(), CENTERS[c]![1]! + 0.28 * r.normal()]);
        const wrong = r.uniform() < flip;
        y.push(wrong ? (c + 1 + Math.floor(r.uniform() * 2)) % 3 : c);
        corrupted.push(wrong);
      }
      return { x, y, corrupted };
    };
    const train = sample(300, noise);
    const test = sample(1500, 0);
    return { ...train, test: { x: test.x, y: test.y } };
  },
};

export const PROBLEMS: Problem[] = [outliers, imbalance, noisy];
