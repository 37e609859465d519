/**
 * Training integration: `fit` with sample and class weights, `evaluate`, `trainStep` for custom
 * loops, callbacks, `compileLoss` for tfjs-layers' own fit, and `saveModel` / `loadModel` that keep
 * the loss and optimizer. Browser-safe: the Node `file://` handler lives in `lossforge/node`.
 */
export { fit, evaluate, permutation, type FitOptions, type EvaluateOptions, type History } from './fit.js';
export { trainStep, type StepLoss, type StepObjective } from './trainStep.js';
export { compileLoss, type CompiledLossFn } from './compileLoss.js';
export {
  saveModel,
  loadModel,
  METADATA_KEY,
  type SaveModelOptions,
  type LoadModelOptions,
  type LoadedModel,
  type TrainingMetadata,
  type LossEntry,
} from './serialize.js';
export * as callbacks from './callbacks.js';
export type { TrainingCallback, EarlyStoppingOptions, EarlyStoppingCallback, Logs, TrainingParams } from './callbacks.js';
export type { TrainableModel } from './model.js';
export type { TensorOrList, SampleWeightArg, ClassWeight, ClassWeightArg } from './data.js';
export { fitDataset, evaluateDataset, type FitDatasetOptions, type DatasetElement, type DatasetLike } from './fitDataset.js';
export { compile, type CompileArgs } from './compile.js';
export * as multiTask from './multiTask.js';
export type { MultiTaskStrategy, MultiTaskStepOptions, DwaOptions, GradNormOptions, PcgradOptions } from './multiTask.js';
