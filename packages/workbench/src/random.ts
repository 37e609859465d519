/** Seeded randomness for the workbench (folds, shuffles, samplers): seedrandom's alea generator. */
import seedrandom from 'seedrandom';
import { permutation } from 'lossforge';

/** A function returning uniform numbers in [0, 1), fully determined by `seed`. */
export type Rng = () => number;

/** seedrandom's alea generator seeded with `seed`. */
export function makeRng(seed: number | string): Rng {
  return seedrandom.alea(String(seed));
}

/** A shuffled copy of `items` (the Fisher–Yates permutation that `fit` shuffles batches with). */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  return permutation(items.length, rng).map((i) => items[i]!);
}

/** A standard normal draw (Box–Muller: √(−2 ln u₁) · cos 2πu₂); seedrandom has no normal generator. */
export function normal(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Derives a 31-bit integer seed from a base seed and a path of integers (stable, order-sensitive). */
export function deriveSeed(base: number, ...path: number[]): number {
  let h = (base | 0) ^ 0x9e3779b9;
  for (const p of path) {
    h = Math.imul(h ^ (p + 0x7f4a7c15), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return Math.abs(h) % 2147483647;
}
