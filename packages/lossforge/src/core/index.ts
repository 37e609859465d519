export { LossInputError } from './errors.js';
export { setValueChecks, valueChecksEnabled } from './config.js';
export { defineLoss, lossVariables, type ComputeContext, type Loss, type LossVariables, type LossCall, type LossConfig, type LossDefinition, type LossFactory, type LossOptions, type Layout, type PerSample, type ValueRules } from './loss.js';
export { REDUCTIONS, type Reduction } from './reduce.js';
export type { Alias, LossDescription } from './registry.js';
export * as option from './options.js';
export type { BaseLossOptions, OptionSpec, OptionSpecsFor, OptionValue, ResolvedOptions } from './options.js';
export * as numerics from './numerics.js';
export type { TensorInput, ValueRule } from './validate.js';
