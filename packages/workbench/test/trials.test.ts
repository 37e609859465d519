import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrialRecord } from '../src/journal.js';
import type { Params } from '../src/space.js';
import { runSchedule, type TrialSchedule } from '../src/trials.js';

/**
 * A schedule whose "sampler" writes down what each trial saw (finished trial numbers, running params) and
 * whose trials finish after `delay(trial)` ms: what trials see must not depend on the delays.
 */
async function run(parallel: number, delay: (trial: number) => number, finished: TrialRecord[] = [], signal?: AbortSignal) {
  const seen: Record<number, { finished: number[]; running: Params[] }> = {};
  let inFlight = 0;
  let maxInFlight = 0;
  const schedule: TrialSchedule = {
    total: 8,
    parallel,
    finished,
    signal,
    suggest: (trial, done, running) => {
      seen[trial] = { finished: done.map((r) => r.trial), running: [...running] };
      return { x: trial * 10 + done.length };
    },
    run: async (trial, params) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, delay(trial)));
      inFlight--;
      return { trial, score: (params.x as number) / 100, foldScores: [], runningMeans: [], pruned: false, metrics: {}, seconds: 0 };
    },
    record: () => undefined,
  };
  const records = await runSchedule(schedule);
  return { seen, records, maxInFlight };
}

test('runSchedule: trial t sees trials 0..t-P finished and t-P+1..t-1 running, whatever order they finish in', async () => {
  const even = await run(3, () => 1);
  const shuffled = await run(3, (t) => [30, 1, 12, 5, 25, 2, 9, 1][t]!);
  assert.deepEqual(shuffled.seen, even.seen);
  assert.deepEqual(shuffled.records, even.records);
  assert.deepEqual(even.seen[5], { finished: [0, 1, 2], running: [{ x: 31 }, { x: 42 }] });
  assert.ok(shuffled.maxInFlight <= 3);
  const sequential = await run(1, () => 1);
  assert.deepEqual(sequential.seen[5], { finished: [0, 1, 2, 3, 4], running: [] });
  assert.equal(sequential.maxInFlight, 1);
});

test('runSchedule: a resumed schedule runs only the missing trials and sees what a fresh one saw', async () => {
  const fresh = await run(3, () => 1);
  const kept = fresh.records.filter((r) => [0, 1, 2, 4].includes(r.trial));
  const resumed = await run(3, (t) => 10 - t, kept);
  assert.deepEqual(Object.keys(resumed.seen).map(Number), [3, 5, 6, 7]);
  for (const t of [3, 5, 6, 7]) assert.deepEqual(resumed.seen[t], fresh.seen[t]);
  assert.deepEqual(resumed.records, fresh.records);
});

test('runSchedule: aborting stops starting trials; a failing trial rejects the schedule', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 15);
  const partial = await run(2, () => 10, [], controller.signal);
  assert.ok(partial.records.length < 8);
  await assert.rejects(
    runSchedule({ total: 3, parallel: 2, finished: [], suggest: () => ({}), run: async () => Promise.reject(new Error('boom')), record: () => undefined }),
    /boom/,
  );
});

test('runSchedule: resolves only after every trial is recorded, each once (a slow store, as Redis)', async () => {
  const recorded: number[] = [];
  const records = await runSchedule({
    total: 6,
    parallel: 3,
    finished: [],
    suggest: (trial) => ({ x: trial }),
    run: async (trial) => ({ trial, score: trial, foldScores: [], runningMeans: [], pruned: false, metrics: {}, seconds: 0 }),
    record: async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      recorded.push(r.trial);
    },
  });
  assert.deepEqual([...recorded].sort(), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(records.map((r) => r.trial), [0, 1, 2, 3, 4, 5]);
});
