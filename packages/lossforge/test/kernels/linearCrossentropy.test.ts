/**
 * linearCrossentropy (chunked hidden·weight cross-entropy) against the materialized computation:
 * sparseCategoricalCrossentropy({ fromLogits: true }) on tf.matMul(hidden, weight), values and the
 * gradients with respect to both hidden and weight, on the cpu and wasm backends.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertNoLeak } from '../helpers/assert.js';
import { seeded } from '../helpers/random.js';
import { losses } from '../../src/index.js';
import { linearCrossentropy, setFusedKernels, setFusedThreshold } from '../../src/kernels/index.js';

const rand = seeded(20240611);
const normal = (shape: number[], scale = 1) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, () => (rand() + rand() + rand() - 1.5) * 2 * scale), shape);
};
const randomLabels = (shape: number[], V: number, ignore?: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, () => (ignore !== undefined && rand() < 0.25 ? ignore : Math.floor(rand() * V))), shape, 'int32');
};

interface Case {
  hidden: tf.Tensor;
  weight: tf.Tensor;
  labels: tf.Tensor;
  options: { chunkSize?: number; ignoreIndex?: number; reduction?: 'none' | 'sum' | 'mean' | 'weightedMean' };
}

/** Value and gradients of a loss f(hidden, weight), with a non-uniform upstream gradient for 'none'. */
function valueAndGrads(f: (h: tf.Tensor, w: tf.Tensor) => tf.Tensor, c: Case) {
  const value = f(c.hidden, c.weight);
  const [dH, dW] = tf.grads((h: tf.Tensor, w: tf.Tensor) => {
    const v = f(h, w);
    return tf.sum(tf.mul(v, tf.add(tf.reshape(tf.range(0, v.size, 1, 'float32'), v.shape), 1)));
  })([c.hidden, c.weight]);
  const out = { value: value.dataSync().slice(), dH: dH!.dataSync().slice(), dW: dW!.dataSync().slice(), shape: value.shape };
  tf.dispose([value, dH!, dW!]);
  return out;
}

function materialized(c: Case) {
  const { ignoreIndex, reduction } = c.options;
  const loss = losses.sparseCategoricalCrossentropy({ fromLogits: true, ignoreIndex, reduction });
  return (h: tf.Tensor, w: tf.Tensor) => tf.tidy(() => loss(c.labels, tf.matMul(tf.reshape(h, [-1, w.shape[0]!]), w).reshape([...h.shape.slice(0, -1), w.shape[1]!])));
}

function assertMatches(c: Case, label: string): void {
  const chunked = valueAndGrads((h, w) => linearCrossentropy(h, w, c.labels, c.options), c);
  const reference = valueAndGrads(materialized(c), c);
  assert.deepEqual(chunked.shape, reference.shape, `${label}: output shape`);
  const scale = (xs: Float32Array | Int32Array | Uint8Array) => Math.max(1e-3, ...Array.from(xs, Math.abs));
  assertClose(chunked.value, reference.value, { rtol: 1e-5, atol: 1e-6 }, `${label} value`);
  assertClose(chunked.dH, reference.dH, { rtol: 1e-4, atol: 1e-6 * scale(reference.dH) }, `${label} d/dhidden`);
  assertClose(chunked.dW, reference.dW, { rtol: 1e-4, atol: 1e-6 * scale(reference.dW) }, `${label} d/dweight`);
}

for (const backend of BACKENDS) {
  describe(`linearCrossentropy on ${backend}`, () => {
    before(async () => {
      await useBackend(backend);
    });

    for (const fused of [true, false]) {
      test(`values and both gradients equal the materialized cross-entropy (fused reference ${fused ? 'on' : 'off'})`, () => {
        const previous = setFusedKernels(fused);
        const previousThreshold = setFusedThreshold(0); // the small references take the fused path when on
        try {
          const shapes: [number[], number, number][] = [
            [[10, 6], 13, 3], // chunks of 3, 3, 3, 1
            [[9, 5], 7, 9], // one chunk
            [[7, 4], 3, 100], // chunk larger than N
            [[2, 5, 4], 11, 4], // leading batch axes
          ];
          for (const [hiddenShape, V, chunkSize] of shapes) {
            const H = hiddenShape[hiddenShape.length - 1]!;
            for (const reduction of ['none', 'sum', 'mean', 'weightedMean'] as const) {
              for (const ignoreIndex of [undefined, -100]) {
                const c: Case = {
                  hidden: normal(hiddenShape, 1.5),
                  weight: normal([H, V], 1.5),
                  labels: randomLabels(hiddenShape.slice(0, -1), V, ignoreIndex),
                  options: { chunkSize, ignoreIndex, reduction },
                };
                assertMatches(c, `${backend} ${JSON.stringify(hiddenShape)}×${V} ${JSON.stringify(c.options)}`);
                tf.dispose([c.hidden, c.weight, c.labels]);
              }
            }
          }
        } finally {
          setFusedKernels(previous);
          setFusedThreshold(previousThreshold);
        }
      });
    }

    test('large logits stay finite and match', () => {
      const c: Case = { hidden: normal([6, 3], 30), weight: normal([3, 9], 30), labels: randomLabels([6], 9), options: { chunkSize: 4 } };
      assertMatches(c, 'large logits');
      tf.dispose([c.hidden, c.weight, c.labels]);
    });

    test('an ignored label equal to a valid class index and every row ignored', () => {
      const hidden = normal([5, 3]);
      const weight = normal([3, 4]);
      const labels = tf.tensor1d([2, 0, 2, 3, 1], 'int32');
      assertMatches({ hidden, weight, labels, options: { ignoreIndex: 2, chunkSize: 2 } }, 'ignoreIndex 2');
      const allIgnored = tf.tensor1d([-1, -1, -1, -1, -1], 'int32');
      const value = linearCrossentropy(hidden, weight, allIgnored, { ignoreIndex: -1 });
      assert.equal(value.dataSync()[0], 0, 'mean over no rows is 0');
      const [dH, dW] = tf.grads((h: tf.Tensor, w: tf.Tensor) => linearCrossentropy(h, w, allIgnored, { ignoreIndex: -1 }))([hidden, weight]);
      assert.ok(dH!.dataSync().every((v) => v === 0) && dW!.dataSync().every((v) => v === 0), 'no gradient from ignored rows');
      tf.dispose([hidden, weight, labels, allIgnored, value, dH!, dW!]);
    });

    test('accepts plain arrays', () => {
      const hidden = [[0.5, -1], [2, 0.25], [-0.75, 1]];
      const weight = [[1, 0, -1], [0.5, 2, 0]];
      const labels = [0, 2, 1];
      const value = linearCrossentropy(hidden, weight, labels, { chunkSize: 2, reduction: 'none' });
      const reference = losses.sparseCategoricalCrossentropy({ fromLogits: true, reduction: 'none' })(labels, tf.matMul(tf.tensor2d(hidden), tf.tensor2d(weight)));
      assertClose(value, reference.dataSync(), { rtol: 1e-6 }, 'array inputs');
      tf.dispose([value, reference]);
    });

    test('no tensors leak, with or without gradients', () => {
      const hidden = normal([9, 4]);
      const weight = normal([4, 6]);
      const labels = randomLabels([9], 6, -100);
      for (const options of [{ chunkSize: 4, ignoreIndex: -100 }, { chunkSize: 2, ignoreIndex: -100, reduction: 'none' as const }]) {
        assertNoLeak(() => linearCrossentropy(hidden, weight, labels, options), 'value');
        assertNoLeak(() => tf.grads((h: tf.Tensor, w: tf.Tensor) => tf.sum(linearCrossentropy(h, w, labels, options)))([hidden, weight]), 'gradients');
      }
      tf.dispose([hidden, weight, labels]);
    });

    test('bad inputs raise LossInputError naming the argument', () => {
      const hidden = normal([4, 3]);
      const weight = normal([3, 5]);
      const labels = tf.tensor1d([0, 1, 4, 2], 'int32');
      const bad: [string, () => unknown][] = [
        ['hidden', () => linearCrossentropy(tf.zeros([3]), weight, labels)],
        ['weight', () => linearCrossentropy(hidden, tf.zeros([4, 5]), labels)],
        ['weight', () => linearCrossentropy(hidden, tf.zeros([3, 5, 1]), labels)],
        ['labels', () => linearCrossentropy(hidden, weight, tf.tensor1d([0, 1, 2], 'int32'))],
        ['labels', () => linearCrossentropy(hidden, weight, tf.tensor1d([0, 1, 5, 2], 'int32'))],
        ['labels', () => linearCrossentropy(hidden, weight, tf.tensor1d([0, -1, 1, 2], 'int32'))],
        ['labels', () => linearCrossentropy(hidden, weight, tf.tensor1d([0, 1.5, 1, 2]))],
        ['labels', () => linearCrossentropy(hidden, weight, 'nope' as never)],
        ['options.chunkSize', () => linearCrossentropy(hidden, weight, labels, { chunkSize: 0 })],
        ['options.chunkSize', () => linearCrossentropy(hidden, weight, labels, { chunkSize: 2.5 })],
        ['options.reduction', () => linearCrossentropy(hidden, weight, labels, { reduction: 'avg' as never })],
        ['options.ignoreIndex', () => linearCrossentropy(hidden, weight, labels, { ignoreIndex: 0.5 })],
        ['options.chunksize', () => linearCrossentropy(hidden, weight, labels, { chunksize: 4 } as never)],
      ];
      for (const [argument, call] of bad) {
        assert.throws(call, (e: Error & { argument?: string }) => e.name === 'LossInputError' && e.argument === argument && e.message.startsWith('linearCrossentropy:'), argument);
      }
      tf.dispose([hidden, weight, labels]);
    });
  });
}
