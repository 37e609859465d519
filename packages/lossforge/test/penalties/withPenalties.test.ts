import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { losses, penalties, withPenalties } from '../../src/index.js';

await useBackend('cpu');

function model(kernelRegularizer?: ReturnType<typeof tf.regularizers.l2>) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), kernelRegularizer }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }), kernelRegularizer }),
    ],
  });
}

const x = tf.randomNormal([64, 4], 0, 1, 'float32', 3);
const y = tf.tidy(() => tf.add(tf.matMul(x, tf.tensor2d([[2], [-3], [1.5], [4]])), tf.randomNormal([64, 1], 0, 0.1, 'float32', 4)));
const kernelNormSquared = (m: tf.LayersModel) =>
  m.trainableWeights.filter((w) => w.shape.length === 2).reduce((s, w) => s + tf.tidy(() => tf.sum(tf.square(w.read())).dataSync()[0]!), 0);

test('value = loss + Σ penalties, with the loss\'s reduction', () => {
  const m = model();
  const yPred = m.predict(x) as tf.Tensor;
  const l2 = penalties.l2({ scale: 0.1 });
  const l1 = penalties.l1({ scale: 0.05 });
  const mse = tf.losses.meanSquaredError(y, yPred).dataSync()[0]!; // tfjs-core's own MSE
  const penalty = l2(m).dataSync()[0]! + l1(m).dataSync()[0]!;
  assertClose(withPenalties(losses.meanSquaredError(), m, l2, l1)(y, yPred), mse + penalty, { rtol: 1e-5 });
  // reduction 'none': the penalty is added to every per-sample value (their mean is still loss + penalty).
  const perSample = withPenalties(losses.meanSquaredError({ reduction: 'none' }), m, l2, l1)(y, yPred);
  assert.deepEqual(perSample.shape, [64]);
  assertClose(tf.mean(perSample), mse + penalty, { rtol: 1e-5 });
  tf.dispose([yPred, perSample]);
  m.dispose();
});

test('in model.fit the penalty\'s gradient reaches the weights: same trajectory as a tfjs-layers kernelRegularizer, smaller weights than without', async () => {
  const fitted = async (m: tf.LayersModel, loss: unknown) => {
    m.compile({ optimizer: tf.train.sgd(0.05), loss: loss as never });
    const history = await m.fit(x, y, { epochs: 30, batchSize: 16, shuffle: false, verbose: 0 });
    return history.history['loss']!.map(Number);
  };
  const plain = model();
  await fitted(plain, losses.meanSquaredError());
  const penalized = model();
  const penalizedLoss = await fitted(penalized, withPenalties(losses.meanSquaredError(), penalized, penalties.l2({ scale: 0.05 })));
  const keras = model(tf.regularizers.l2({ l2: 0.05 }));
  const kerasLoss = await fitted(keras, 'meanSquaredError');

  const [normPlain, normPenalized, normKeras] = [plain, penalized, keras].map(kernelNormSquared);
  assert.ok(normPenalized < 0.8 * normPlain, `Σw² with the penalty ${normPenalized} vs without ${normPlain}`);
  // tfjs-layers adds its regularizer losses in fit exactly like our wrapper: same weights, same reported loss.
  assertClose(normPenalized, normKeras!, { rtol: 1e-3 });
  penalized.trainableWeights.forEach((w, i) => assertClose(w.read(), keras.trainableWeights[i]!.read().dataSync(), { rtol: 1e-3, atol: 1e-5 }, w.name));
  assertClose(penalizedLoss, kerasLoss, { rtol: 1e-3 });
  [plain, penalized, keras].forEach((m) => m.dispose());
});

test('getConfig records the loss and the penalties; fromConfig rebuilds it for a model', () => {
  const m = model();
  const loss = withPenalties(losses.huber({ delta: 2 }), m, penalties.l2({ scale: 1e-3 }), penalties.orthogonal({ mode: 'rows' }));
  assert.equal(loss.name, 'withPenalties');
  assert.equal(loss.options.reduction, 'mean');
  const config = loss.getConfig();
  assert.deepEqual(config, {
    name: 'withPenalties',
    loss: { name: 'huber', delta: 2, reduction: 'mean' },
    penalties: [{ name: 'l2', scale: 1e-3, includeBiases: false }, { name: 'orthogonal', scale: 0.01, mode: 'rows' }],
  });
  const again = withPenalties.fromConfig(JSON.parse(JSON.stringify(config)), m);
  const yPred = m.predict(x) as tf.Tensor;
  assertClose(again(y, yPred), loss(y, yPred).dataSync()[0]!, { rtol: 0 });
  yPred.dispose();
  m.dispose();
});

test('bad inputs raise LossInputError naming the argument', () => {
  const m = model();
  const cases: [() => unknown, RegExp][] = [
    [() => withPenalties(losses.meanSquaredError(), m), /withPenalties: penalties: expected at least one penalty/],
    [() => withPenalties(losses.meanSquaredError(), m, tf.regularizers.l2() as never), /withPenalties: penalties\[0\]: expected a penalty from penalties\.\*/],
    [() => withPenalties('mse' as never, m, penalties.l2()), /withPenalties: loss: expected a loss function/],
    [() => withPenalties(losses.meanSquaredError(), undefined as never, penalties.l2()), /withPenalties: target/],
    [() => withPenalties(losses.meanSquaredError(), {} as never, penalties.l2())(y, y), /penalties\.l2: target: expected a tensor, an array of tensors, or a model/],
    [() => withPenalties.fromConfig({ name: 'huber' } as never, m), /withPenalties: config/],
  ];
  for (const [fn, message] of cases) assertLossInputError(fn, undefined, message);
  m.dispose();
});

test('no leaks in the call and its gradient', () => {
  const m = model();
  const loss = withPenalties(losses.meanSquaredError(), m, penalties.l2(), penalties.normPenalty({ maxNorm: 0.5 }));
  const yPred = m.predict(x) as tf.Tensor;
  assertNoLeak(() => loss(y, yPred));
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  assertNoLeak(() => {
    const { value, grads } = tf.variableGrads(() => loss(y, m.apply(x) as tf.Tensor) as tf.Scalar, vars);
    return [value, ...Object.values(grads)];
  });
  yPred.dispose();
  m.dispose();
});
