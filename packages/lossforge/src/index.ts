/**
 * lossforge: the loss-function system for TensorFlow.js. Browser-safe: nothing under this entry
 * touches Node built-ins.
 */
export * as losses from './losses/index.js';
export { defineLoss, lossVariables, LossInputError, setValueChecks, valueChecksEnabled, option, numerics, REDUCTIONS } from './core/index.js';
export type { ComputeContext, Loss, LossVariables, LossCall, LossConfig, LossDefinition, LossDescription, LossFactory, LossOptions, Layout, PerSample, Reduction, TensorInput, ValueRule, ValueRules } from './core/index.js';
export type { BaseLossOptions, OptionSpec, OptionSpecsFor, OptionValue, ResolvedOptions } from './core/index.js';
// Each loss's options interface (fields documented with their defaults), also reachable as losses.XOptions.
export type {
  HuberOptions,
  SmoothL1Options,
  QuantileOptions,
  PoissonOptions,
  GaussianNllOptions,
  FromLogitsOption,
  LabelSmoothingOption,
  ClassAxisOption,
  ClassAxesOption,
  ClassWeightOption,
  BinaryCrossentropyOptions,
  BinaryFocalCrossentropyOptions,
  CategoricalCrossentropyOptions,
  SparseCategoricalCrossentropyOptions,
  CategoricalFocalCrossentropyOptions,
  PolyCrossentropyOptions,
  GeneralizedCrossentropyOptions,
  CosineSimilarityOptions,
  CtcOptions,
  CtcGreedyDecodeOptions,
  CtcBeamSearchDecodeOptions,
  SegmentationClassOptions,
  SegmentationRegionOptions,
  DiceOptions,
  TverskyOptions,
  FocalTverskyOptions,
  JaccardOptions,
  SegmentationPerClassOptions,
  GeneralizedDiceOptions,
  MccOptions,
  ClassReduction,
  LovaszHingeOptions,
  LovaszSoftmaxOptions,
  TripletMarginOptions,
  ContrastiveOptions,
  NtXentOptions,
  SupervisedContrastiveOptions,
  CircleOptions,
  SsimOptions,
  MsSsimOptions,
  TotalVariationOptions,
  PsnrOptions,
  CosineEmbeddingOptions,
  MarginRankingOptions,
  KullbackLeiblerDivergenceOptions,
  GeneralizedKullbackLeiblerOptions,
  SafeSoftmaxCrossentropyOptions,
  FenchelYoungOptions,
  FenchelYoungLossOptions,
  FenchelYoungDefinition,
  FenchelYoungRegularizer,
  FenchelYoungRegularizerName,
  MulticlassScoresOptions,
  ListAxisOption,
  PairwiseHingeOptions,
  PairwiseLogisticOptions,
  ListwiseSoftmaxOptions,
  SmoothApOptions,
  GeneralRobustOptions,
  AdaptiveRobustOptions,
  RobustAlpha,
  AngularMarginOptions,
  ArcFaceOptions,
  CosFaceOptions,
} from './losses/index.js';
export { robustParameters } from './losses/robust.js';
export { classCosines } from './losses/angularMargin.js';
export type { DiscriminatorLossOptions, GradientPenaltyOptions } from './losses/gan.js';
export type { IncludeBiasesOption, L1Options, L2Options, ElasticNetOptions, NormPenaltyOptions, OrthogonalOptions } from './penalties/index.js';
export { gradCheck, type GradCheckOptions, type GradCheckReport, type GradCheckEntry } from './tools/gradCheck.js';
export * as gan from './losses/gan.js';
export * from './training/index.js';
export * as metrics from './metrics/index.js';
export * as penalties from './penalties/index.js';
export { withPenalties } from './penalties/index.js';
export { combine, uncertaintyWeighting } from './compose/index.js';
export { setFusedKernels, fusedKernelsEnabled, setFusedThreshold, fusedAvailable, fusedKernelsReady } from './kernels/index.js';
export { linearCrossentropy, type LinearCrossentropyOptions } from './kernels/index.js';
// The public types of the values above (so that the API reference and users can name them).
export type { Alias } from './core/index.js';
export type { CombinedLoss, CombineSpec, CombineConfig, WeightedLoss, UncertaintyWeighting, UncertaintyWeightingOptions, LossFunction, LossLike, PerTask } from './compose/index.js';
export type { PenalizedLoss } from './penalties/withPenalties.js';
