/**
 * The journal survives anything — tested with real processes: kill -9 at random moments, two
 * concurrent `tune --resume` on one --out, garbage appended, a zero-byte journal. Every run ends
 * with each trial in the journal exactly once (0 lost, 0 duplicated).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/errors.js';
import { Journal, processAlive, type TrialRecord } from '../src/journal.js';
import { makeRng } from '../src/random.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lossforge-journal-'));
let n = 0;
const fresh = () => join(dir, `study-${n++}`);
const TRIALS = 6;
const tuneArgs = (out: string, trials = TRIALS) => ['--import', 'tsx', 'src/cli/main.ts', 'tune', '--data', 'builtin:iris', '--loss', 'categoricalFocalCrossentropy',
  '--space', 'gamma=0:4', '--trials', String(trials), '--sampler', 'random', '--folds', '2', '--repeats', '1', '--epochs', '1',
  '--model', 'mlp:4', '--workers', '1', '--quiet', '--out', out];

/** The trial numbers of every trial record in the journal file, in file order. */
const trialNumbers = (out: string) =>
  readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"trial"')).map((l) => (JSON.parse(l) as TrialRecord).trial);

/** Lost = trials missing, duplicated = records beyond the first of a trial. */
function tally(out: string, trials = TRIALS): { lost: number; duplicated: number } {
  const numbers = trialNumbers(out);
  const unique = new Set(numbers);
  return { lost: Array.from({ length: trials }, (_, t) => t).filter((t) => !unique.has(t)).length, duplicated: numbers.length - unique.size };
}

/** Whole trial records in the journal so far (0 when it does not exist yet); a line being written is not counted. */
function recordedTrials(out: string): number {
  if (!existsSync(join(out, 'journal.jsonl'))) return 0;
  const lines = readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n');
  return lines.slice(0, -1).filter((l) => l.includes('"type":"trial"')).length;
}

const resume = (out: string) => spawnSync(process.execPath, [...tuneArgs(out), '--resume'], { cwd: root, encoding: 'utf8' });

test('kill -9 at random moments, then --resume: 0 trials lost, 0 duplicated, the journal stays readable', { timeout: 240_000 }, async () => {
  const rng = makeRng(7);
  const tries = 3;
  let killed = 0;
  for (let i = 0; i < tries; i++) {
    const out = fresh();
    // Two kills at random moments, then a resume to the end. A moment is "after the journal holds k
    // trial records (k random, below what is left), plus 0–60 ms": mid-trial or mid-append, whatever the
    // machine's speed (a fixed delay missed every run on an idle machine, where a study ends in ~1 s).
    for (let k = 0; k < 2; k++) {
      const child = spawn(process.execPath, [...tuneArgs(out), '--resume'], { cwd: root, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const recorded = recordedTrials(out);
      const target = recorded + Math.floor(rng() * (TRIALS - recorded));
      const extra = rng() * 60;
      const poll = setInterval(() => {
        if (recordedTrials(out) >= target) {
          clearInterval(poll);
          setTimeout(() => child.kill('SIGKILL'), extra);
        }
      }, 5);
      const code = await exited;
      clearInterval(poll);
      if (code === null) killed++;
    }
    const done = resume(out);
    assert.equal(done.status, 0, done.stderr);
    assert.doesNotMatch(done.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(tally(out), { lost: 0, duplicated: 0 }, `try ${i}`);
    assert.ok(!existsSync(join(out, 'journal.jsonl.lock')), 'the lock is released');
  }
  console.log(`# kill -9: ${tries} studies, ${killed} processes killed, 0 lost, 0 duplicated`);
  assert.ok(killed >= tries, `at least one kill per study landed (${killed})`);
});

test('two concurrent tune --resume on one --out: one runs, the other is refused with a clear line; 0 lost, 0 duplicated', { timeout: 240_000 }, async () => {
  // A study long enough (40 trials, a few seconds) that the two processes overlap on an idle machine too.
  const tries = 2;
  const trials = 40;
  for (let i = 0; i < tries; i++) {
    const out = fresh();
    const run = () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [...tuneArgs(out, trials), '--resume'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const both = await Promise.all([run(), run()]);
    const codes = both.map((b) => b.code).sort();
    assert.deepEqual(codes, [0, 2], both.map((b) => b.stderr).join('\n'));
    const refused = both.find((b) => b.code === 2)!;
    assert.match(refused.stderr, /^lossforge: --out: the study in .* is being run by another lossforge tune \(pid \d+\)/);
    assert.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
    assert.deepEqual(tally(out, trials), { lost: 0, duplicated: 0 }, `try ${i}`);
  }
});

test('garbage or a truncated line appended: reported, cut away, and every later resume works', { timeout: 120_000 }, () => {
  const out = fresh();
  mkdirSync(out);
  const journal = join(out, 'journal.jsonl');
  writeFileSync(journal, ''); // zero bytes: an empty study, even with --resume
  let r = resume(out);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(tally(out), { lost: 0, duplicated: 0 });
  // Drop the last two trials, then damage the tail twice over two resumes.
  const lines = readFileSync(journal, 'utf8').trimEnd().split('\n');
  writeFileSync(journal, `${lines.slice(0, -2).join('\n')}\n\u0000\u0000garbage{]\n`);
  r = resume(out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /warning: .*line 6, \d+ bytes\) is not valid JSON.*cut away/);
  assert.deepEqual(tally(out), { lost: 0, duplicated: 0 });
  appendFileSync(journal, '{"type":"trial","trial":3,"par');
  r = resume(out);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(tally(out), { lost: 0, duplicated: 0 });
  r = resume(out);
  assert.equal(r.status, 0, `the repaired journal resumes again: ${r.stderr}`);
  assert.doesNotMatch(r.stdout, /cut away/, 'nothing left to repair');
});

test('a zero-byte journal without --resume starts the study', { timeout: 60_000 }, () => {
  const out = fresh();
  mkdirSync(out);
  writeFileSync(join(out, 'journal.jsonl'), '');
  const r = spawnSync(process.execPath, tuneArgs(out), { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(tally(out), { lost: 0, duplicated: 0 });
});

test('Journal.lock: refused while the holder lives, taken over from a dead pid, released by unlock', () => {
  const out = fresh();
  mkdirSync(out);
  const path = join(out, 'journal.jsonl');
  const a = new Journal(path);
  a.lock();
  assert.equal(readFileSync(a.lockPath, 'utf8').trim(), String(process.pid));
  assert.throws(() => new Journal(path).lock(), (e: unknown) => e instanceof UsageError && new RegExp(`pid ${process.pid}`).test(e.message));
  a.unlock();
  assert.ok(!existsSync(a.lockPath));
  // A dead process's lock: spawn one, let it exit, and write its pid as the holder.
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const pid = Number(dead.stdout.trim());
  assert.equal(processAlive(pid), false);
  writeFileSync(a.lockPath, `${pid}\n`);
  const b = new Journal(path);
  b.lock();
  assert.equal(readFileSync(b.lockPath, 'utf8').trim(), String(process.pid), 'taken over');
  b.unlock();
  assert.equal(processAlive(process.pid), true);
});
