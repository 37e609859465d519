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
