/**
 * A study on Redis (`--storage redis://[user:pass@]host:port[/db]`, or `rediss://` for TLS): what the
 * coordinator (tune, compare), the workers and a resumed coordinator share.
 *
 * Keys, for a study NAME:
 * - `lossforge:studies` — the set of study names (what `lossforge worker` joins);
 * - `lossforge:study:NAME` — a hash: `kind` (tune | compare), `header` (tune's StudyHeader, JSON), `settings` (JSON:
 *   everything a worker needs to rebuild the trainings; never code), `lock` holder;
 * - `lossforge:study:NAME:results` — a hash: one field per trial (tune: the trial number) or training (compare:
 *   the job id), written with HSETNX, so a trial run twice (a stalled job retried) is recorded once;
 * - `lossforge:study:NAME:state` — a hash: job id → queued | running HOST PID | done;
 * - `lossforge:study:NAME:lock` — the live coordinator (`HOST PID`), with a TTL it refreshes;
 * - BullMQ's keys of the queue `lossforge-NAME`: the jobs.
 * The password in the URL is never printed or stored: `location` is the URL with `***` for it.
 */
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { UsageError, WorkbenchError } from '../errors.js';
import { processAlive } from '../journal.js';

/** A parsed `--storage` URL: `url` to connect with, `location` to show (password replaced by `***`). */
export interface RedisStorage {
  url: string;
  location: string;
}

/**
 * Parses `--storage`: redis:// or rediss://, a host, an optional port and database number. `password`
 * (the CLI passes `LOSSFORGE_REDIS_PASSWORD`) is used when the URL has none, so it need not appear in
 * command lines (`ps`).
 */
export function parseStorage(text: string, password?: string): RedisStorage {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--storage: expected redis://[user:password@]host:port[/db] or rediss://…, got '${text.replace(/:[^:@/]*@/, ':***@')}'`);
  }
  if (url.password) url.password = '***';
  const location = url.toString().replace(/\/$/, '');
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`--storage: expected a redis:// or rediss:// URL, got '${location}'`);
  }
  if (!url.hostname) throw new UsageError(`--storage: ${location} names no host`);
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) {
    throw new UsageError(`--storage: the path of ${location} must be a database number (/0, /1, …), got '${url.pathname}'`);
  }
  if (password && !/^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(text)) {
    const withPassword = new URL(text);
    withPassword.password = password;
    return { url: withPassword.toString(), location: url.toString().replace(/\/$/, '') };
  }
  return { url: text, location };
}

/** Study names: what BullMQ allows in a queue name and Redis keys read well with. */
export function checkStudyName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    throw new UsageError(`--study: expected a name of letters, digits, '.', '_' or '-' (at most 64), got '${name}'`);
  }
  return name;
}

export const STUDIES_KEY = 'lossforge:studies';
/** The Redis keys of a study: its header hash, its results (one field per trial id), job states, and the coordinator lock. */
export const studyKey = (name: string) => `lossforge:study:${name}`;
export const resultsKey = (name: string) => `lossforge:study:${name}:results`;
export const stateKey = (name: string) => `lossforge:study:${name}:state`;
export const lockKey = (name: string) => `lossforge:study:${name}:lock`;
/** The BullMQ queue of a study's jobs. */
export const queueName = (name: string) => `lossforge-${name}`;

/** The one line for a failed connection: refused login, unreachable server, TLS trouble. */
function connectionError(storage: RedisStorage, error: Error): WorkbenchError {
  const text = error.message ?? String(error);
  if (/WRONGPASS|invalid username-password/i.test(text)) return new UsageError(`--storage: Redis at ${storage.location} refused the login: wrong user or password`);
  if (/NOAUTH/i.test(text)) return new UsageError(`--storage: Redis at ${storage.location} requires a password: redis://user:password@host:port`);
  const reason = /ECONNREFUSED/.test(text) ? 'connection refused' : /ENOTFOUND|EAI_AGAIN/.test(text) ? 'unknown host' : /timed? ?out/i.test(text) ? 'timed out' : text.split('\n')[0];
  return new WorkbenchError(`--storage: cannot reach Redis at ${storage.location} (${reason}); is redis-server running there?`, 1);
}

/** A connection that waits through outages (Redis restarting) instead of failing commands: what BullMQ needs. */
export function resilientConnection(storage: RedisStorage, onError: (error: Error) => void = () => undefined): Redis {
  const redis = new Redis(storage.url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(50 * times, 1000) });
  redis.on('error', onError);
  return redis;
}

/**
 * Connects once, failing fast with one clear line (unreachable, wrong password), then returns a
 * resilient connection for the work.
 */
export async function connectRedis(storage: RedisStorage): Promise<Redis> {
  const probe = new Redis(storage.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, connectTimeout: 5000 });
  let failure: Error | undefined;
  probe.on('error', (error: Error) => (failure ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw connectionError(storage, failure && !/WRONGPASS|NOAUTH/.test((error as Error).message) ? failure : (error as Error));
  } finally {
    probe.disconnect();
  }
  const redis = resilientConnection(storage);
  await redis.ping();
  return redis;
}

/** What the study hash holds. */
export interface StudyEntry {
  kind: 'tune' | 'compare';
  /** Tune: the StudyHeader; compare: the compare settings. */
  header: unknown;
  /** What a worker needs beyond the header. */
  settings: Record<string, unknown>;
}

/** The study's entry, or null when the storage has no study of that name. */
export async function readStudy(redis: Redis, name: string): Promise<StudyEntry | null> {
  const [kind, header, settings] = await redis.hmget(studyKey(name), 'kind', 'header', 'settings');
  if (!kind || !header) return null;
  return { kind: kind as StudyEntry['kind'], header: JSON.parse(header), settings: JSON.parse(settings ?? '{}') as Record<string, unknown> };
}

/** Starts (or restarts) a study: its entry, no results, listed for the workers. */
export async function writeStudy(redis: Redis, name: string, entry: StudyEntry): Promise<void> {
  await redis
    .multi()
    .del(resultsKey(name), stateKey(name))
    .hset(studyKey(name), { kind: entry.kind, header: JSON.stringify(entry.header), settings: JSON.stringify(entry.settings) })
    .sadd(STUDIES_KEY, name)
    .exec();
}

/** Records a result once: false when the field already held one. */
export async function recordResult(redis: Redis, name: string, id: string, value: unknown): Promise<boolean> {
  const created = await redis.hsetnx(resultsKey(name), id, JSON.stringify(value));
  await redis.hset(stateKey(name), id, 'done');
  return created === 1;
}

/** Every recorded result of a study, by id. */
export async function readResults<T>(redis: Redis, name: string): Promise<Map<string, T>> {
  const all = await redis.hgetall(resultsKey(name));
  return new Map(Object.entries(all).map(([id, text]) => [id, JSON.parse(text) as T]));
}

const LOCK_MS = 15_000;

/**
 * The coordinator's lock on a study: one `tune`/`compare` per study at a time. Held with a TTL refreshed
 * every few seconds; a lock of a dead process on this host (kill -9) is taken over at once, one of a
 * live process (or another host) is an error naming it. Returns the release function.
 */
export async function lockStudy(redis: Redis, name: string, command: string): Promise<() => Promise<void>> {
  const me = `${hostname()} ${process.pid}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await redis.set(lockKey(name), me, 'PX', LOCK_MS, 'NX')) === 'OK') {
      const timer = setInterval(() => {
        redis.set(lockKey(name), me, 'PX', LOCK_MS, 'XX').catch(() => undefined);
      }, LOCK_MS / 5);
      timer.unref();
      return async () => {
        clearInterval(timer);
        if ((await redis.get(lockKey(name))) === me) await redis.del(lockKey(name));
      };
    }
    const holder = await redis.get(lockKey(name));
    if (holder === null) continue;
    const [host, pid] = holder.split(' ');
    if (host === hostname() && !processAlive(Number(pid))) {
      // A dead coordinator on this machine: take its lock over (only if it is still that one).
      await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, lockKey(name), holder);
      continue;
    }
    throw new UsageError(`--study: ${name} is being run by another lossforge ${command} (host ${host}, pid ${pid}); wait for it to finish (then --resume), or choose another --study`);
  }
  throw new UsageError(`--study: could not lock ${name}: other processes keep taking it; try again`);
}
