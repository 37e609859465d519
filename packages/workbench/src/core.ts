/**
 * `@lossforge/workbench/core`: the study logic without Node — data preparation (CSV text in), folds,
 * training, metrics, statistics, verdict and report rendering — for the browser (the explorer's
 * Compare view runs it in Web Workers) or any other host. The Node entry (`@lossforge/workbench`)
 * is this plus files and worker threads (node.ts). A test bundles this entry for the browser.
 *
 * ```ts
 * import { COMPARE_DEFAULTS, compareOn, parseCsv, runFold, type StudyHost } from '@lossforge/workbench/core';
 * const host: StudyHost = {
 *   cores: 1,
 *   createRunner: (workers, study) => ({ workers, runFold: (job) => runFold(study.data, job.fold, job.candidate, job.options), close: async () => {} }),
 * };
 * const table = parseCsv('x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n', 'mine.csv');
 * const result = await compareOn(host, table, { ...COMPARE_DEFAULTS, data: 'mine.csv', folds: 2, repeats: 1, epochs: 2, workers: 1 });
 * ```
 */
import './runtime.js';

export { compareOn, planStudy, COMPARE_DEFAULTS, MAX_EPOCHS, parseModel, modelText } from './compare.js';
export type { CompareSettings, CompareResult, CompareProgress, StudyHost, Study, TrainingSettings, LossSummary, MetricSummary, Significance } from './compare.js';
export { parseCsv, buildDataset, tableDataset, defaultTarget, sniffDelimiter, BUILTIN_DATASETS } from './data.js';
export type { Dataset, DatasetOptions, RawTable, TaskOption, FeatureColumn } from './data.js';
export { runFold } from './evaluate.js';
export type { FoldOutcome, ClassPredictions, RegressionPredictions } from './evaluate.js';
export type { FoldJob, DataRef } from './jobs.js';
export { capWorkers, type FoldRunner } from './runner.js';
export { compareReportHtml, tuneReportHtml, inlineScript, VEGA_BUILDS } from './report.js';
export { formatCompare } from './format.js';
export { defaultCandidates, parseLossList, resolveCandidates } from './candidates.js';
export type { CandidateInput, LossCandidate, TargetEncoding, Head } from './candidates.js';
export { METRICS, metricsFor, defaultMetric } from './metrics.js';
export type { Task, MetricInfo, CalibrationBin } from './metrics.js';
export { correctedResampledTTest, holm } from './stats.js';
export type { CorrectedTTest } from './stats.js';
export type { Verdict } from './verdict.js';
export { WorkbenchError, UsageError, DataError, TrainingError } from './errors.js';
