/**
 * Multi-task composition: fixed weights (`combine`) and learned homoscedastic-uncertainty weights
 * (`uncertaintyWeighting`).
 */
export { combine, type CombinedLoss, type CombineSpec, type CombineConfig, type WeightedLoss } from './combine.js';
export { uncertaintyWeighting, type UncertaintyWeighting, type UncertaintyWeightingOptions } from './uncertainty.js';
export type { LossFunction, LossLike, PerTask } from './entries.js';
