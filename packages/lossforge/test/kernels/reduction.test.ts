/**
 * The fused kernels owning the whole path (src/kernels/fused.ts, setReduction in losses.as): the
 * reduced value and its gradient computed in the kernel's pass for `sum`, `mean` and `weightedMean`,
 * with sample weights, masks, class weights and ignoreIndex, and the value checks counted in the same
 * pass. Fused vs composite (values and gradients, 1e-5 relative) on the user shapes ([N], [N, 1],
 * [B, K], [B, H, W, C], class axis 1), every reduction, on the cpu and wasm backends; bad inputs give
 * the composite's LossInputError; no tfjs kernel runs over the per-sample values.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertNoLeak } from '../helpers/assert.js';
import { seeded } from '../helpers/random.js';
import { withFused } from '../helpers/fused.js';
import { losses, LossInputError, type LossCall } from '../../src/index.js';
import { fusedKernelsReady, setFusedThreshold } from '../../src/kernels/index.js';

const REDUCTIONS = ['none', 'sum', 'mean', 'weightedMean'] as const;
const rand = seeded(20261204);
const array = (n: number, f: () => number) => Array.from({ length: n }, f);
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const uniform = (shape: number[], lo: number, hi: number) => tf.tensor(array(sizeOf(shape), () => lo + (hi - lo) * rand()), shape);
const bits = (shape: number[], p = 0.4) => tf.tensor(array(sizeOf(shape), () => (rand() < p ? 1 : 0)), shape);

interface Result {
  value: Float32Array;
  grad: Float32Array;
  /** d/d sampleWeight, when the call has one. */
  weightGrad?: Float32Array;
  /** d/d yTrue, for float32 targets. */
  trueGrad?: Float32Array;
}

/**
 * Value and gradients of `3·Σ(loss · (1 + index))`: a non-uniform upstream gradient for `none`, a
 * scalar one otherwise; and the gradients with respect to the sample weight, when given, and float32
 * targets.
 */
function evaluate(on: boolean, name: string, options: object, yTrue: tf.Tensor, yPred: tf.Tensor, call: LossCall): Result {
  return withFused(on, () => {
    const loss = losses.fromConfig({ name, ...options } as never);
    const value = loss(yTrue, yPred, call);
    const upstream = (v: tf.Tensor) => tf.sum(tf.mul(v, tf.mul(tf.add(tf.range(0, v.size, 1, 'float32').reshape(v.shape), 1), 3))) as tf.Scalar;
    const grad = tf.grad((p: tf.Tensor) => upstream(loss(yTrue, p, call)))(yPred);
    const sw = call.sampleWeight as tf.Tensor | undefined;
    const weightGrad = sw && tf.grad((w: tf.Tensor) => upstream(loss(yTrue, yPred, { ...call, sampleWeight: w })))(sw);
    const trueGrad = yTrue.dtype === 'float32' ? tf.grad((t: tf.Tensor) => upstream(loss(t, yPred, call)))(yTrue) : undefined;
    const read = (t: tf.Tensor | undefined) => t?.dataSync() as Float32Array | undefined;
    const out = { value: read(value)!, grad: read(grad)!, weightGrad: read(weightGrad), trueGrad: read(trueGrad) };
    tf.dispose([value, grad, ...(weightGrad ? [weightGrad] : []), ...(trueGrad ? [trueGrad] : [])]);
    return out;
  });
}

const scaleOf = (values: ArrayLike<number>): number => Array.from(values).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function assertParity(name: string, options: object, yTrue: tf.Tensor, yPred: tf.Tensor, call: LossCall, what: string): void {
  const fused = evaluate(true, name, options, yTrue, yPred, call);
  const composite = evaluate(false, name, options, yTrue, yPred, call);
  assertClose(fused.value, composite.value, { rtol: 1e-5, atol: 1e-6 * Math.max(1, scaleOf(composite.value)) }, `${what} value`);
  assertClose(fused.grad, composite.grad, { rtol: 1e-5, atol: 1e-6 * Math.max(1e-3, scaleOf(composite.grad)) }, `${what} gradient`);
  if (composite.trueGrad) {
    assertClose(fused.trueGrad!, composite.trueGrad, { rtol: 1e-5, atol: 1e-6 * Math.max(1e-3, scaleOf(composite.trueGrad)) }, `${what} d/dyTrue`);
  }
  if (composite.weightGrad) {
    assertClose(fused.weightGrad!, composite.weightGrad, { rtol: 1e-5, atol: 1e-6 * Math.max(1e-3, scaleOf(composite.weightGrad)) }, `${what} d/dsampleWeight`);
  }
}

/** The calls of every parity case: nothing, sample weights (some 0), a mask, both. */
function calls(weightShape: number[]): [string, () => LossCall][] {
  const weight = () => tf.tensor(array(sizeOf(weightShape), () => (rand() < 0.1 ? 0 : 2 * rand())), weightShape);
  return [
    ['no weights', () => ({})],
    ['sampleWeight', () => ({ sampleWeight: weight() })],
    ['mask', () => ({ mask: bits(weightShape, 0.7) })],
    ['sampleWeight and mask', () => ({ sampleWeight: weight(), mask: bits(weightShape, 0.7) })],
  ];
}

const disposeCall = (call: LossCall) => tf.dispose(Object.values(call).filter((v): v is tf.Tensor => v instanceof tf.Tensor));

/** Names of the tfjs kernels a call runs, and of those with an output of at least `size` elements. */
async function kernelsOf(run: () => tf.Tensor, size: number): Promise<{ all: string[]; big: string[] }> {
  const info = await tf.profile(run);
  const big = info.kernels.filter((k) => k.outputShapes.some((s) => sizeOf(s as number[]) >= size));
  return { all: info.kernels.map((k) => k.name), big: big.map((k) => k.name) };
}

before(async () => {
  assert.equal(await fusedKernelsReady(), true, 'the fused kernels load in Node');
  setFusedThreshold(0); // small test inputs take the fused path too
});
after(() => {
  setFusedThreshold(4096);
});

const N = 203; // vector tails: not a multiple of 4, more than one SUM_BLOCK
const ELEMENTWISE: [string, object, 'logits' | 'probabilities' | 'regression'][] = [
  ['binaryCrossentropy', { fromLogits: true }, 'logits'],
  ['binaryCrossentropy', { fromLogits: true, labelSmoothing: 0.1, posWeight: 2.5 }, 'logits'],
  ['binaryCrossentropy', {}, 'probabilities'],
  ['binaryFocalCrossentropy', { fromLogits: true }, 'logits'],
  ['binaryFocalCrossentropy', { gamma: 1.5, applyClassBalancing: true }, 'probabilities'],
  ['meanSquaredError', {}, 'regression'],
  ['meanAbsoluteError', {}, 'regression'],
  ['huber', { delta: 0.5 }, 'regression'],
  ['smoothL1', { beta: 0.7 }, 'regression'],
  ['logCosh', {}, 'regression'],
];

function elementwiseInputs(kind: 'logits' | 'probabilities' | 'regression', shape: number[]): [tf.Tensor, tf.Tensor] {
  if (kind === 'regression') return [uniform(shape, -3, 3), uniform(shape, -3, 3)];
  return [bits(shape), kind === 'logits' ? uniform(shape, -8, 8) : uniform(shape, 0, 1)];
}

for (const backend of BACKENDS) {
  describe(`fused reductions on ${backend}`, () => {
    before(async () => {
      await useBackend(backend);
    });

    for (const [name, options, kind] of ELEMENTWISE) {
      test(`${name} ${JSON.stringify(options)}: [N], [N, 1], [B, K], every reduction and weighting`, () => {
        for (const shape of [[N], [N, 1], [9, 7]]) {
          const [yTrue, yPred] = elementwiseInputs(kind, shape);
          const weightShapes = shape.length === 1 ? [[N]] : [[shape[0]!], [shape[0]!, 1]];
          for (const weightShape of weightShapes) {
            for (const [label, makeCall] of calls(weightShape)) {
              const call = makeCall();
              for (const reduction of REDUCTIONS) {
                assertParity(name, { ...options, reduction }, yTrue, yPred, call, `${name} [${shape}] ${label} [${weightShape}] ${reduction}`);
              }
              disposeCall(call);
            }
          }
          tf.dispose([yTrue, yPred]);
        }
      });
    }

    const C = 11;
    const oneHot = (rows: number) => tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(array(rows, () => Math.floor(rand() * C)), 'int32'), C), 'float32'));
    const classWeight = array(C, () => (rand() < 0.2 ? 0 : 0.3 + 2 * rand()));

    test('categoricalCrossentropy and categoricalFocalCrossentropy from logits: [B, K], class weights, label smoothing', () => {
      const B = 37;
      const cases: [string, object][] = [
        ['categoricalCrossentropy', { fromLogits: true }],
        ['categoricalCrossentropy', { fromLogits: true, labelSmoothing: 0.1, classWeight }],
        ['categoricalFocalCrossentropy', { fromLogits: true }],
        ['categoricalFocalCrossentropy', { fromLogits: true, gamma: 0.5, labelSmoothing: 0.1 }],
      ];
      const yTrue = oneHot(B);
      const soft = tf.tidy(() => tf.softmax(uniform([B, C], -2, 2)));
      const yPred = uniform([B, C], -6, 6);
      for (const [name, options] of cases) {
        for (const target of [yTrue, soft]) {
          for (const [label, makeCall] of calls([B])) {
            const call = makeCall();
            for (const reduction of REDUCTIONS) assertParity(name, { ...options, reduction }, target, yPred, call, `${name} ${JSON.stringify(options)} ${label} ${reduction}`);
            disposeCall(call);
          }
        }
      }
      tf.dispose([yTrue, soft, yPred]);
    });

    test('sparseCategoricalCrossentropy from logits: [B, K], ignoreIndex (outside and inside the classes), class weights', () => {
      const B = 41;
      const labels = tf.tensor1d(array(B, () => (rand() < 0.2 ? -100 : Math.floor(rand() * C))), 'int32');
      const inRange = tf.tensor1d(array(B, () => Math.floor(rand() * C)), 'int32');
      const yPred = uniform([B, C], -6, 6);
      const cases: [object, tf.Tensor][] = [
        [{ fromLogits: true }, inRange],
        [{ fromLogits: true, ignoreIndex: -100 }, labels],
        [{ fromLogits: true, ignoreIndex: 3, classWeight }, inRange],
        [{ fromLogits: true, ignoreIndex: -100, classWeight }, labels],
      ];
      for (const [options, target] of cases) {
        for (const [label, makeCall] of calls([B])) {
          const call = makeCall();
          for (const reduction of REDUCTIONS) assertParity('sparseCategoricalCrossentropy', { ...options, reduction }, target, yPred, call, `sparse ${JSON.stringify(options)} ${label} ${reduction}`);
          disposeCall(call);
        }
      }
      tf.dispose([labels, inRange, yPred]);
    });

    test('the softmax family on [B, H, W, C] and with the class axis at 1 ([B, C, L])', () => {
      const B = 3;
      const yPred4 = uniform([B, 4, 5, C], -5, 5);
      const yTrue4 = tf.tidy(() => tf.reshape(oneHot(B * 20), [B, 4, 5, C]));
      const labels4 = tf.tensor(array(B * 20, () => Math.floor(rand() * C)), [B, 4, 5], 'int32');
      const yPredAxis1 = uniform([B, C, 6], -5, 5);
      const labelsAxis1 = tf.tensor(array(B * 6, () => (rand() < 0.2 ? 255 : Math.floor(rand() * C))), [B, 6], 'int32');
      const yTrueAxis1 = tf.tidy(() => tf.transpose(tf.reshape(oneHot(B * 6), [B, 6, C]), [0, 2, 1]));
      for (const reduction of REDUCTIONS) {
        const mask4 = bits([B, 4, 5], 0.7);
        const weight4 = uniform([B], 0, 2);
        assertParity('categoricalCrossentropy', { fromLogits: true, reduction, classWeight }, yTrue4, yPred4, { mask: mask4 }, `cce [B,H,W,C] ${reduction}`);
        assertParity('sparseCategoricalCrossentropy', { fromLogits: true, reduction }, labels4, yPred4, { sampleWeight: weight4 }, `scce [B,H,W,C] ${reduction}`);
        assertParity('categoricalFocalCrossentropy', { fromLogits: true, reduction }, yTrue4, yPred4, { sampleWeight: weight4, mask: mask4 }, `focal [B,H,W,C] ${reduction}`);
        assertParity('sparseCategoricalCrossentropy', { fromLogits: true, axis: 1, ignoreIndex: 255, classWeight, reduction }, labelsAxis1, yPredAxis1, { sampleWeight: weight4 }, `scce axis 1 ${reduction}`);
        assertParity('categoricalCrossentropy', { fromLogits: true, axis: 1, reduction }, yTrueAxis1, yPredAxis1, {}, `cce axis 1 ${reduction}`);
        tf.dispose([mask4, weight4]);
      }
      tf.dispose([yPred4, yTrue4, labels4, yPredAxis1, labelsAxis1, yTrueAxis1]);
    });

    test('everything masked: 0 with a zero gradient, as the composite', () => {
      const [yTrue, yPred] = elementwiseInputs('logits', [N, 1]);
      const mask = tf.zeros([N]);
      for (const reduction of ['sum', 'mean', 'weightedMean']) {
        assertParity('binaryCrossentropy', { fromLogits: true, reduction }, yTrue, yPred, { mask }, `all masked ${reduction}`);
      }
      tf.dispose([yTrue, yPred, mask]);
    });

    test('a reduced call runs no tfjs kernel over the per-sample values and leaks nothing', async () => {
      const n = 4096;
      const [yTrue, yPred] = elementwiseInputs('logits', [n, 1]);
      const sampleWeight = uniform([n], 0, 1);
      const mask = bits([n], 0.8);
      const labels = tf.tensor1d(array(n, () => Math.floor(rand() * 4)), 'int32');
      const logits = uniform([n, 4], -3, 3);
      const runs: [string, tf.Tensor, (p: tf.Tensor) => tf.Tensor][] = [
        ['binaryCrossentropy', yPred, (p) => losses.binaryCrossentropy({ fromLogits: true })(yTrue, p, { sampleWeight, mask })],
        ['huber', yPred, (p) => losses.huber({ reduction: 'weightedMean' })(yTrue, p, { sampleWeight })],
        ['meanSquaredError', yPred, (p) => losses.meanSquaredError()(yTrue, p)],
        ['sparseCategoricalCrossentropy', logits, (p) => losses.sparseCategoricalCrossentropy({ fromLogits: true, classWeight: [1, 2, 3, 4] })(labels, p, { mask })],
      ];
      for (const [name, input, run] of runs) {
        const forward = await kernelsOf(() => run(input), n);
        // What may touch n values: the fused kernels, their uninitialized gradient buffer, and views.
        const allowed = /^(Lossforge|Reshape|Identity|Cast)/;
        assert.ok(forward.all.some((k) => k.startsWith('LossforgeFused')), `${name}: the fused kernel ran (${forward.all})`);
        assert.deepEqual(forward.big.filter((k) => !allowed.test(k)), [], `${name}: kernels over the per-sample values`);
        const backward = await kernelsOf(() => tf.grad((p: tf.Tensor) => run(p) as tf.Scalar)(input), n);
        assert.deepEqual(backward.big.filter((k) => !allowed.test(k)), [], `${name}: kernels over the per-sample values, with the gradient`);
        assertNoLeak(() => run(input), `${name} value`);
        assertNoLeak(() => tf.grad((p: tf.Tensor) => run(p) as tf.Scalar)(input), `${name} gradient`);
      }
      tf.dispose([yTrue, yPred, sampleWeight, mask, labels, logits]);
    });

    test('bad inputs: the same LossInputError (first bad index) as the composite, on the reduced path', () => {
      const n = 203;
      const at = (t: tf.Tensor, index: number, value: number) => {
        const values = t.arraySync() as number[] | number[][];
        const flat = (values as unknown[]).flat() as number[];
        flat[index] = value;
        return tf.tensor(flat, t.shape);
      };
      const [labels01, logits] = elementwiseInputs('logits', [n, 1]);
      const probs = uniform([n, 1], 0, 1);
      const targets = uniform([n, 1], -1, 1);
      const sparseLabels = tf.tensor1d(array(n, () => Math.floor(rand() * C)), 'int32');
      const classLogits = uniform([n, C], -3, 3);
      const cases: [string, object, tf.Tensor, tf.Tensor][] = [
        ['binaryCrossentropy', { fromLogits: true }, labels01, at(logits, 77, NaN)],
        ['binaryCrossentropy', { fromLogits: true }, at(labels01, 101, 1.5), at(logits, 77, Infinity)],
        ['binaryCrossentropy', {}, labels01, at(probs, 150, 1.25)],
        ['binaryFocalCrossentropy', {}, at(labels01, 3, -0.5), probs],
        ['meanSquaredError', {}, targets, at(targets, 202, -Infinity)],
        ['huber', {}, at(targets, 9, NaN), targets],
        ['sparseCategoricalCrossentropy', { fromLogits: true }, at(sparseLabels, 40, C), classLogits],
        ['sparseCategoricalCrossentropy', { fromLogits: true }, sparseLabels, at(classLogits, 5 * C + 2, NaN)],
        ['categoricalCrossentropy', { fromLogits: true }, at(tf.oneHot(sparseLabels, C).cast('float32'), 7, 2), classLogits],
        ['categoricalFocalCrossentropy', { fromLogits: true }, tf.oneHot(sparseLabels, C).cast('float32'), at(classLogits, 3, -Infinity)],
      ];
      for (const [name, options, yTrue, yPred] of cases) {
        for (const reduction of REDUCTIONS) {
          const message = (on: boolean) =>
            withFused(on, () => {
              const loss = losses.fromConfig({ name, ...options, reduction } as never);
              try {
                tf.dispose(tf.grad((p: tf.Tensor) => tf.sum(loss(yTrue, p)) as tf.Scalar)(yPred));
              } catch (e) {
                assert.ok(e instanceof LossInputError, `${name}: ${String(e)}`);
                return e.message;
              }
              return 'no error';
            });
          const composite = message(false);
          assert.notEqual(composite, 'no error', `${name}: the composite rejects the input`);
          assert.equal(message(true), composite, `${name} ${reduction}`);
          assertNoLeak(() => void message(true), `${name} rejected call`);
        }
      }
      tf.dispose([labels01, logits, probs, targets, sparseLabels, classLogits]);
    });
  });
}
