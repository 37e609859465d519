import assert from 'node:assert/strict';
import { test } from 'node:test';
import { capWorkers } from '../src/pool.js';

test('capWorkers: no more threads than jobs or cores, with a note saying why', () => {
  assert.deepEqual(capWorkers(2, 10, 4), { workers: 2 });
  assert.deepEqual(capWorkers(64, 4, 8), { workers: 4, note: '--workers 64: using 4, since there are only 4 jobs to run' });
  assert.deepEqual(capWorkers(64, 100, 2), { workers: 2, note: '--workers 64: using 2, since this machine has 2 cores' });
  assert.equal(capWorkers(3, 1, 8).note, '--workers 3: using 1, since there is only 1 job to run');
  assert.equal(capWorkers(1, 0, 8).workers, 1, 'always at least one');
});
