/**
 * One tuning trial: a candidate loss with sampled options, trained and scored fold by fold, with
 * median pruning — after each fold, the trial's running mean score is compared with the median of
 * the running means that finished trials had after the same number of folds (passed in as
 * `pruneThresholds`, a snapshot taken when the trial was dispatched); if it is worse, the trial stops.
 */
import type { LossCandidate } from './candidates.js';
import type { Params } from './space.js';
import { splitTrainOptions, type Fold } from './folds.js';
import { datasetFor, type DataRef } from './jobs.js';
import { runFold } from './evaluate.js';
import type { TrainingKnobs } from './train.js';

export interface TrialJob {
  trial: number;
  /** The sampled parameters the candidate and options were built from (what a remote worker rebuilds them from). */
  params: Params;
  dataRef: DataRef;
  folds: Fold[];
  candidate: LossCandidate;
  /** Training options; the seed of each split is derived from `seed` (as compare does). */
  options: TrainingKnobs;
  seed: number;
  metric: string;
  higherIsBetter: boolean;
  /** Per fold step: the median running mean of finished trials, or null (no pruning at that step). */
  pruneThresholds: (number | null)[];
}

export interface TrialOutcome {
  trial: number;
  /** Mean of the fold scores evaluated (all folds unless pruned). */
  score: number;
  foldScores: number[];
  /** Running mean after each evaluated fold (what pruning compares). */
  runningMeans: number[];
  pruned: boolean;
  /** Mean of every metric over the evaluated folds. */
  metrics: Record<string, number>;
  seconds: number;
}

/** True when `value` is worse than `threshold` for the metric's direction (NaN is always worse). */
export function isWorse(value: number, threshold: number, higherIsBetter: boolean): boolean {
  if (Number.isNaN(value)) return true;
  return higherIsBetter ? value < threshold : value > threshold;
}

/** Runs one trial fold by fold, stopping early when the running mean falls behind the pruning threshold. */
export async function runTrialJob(job: TrialJob): Promise<TrialOutcome> {
  const started = performance.now();
  const data = datasetFor(job.dataRef);
  const foldScores: number[] = [];
  const runningMeans: number[] = [];
  const sums: Record<string, number> = {};
  let pruned = false;
  for (let i = 0; i < job.folds.length; i++) {
    const fold = job.folds[i]!;
    const outcome = await runFold(data, fold, job.candidate, splitTrainOptions(job.options, job.seed, fold));
    const score = outcome.metrics[job.metric]!;
    foldScores.push(score);
    for (const [k, v] of Object.entries(outcome.metrics)) sums[k] = (sums[k] ?? 0) + v;
    const running = foldScores.reduce((a, b) => a + b, 0) / foldScores.length;
    runningMeans.push(running);
    const threshold = job.pruneThresholds[i];
    if (i < job.folds.length - 1 && threshold !== null && threshold !== undefined && isWorse(running, threshold, job.higherIsBetter)) {
      pruned = true;
      break;
    }
  }
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(sums)) metrics[k] = v / foldScores.length;
  return {
    trial: job.trial,
    score: runningMeans[runningMeans.length - 1]!,
    foldScores,
    runningMeans,
    pruned,
    metrics,
    seconds: (performance.now() - started) / 1000,
  };
}
