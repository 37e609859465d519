/** Seeded randomness shared by the test suites, so that every generated input is fixed. */
import seedrandom from 'seedrandom';

/** Uniform numbers in [0, 1), fully determined by `seed`: seedrandom's alea, the workbench's generator too. */
export function seeded(seed: number): () => number {
  return seedrandom.alea(String(seed));
}
