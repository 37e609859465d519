/**
 * Per-fold preprocessing, fitted on the training rows only (no leakage into the test fold):
 * numeric columns imputed with the training median then standardized with the training mean and
 * standard deviation; categorical columns imputed with the training mode and one-hot encoded over
 * the training levels (a level unseen in training encodes as all zeros).
 */
import type { Dataset } from './data.js';
import { median } from './stats.js';

type ColumnPlan =
  | { kind: 'numeric'; column: number; fill: number; mean: number; scale: number }
  | { kind: 'categorical'; column: number; fill: string; levels: string[] };

export interface Preprocessor {
  /** Names of the encoded features (`col` or `col=level`). */
  featureNames: string[];
  width: number;
  /** Encodes rows of the dataset into a row-major matrix rows.length × width. */
  transform(rows: readonly number[]): Float32Array;
  /** How many missing cells `rows` hold (all imputed by `transform`). */
  missingIn(rows: readonly number[]): number;
}

/** Fits imputation, standardization and one-hot levels on `trainRows`; `transform` applies them to any rows. */
export function fitPreprocessor(data: Dataset, trainRows: readonly number[]): Preprocessor {
  const plans: ColumnPlan[] = data.features.map((feature, column) => {
    if (feature.kind === 'numeric') {
      const present = trainRows.map((r) => feature.values[r]!).filter((v) => !Number.isNaN(v));
      const fill = present.length > 0 ? median(present) : 0;
      const filled = trainRows.map((r) => (Number.isNaN(feature.values[r]!) ? fill : feature.values[r]!));
      const mean = filled.reduce((a, b) => a + b, 0) / Math.max(filled.length, 1);
      const variance = filled.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(filled.length, 1);
      const scale = variance > 0 ? Math.sqrt(variance) : 1;
      return { kind: 'numeric', column, fill, mean, scale };
    }
    const counts = new Map<string, number>();
    for (const r of trainRows) {
      const v = feature.values[r];
      if (v !== null && v !== undefined) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const levels = [...counts.keys()].sort();
    let fill = levels[0] ?? '';
    for (const level of levels) if (counts.get(level)! > counts.get(fill)!) fill = level;
    return { kind: 'categorical', column, fill, levels };
  });

  const featureNames: string[] = [];
  for (const plan of plans) {
    const name = data.features[plan.column]!.name;
    if (plan.kind === 'numeric') featureNames.push(name);
    else for (const level of plan.levels) featureNames.push(`${name}=${level}`);
  }
  const width = featureNames.length;

  const transform = (rows: readonly number[]): Float32Array => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((r, i) => {
      let j = i * width;
      for (const plan of plans) {
        const feature = data.features[plan.column]!;
        if (plan.kind === 'numeric') {
          const v = (feature.values as Float64Array)[r]!;
          out[j++] = ((Number.isNaN(v) ? plan.fill : v) - plan.mean) / plan.scale;
        } else {
          const v = (feature.values as (string | null)[])[r] ?? plan.fill;
          const k = plan.levels.indexOf(v);
          if (k >= 0) out[j + k] = 1;
          j += plan.levels.length;
        }
      }
    });
    return out;
  };

  const missingIn = (rows: readonly number[]): number => {
    let count = 0;
    for (const feature of data.features) {
      for (const r of rows) {
        const v = feature.values[r];
        if (feature.kind === 'numeric' ? Number.isNaN(v as number) : v === null) count++;
      }
    }
    return count;
  };

  return { featureNames, width, transform, missingIn };
}
