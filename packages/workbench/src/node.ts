/**
 * The Node edge of the study logic: what compare, tune and the report need from Node — the CSV
 * file that `--data` names (dataFiles.ts), worker threads (pool.ts), the vega builds in node_modules.
 * Everything they compute is browser-safe and shared with the explorer (core.ts is that entry).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, parse as parsePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareOn, planStudy, type CompareProgress, type CompareResult, type CompareSettings, type Study, type StudyHost, type TrainingSettings } from './compare.js';
import { readTable } from './dataFiles.js';
import { primeDataset } from './jobs.js';
import { createRunner } from './pool.js';
import { compareReportHtml, inlineScript, tuneReportHtml, VEGA_BUILDS } from './report.js';
import type { TuneResult } from './tune.js';

/** Trainings in this thread (`workers` 1, the study's dataset primed for its jobs) or on a piscina pool. */
export const nodeHost: StudyHost = {
  cores: availableParallelism(),
  createRunner(workers: number, study: Study) {
    primeDataset(study.dataRef, study.data);
    return createRunner(workers);
  },
};

/** Reads the CSV that `settings.data` names and plans the study on it (`planStudy`), its dataset primed for in-thread jobs. */
export function prepareStudy(settings: TrainingSettings): Study {
  const study = planStudy(settings, readTable(settings.data));
  primeDataset(study.dataRef, study.data);
  return study;
}

/** Runs the comparison (`compareOn`) on the CSV that `settings.data` names, with `settings.workers` worker threads. `progress` sees every finished training. */
export function runCompare(settings: CompareSettings, progress?: CompareProgress): Promise<CompareResult> {
  return compareOn(nodeHost, readTable(settings.data), settings, progress);
}

/** Finds `node_modules/<pkg>/<file>` walking up from this module (works from src/, dist/ and installs). */
export function findPackageFile(pkg: string, file: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  const { root } = parsePath(dir);
  for (;;) {
    const candidate = join(dir, 'node_modules', pkg, file);
    if (existsSync(candidate)) return candidate;
    if (dir === root) break;
    dir = dirname(dir);
  }
  throw new Error(`report: cannot find ${pkg}/${file} in any node_modules above ${dirname(fileURLToPath(import.meta.url))}`);
}

let scriptsCache: string | undefined;

/** The vega, vega-lite and vega-embed browser builds as inline <script> elements (no CDN: the report works offline). */
export function vegaScripts(): string {
  scriptsCache ??= VEGA_BUILDS.map(([pkg, file]) => inlineScript(pkg, readFileSync(findPackageFile(pkg, file), 'utf8'))).join('\n');
  return scriptsCache;
}

/** report.html of a comparison, one self-contained file (see `compareReportHtml`). */
export function renderCompareReport(result: CompareResult): string {
  return compareReportHtml(result, vegaScripts());
}

/** report.html of a tuning study, one self-contained file (see `tuneReportHtml`). */
export function renderTuneReport(result: TuneResult): string {
  return tuneReportHtml(result, vegaScripts());
}
