/**
 * Studies on a real redis-server, in this process (a `runWorker` next to the CLI): compare and tune give
 * what they give locally; bad input — a wrong or missing password, an unreachable Redis, a study with other
 * settings, a study that does not exist — is one clear line, without the password.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { useBackend } from '../../../lossforge/test/helpers/backends.js';
import { runCli } from '../../src/cli/program.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseStorage } from '../../src/storage/redis.js';
import { checkParams, runWorker } from '../../src/storage/worker.js';
import { parseSpace } from '../../src/space.js';
import { REDIS_SKIP, startRedis, type TestRedis } from './redisServer.js';

await useBackend('cpu');
const dir = mkdtempSync(join(tmpdir(), 'lossforge-redis-'));
const PASSWORD = 'open-sesame-42';
let server: TestRedis;
let stopWorker: () => Promise<void>;

before(async () => {
  if (REDIS_SKIP) return;
  server = await startRedis(PASSWORD);
  const controller = new AbortController();
  const done = runWorker({ storage: parseStorage(server.url), concurrency: 1, lockSeconds: 10, signal: controller.signal, log: () => undefined });
  stopWorker = async () => {
    controller.abort();
    await done;
  };
});
after(async () => {
  await stopWorker?.();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), interactive: false });
  return { code, out, err };
}

/** One line on stderr, `lossforge: …`, no stack trace, no password. */
function oneLine(err: string, pattern: RegExp): void {
  assert.equal(err.trim().split('\n').length, 1, err);
  assert.match(err, /^lossforge: /);
  assert.match(err, pattern);
  assert.ok(!err.includes(PASSWORD) && !err.includes('wrong-pw'), err);
}

const TINY = ['--data', 'builtin:iris', '--folds', '2', '--repeats', '1', '--epochs', '2', '--model', 'mlp:4', '--quiet'];
const TUNE = ['tune', ...TINY, '--loss', 'categoricalFocalCrossentropy', '--space', 'gamma=0:4', '--trials', '4', '--parallel', '2', '--json'];
const withoutSeconds = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(withoutSeconds) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'seconds').map(([k, v]) => [k, withoutSeconds(v)])) : value;

test('parseStorage: redis:// and rediss:// with user, password, port and db; the password never in its location', () => {
  assert.deepEqual(parseStorage('redis://u:secret@host:6380/2'), { url: 'redis://u:secret@host:6380/2', location: 'redis://u:***@host:6380/2' });
  assert.equal(parseStorage('rediss://:secret@host:6380').location, 'rediss://:***@host:6380');
  assert.equal(parseStorage('redis://localhost').location, 'redis://localhost');
  assert.throws(() => parseStorage('http://u:secret@host'), (e: Error) => /redis:\/\/ or rediss:\/\//.test(e.message) && !e.message.includes('secret'));
  assert.throws(() => parseStorage('redis://host:6379/queue'), /database number/);
  assert.throws(() => parseStorage('not a url :secret@'), (e: Error) => !e.message.includes('secret'));
  // A password from the environment (LOSSFORGE_REDIS_PASSWORD) when the URL has none: connects with it, shows none.
  assert.deepEqual(parseStorage('redis://host:6380', 'env-secret'), { url: 'redis://:env-secret@host:6380', location: 'redis://host:6380' });
  assert.equal(parseStorage('redis://u:own@host:6380', 'env-secret').url, 'redis://u:own@host:6380');
});

test('compare --storage: the trainings run on the worker, the result is the local one', { skip: REDIS_SKIP }, async () => {
  const args = ['compare', ...TINY, '--losses', 'categoricalCrossentropy,categoricalHinge', '--json'];
  const remote = await cli([...args, '--storage', server.url, '--study', 'cmp', '--out', join(dir, 'cmp')]);
  assert.equal(remote.code, 0, remote.err);
  const local = await cli([...args, '--workers', '1', '--out', join(dir, 'cmp-local')]);
  const [r, l] = [JSON.parse(remote.out), JSON.parse(local.out)];
  assert.deepEqual(withoutSeconds(r.losses), withoutSeconds(l.losses));
  assert.deepEqual(withoutSeconds(r.splits), withoutSeconds(l.splits));
  // Resuming a finished comparison trains nothing and gives the same result.
  const again = await cli([...args, '--storage', server.url, '--study', 'cmp', '--out', join(dir, 'cmp'), '--resume']);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual(withoutSeconds(JSON.parse(again.out).splits), withoutSeconds(r.splits));
  const stored = readFileSync(join(dir, 'cmp', 'results.json'), 'utf8');
  assert.ok(!stored.includes(PASSWORD));
});

test('tune --storage: the same trials as a local run with the same seed and --parallel', { skip: REDIS_SKIP }, async () => {
  const remote = await cli([...TUNE, '--storage', server.url, '--study', 'tune-a', '--out', join(dir, 'tune-a')]);
  assert.equal(remote.code, 0, remote.err);
  const local = await cli([...TUNE, '--workers', '1', '--out', join(dir, 'tune-local')]);
  const pick = (text: string) => (JSON.parse(text) as { trials: { params: unknown; score: number; pruned: boolean }[] }).trials.map((t) => [t.params, t.score, t.pruned]);
  assert.deepEqual(pick(remote.out), pick(local.out));
  assert.equal(JSON.parse(remote.out).journal, `redis://:***@127.0.0.1:${server.port} study tune-a`);
  // Without --parallel a study on Redis keeps 4 trials in flight, whatever this machine's cores: recorded in its header.
  const withoutParallel = TUNE.filter((a, i) => a !== '--parallel' && TUNE[i - 1] !== '--parallel');
  const byDefault = await cli([...withoutParallel, '--storage', server.url, '--study', 'tune-default', '--out', join(dir, 'tune-default')]);
  assert.equal(byDefault.code, 0, byDefault.err);
  assert.equal(JSON.parse(byDefault.out).study.parallel, 4);
});

test('bad input: one clear line each, never the password', { skip: REDIS_SKIP }, async () => {
  const at = (auth: string) => `redis://${auth}127.0.0.1:${server.port}`;
  let r = await cli([...TUNE, '--storage', at(':wrong-pw@'), '--study', 'x', '--out', join(dir, 'x')]);
  assert.equal(r.code, 2);
  oneLine(r.err, /refused the login: wrong user or password/);
  r = await cli(['worker', '--storage', at('')]);
  assert.equal(r.code, 2);
  oneLine(r.err, /requires a password/);
  r = await cli(['worker', '--storage', `redis://:${PASSWORD}@127.0.0.1:1`]);
  assert.equal(r.code, 1);
  oneLine(r.err, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 \(connection refused\)/);
  process.env.LOSSFORGE_REDIS_PASSWORD = PASSWORD;
  try {
    r = await cli(['worker', '--storage', at(''), '--study', 'nope']);
  } finally {
    delete process.env.LOSSFORGE_REDIS_PASSWORD;
  }
  assert.equal(r.code, 2);
  oneLine(r.err, /has no study 'nope' \(studies: .*tune-a/);
  // tune-a exists (the test above): other settings, or no --resume, or another kind of study.
  r = await cli([...TUNE.map((a) => (a === 'gamma=0:4' ? 'gamma=0:2' : a)), '--storage', server.url, '--study', 'tune-a', '--out', join(dir, 'y'), '--resume']);
  assert.equal(r.code, 2);
  oneLine(r.err, /study tune-a was written for a different study \(space: "gamma=0:4" in the storage, "gamma=0:2" now\); use the same options, or another --study/);
  r = await cli([...TUNE, '--storage', server.url, '--study', 'tune-a', '--out', join(dir, 'y')]);
  oneLine(r.err, /study tune-a already holds a study: pass --resume/);
  r = await cli(['compare', ...TINY, '--storage', server.url, '--study', 'tune-a', '--out', join(dir, 'y')]);
  oneLine(r.err, /tune-a is a tune study, not a compare study/);
  r = await cli([...TUNE, '--storage', server.url, '--study', 'a:b', '--out', join(dir, 'y')]);
  oneLine(r.err, /--study: expected a name of letters/);
});

test('a worker runs only trainings the study describes: forged jobs fail, nothing is recorded', { skip: REDIS_SKIP }, async () => {
  const space = parseSpace('gamma=0:4,k=1:5:int,kind=a|b');
  assert.deepEqual(checkParams(space, { gamma: 1.5, k: 2, kind: 'b' }), { gamma: 1.5, k: 2, kind: 'b' });
  assert.throws(() => checkParams(space, { gamma: 1.5, k: 2, kind: 'b', code: 'process.exit()' }), /'code' is not in the study's space/);
  assert.throws(() => checkParams(space, { gamma: 9, k: 2, kind: 'b' }), /gamma=9 is outside the space/);
  assert.throws(() => checkParams(space, { gamma: 1, k: 2.5, kind: 'b' }), /k=2.5 is outside/);
  assert.throws(() => checkParams(space, { gamma: 1, k: 2, kind: 'c' }), /kind=c is not one of/);

  // Forged jobs on the queues of a tune and a compare study (from test 2 and 3): each fails, none is recorded.
  const connection = new Redis(server.url, { maxRetriesPerRequest: null });
  const forged = [
    { queue: 'lossforge-tune-a', data: { trial: 90, params: { gamma: 'require("child_process")' }, pruneThresholds: [null, null] }, reason: /is outside the space/ },
    { queue: 'lossforge-tune-a', data: { trial: 91, params: { gamma: 1, __proto__x: 1 }, pruneThresholds: [null, null] }, reason: /not in the study's space/ },
    { queue: 'lossforge-cmp', data: { label: 'mse', repeat: 0, fold: 0 }, reason: /no training mse r0f0 in the study/ },
  ];
  try {
    for (const f of forged) {
      const queue = new Queue(f.queue, { connection });
      const job = await queue.add('evil', f.data, { attempts: 1 });
      const end = Date.now() + 30_000;
      while ((await job.getState()) !== 'failed' && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      const failed = await queue.getJob(job.id!);
      assert.match(failed!.failedReason, f.reason);
      await queue.close();
    }
    assert.equal(await connection.hexists('lossforge:study:tune-a:results', 'trial-90'), 0);
    assert.equal(await connection.hexists('lossforge:study:tune-a:results', 'trial-91'), 0);
    assert.equal(await connection.hlen('lossforge:study:cmp:results'), 4);
  } finally {
    connection.disconnect();
  }
});
