/**
 * Evaluation metrics. Classification metrics take integer class labels (0..C−1), the predicted labels
 * and the class-probability matrix (row-major n × C); regression metrics take targets and predictions.
 */

export type Task = 'binary' | 'multiclass' | 'regression';

export interface MetricInfo {
  /** Display label, e.g. `balanced acc.`. */
  label: string;
  higherIsBetter: boolean;
}

/** Every metric by name: its display label and direction. */
export const METRICS: Record<string, MetricInfo> = {
  accuracy: { label: 'accuracy', higherIsBetter: true },
  balancedAccuracy: { label: 'balanced acc.', higherIsBetter: true },
  macroF1: { label: 'macro-F1', higherIsBetter: true },
  rocAuc: { label: 'ROC-AUC', higherIsBetter: true },
  logLoss: { label: 'log loss', higherIsBetter: false },
  mae: { label: 'MAE', higherIsBetter: false },
  rmse: { label: 'RMSE', higherIsBetter: false },
  mape: { label: 'MAPE %', higherIsBetter: false },
  r2: { label: 'R²', higherIsBetter: true },
};

/** The metrics computed for a task, in display order. */
export function metricsFor(task: Task): string[] {
  if (task === 'regression') return ['rmse', 'mae', 'mape', 'r2'];
  if (task === 'binary') return ['balancedAccuracy', 'accuracy', 'macroF1', 'rocAuc', 'logLoss'];
  return ['balancedAccuracy', 'accuracy', 'macroF1', 'logLoss'];
}

/** The metric that ranks losses unless --metric says otherwise. */
export function defaultMetric(task: Task): string {
  return task === 'regression' ? 'rmse' : 'balancedAccuracy';
}

/** Counts m[true][predicted] over the rows. */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += 1;
  return m;
}

/** Share of rows whose predicted label equals the true one. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let hit = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hit++;
  return hit / yTrue.length;
}

/** Mean recall over the classes present in yTrue (scikit-learn's balanced_accuracy_score). */
export function balancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  const cm = confusionMatrix(yTrue, yPred, numClasses);
  const recalls: number[] = [];
  cm.forEach((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    if (support > 0) recalls.push(row[c]! / support);
  });
  return recalls.reduce((a, b) => a + b, 0) / recalls.length;
}

/** Unweighted mean of per-class F1 over classes present in yTrue or yPred (0 where precision+recall = 0). */
export function macroF1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number {
  const cm = confusionMatrix(yTrue, yPred, numClasses);
  const scores: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const tp = cm[c]![c]!;
    const support = cm[c]!.reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((a, row) => a + row[c]!, 0);
    if (support === 0 && predicted === 0) continue;
    scores.push((2 * tp) / (support + predicted));
  }
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

/** Area under the ROC curve for binary labels (1 = positive) via the rank-sum statistic, ties averaged. */
export function rocAuc(yTrue: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = yTrue.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = avg;
    i = j + 1;
  }
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (yTrue[i] === 1) {
      nPos++;
      rankSum += ranks[i]!;
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean negative log-likelihood of the true class; probabilities clipped to [1e-15, 1 − 1e-15]. */
export function logLoss(yTrue: ArrayLike<number>, proba: ArrayLike<number>, numClasses: number): number {
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const p = Math.min(Math.max(proba[i * numClasses + yTrue[i]!]!, 1e-15), 1 - 1e-15);
    s -= Math.log(p);
  }
  return s / yTrue.length;
}

/** Mean absolute error mean |y − ŷ|. */
export function mae(y: ArrayLike<number>, yHat: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i]! - yHat[i]!);
  return s / y.length;
}

/** Root mean squared error √(mean (y − ŷ)²). */
export function rmse(y: ArrayLike<number>, yHat: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - yHat[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/** Mean absolute percentage error in percent, over the targets that are not 0 (NaN if all are 0). */
export function mape(y: ArrayLike<number>, yHat: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 0) continue;
    s += Math.abs((y[i]! - yHat[i]!) / y[i]!);
    n++;
  }
  return n === 0 ? NaN : (100 * s) / n;
}

/** Coefficient of determination 1 − SS_res / SS_tot. */
export function r2(y: ArrayLike<number>, yHat: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < y.length; i++) m += y[i]!;
  m /= y.length;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < y.length; i++) {
    res += (y[i]! - yHat[i]!) ** 2;
    tot += (y[i]! - m) ** 2;
  }
  return tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
}

/** Every classification metric of `metricsFor(task)`. `proba` is n × C row-major. */
export function classificationMetrics(
  task: 'binary' | 'multiclass',
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  proba: ArrayLike<number>,
  numClasses: number,
): Record<string, number> {
  const out: Record<string, number> = {
    balancedAccuracy: balancedAccuracy(yTrue, yPred, numClasses),
    accuracy: accuracy(yTrue, yPred),
    macroF1: macroF1(yTrue, yPred, numClasses),
  };
  if (task === 'binary') {
    const positive = Array.from({ length: yTrue.length }, (_, i) => proba[i * 2 + 1]!);
    out['rocAuc'] = rocAuc(yTrue, positive);
  }
  out['logLoss'] = logLoss(yTrue, proba, numClasses);
  return out;
}

/** Every regression metric of `metricsFor('regression')`. */
export function regressionMetrics(y: ArrayLike<number>, yHat: ArrayLike<number>): Record<string, number> {
  return { rmse: rmse(y, yHat), mae: mae(y, yHat), mape: mape(y, yHat), r2: r2(y, yHat) };
}

export interface CalibrationBin {
  /** Mean predicted probability in the bin. */
  predicted: number;
  /** Observed frequency of the event in the bin. */
  observed: number;
  count: number;
}

/**
 * Reliability diagram data: `confidence` (probability of the positive class, or the top-class
 * confidence for multiclass) against `hit` (1 when the event happened), in `bins` equal-width bins.
 * Empty bins are left out.
 */
export function calibrationBins(confidence: ArrayLike<number>, hit: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < confidence.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(confidence[i]! * bins)));
    sumP[b] += confidence[i]!;
    sumY[b] += hit[i]!;
    count[b] += 1;
  }
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    if (count[b]! > 0) out.push({ predicted: sumP[b]! / count[b]!, observed: sumY[b]! / count[b]!, count: count[b]! });
  }
  return out;
}
