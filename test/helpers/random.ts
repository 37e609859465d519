/** Seeded randomness shared by the test suites, so that every generated input is fixed. */
import { makeRng } from '../../src/workbench/random.js';

/** Uniform numbers in [0, 1), fully determined by `seed` (the workbench's generator, seedrandom's alea). */
export function seeded(seed: number): () => number {
  return makeRng(seed);
}
