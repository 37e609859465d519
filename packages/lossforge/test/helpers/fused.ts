/** Running test code with the fused kernels switched on or off, restoring the previous setting after. */
import { setFusedKernels } from '../../src/kernels/index.js';

/** Runs `fn` with the fused kernels on or off (`setFusedKernels`), then restores the previous setting. */
export function withFused<T>(on: boolean, fn: () => T): T {
  const previous = setFusedKernels(on);
  try {
    return fn();
  } finally {
    setFusedKernels(previous);
  }
}
