import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
  const rows = Array.from({ length: 80 }, (_, i) => `${i % 40},${(i * 13) % 5},${i % 8 === 0 ? 1 : 0}`).join('\n');
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

test('compare prints the verdict after the table and stores it in results.json', async () => {
  const out = join(dir, 'verdict');
  const r = await cli(['compare', '--data', 'builtin:iris', '--losses', 'categoricalCrossentropy,categoricalHinge', '--out', out, ...TINY]);
  assert.equal(r.code, 0, r.err);
  const table = r.out.indexOf('categoricalHinge');
  const verdict = r.out.indexOf('Verdict: Best by balanced acc.:');
  assert.ok(table >= 0 && verdict > table, r.out);
  assert.match(r.out, /Recommended: \S+ — /);
  assert.match(r.out, /caveat: Only 2 train\/test splits/);
  const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.deepEqual(Object.keys(saved.verdict), ['best', 'tied', 'recommended', 'reason', 'text', 'caveats']);
  assert.equal(saved.verdict.best, saved.losses[0].label);
  assert.ok(saved.verdict.tied.includes(saved.verdict.recommended));
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<div id="verdict"><p><b>Verdict\.<\/b> Best by balanced acc\./);
});

test('unsuitable losses exit 2 and every candidate diverging exits 1, each with one clear line', async () => {
  const ctc = await cli(['compare', '--data', 'builtin:iris', '--losses', 'ctc', ...TINY, '--out', join(dir, 'ctc')]);
  assert.equal(ctc.code, 2);
  assert.match(ctc.err, /^lossforge: --losses: ctc cannot be compared on a table: a sequence loss/);
  // --out is checked (created and probed) before anything else; nothing is written into it.
  assert.deepEqual(existsSync(join(dir, 'ctc')) ? readdirSync(join(dir, 'ctc')) : [], [], 'nothing written');
  const diverged = await cli(['compare', '--data', 'builtin:iris', '--losses', 'categoricalCrossentropy', '--lr', '1e30', ...TINY, '--out', join(dir, 'lr')]);
  assert.equal(diverged.code, 1);
  assert.match(diverged.err, /^lossforge: Every candidate failed: no loss has a finite balanced acc\. \(categoricalCrossentropy: 2 of 2 splits diverged\)/);
  assert.equal(diverged.err.trim().split('\n').length, 1);
  assert.doesNotMatch(diverged.out, /best/);
});

test('column hygiene from the command line: ids left out and reported, --drop/--features, a semicolon CSV, advise lists them', async () => {
  const rows = Array.from({ length: 60 }, (_, i) => `${500 + i};${(i * 7) % 11};${(i * 3) % 5};${i % 2}`);
  const path = file('semi-ids.csv', `id;x;z;y\n${rows.join('\n')}\n`);
  const out = join(dir, 'ids');
  const r = await cli(['compare', '--data', path, '--losses', 'binaryCrossentropy', '--out', out, ...TINY]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /2 feature columns/);
  assert.match(r.out, /warning: left out 'id' \(id-like: a different integer in each of its 60 rows\)/);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).dataset.droppedColumns, [{ name: 'id', reason: 'id-like: a different integer in each of its 60 rows' }]);
  const dropped = await cli(['compare', '--data', path, '--losses', 'binaryCrossentropy', '--drop', 'z', '--json', '--out', out, ...TINY]);
  assert.equal(dropped.code, 0, dropped.err);
  assert.deepEqual(JSON.parse(dropped.out).dataset.droppedColumns.map((d: { name: string }) => d.name), ['id', 'z']);
  const unknown = await cli(['compare', '--data', path, '--features', 'x,nope', ...TINY]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /--features: .* has no column 'nope'/);
  const advise = await cli(['advise', '--data', path]);
  assert.equal(advise.code, 0, advise.err);
  assert.match(advise.out, /left out column 'id': id-like/);
  assert.match(advise.out, /task: two distinct values: binary classes \(override with --task\)/);
});

test('advise explains a count target and the --task flag that overrides it', async () => {
  const frequency = [25, 75, 112, 112, 84, 50, 25, 11, 4, 2];
  const ys = frequency.flatMap((count, v) => Array.from({ length: count }, () => v));
  const path = file('visits.csv', `x,visits\n${ys.map((y, i) => `${(i * 7) % 11},${y}`).join('\n')}\n`);
  const r = await cli(['advise', '--data', path]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /task: non-negative integers with 10 distinct values whose frequencies fall away to the right .*counts, read as regression \(override with --task\)/);
  assert.match(r.out, /poisson/);
  const forced = await cli(['advise', '--data', path, '--task', 'multiclass']);
  assert.match(forced.out, /task: --task multiclass \(the target alone reads as regression/);
});

// bin/lossforge.js runs the built dist/ (npm test builds first).
test('the real bin, default budget: a count CSV stops on its own, poisson among the candidates, the verdict on stdout', () => {
  const frequency = [25, 75, 112, 112, 84, 50, 25, 11, 4, 2];
  const ys = frequency.flatMap((count, v) => Array.from({ length: count }, () => v));
  const path = file('visits-bin.csv', `x,visits\n${ys.map((y, i) => `${(i * 7) % 11},${y}`).join('\n')}\n`);
  const out = join(dir, 'bin');
  const run = spawnSync(process.execPath, ['bin/lossforge.js', 'compare', '--data', path, '--losses', 'mse,{"name":"poisson","logInput":true}',
    '--folds', '2', '--repeats', '1', '--model', 'linear', '--lr', '0.05', '--workers', '1', '--quiet', '--out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /visits \(regression, 500 rows/);
  assert.match(run.stdout, /early stopping \(patience 20, at most 300 epochs\)/);
  assert.match(run.stdout, /Verdict: Best by RMSE: /);
  const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  assert.equal(saved.dataset.counts, true);
  for (const s of saved.splits) assert.ok(s.epochs < 300, `stopped at ${s.epochs}`);
});

test('advise --verify prints its diagnostics before anything trains', async () => {
  // Without --quiet, the run reports each finished training on stderr ("verify k/N …"): the diagnostics
  // must come before the first of them.
  const events: { stream: 'out' | 'err'; text: string }[] = [];
  const args = ['advise', '--data', 'builtin:iris', '--verify', ...TINY.filter((a) => a !== '--quiet'), '--out', join(dir, 'advise-order')];
  const code = await runCli(args, {
    stdout: (text) => events.push({ stream: 'out', text }),
    stderr: (text) => events.push({ stream: 'err', text }),
    interactive: false,
  });
  assert.equal(code, 0, events.map((e) => e.text).join(''));
  const diagnostics = events.findIndex((e) => /^Diagnostics\n/.test(e.text));
  const firstTraining = events.findIndex((e) => e.stream === 'err' && /\b\d+\/\d+\b/.test(e.text));
  assert.ok(diagnostics >= 0 && firstTraining >= 0, events.map((e) => `${e.stream}: ${e.text}`).join(''));
  assert.ok(diagnostics < firstTraining, 'the diagnostics are printed before the first training finishes');
  assert.doesNotMatch(events[diagnostics]!.text, /Quick check/);
  assert.ok(events.findIndex((e) => /Quick check of the top three/.test(e.text)) > firstTraining, 'the quick check comes after the trainings');
});

test('tune says what it tunes, how many grid points it runs, and caps --workers', async () => {
  const r = await cli(['tune', '--data', 'builtin:iris', '--loss', 'categoricalCrossentropy', '--space', 'lr=1e-3:1e-1:log,epochs=1:2:int',
    '--sampler', 'grid', '--trials', '6', '--folds', '2', '--repeats', '1', '--model', 'mlp:4', '--quiet', '--workers', '64', '--out', join(dir, 'tune-grid')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /grid sampler, 1×2-fold CV, mlp:4, epochs tuned, batch 32, lr tuned, seed/);
  assert.match(r.out, /warning: --trials 6: the grid has 4 points, so 4 trials run/);
  assert.match(r.out, /warning: --workers 64: using [1-4], since/);
});
