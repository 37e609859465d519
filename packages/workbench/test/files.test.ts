/**
 * Outputs never lie — real processes and real file systems: kill -9 while outputs are written, an
 * existing file or a read-only mount at --out (refused before training), a full disk (a 64 KiB tmpfs).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../src/errors.js';
import { ensureOutputDir, OutputError, writeAtomic } from '../src/files.js';
import { makeRng } from '../src/random.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lossforge-files-'));
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });
const tiny = ['compare', '--data', 'builtin:iris', '--losses', 'categoricalCrossentropy', '--folds', '2', '--repeats', '1', '--epochs', '1', '--model', 'mlp:4', '--workers', '1', '--quiet'];

/** Mounts a tmpfs (as root); null when this machine does not allow it. */
function mount(name: string, options: string): string | null {
  const path = join(dir, name);
  mkdirSync(path);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', path]);
  return r.status === 0 ? path : null;
}
const mounts: string[] = [];
after(() => mounts.forEach((m) => spawnSync('umount', [m])));

/** One line on stderr, `lossforge: …`, without a stack trace. */
function oneClearLine(stderr: string, pattern: RegExp): void {
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr, /^lossforge: /);
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /\bat .*\.(ts|js):\d+/);
}

test('ensureOutputDir: creates a missing folder; refuses a file; writeAtomic replaces the whole file', () => {
  const nested = join(dir, 'a', 'b');
  ensureOutputDir(nested);
  assert.deepEqual(readdirSync(nested), [], 'the probe file is removed');
  const file = join(dir, 'file.txt');
  writeFileSync(file, 'x');
  assert.throws(() => ensureOutputDir(file), (e: unknown) => e instanceof UsageError && /--out: .*file\.txt is a file, expected a folder/.test(e.message));
  assert.throws(() => ensureOutputDir(join(file, 'sub')), (e: unknown) => e instanceof UsageError && /cannot create the folder/.test(e.message));
  writeAtomic(join(nested, 'r.json'), 'new');
  assert.equal(readFileSync(join(nested, 'r.json'), 'utf8'), 'new');
  assert.throws(() => writeAtomic(join(file, 'r.json'), 'x'), (e: unknown) => e instanceof OutputError && /cannot write .*r\.json/.test(e.message));
});

test('--out an existing file: refused before any training, exit 2, one line', () => {
  const file = join(dir, 'taken');
  writeFileSync(file, 'keep me');
  const r = cli([...tiny, '--epochs', '500', '--out', file]);
  assert.equal(r.status, 2);
  oneClearLine(r.stderr, /--out: .*taken is a file, expected a folder/);
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
  const t = cli(['tune', '--data', 'builtin:iris', '--loss', 'categoricalCrossentropy', '--space', 'lr=1e-3:1e-1:log', '--trials', '2', '--epochs', '1', '--quiet', '--out', file]);
  assert.equal(t.status, 2);
  oneClearLine(t.stderr, /is a file, expected a folder/);
});

test('--out on a read-only file system: refused before training, exit 2, one line', (t) => {
  const ro = mount('ro', 'ro,size=64k');
  if (!ro) return t.skip('cannot mount a tmpfs here (not root)');
  mounts.push(ro);
  const r = cli([...tiny, '--epochs', '500', '--out', join(ro, 'report')]);
  assert.equal(r.status, 2);
  oneClearLine(r.stderr, /--out: cannot create the folder .*read-only file system \(EROFS\)/);
  const r2 = cli([...tiny, '--out', ro]);
  assert.equal(r2.status, 2);
  oneClearLine(r2.stderr, /--out: cannot write in .*read-only file system/);
});

test('a full disk: exit 1, one line, no partial or temporary file left', (t) => {
  const tiny64 = mount('full', 'size=64k');
  if (!tiny64) return t.skip('cannot mount a tmpfs here (not root)');
  mounts.push(tiny64);
  const r = cli([...tiny, '--out', tiny64]);
  assert.equal(r.status, 1, r.stderr);
  oneClearLine(r.stderr, /cannot write .*report\.html: no space left on device \(ENOSPC\)/);
  const left = readdirSync(tiny64);
  assert.ok(!left.includes('report.html'), 'no truncated report.html');
  assert.deepEqual(left.filter((f) => f !== 'results.json'), [], `only a complete results.json may remain: ${left}`);
  if (left.includes('results.json')) JSON.parse(readFileSync(join(tiny64, 'results.json'), 'utf8'));
});

test('kill -9 at random moments while results.json and report.html are written: never empty, never truncated', { timeout: 120_000 }, async () => {
  const out = join(dir, 'killed');
  mkdirSync(out);
  // A writer rewriting both outputs in a loop with report-sized contents (two versions, told apart by their last byte).
  const writer = `
    import { writeAtomic } from './src/files.ts';
    const big = (v) => 'x'.repeat(2_000_000) + v;
    for (let i = 0; ; i++) { writeAtomic('${out}/results.json', big(i % 2)); writeAtomic('${out}/report.html', big(i % 2)); process.stdout.write('.'); }`;
  const rng = makeRng(11);
  const tries = 12;
  let bad = 0;
  for (let i = 0; i < tries; i++) {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writer], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve)); // writing has begun
    await new Promise((resolve) => setTimeout(resolve, rng() * 300));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    for (const name of ['results.json', 'report.html']) {
      const text = readFileSync(join(out, name), 'utf8');
      if (text.length !== 2_000_001 || !/[01]$/.test(text)) bad++;
    }
  }
  console.log(`# kill -9 while writing: ${tries} tries, ${bad} empty or truncated outputs`);
  assert.equal(bad, 0);
  assert.ok(existsSync(join(out, 'report.html')));
});
