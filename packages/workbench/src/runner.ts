/**
 * Where a study's trainings run, as the study logic sees it (browser-safe): a runner takes fold jobs
 * and hands back their outcomes. The Node edge runs them in this thread or on worker threads
 * (pool.ts); the explorer on Web Workers. Results do not depend on the runner: every job carries its
 * own seed.
 */
import type { FoldOutcome } from './evaluate.js';
import type { FoldJob } from './jobs.js';

/** Runs fold jobs (one training and its scores each); `workers` of them at a time. */
export interface FoldRunner {
  readonly workers: number;
  runFold(job: FoldJob): Promise<FoldOutcome>;
  close(): Promise<void>;
}

/**
 * The workers worth starting: at most one per job (training or trial) and one per available core
 * (each worker holds its own TensorFlow.js and copy of the data); `note` says why when fewer than asked.
 */
export function capWorkers(requested: number, jobs: number, cores: number): { workers: number; note?: string } {
  const workers = Math.max(1, Math.min(requested, jobs, cores));
  if (workers === requested) return { workers };
  const why = workers === jobs ? `there ${jobs === 1 ? 'is only 1 job' : `are only ${jobs} jobs`} to run` : `this machine has ${cores} cores`;
  return { workers, note: `--workers ${requested}: using ${workers}, since ${why}` };
}
