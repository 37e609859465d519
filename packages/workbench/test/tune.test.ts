import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveCandidate } from '../src/candidates.js';
import { DataError, UsageError } from '../src/errors.js';
import { repeatedKFold } from '../src/folds.js';
import { checkSameStudy, readJournal, type StudyHeader, type TrialRecord } from '../src/journal.js';
import { bestTrial, pruneThresholds, runTune, type TuneSettings } from '../src/tune.js';
import { runTrialJob } from '../src/tuneJob.js';
import { useBackend } from '../../lossforge/test/helpers/backends.js';

await useBackend('cpu');

const root = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lossforge-tune-'));
let n = 0;
const fresh = () => join(dir, `study-${n++}`);

const tiny = (out: string, extra: Partial<TuneSettings> = {}): TuneSettings => ({
  data: 'builtin:iris', task: 'auto', loss: 'categoricalFocalCrossentropy', space: 'gamma=0:4,lr=1e-3:1e-1:log',
  trials: 4, sampler: 'random', folds: 2, repeats: 1, epochs: 1, batchSize: 64, hidden: [4], learningRate: 0.01,
  seed: 3, workers: 1, out, resume: false, pruning: true, ...extra,
});

const trialLines = (out: string) =>
  readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"trial"')).map((l) => JSON.parse(l) as TrialRecord);

test('tune journals a header and one record per trial, and finds the best', async () => {
  const out = fresh();
  const r = await runTune(tiny(out));
  assert.equal(r.trials.length, 4);
  assert.deepEqual(r.trials.map((t) => t.trial), [0, 1, 2, 3]);
  const journal = readJournal(join(out, 'journal.jsonl'));
  assert.equal(journal.header.loss['name'], 'categoricalFocalCrossentropy');
  assert.deepEqual(journal.trials.map((t) => t.trial), [0, 1, 2, 3]);
  for (const t of r.trials) {
    assert.ok((t.params['gamma'] as number) >= 0 && (t.params['gamma'] as number) <= 4);
    assert.ok((t.params['lr'] as number) >= 1e-3 && (t.params['lr'] as number) <= 0.1);
  }
  assert.equal(r.best!.score, Math.max(...r.trials.filter((t) => !t.pruned).map((t) => t.score)));
});

test('an existing journal needs --resume; a different study cannot resume it', async () => {
  const out = fresh();
  await runTune(tiny(out, { trials: 2 }));
  await assert.rejects(runTune(tiny(out, { trials: 2 })), (e: unknown) => e instanceof UsageError && /--resume/.test(e.message));
  await assert.rejects(
    runTune(tiny(out, { trials: 2, resume: true, space: 'gamma=0:3' })),
    (e: unknown) => e instanceof UsageError && /different study \(space/.test(e.message),
  );
});

test('resume runs only the missing trials: each trial once, total right', async () => {
  const out = fresh();
  const first = await runTune(tiny(out, { trials: 3 }));
  const second = await runTune(tiny(out, { trials: 5, resume: true }));
  assert.equal(second.resumed, 3);
  assert.deepEqual(second.trials.map((t) => t.trial), [0, 1, 2, 3, 4]);
  assert.deepEqual(trialLines(out).map((t) => t.trial).sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(second.trials.slice(0, 3), first.trials, 'finished trials are kept as they were');
});

test('abort (Ctrl-C) keeps the finished trials; resume completes the study', async () => {
  const out = fresh();
  const controller = new AbortController();
  const partial = await runTune(tiny(out, { trials: 5, signal: controller.signal }), {
    start() {},
    tick: (_r) => {
      if (trialLines(out).length >= 2) controller.abort();
    },
    stop() {},
  });
  assert.ok(partial.interrupted);
  assert.equal(partial.trials.length, 2);
  const done = await runTune(tiny(out, { trials: 5, resume: true }));
  assert.equal(done.interrupted, false);
  assert.deepEqual(trialLines(out).map((t) => t.trial).sort(), [0, 1, 2, 3, 4]);
});

test('a killed process (SIGKILL mid-study) resumes without losing or repeating trials', async () => {
  const out = fresh();
  const args = ['--import', 'tsx', 'src/cli/main.ts', 'tune', '--data', 'builtin:iris', '--loss', 'categoricalFocalCrossentropy',
    '--space', 'gamma=0:4', '--trials', '8', '--sampler', 'random', '--folds', '2', '--repeats', '1', '--epochs', '3',
    '--model', 'mlp:4', '--workers', '1', '--quiet', '--out', out];
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' });
  const journal = join(out, 'journal.jsonl');
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(journal) && trialLines(out).length >= 3) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the study finished before it could be killed'));
    });
  });
  await new Promise((resolve) => child.once('exit', resolve));
  const before = trialLines(out);
  assert.ok(before.length >= 3 && before.length < 8, `${before.length} trials before the kill`);
  const resumed = spawnSync(process.execPath, [...args, '--resume', '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  const result = JSON.parse(resumed.stdout);
  assert.equal(result.resumed, before.length);
  const after = trialLines(out);
  assert.deepEqual(after.map((t) => t.trial).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(after.slice(0, before.length), before, 'the journal before the kill is untouched');
  assert.ok(existsSync(join(out, 'report.html')));
});

test('median pruning: thresholds from finished trials; a hopeless trial stops after its first fold', async () => {
  const rec = (trial: number, runningMeans: number[], pruned = false): TrialRecord => ({
    type: 'trial', trial, params: {}, score: runningMeans.at(-1)!, foldScores: runningMeans, runningMeans, pruned, metrics: {}, seconds: 0,
  });
  const records = [rec(0, [0.9, 0.8]), rec(1, [0.7, 0.75]), rec(2, [0.5], true)];
  assert.deepEqual(pruneThresholds(records, 2, 3), [0.7, null]);
  assert.deepEqual(pruneThresholds(records, 2, 2), [0.7, 0.775]);
  assert.deepEqual(pruneThresholds(records.slice(0, 1), 2, 2), [null, null]);
  assert.equal(bestTrial(records, true)!.trial, 0);
  assert.equal(bestTrial(records, false)!.trial, 1, 'a pruned trial never counts as the best');

  const folds = repeatedKFold(150, 3, 1, 1, Array.from({ length: 150 }, (_, i) => Math.floor(i / 50)));
  const candidate = resolveCandidate('categoricalCrossentropy', 'multiclass', 3);
  const job = {
    trial: 0, params: {}, dataRef: { data: 'builtin:iris', target: 'species', task: 'auto' as const }, folds, candidate,
    options: { hidden: [4], epochs: 1, batchSize: 64, learningRate: 0.01 }, seed: 1, metric: 'accuracy', higherIsBetter: true,
  };
  const pruned = await runTrialJob({ ...job, pruneThresholds: [1.01, 1.01, 1.01] });
  assert.ok(pruned.pruned);
  assert.equal(pruned.foldScores.length, 1);
  const full = await runTrialJob({ ...job, pruneThresholds: [null, null, null] });
  assert.equal(full.pruned, false);
  assert.equal(full.foldScores.length, 3);
  assert.equal(full.foldScores[0], pruned.foldScores[0], 'same split, same seed, same score');
});

test('grid sampler caps the trials at the grid size; training knobs can be searched', async () => {
  const r = await runTune(tiny(fresh(), { sampler: 'grid', space: 'gamma=0:2,epochs=1:2:int', trials: 100 }));
  assert.equal(r.trials.length, 20, "10 gamma values × 2 epoch values");
  const points = new Set(r.trials.map((t) => JSON.stringify(t.params)));
  assert.equal(points.size, r.trials.length, 'each grid point once');
  assert.ok(r.trials.every((t) => t.params['epochs'] === 1 || t.params['epochs'] === 2));
});

test('the space is checked against the loss options before any training', async () => {
  await assert.rejects(runTune(tiny(fresh(), { space: 'gama=0:4' })), (e: unknown) => e instanceof UsageError && /gama/.test(e.message) && /gamma/.test(e.message));
  await assert.rejects(runTune(tiny(fresh(), { space: 'gamma=-1:4' })), (e: unknown) => e instanceof UsageError && /gamma=-1/.test(e.message));
  await assert.rejects(runTune(tiny(fresh(), { space: 'epochs=1:5' })), /epochs=1:5:int/);
  await assert.rejects(runTune(tiny(fresh(), { loss: 'hinge' })), (e: unknown) => e instanceof UsageError && /--loss/.test(e.message));
  // the training settings are checked as compare checks them
  await assert.rejects(runTune(tiny(fresh(), { epochs: 0 })), (e: unknown) => e instanceof UsageError && /--epochs/.test(e.message));
  await assert.rejects(runTune(tiny(fresh(), { metric: 'rmse' })), (e: unknown) => e instanceof UsageError && /'rmse' is not a multiclass metric/.test(e.message));
});

test('readJournal: a cut-short last line is reported as a damaged tail; other damage is a DataError', () => {
  const out = fresh();
  mkdirSync(out);
  const path = join(out, 'journal.jsonl');
  const header = JSON.stringify({ type: 'study', version: 1, loss: { name: 'huber' }, space: 'delta=0.1:3', seed: 1 });
  const trial = (t: number, score: number) => JSON.stringify({ type: 'trial', trial: t, params: { delta: 1 }, score, foldScores: [score], runningMeans: [score], pruned: false, metrics: {}, seconds: 0 });
  writeFileSync(path, `${header}\n${trial(1, 0.5)}\n${trial(0, 0.7)}\n${trial(1, 0.9)}\n{"type":"tri`);
  const read = readJournal(path);
  assert.deepEqual(read.trials.map((t) => [t.trial, t.score]), [[0, 0.7], [1, 0.5]], 'sorted by trial, the first record of a repeated trial kept');
  assert.equal(read.warnings.length, 2);
  assert.match(read.warnings.join('\n'), /trial 1 appears twice/);
  assert.match(read.warnings.join('\n'), /line 5, 12 bytes\) is not valid JSON.*cut away/);
  writeFileSync(path, `${header}\n{oops\n${trial(0, 0.7)}\n`);
  assert.throws(() => readJournal(path), (e: unknown) => e instanceof DataError && /line 2 is not valid JSON/.test(e.message));
  writeFileSync(path, `${trial(0, 0.7)}\n`);
  assert.throws(() => readJournal(path), (e: unknown) => e instanceof DataError && /a trial before the study header/.test(e.message));
  writeFileSync(path, '');
  assert.throws(() => readJournal(path), (e: unknown) => e instanceof DataError && /no study header/.test(e.message));
  writeFileSync(path, `${header}\n${header}\n`);
  assert.throws(() => readJournal(path), /a second study header/);

  const study = JSON.parse(header) as StudyHeader;
  assert.doesNotThrow(() => checkSameStudy(path, study, { ...study }));
  assert.throws(() => checkSameStudy(path, study, { ...study, seed: 2 }), (e: unknown) => e instanceof UsageError && /\(seed: 1 in the journal, 2 now\)/.test(e.message));
});
