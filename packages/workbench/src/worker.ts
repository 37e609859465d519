/**
 * The piscina worker: every exported function is a job the pool can run by name. In development
 * (tsx) the pool starts this file as TypeScript, with tsx registered through execArgv; from dist it
 * is plain JavaScript.
 */
import './runtime.js';
export { runFoldJob } from './jobs.js';
export { runTrialJob } from './tuneJob.js';
