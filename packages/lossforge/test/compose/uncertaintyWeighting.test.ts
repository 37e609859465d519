import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { losses, uncertaintyWeighting } from '../../src/index.js';

await useBackend('cpu');

type Nested = number | Nested[];
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
interface Case { fn: string; logVariances?: number[]; value: number; gradS?: Nested; gradA: Nested; gradB: Nested }
const fixture = loadFixture<{ yA: Nested; pA: Nested; yB: Nested; pB: Nested; cases: Case[] }>('compose');

for (const backend of BACKENDS) {
  describe(`uncertaintyWeighting matches the float64 formula on ${backend}`, () => {
    fixture.cases.filter((c) => c.fn === 'uncertaintyWeighting').forEach((c) => {
      test(`s = ${JSON.stringify(c.logVariances)}`, async () => {
        await useBackend(backend);
        const loss = uncertaintyWeighting([losses.meanSquaredError(), losses.meanAbsoluteError()], { initialLogVariance: c.logVariances });
        const [yA, pA, yB, pB] = [fixture.yA, fixture.pA, fixture.yB, fixture.pB].map((v) => tf.tensor(v as number[]));
        assertClose(loss([yA!, yB!], [pA!, pB!]), c.value, { rtol: 1e-5 });
        const { value, grads } = tf.variableGrads(() => loss([yA!, yB!], [pA!, pB!]), [...loss.logVariances]);
        assertClose(loss.logVariances.map((v) => grads[v.name]!.dataSync()[0]!), flat(c.gradS!), { rtol: 1e-4, atol: 1e-6 }, 'd/ds');
        const [gA, gB] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss([yA!, yB!], [a, b]))([pA!, pB!]);
        assertClose(gA!, flat(c.gradA), { rtol: 1e-3, atol: 1e-5 }, 'd/dpredA');
        assertClose(gB!, flat(c.gradB), { rtol: 1e-3, atol: 1e-5 }, 'd/dpredB');
        tf.dispose([yA!, pA!, yB!, pB!, value, gA!, gB!, ...Object.values(grads)]);
        loss.dispose();
      });
    });
  });
}

test('learns the noise-variance ratio of two regression tasks (σ₁ = 0.5, σ₂ = 2) in a custom loop', () => {
  const n = 2000;
  const x = tf.randomNormal([n, 4], 0, 1, 'float32', 1);
  const noise1 = tf.randomNormal([n, 1], 0, 0.5, 'float32', 2);
  const noise2 = tf.randomNormal([n, 1], 0, 2, 'float32', 3);
  const y1 = tf.tidy(() => tf.add(tf.matMul(x, tf.tensor2d([[1], [-2], [0.5], [3]])), noise1));
  const y2 = tf.tidy(() => tf.add(tf.matMul(x, tf.tensor2d([[-1], [0], [2], [1]])), noise2));
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) })] });
  const loss = uncertaintyWeighting({ first: losses.meanSquaredError(), second: losses.meanSquaredError() });
  const vars = [...model.trainableWeights.map((w) => w.read() as tf.Variable), ...loss.logVariances];
  const optimizer = tf.train.adam(0.1);
  const heads = (out: tf.Tensor) => tf.split(out, 2, 1);
  for (let step = 0; step < 300; step++) {
    optimizer.minimize(() => {
      const [p1, p2] = heads(model.apply(x) as tf.Tensor);
      return loss({ first: y1, second: y2 }, { first: p1!, second: p2! });
    }, false, vars);
  }
  const [v1, v2] = loss.variances();
  const sampleVariance = (t: tf.Tensor) => tf.tidy(() => tf.moments(t).variance.dataSync()[0]!);
  const empirical = sampleVariance(noise2) / sampleVariance(noise1);
  // Stated tolerances: exp(s₂ − s₁) within 10% of the true ratio σ₂²/σ₁² = 16 (the sampling error of
  // the ratio with n = 2000 is about 4%; this seed's noise has ratio 15.27), within 2% of the ratio of
  // the noise actually drawn, and each σᵢ² within 10% of the truth. (Measured: 15.22.)
  const learned = v2! / v1!;
  assert.ok(Math.abs(learned / 16 - 1) < 0.1, `learned exp(s₂ − s₁) = ${learned.toFixed(2)}, true 16`);
  assert.ok(Math.abs(learned / empirical - 1) < 0.02, `learned ${learned.toFixed(2)}, ratio of the sampled noise ${empirical.toFixed(2)}`);
  assert.ok(Math.abs(v1! / 0.25 - 1) < 0.1, `σ₁² learned ${v1}`);
  assert.ok(Math.abs(v2! / 4 - 1) < 0.1, `σ₂² learned ${v2}`);
  assertClose(loss.weights(), [1 / v1!, 1 / v2!], { rtol: 1e-5 });
  tf.dispose([x, noise1, noise2, y1, y2]);
  optimizer.dispose();
  model.dispose();
  loss.dispose();
});

test('names, config, dispose', () => {
  const loss = uncertaintyWeighting({ depth: losses.huber({ delta: 2 }), edges: 'mae' }, { initialLogVariance: [0.5, -1] });
  assert.deepEqual(loss.names, ['depth', 'edges']);
  assert.deepEqual(loss.getConfig(), {
    name: 'uncertaintyWeighting',
    losses: { depth: { name: 'huber', delta: 2, reduction: 'mean' }, edges: { name: 'meanAbsoluteError', reduction: 'mean' } },
    logVariances: [0.5, -1],
  });
  assert.ok(loss.logVariances.every((v) => v.trainable && v.rank === 0));
  const shared = uncertaintyWeighting(['mse', 'mae'], { initialLogVariance: 0.5 });
  assert.deepEqual(shared.getConfig().logVariances, [0.5, 0.5], 'one number initializes every task');
  assertClose(shared.weights(), [Math.exp(-0.5), Math.exp(-0.5)]);
  assertClose(shared.variances(), [Math.exp(0.5), Math.exp(0.5)]);
  shared.dispose();
  const before = tf.memory().numTensors;
  loss.dispose();
  assert.equal(tf.memory().numTensors, before - 2, 'dispose frees the two variables');
});

describe('bad inputs raise LossInputError naming the argument', () => {
  const y = tf.tensor2d([[1], [2]]);
  const cases: [string, () => unknown, RegExp][] = [
    ['no tasks', () => uncertaintyWeighting([]), /uncertaintyWeighting: losses: expected at least one task/],
    ['not a loss', () => uncertaintyWeighting([3 as never]), /losses\.0: expected a loss/],
    ['unknown loss name', () => uncertaintyWeighting(['nope']), /losses: identifier: expected a registered loss name/],
    ['bad initial values', () => uncertaintyWeighting(['mse', 'mae'], { initialLogVariance: [1] }), /options\.initialLogVariance: expected a finite number or 2 finite numbers/],
    ['unknown option', () => uncertaintyWeighting(['mse'], { init: 1 } as never), /options\.init/],
    ['options not an object', () => uncertaintyWeighting(['mse'], 3 as never), /uncertaintyWeighting: options: expected an options object or undefined, got 3/],
    ['a non-finite initial value', () => uncertaintyWeighting(['mse', 'mae'], { initialLogVariance: [0, NaN] }), /options\.initialLogVariance: expected a finite number or 2 finite numbers \(one per task\), got \[0, NaN\]/],
    ['a non-number initial value', () => uncertaintyWeighting(['mse'], { initialLogVariance: '1' as never }), /options\.initialLogVariance: expected a finite number or 1 finite numbers/],
    ['missing task value', () => uncertaintyWeighting({ a: 'mse', b: 'mse' })({ a: y }, { a: y, b: y }), /yTrues\.b: expected a value for every task/],
    ['unknown task value', () => uncertaintyWeighting({ a: 'mse' })({ a: y, c: y }, { a: y }), /yTrues\.c: expected one of the tasks \(a\)/],
    ['wrong count', () => uncertaintyWeighting(['mse', 'mse'])([y], [y, y]), /yTrues: expected one entry per task \(2/],
  ];
  for (const [what, fn, message] of cases) {
    test(what, () => assertLossInputError(fn, undefined, message));
  }
});

test('no leaks (call and gradient)', () => {
  const loss = uncertaintyWeighting([losses.meanSquaredError(), losses.meanAbsoluteError()]);
  const y = tf.tensor2d([[1], [2]]);
  const p = tf.tensor2d([[0], [3]]);
  assertNoLeak(() => loss([y, y], [p, p]));
  assertNoLeak(() => {
    const { value, grads } = tf.variableGrads(() => loss([y, y], [p, p]), [...loss.logVariances]);
    return [value, ...Object.values(grads)];
  });
  tf.dispose([y, p]);
  loss.dispose();
});
