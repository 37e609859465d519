/**
 * Multi-task strategies (src/training/multiTask.ts): the math against float64 transcriptions of each
 * paper's update rule (scripts/fixtures/multitask.py), the update the optimizer receives, the wiring
 * into fit and trainStep, and bad inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { fit, losses, multiTask, trainStep } from '../../src/index.js';
import { dwaWeights, gradNormUpdate, multiTaskUpdate, pcgradCoefficients } from '../../src/training/multiTask.js';
import { logistic, numbers, twoHeads, weightsOf } from './helpers.js';

await useBackend('cpu');

interface Fixture {
  dwa: { history: number[][]; temperature: number; weights: number[] }[];
  gradNorm: { weights: number[]; losses: number[]; initialLosses: number[]; taskGradients: number[][]; alpha: number; learningRate: number; newWeights: number[]; gradLoss: number }[];
  pcgrad: { taskGradients: number[][]; order: number[]; update: number[] }[];
}
const fixture = loadFixture<Fixture>('multitask');

const dot = (a: readonly number[], b: readonly number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const gramOfVectors = (g: number[][]): number[][] => g.map((a) => g.map((b) => dot(a, b)));

test('dwaWeights: Liu et al. 2019 eq. 7, against the NumPy transcription', () => {
  for (const c of fixture.dwa) assertClose(dwaWeights(c.history, c.temperature, c.history[0]!.length), c.weights, { rtol: 1e-12, atol: 1e-14 }, `DWA ${JSON.stringify(c.history)}`);
});

test('gradNormUpdate: Chen et al. 2018 algorithm 1, against autograd of L_grad (float64)', () => {
  for (const c of fixture.gradNorm) {
    const gradNorms = c.taskGradients.map((g) => Math.sqrt(dot(g, g)));
    const got = gradNormUpdate({ weights: c.weights, losses: c.losses, initialLosses: c.initialLosses, gradNorms, alpha: c.alpha, learningRate: c.learningRate });
    assertClose(got.weights, c.newWeights, { rtol: 1e-12, atol: 1e-14 }, 'GradNorm weights');
    assertClose(got.gradLoss, c.gradLoss, { rtol: 1e-12 }, 'L_grad');
    assertClose(got.weights.reduce((a, b) => a + b, 0), c.weights.length, { rtol: 1e-12 }, 'Σ w = K');
  }
});

test('pcgradCoefficients: the update Σⱼ aⱼgⱼ equals Yu et al. 2020 algorithm 1 on the vectors', () => {
  for (const c of fixture.pcgrad) {
    const a = pcgradCoefficients(gramOfVectors(c.taskGradients), c.order);
    const update = c.taskGradients[0]!.map((_, d) => c.taskGradients.reduce((s, g, j) => s + a[j]! * g[d]!, 0));
    assertClose(update, c.update, { rtol: 1e-10, atol: 1e-12 }, `PCGrad order ${c.order}`);
  }
  // Without conflicts the update is the plain sum.
  assert.deepEqual(pcgradCoefficients([[1, 0.5], [0.5, 2]], [0, 1]), [1, 1]);
});

test('dwa: equal weights for two epochs, then the softmax of the last loss ratios', () => {
  const s = multiTask.dwa({ temperature: 2 });
  const step = (losses: number[]) => s.coefficients({ losses, gram: [], sharedGram: [] });
  assert.deepEqual(step([2, 4]), [1, 1]);
  step([4, 8]); // epoch 0 means: [3, 6]
  s.endEpoch();
  assert.deepEqual(step([1, 6]), [1, 1]); // epoch 1 means: [1, 6]
  s.endEpoch();
  const expected = dwaWeights([[3, 6], [1, 6]], 2, 2);
  assert.deepEqual(s.weights(), expected);
  assert.deepEqual(step([1, 1]), expected);
  assert.ok(expected[1]! > expected[0]!, 'the task whose loss fell less gets more weight');
  s.endEpoch();
  s.endEpoch(); // an epoch without steps changes nothing
  assert.deepEqual(s.weights(), dwaWeights([[1, 6], [1, 1]], 2, 2));
  s.reset();
  assert.deepEqual(step([1, 1]), [1, 1]);
  assert.deepEqual(s.getConfig(), { name: 'dwa', temperature: 2 });
});

test('gradNorm: the first step uses equal weights and records L(0); the weights then follow gradNormUpdate', () => {
  const s = multiTask.gradNorm({ alpha: 1, learningRate: 0.1 });
  const sharedGram = [[4, 0], [0, 1]]; // ‖∇_W L₀‖ = 2, ‖∇_W L₁‖ = 1
  assert.deepEqual(s.coefficients({ losses: [1, 1], gram: sharedGram, sharedGram }), [1, 1]);
  const expected = gradNormUpdate({ weights: [1, 1], losses: [1, 1], initialLosses: [1, 1], gradNorms: [2, 1], alpha: 1, learningRate: 0.1 }).weights;
  assert.deepEqual(s.weights(), expected);
  assert.ok(expected[0]! < expected[1]!, 'the task with the larger gradient norm loses weight');
  assert.deepEqual(s.coefficients({ losses: [0.5, 1], gram: sharedGram, sharedGram }), expected);
});

test('pcgrad: a seeded strategy draws the same orders', () => {
  const gram = gramOfVectors([[1, 0, 0], [-1, 1, 0], [-0.5, -1, 1]]);
  const a = multiTask.pcgrad({ seed: 3 });
  const b = multiTask.pcgrad({ seed: 3 });
  for (let i = 0; i < 5; i++) assert.deepEqual(a.coefficients({ losses: [1, 1, 1], gram, sharedGram: gram }), b.coefficients({ losses: [1, 1, 1], gram, sharedGram: gram }));
  assert.deepEqual(a.weights(), [1, 1, 1]);
});

test('multiTaskUpdate: the optimizer applies Σₖ aₖ·gₖ with the per-task gradients (SGD, by hand)', () => {
  const x = tf.tensor2d(numbers(24, 5), [8, 3]);
  const yValue = tf.tensor2d(numbers(8, 6).map((v) => 3 * v), [8, 1]);
  const yLabel = tf.tensor2d(numbers(8, 7).map((v) => (v > 0 ? 1 : 0)), [8, 1]);
  const [mse, bce] = [losses.meanSquaredError(), losses.binaryCrossentropy()];
  const reference = twoHeads(3);
  const vars = reference.trainableWeights.map((v) => (v as unknown as { read(): tf.Variable }).read());
  const grads = [
    tf.variableGrads(() => mse(yValue, (reference.apply(x) as tf.Tensor[])[0]!) as tf.Scalar, vars).grads,
    tf.variableGrads(() => bce(yLabel, (reference.apply(x) as tf.Tensor[])[1]!) as tf.Scalar, vars).grads,
  ];
  const flat = grads.map((g) => vars.flatMap((v) => (g[v.name] ? Array.from(g[v.name]!.dataSync()) : new Array<number>(v.size).fill(0))));
  const a = pcgradCoefficients(gramOfVectors(flat), [0, 1]);
  const before = vars.map((v) => Array.from(v.dataSync()));
  let offset = 0;
  const expected = before.map((w) => {
    const out = w.map((v, i) => v - 0.1 * (a[0]! * flat[0]![offset + i]! + a[1]! * flat[1]![offset + i]!));
    offset += w.length;
    return out;
  });

  const model = twoHeads(3);
  const optimizer = tf.train.sgd(0.1);
  const tensorsBefore = tf.memory().numTensors;
  const { losses: got, coefficients } = multiTaskUpdate(multiTask.pcgrad(), optimizer, model.trainableWeights.map((v) => (v as unknown as { read(): tf.Variable }).read()), [
    () => mse(yValue, (model.apply(x) as tf.Tensor[])[0]!) as tf.Scalar,
    () => bce(yLabel, (model.apply(x) as tf.Tensor[])[1]!) as tf.Scalar,
  ]);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor leaked');
  assert.equal(got.length, 2);
  assertClose(coefficients, a, { rtol: 1e-4 });
  weightsOf(model).forEach((w, i) => assertClose(w, expected[i]!, { rtol: 1e-4, atol: 1e-6 }, `weight ${i}`));
  tf.dispose([x, yValue, yLabel, ...grads.flatMap((g) => Object.values(g))]);
});

for (const make of [() => multiTask.dwa(), () => multiTask.gradNorm(), () => multiTask.pcgrad({ seed: 1 })]) {
  test(`fit with ${make().name}: trains a two-output model, logs each output's loss, no leaks`, async () => {
    const x = tf.tensor2d(numbers(64 * 3, 21), [64, 3]);
    const yValue = tf.tensor2d(numbers(64, 22).map((v) => 5 * v), [64, 1]);
    const yLabel = tf.tensor2d(numbers(64, 23).map((v) => (v > 0 ? 1 : 0)), [64, 1]);
    const model = twoHeads(3);
    model.compile({ optimizer: tf.train.sgd(0.1), loss: { value: losses.meanSquaredError(), label: losses.binaryCrossentropy() } as never });
    const strategy = make();
    const before = tf.memory().numTensors;
    const { history } = await fit(model, x, { value: yValue, label: yLabel }, { epochs: 4, batchSize: 16, seed: 1, multiTask: strategy });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
    assert.equal(history['loss']!.length, 4);
    for (const key of ['loss', 'value_loss', 'label_loss']) assert.ok(history[key]!.every(Number.isFinite), key);
    assert.ok(history['loss']!.at(-1)! < history['loss']![0]!, `${strategy.name}: the loss falls (${history['loss']})`);
    const w = strategy.weights();
    assert.equal(w.length, 2);
    assertClose(w[0]! + w[1]!, 2, { rtol: 1e-9 }, 'Σ w = K');
    if (strategy.name !== 'pcgrad') assert.notDeepEqual(w, [1, 1], `${strategy.name} moved its weights`);
    model.dispose();
    tf.dispose([x, yValue, yLabel]);
  });
}

test('trainStep multi-task form: one strategy step, returns Σ aₖLₖ before the update', () => {
  const x = tf.tensor2d(numbers(30, 31), [10, 3]);
  const ys = { value: tf.tensor2d(numbers(10, 32), [10, 1]), label: tf.tensor2d(numbers(10, 33).map((v) => (v > 0 ? 1 : 0)), [10, 1]) };
  const model = twoHeads(3);
  const taskLosses = { value: losses.meanSquaredError(), label: losses.binaryCrossentropy() };
  const [pv, pl] = model.apply(x) as tf.Tensor[];
  const expected = taskLosses.value(ys.value, pv!).dataSync()[0]! + taskLosses.label(ys.label, pl!).dataSync()[0]!;
  const before = weightsOf(model);
  const got = trainStep(model, tf.train.sgd(0.1), taskLosses, x, ys, { multiTask: multiTask.gradNorm() });
  assertClose(got, expected, { rtol: 1e-5 }); // GradNorm's first step weights are 1
  assert.notDeepEqual(weightsOf(model), before, 'the weights moved');
  // By position, with per-output calls.
  const byPosition = trainStep(model, tf.train.sgd(0.1), [taskLosses.value, taskLosses.label], x, [ys.value, ys.label], { multiTask: multiTask.pcgrad(), calls: [{ sampleWeight: tf.ones([10]) }, undefined] });
  assert.ok(Number.isFinite(byPosition));
  model.dispose();
  tf.dispose([x, ys.value, ys.label, pv!, pl!]);
});

test('bad inputs: typed errors naming the option or argument', () => {
  assertLossInputError(() => multiTask.dwa({ temperature: 0 }), 'options.temperature');
  assertLossInputError(() => multiTask.gradNorm({ alpha: -1 }), 'options.alpha');
  assertLossInputError(() => multiTask.gradNorm({ learningRate: 0 }), 'options.learningRate');
  assertLossInputError(() => multiTask.pcgrad({ seed: 1.5 }), 'options.seed');
  assertLossInputError(() => multiTask.dwa({ temprature: 2 } as never));

  const x = tf.zeros([4, 3]);
  const ys = { value: tf.zeros([4, 1]), label: tf.zeros([4, 1]) };
  const model = twoHeads(3);
  model.compile({ optimizer: 'sgd', loss: { value: losses.meanSquaredError(), label: losses.binaryCrossentropy() } as never });
  const taskLosses = { value: losses.meanSquaredError(), label: losses.binaryCrossentropy() };
  const opt = tf.train.sgd(0.1);
  return (async () => {
    await assert.rejects(fit(model, x, ys, { multiTask: {} as never }), (e: Error) => /options\.multiTask/.test(e.message));
    const single = logistic(3);
    single.compile({ optimizer: 'sgd', loss: losses.binaryCrossentropy() as never });
    await assert.rejects(fit(single, x, ys.label, { multiTask: multiTask.pcgrad() }), (e: Error) => /at least two outputs/.test(e.message));
    assertLossInputError(() => trainStep(model, opt, { value: taskLosses.value } as never, x, ys, { multiTask: multiTask.dwa() }), 'losses.label');
    assertLossInputError(() => trainStep(model, opt, { value: taskLosses.value, label: taskLosses.label, extra: taskLosses.label } as never, x, ys, { multiTask: multiTask.dwa() }), 'losses.extra');
    assertLossInputError(() => trainStep(model, opt, [taskLosses.value], x, [ys.value], { multiTask: multiTask.dwa() }), 'losses');
    assertLossInputError(() => trainStep(model, opt, taskLosses, x, { value: ys.value, label: 'no' } as never, { multiTask: multiTask.dwa() }), 'ys.label');
    assertLossInputError(() => trainStep(model, opt, taskLosses, x, ys, {} as never), 'options.multiTask');
    assertLossInputError(() => trainStep(model, opt, taskLosses, x, ys, { multiTask: 'pcgrad' as never }), 'options.multiTask');
    assertLossInputError(() => trainStep([] as never, opt, taskLosses, x, ys, { multiTask: multiTask.dwa() }), 'model');
    model.dispose();
    single.dispose();
    tf.dispose([x, ys.value, ys.label]);
  })();
});
