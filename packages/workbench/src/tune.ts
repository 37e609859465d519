/**
 * `lossforge tune`: searches a loss's options (and lr / epochs / batchSize) with TPE, random or grid
 * sampling. Each trial trains on the same k-fold splits; median pruning stops hopeless trials early;
 * trials run in parallel on worker threads; every finished trial is journaled so `--resume` continues.
 */
import { join } from 'node:path';
import { parseLossList, resolveCandidate, type CandidateInput, type LossCandidate } from './candidates.js';
import { modelText, type TrainingSettings } from './compare.js';
import { prepareStudy } from './node.js';
import { UsageError } from './errors.js';
import { checkCandidateTargets } from './evaluate.js';
import { ensureOutputDir } from './files.js';
import { checkSameStudy, type StudyHeader, type TrialRecord } from './journal.js';
import { METRICS, type Task } from './metrics.js';
import { capWorkers, createRunner, type Runner } from './pool.js';
import { deriveSeed, makeRng } from './random.js';
import { gridSampler, randomSampler, tpeSampler, type Sampler } from './samplers.js';
import { parseSpace, type Params, type Space } from './space.js';
import { median } from './stats.js';
import { JournalStore } from './storage/journal.js';
import type { TrialStore, TuneBackend } from './storage/types.js';
import type { TrainingKnobs } from './train.js';
import { runSchedule } from './trials.js';
import type { TrialJob } from './tuneJob.js';

export type SamplerName = 'tpe' | 'random' | 'grid';

export interface TuneSettings extends TrainingSettings {
  /** A loss name or a JSON config (fixed options). */
  loss: string;
  /** The search space (see space.ts): `name=lo:hi[:log][:int]` or `name=a|b|c`, comma-separated. */
  space: string;
  trials: number;
  sampler: SamplerName;
  /** The study folder: journal.jsonl (and the CLI's results.json, report.html). */
  out: string;
  /** Continue the study whose journal is in `out` (else an existing journal is an error). */
  resume: boolean;
  /** Median pruning on. */
  pruning: boolean;
  /** Finished trials before pruning starts (default 5). */
  pruneStartup?: number;
  /** Random trials before TPE starts (default min(10, trials / 3)). */
  tpeStartup?: number;
  /** Aborting stops dispatching trials; finished ones stay in the journal. */
  signal?: AbortSignal;
  /**
   * Trials sampled without seeing each other's results (see trials.ts; default: the worker threads).
   * Results depend on it, never on the number of threads or machines running the trials.
   */
  parallel?: number;
  /** Where the study lives and who runs its trials (default: journal.jsonl in `out`, worker threads here). */
  backend?: TuneBackend;
}

/** The defaults of `lossforge tune`; its other flags default as in compare. */
export const TUNE_DEFAULTS = { trials: 30, sampler: 'tpe' as SamplerName, folds: 3, repeats: 1, out: './lossforge-tune' };

/** Parameters that set training rather than loss options. */
const TRAINING_PARAMS: Record<string, { kind: 'number' | 'int'; apply: (o: TrainingKnobs, v: number) => void }> = {
  lr: { kind: 'number', apply: (o, v) => (o.learningRate = v) },
  learningRate: { kind: 'number', apply: (o, v) => (o.learningRate = v) },
  epochs: { kind: 'int', apply: (o, v) => ((o.epochs = v), (o.earlyStopping = false)) },
  batchSize: { kind: 'int', apply: (o, v) => (o.batchSize = v) },
};

export interface TuneResult {
  command: 'tune';
  version: 1;
  study: StudyHeader;
  trials: TrialRecord[];
  best: TrialRecord | null;
  /** Trials found in the journal at start (0 for a fresh study). */
  resumed: number;
  /** True when the run was aborted before all trials finished. */
  interrupted: boolean;
  warnings: string[];
  /** Where the study lives: the journal file, or the storage URL without its password. */
  journal: string;
  timing: { seconds: number; workers: number };
}

export interface TuneProgress {
  start(total: number, done: number): void;
  tick(record: TrialRecord, best: TrialRecord | null): void;
  stop(): void;
}

function baseLoss(text: string): CandidateInput {
  const list = parseLossList(text);
  if (list.length !== 1) throw new UsageError(`--loss: expected one loss (name or JSON config), got ${list.length}`);
  return list[0]!;
}

/** Splits trial parameters into loss options and training knobs, and builds the candidate. */
export function trialSetup(base: CandidateInput, params: Params, task: Task, numClasses: number, knobs: TrainingKnobs): { candidate: LossCandidate; knobs: TrainingKnobs } {
  const config: Record<string, unknown> & { name: string } = typeof base === 'string' ? { name: base } : { ...base };
  const out = { ...knobs };
  for (const [name, value] of Object.entries(params)) {
    const training = TRAINING_PARAMS[name];
    if (training) training.apply(out, value as number);
    else config[name] = value;
  }
  const { label: _label, ...rest } = config;
  return { candidate: resolveCandidate(rest as typeof config, task, numClasses), knobs: out };
}

function checkSpace(space: Space, base: CandidateInput, task: Task, numClasses: number, knobs: TrainingKnobs): void {
  for (const d of space) {
    const training = TRAINING_PARAMS[d.name];
    if (training) {
      if (d.kind === 'categorical') throw new UsageError(`--space: ${d.name} must be a numeric range`);
      if (d.low <= 0) throw new UsageError(`--space: ${d.name} must be positive (got ${d.low}:${d.high})`);
      if (training.kind === 'int' && d.kind !== 'int') throw new UsageError(`--space: ${d.name} takes integers: write ${d.name}=${d.low}:${d.high}:int`);
      continue;
    }
    const values = d.kind === 'categorical' ? d.choices : [d.low, d.high];
    for (const v of values) {
      try {
        trialSetup(base, { [d.name]: v }, task, numClasses, knobs);
      } catch (error) {
        throw new UsageError(`--space: ${d.name}=${v}: ${(error as Error).message.replace(/^--losses: /, '')}`);
      }
    }
  }
}

export function makeSampler(name: SamplerName, space: Space, trials: number, seed: number, tpeStartup?: number): Sampler {
  if (name === 'random') return randomSampler(space);
  if (name === 'grid') return gridSampler(space, trials, makeRng(deriveSeed(seed, 23)));
  return tpeSampler(space, { startup: tpeStartup ?? Math.max(2, Math.min(10, Math.floor(trials / 3))) });
}

/** What runStudy needs from the preparation in runTune. */
interface StudyContext {
  header: StudyHeader;
  store: TrialStore;
  runner: Runner;
  parallel: number;
  space: Space;
  base: CandidateInput;
  data: ReturnType<typeof prepareStudy>['data'];
  metric: string;
  folds: ReturnType<typeof prepareStudy>['folds'];
  dataRef: ReturnType<typeof prepareStudy>['dataRef'];
  knobs: TrainingKnobs;
  higherIsBetter: boolean;
  started: number;
}

/** Median-pruning thresholds per fold step from the finished trials (null until `startup` trials finished). */
export function pruneThresholds(records: readonly TrialRecord[], steps: number, startup: number): (number | null)[] {
  return Array.from({ length: steps }, (_, i) => {
    if (records.length < startup) return null;
    const values = records.map((r) => r.runningMeans[i]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    return values.length >= startup ? median(values) : null;
  });
}

/** The best trial: completed trials first (pruned ones only if nothing completed), by the metric. */
export function bestTrial(records: readonly TrialRecord[], higherIsBetter: boolean): TrialRecord | null {
  const complete = records.filter((r) => !r.pruned && Number.isFinite(r.score));
  const pool = complete.length > 0 ? complete : records.filter((r) => Number.isFinite(r.score));
  if (pool.length === 0) return null;
  return pool.reduce((a, b) => ((higherIsBetter ? b.score > a.score : b.score < a.score) ? b : a));
}

/**
 * Runs (or, with `resume`, continues) a study: validates the space against the loss before any
 * training, journals every finished trial, and returns the trials and the best one. An aborted
 * `signal` stops dispatching trials; `interrupted` is then true.
 */
export async function runTune(settings: TuneSettings, progress?: TuneProgress): Promise<TuneResult> {
  const started = performance.now();
  if (!Number.isInteger(settings.trials) || settings.trials < 1) throw new UsageError(`--trials: expected a positive integer, got ${settings.trials}`);
  const space = parseSpace(settings.space);
  const base = baseLoss(settings.loss);
  const { data, metric, folds, dataRef, knobs } = prepareStudy(settings);
  const higherIsBetter = METRICS[metric]!.higherIsBetter;
  const baseCandidate = (() => {
    try {
      return resolveCandidate(base, data.task, data.classes.length);
    } catch (error) {
      throw new UsageError(`--loss: ${(error as Error).message.replace(/^--losses: /, '')}`);
    }
  })();
  checkSpace(space, base, data.task, data.classes.length, knobs);
  checkCandidateTargets(data, baseCandidate);

  const header: StudyHeader = {
    type: 'study',
    version: 1,
    loss: typeof base === 'string' ? { name: baseCandidate.lossName } : { ...base, name: baseCandidate.lossName },
    space: settings.space,
    sampler: settings.sampler,
    metric,
    higherIsBetter,
    data: settings.data,
    target: data.target,
    task: data.task,
    folds: settings.folds,
    repeats: settings.repeats,
    epochs: settings.epochs ?? null,
    batchSize: settings.batchSize,
    model: modelText(settings.hidden),
    learningRate: settings.learningRate,
    seed: settings.seed,
    pruning: settings.pruning,
  };

  const workers = capWorkers(settings.workers, Math.max(1, settings.trials));
  const parallel = settings.parallel ?? settings.backend?.parallel ?? workers.workers;
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel: expected a positive integer, got ${parallel}`);
  if (parallel > 1) header.parallel = parallel;
  const { store, runner } = settings.backend ? await settings.backend.open(header, parallel) : localBackend(settings.out, workers.workers);
  if (workers.note && !settings.backend) data.warnings.push(workers.note);
  try {
    return await runStudy(settings, { header, store, runner, parallel, space, base, data, metric, folds, dataRef, knobs, higherIsBetter, started }, progress);
  } finally {
    await runner.close().catch(() => undefined);
    await store.close();
  }
}

/** The default backend: journal.jsonl in `out` (locked), trials on `workers` threads of this process. */
function localBackend(out: string, workers: number): { store: TrialStore; runner: Runner } {
  ensureOutputDir(out);
  const store = new JournalStore(join(out, 'journal.jsonl'));
  return { store, runner: createRunner(workers) };
}

/** The study itself, under the store's lock: load or start the study, then run the missing trials (see trials.ts). */
async function runStudy(settings: TuneSettings, study: StudyContext, progress?: TuneProgress): Promise<TuneResult> {
  const { header, store, runner, parallel, space, base, data, metric, folds, dataRef, knobs, higherIsBetter, started } = study;
  const warnings: string[] = [...data.warnings];
  let records: TrialRecord[] = [];
  const saved = await store.load();
  if (saved) {
    if (!settings.resume) {
      throw new UsageError(`${store.flag}: ${store.location} already holds a study: pass --resume to continue it, or choose another ${store.flag}`);
    }
    checkSameStudy(store.location, saved.header, header, store.flag);
    records = saved.trials.filter((r) => r.trial < settings.trials);
    warnings.push(...saved.warnings);
  } else {
    await store.start(header);
  }
  const resumed = records.length;

  const sampler = makeSampler(settings.sampler, space, settings.trials, settings.seed, settings.tpeStartup);
  const total = Math.min(settings.trials, sampler.size);
  const objective = (r: TrialRecord) => (higherIsBetter ? -r.score : r.score);
  if (total < settings.trials) {
    warnings.push(`--trials ${settings.trials}: the grid has ${total} points, so ${total} trials run (one per point)`);
  }

  progress?.start(total, records.length);
  const finishedSoFar = [...records];
  try {
    records = await runSchedule({
      total,
      parallel,
      finished: records,
      signal: settings.signal,
      suggest: (trial, finished, running) =>
        sampler.suggest(trial, finished.map((r) => ({ params: r.params, value: objective(r) })), running, makeRng(deriveSeed(settings.seed, 19, trial))),
      run: (trial, params, finished) => {
        const { candidate, knobs: trialKnobs } = trialSetup(base, params, data.task, data.classes.length, knobs);
        const job: TrialJob = {
          trial,
          params,
          dataRef,
          folds,
          candidate,
          options: trialKnobs,
          seed: settings.seed,
          metric,
          higherIsBetter,
          pruneThresholds: settings.pruning ? pruneThresholds(finished, folds.length, settings.pruneStartup ?? 5) : folds.map(() => null),
        };
        return runner.runTrial(job);
      },
      record: async (record) => {
        await store.record(record);
        finishedSoFar.push(record);
        progress?.tick(record, bestTrial(finishedSoFar, higherIsBetter));
      },
    });
  } finally {
    progress?.stop();
  }
  const interrupted = Boolean(settings.signal?.aborted) && records.length < total;
  records.sort((a, b) => a.trial - b.trial);
  return {
    command: 'tune',
    version: 1,
    study: header,
    trials: records,
    best: bestTrial(records, higherIsBetter),
    resumed,
    interrupted,
    warnings,
    journal: store.location,
    timing: { seconds: (performance.now() - started) / 1000, workers: runner.workers },
  };
}
