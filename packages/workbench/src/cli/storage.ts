/**
 * The CLI's side of studies on Redis: `--storage` and `--study` for tune and compare, and the
 * `lossforge worker` command. The storage URL is parsed here (not by commander, whose errors echo the
 * value), so a password never reaches the output.
 */
import type { Command } from 'commander';
import type { CompareSettings } from '../compare.js';
import type { Runner } from '../pool.js';
import { integer, positiveNumber } from './options.js';
import { openCompareStudy } from '../storage/coordinator.js';
import { redisTuneBackend } from '../storage/coordinator.js';
import { checkStudyName, parseStorage } from '../storage/redis.js';
import type { TuneBackend } from '../storage/types.js';
import { runWorker } from '../storage/worker.js';
import { UsageError } from '../errors.js';
import type { CliIo } from './program.js';

/** `--storage`, with the password from LOSSFORGE_REDIS_PASSWORD when the URL has none. */
const storageOf = (text: string) => parseStorage(text, process.env.LOSSFORGE_REDIS_PASSWORD || undefined);

const STORAGE_HELP = 'run the study on Redis, redis://[user:password@]host:port[/db] or rediss://… (TLS; the password may come from LOSSFORGE_REDIS_PASSWORD instead), with `lossforge worker` processes on any machine';

/** Adds `--storage` and `--study` to tune or compare. */
export function storageOptions(cmd: Command, command: 'tune' | 'compare'): Command {
  return cmd
    .option('--storage <url>', STORAGE_HELP)
    .option('--study <name>', `the study's name on the storage (default: the --out folder's name)`)
    .addHelpText(
      'after',
      `
On several machines (Redis reachable from all; the data at the same path, or builtin:):
  $ lossforge ${command} ... --storage redis://:PASSWORD@HOST:6379 --study NAME     # the coordinator
  $ lossforge worker --storage redis://:PASSWORD@HOST:6379 --concurrency 2         # on each machine`,
    );
}

interface StorageFlags {
  storage?: string;
  study?: string;
  resume?: boolean;
}

/** tune's backend from `--storage` (undefined without it: the local journal); the study name defaults to `fallback`. */
export function studyBackend(opts: StorageFlags & { drop?: string[]; features?: string[] }, fallback: string): TuneBackend | undefined {
  if (opts.storage === undefined) {
    if (opts.study !== undefined) throw new UsageError('--study: names a study on a --storage; without --storage the study is the journal in --out');
    return undefined;
  }
  return redisTuneBackend(storageOf(opts.storage), checkStudyName(opts.study ?? fallback), { drop: opts.drop, features: opts.features });
}

/** Runs a comparison with its trainings on the `--storage` queue (or here, without `--storage`). */
export async function withCompareStorage<T>(opts: StorageFlags, fallback: string, settings: CompareSettings, run: (runner?: Runner) => Promise<T>): Promise<T> {
  if (opts.storage === undefined) {
    if (opts.study !== undefined || opts.resume) throw new UsageError(`${opts.study !== undefined ? '--study' : '--resume'}: needs --storage (a compare without it keeps nothing to resume)`);
    return run();
  }
  const opened = await openCompareStudy(storageOf(opts.storage), checkStudyName(opts.study ?? fallback), settings, Boolean(opts.resume));
  try {
    return await run(opened.runner);
  } finally {
    await opened.close();
  }
}

/** `lossforge worker`: runs the jobs of the studies on a storage until Ctrl-C / SIGTERM. */
export function workerCommand(cmd: Command, io: CliIo, setExit: (code: number) => void): Command {
  return cmd
    .description('Run the trials (tune) and trainings (compare) of the studies on a Redis storage; start and stop any number, on any machine.')
    .requiredOption('--storage <url>', 'the Redis the studies live on: redis://[user:password@]host:port[/db] or rediss://…')
    .option('--study <name>', 'join only this study (default: every study on the storage, including later ones)')
    .option('--concurrency <n>', 'jobs at once (worker threads when more than 1)', integer(1), 1)
    .option('--lock-seconds <s>', 'a job whose worker stops renewing its lock (killed) is retried by another after this long', positiveNumber, 30)
    .option('-q, --quiet', 'no line per finished job')
    .addHelpText(
      'after',
      `
Examples:
  $ lossforge worker --storage redis://localhost:6379
  $ lossforge worker --storage rediss://:PASSWORD@redis.example.org:6380/2 --study churn-focal --concurrency 4`,
    )
    .action(async (opts: { storage: string; study?: string; concurrency: number; lockSeconds: number; quiet?: boolean }) => {
      const storage = storageOf(opts.storage);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await runWorker({
          storage,
          study: opts.study === undefined ? undefined : checkStudyName(opts.study),
          concurrency: opts.concurrency,
          lockSeconds: opts.lockSeconds,
          signal: controller.signal,
          log: (line) => {
            if (!opts.quiet || line.startsWith('warning')) io.stderr(`lossforge worker: ${line}\n`);
          },
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      setExit(0);
    });
}
