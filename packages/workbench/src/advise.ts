/**
 * `lossforge advise`: looks at the data (task, class balance, target outliers by the IQR rule,
 * skew, heavy tails, duplicate rows with conflicting labels) and recommends losses, each with a
 * one-line reason. The rules are heuristics from the losses' documented use cases; `--verify`
 * checks the top three with a quick compare.
 */
import { losses } from 'lossforge';
import type { CandidateInput } from './candidates.js';
import { classCounts, type Dataset } from './data.js';
import type { Task } from './metrics.js';
import { excessKurtosis, quantileSorted, skewness } from './stats.js';

export interface Diagnostics {
  source: string;
  target: string;
  task: Task;
  /** How the task was read from the target (or given by --task), and the flag that overrides it. */
  taskReason: string;
  rows: number;
  featureColumns: number;
  categoricalColumns: number;
  missingCells: number;
  droppedRows: number;
  /** Columns left out of the features, with the reason. */
  droppedColumns: { name: string; reason: string }[];
  classes?: { label: string; count: number; share: number }[];
  /** Largest class count / smallest class count. */
  imbalanceRatio?: number;
  regression?: {
    mean: number;
    min: number;
    max: number;
    /** Share of targets outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR]. */
    outlierShare: number;
    skewness: number;
    excessKurtosis: number;
    allPositive: boolean;
    /** Non-negative integers (counts). */
    counts: boolean;
    zeroShare: number;
  };
  /** Rows whose features equal another row's. */
  duplicateRows: number;
  /** Rows in groups of identical features with different targets. */
  conflictingRows: number;
  warnings: string[];
}

export interface Recommendation {
  rank: number;
  label: string;
  loss: CandidateInput;
  reason: string;
}

/** The IQR rule's outlier share. */
export function iqrOutlierShare(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  const lo = q1 - 1.5 * iqr;
  const hi = q3 + 1.5 * iqr;
  let out = 0;
  for (const v of sorted) if (v < lo || v > hi) out++;
  return out / sorted.length;
}

/** Counts duplicate feature rows, and rows in duplicate groups whose targets disagree. */
export function duplicates(data: Dataset): { duplicateRows: number; conflictingRows: number } {
  const groups = new Map<string, number[]>();
  for (let r = 0; r < data.n; r++) {
    const key = data.features.map((f) => (f.kind === 'numeric' ? String(f.values[r]) : (f.values[r] ?? '\u0000'))).join('\u0001');
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  let duplicateRows = 0;
  let conflictingRows = 0;
  for (const rows of groups.values()) {
    if (rows.length < 2) continue;
    duplicateRows += rows.length - 1;
    if (new Set(rows.map((r) => data.y[r])).size > 1) conflictingRows += rows.length;
  }
  return { duplicateRows, conflictingRows };
}

/** Looks at the data: task, class balance (classification) or target shape, outliers and counts (regression), duplicates. */
export function diagnose(data: Dataset): Diagnostics {
  const d: Diagnostics = {
    source: data.source,
    target: data.target,
    task: data.task,
    taskReason: data.taskReason,
    rows: data.n,
    featureColumns: data.features.length,
    categoricalColumns: data.features.filter((f) => f.kind === 'categorical').length,
    missingCells: data.missingCells,
    droppedRows: data.droppedRows,
    droppedColumns: data.droppedColumns,
    ...duplicates(data),
    warnings: data.warnings,
  };
  if (data.task === 'regression') {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let zeros = 0;
    for (const v of data.y) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      sum += v;
      if (v === 0) zeros++;
    }
    // Counts: non-negative integers on a count-like scale (zeros present, or small values).
    const counts = data.counts;
    d.regression = {
      mean: sum / data.n,
      min,
      max,
      outlierShare: iqrOutlierShare(data.y),
      skewness: skewness(data.y),
      excessKurtosis: excessKurtosis(data.y),
      allPositive: min > 0,
      counts,
      zeroShare: zeros / data.n,
    };
  } else {
    const counts = classCounts(data);
    d.classes = data.classes.map((label, i) => ({ label, count: counts[i]!, share: counts[i]! / data.n }));
    d.imbalanceRatio = Math.max(...counts) / Math.max(1, Math.min(...counts));
  }
  return d;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * Losses advise suggests only once they are registered (they are being added to the library): the
 * adaptive robust loss (Barron 2019) for heavy-tailed targets and generalized Dice for rare classes.
 * Rename an entry here if the library registers it under another name.
 */
export const WHEN_REGISTERED = { adaptiveRobust: 'generalRobust', generalizedDice: 'generalizedDice' } as const;

/** Whether `name` is a registered loss (name or alias). */
function registered(name: string): boolean {
  return losses.describe(name) !== undefined;
}

interface Scored {
  label: string;
  loss: CandidateInput;
  score: number;
  reason: string;
}

/** Ranked recommendations with one-line reasons. */
export function recommend(d: Diagnostics): Recommendation[] {
  const picks: Scored[] = [];
  const add = (label: string, loss: CandidateInput, score: number, reason: string) => picks.push({ label, loss, score, reason });
  const noisy = d.conflictingRows / d.rows;

  if (d.task === 'regression') {
    const r = d.regression!;
    const heavy = r.outlierShare >= 0.02 || r.excessKurtosis > 3;
    const shape = `skew ${r.skewness.toFixed(2)}, excess kurtosis ${r.excessKurtosis.toFixed(2)}`;
    if (heavy) {
      const why = r.outlierShare >= 0.02 ? `${pct(r.outlierShare)} of targets are outliers (IQR rule)` : `heavy tails (excess kurtosis ${r.excessKurtosis.toFixed(1)})`;
      add('huber', 'huber', 90, `${why} → huber or logCosh before meanSquaredError: quadratic near zero, linear in the tails`);
      add('logCosh', 'logCosh', 85, `${why} → a smooth alternative to huber with no threshold to pick`);
      add('meanAbsoluteError', 'meanAbsoluteError', 70, `${why} → MAE estimates the median and ignores how far outliers are`);
      add('meanSquaredError', 'meanSquaredError', 40, `the baseline; outliers will dominate its gradient (${shape})`);
      if (registered(WHEN_REGISTERED.adaptiveRobust)) {
        add(WHEN_REGISTERED.adaptiveRobust, WHEN_REGISTERED.adaptiveRobust, 80, `${why} → the general robust loss (Barron 2019) spans L2, Charbonnier, Cauchy and Welsch: its shape α sets how much the tails count`);
      }
    } else {
      add('meanSquaredError', 'meanSquaredError', 90, `targets look well-behaved (${pct(r.outlierShare)} outliers, ${shape}) → meanSquaredError is the efficient choice`);
      add('huber', 'huber', 60, 'a safety net against the odd outlier, nearly identical to MSE on clean data');
      add('meanAbsoluteError', 'meanAbsoluteError', 45, 'if the median rather than the mean is what you want to predict');
    }
    if (r.counts && r.max > 1) {
      add('poisson', 'poisson', heavy || r.skewness > 1 ? 88 : 65, `targets are non-negative integers (counts, ${pct(r.zeroShare)} zeros) → poisson models count noise`);
    }
    if (r.allPositive && r.skewness > 1) {
      add('meanSquaredLogarithmicError', 'meanSquaredLogarithmicError', 80, `targets are positive and right-skewed (skew ${r.skewness.toFixed(2)}) → MSLE scores relative errors across magnitudes`);
    }
    if (Math.abs(r.skewness) > 1) {
      add('quantile(0.5)', { name: 'quantile', quantile: 0.5 }, 55, `skewed targets (skew ${r.skewness.toFixed(2)}) → the median (quantile 0.5) is a robust centre`);
    }
    if (noisy > 0.01) add('huber', 'huber', 75, `${pct(noisy)} of rows are duplicates with different targets (noise) → a robust loss`);
  } else {
    const binary = d.task === 'binary';
    const ratio = d.imbalanceRatio!;
    const minority = d.classes!.reduce((a, b) => (b.count < a.count ? b : a));
    const ce = binary ? 'binaryCrossentropy' : 'categoricalCrossentropy';
    if (ratio >= 3) {
      const why = `the minority class '${minority.label}' is ${pct(minority.share)} of rows (imbalance ${ratio.toFixed(1)}:1)`;
      if (binary) {
        add('binaryCrossentropy(posWeight=balanced)', { name: 'binaryCrossentropy', posWeight: 'balanced' }, 90, `${why} → reweight positives by n_neg/n_pos`);
        add('binaryFocalCrossentropy', 'binaryFocalCrossentropy', 85, `${why} → focal loss down-weights the easy majority examples`);
      } else {
        add('categoricalCrossentropy(classWeight=balanced)', { name: 'categoricalCrossentropy', classWeight: 'balanced' }, 90, `${why} → weight classes by n/(C·n_c)`);
        add('categoricalFocalCrossentropy', 'categoricalFocalCrossentropy', 85, `${why} → focal loss down-weights the easy majority examples`);
      }
      add(ce, ce, 60, 'the unweighted baseline; check the balanced accuracy, not just accuracy');
      if (!binary && registered(WHEN_REGISTERED.generalizedDice)) {
        add(WHEN_REGISTERED.generalizedDice, WHEN_REGISTERED.generalizedDice, 75, `${why} → generalized Dice weights each class by 1/(its frequency)², so rare classes count as much as common ones`);
      }
    } else {
      const all = d.classes!.map((c) => c.share);
      const shares = all.length <= 5 ? all.map(pct).join(' / ') : `${pct(Math.min(...all))} to ${pct(Math.max(...all))} per class`;
      add(ce, ce, 90, `classes are balanced enough (${shares}) → plain cross-entropy is the baseline to beat`);
      add('polyCrossentropy', 'polyCrossentropy', 65, 'cross-entropy plus a polynomial term: one knob (epsilon) that often helps a little');
    }
    if (noisy > 0.01) {
      add('generalizedCrossentropy', 'generalizedCrossentropy', noisy > 0.05 ? 95 : 88, `${pct(noisy)} of rows are identical features with different labels → label noise: generalized CE bounds the loss of contradicted examples`);
      add(`${ce}(labelSmoothing=0.1)`, { name: ce, labelSmoothing: 0.1 }, 80, `${pct(noisy)} conflicting duplicates → label smoothing keeps the model from over-trusting labels`);
    } else if (!binary && d.classes!.length >= 10) {
      add(`${ce}(labelSmoothing=0.1)`, { name: ce, labelSmoothing: 0.1 }, 70, `${d.classes!.length} classes → label smoothing 0.1 usually improves calibration and generalization`);
    }
    const hinge = binary ? 'hinge' : 'categoricalHinge';
    add(hinge, hinge, 50, 'a max-margin alternative when only the decision matters, not calibrated probabilities');
  }

  const best = new Map<string, Scored>();
  for (const p of picks) {
    const prev = best.get(p.label);
    if (!prev || p.score > prev.score) best.set(p.label, p);
  }
  return [...best.values()]
    .sort((a, b) => b.score - a.score)
    .map((p, i) => ({ rank: i + 1, label: p.label, loss: p.loss, reason: p.reason }));
}

/** The diagnostics as terminal lines. */
export function formatDiagnostics(d: Diagnostics): string {
  const lines = [`${d.source} → ${d.target}: ${d.task}, ${d.rows} rows, ${d.featureColumns} feature columns (${d.categoricalColumns} categorical)`];
  lines.push(`task: ${d.taskReason}`);
  if (d.missingCells > 0) lines.push(`missing feature values: ${d.missingCells} (imputed per training fold)`);
  for (const c of d.droppedColumns) lines.push(`left out column '${c.name}': ${c.reason}`);
  if (d.droppedRows > 0) lines.push(`rows without a target: ${d.droppedRows} (dropped)`);
  if (d.classes) {
    lines.push(`class balance: ${d.classes.map((c) => `${c.label} ${c.count} (${pct(c.share)})`).join(', ')}`);
    lines.push(`imbalance (largest / smallest class): ${d.imbalanceRatio!.toFixed(2)}:1`);
  }
  if (d.regression) {
    const r = d.regression;
    lines.push(`target: mean ${r.mean.toPrecision(4)}, range [${r.min.toPrecision(4)}, ${r.max.toPrecision(4)}]`);
    lines.push(`outliers (IQR rule): ${pct(r.outlierShare)}; skew ${r.skewness.toFixed(2)}; excess kurtosis ${r.excessKurtosis.toFixed(2)}${r.counts ? '; non-negative integers (counts)' : ''}`);
  }
  lines.push(`duplicate feature rows: ${d.duplicateRows}; rows with conflicting labels: ${d.conflictingRows}`);
  for (const w of d.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

/** The recommendations as a numbered list, labels aligned, one reason per line. */
export function formatRecommendations(recs: Recommendation[]): string {
  const width = Math.max(...recs.map((r) => r.label.length));
  return recs.map((r) => `${String(r.rank).padStart(2)}. ${r.label.padEnd(width)}  ${r.reason}`).join('\n');
}
