/**
 * Fused kernels vs the composite losses: values and gradients, on the golden fixtures (the PyTorch /
 * Keras reference values) and on random inputs with extreme values, on the cpu and wasm backends.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { seeded } from '../helpers/random.js';
import { losses, LossInputError, setValueChecks, type LossCall } from '../../src/index.js';
import { fusedAvailable, fusedKernelsReady, setFusedThreshold } from '../../src/kernels/index.js';
import { withFused } from '../helpers/fused.js';
import type { GoldenCase } from '../helpers/fixtures.js';

type Nested = number | Nested[];
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

const FUSED = new Set([
  'binaryCrossentropy',
  'binaryFocalCrossentropy',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'categoricalFocalCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'huber',
  'smoothL1',
  'logCosh',
]);


/** Max |x| of the reference, so gradient tolerances scale with the gradient (cancellation in the composite). */
const scaleOf = (values: ArrayLike<number>): number => Array.from(values).reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);

interface Compared {
  value: Float32Array;
  grad: Float32Array;
}

function evaluate(on: boolean, lossName: string, options: object, yTrue: tf.Tensor, yPred: tf.Tensor, call: LossCall = {}): Compared {
  return withFused(on, () => {
    const loss = losses.fromConfig({ name: lossName, ...options } as never);
    const value = loss(yTrue, yPred, call);
    // A non-uniform upstream gradient exercises the backward scaling per sample.
    const grad = tf.grad((p: tf.Tensor) => {
      const v = loss(yTrue, p, call);
      return tf.sum(tf.mul(v, tf.add(tf.range(0, v.size, 1, 'float32').reshape(v.shape), 1))) as tf.Scalar;
    })(yPred);
    const out = { value: value.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
    tf.dispose([value, grad]);
    return out;
  });
}

function assertParity(lossName: string, options: object, yTrue: tf.Tensor, yPred: tf.Tensor, call: LossCall = {}): void {
  const fused = evaluate(true, lossName, options, yTrue, yPred, call);
  const composite = evaluate(false, lossName, options, yTrue, yPred, call);
  assertClose(fused.value, composite.value, { rtol: 1e-5, atol: 1e-6 * Math.max(1, scaleOf(composite.value)) }, `${lossName} value`);
  assertClose(fused.grad, composite.grad, { rtol: 1e-4, atol: 1e-6 * Math.max(1e-3, scaleOf(composite.grad)) }, `${lossName} gradient`);
}

before(async () => {
  assert.equal(await fusedKernelsReady(), true, 'the fused kernels load in Node');
  setFusedThreshold(0); // small test inputs take the fused path too
});
after(() => {
  setFusedThreshold(4096);
});

for (const backend of BACKENDS) {
  describe(`fused kernels on ${backend}`, () => {
    before(async () => {
      await useBackend(backend);
    });

    test('the fused path is taken for float32 inputs and can be switched off', () => {
      const x = tf.zeros([2, 3]);
      assert.equal(fusedAvailable(x), true);
      withFused(false, () => assert.equal(fusedAvailable(x), false));
      const previous = setFusedThreshold(100);
      assert.equal(fusedAvailable(x), false, 'below the threshold');
      setFusedThreshold(previous);
      const ints = tf.zeros([2, 3], 'int32');
      assert.equal(fusedAvailable(ints), false, 'int32 predictions stay composite');
      const huge = { dtype: 'float32', size: 2 ** 28 + 1, shape: [2 ** 14, 2 ** 14 + 1] } as unknown as tf.Tensor;
      assert.equal(fusedAvailable(huge), false, 'above 2^28 elements the buffers would not fit in 4 GiB');
      tf.dispose([x, ints]);
    });

    for (const name of ['classification', 'regression']) {
      const { cases } = loadFixture<{ cases: GoldenCase[] }>(`catalog-${name}`);
      test(`golden fixtures (${name}): fused values and gradients match the references`, () => {
        let checked = 0;
        for (const c of cases.filter((k) => FUSED.has(k.loss))) {
          const yTrue = tf.tensor(c.yTrue as number[], undefined, c.yTrueDtype ?? 'float32');
          const yPred = tf.tensor(c.yPred as number[]);
          const call: LossCall = {};
          for (const [k, v] of Object.entries(c.call ?? {})) call[k] = tf.tensor(v as number[]);
          const label = `${c.loss} ${JSON.stringify(c.options)}`;
          const loss = losses.fromConfig({ name: c.loss, ...(c.options as object) } as never);
          withFused(true, () => {
            const value = loss(yTrue, yPred, call);
            assertClose(value, flat(c.value), { rtol: 1e-5, atol: 1e-5 }, `${label} value`);
            if (c.grad !== undefined) {
              const grad = tf.grad((p: tf.Tensor) => tf.sum(loss(yTrue, p, call)) as tf.Scalar)(yPred);
              assertClose(grad, flat(c.grad), { rtol: 1e-3, atol: 1e-5 }, `${label} gradient`);
              grad.dispose();
            }
            value.dispose();
          });
          assertParity(c.loss, c.options, yTrue, yPred, call);
          tf.dispose([yTrue, yPred, ...(Object.values(call) as tf.Tensor[])]);
          checked++;
        }
        assert.ok(checked > 20, `checked ${checked} fixture cases`);
      });
    }

    // ── random inputs, odd sizes (vector tails), extreme values ──
    const B = 7;
    const K = 37;
    const rand = seeded(12345);
    const array = (n: number, f: () => number) => Array.from({ length: n }, f);
    const logits = (shape: number[], extreme = false) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(array(n, () => (extreme && rand() < 0.3 ? (rand() < 0.5 ? -1e4 : 1e4) : (rand() - 0.5) * 12)), shape);
    };
    const probabilities = (shape: number[], extreme = false) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(array(n, () => (extreme && rand() < 0.3 ? (rand() < 0.5 ? 0 : 1) : rand())), shape);
    };
    const labels01 = (shape: number[], soft = false) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(array(n, () => (soft ? rand() : rand() < 0.4 ? 1 : 0)), shape);
    };

    const binaryCases: [string, object, boolean][] = [
      ['binaryCrossentropy', { fromLogits: true }, true],
      ['binaryCrossentropy', { fromLogits: true, labelSmoothing: 0.2, posWeight: 3 }, true],
      ['binaryCrossentropy', { fromLogits: true, posWeight: Array.from({ length: K }, (_, i) => 0.5 + (i % 4)) }, true],
      ['binaryCrossentropy', {}, false],
      ['binaryCrossentropy', { labelSmoothing: 0.1, posWeight: 2 }, false],
      ['binaryFocalCrossentropy', { fromLogits: true }, true],
      ['binaryFocalCrossentropy', { fromLogits: true, gamma: 0.5, applyClassBalancing: true, alpha: 0.3, labelSmoothing: 0.1 }, true],
      ['binaryFocalCrossentropy', { gamma: 1 }, false],
      ['binaryFocalCrossentropy', { gamma: 0, applyClassBalancing: true }, false],
      ['binaryFocalCrossentropy', { gamma: 3 }, false],
    ];
    for (const [lossName, options, fromLogits] of binaryCases) {
      for (const extreme of [false, true]) {
        test(`${lossName} ${JSON.stringify(options)}${extreme ? ' with extreme predictions' : ''}`, () => {
          for (const shape of [[B, K], [3, 2, 5], [K * 3]]) {
            if (shape[shape.length - 1] !== K && Array.isArray((options as { posWeight?: unknown }).posWeight)) continue;
            const yTrue = labels01(shape, extreme);
            const yPred = fromLogits ? logits(shape, extreme) : probabilities(shape, extreme);
            assertParity(lossName, options, yTrue, yPred);
            tf.dispose([yTrue, yPred]);
          }
        });
      }
    }

    const regressionCases: [string, object][] = [
      ['meanSquaredError', {}],
      ['meanAbsoluteError', {}],
      ['huber', {}],
      ['huber', { delta: 0.3 }],
      ['smoothL1', { beta: 0.7 }],
      ['smoothL1', { beta: 0 }],
      ['logCosh', {}],
    ];
    for (const [lossName, options] of regressionCases) {
      test(`${lossName} ${JSON.stringify(options)} incl. large errors`, () => {
        for (const shape of [[B, K], [2, 3, 4], [101]]) {
          const yTrue = logits(shape);
          const yPred = tf.tidy(() => tf.add(yTrue, tf.mul(logits(shape, true), 0.01)));
          assertParity(lossName, options, yTrue, yPred);
          tf.dispose([yTrue, yPred]);
        }
      });
    }

    const C = 13;
    test('categoricalCrossentropy from logits: soft targets, label smoothing, class weights, extreme logits', () => {
      const classWeight = Array.from({ length: C }, (_, i) => (i % 5 === 0 ? 0 : 0.5 + i / 7));
      for (const options of [{ fromLogits: true }, { fromLogits: true, labelSmoothing: 0.15 }, { fromLogits: true, classWeight }, { fromLogits: true, classWeight, labelSmoothing: 0.1, reduction: 'weightedMean' }]) {
        for (const extreme of [false, true]) {
          const yTrue = tf.tidy(() => tf.softmax(logits([B, C])));
          const oneHot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(array(B, () => Math.floor(rand() * C)), 'int32'), C), 'float32'));
          const yPred = logits([B, C], extreme);
          assertParity('categoricalCrossentropy', { ...options, reduction: (options as { reduction?: string }).reduction ?? 'none' }, yTrue, yPred);
          assertParity('categoricalCrossentropy', options, oneHot, yPred);
          tf.dispose([yTrue, oneHot, yPred]);
        }
      }
    });

    test('sparseCategoricalCrossentropy from logits: ignoreIndex, class weights, rank 3 with axis 1', () => {
      const classWeight = Array.from({ length: C }, (_, i) => 0.2 + i / 5);
      const labels = tf.tensor1d(array(B * 3, () => (rand() < 0.2 ? -100 : Math.floor(rand() * C))), 'int32');
      const yPred = logits([B * 3, C], true);
      for (const options of [{ fromLogits: true }, { fromLogits: true, ignoreIndex: -100 }, { fromLogits: true, ignoreIndex: -100, classWeight, reduction: 'weightedMean' }, { fromLogits: true, ignoreIndex: 2, reduction: 'none' }]) {
        const safe = (options as { ignoreIndex?: number }).ignoreIndex === -100 ? labels : tf.tidy(() => tf.maximum(labels, 0));
        assertParity('sparseCategoricalCrossentropy', options, safe, yPred);
        if (safe !== labels) safe.dispose();
      }
      const labels3 = tf.tensor2d(array(2 * 5, () => Math.floor(rand() * C)), [2, 5], 'int32');
      const yPred3 = logits([2, C, 5]);
      assertParity('sparseCategoricalCrossentropy', { fromLogits: true, axis: 1 }, labels3, yPred3);
      tf.dispose([labels, yPred, labels3, yPred3]);
    });

    test('categoricalFocalCrossentropy from logits', () => {
      for (const options of [{ fromLogits: true }, { fromLogits: true, gamma: 0.5, alpha: 1, labelSmoothing: 0.1 }, { fromLogits: true, gamma: 1 }, { fromLogits: true, gamma: 0 }]) {
        for (const extreme of [false, true]) {
          const yTrue = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(array(B, () => Math.floor(rand() * C)), 'int32'), C), 'float32'));
          const yPred = logits([B, C], extreme);
          assertParity('categoricalFocalCrossentropy', { ...options, reduction: 'none' }, yTrue, yPred);
          tf.dispose([yTrue, yPred]);
        }
      }
    });

    test('the gradient with respect to yTrue follows the composite formula', () => {
      const yTrue = labels01([B, K], true);
      const yPred = logits([B, K]);
      const gradOf = (on: boolean, name: string, options: object) =>
        withFused(on, () => {
          const loss = losses.fromConfig({ name, ...options } as never);
          return tf.grad((t: tf.Tensor) => loss(t, yPred) as tf.Scalar)(yTrue);
        });
      for (const [name, options] of [['binaryCrossentropy', { fromLogits: true, labelSmoothing: 0.1 }], ['meanSquaredError', {}], ['huber', {}]] as const) {
        const fused = gradOf(true, name, options);
        const composite = gradOf(false, name, options);
        assertClose(fused, composite.dataSync(), { rtol: 1e-5, atol: 1e-7 }, `${name} d/dyTrue`);
        tf.dispose([fused, composite]);
      }
      tf.dispose([yTrue, yPred]);
    });

    test('the gradient with respect to int32 labels is float32 zeros, as on the composite path', () => {
      const labels = tf.tensor1d(array(B, () => Math.floor(rand() * K)), 'int32');
      const yPred = logits([B, K]);
      const loss = losses.sparseCategoricalCrossentropy({ fromLogits: true });
      for (const on of [true, false]) {
        const [dLabels, dLogits] = withFused(on, () => tf.grads((t: tf.Tensor, p: tf.Tensor) => loss(t, p) as tf.Scalar)([labels, yPred]));
        assert.equal(dLabels!.dtype, 'float32');
        assert.deepEqual(Array.from(dLabels!.dataSync()), array(B, () => 0));
        assert.ok(Array.from(dLogits!.dataSync()).some((v) => v !== 0));
        tf.dispose([dLabels!, dLogits!]);
      }
      tf.dispose([labels, yPred]);
    });

    test('no tensors leak, with or without a gradient', () => {
      const yTrue = labels01([B, K]);
      const yPred = logits([B, K]);
      const labels = tf.tensor1d(array(B, () => Math.floor(rand() * K)), 'int32');
      for (const [name, options, target] of [
        ['binaryCrossentropy', { fromLogits: true }, yTrue],
        ['huber', {}, yTrue],
        ['sparseCategoricalCrossentropy', { fromLogits: true, ignoreIndex: 0 }, labels],
        ['categoricalFocalCrossentropy', { fromLogits: true }, yTrue],
      ] as const) {
        const loss = losses.fromConfig({ name, ...options } as never);
        assertNoLeak(() => loss(target, yPred), `${name} value`);
        assertNoLeak(() => tf.grad((p: tf.Tensor) => loss(target, p) as tf.Scalar)(yPred), `${name} gradient`);
      }
      tf.dispose([yTrue, yPred, labels]);
    });

    test('a NaN prediction: the same LossInputError on both paths, and with value checks off the same NaN entries', () => {
      const nanAt = (t: tf.Tensor) => tf.tidy(() => tf.where(tf.equal(tf.range(0, t.size).reshape(t.shape), 5), tf.fill(t.shape, Number.NaN), t));
      const yTrue = labels01([B, K]);
      const yPred = nanAt(logits([B, K]));
      const labels = tf.tensor1d(array(B, () => Math.floor(rand() * K)), 'int32');
      for (const [name, options, target] of [
        ['binaryCrossentropy', { fromLogits: true, reduction: 'none' }, yTrue],
        ['binaryFocalCrossentropy', { fromLogits: true, reduction: 'none' }, yTrue],
        ['huber', { reduction: 'none' }, yTrue],
        ['logCosh', { reduction: 'none' }, yTrue],
        ['sparseCategoricalCrossentropy', { fromLogits: true, reduction: 'none' }, labels],
        ['categoricalCrossentropy', { fromLogits: true, reduction: 'none' }, yTrue],
        ['categoricalFocalCrossentropy', { fromLogits: true, reduction: 'none' }, yTrue],
      ] as const) {
        for (const fusedOn of [true, false]) {
          assert.throws(() => evaluate(fusedOn, name, options, target, yPred), (e: unknown) => e instanceof LossInputError && e.argument === 'yPred' && /at index \[0,5\]/.test(e.message));
        }
        const previous = setValueChecks(false); // non-finite inputs are then the caller's responsibility
        const fused = evaluate(true, name, options, target, yPred);
        const composite = evaluate(false, name, options, target, yPred);
        setValueChecks(previous);
        assert.ok(Number.isNaN(composite.value[0]), `${name}: the composite gives NaN for the sample with the NaN`);
        assertClose(fused.value, composite.value, { rtol: 1e-5, atol: 1e-5 * Math.max(1, scaleOf(composite.value)) }, `${name} value`);
        assert.deepEqual(Array.from(fused.grad, Number.isNaN), Array.from(composite.grad, Number.isNaN), `${name}: NaN gradient entries`);
      }
      tf.dispose([yTrue, yPred, labels]);
    });

    test('bad options still raise LossInputError on the fused path', () => {
      const loss = losses.binaryCrossentropy({ fromLogits: true, posWeight: [1, 2] });
      const yPred = logits([B, K]);
      const yTrue = labels01([B, K]);
      assert.throws(() => loss(yTrue, yPred), (e: Error) => e.name === 'LossInputError' && /options\.posWeight/.test(e.message));
      tf.dispose([yTrue, yPred]);
    });
  });
}
