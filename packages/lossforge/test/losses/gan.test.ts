import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { gan, gradCheck } from '../../src/index.js';

await useBackend('cpu');

type Nested = number | Nested[];
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
const tensor = (x: Nested): tf.Tensor => tf.tensor(x as number[]);

interface LossCase {
  fn: 'discriminatorLoss' | 'generatorLoss';
  kind: gan.GanKind;
  options?: { labelSmoothing: number };
  real?: Nested;
  fake: Nested;
  value: number;
  gradReal?: Nested;
  gradFake?: Nested;
  note: string;
}
interface PenaltyCase {
  note: string;
  /** The critic's hidden activation (leakyRelu needs the comparison gradients lossforge registers). */
  activation: 'relu' | 'leakyRelu';
  options: { lambda: number; target: number };
  weights: Record<'w1' | 'b1' | 'w2' | 'b2', Nested>;
  real: Nested;
  fake: Nested;
  interpolation: Nested;
  value: number;
  grads: Record<'w1' | 'b1' | 'w2' | 'b2', Nested>;
}
const fixture = loadFixture<{ losses: LossCase[]; gradientPenalty: PenaltyCase[] }>('gan');

for (const backend of BACKENDS) {
  describe(`GAN losses match the float64 references on ${backend}`, () => {
    fixture.losses.forEach((c, i) => {
      test(`${i}: ${c.fn} ${c.kind} ${JSON.stringify(c.options ?? {})} (${c.note})`, async () => {
        await useBackend(backend);
        const fake = tensor(c.fake);
        if (c.fn === 'generatorLoss') {
          assertClose(gan.generatorLoss(c.kind, fake), c.value, { rtol: 1e-5, atol: 1e-5 });
          const g = tf.grad((f: tf.Tensor) => gan.generatorLoss(c.kind, f))(fake);
          assertClose(g, flat(c.gradFake!), { rtol: 1e-3, atol: 1e-5 }, 'gradFake');
          tf.dispose([fake, g]);
          return;
        }
        const real = tensor(c.real!);
        assertClose(gan.discriminatorLoss(c.kind, real, fake, c.options), c.value, { rtol: 1e-5, atol: 1e-5 });
        if (c.gradReal !== undefined) {
          const [gr, gf] = tf.grads((r: tf.Tensor, f: tf.Tensor) => gan.discriminatorLoss(c.kind, r, f, c.options))([real, fake]);
          assertClose(gr!, flat(c.gradReal), { rtol: 1e-3, atol: 1e-5 }, 'gradReal');
          assertClose(gf!, flat(c.gradFake!), { rtol: 1e-3, atol: 1e-5 }, 'gradFake');
          tf.dispose([gr!, gf!]);
        }
        tf.dispose([real, fake]);
      });
    });
  });
}

/** The fixture's critic: an MLP 3 → 5 → 1 (ReLU or leakyReLU 0.2) built from tf.variables. */
function mlpCritic(weights: PenaltyCase['weights'], activation: PenaltyCase['activation']) {
  const vars = {
    w1: tf.variable(tensor(weights.w1)),
    b1: tf.variable(tensor(weights.b1)),
    w2: tf.variable(tensor(weights.w2)),
    b2: tf.variable(tensor(weights.b2)),
  };
  const act = activation === 'relu' ? tf.relu : (h: tf.Tensor) => tf.leakyRelu(h, 0.2);
  const critic = (x: tf.Tensor) => tf.add(tf.matMul(act(tf.add(tf.matMul(x, vars.w1), vars.b1)), vars.w2), vars.b2);
  return { critic, vars };
}

describe('gradientPenalty', () => {
  fixture.gradientPenalty.forEach((c) => {
    test(`value and its gradient w.r.t. the critic's weights match PyTorch double backprop (${c.note})`, async () => {
      await useBackend('cpu');
      const { critic, vars } = mlpCritic(c.weights, c.activation);
      const [real, fake] = [tensor(c.real), tensor(c.fake)];
      const options = { ...c.options, interpolation: flat(c.interpolation) };
      const order = ['w1', 'b1', 'w2', 'b2'] as const;
      const { value, grads } = tf.variableGrads(() => gan.gradientPenalty(critic, real, fake, options), order.map((k) => vars[k]));
      assertClose(value, c.value, { rtol: 1e-5, atol: 1e-5 });
      for (const k of order) {
        // tfjs leaves out variables it finds no gradient path to (here b1: ReLU's second derivative is 0).
        const grad = grads[vars[k].name] ?? tf.zerosLike(vars[k]);
        assertClose(grad, flat(c.grads[k]), { rtol: 1e-3, atol: 1e-5 }, `d penalty / d ${k}`);
      }
      tf.dispose([value, real, fake, ...Object.values(grads), ...Object.values(vars)]);
    });
  });

  test('a linear critic D(x) = x·w + b gives λ(‖w‖ − target)² for any ε, through a tfjs-layers model', () => {
    const critic = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [3] })] });
    critic.setWeights([tf.tensor2d([[1], [2], [2]]), tf.tensor1d([0.5])]); // ‖w‖ = 3
    const real = tf.randomNormal([8, 3], 0, 1, 'float32', 1);
    const fake = tf.randomNormal([8, 3], 0, 1, 'float32', 2);
    assertClose(gan.gradientPenalty(critic, real, fake), 10 * (3 - 1) ** 2, { rtol: 1e-5 });
    assertClose(gan.gradientPenalty(critic, real, fake, { lambda: 2, target: 0.5 }), 2 * 2.5 ** 2, { rtol: 1e-5 });
    // d/dw λ(‖w‖ − 1)² = 2λ(‖w‖ − 1)·w/‖w‖; the bias does not enter.
    const kernel = critic.trainableWeights[0]!.read() as tf.Variable;
    const { grads, value } = tf.variableGrads(() => gan.gradientPenalty(critic, real, fake, { seed: 3 }), [kernel]);
    assertClose(grads[kernel.name]!, [1, 2, 2].map((w) => (2 * 10 * 2 * w) / 3), { rtol: 1e-4 });
    tf.dispose([real, fake, value, ...Object.values(grads)]);
    critic.dispose();
  });

  test('rank-4 (image) batches: explicit ε against the formula; a seed fixes ε', () => {
    // D(x) = Σ x² over a sample's features: ∇D(x̂) = 2x̂, so the penalty is λ·mean((2‖x̂‖ − 1)²).
    const critic = (x: tf.Tensor) => tf.sum(tf.square(x), [1, 2, 3]);
    const realValues = [[0.5, -1, 2], [1, 1, 0], [-0.5, 0.25, 3]];
    const fakeValues = [[0, 1, -1], [2, -2, 1], [1, 0, 0]];
    const eps = [0.25, 0.5, 0.9];
    const expected =
      (10 / 3) *
      eps
        .map((e, i) => Math.hypot(...realValues[i]!.map((r, j) => e * r + (1 - e) * fakeValues[i]![j]!)))
        .reduce((sum, norm) => sum + (2 * norm - 1) ** 2, 0);
    const real = tf.tensor4d(realValues.flat(), [3, 1, 3, 1]);
    const fake = tf.tensor4d(fakeValues.flat(), [3, 1, 3, 1]);
    assertClose(gan.gradientPenalty(critic, real, fake, { interpolation: [[0.25], [0.5], [0.9]] }), expected, { rtol: 1e-5 });
    const a = gan.gradientPenalty(critic, real, fake, { seed: 7 }).dataSync()[0]!;
    const b = gan.gradientPenalty(critic, real, fake, { seed: 7 }).dataSync()[0]!;
    const c = gan.gradientPenalty(critic, real, fake, { seed: 8 }).dataSync()[0]!;
    assert.equal(a, b);
    assert.notEqual(a, c);
    tf.dispose([real, fake]);
  });

  test('minimizing the penalty alone with an optimizer drives the critic toward gradient norm 1', () => {
    const critic = tf.sequential({
      layers: [
        tf.layers.dense({ units: 16, inputShape: [2], activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ stddev: 2, seed: 11 }) }),
        tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.randomNormal({ stddev: 2, seed: 12 }) }),
      ],
    });
    const vars = critic.trainableWeights.map((w) => w.read() as tf.Variable);
    const real = tf.randomNormal([32, 2], 1, 1, 'float32', 13);
    const fake = tf.randomNormal([32, 2], -1, 1, 'float32', 14);
    const penalty = () => gan.gradientPenalty(critic, real, fake, { seed: 15 });
    const before = penalty().dataSync()[0]!;
    const optimizer = tf.train.adam(0.02);
    for (let i = 0; i < 60; i++) optimizer.minimize(penalty, false, vars);
    const after = penalty().dataSync()[0]!;
    assert.ok(before > 1, `initial penalty ${before}`);
    assert.ok(after < before / 20, `penalty went from ${before} to ${after}`);
    tf.dispose([real, fake]);
    optimizer.dispose();
    critic.dispose();
  });
});

describe('bad inputs raise LossInputError naming the argument', () => {
  const r = tf.tensor2d([[0.5], [1]]);
  const f = tf.tensor2d([[-1], [0.2]]);
  const rank1 = tf.tensor1d([1, 2]);
  const scalar = tf.scalar(1);
  const empty = tf.zeros([0, 1]);
  const cases: [string, () => unknown, RegExp][] = [
    ['unknown kind', () => gan.discriminatorLoss('relativistic' as never, r, f), /gan\.discriminatorLoss: kind: expected one of 'minimax'.*got "relativistic"/],
    ['unknown generator kind', () => gan.generatorLoss('wgan' as never, f), /gan\.generatorLoss: kind/],
    ['smoothing out of range', () => gan.discriminatorLoss('minimax', r, f, { labelSmoothing: 1 }), /options\.labelSmoothing: expected a finite number in \[0, 1\)/],
    ['smoothing with wasserstein', () => gan.discriminatorLoss('wasserstein', r, f, { labelSmoothing: 0.1 }), /options\.labelSmoothing: expected 0 for kind 'wasserstein'/],
    ['smoothing with hinge', () => gan.discriminatorLoss('hinge', r, f, { labelSmoothing: 0.2 }), /options\.labelSmoothing/],
    ['unknown option', () => gan.discriminatorLoss('hinge', r, f, { smoothing: 0.1 } as never), /options\.smoothing/],
    ['mismatched shapes', () => gan.discriminatorLoss('hinge', r, rank1), /fakeLogits: expected shape \[B,1\].*got shape \[2\]/],
    ['scalar logits', () => gan.generatorLoss('hinge', scalar), /fakeLogits: expected rank ≥ 1/],
    ['empty batch', () => gan.generatorLoss('hinge', empty), /fakeLogits: expected at least one/],
    ['NaN logits', () => gan.discriminatorLoss('minimax', [[NaN], [1]], f), /realLogits: expected finite values.*NaN at index \[0,0\]/],
    ['not a tensor', () => gan.generatorLoss('minimax', 'x' as never), /fakeLogits: expected a tensor/],
    ['critic not callable', () => gan.gradientPenalty({} as never, [[1]], [[2]]), /gan\.gradientPenalty: critic: expected a function/],
    ['critic with several outputs per sample', () => gan.gradientPenalty((x) => tf.concat([x, x], 1), [[1], [2]], [[2], [3]]), /critic: expected one score per sample.*got shape \[2,2\]/],
    ['real of rank 1', () => gan.gradientPenalty((x) => x, [1, 2], [2, 3]), /real: expected rank ≥ 2/],
    ['fake of another shape', () => gan.gradientPenalty((x) => x, [[1], [2]], [[2]]), /fake: expected shape \[2,1\]/],
    ['negative lambda', () => gan.gradientPenalty((x) => x, [[1]], [[2]], { lambda: -1 }), /options\.lambda/],
    ['misspelt penalty option', () => gan.gradientPenalty((x) => x, [[1]], [[2]], { lamda: 1 } as never), /gan\.gradientPenalty: options\.lamda: expected one of the known options/],
    ['penalty options not an object', () => gan.gradientPenalty((x) => x, [[1]], [[2]], 3 as never), /gan\.gradientPenalty: options: expected an options object or undefined, got 3/],
    ['a non-finite seed', () => gan.gradientPenalty((x) => x, [[1]], [[2]], { seed: NaN }), /options\.seed: expected a finite number or undefined, got NaN/],
    ['interpolation of the wrong size', () => gan.gradientPenalty((x) => x, [[1], [2]], [[2], [3]], { interpolation: [0.5] }), /options\.interpolation: expected one weight per sample/],
    ['interpolation outside [0, 1]', () => gan.gradientPenalty((x) => x, [[1], [2]], [[2], [3]], { interpolation: [0.5, 2] }), /options\.interpolation: expected probabilities/],
  ];
  for (const [what, fn, message] of cases) {
    test(what, () => assertNoLeak(() => assertLossInputError(fn, undefined, message), 'a rejected call'));
  }
});

test('gradCheck: every kind, away from the hinge kinks, with logits up to ±8', () => {
  const real = tf.tensor2d([[2.5], [-0.3], [7.9], [-6]]);
  const fake = tf.tensor2d([[0.4], [-2.2], [-7.5], [5.1]]);
  for (const kind of gan.GAN_KINDS) {
    const smoothing = kind === 'wasserstein' || kind === 'hinge' ? 0 : 0.1;
    const dFake = gradCheck((_, p) => gan.discriminatorLoss(kind, real, p, { labelSmoothing: smoothing }), real, fake);
    const dReal = gradCheck((_, p) => gan.discriminatorLoss(kind, p, fake, { labelSmoothing: smoothing }), fake, real);
    const g = gradCheck((_, p) => gan.generatorLoss(kind, p), real, fake);
    for (const [what, report] of [['d/fake', dFake], ['d/real', dReal], ['g', g]] as const) {
      assert.ok(report.passed, `${kind} ${what}: ${JSON.stringify(report.worst)}`);
    }
  }
  tf.dispose([real, fake]);
});

test('no leaks: losses, their gradients, and the gradient penalty', () => {
  const real = tf.tensor2d([[1e4], [-3]]);
  const fake = tf.tensor2d([[-1e4], [2]]);
  for (const kind of gan.GAN_KINDS) {
    assertNoLeak(() => gan.discriminatorLoss(kind, real, fake), `${kind} discriminator`);
    assertNoLeak(() => gan.generatorLoss(kind, fake), `${kind} generator`);
    assertNoLeak(() => tf.grad((f: tf.Tensor) => gan.generatorLoss(kind, f))(fake), `${kind} gradient`);
  }
  const { critic, vars } = mlpCritic(fixture.gradientPenalty[0]!.weights, fixture.gradientPenalty[0]!.activation);
  const x = tf.randomNormal([4, 3], 0, 1, 'float32', 1);
  const y = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
  assertNoLeak(() => gan.gradientPenalty(critic, x, y), 'gradientPenalty');
  assertNoLeak(() => {
    const { value, grads } = tf.variableGrads(() => gan.gradientPenalty(critic, x, y), Object.values(vars));
    return [value, ...Object.values(grads)];
  }, 'gradientPenalty under variableGrads');
  tf.dispose([real, fake, x, y, ...Object.values(vars)]);
});

test('a tiny GAN learns a 4-mode mixture of Gaussians on a circle (non-saturating loss, seeded)', () => {
  const modes = 4;
  const radius = 2;
  const std = 0.05;
  const centers = tf.tensor2d(Array.from({ length: modes }, (_, k) => [radius * Math.cos((2 * Math.PI * k) / modes), radius * Math.sin((2 * Math.PI * k) / modes)]));
  let seed = 1;
  // Small ReLU MLPs from plain variables (less per-call overhead than layers models).
  const mlp = (inputs: number, outputs: number, hidden = 32) => {
    const layer = (i: number, o: number) => [tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / i), 'float32', seed++)), tf.variable(tf.zeros([o]))];
    const vars = [...layer(inputs, hidden), ...layer(hidden, hidden), ...layer(hidden, outputs)];
    const apply = (x: tf.Tensor) => {
      let h = tf.relu(tf.add(tf.matMul(x, vars[0]!), vars[1]!));
      h = tf.relu(tf.add(tf.matMul(h, vars[2]!), vars[3]!));
      return tf.add(tf.matMul(h, vars[4]!), vars[5]!);
    };
    return { apply, vars };
  };
  const generator = mlp(2, 2);
  const critic = mlp(2, 1);
  const gOpt = tf.train.adam(3e-3, 0.5, 0.9);
  const dOpt = tf.train.adam(3e-3, 0.5, 0.9);
  const batch = 64;
  const sampleReal = (s: number) =>
    tf.tidy(() => tf.add(tf.gather(centers, tf.randomUniform([batch], 0, modes, 'int32', s)), tf.randomNormal([batch, 2], 0, std, 'float32', s + 1e6)));

  const before = tf.memory().numTensors;
  for (let step = 0; step < 600; step++) {
    const real = sampleReal(3 * step);
    const z = tf.randomNormal([batch, 2], 0, 1, 'float32', 3 * step + 1);
    dOpt.minimize(() => gan.discriminatorLoss('nonSaturating', critic.apply(real), critic.apply(generator.apply(z))), false, critic.vars);
    const z2 = tf.randomNormal([batch, 2], 0, 1, 'float32', 3 * step + 2);
    gOpt.minimize(() => gan.generatorLoss('nonSaturating', critic.apply(generator.apply(z2))), false, generator.vars);
    tf.dispose([real, z, z2]);
    if (step === 0) assert.ok(tf.memory().numTensors - before <= 24, 'only the optimizers\' slots are added');
  }
  const { nearFraction, perMode } = tf.tidy(() => {
    const samples = generator.apply(tf.randomNormal([2000, 2], 0, 1, 'float32', 999));
    const distances = tf.norm(tf.sub(tf.expandDims(samples, 1), tf.expandDims(centers, 0)), 'euclidean', -1);
    const near = tf.less(tf.min(distances, 1), 0.3); // 6σ of a mode
    const nearest = tf.argMin(distances, 1);
    return {
      nearFraction: tf.mean(tf.cast(near, 'float32')).dataSync()[0]!,
      perMode: Array.from(tf.bincount(tf.cast(nearest, 'int32') as tf.Tensor1D, tf.tensor1d([], 'float32'), modes).dataSync()),
    };
  });
  assert.ok(nearFraction > 0.6, `${(nearFraction * 100).toFixed(1)}% of generated samples within 0.3 of a mode`);
  assert.ok(perMode.every((n) => n >= 200), `every mode gets ≥ 10% of the samples (no mode collapse): ${perMode}`);
  tf.dispose([centers, ...generator.vars, ...critic.vars]);
  gOpt.dispose();
  dOpt.dispose();
});
