/**
 * @lossforge/workbench: which loss works best on your data? The study logic behind
 * `lossforge compare | advise | tune`, for use from code:
 *
 * ```ts
 * import { COMPARE_DEFAULTS, formatCompare, runCompare } from '@lossforge/workbench';
 * const result = await runCompare({ ...COMPARE_DEFAULTS, data: 'builtin:iris', workers: 1 });
 * console.log(formatCompare(result));
 * ```
 */
export { runCompare, renderCompareReport, renderTuneReport } from './node.js';
export { COMPARE_DEFAULTS, parseModel, modelText } from './compare.js';
export type { CompareSettings, CompareResult, CompareProgress, TrainingSettings, LossSummary, MetricSummary, Significance } from './compare.js';
export { runTune, TUNE_DEFAULTS } from './tune.js';
export type { TuneSettings, TuneResult, TuneProgress, SamplerName } from './tune.js';
export { diagnose, recommend, formatDiagnostics, formatRecommendations } from './advise.js';
export type { Diagnostics, Recommendation } from './advise.js';
export { formatCompare, formatTune } from './format.js';
export { loadDataset } from './dataFiles.js';
export { parseCsv, buildDataset, BUILTIN_DATASETS } from './data.js';
export type { Dataset, RawTable, TaskOption } from './data.js';
export { defaultCandidates, parseLossList, resolveCandidates } from './candidates.js';
export type { CandidateInput, LossCandidate } from './candidates.js';
export { METRICS, metricsFor, defaultMetric } from './metrics.js';
export type { Task, MetricInfo } from './metrics.js';
export { correctedResampledTTest, holm } from './stats.js';
export { WorkbenchError, UsageError, DataError } from './errors.js';
export { runCli, type CliIo } from './cli/program.js';
// The types inside the results above, so that the API reference and users can name them.
export type { FeatureColumn } from './data.js';
export type { TargetEncoding, Head } from './candidates.js';
export type { CalibrationBin } from './metrics.js';
export type { TrialRecord, StudyHeader } from './journal.js';
export type { TrialStore, TuneBackend } from './storage/types.js';
export type { CorrectedTTest } from './stats.js';
export type { FoldOutcome, ClassPredictions, RegressionPredictions } from './evaluate.js';
export type { Params, ParamValue } from './space.js';
