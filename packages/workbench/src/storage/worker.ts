/**
 * `lossforge worker --storage redis://…`: runs the jobs of every study on a Redis (or of one), on any
 * machine, started and stopped at any time. A job only names its work (a trial number with its sampled
 * parameters, or a loss label and a split); the worker rebuilds the training from the study's settings —
 * the data, the splits, the model and the loss come from lossforge's own registry, the parameters are
 * checked against the study's search space — so nothing from the queue is ever executed as code.
 * A worker killed mid-job (kill -9) stops renewing the job's lock; BullMQ's stalled-job check then hands
 * the job to another worker, and the result is recorded once (HSETNX on the result id).
 */
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { resolveCandidates, defaultCandidates, type CandidateInput, type LossCandidate } from '../candidates.js';
import { parseModel, type Study, type TrainingSettings } from '../compare.js';
import { prepareStudy } from '../node.js';
import type { TaskOption } from '../data.js';
import { UsageError } from '../errors.js';
import { splitTrainOptions } from '../folds.js';
import type { StudyHeader, TrialRecord } from '../journal.js';
import { createRunner, type Runner } from '../pool.js';
import { parseSpace, type Params, type Space } from '../space.js';
import { trialSetup } from '../tune.js';
import { foldId, trialId, type FoldJobData, type TrialJobData } from './coordinator.js';
import { connectRedis, queueName, readStudy, recordResult, resilientConnection, stateKey, STUDIES_KEY, type RedisStorage } from './redis.js';

export interface WorkerOptions {
  storage: RedisStorage;
  /** Only this study (default: every study on the storage, including ones created later). */
  study?: string;
  /** Jobs run at once (worker threads when > 1). */
  concurrency: number;
  /** How long a job stays locked without a heartbeat before another worker takes it over (BullMQ lockDuration). */
  lockSeconds: number;
  /** Stops the worker: it finishes its running jobs, then resolves. */
  signal: AbortSignal;
  log: (line: string) => void;
}

/** A study as the worker rebuilds it from its settings. */
type StudyWork = { kind: 'tune'; study: Study; header: StudyHeader; space: Space } | { kind: 'compare'; study: Study; candidates: LossCandidate[]; seed: number };

/** Throws unless `params` is a point of `space`: every dimension, nothing else, each value in range. */
export function checkParams(space: Space, params: unknown): Params {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw new Error('job: params must be an object');
  const p = params as Params;
  const names = new Set(space.map((d) => d.name));
  for (const key of Object.keys(p)) if (!names.has(key)) throw new Error(`job: parameter '${key}' is not in the study's space`);
  for (const d of space) {
    const v = p[d.name];
    if (d.kind === 'categorical') {
      if (!d.choices.includes(v as never)) throw new Error(`job: ${d.name}=${String(v)} is not one of the space's choices`);
    } else if (typeof v !== 'number' || !(v >= d.low && v <= d.high) || (d.kind === 'int' && !Number.isInteger(v))) {
      throw new Error(`job: ${d.name}=${String(v)} is outside the space (${d.low}:${d.high})`);
    }
  }
  return p;
}

function checkThresholds(value: unknown, folds: number): (number | null)[] {
  if (!Array.isArray(value) || value.length !== folds || !value.every((v) => v === null || typeof v === 'number')) {
    throw new Error(`job: pruneThresholds must be ${folds} numbers or nulls`);
  }
  return value as (number | null)[];
}

/** Rebuilds a study's trainings from its stored settings (the same preparation as the coordinator's). */
async function studyWork(redis: Redis, name: string): Promise<StudyWork> {
  const entry = await readStudy(redis, name);
  if (!entry) throw new Error(`study ${name} has no settings on the storage`);
  if (entry.kind === 'tune') {
    const header = entry.header as StudyHeader;
    const extra = entry.settings as { drop?: string[] | null; features?: string[] | null };
    const settings: TrainingSettings = {
      data: header.data, target: header.target, drop: extra.drop ?? undefined, features: extra.features ?? undefined, task: header.task as TaskOption,
      folds: header.folds, repeats: header.repeats, epochs: header.epochs ?? undefined, batchSize: header.batchSize, hidden: parseModel(header.model),
      learningRate: header.learningRate, seed: header.seed, metric: header.metric, workers: 1,
    };
    return { kind: 'tune', study: prepareStudy(settings), header, space: parseSpace(header.space) };
  }
  const s = entry.header as TrainingSettings & { losses: CandidateInput[] | null; target: string | null; metric: string | null; epochs: number | null; drop: string[] | null; features: string[] | null };
  const study = prepareStudy({ ...s, target: s.target ?? undefined, metric: s.metric ?? undefined, epochs: s.epochs ?? undefined, drop: s.drop ?? undefined, features: s.features ?? undefined, workers: 1 });
  const { data } = study;
  const candidates = resolveCandidates(s.losses ?? defaultCandidates(data.task, { counts: data.counts }), data.task, data.classes.length);
  return { kind: 'compare', study, candidates, seed: s.seed };
}

/** Runs one job of a study: the training it names, recorded once under its result id. */
async function runJob(redis: Redis, runner: Runner, name: string, work: StudyWork, job: Job): Promise<string> {
  if (work.kind === 'tune') {
    const data = job.data as TrialJobData;
    if (!Number.isInteger(data.trial) || data.trial < 0) throw new Error('job: trial must be a non-negative integer');
    const { study, header, space } = work;
    const params = checkParams(space, data.params);
    const pruneThresholds = checkThresholds(data.pruneThresholds, study.folds.length);
    await redis.hset(stateKey(name), trialId(data.trial), `running ${hostname()} ${process.pid}`);
    const { candidate, knobs } = trialSetup(header.loss as CandidateInput, params, study.data.task, study.data.classes.length, study.knobs);
    const outcome = await runner.runTrial({
      trial: data.trial, params, dataRef: study.dataRef, folds: study.folds, candidate, options: knobs,
      seed: header.seed, metric: header.metric, higherIsBetter: header.higherIsBetter, pruneThresholds,
    });
    const record: TrialRecord = { type: 'trial', params, ...outcome };
    await recordResult(redis, name, trialId(data.trial), record);
    return `trial ${data.trial}`;
  }
  const data = job.data as FoldJobData;
  const candidate = work.candidates.find((c) => c.label === data.label);
  const fold = work.study.folds.find((f) => f.repeat === data.repeat && f.fold === data.fold);
  if (!candidate || !fold) throw new Error(`job: no training ${String(data.label)} r${String(data.repeat)}f${String(data.fold)} in the study`);
  const id = foldId(candidate.label, fold.repeat, fold.fold);
  await redis.hset(stateKey(name), id, `running ${hostname()} ${process.pid}`);
  const outcome = await runner.runFold({ dataRef: work.study.dataRef, fold, candidate, options: splitTrainOptions(work.study.knobs, work.seed, fold) });
  await recordResult(redis, name, id, outcome);
  return `${candidate.label} r${fold.repeat + 1}f${fold.fold + 1}`;
}

/** Runs the worker until `signal` aborts (see the module comment). */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const { storage, log } = options;
  const redis = await connectRedis(storage);
  const workers = new Map<string, Worker>();
  const connections: Redis[] = [];
  const runner = createRunner(options.concurrency);
  try {
    if (options.study !== undefined && !(await readStudy(redis, options.study))) {
      const names = (await redis.smembers(STUDIES_KEY)).sort();
      throw new UsageError(`--study: ${storage.location} has no study '${options.study}' (${names.length ? `studies: ${names.join(', ')}` : 'it holds no study'})`);
    }
    const works = new Map<string, Promise<StudyWork>>();
    let lastError = '';
    const join = (name: string) => {
      const worker = new Worker(
        queueName(name),
        async (job) => {
          if (!works.has(name)) works.set(name, studyWork(redis, name));
          const work = await works.get(name)!.catch((error: unknown) => {
            works.delete(name); // settings unreadable (Redis restarting?): try again on the next job
            throw error;
          });
          const started = performance.now();
          const what = await runJob(redis, runner, name, work, job);
          log(`study ${name}: ${what} recorded (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        },
        {
          connection: connections[connections.push(resilientConnection(storage)) - 1]!,
          concurrency: options.concurrency,
          lockDuration: options.lockSeconds * 1000,
          stalledInterval: options.lockSeconds * 1000,
          maxStalledCount: 100,
        },
      );
      worker.on('error', (error) => {
        const text = error.message.split('\n')[0]!;
        if (text !== lastError) log(`warning: ${text}`);
        lastError = text;
      });
      worker.on('failed', (job, error) => log(`study ${name}: job ${job?.id ?? '?'} failed: ${error.message.split('\n')[0]}`));
      workers.set(name, worker);
      log(`joined study ${name} on ${storage.location}`);
    };
    const discover = async () => {
      const names = options.study !== undefined ? [options.study] : await redis.smembers(STUDIES_KEY);
      for (const name of names.sort()) if (!workers.has(name)) join(name);
    };
    await discover();
    if (workers.size === 0) log(`waiting for studies on ${storage.location}`);
    const timer = setInterval(() => void discover().catch(() => undefined), 1000);
    await new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(timer);
  } finally {
    await Promise.all([...workers.values()].map((w) => w.close().catch(() => undefined)));
    await runner.close().catch(() => undefined);
    for (const c of connections) c.disconnect();
    redis.disconnect();
  }
}
