import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { combine, losses } from '../../src/index.js';

await useBackend('cpu');

type Nested = number | Nested[];
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
interface Case { fn: string; weights?: number[]; value: number; gradA: Nested; gradB: Nested }
const fixture = loadFixture<{ yA: Nested; pA: Nested; yB: Nested; pB: Nested; cases: Case[] }>('compose');

for (const backend of BACKENDS) {
  describe(`combine matches PyTorch (mse_loss, huber_loss) on ${backend}`, () => {
    fixture.cases.filter((c) => c.fn === 'combine').forEach((c) => {
      test(`weights ${JSON.stringify(c.weights)}`, async () => {
        await useBackend(backend);
        const [wa, wb] = c.weights!;
        const loss = combine({ a: [losses.meanSquaredError(), wa!], b: [losses.huber({ delta: 1 }), wb!] });
        const [yA, pA, yB, pB] = [fixture.yA, fixture.pA, fixture.yB, fixture.pB].map((v) => tf.tensor(v as number[]));
        assertClose(loss({ a: yA!, b: yB! }, { a: pA!, b: pB! }), c.value, { rtol: 1e-5 });
        assertClose(loss([yA!, yB!], [pA!, pB!]), c.value, { rtol: 1e-5 }, 'arrays in task order');
        const [gA, gB] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss({ a: yA!, b: yB! }, { a, b }))([pA!, pB!]);
        assertClose(gA!, flat(c.gradA), { rtol: 1e-3, atol: 1e-5 }, 'd/dpredA');
        assertClose(gB!, flat(c.gradB), { rtol: 1e-3, atol: 1e-5 }, 'd/dpredB');
        // The per-output losses for compile are the weighted terms.
        assertClose(loss.losses.a!(yA!, pA!), loss.terms({ a: yA!, b: yB! }, { a: pA!, b: pB! }).a!.dataSync()[0]!, { rtol: 1e-6 });
        tf.dispose([yA!, pA!, yB!, pB!, gA!, gB!]);
      });
    });
  });
}

/** A two-output functional model: a shared layer, then heads named 'price' and 'score'. */
function twoHeads() {
  const input = tf.input({ shape: [3] });
  const shared = tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const price = tf.layers.dense({ units: 1, name: 'price', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(shared) as tf.SymbolicTensor;
  const score = tf.layers.dense({ units: 1, name: 'score', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(shared) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [price, score] });
}

const x = tf.randomNormal([32, 3], 0, 1, 'float32', 5);
const yPrice = tf.randomNormal([32, 1], 0, 1, 'float32', 6);
const yScore = tf.randomNormal([32, 1], 0, 1, 'float32', 7);

describe('with model.compile / fit / evaluate', () => {
  test('a dict of weighted losses: fit reports wₖ·Lₖ per output and their sum', async () => {
    const model = twoHeads();
    const loss = combine({ price: [losses.meanSquaredError(), 2], score: [losses.meanAbsoluteError(), 0.5] });
    // Learning rate 0: one fit step reports the losses at the initial weights. (Not model.evaluate:
    // tfjs-layers 4.22's evaluate returns running sums for multi-output models.)
    model.compile({ optimizer: tf.train.sgd(0), loss: loss.losses as never });
    const { history } = await model.fit(x, [yPrice, yScore], { epochs: 1, batchSize: 32, verbose: 0 });
    const [pPrice, pScore] = model.predict(x) as tf.Tensor[];
    // References: tfjs-core's own losses.
    const mse = tf.losses.meanSquaredError(yPrice, pPrice!).dataSync()[0]!;
    const mae = tf.losses.absoluteDifference(yScore, pScore!).dataSync()[0]!;
    assertClose(history['price_loss']![0] as number, 2 * mse, { rtol: 1e-5 });
    assertClose(history['score_loss']![0] as number, 0.5 * mae, { rtol: 1e-5 });
    assertClose(history['loss']![0] as number, 2 * mse + 0.5 * mae, { rtol: 1e-5 });
    assertClose(loss({ price: yPrice, score: yScore }, { price: pPrice!, score: pScore! }), 2 * mse + 0.5 * mae, { rtol: 1e-5 }, 'the custom-loop total');
    tf.dispose([pPrice!, pScore!]);
    model.dispose();
  });

  test('weights act in fit: an output with weight 0 leaves its head untouched (array form, by position)', async () => {
    const model = twoHeads();
    const loss = combine([[losses.meanSquaredError(), 1], [losses.meanSquaredError(), 0]]);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: loss.list as never });
    const head = (name: string) => model.getLayer(name).getWeights()[0]!.dataSync().slice();
    const [priceBefore, scoreBefore] = [head('price'), head('score')];
    await model.fit(x, [yPrice, yScore], { epochs: 3, batchSize: 8, verbose: 0 });
    assert.deepEqual(head('score'), scoreBefore, 'the weight-0 head did not move');
    assert.notDeepEqual(head('price'), priceBefore, 'the weight-1 head moved');
    model.dispose();
  });

  test('the total trains a model in a custom loop (gradient reaches every head with weight > 0)', () => {
    const model = twoHeads();
    const loss = combine({ price: 'mse', score: [losses.huber(), 3] });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      const [p, s] = model.apply(x) as tf.Tensor[];
      return loss({ price: yPrice, score: yScore }, [p!, s!]);
    }, vars);
    assert.equal(Object.keys(grads).length, vars.length);
    for (const g of Object.values(grads)) assert.ok(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!) > 0);
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });
});

test('names, weights, config; sample weights per output', () => {
  const loss = combine({ price: [losses.huber({ delta: 2 }), 0.3], score: 'mae' });
  assert.deepEqual(loss.names, ['price', 'score']);
  assert.deepEqual(loss.weights, { price: 0.3, score: 1 });
  assert.deepEqual(loss.getConfig(), {
    name: 'combine',
    outputs: { price: { loss: { name: 'huber', delta: 2, reduction: 'mean' }, weight: 0.3 }, score: { loss: { name: 'meanAbsoluteError', reduction: 'mean' }, weight: 1 } },
  });
  assert.deepEqual(loss.losses.price!.getConfig(), { name: 'weighted', weight: 0.3, loss: { name: 'huber', delta: 2, reduction: 'mean' } });
  assert.equal(loss.list[1]!.name, 'meanAbsoluteError');
  // A plain function has no getConfig: its config is its name.
  function squaredError(t: tf.Tensor, q: tf.Tensor) {
    return tf.mean(tf.square(tf.sub(t, q)));
  }
  assert.deepEqual(combine({ f: [squaredError as never, 2] }).getConfig().outputs, { f: { loss: { name: 'squaredError' }, weight: 2 } });
  // A call per output: sample weights reach that output's loss only.
  const y = tf.tensor2d([[0], [0]]);
  const p = tf.tensor2d([[1], [3]]);
  const weighted = loss({ price: y, score: y }, { price: p, score: p }, { score: { sampleWeight: [1, 0] } });
  const parts = [losses.huber({ delta: 2 })(y, p).dataSync()[0]!, losses.meanAbsoluteError()(y, p, { sampleWeight: [1, 0] }).dataSync()[0]!];
  assertClose(weighted, 0.3 * parts[0]! + parts[1]!, { rtol: 1e-6 });
  tf.dispose([y, p, weighted]);
});

describe('bad inputs raise LossInputError naming the argument', () => {
  const y = tf.tensor2d([[1], [2]]);
  const cases: [string, () => unknown, RegExp][] = [
    ['empty', () => combine({}), /combine: spec: expected at least one task, got an empty object/],
    ['not a dict', () => combine('mse' as never), /combine: spec: expected a dict/],
    ['negative weight', () => combine({ a: ['mse', -1] }), /combine: spec\.a\[1\]: expected a finite weight ≥ 0, got -1/],
    ['bad pair', () => combine({ a: ['mse', 1, 2] as never }), /combine: spec\.a: expected \[loss, weight\]/],
    ['not a loss', () => combine({ a: [42 as never, 1] }), /combine: spec\.a\[0\]: expected a loss/],
    ['missing output', () => combine({ a: 'mse', b: 'mse' })({ a: y }, { a: y, b: y }), /combine: yTrues\.b: expected a value for every task/],
    ['unknown output', () => combine({ a: 'mse' })({ a: y }, { a: y, z: y }), /combine: yPreds\.z: expected one of the tasks \(a\)/],
    ['wrong array length', () => combine({ a: 'mse', b: 'mse' })([y, y], [y]), /combine: yPreds: expected one entry per task \(2: a, b\), got 1 entries/],
    ['a tensor for two tasks', () => combine({ a: 'mse', b: 'mse' })(y as never, [y, y]), /combine: yTrues: expected a dict by task name or an array in task order \(a, b\), got a tensor of shape \[2,1\]/],
  ];
  for (const [what, fn, message] of cases) {
    test(what, () => assertLossInputError(fn, undefined, message));
  }
});

test('no leaks (total, terms, weighted losses, gradient)', () => {
  const loss = combine({ a: [losses.meanSquaredError(), 2], b: 'mae' });
  const y = tf.tensor2d([[1], [2]]);
  const p = tf.tensor2d([[0], [3]]);
  assertNoLeak(() => loss({ a: y, b: y }, { a: p, b: p }));
  assertNoLeak(() => Object.values(loss.terms([y, y], [p, p])));
  assertNoLeak(() => loss.losses.a!(y, p));
  assertNoLeak(() => tf.grad((q: tf.Tensor) => loss([y, y], [q, q]))(p));
  tf.dispose([y, p]);
});
