/**
 * The order of a tune study's trials, independent of who runs them and how fast.
 *
 * With `parallel` = P, trial t is sampled (and its pruning thresholds taken) from exactly the trials
 * 0 … t−P, finished, plus the trials t−P+1 … t−1 as running (the constant liar of the TPE sampler). Trial
 * t waits until trials 0 … t−P have finished, so at most P trials run at once, and what each trial
 * sees depends only on the seed and P — not on the number of threads or machines, their speed, crashes
 * or resumes. P = 1 is the sequential study: every trial sees all the trials before it.
 */
import type { TrialRecord } from './journal.js';
import type { Params } from './space.js';
import type { TrialOutcome } from './tuneJob.js';

export interface TrialSchedule {
  /** Trials 0 … total−1. */
  total: number;
  /** Trials sampled without seeing each other's results (≥ 1). */
  parallel: number;
  /** Trials already finished (a resumed study). */
  finished: readonly TrialRecord[];
  /** The parameters of trial `trial` given the finished trials before it (trial order) and the running ones. */
  suggest(trial: number, finished: readonly TrialRecord[], running: readonly Params[]): Params;
  /** Runs trial `trial`; `finished` is what it may compare itself with (pruning). */
  run(trial: number, params: Params, finished: readonly TrialRecord[]): Promise<TrialOutcome>;
  /** Called once per newly finished trial, in finishing order. */
  record(record: TrialRecord): Promise<void> | void;
  /** Aborting stops starting trials and stops waiting for running ones. */
  signal?: AbortSignal;
}

/** Runs the schedule's missing trials; resolves with every finished trial (trial order) once all finished or on abort. */
export async function runSchedule(s: TrialSchedule): Promise<TrialRecord[]> {
  if (!Number.isInteger(s.parallel) || s.parallel < 1) throw new RangeError(`parallel must be a positive integer, got ${s.parallel}`);
  const done = new Map<number, TrialRecord>(s.finished.map((r) => [r.trial, r]));
  const suggested = new Map<number, Params>();
  let wake: () => void = () => undefined;
  let failure: unknown;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const notify = () => {
    const previous = wake;
    changed = new Promise<void>((resolve) => (wake = resolve));
    previous();
  };
  const onAbort = () => notify();
  s.signal?.addEventListener('abort', onAbort);
  const stopped = () => s.signal?.aborted || failure !== undefined;
  const ready = (t: number) => Array.from({ length: Math.max(0, t - s.parallel + 1) }, (_, i) => i).every((i) => done.has(i));
  const before = (t: number) => Array.from({ length: Math.max(0, t - s.parallel + 1) }, (_, i) => done.get(i)!);
  const paramsOf = (i: number) => done.get(i)?.params ?? suggested.get(i)!;
  /** Trials running or being recorded: a trial counts as finished once recorded (the schedule returns after that). */
  const recording = new Set<Promise<void>>();
  try {
    for (let t = 0; t < s.total && !stopped(); t++) {
      if (done.has(t)) continue;
      while (!ready(t) && !stopped()) await changed;
      if (stopped()) break;
      const finished = before(t);
      const running = Array.from({ length: t - finished.length }, (_, i) => paramsOf(finished.length + i));
      const params = s.suggest(t, finished, running);
      suggested.set(t, params);
      const settled = s.run(t, params, finished).then(
        async (outcome) => {
          const record: TrialRecord = { type: 'trial', params, ...outcome };
          done.set(t, record);
          await s.record(record);
        },
      ).catch((error: unknown) => {
        failure ??= error;
      }).finally(() => {
        recording.delete(settled);
        notify();
      });
      recording.add(settled);
    }
    while (!stopped() && (recording.size > 0 || !Array.from({ length: s.total }, (_, i) => i).every((i) => done.has(i)))) await changed;
    if (failure !== undefined) throw failure;
    return [...done.values()].sort((a, b) => a.trial - b.trial);
  } finally {
    s.signal?.removeEventListener('abort', onAbort);
  }
}
