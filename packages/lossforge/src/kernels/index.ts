/**
 * Fused loss kernels (WebAssembly SIMD): one pass computes a loss and its gradient. Used
 * automatically by the built-in losses on the 'cpu' and 'wasm' backends; `setFusedKernels(false)`
 * switches them off.
 */
export { setFusedKernels, fusedKernelsEnabled, setFusedThreshold, fusedAvailable } from './fused.js';
export { fusedKernelsReady } from './runtime.js';
export { linearCrossentropy, type LinearCrossentropyOptions } from './linearCrossentropy.js';
