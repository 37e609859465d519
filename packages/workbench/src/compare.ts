/**
 * `lossforge compare`: every candidate loss trained on the same repeated (stratified) k-fold splits
 * with the same initial weights per split, scored on the test folds, ranked by the mean of one
 * metric, each loss tested against the best with the Nadeau–Bengio corrected resampled t-test
 * (Holm-adjusted across the comparisons).
 *
 * Browser-safe: the data comes in as a parsed table and the trainings run on the runner a `StudyHost`
 * gives; `runCompare` (node.ts) is this with files and worker threads, the explorer's Compare view is
 * this with a dropped CSV and Web Workers.
 */
import { classCounts, tableDataset, type Dataset, type RawTable, type TaskOption } from './data.js';
import { defaultCandidates, resolveCandidates, type CandidateInput, type LossCandidate } from './candidates.js';
import { TrainingError, UsageError } from './errors.js';
import { verdict, type Verdict } from './verdict.js';
import { checkCandidateTargets, type ClassPredictions, type FoldOutcome, type RegressionPredictions } from './evaluate.js';
import { repeatedKFold, splitTrainOptions, type Fold } from './folds.js';
import type { DataRef } from './jobs.js';
import { calibrationBins, confusionMatrix, defaultMetric, METRICS, metricsFor, type CalibrationBin, type Task } from './metrics.js';
import { capWorkers, type FoldRunner } from './runner.js';
import { correctedResampledTTest, holm, mean, std } from './stats.js';
import { MAX_EPOCHS, type TrainingKnobs } from './train.js';

/** What every study (compare, tune) trains: the data, the splits, the model and the ranking metric. */
export interface TrainingSettings extends Omit<TrainingKnobs, 'epochs' | 'earlyStopping'> {
  /** A fixed epoch budget; undefined = early stopping on a validation split, capped at `MAX_EPOCHS`. */
  epochs?: number;
  /** A CSV path or `builtin:NAME`. */
  data: string;
  /** Target column (default: the built-in's target, else the last column). */
  target?: string;
  /** Columns to leave out (`--drop`). */
  drop?: string[];
  /** The only columns to use as features (`--features`; no automatic id/free-text detection then). */
  features?: string[];
  task: TaskOption;
  folds: number;
  repeats: number;
  seed: number;
  /** Ranking metric (default by task). */
  metric?: string;
  /** Worker threads (1 = this thread). */
  workers: number;
}

export interface CompareSettings extends TrainingSettings {
  /** Candidate losses (default: per task). */
  losses?: CandidateInput[];
  /** Significance level for the marks (default 0.05). */
  alpha: number;
  /** Who runs the trainings (default: `workers` threads here; the CLI's `--storage` puts them on a Redis queue). */
  runner?: FoldRunner;
}

export { MAX_EPOCHS } from './train.js';

/** The defaults of `lossforge compare` (also the CLI defaults of the other commands' shared flags). */
export const COMPARE_DEFAULTS = {
  data: 'builtin:breast_cancer',
  task: 'auto' as TaskOption,
  folds: 5,
  repeats: 2,
  batchSize: 32,
  hidden: [16],
  learningRate: 0.003,
  seed: 42,
  alpha: 0.05,
};

export interface MetricSummary {
  mean: number;
  std: number;
  /** One value per split, in split order (repeat-major). */
  values: number[];
}

export interface Significance {
  meanDiff: number;
  t: number;
  df: number;
  p: number;
  pHolm: number;
  /** pHolm < alpha. */
  significant: boolean;
}

export interface LossSummary {
  rank: number;
  label: string;
  lossName: string;
  config: Record<string, unknown>;
  head: LossCandidate['head'];
  activation: LossCandidate['activation'];
  metrics: Record<string, MetricSummary>;
  /** Versus the best loss on the ranking metric; null for the best itself. */
  vsBest: Significance | null;
  /** Splits whose training diverged (non-finite outputs). */
  diverged: number;
  /** Epochs each split trained (split order), and their summary. */
  epochs: { mean: number; min: number; max: number; values: number[] };
  /** Splits that used the whole epoch budget with the validation loss still improving. */
  stillImproving: number;
  seconds: number;
  /** Mean learning curve over splits: train loss and validation loss per epoch (early stopping: the training fold's validation split; fixed budget: the test fold). */
  curve: { epoch: number; loss: number; valLoss: number; lossStd: number; valLossStd: number }[];
  /** Summed over all splits (classification). */
  confusion?: number[][];
  /** Reliability diagram over all splits (binary: P(positive); multiclass: top-class confidence). */
  calibration?: CalibrationBin[];
  /** Out-of-fold predictions of the first repeat (regression), at most 2000 points. */
  residuals?: { y: number; yHat: number }[];
}

export interface CompareResult {
  command: 'compare';
  version: 1;
  dataset: {
    source: string;
    target: string;
    task: Task;
    /** The target was read as counts (regression with poisson among the default candidates). */
    counts: boolean;
    /** How the task was decided. */
    taskReason: string;
    rows: number;
    featureColumns: number;
    classes: string[];
    classCounts: number[];
    missingCells: number;
    droppedRows: number;
    /** Columns left out of the features, with the reason (ids, free text, --drop, --features). */
    droppedColumns: { name: string; reason: string }[];
    warnings: string[];
  };
  settings: Omit<CompareSettings, 'losses' | 'workers' | 'runner' | 'target' | 'metric' | 'epochs' | 'drop' | 'features'> & {
    target: string;
    metric: string;
    model: string;
    testTrainRatio: number;
    /** The fixed `--epochs` budget, or null under early stopping. */
    epochs: number | null;
    /** The most epochs a training may run (the fixed budget or the early-stopping cap). */
    maxEpochs: number;
    earlyStopping: boolean;
  };
  metrics: string[];
  losses: LossSummary[];
  /** The answer in words: the best loss, the losses tied with it, the recommendation and the caveats. */
  verdict: Verdict;
  /** Every training: its scores, the loss config it used ("balanced" options resolved) and the imputed cells. */
  splits: { label: string; repeat: number; fold: number; metrics: Record<string, number>; lossConfig: Record<string, unknown>; imputed: number; epochs: number; bestEpoch: number; stillImproving: boolean; seconds: number }[];
  timing: { seconds: number; trainings: number; workers: number };
}

export interface CompareProgress {
  start(total: number): void;
  tick(outcome: FoldOutcome): void;
  stop(): void;
}

/** Parses `--model mlp:64,32` (or `mlp:` / `linear` for no hidden layer). */
export function parseModel(text: string): number[] {
  const m = /^mlp:([0-9,\s]*)$/.exec(text.trim());
  if (text.trim() === 'linear') return [];
  if (!m) throw new UsageError(`--model: expected mlp:SIZES (e.g. mlp:64,32) or linear, got '${text}'`);
  const sizes = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 4096)) throw new UsageError(`--model: layer sizes must be integers in 1..4096, got '${text}'`);
  return sizes;
}

/** The `--model` text of hidden layer sizes: `mlp:64,32`, or `linear` for none (the inverse of `parseModel`). */
export function modelText(hidden: number[]): string {
  return hidden.length === 0 ? 'linear' : `mlp:${hidden.join(',')}`;
}

function checkSettings(s: TrainingSettings): void {
  const positiveInt = (v: number, flag: string) => {
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`${flag}: expected a positive integer, got ${v}`);
  };
  if (s.epochs !== undefined) positiveInt(s.epochs, '--epochs');
  positiveInt(s.batchSize, '--batch-size');
  positiveInt(s.repeats, '--repeats');
  if (!Number.isInteger(s.folds) || s.folds < 2) throw new UsageError(`--folds: expected an integer ≥ 2, got ${s.folds}`);
  if (!(s.learningRate > 0) || !Number.isFinite(s.learningRate)) throw new UsageError(`--lr: expected a positive number, got ${s.learningRate}`);
  if (!Number.isInteger(s.seed)) throw new UsageError(`--seed: expected an integer, got ${s.seed}`);
}

/** A study's data, ranking metric and splits, shared by compare and tune. */
export interface Study {
  data: Dataset;
  metric: string;
  /** The repeated k-fold splits: stratified for classification. */
  folds: Fold[];
  /** How jobs (in this thread or a worker) name the data. */
  dataRef: DataRef;
  knobs: TrainingKnobs;
}

/**
 * Checks the settings, builds the dataset from `table` (the CSV that `settings.data` names), resolves
 * the ranking metric (UsageError if it does not fit the task) and draws the splits: every loss
 * (compare) and every trial (tune) uses the same ones. (`prepareStudy` in node.ts reads the table.)
 */
export function planStudy(settings: TrainingSettings, table: RawTable): Study {
  checkSettings(settings);
  const data = tableDataset(table, { target: settings.target || undefined, task: settings.task, drop: settings.drop, features: settings.features });
  const metric = settings.metric ?? defaultMetric(data.task);
  const metricNames = metricsFor(data.task);
  if (!metricNames.includes(metric)) {
    throw new UsageError(`--metric: '${metric}' is not a ${data.task} metric (choose from ${metricNames.join(', ')})`);
  }
  const folds = repeatedKFold(data.n, settings.folds, settings.repeats, settings.seed, data.task === 'regression' ? undefined : data.y);
  if (data.task !== 'regression') {
    const warning = foldsWarning(settings.folds, data.classes, classCounts(data));
    if (warning) data.warnings.push(warning);
  }
  const dataRef: DataRef = { data: settings.data, target: data.target, task: settings.task, drop: settings.drop, features: settings.features };
  return { data, metric, folds, dataRef, knobs: trainingKnobs(settings) };
}

/** The knobs of a study: a fixed `--epochs` budget, or early stopping capped at `MAX_EPOCHS`. */
export function trainingKnobs(settings: TrainingSettings): TrainingKnobs {
  const { hidden, epochs, batchSize, learningRate } = settings;
  return { hidden, epochs: epochs ?? MAX_EPOCHS, earlyStopping: epochs === undefined, batchSize, learningRate };
}

function summarizeCurve(outcomes: FoldOutcome[]): LossSummary['curve'] {
  const epochs = Math.max(...outcomes.map((o) => o.curve.loss.length));
  const out: LossSummary['curve'] = [];
  for (let e = 0; e < epochs; e++) {
    const loss = outcomes.map((o) => o.curve.loss[e]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const val = outcomes.map((o) => o.curve.valLoss[e]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    out.push({ epoch: e + 1, loss: mean(loss), valLoss: mean(val), lossStd: std(loss), valLossStd: std(val) });
  }
  return out;
}

/** Ranks the summaries by the metric (NaN last) and tests each against the best. */
export function rankAndTest(summaries: Omit<LossSummary, 'rank' | 'vsBest'>[], metric: string, testTrainRatio: number, alpha: number): LossSummary[] {
  const higher = METRICS[metric]!.higherIsBetter;
  const key = (s: Omit<LossSummary, 'rank' | 'vsBest'>) => {
    const m = s.metrics[metric]!.mean;
    return Number.isNaN(m) ? -Infinity : higher ? m : -m;
  };
  const ranked = [...summaries].sort((a, b) => key(b) - key(a));
  const best = ranked[0]!;
  const tests = ranked.slice(1).map((s) => correctedResampledTTest(s.metrics[metric]!.values, best.metrics[metric]!.values, testTrainRatio));
  const adjusted = holm(tests.map((t) => t.p));
  return ranked.map((s, i) => {
    if (i === 0) return { ...s, rank: 1, vsBest: null };
    const t = tests[i - 1]!;
    const pHolm = adjusted[i - 1]!;
    return { ...s, rank: i + 1, vsBest: { ...t, pHolm, significant: pHolm < alpha } };
  });
}

function epochSummary(values: number[]): LossSummary['epochs'] {
  return { mean: mean(values), min: Math.min(...values), max: Math.max(...values), values };
}

function summarize(data: Dataset, candidate: LossCandidate, outcomes: FoldOutcome[], metricNames: string[]): Omit<LossSummary, 'rank' | 'vsBest'> {
  const metrics: Record<string, MetricSummary> = {};
  for (const name of metricNames) {
    const values = outcomes.map((o) => o.metrics[name]!);
    metrics[name] = { mean: mean(values), std: std(values), values };
  }
  const summary: Omit<LossSummary, 'rank' | 'vsBest'> = {
    label: candidate.label,
    lossName: candidate.lossName,
    config: candidate.config,
    head: candidate.head,
    activation: candidate.activation,
    metrics,
    diverged: outcomes.filter((o) => o.diverged).length,
    epochs: epochSummary(outcomes.map((o) => o.epochs)),
    stillImproving: outcomes.filter((o) => o.stillImproving && !o.diverged).length,
    seconds: outcomes.reduce((a, o) => a + o.seconds, 0),
    curve: summarizeCurve(outcomes),
  };
  if (data.task !== 'regression') {
    const preds = outcomes.map((o) => o.predictions as ClassPredictions);
    const C = data.classes.length;
    summary.confusion = confusionMatrix(preds.flatMap((p) => p.yTrue), preds.flatMap((p) => p.yPred), C);
    summary.calibration = calibrationBins(preds.flatMap((p) => p.confidence), preds.flatMap((p) => p.hit), 10);
  } else {
    const first = outcomes.filter((o) => o.repeat === 0).map((o) => o.predictions as RegressionPredictions);
    const points = first.flatMap((p) => p.y.map((y, i) => ({ y, yHat: p.yHat[i]! })));
    const step = Math.max(1, Math.ceil(points.length / 2000));
    summary.residuals = points.filter((_, i) => i % step === 0);
  }
  return summary;
}

/**
 * The warning when a class has fewer rows than there are folds: stratified k-fold then leaves it out of
 * some test folds, where one-vs-rest ROC-AUC (which needs both classes) is undefined, so its mean is n/a.
 */
export function foldsWarning(folds: number, classes: readonly string[], counts: readonly number[]): string | null {
  const smallest = counts.reduce((a, c, i) => (c < counts[a]! ? i : a), 0);
  const n = counts[smallest]!;
  if (n >= folds || n <= 1) return null;
  return (
    `--folds ${folds}: class '${classes[smallest]}' has only ${n} rows, so some test folds hold none of it; ` +
    `ROC-AUC is undefined on those folds and shows n/a. Use --folds ${n} or fewer (and --repeats for more splits)`
  );
}

/** What a comparison needs from where it runs: node.ts (worker threads) or the explorer (Web Workers). */
export interface StudyHost {
  /** The cores trainings may use at once (`settings.workers` is capped at it). */
  cores: number;
  /** A runner with `workers` workers for the study's jobs (they name their data by `study.dataRef`). */
  createRunner(workers: number, study: Study): FoldRunner;
}

/**
 * Runs the comparison on `table` (the CSV that `settings.data` names), its trainings on the host's
 * runner. `progress` sees every finished training. `runCompare` (node.ts) reads the table and runs
 * this on worker threads.
 */
export async function compareOn(host: StudyHost, table: RawTable, settings: CompareSettings, progress?: CompareProgress): Promise<CompareResult> {
  const started = performance.now();
  const study = planStudy(settings, table);
  const { data, metric, folds, dataRef, knobs } = study;
  const metricNames = metricsFor(data.task);
  const candidates = resolveCandidates(settings.losses ?? defaultCandidates(data.task, { counts: data.counts }), data.task, data.classes.length);
  for (const candidate of candidates) checkCandidateTargets(data, candidate);

  const total = folds.length * candidates.length;
  const workers = settings.runner ? { workers: settings.runner.workers } : capWorkers(settings.workers, total, host.cores);
  if (workers.note) data.warnings.push(workers.note);
  const runner = settings.runner ?? host.createRunner(workers.workers, study);
  progress?.start(total);
  let outcomes: FoldOutcome[][];
  try {
    outcomes = await Promise.all(
      candidates.map((candidate) =>
        Promise.all(
          folds.map(async (fold) => {
            const outcome = await runner.runFold({ dataRef, fold, candidate, options: splitTrainOptions(knobs, settings.seed, fold) });
            progress?.tick(outcome);
            return outcome;
          }),
        ),
      ),
    );
  } finally {
    progress?.stop();
    await runner.close();
  }

  const testTrainRatio = mean(folds.map((f) => f.test.length / f.train.length));
  const summaries = candidates.map((c, i) => summarize(data, c, outcomes[i]!, metricNames));
  const ranked = rankAndTest(summaries, metric, testTrainRatio, settings.alpha);
  const answer = verdict({
    task: data.task, metric, alpha: settings.alpha, splits: folds.length, testTrainRatio,
    maxEpochs: knobs.epochs, earlyStopping: Boolean(knobs.earlyStopping), losses: ranked,
  });
  if (answer.best === null) throw new TrainingError(answer.text);
  return {
    command: 'compare',
    version: 1,
    dataset: {
      source: data.source,
      target: data.target,
      task: data.task,
      counts: data.counts,
      taskReason: data.taskReason,
      rows: data.n,
      featureColumns: data.features.length,
      classes: data.classes,
      classCounts: data.task === 'regression' ? [] : classCounts(data),
      missingCells: data.missingCells,
      droppedRows: data.droppedRows,
      droppedColumns: data.droppedColumns,
      warnings: data.warnings,
    },
    settings: {
      data: settings.data,
      target: data.target,
      task: settings.task,
      folds: settings.folds,
      repeats: settings.repeats,
      epochs: settings.epochs ?? null,
      maxEpochs: knobs.epochs,
      earlyStopping: Boolean(knobs.earlyStopping),
      batchSize: settings.batchSize,
      hidden: settings.hidden,
      model: modelText(settings.hidden),
      learningRate: settings.learningRate,
      seed: settings.seed,
      metric,
      alpha: settings.alpha,
      testTrainRatio,
    },
    metrics: metricNames,
    losses: ranked,
    verdict: answer,
    splits: outcomes.flat().map((o) => ({ label: o.label, repeat: o.repeat, fold: o.fold, metrics: o.metrics, lossConfig: o.lossConfig, imputed: o.imputed, epochs: o.epochs, bestEpoch: o.bestEpoch, stillImproving: o.stillImproving, seconds: o.seconds })),
    timing: { seconds: (performance.now() - started) / 1000, trainings: total, workers: workers.workers },
  };
}
