/**
 * `npm run bench:redis`: how a tune study on Redis scales with worker processes, and what the queue costs.
 *
 * Starts its own redis-server (Debian's `redis-server`, on a free port in a temporary folder), then
 * 1. for each worker count (default 1, 2, 4): starts that many `lossforge worker` processes, waits until
 *    they have joined, warms them up with one short trial each, runs one `lossforge tune --storage` study (`--parallel` = the largest count, so every
 *    run samples the same trials) and reports trials per minute from the coordinator's own timing;
 * 2. the coordination overhead per trial: two studies of trivial trials (a linear model, 1 epoch, 2 folds), of
 *    N/3 and N trials, on one worker with `--parallel 1`, so trials run one after another; the overhead is the
 *    extra wall time per extra trial beyond its training time — dispatch, queue, lock, record and poll — with
 *    the coordinator's setup cancelled out.
 *
 * Flags: `--trials N` (default 24) and `--epochs E` (default 20) for the scaling study, `--workers 1,2,4`,
 * `--overhead-trials N` (default 30), `--json`. A quick smoke: `npm run bench:redis -- --trials 4 --workers 1,2 --overhead-trials 5`.
 * Each worker process is single-threaded (tfjs cpu), so expect about linear speed-up up to the cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { REDIS_SKIP, startRedis } from '../packages/workbench/test/storage/redisServer.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages/workbench/src/cli/main.ts');

const { values: flags } = parseArgs({
  options: {
    trials: { type: 'string', default: '24' },
    epochs: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1,2,4' },
    'overhead-trials': { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
  },
});
const counts = flags.workers.split(',').map(Number);
const trials = Number(flags.trials);
const epochs = Number(flags.epochs);
const overheadTrials = Number(flags['overhead-trials']);

const children = new Set<ChildProcess>();
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function lossforge(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Starts `n` workers and resolves once each has said it is waiting or joined. */
async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  const workers = Array.from({ length: n }, () => lossforge(['worker', '--storage', url, '--lock-seconds', '10']));
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let err = '';
          w.stderr!.on('data', (c: Buffer) => {
            err += c.toString();
            if (/waiting for studies|joined study/.test(err)) resolve();
          });
          w.once('exit', (code) => reject(new Error(`a worker exited (${code}): ${err}`)));
        }),
    ),
  );
  return workers;
}

interface TuneJson {
  trials: { seconds: number }[];
  timing: { seconds: number };
}

/** Runs one study as a coordinator process; returns its JSON result. */
function study(url: string, name: string, args: string[]): Promise<TuneJson> {
  const child = lossforge(['tune', '--data', 'builtin:iris', '--loss', 'categoricalFocalCrossentropy', '--space', 'gamma=0:4,lr=0.001:0.1:log',
    '--no-prune', '--quiet', '--json', '--storage', url, '--study', name, '--out', join(tmp, name), ...args]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as TuneJson) : reject(new Error(`tune exited ${code}: ${err}`)))));
}

async function stop(workers: ChildProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.kill('SIGTERM')))));
}

if (REDIS_SKIP) {
  console.error(`bench:redis: ${REDIS_SKIP}`);
  process.exit(1);
}
const tmp = mkdtempSync(join(tmpdir(), 'lossforge-bench-redis-'));
const server = await startRedis();
try {
  const parallel = Math.max(...counts);
  const rows: { workers: number; trials: number; seconds: number; perMinute: number; speedup: number }[] = [];
  for (const n of counts) {
    const workers = await startWorkers(server.url, n);
    try {
      // Warm-up: one short trial per worker (first-job costs: loading the data, tfjs's first kernels) before the timed study.
      await study(server.url, `warmup-${n}`, ['--trials', String(n), '--epochs', '1', '--folds', '3', '--repeats', '1', '--model', 'mlp:16', '--parallel', String(n)]);
      const result = await study(server.url, `scale-${n}`, ['--trials', String(trials), '--epochs', String(epochs), '--folds', '3', '--repeats', '1', '--model', 'mlp:16', '--parallel', String(parallel)]);
      const perMinute = (result.trials.length / result.timing.seconds) * 60;
      rows.push({ workers: n, trials: result.trials.length, seconds: result.timing.seconds, perMinute, speedup: perMinute / (rows[0]?.perMinute ?? perMinute) });
    } finally {
      await stop(workers);
    }
  }
  const [one] = await startWorkers(server.url, 1);
  let overhead: { trials: number; ms: number; trainingMs: number };
  try {
    // Two studies of trivial trials, n and N: the difference cancels the coordinator's setup (connect, data, lock).
    const trivial = ['--epochs', '1', '--folds', '2', '--repeats', '1', '--model', 'linear', '--batch-size', '256', '--parallel', '1'];
    const small = Math.max(2, Math.round(overheadTrials / 3));
    const a = await study(server.url, 'overhead-a', ['--trials', String(small), ...trivial]);
    const b = await study(server.url, 'overhead-b', ['--trials', String(overheadTrials), ...trivial]);
    const training = (r: TuneJson) => r.trials.reduce((sum, t) => sum + t.seconds, 0);
    const n = b.trials.length - a.trials.length;
    overhead = {
      trials: b.trials.length,
      ms: ((b.timing.seconds - a.timing.seconds - (training(b) - training(a))) / n) * 1000,
      trainingMs: (training(b) / b.trials.length) * 1000,
    };
  } finally {
    await stop([one!]);
  }
  if (flags.json) {
    console.log(JSON.stringify({ cores: availableParallelism(), trials, epochs, rows, overhead }));
  } else {
    console.log(`Tune on one Redis, ${trials} trials (iris, mlp:16, 3 folds, ${epochs} epochs, --parallel ${parallel}); ${availableParallelism()} cores\n`);
    console.log('workers  trials  seconds  trials/min  speed-up');
    for (const r of rows) console.log(`${String(r.workers).padStart(7)}  ${String(r.trials).padStart(6)}  ${r.seconds.toFixed(1).padStart(7)}  ${r.perMinute.toFixed(1).padStart(10)}  ${r.speedup.toFixed(2).padStart(7)}×`);
    console.log(`\nCoordination overhead: ${overhead.ms.toFixed(1)} ms per trial (${overhead.trials} trivial trials of ${overhead.trainingMs.toFixed(1)} ms training each, one worker, one at a time)`);
  }
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
