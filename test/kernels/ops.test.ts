/**
 * Where the fused kernels find their memory (src/kernels/ops.ts): on the tfjs wasm backend they run in
 * place in its heap; when that heap cannot be reached (its non-public fields missing) they copy through
 * their own memory and give the same results; on the cpu backend they always copy.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeak } from '../helpers/assert.js';
import { seeded } from '../helpers/random.js';
import { losses } from '../../src/index.js';
import { heapOf } from '../../src/kernels/ops.js';
import { fusedAvailable, fusedKernelsReady, setFusedThreshold } from '../../src/kernels/index.js';

let previousThreshold: number;
before(async () => {
  assert.equal(await fusedKernelsReady(), true);
  previousThreshold = setFusedThreshold(0);
});
after(() => setFusedThreshold(previousThreshold));

/** Loss values and gradients of a few fused losses (elementwise with posWeight per column, sparse and dense softmax, focal), on the same inputs each call. */
function run(): number[][] {
  const rand = seeded(5);
  const values = (n: number, scale: number) => Array.from({ length: n }, () => (rand() - 0.5) * scale);
  const yBinary = tf.tensor2d(values(6 * 5, 1).map((v) => (v > 0 ? 1 : 0)), [6, 5]);
  const logits = tf.tensor2d(values(6 * 5, 20), [6, 5]);
  const labels = tf.tensor1d([0, 4, 2, 2, 1, 3], 'int32');
  const soft = tf.softmax(tf.tensor2d(values(6 * 5, 4), [6, 5]));
  const cases = [
    losses.binaryCrossentropy({ fromLogits: true, posWeight: [1, 2, 3, 4, 5], reduction: 'none' }),
    losses.sparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' }),
    losses.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1, reduction: 'none' }),
    losses.categoricalFocalCrossentropy({ fromLogits: true, reduction: 'none' }),
    losses.huber({ reduction: 'none' }),
  ];
  const targets = [yBinary, labels, soft, soft, soft];
  const out: number[][] = [];
  cases.forEach((loss, i) => {
    assert.equal(fusedAvailable(logits), true);
    const { value, grads } = tf.valueAndGrads((p: tf.Tensor) => tf.sum(loss(targets[i]!, p)))([logits]);
    out.push(Array.from(loss(targets[i]!, logits).dataSync()), Array.from(value.dataSync()), Array.from(grads[0]!.dataSync()));
  });
  return out;
}

test('wasm backend: the kernels reach its heap; without its internals they copy, with the same results and no leak', async () => {
  await useBackend('wasm');
  const backend = tf.backend() as unknown as { wasm: { asm: object } };
  assert.ok(heapOf(backend), 'the wasm backend heap is reachable');
  const inPlace = tf.tidy(run);
  const asm = backend.wasm.asm;
  // As if a future tfjs no longer exposed its memory there (tfjs itself still uses the other exports).
  // (asm's fields are frozen, so a copy without `memory` stands in for it.)
  backend.wasm.asm = Object.fromEntries(Object.entries(asm).filter(([key]) => key !== 'memory'));
  try {
    assert.equal(heapOf(backend), undefined);
    const copied = tf.tidy(run);
    assert.deepEqual(copied, inPlace);
    assertNoLeak(() => { tf.tidy(run); });
  } finally {
    backend.wasm.asm = asm;
  }
  assertNoLeak(() => { tf.tidy(run); });
});

test('cpu backend and arbitrary objects: no heap, the copying path', async () => {
  await useBackend('cpu');
  assert.equal(heapOf(tf.backend()), undefined);
  for (const fake of [undefined, {}, { wasm: {} }, { wasm: { asm: { memory: {} }, _malloc: () => 0, _free: () => undefined } }]) assert.equal(heapOf(fake), undefined);
  assert.ok(tf.tidy(run).every((xs) => xs.every(Number.isFinite)));
});
