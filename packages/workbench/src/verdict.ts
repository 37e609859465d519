/**
 * The verdict of a comparison, in words: which losses are statistically tied with the best (the
 * Nadeau–Bengio corrected resampled t-test of compare.ts, Holm-adjusted), which of them to use and
 * why, and the caveats that limit how far the ranking can be trusted.
 *
 * The recommendation among the tied losses:
 * - ranking by a threshold metric (accuracy, balanced accuracy, macro-F1) on a classification task:
 *   the tied loss with the lowest log loss — the same decisions, the most trustworthy probabilities —
 *   unless the task's standard loss is tied too and its log loss is not significantly worse (the same
 *   corrected test on the per-split log losses): then the standard loss;
 * - otherwise: the task's standard loss (plain cross-entropy, MSE) when it is tied, since the simplest
 *   loss that is as good is the one to keep; else the best-ranked loss.
 */
import { defaultCandidates } from './candidates.js';
import { formatNumber, formatP } from './format.js';
import { correctedResampledTTest } from './stats.js';
import { METRICS, type Task } from './metrics.js';

/** The summary fields the verdict reads (a subset of compare's LossSummary). */
export interface VerdictLoss {
  label: string;
  lossName: string;
  config: Record<string, unknown>;
  metrics: Record<string, { mean: number; values?: number[] }>;
  vsBest: { pHolm: number; significant: boolean } | null;
  diverged: number;
  stillImproving: number;
  epochs: { values: number[] };
}

export interface VerdictInput {
  task: Task;
  metric: string;
  alpha: number;
  /** Train/test splits per loss (folds × repeats). */
  splits: number;
  /** Mean n_test / n_train of the splits (the corrected test's variance term). */
  testTrainRatio: number;
  /** The epoch budget: fixed (`--epochs`) or the early-stopping cap. */
  maxEpochs: number;
  earlyStopping: boolean;
  /** Ranked best first, as `rankAndTest` returns them. */
  losses: VerdictLoss[];
}

export interface Verdict {
  /** The best-ranked loss, or null when every candidate failed (no finite score). */
  best: string | null;
  /** The losses not significantly worse than the best, the best included, in rank order. */
  tied: string[];
  recommended: string | null;
  /** Why `recommended` was chosen. */
  reason: string;
  /** The verdict as sentences (what stdout and the report show). */
  text: string;
  caveats: string[];
}

/** Ranking metrics that score hard decisions only (a threshold on the probabilities). */
export const THRESHOLD_METRICS = new Set(['accuracy', 'balancedAccuracy', 'macroF1']);

/** Fewer splits than this leave the corrected t-test little power to tell losses apart. */
export const MIN_SPLITS_FOR_POWER = 10;

/** The task's standard loss: the first default candidate (plain cross-entropy, MSE). */
function standardLoss(task: Task): string {
  const first = defaultCandidates(task)[0]!;
  return typeof first === 'string' ? first : first.name;
}

/** True when the loss is the standard loss with no options beyond `fromLogits`/`logInput`. */
function isStandard(loss: VerdictLoss, task: Task): boolean {
  const options = Object.keys(loss.config).filter((k) => k !== 'name' && k !== 'fromLogits' && k !== 'logInput');
  return loss.lossName === standardLoss(task) && options.length === 0;
}

const finite = (l: VerdictLoss, metric: string) => Number.isFinite(l.metrics[metric]?.mean);

function list(labels: string[]): string {
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

/** p of the corrected t-test between two losses' per-split log losses (NaN without values). */
function logLossTest(a: VerdictLoss, b: VerdictLoss, testTrainRatio: number): number {
  const x = a.metrics['logLoss']!.values;
  const y = b.metrics['logLoss']!.values;
  return x && y ? correctedResampledTTest(x, y, testTrainRatio).p : NaN;
}

/** The caveats that apply to this comparison. */
export function caveats(input: VerdictInput): string[] {
  const out: string[] = [];
  if (input.splits < MIN_SPLITS_FOR_POWER) {
    out.push(`Only ${input.splits} train/test splits: the corrected t-test has little power, so "tied" may hide real differences (raise --repeats or --folds).`);
  }
  const unconverged = input.losses.filter((l) => l.stillImproving > 0);
  if (unconverged.length > 0) {
    const what = unconverged.map((l) => `${l.label} (${l.stillImproving} of ${l.epochs.values.length})`).join(', ');
    const fix = input.earlyStopping ? 'a larger --lr, or a fixed larger budget with --epochs N' : `leave out --epochs to stop each training on its own, or raise it above ${input.maxEpochs}`;
    out.push(`Not converged: trainings of ${what} used all ${input.maxEpochs} epochs with the validation loss still improving; their scores may be understated (${fix}).`);
  }
  for (const l of input.losses.filter((x) => x.diverged > 0)) {
    out.push(`${l.label} diverged in ${l.diverged} of ${l.epochs.values.length} splits (non-finite outputs): its scores are n/a (try a smaller --lr).`);
  }
  const metricNames = Object.keys(input.losses[0]?.metrics ?? {});
  for (const name of metricNames) {
    const na = input.losses.filter((l) => l.diverged === 0 && !finite(l, name)).map((l) => l.label);
    if (na.length > 0) out.push(`${METRICS[name]?.label ?? name} is n/a for ${list(na)} (undefined on some test fold, e.g. a fold without both classes).`);
  }
  return out;
}

/** The verdict of a ranked comparison (see the module comment for the rules). */
export function verdict(input: VerdictInput): Verdict {
  const { metric, task, alpha } = input;
  const label = METRICS[metric]?.label ?? metric;
  const notes = caveats(input);
  const ranked = input.losses.filter((l) => finite(l, metric));
  if (ranked.length === 0) {
    const text = `Every candidate failed: no loss has a finite ${label} (${input.losses.map((l) => `${l.label}: ${l.diverged} of ${l.epochs.values.length} splits diverged`).join('; ')}). Nothing to recommend; try a smaller --lr or check the data.`;
    return { best: null, tied: [], recommended: null, reason: 'every candidate failed', text, caveats: notes };
  }
  const best = ranked[0]!;
  const tied = ranked.filter((l) => l === best || !l.vsBest!.significant);
  let recommended = best;
  let reason = `it ranks first on ${label}`;
  const byLogLoss = tied.filter((l) => finite(l, 'logLoss')).sort((a, b) => a.metrics['logLoss']!.mean - b.metrics['logLoss']!.mean);
  const standard = tied.find((l) => isStandard(l, task));
  if (tied.length > 1 && task !== 'regression' && THRESHOLD_METRICS.has(metric) && byLogLoss.length > 0) {
    const calibrated = byLogLoss[0]!;
    const logLoss = (l: VerdictLoss) => formatNumber(l.metrics['logLoss']!.mean);
    const versus = standard && standard !== calibrated && finite(standard, 'logLoss') ? logLossTest(standard, calibrated, input.testTrainRatio) : undefined;
    if (standard && (standard === calibrated || (versus !== undefined && !(versus < alpha)))) {
      recommended = standard;
      reason = standard === calibrated
        ? `the standard loss for a ${task} task, and the best calibrated of the tied losses (lowest log loss, ${logLoss(standard)})`
        : `the standard loss for a ${task} task; its log loss (${logLoss(standard)}) is not significantly worse than the best calibrated, ${calibrated.label} (${logLoss(calibrated)}, p = ${formatP(versus!)})`;
    } else {
      recommended = calibrated;
      reason = `the best calibrated of the tied losses (lowest log loss, ${logLoss(calibrated)}): ${label} only scores hard decisions, log loss also scores the probabilities`;
    }
  } else if (tied.length > 1 && standard) {
    recommended = standard;
    reason = `the standard loss for a ${task} task, and no other loss is significantly better`;
  }
  const others = tied.filter((l) => l !== best).map((l) => l.label);
  const score = (l: VerdictLoss) => formatNumber(l.metrics[metric]!.mean);
  const sentences = [`Best by ${label}: ${best.label} (${score(best)}).`];
  if (input.losses.length === 1) sentences.push('It was the only candidate: nothing to compare it with.');
  else if (others.length === 0) sentences.push(`Every other loss is significantly worse (corrected t-test, Holm, α = ${alpha}).`);
  else if (tied.length === input.losses.length) sentences.push(`No loss is significantly worse: all ${tied.length} are statistically tied with it (corrected t-test, Holm, α = ${alpha}).`);
  else sentences.push(`Statistically tied with it (corrected t-test, Holm, α = ${alpha}): ${list(others)}.`);
  sentences.push(`Recommended: ${recommended.label} — ${reason}.`);
  return { best: best.label, tied: tied.map((l) => l.label), recommended: recommended.label, reason, text: sentences.join(' '), caveats: notes };
}
