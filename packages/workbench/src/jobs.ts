/**
 * Jobs that can run in the main thread or in a worker thread (worker.ts): each names its dataset
 * by reference (the worker loads and caches it) so only small messages cross threads.
 */
import type { ColumnChoice, Dataset, TaskOption } from './data.js';
import { loadDataset } from './dataFiles.js';
import type { LossCandidate } from './candidates.js';
import { runFold, type FoldOutcome } from './evaluate.js';
import type { Fold } from './folds.js';
import type { TrainOptions } from './train.js';

export interface DataRef extends ColumnChoice {
  data: string;
  target: string;
  task: TaskOption;
}

export interface FoldJob {
  dataRef: DataRef;
  fold: Fold;
  candidate: LossCandidate;
  options: TrainOptions;
}

const cache = new Map<string, Dataset>();

/** The dataset a job names, loaded once per thread and cached. */
export function datasetFor(ref: DataRef): Dataset {
  const key = JSON.stringify(ref);
  let data = cache.get(key);
  if (!data) {
    data = loadDataset(ref.data, { target: ref.target, task: ref.task, drop: ref.drop, features: ref.features });
    cache.set(key, data);
  }
  return data;
}

/** Registers an already-loaded dataset so that in-process jobs do not read the file again. */
export function primeDataset(ref: DataRef, data: Dataset): void {
  cache.set(JSON.stringify(ref), data);
}

/** Runs one fold job (see `runFold`) on the dataset it names. */
export function runFoldJob(job: FoldJob): Promise<FoldOutcome> {
  return runFold(datasetFor(job.dataRef), job.fold, job.candidate, job.options);
}
