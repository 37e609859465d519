import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { gradCheck, penalties } from '../../src/index.js';

await useBackend('cpu');

type Nested = number | Nested[];
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
interface Case {
  penalty: 'l1' | 'l2' | 'elasticNet' | 'normPenalty' | 'orthogonal';
  options: Record<string, unknown>;
  weights: Nested[];
  value: number;
  grads: Nested[];
}
const { cases } = loadFixture<{ cases: Case[] }>('penalties');
const make = (name: Case['penalty'], options: Record<string, unknown>) => penalties.fromConfig({ name, ...(options as object) });

for (const backend of BACKENDS) {
  describe(`penalties match the float64 formulas on ${backend}`, () => {
    cases.forEach((c, i) => {
      test(`${i}: ${c.penalty} ${JSON.stringify(c.options)} on ${c.weights.length} tensor(s)`, async () => {
        await useBackend(backend);
        const penalty = make(c.penalty, c.options);
        const ws = c.weights.map((w) => tf.tensor(w as number[]));
        assertClose(penalty(ws), c.value, { rtol: 1e-5, atol: 1e-6 });
        const grads = tf.grads((...xs: tf.Tensor[]) => penalty(xs))(ws);
        grads.forEach((g, k) => assertClose(g, flat(c.grads[k]!), { rtol: 1e-3, atol: 1e-5 }, `gradient ${k}`));
        tf.dispose([...ws, ...grads]);
      });
    });
  });
}

function denseModel(seed = 1) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 1 }) }),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 3 }) }),
    ],
  });
}

describe('model targets', () => {
  test("l1 and l2 on a model equal tfjs-layers' own regularizers on its kernels (biases only with includeBiases)", () => {
    const model = denseModel();
    const all = model.trainableWeights.map((w) => w.read());
    const kernels = all.filter((w) => w.rank === 2);
    const reference = (reg: ReturnType<typeof tf.regularizers.l2>, ws: tf.Tensor[]) => ws.reduce((sum, w) => sum + reg.apply(w).dataSync()[0]!, 0);
    assertClose(penalties.l2({ scale: 0.1 })(model), reference(tf.regularizers.l2({ l2: 0.1 }), kernels), { rtol: 1e-5 });
    assertClose(penalties.l1({ scale: 0.2 })(model), reference(tf.regularizers.l1({ l1: 0.2 }), kernels), { rtol: 1e-5 });
    assertClose(penalties.l2({ scale: 0.1, includeBiases: true })(model), reference(tf.regularizers.l2({ l2: 0.1 }), all), { rtol: 1e-5 });
    // Keras' L1L2(l1, l2) = elasticNet({ l1, l2: 2·l2 }).
    assertClose(penalties.elasticNet({ l1: 0.2, l2: 0.6 })(model), reference(tf.regularizers.l1l2({ l1: 0.2, l2: 0.3 }), kernels), { rtol: 1e-5 });
    // A layer (anything with trainableWeights) works too.
    assertClose(penalties.l2({ scale: 0.1 })(model.layers[0]!), reference(tf.regularizers.l2({ l2: 0.1 }), kernels.slice(0, 1)), { rtol: 1e-5 });
    model.dispose();
  });

  test('orthogonal skips a model\'s biases; an orthogonal matrix costs nothing', () => {
    const model = denseModel();
    const kernels = model.trainableWeights.map((w) => w.read()).filter((w) => w.rank === 2);
    assertClose(penalties.orthogonal()(model), penalties.orthogonal()(kernels).dataSync()[0]!, { rtol: 1e-6 });
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const rotation = tf.tensor2d([[c, -s, 0], [s, c, 0], [0, 0, 1], [0, 0, 0]]); // orthonormal columns
    assertClose(penalties.orthogonal({ scale: 5 })(rotation), 0, { atol: 1e-6 });
    assertClose(penalties.orthogonal({ mode: 'rows' })(tf.transpose(rotation)), 0, { atol: 1e-6 });
    rotation.dispose();
    model.dispose();
  });

  test('gradients reach the model\'s variables under variableGrads', () => {
    const model = denseModel();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => penalties.l2({ scale: 0.5 })(model), vars);
    for (const v of vars) {
      if (v.rank === 2) assertClose(grads[v.name]!, Array.from(v.dataSync()).map((x) => 2 * 0.5 * x), { rtol: 1e-5 }, v.name);
      else assert.equal(grads[v.name], undefined, `${v.name} (a bias) is not penalized`);
    }
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });

  test('a frozen model (no trainable weights) costs 0', () => {
    const model = denseModel();
    model.trainable = false;
    assertClose(penalties.l2()(model), 0);
    model.dispose();
  });
});

test('config round trip', () => {
  const p = penalties.normPenalty({ maxNorm: 3, axis: [0, 1] });
  assert.equal(p.name, 'normPenalty');
  assert.deepEqual(p.getConfig(), { name: 'normPenalty', maxNorm: 3, axis: [0, 1], scale: 1, includeBiases: false });
  const again = penalties.fromConfig(p.getConfig());
  const w = tf.randomNormal([3, 4, 2], 0, 3, 'float32', 1);
  assertClose(again(w), p(w).dataSync()[0]!, { rtol: 0 });
  assert.deepEqual(penalties.orthogonal().getConfig(), { name: 'orthogonal', scale: 0.01, mode: 'columns' });
  assert.deepEqual(penalties.elasticNet({ l1: 0.5 }).getConfig(), { name: 'elasticNet', l1: 0.5, l2: 0.01, includeBiases: false });
  w.dispose();
});

describe('bad inputs raise LossInputError naming the argument', () => {
  const w = tf.tensor2d([[1, 2], [3, 4]]);
  const bias = tf.tensor1d([1, 2]);
  const ints = tf.tensor2d([[1, 2]], undefined, 'int32');
  const disposed = tf.tensor1d([1]);
  disposed.dispose();
  const cases: [string, () => unknown, RegExp][] = [
    ['negative scale', () => penalties.l2({ scale: -1 }), /penalties\.l2: options\.scale: expected a finite number in \[0, ∞\), got -1/],
    ['unknown option', () => penalties.l1({ l1: 0.1 } as never), /penalties\.l1: options\.l1: expected one of the known options/],
    ['bad mode', () => penalties.orthogonal({ mode: 'both' as never }), /penalties\.orthogonal: options\.mode/],
    ['bad axis option', () => penalties.normPenalty({ axis: [0, 0] }), /options\.axis: expected an integer axis/],
    ['axis outside a tensor', () => penalties.normPenalty({ axis: 2 })(w), /penalties\.normPenalty: options\.axis: expected axes in \[-2, 1\] for target/],
    ['orthogonal on a vector', () => penalties.orthogonal()(bias), /penalties\.orthogonal: target: expected a weight matrix or kernel of rank ≥ 2, got shape \[2\]/],
    ['orthogonal on a vector in a list', () => penalties.orthogonal()([w, bias]), /target\[1\]: expected a weight matrix/],
    ['empty list', () => penalties.l1()([]), /target: expected at least one tensor, got an empty array/],
    ['a string target', () => penalties.l1()('w' as never), /target: expected a tensor, an array of tensors, or a model/],
    ['a non-tensor in a list', () => penalties.l2()([w, 3] as never), /target\[1\]: expected a tensor or a weight with read\(\), got 3/],
    ['an int32 tensor', () => penalties.l2()(ints), /target: expected a float32 tensor, got dtype int32/],
    ['a disposed tensor', () => penalties.l2()(disposed), /target: expected a live tensor/],
    ['unknown config name', () => penalties.fromConfig({ name: 'l3' }), /penalties: config\.name: expected one of 'l1'/],
  ];
  for (const [what, fn, message] of cases) {
    test(what, () => assertNoLeak(() => assertLossInputError(fn, undefined, message), 'a rejected call'));
  }
});

test('gradCheck on every penalty (away from w = 0 for l1)', () => {
  const w = tf.tensor2d([[0.9, -1.3, 0.4], [2.1, -0.7, 1.6], [-0.5, 0.8, -1.1], [0.3, 1.2, -0.6]]);
  const all = [
    penalties.l1({ scale: 0.3 }),
    penalties.l2({ scale: 0.3 }),
    penalties.elasticNet({ l1: 0.2, l2: 0.4 }),
    penalties.normPenalty({ maxNorm: 1, axis: 0 }),
    penalties.normPenalty({ maxNorm: 2 }),
    penalties.orthogonal({ scale: 0.1 }),
    penalties.orthogonal({ scale: 0.1, mode: 'rows' }),
  ];
  for (const p of all) {
    const report = gradCheck((_, x) => p(x), w, w);
    assert.ok(report.passed, `${JSON.stringify(p.getConfig())}: ${JSON.stringify(report.worst)}`);
  }
  w.dispose();
});

test('no leaks, including gradients and zero weights', () => {
  const model = denseModel();
  const zero = tf.zeros([3, 3]);
  for (const name of ['l1', 'l2', 'elasticNet', 'normPenalty', 'orthogonal'] as const) {
    const p = penalties.fromConfig({ name });
    assertNoLeak(() => p(model), `${name}(model)`);
    assertNoLeak(() => tf.grad((x: tf.Tensor) => p(x))(zero), `${name} gradient`);
    const g = tf.grad((x: tf.Tensor) => p(x))(zero);
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${name}: finite gradient at w = 0`);
    g.dispose();
  }
  zero.dispose();
  model.dispose();
});
