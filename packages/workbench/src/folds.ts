/**
 * Train/test splits: repeated stratified k-fold for classification (each fold keeps the class
 * proportions), repeated shuffled k-fold for regression. Seeded: the same seed gives the same folds.
 */
import { deriveSeed, makeRng, shuffled } from './random.js';
import { UsageError } from './errors.js';
import type { TrainingKnobs, TrainOptions } from './train.js';

export interface Fold {
  repeat: number;
  fold: number;
  train: number[];
  test: number[];
}

function checkK(k: number, n: number): void {
  if (!Number.isInteger(k) || k < 2) throw new UsageError(`--folds: expected an integer ≥ 2, got ${k}`);
  if (k > n) throw new UsageError(`--folds: ${k} folds need at least ${k} rows, the data has ${n}`);
}

/** One k-fold partition: fold index per row. Classes are dealt round-robin after shuffling. */
function assignFolds(groups: number[][], k: number, seed: number): number[][] {
  const rng = makeRng(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const group of groups) {
    for (const row of shuffled(group, rng)) {
      folds[next]!.push(row);
      next = (next + 1) % k;
    }
  }
  return folds.map((f) => f.sort((a, b) => a - b));
}

/**
 * Repeated k-fold. With `labels` (class indices) the folds are stratified: each class is shuffled and
 * dealt across the folds in turn, continuing where the previous class stopped so fold sizes differ by
 * at most one. Without labels the rows are shuffled and dealt the same way.
 */
export function repeatedKFold(n: number, k: number, repeats: number, seed: number, labels?: ArrayLike<number>): Fold[] {
  checkK(k, n);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UsageError(`--repeats: expected an integer ≥ 1, got ${repeats}`);
  let groups: number[][];
  if (labels) {
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      if (!byClass.has(c)) byClass.set(c, []);
      byClass.get(c)!.push(i);
    }
    groups = [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c)!);
  } else {
    groups = [Array.from({ length: n }, (_, i) => i)];
  }
  const out: Fold[] = [];
  for (let r = 0; r < repeats; r++) {
    const parts = assignFolds(groups, k, deriveSeed(seed, 1, r));
    for (let f = 0; f < k; f++) {
      const test = parts[f]!;
      const train = parts.flatMap((p, j) => (j === f ? [] : p)).sort((a, b) => a - b);
      out.push({ repeat: r, fold: f, train, test });
    }
  }
  return out;
}

/** The share of a training fold held out for early stopping (one fold of five). */
export const VALIDATION_FOLDS = 5;

/**
 * Splits a training fold into the rows the model learns from and a validation split (one in
 * `VALIDATION_FOLDS`) that early stopping watches; stratified by `labels` when given, like the folds.
 * The test fold is never involved. Returns null when the fold is too small to split (< 2 rows per part).
 */
export function validationHoldout(train: readonly number[], seed: number, labels?: ArrayLike<number>): { fit: number[]; validation: number[] } | null {
  if (train.length < 2 * VALIDATION_FOLDS) return null;
  let groups: number[][] = [[...train]];
  if (labels) {
    const byClass = new Map<number, number[]>();
    for (const r of train) {
      const c = labels[r]!;
      if (!byClass.has(c)) byClass.set(c, []);
      byClass.get(c)!.push(r);
    }
    groups = [...byClass.keys()].sort((a, b) => a - b).map((c) => byClass.get(c)!);
  }
  const parts = assignFolds(groups, VALIDATION_FOLDS, seed);
  return { fit: parts.slice(1).flat().sort((a, b) => a - b), validation: parts[0]! };
}

/**
 * Training options of one split: the seed depends on the split only (not on the loss or the trial),
 * so every loss in a comparison and every tuning trial starts from the same weights on it.
 */
export function splitTrainOptions(knobs: TrainingKnobs, seed: number, fold: Fold): TrainOptions {
  return { ...knobs, seed: deriveSeed(seed, 3, fold.repeat, fold.fold) };
}
