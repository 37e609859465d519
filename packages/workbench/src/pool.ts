/**
 * Running jobs: in this thread (`workers: 1`, the default in tests) or on a piscina pool of worker
 * threads. Results do not depend on the number of workers: every job carries its own seed.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { runFoldJob, type FoldJob } from './jobs.js';
import { runTrialJob, type TrialJob, type TrialOutcome } from './tuneJob.js';
import type { FoldOutcome } from './evaluate.js';
import { capWorkers as capWorkersTo, type FoldRunner } from './runner.js';

export interface Runner extends FoldRunner {
  runTrial(job: TrialJob): Promise<TrialOutcome>;
}

/** The default number of worker threads: the CPU count, at most 4. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** `capWorkers` (runner.ts) with this machine's core count as the default. */
export function capWorkers(requested: number, jobs: number, cores = availableParallelism()): { workers: number; note?: string } {
  return capWorkersTo(requested, jobs, cores);
}

/** Lets the event loop breathe (progress output, signals) between synchronous jobs. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

class InProcessRunner implements Runner {
  readonly workers = 1;
  private queue: Promise<unknown> = Promise.resolve();

  private enqueue<R>(fn: () => Promise<R>): Promise<R> {
    const next = this.queue.then(async () => {
      await breathe();
      return fn();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  runFold(job: FoldJob): Promise<FoldOutcome> {
    return this.enqueue(() => runFoldJob(job));
  }

  runTrial(job: TrialJob): Promise<TrialOutcome> {
    return this.enqueue(() => runTrialJob(job));
  }

  async close(): Promise<void> {
    await this.queue;
  }
}

/**
 * The worker entry next to this module: dist/workbench/worker.js when built; under tsx (development,
 * tests) worker-dev.mjs, which registers tsx inside the worker thread and loads worker.ts.
 */
export function workerFile(): string {
  const url = new URL(import.meta.url.endsWith('.ts') ? './worker-dev.mjs' : './worker.js', import.meta.url);
  return fileURLToPath(url);
}

class PoolRunner implements Runner {
  private readonly pool: Piscina;

  constructor(readonly workers: number) {
    this.pool = new Piscina({ filename: workerFile(), minThreads: workers, maxThreads: workers, idleTimeout: 60_000 });
  }

  runFold(job: FoldJob): Promise<FoldOutcome> {
    return this.pool.run(job, { name: 'runFoldJob' }) as Promise<FoldOutcome>;
  }

  runTrial(job: TrialJob): Promise<TrialOutcome> {
    return this.pool.run(job, { name: 'runTrialJob' }) as Promise<TrialOutcome>;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** A runner with `workers` threads: in this thread for 1, a piscina pool otherwise. */
export function createRunner(workers: number): Runner {
  return workers <= 1 ? new InProcessRunner() : new PoolRunner(workers);
}
