import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import { useBackend } from '../../../lossforge/test/helpers/backends.js';

await useBackend('cpu');

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lossforge-cli-'));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), interactive: false });
  return { code, out, err };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const TINY = ['--folds', '2', '--repeats', '1', '--epochs', '1', '--model', 'mlp:4', '--workers', '1', '--quiet'];

test('--help shows options and examples (exit 0); no command is a usage error (exit 2)', async () => {
  const help = await cli(['compare', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--losses <list>/);
  assert.match(help.out, /Examples:/);
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.out, /Usage: lossforge/);
});

test('bad flags are usage errors (exit 2) with a message', async () => {
  const unknown = await cli(['compare', '--nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown option '--nope'/);
  const folds = await cli(['compare', '--folds', '1']);
  assert.equal(folds.code, 2);
  assert.match(folds.err, /--folds.*integer ≥ 2/);
  const task = await cli(['compare', '--task', 'ranking']);
  assert.equal(task.code, 2);
  const model = await cli(['compare', ...TINY, '--model', 'cnn']);
  assert.equal(model.code, 2);
  assert.match(model.err, /--model/);
});

test('data problems: unknown target (2), malformed file (1), single class (1), unknown loss (2)', async () => {
  const ok = file('ok.csv', 'a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n');
  const target = await cli(['compare', '--data', ok, '--target', 'label', ...TINY]);
  assert.equal(target.code, 2);
  assert.match(target.err, /no column 'label' \(columns: a, b, y\)/);
  const bad = file('bad.csv', 'a,b,y\n1,2,0\n3,4\n');
  const malformed = await cli(['compare', '--data', bad, ...TINY]);
  assert.equal(malformed.code, 1);
  assert.ok(malformed.err.includes(bad) && /line 3/.test(malformed.err), malformed.err);
  const single = file('single.csv', 'a,y\n1,x\n2,x\n3,x\n');
  const one = await cli(['compare', '--data', single, ...TINY]);
  assert.equal(one.code, 1);
  assert.match(one.err, /'y' has a single class/);
  const loss = await cli(['compare', '--data', ok, '--losses', 'bce,notaloss', ...TINY]);
  assert.equal(loss.code, 2);
  assert.match(loss.err, /notaloss/);
});

test('compare writes results.json and report.html; --json prints only JSON on stdout', async () => {
  const out = join(dir, 'report');
  const r = await cli(['compare', '--data', 'builtin:iris', '--losses', 'categoricalCrossentropy,categoricalHinge', '--out', out, '--json', ...TINY]);
  assert.equal(r.code, 0, r.err);
  const parsed = JSON.parse(r.out);
  assert.equal(parsed.command, 'compare');
  assert.equal(parsed.losses.length, 2);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).losses.map((l: { label: string }) => l.label), parsed.losses.map((l: { label: string }) => l.label));
  assert.ok(existsSync(join(out, 'report.html')));
});

test('the real entry point runs as a process: table on stdout, plain progress on stderr, exit codes', () => {
  const out = join(dir, 'proc');
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'compare', '--data', 'builtin:iris', '--losses', 'sparseCategoricalCrossentropy',
    '--folds', '2', '--repeats', '1', '--epochs', '1', '--workers', '1', '--out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /sparseCategoricalCrossentropy/);
  assert.match(run.stdout, /Report: .*report\.html/);
  assert.match(run.stderr, /compare 2\/2 \(100%\)/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'compare', '--data', join(dir, 'none.csv')], { cwd: root, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /file not found/);
});

test('advise prints diagnostics and reasons; --json and --verify', async () => {
  const rows = Array.from({ length: 80 }, (_, i) => `${i},${(i * 13) % 5},${i % 8 === 0 ? 1 : 0}`).join('\n');
  const path = file('imbalanced.csv', `a,b,churn\n${rows}\n`);
  const text = await cli(['advise', '--data', path]);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /class balance: 0 70 \(87\.5%\), 1 10 \(12\.5%\)/);
  assert.match(text.out, /1\. binaryCrossentropy\(posWeight=balanced\) +the minority class '1' is 12\.5% of rows/);
  const json = await cli(['advise', '--data', 'builtin:iris', '--json', '--verify', ...TINY, '--out', join(dir, 'advise')]);
  assert.equal(json.code, 0, json.err);
  const parsed = JSON.parse(json.out);
  assert.equal(parsed.diagnostics.task, 'multiclass');
  assert.equal(parsed.verify.losses.length, 3);
  assert.deepEqual(
    parsed.verify.losses.map((l: { label: string }) => l.label).sort(),
    parsed.recommendations.slice(0, 3).map((r: { label: string }) => r.label).sort(),
  );
  const missing = await cli(['advise']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--data is required/);
});

test('tune: --help with examples, bad space is a usage error, a tiny study prints the best parameters', async () => {
  const help = await cli(['tune', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--sampler <name>/);
  assert.match(help.out, /--resume/);
  const bad = await cli(['tune', '--loss', 'binaryFocalCrossentropy', '--space', 'gamma=5:0', ...TINY]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /expected lo < hi/);
  const noLoss = await cli(['tune', '--space', 'gamma=0:1']);
  assert.equal(noLoss.code, 2);
  assert.match(noLoss.err, /required option '--loss <loss>'/);
  const out = join(dir, 'tune');
  const r = await cli(['tune', '--loss', 'binaryFocalCrossentropy', '--space', 'gamma=0:5,lr=1e-3:1e-1:log', '--trials', '3', '--sampler', 'random', ...TINY, '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Best trial #\d: balanced acc\. [0-9.]+/);
  assert.match(r.out, /  gamma = [0-9.]+\n  lr = [0-9.e-]+/);
  assert.match(r.out, /Trials \(best 3 of 3; \d pruned\)/);
  for (const f of ['journal.jsonl', 'results.json', 'report.html']) assert.ok(existsSync(join(out, f)), f);
  const again = await cli(['tune', '--loss', 'binaryFocalCrossentropy', '--space', 'gamma=0:5,lr=1e-3:1e-1:log', '--trials', '3', '--sampler', 'random', ...TINY, '--out', out]);
  assert.equal(again.code, 2, 'an existing journal needs --resume');
});

test('advise --verify prints its diagnostics before anything trains', async () => {
  const events: { at: number; text: string }[] = [];
  const code = await runCli(['advise', '--data', 'builtin:iris', '--verify', ...TINY, '--out', join(dir, 'advise-order')], {
    stdout: (text) => events.push({ at: performance.now(), text }),
    stderr: (text) => events.push({ at: performance.now(), text }),
    interactive: false,
  });
  assert.equal(code, 0, events.map((e) => e.text).join(''));
  assert.match(events[0]!.text, /^Diagnostics\n/, 'the diagnostics come first');
  assert.doesNotMatch(events[0]!.text, /Quick check/);
  const check = events.find((e) => /Quick check of the top three/.test(e.text))!;
  const seconds = Number(/trainings in ([\d.]+) s/.exec(check.text)![1]);
  assert.ok(check.at - events[0]!.at >= seconds * 1000 * 0.9, 'the diagnostics were printed before the trainings ran, not after');
});

test('tune says what it tunes, how many grid points it runs, and caps --workers', async () => {
  const r = await cli(['tune', '--data', 'builtin:iris', '--loss', 'categoricalCrossentropy', '--space', 'lr=1e-3:1e-1:log,epochs=1:2:int',
    '--sampler', 'grid', '--trials', '6', '--folds', '2', '--repeats', '1', '--model', 'mlp:4', '--quiet', '--workers', '64', '--out', join(dir, 'tune-grid')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /grid sampler, 1×2-fold CV, mlp:4, epochs tuned, batch 32, lr tuned, seed/);
  assert.match(r.out, /warning: --trials 6: the grid has 4 points, so 4 trials run/);
  assert.match(r.out, /warning: --workers 64: using [1-4], since/);
});
