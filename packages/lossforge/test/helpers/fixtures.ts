/**
 * Loads a generated fixture from a package's test/fixtures (lossforge's, or the workbench's for `workbench`),
 * turning "Infinity", "-Infinity" and "NaN" strings back into numbers.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SPECIAL: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };

export function loadFixture<T = unknown>(name: string): T {
  const folder = name === 'workbench' ? '../../../workbench/test/fixtures' : '../fixtures';
  const path = fileURLToPath(new URL(`${folder}/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8'), (_key, value) =>
    typeof value === 'string' && value in SPECIAL ? SPECIAL[value] : value,
  ) as T;
}

/** A nested array of numbers, as the fixtures store tensors. */
export type Nested = number | Nested[];

/** One reference computation of a `catalog-*` fixture. `grad` is d(sum of value)/d yPred; omitted where undefined at the point. */
export interface GoldenCase {
  loss: string;
  options: Record<string, unknown>;
  yTrue: Nested;
  yPred: Nested;
  yTrueDtype?: 'float32' | 'int32';
  call?: Record<string, Nested>;
  value: Nested;
  grad?: Nested;
  /** Free text: what the case exercises. */
  note?: string;
}
