/**
 * The Node edge of data.ts: `--data` names a CSV file or a built-in dataset (the package's datasets/
 * folder); these read it from disk and hand the text to the browser-safe parser (`parseCsv`,
 * `tableDataset`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILTIN_DATASETS, parseCsv, tableDataset, type Dataset, type DatasetOptions, type RawTable } from './data.js';
import { UsageError } from './errors.js';

/** The absolute path of a built-in dataset's CSV (datasets/ at the package root, from src/ or dist/). */
export function builtinPath(name: string): string {
  return fileURLToPath(new URL(`../datasets/${name}.csv`, import.meta.url));
}

/** Resolves `--data`: `builtin:NAME` or a path to a CSV file. */
export function resolveDataPath(spec: string): { path: string; source: string; builtin?: string } {
  if (spec.startsWith('builtin:')) {
    const name = spec.slice('builtin:'.length);
    if (!(name in BUILTIN_DATASETS)) {
      throw new UsageError(`--data: unknown built-in dataset '${name}' (available: ${Object.keys(BUILTIN_DATASETS).map((n) => `builtin:${n}`).join(', ')})`);
    }
    return { path: builtinPath(name), source: spec, builtin: name };
  }
  if (!existsSync(spec)) throw new UsageError(`--data: file not found: ${spec}`);
  return { path: spec, source: spec };
}

/** Reads and parses the CSV that `--data` names (UsageError if it cannot be read). */
export function readTable(spec: string): RawTable {
  const { path, source } = resolveDataPath(spec);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--data: cannot read ${source}: ${(error as Error).message}`);
  }
  return parseCsv(text, source);
}

/** Reads `--data` and builds the dataset (target defaulting to the built-in's target or the last column). */
export function loadDataset(spec: string, options: DatasetOptions = {}): Dataset {
  return tableDataset(readTable(spec), options);
}
