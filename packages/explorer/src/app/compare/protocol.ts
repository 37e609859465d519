/** The messages between the Compare view and its Web Workers (compare-worker.js). */
import type { Dataset, FoldJob, FoldOutcome } from '@lossforge/workbench/core';

/** To a worker: first the study's dataset (once), then fold jobs, one at a time. */
export type ToWorker = { type: 'data'; data: Dataset } | { type: 'fold'; job: FoldJob };

/** From a worker: the outcome of the job it was given, or why it failed. */
export type FromWorker = { type: 'outcome'; outcome: FoldOutcome } | { type: 'error'; message: string };
