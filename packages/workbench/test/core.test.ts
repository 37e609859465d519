/**
 * core.ts, the browser-safe entry: it bundles for the browser with no Node built-in (esbuild fails on
 * one: `node:fs`, `os`, `worker_threads`… cannot be resolved for platform 'browser'), and a comparison
 * through it with a host of our own gives the numbers of `runCompare` (files, worker threads).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { COMPARE_DEFAULTS, compareOn, parseCsv, runFold, type CompareSettings, type StudyHost } from '../src/core.js';
import { builtinPath } from '../src/dataFiles.js';
import { runCompare } from '../src/node.js';

const src = (file: string) => fileURLToPath(new URL(`../src/${file}`, import.meta.url));

/** Bundles `entry` for the browser; resolves to esbuild's errors (none = browser-safe). */
async function browserBundleErrors(entry: string): Promise<string[]> {
  try {
    const out = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true });
    const inputs = Object.keys(out.metafile.inputs);
    return inputs.filter((i) => /^(node:|fs$|os$|path$|url$|worker_threads$|child_process$)/.test(i));
  } catch (error) {
    return (error as { errors: { text: string }[] }).errors.map((e) => e.text);
  }
}

test('core.ts bundles for the browser without any Node built-in', { timeout: 120_000 }, async () => {
  assert.deepEqual(await browserBundleErrors(src('core.ts')), []);
});

test('the Node edge does not (the check above can fail)', { timeout: 120_000 }, async () => {
  const errors = await browserBundleErrors(src('node.ts'));
  assert.ok(errors.some((e) => /node:(fs|os|path|url)/.test(e)), errors.join('\n'));
});

test('compareOn with an in-thread host of our own gives runCompare\'s numbers', { timeout: 120_000 }, async () => {
  const settings: CompareSettings = { ...COMPARE_DEFAULTS, data: 'builtin:iris', losses: ['sparseCategoricalCrossentropy', 'categoricalFocalCrossentropy'], folds: 2, repeats: 1, epochs: 3, workers: 1 };
  const host: StudyHost = {
    cores: 1,
    createRunner: (workers, study) => ({ workers, runFold: (job) => runFold(study.data, job.fold, job.candidate, job.options), close: async () => {} }),
  };
  const table = parseCsv(readFileSync(builtinPath('iris'), 'utf8'), 'builtin:iris');
  const core = await compareOn(host, table, settings);
  const node = await runCompare(settings);
  const scores = (r: typeof core) => r.losses.map((l) => [l.label, Object.fromEntries(Object.entries(l.metrics).map(([k, m]) => [k, m.values]))]);
  assert.deepEqual(scores(core), scores(node));
  assert.equal(core.verdict.text, node.verdict.text);
});
