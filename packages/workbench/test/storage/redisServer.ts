/**
 * A real redis-server for the tests: started on a free local port in a temporary folder (AOF on, fsync on
 * every write, so a restart loses nothing), stopped after. Where Debian's redis-server is not installed the
 * tests are skipped with `REDIS_SKIP`, naming the package (`.ci/run` installs it, so CI never skips).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p)) ?? (spawnSync('which', ['redis-server'], { encoding: 'utf8' }).stdout.trim() || undefined);

/** false when redis-server is installed, else why the Redis tests are skipped. */
export const REDIS_SKIP: string | false = BIN ? false : 'redis-server is not installed: apt-get install -y redis-server (the Debian package redis-server; .ci/run installs it)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  port: number;
  /** redis://[:password@]127.0.0.1:port */
  url: string;
  pid(): number;
  /** kill -9 the server, then start it again on the same port and folder (the AOF brings the data back). */
  crashAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

function launch(port: number, dir: string, password?: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'];
  if (password) args.push('--requirepass', password);
  const child = spawn(BIN!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
}

/** Starts a redis-server (with `password` as requirepass when given). */
export async function startRedis(password?: string): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'lossforge-redis-'));
  const port = await freePort();
  let child = await launch(port, dir, password);
  const stopChild = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return {
    port,
    url: `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    pid: () => child.pid!,
    async crashAndRestart() {
      await stopChild('SIGKILL');
      child = await launch(port, dir, password);
    },
    async stop() {
      await stopChild('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
