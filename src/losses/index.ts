/** The catalog: `losses.<name>(options)` factories, plus `get`, `fromConfig` and `list`. */
export * from './regression.js';
export { get, fromConfig, list } from '../core/registry.js';
export * from './margin.js';
export * from './divergence.js';
export * from './classification.js';
// ctcForwardBackward (the typed-array recursion behind ctc) stays internal to sequence.ts and the kernels.
export { ctc, ctcGreedyDecode, ctcBeamSearchDecode, type CtcGreedyDecodeOptions, type CtcBeamSearchDecodeOptions, type CtcBeamSearchResult } from './sequence.js';
export * from './segmentation.js';
export * from './metric.js';
