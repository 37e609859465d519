/**
 * Fault tests of studies on Redis, with real processes: `lossforge worker`s and a `lossforge tune`
 * coordinator against a real redis-server. Each disturbed study must end with every trial recorded once and
 * the same trials (parameters, scores) and best as an undisturbed local run with the same seed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { REDIS_SKIP, startRedis, type TestRedis } from './redisServer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'lossforge-faults-'));
/** Every process a test started: killed at the end even when a test timed out mid-way. */
const started = new Set<ChildProcess>();
after(() => {
  for (const child of started) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const TRIALS = 9;
/** Long enough (20 epochs) that a trial is still running when its worker is killed. */
const STUDY = ['tune', '--data', 'builtin:iris', '--loss', 'categoricalFocalCrossentropy', '--space', 'gamma=0:4,lr=0.001:0.1:log',
  '--trials', String(TRIALS), '--folds', '2', '--repeats', '1', '--epochs', '20', '--model', 'mlp:4', '--seed', '7', '--parallel', '3', '--quiet', '--json'];

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

function lossforge(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.once('exit', () => started.delete(child));
  const run: Run = { child, stdout: '', stderr: '', exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (c: Buffer) => (run.stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (run.stderr += c.toString()));
  return run;
}

const worker = (url: string) => lossforge(['worker', '--storage', url, '--lock-seconds', '2']);
/** Resolves once every worker has connected (so each can take the first jobs). */
const ready = (workers: Run[]) => until('the workers to connect', async () => workers.every((w) => /waiting for studies|joined study/.test(w.stderr)));

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 400_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Trial {
  trial: number;
  params: Record<string, unknown>;
  score: number;
  pruned: boolean;
}
interface TuneJson {
  trials: Trial[];
  best: Trial;
  journal: string;
}
const essentials = (r: TuneJson) => ({ trials: r.trials.map(({ trial, params, score, pruned }) => ({ trial, params, score, pruned })), best: r.best.trial });

/** The undisturbed local run (journal, one thread) with the same seed: what every disturbed run must reproduce; started at once, alongside the first test. */
const baseline: Promise<ReturnType<typeof essentials>> | undefined = REDIS_SKIP
  ? undefined
  : (async () => {
      const run = lossforge([...STUDY, '--workers', '1', '--out', join(dir, 'local')]);
      assert.equal(await run.exit, 0, run.stderr);
      return essentials(JSON.parse(run.stdout) as TuneJson);
    })();
baseline?.catch(() => undefined); // reported by the test that awaits it

async function checkStudy(redis: Redis, run: Run): Promise<void> {
  assert.equal(await run.exit, 0, run.stderr);
  const result = JSON.parse(run.stdout) as TuneJson;
  const expected = await baseline!;
  assert.equal(expected.trials.length, TRIALS);
  assert.deepEqual(essentials(result), expected, 'the same trials and best as the undisturbed local run');
  const recorded = await redis.hkeys('lossforge:study:faults:results');
  assert.deepEqual(recorded.sort(), Array.from({ length: TRIALS }, (_, t) => `trial-${t}`).sort(), 'every trial recorded once');
}

test('3 workers, one killed -9 mid-trial, the coordinator killed -9 and resumed: every trial once, the same best', { skip: REDIS_SKIP, timeout: 900_000 }, async () => {
  const password = `pw-${process.pid}-${Date.now().toString(36)}`;
  const server: TestRedis = await startRedis(password);
  const redis = new Redis(server.url);
  const workers = [worker(server.url), worker(server.url), worker(server.url)];
  let coordinator: Run | undefined;
  let resumed: Run | undefined;
  try {
    await ready(workers);
    const out = join(dir, 'redis-1');
    coordinator = lossforge([...STUDY, '--storage', server.url, '--study', 'faults', '--out', out]);
    // Kill -9 the first worker while it runs a trial.
    const victim = workers[0]!;
    const trial = await until('a trial running on the first worker', async () => {
      const states = await redis.hgetall('lossforge:study:faults:state');
      return Object.entries(states).find(([, s]) => s.endsWith(` ${victim.child.pid}`))?.[0];
    });
    victim.child.kill('SIGKILL');
    await victim.exit;
    assert.equal(await redis.hget('lossforge:study:faults:results', trial), null, `${trial} was still running when its worker was killed`);

    // Kill -9 the coordinator mid-study, then resume it against the same storage.
    await until('3 recorded trials', async () => (await redis.hlen('lossforge:study:faults:results')) >= 3);
    coordinator.child.kill('SIGKILL');
    await coordinator.exit;
    assert.ok((await redis.hlen('lossforge:study:faults:results')) < TRIALS, 'the coordinator was killed before the study ended');
    resumed = lossforge([...STUDY, '--storage', server.url, '--study', 'faults', '--out', out, '--resume']);
    await checkStudy(redis, resumed);
    // The killed worker's trial was run again, by another worker.
    const n = trial.replace('trial-', '');
    assert.ok(workers.slice(1).some((w) => w.stderr.includes(`trial ${n} recorded`)), `trial ${n} retried by another worker:\n${workers.map((w) => w.stderr).join('\n')}`);

    // The password never shows: not in any output, not in the results or the report.
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exit));
    const texts = [...workers, coordinator, resumed].flatMap((r) => [r.stdout, r.stderr]);
    texts.push(readFileSync(join(out, 'results.json'), 'utf8'), readFileSync(join(out, 'report.html'), 'utf8'));
    assert.ok(texts.every((t) => !t.includes(password)), 'the password appears nowhere');
    assert.match(resumed.stdout, /"journal":"redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ study faults"/);
  } finally {
    for (const r of [...workers, coordinator, resumed]) r?.child.kill('SIGKILL');
    redis.disconnect();
    await server.stop();
  }
});

test('Redis killed -9 and restarted (AOF) mid-study: coordinator and workers carry on, every trial once, the same best', { skip: REDIS_SKIP, timeout: 900_000 }, async () => {
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  const workers = [worker(server.url), worker(server.url)];
  let coordinator: Run | undefined;
  try {
    await ready(workers);
    coordinator = lossforge([...STUDY, '--storage', server.url, '--study', 'faults', '--out', join(dir, 'redis-2')]);
    await until('2 recorded trials', async () => (await redis.hlen('lossforge:study:faults:results')) >= 2);
    await server.crashAndRestart();
    assert.ok((await redis.hlen('lossforge:study:faults:results')) >= 2, 'the AOF kept the recorded trials');
    await checkStudy(redis, coordinator);
  } finally {
    for (const r of [...workers, coordinator]) r?.child.kill('SIGKILL');
    redis.disconnect();
    await server.stop();
  }
});
