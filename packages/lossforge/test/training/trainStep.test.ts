import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { losses, LossInputError, trainStep } from '../../src/index.js';
import { binaryData, logistic, mlp, numbers, twoHeads, weightsOf } from './helpers.js';

await useBackend('cpu');

test('model form: returns the loss before the update and takes one optimizer step (weighted, by hand)', () => {
  const { x, y } = binaryData(8, 3);
  const w = numbers(8, 3).map((v) => Math.abs(v));
  const reference = logistic(3);
  const vars = reference.trainableWeights.map((v) => (v as unknown as { read(): tf.Variable }).read());
  const { value, grads } = tf.variableGrads(() => {
    const p = reference.predict(x) as tf.Tensor;
    const bce = tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p))))).reshape([-1]);
    return tf.mean(tf.mul(bce, tf.tensor1d(w))) as tf.Scalar;
  }, vars);
  const expected = vars.map((v) => Array.from(tf.sub(v, tf.mul(0.4, grads[v.name]!)).dataSync()));

  const model = logistic(3);
  const got = trainStep(model, tf.train.sgd(0.4), losses.binaryCrossentropy(), x, y, { sampleWeight: w });
  assertClose(got, value.dataSync()[0]!, { rtol: 1e-5 });
  weightsOf(model).forEach((ws, i) => assertClose(ws, expected[i]!, { rtol: 1e-5, atol: 1e-6 }));
});

test('variables form: an objective over variables (linear regression), gradient by hand', () => {
  const xs = numbers(12, 4);
  const x = tf.tensor2d(xs, [6, 2]);
  const y = tf.tensor1d([1, -1, 0.5, 2, 0, -0.5]);
  const w = tf.variable(tf.tensor1d([0.1, -0.2]));
  const mse = losses.meanSquaredError();
  const predict = (a: tf.Tensor) => tf.sum(tf.mul(a, w), -1);
  const before = Array.from(w.dataSync());
  const residual = [0, 1, 2, 3, 4, 5].map((i) => xs[2 * i]! * before[0]! + xs[2 * i + 1]! * before[1]! - y.dataSync()[i]!);
  const loss = residual.reduce((s, r) => s + r * r, 0) / 6;
  const grad = [0, 1].map((j) => (2 / 6) * residual.reduce((s, r, i) => s + r * xs[2 * i + j]!, 0));
  const got = trainStep([w], tf.train.sgd(0.1), (a: tf.Tensor, b: tf.Tensor) => mse(b, predict(a)), x, y);
  assertClose(got, loss, { rtol: 1e-5 });
  assertClose(w.dataSync(), before.map((b, j) => b - 0.1 * grad[j]!), { rtol: 1e-5 });
});

test('GAN-style loop: the generator step leaves the discriminator unchanged, and no tensors leak', () => {
  const gen = mlp(2, 4, 3, 11);
  const disc = mlp(3, 4, 1, 13);
  const bce = losses.binaryCrossentropy({ fromLogits: true });
  const optG = tf.train.adam(0.01);
  const optD = tf.train.adam(0.01);
  const z = tf.tensor2d(numbers(16, 5), [8, 2]);
  const real = tf.tensor2d(numbers(24, 6), [8, 3]);
  const ones = tf.ones([8, 1]);
  const labels = tf.concat([tf.ones([8, 1]), tf.zeros([8, 1])]);
  const step = () => {
    const fake = gen.predict(z) as tf.Tensor;
    const batch = tf.concat([real, fake]);
    const d = trainStep(disc, optD, bce, batch, labels);
    tf.dispose([fake, batch]);
    const discBefore = weightsOf(disc);
    const g = trainStep(gen.trainableWeights as never, optG, (zz: tf.Tensor, yy: tf.Tensor) => bce(yy, disc.apply(gen.apply(zz)) as tf.Tensor), z, ones);
    assert.deepEqual(weightsOf(disc), discBefore);
    return [d, g];
  };
  step(); // creates the optimizers' slots
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step().forEach((v) => assert.ok(Number.isFinite(v)));
  assert.equal(tf.memory().numTensors, before);
});

test('bad inputs throw LossInputError naming the argument', () => {
  const { x, y } = binaryData(4, 3);
  const model = logistic(3);
  const bce = losses.binaryCrossentropy();
  const throwsArg = (fn: () => unknown, argument: string) =>
    assert.throws(fn, (e: unknown) => e instanceof LossInputError && e.argument === argument);
  throwsArg(() => trainStep(model, {} as never, bce, x, y), 'optimizer');
  throwsArg(() => trainStep(model, tf.train.sgd(0.1), 'bce' as never, x, y), 'loss');
  throwsArg(() => trainStep([1 as never], tf.train.sgd(0.1), () => tf.scalar(0), x, y), 'variables[0]');
  throwsArg(() => trainStep([], tf.train.sgd(0.1), () => tf.scalar(0), x, y), 'variables');
  throwsArg(() => trainStep({} as never, tf.train.sgd(0.1), bce, x, y), 'model');
  throwsArg(() => trainStep(model, tf.train.sgd(0.1), bce, 'x' as never, y), 'x');
  throwsArg(() => trainStep(model, tf.train.sgd(0.1), losses.binaryCrossentropy({ reduction: 'none' }), x, y), 'loss');
  throwsArg(() => trainStep(twoHeads(3), tf.train.sgd(0.1), bce, x, y), 'model');
  throwsArg(() => trainStep(model, tf.train.sgd(0.1), bce, x, y, 3 as never), 'call');
  // The loss's own checks still speak: a wrong-length sample weight names call.sampleWeight.
  throwsArg(() => trainStep(model, tf.train.sgd(0.1), bce, x, y, { sampleWeight: [1, 2] }), 'call.sampleWeight');
});
