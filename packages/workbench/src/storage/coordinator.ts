/**
 * The coordinator's side of a study on Redis: `tune` and `compare` with `--storage` put their trials
 * (tune) or (loss, split) trainings (compare) on the study's BullMQ queue and read the results back from
 * the study's results hash, which the workers (worker.ts) fill. A job carries only what names the work —
 * a trial number with its sampled parameters and pruning thresholds, or a (loss label, repeat, fold) —
 * the worker rebuilds the training from the study's settings. Job ids are the result ids, so re-adding a
 * job (a resumed coordinator) never queues the same work twice while it waits or runs.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { TrainingError, UsageError } from '../errors.js';
import type { CompareSettings } from '../compare.js';
import type { FoldOutcome } from '../evaluate.js';
import type { FoldJob } from '../jobs.js';
import { type JournalContents, type StudyHeader, type TrialRecord } from '../journal.js';
import type { Runner } from '../pool.js';
import type { TrialJob, TrialOutcome } from '../tuneJob.js';
import { connectRedis, lockStudy, queueName, readResults, readStudy, recordResult, resilientConnection, resultsKey, stateKey, writeStudy, type RedisStorage } from './redis.js';
import type { TrialStore, TuneBackend } from './types.js';

/** The result id of a tune trial. */
export const trialId = (trial: number) => `trial-${trial}`;
/** The result id of a compare training: the loss label (URI-encoded: BullMQ ids take no ':'), repeat and fold. */
export const foldId = (label: string, repeat: number, fold: number) => `fold-r${repeat}f${fold}-${encodeURIComponent(label)}`;

/** What a tune job carries. */
export interface TrialJobData {
  trial: number;
  params: TrialJob['params'];
  pruneThresholds: (number | null)[];
}

/** What a compare job carries. */
export interface FoldJobData {
  label: string;
  repeat: number;
  fold: number;
}

const POLL_MS = 50;
const CHECK_EVERY = 20;

/** Runs jobs on the study's queue; each resolves when a worker has recorded its result. */
export class QueueRunner implements Runner {
  private queued: { queue: Queue; connection: Redis } | undefined;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; add: () => Promise<unknown> }>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private polling = false;

  constructor(
    private readonly redis: Redis,
    private readonly storage: RedisStorage,
    private readonly study: string,
    readonly workers: number,
  ) {}

  /** The study's queue, opened on first use (a study refused before any job opens none). */
  private get queue(): Queue {
    if (!this.queued) {
      const connection = resilientConnection(this.storage);
      const queue = new Queue(queueName(this.study), { connection });
      queue.on('error', () => undefined);
      this.queued = { queue, connection };
    }
    return this.queued.queue;
  }

  runTrial(job: TrialJob): Promise<TrialOutcome> {
    const data: TrialJobData = { trial: job.trial, params: job.params, pruneThresholds: job.pruneThresholds };
    return this.enqueue(trialId(job.trial), 'trial', data).then((r) => {
      const { type: _type, params: _params, ...outcome } = r as TrialRecord;
      return outcome;
    });
  }

  runFold(job: FoldJob): Promise<FoldOutcome> {
    const data: FoldJobData = { label: job.candidate.label, repeat: job.fold.repeat, fold: job.fold.fold };
    return this.enqueue(foldId(data.label, data.repeat, data.fold), 'fold', data) as Promise<FoldOutcome>;
  }

  private async enqueue(id: string, name: string, data: object): Promise<unknown> {
    const recorded = await this.redis.hget(resultsKey(this.study), id);
    if (recorded !== null) return JSON.parse(recorded);
    const add = async () => {
      await this.redis.hset(stateKey(this.study), id, 'queued');
      await this.queue.add(name, data, { jobId: id, removeOnComplete: true, removeOnFail: false, attempts: 3, backoff: { type: 'fixed', delay: 1000 } });
    };
    await add();
    const result = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject, add }));
    this.timer ??= setInterval(() => void this.poll(), POLL_MS);
    return result;
  }

  /** Reads the results of the pending jobs; now and then checks that each still has a job (none failed or vanished). */
  private async poll(): Promise<void> {
    if (this.polling || this.pending.size === 0) return;
    this.polling = true;
    try {
      const ids = [...this.pending.keys()];
      const values = await this.redis.hmget(resultsKey(this.study), ...ids);
      ids.forEach((id, i) => {
        if (values[i] === null || values[i] === undefined) return;
        this.pending.get(id)!.resolve(JSON.parse(values[i]!));
        this.pending.delete(id);
      });
      if (++this.ticks % CHECK_EVERY !== 0) return;
      for (const [id, waiter] of this.pending) {
        const state = await this.queue.getJobState(id);
        if (state === 'failed') {
          const job = await this.queue.getJob(id);
          if ((await this.redis.hget(resultsKey(this.study), id)) !== null) continue;
          waiter.reject(new TrainingError(`${id} failed on a worker: ${job?.failedReason ?? 'unknown reason'}`));
          this.pending.delete(id);
        } else if (state === 'unknown' && (await this.redis.hget(resultsKey(this.study), id)) === null) {
          await waiter.add(); // the job vanished without a result (e.g. Redis lost it): queue it again
        }
      }
    } catch {
      // Redis unreachable for a moment (restarting): the next poll tries again.
    } finally {
      this.polling = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const waiter of this.pending.values()) waiter.reject(new TrainingError('the study was closed'));
    this.pending.clear();
    if (!this.queued) return;
    await this.queued.queue.close().catch(() => undefined);
    this.queued.connection.disconnect();
  }
}

/** A tune study on Redis as a TrialStore. */
class RedisTrialStore implements TrialStore {
  readonly flag = '--study';
  readonly location: string;

  constructor(
    private readonly redis: Redis,
    private readonly study: string,
    storage: RedisStorage,
    private readonly settings: Record<string, unknown>,
    private readonly release: () => Promise<void>,
  ) {
    this.location = `${storage.location} study ${study}`;
  }

  async load(): Promise<JournalContents | null> {
    const entry = await readStudy(this.redis, this.study);
    if (!entry) return null;
    if (entry.kind !== 'tune') throw new UsageError(`--study: ${this.location} is a ${entry.kind} study, not a tune study; choose another --study`);
    const trials = [...(await readResults<TrialRecord>(this.redis, this.study)).values()].sort((a, b) => a.trial - b.trial);
    return { header: entry.header as StudyHeader, trials, warnings: [] };
  }

  async start(header: StudyHeader): Promise<void> {
    await writeStudy(this.redis, this.study, { kind: 'tune', header, settings: this.settings });
  }

  async record(record: TrialRecord): Promise<boolean> {
    return recordResult(this.redis, this.study, trialId(record.trial), record);
  }

  async close(): Promise<void> {
    await this.release().catch(() => undefined);
    this.redis.disconnect();
  }
}

/** `tune --storage`: the study on Redis, its trials on the study's queue, `parallel` trials at a time (default 4). */
export function redisTuneBackend(storage: RedisStorage, study: string, extra: { drop?: string[]; features?: string[] }): TuneBackend {
  return {
    parallel: 4,
    async open(_header: StudyHeader, parallel: number) {
      const redis = await connectRedis(storage);
      try {
        const release = await lockStudy(redis, study, 'tune');
        const store = new RedisTrialStore(redis, study, storage, { drop: extra.drop ?? null, features: extra.features ?? null }, release);
        return { store, runner: new QueueRunner(redis, storage, study, parallel) };
      } catch (error) {
        redis.disconnect();
        throw error;
      }
    },
  };
}

/** What a compare study stores: the settings that decide its trainings (everything a worker needs). */
export function compareIdentity(settings: CompareSettings): Record<string, unknown> {
  const { data, target, drop, features, task, folds, repeats, epochs, batchSize, hidden, learningRate, seed, metric, losses } = settings;
  return { data, target: target ?? null, drop: drop ?? null, features: features ?? null, task, folds, repeats, epochs: epochs ?? null, batchSize, hidden, learningRate, seed, metric: metric ?? null, losses: losses ?? null };
}

/**
 * `compare --storage`: opens (or, with `resume`, continues) the compare study `study` with these settings
 * and returns the runner that puts its trainings on the queue, and `close`.
 */
export async function openCompareStudy(storage: RedisStorage, study: string, settings: CompareSettings, resume: boolean): Promise<{ runner: Runner; close: () => Promise<void> }> {
  const redis = await connectRedis(storage);
  const location = `${storage.location} study ${study}`;
  try {
    const release = await lockStudy(redis, study, 'compare');
    try {
      const now = compareIdentity(settings);
      const entry = await readStudy(redis, study);
      if (entry) {
        if (entry.kind !== 'compare') throw new UsageError(`--study: ${location} is a ${entry.kind} study, not a compare study; choose another --study`);
        if (!resume) throw new UsageError(`--study: ${location} already holds a study: pass --resume to continue it, or choose another --study`);
        const saved = entry.header as Record<string, unknown>;
        const key = Object.keys(now).find((k) => JSON.stringify(saved[k]) !== JSON.stringify(now[k]));
        if (key !== undefined) {
          throw new UsageError(
            `--resume: ${location} was written for a different study (${key}: ${JSON.stringify(saved[key])} in the storage, ${JSON.stringify(now[key])} now); use the same options, or another --study`,
          );
        }
      } else {
        await writeStudy(redis, study, { kind: 'compare', header: now, settings: {} });
      }
      const runner = new QueueRunner(redis, storage, study, 1);
      return {
        runner,
        close: async () => {
          await release().catch(() => undefined);
          redis.disconnect();
        },
      };
    } catch (error) {
      await release();
      throw error;
    }
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}
