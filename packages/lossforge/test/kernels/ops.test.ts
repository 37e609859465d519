/**
 * Where the fused kernels find their memory (src/kernels/ops.ts): on the tfjs wasm backend they run in
 * place in its heap; when that heap cannot be reached (its non-public fields missing) the composite
 * path runs; on the cpu backend they copy and write the gradient into the tensor's storage. Each
 * loss call's gradient is its own (written into a fresh tensor, scaled in place in the backward pass).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeak } from '../helpers/assert.js';
import { seeded } from '../helpers/random.js';
import { losses } from '../../src/index.js';
import { heapOf, writesInPlace } from '../../src/kernels/ops.js';
import { fusedAvailable, fusedKernelsReady, setFusedKernels, setFusedThreshold } from '../../src/kernels/index.js';

let previousThreshold: number;
before(async () => {
  assert.equal(await fusedKernelsReady(), true);
  previousThreshold = setFusedThreshold(0);
});
after(() => setFusedThreshold(previousThreshold));

/**
 * Loss values and gradients of a few losses (elementwise with posWeight per column, sparse and dense
 * softmax, focal, Huber), on the same inputs each call; `fused` asserts that the fused path is taken.
 */
function evaluate(fused: boolean): number[][] {
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
    if (fused) assert.equal(fusedAvailable(logits), true);
    const { value, grads } = tf.valueAndGrads((p: tf.Tensor) => tf.sum(loss(targets[i]!, p)))([logits]);
    out.push(Array.from(loss(targets[i]!, logits).dataSync()), Array.from(value.dataSync()), Array.from(grads[0]!.dataSync()));
  });
  return out;
}
const run = () => evaluate(true);
const runComposite = () => evaluate(false);

const maxRelativeDifference = (a: number[][], b: number[][]): number =>
  Math.max(...a.flatMap((xs, i) => xs.map((x, j) => Math.abs(x - b[i]![j]!) / Math.max(Math.abs(b[i]![j]!), 1e-6))));

test('wasm backend: the kernels reach its heap; without its internals the composite path runs, with no leak', async () => {
  await useBackend('wasm');
  const backend = tf.backend() as unknown as { wasm: { asm: object } };
  assert.ok(heapOf(backend), 'the wasm backend heap is reachable');
  assert.equal(writesInPlace(backend), true);
  const inPlace = tf.tidy(run);
  const asm = backend.wasm.asm;
  // As if a future tfjs no longer exposed its memory there (tfjs itself still uses the other exports).
  // (asm's fields are frozen, so a copy without `memory` stands in for it.)
  backend.wasm.asm = Object.fromEntries(Object.entries(asm).filter(([key]) => key !== 'memory'));
  try {
    assert.equal(heapOf(backend), undefined);
    assert.equal(writesInPlace(backend), false, 'its readSync returns copies: nothing to write the gradient into');
    const logits = tf.zeros([6, 5]);
    assert.equal(fusedAvailable(logits), false);
    logits.dispose();
    setFusedThreshold(previousThreshold); // run() asserts the fused path: compare with the composite directly
    const previous = setFusedKernels(false);
    const composite = tf.tidy(runComposite);
    setFusedKernels(previous);
    assert.ok(maxRelativeDifference(inPlace, composite) <= 1e-5);
    assertNoLeak(() => { tf.tidy(runComposite); });
  } finally {
    backend.wasm.asm = asm;
    setFusedThreshold(0);
  }
  assertNoLeak(() => { tf.tidy(run); });
});

test('cpu backend: no heap; the kernels copy through their own memory and write the gradient into the storage readSync returns', async () => {
  await useBackend('cpu');
  assert.equal(heapOf(tf.backend()), undefined);
  assert.equal(writesInPlace(tf.backend()), true);
  for (const fake of [undefined, {}, { wasm: {} }, { wasm: { asm: { memory: {} } }, _malloc: () => 0, _free: () => undefined }]) {
    assert.equal(heapOf(fake), undefined);
    assert.equal(writesInPlace(fake), false);
  }
  const onCpu = tf.tidy(run);
  await useBackend('wasm');
  const onWasm = tf.tidy(run);
  await useBackend('cpu');
  assert.ok(maxRelativeDifference(onCpu, onWasm) <= 1e-6, 'the same kernels on both backends (the ops around them may round differently)');
  assertNoLeak(() => { tf.tidy(run); });
});

test('a backend whose readSync returns copies cannot take the gradient in place', () => {
  const storage = new Map<object, Float32Array>();
  let disposed = 0;
  const copying = {
    makeTensorInfo: (shape: number[], dtype: tf.DataType, values: Float32Array) => {
      const dataId = {};
      storage.set(dataId, values);
      return { dataId, shape, dtype };
    },
    readSync: (dataId: object) => storage.get(dataId)!.slice(),
    disposeData: () => { disposed++; },
    incRef: () => undefined,
  };
  assert.equal(writesInPlace(copying), false);
  assert.equal(disposed, 1, 'the probe tensor is disposed');
});

test('each call keeps its own gradient: repeated, nested and unused loss calls give the composite gradients, with no leak', async () => {
  for (const name of ['cpu', 'wasm'] as const) {
    await useBackend(name);
    const yTrue = tf.randomNormal([8, 16], 0, 1, 'float32', 1);
    const yPred = tf.randomNormal([8, 16], 0, 1, 'float32', 2);
    const mse = losses.meanSquaredError();
    const bce = losses.binaryCrossentropy({ fromLogits: true });
    // Two calls in one graph, one of them used twice; and a call whose result the gradient does not use.
    const f = (p: tf.Tensor) => {
      const a = mse(yTrue, p);
      const b = bce(tf.sigmoid(yTrue), tf.mul(p, 2));
      bce(tf.sigmoid(yTrue), p);
      return tf.add(tf.add(a, tf.mul(a, 3)), b) as tf.Scalar;
    };
    const gradient = () => tf.tidy(() => Array.from(tf.grad(f)(yPred).dataSync()));
    const fused = gradient();
    assert.deepEqual(gradient(), fused, 'the same gradient on a second backward pass');
    const previous = setFusedKernels(false);
    const composite = gradient();
    setFusedKernels(previous);
    assert.ok(maxRelativeDifference([fused], [composite]) <= 1e-5, name);
    assertNoLeak(() => { gradient(); }, name);
    tf.dispose([yTrue, yPred]);
  }
});
