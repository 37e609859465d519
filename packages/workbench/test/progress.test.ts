import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProgress, ETA_AFTER, etaSeconds, formatSeconds } from '../src/progress.js';

test('etaSeconds: unknown until a few units finished; then the pace since the first one, not counting start-up', () => {
  assert.ok(Number.isNaN(etaSeconds(0, 1, 100)));
  assert.ok(Number.isNaN(etaSeconds(10, ETA_AFTER - 1, 100)));
  // 3 done; 2 s between the first and the third → 1 s per unit → 97 s left, whatever the start-up took.
  assert.equal(etaSeconds(2, 3, 100), 97);
  assert.equal(etaSeconds(9, 10, 10), 0);
  assert.equal(formatSeconds(NaN), '?');
  assert.equal(formatSeconds(97), '1m37s');
});

test('plain progress: the first line says ETA ?, the last ETA 0s', () => {
  let text = '';
  const p = createProgress({ quiet: false, label: 'compare', interactive: false, write: (line) => (text += line) });
  p.start(4);
  for (let i = 0; i < 4; i++) p.tick(`unit ${i}`);
  p.stop();
  const lines = text.trim().split('\n');
  assert.match(lines[0]!, /^compare 1\/4 \(25%\) elapsed \d+s, ETA \?: unit 0$/);
  assert.match(lines.at(-1)!, /^compare 4\/4 \(100%\) .*ETA 0s: unit 3$/);
});
