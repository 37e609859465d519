/**
 * Progress output: a cli-progress bar with ETA when stdout and stderr are terminals, plain lines on
 * stderr otherwise (one per finished unit, throttled), nothing with --quiet. Never writes to stdout,
 * so `--json` output stays machine-readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number): void;
  /** One more unit done; `detail` is a short description of it. */
  tick(detail: string): void;
  stop(): void;
}

/** `42s` or `3m07s`; `?` when unknown. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Units to finish before an ETA is shown: the first ones carry the start-up (workers, tfjs warm-up). */
export const ETA_AFTER = 3;

/**
 * Seconds left, from the pace since the first unit finished (so start-up time does not inflate it):
 * `(now − first) / (done − 1) × (total − done)`; NaN (shown as `?`) until ETA_AFTER units are done.
 */
export function etaSeconds(sinceFirst: number, done: number, total: number): number {
  if (done < ETA_AFTER || done < 2) return NaN;
  return (sinceFirst / (done - 1)) * (total - done);
}

/** The progress output for a command (see the module comment); `label` starts each line. */
export function createProgress(options: { quiet: boolean; label: string; interactive?: boolean; write?: (line: string) => void }): Progress {
  if (options.quiet) return { start() {}, tick() {}, stop() {} };
  const interactive = options.interactive ?? Boolean(process.stdout.isTTY && process.stderr.isTTY);
  let total = 0;
  let done = 0;
  let started = 0;
  let first = 0;
  const eta = (now: number) => etaSeconds((now - first) / 1000, done, total);
  if (interactive) {
    const bar = new cliProgress.SingleBar(
      { format: `${options.label} [{bar}] {value}/{total} | {percentage}% | ETA {eta} | {detail}`, hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (t) => {
        total = t;
        done = 0;
        bar.start(t, 0, { detail: '', eta: '?' });
      },
      tick: (detail) => {
        const now = performance.now();
        if (++done === 1) first = now;
        bar.increment(1, { detail, eta: formatSeconds(eta(now)) });
      },
      stop: () => bar.stop(),
    };
  }
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  let lastPrint = 0;
  return {
    start(t) {
      total = t;
      done = 0;
      started = performance.now();
    },
    tick(detail) {
      done++;
      const now = performance.now();
      if (done === 1) first = now;
      if (done === total || now - lastPrint > 2000 || done === 1) {
        lastPrint = now;
        const elapsed = (now - started) / 1000;
        write(`${options.label} ${done}/${total} (${Math.round((100 * done) / total)}%) elapsed ${formatSeconds(elapsed)}, ETA ${formatSeconds(eta(now))}: ${detail}\n`);
      }
    },
    stop() {},
  };
}
