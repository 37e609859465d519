// Development entry of the worker pool (lossforge run through tsx): registers tsx in this worker
// thread, then loads the TypeScript worker. Built code (dist/) uses dist/workbench/worker.js directly.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');

export const runFoldJob = worker.runFoldJob;
export const runTrialJob = worker.runTrialJob;
