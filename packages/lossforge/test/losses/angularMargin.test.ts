/**
 * ArcFace and CosFace (src/losses/angularMargin.ts): values and gradients (embeddings and class centers)
 * against PyTorch float64 (test/fixtures/angular.json, scripts/fixtures/angular.py) on cpu and wasm,
 * gradCheck, training the centers with the model, save/load, bad inputs, no leaks.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { classCosines, fit, gradCheck, loadModel, losses, saveModel, trainStep, type Loss, type TrainableModel } from '../../src/index.js';

interface Case {
  loss: 'arcFace' | 'cosFace';
  options: Record<string, unknown>;
  centers: number[][];
  yTrue: number[];
  yPred: number[][];
  perSample: number[];
  mean: number;
  grad: number[][];
  gradCenters: number[][];
}
const { cases } = loadFixture<{ cases: Case[] }>('angular');

/** The loss of a fixture case, its centers set to the fixture's. */
function lossOf(c: Case, extra: Record<string, unknown> = {}): Loss {
  const loss = losses.get({ name: c.loss, ...c.options, ...extra } as never);
  loss.variables!['centers']!.assign(tf.tensor2d(c.centers));
  return loss;
}

const relErr = (a: ArrayLike<number>, e: ArrayLike<number>) => Math.max(...Array.from(e, (v, i) => Math.abs(a[i]! - v) / Math.max(Math.abs(v), 1e-3)));

for (const backend of BACKENDS) {
  describe(`angular margin losses on ${backend}`, () => {
    const worst: Record<string, [number, number]> = { arcFace: [0, 0], cosFace: [0, 0] };
    const show = (name: string) => `${name} ${worst[name]![0].toExponential(2)} / ${worst[name]![1].toExponential(2)}`;
    after(() => console.log(`# ${backend}: largest relative error vs PyTorch float64 (per-sample values / gradients): ${show('arcFace')}, ${show('cosFace')}`));

    test('values and gradients (embeddings and centers) match PyTorch float64', async () => {
      await useBackend(backend);
      for (const c of cases) {
        const what = `${c.loss} ${JSON.stringify(c.options)}`;
        const perSample = lossOf(c, { reduction: 'none' });
        const values = perSample(c.yTrue, c.yPred);
        assertClose(values, c.perSample, { rtol: 1e-4, atol: 1e-5 }, `${what} perSample`);
        const loss = lossOf(c);
        const centers = loss.variables!['centers']!;
        const x = tf.tensor2d(c.yPred);
        const { value, grads } = tf.variableGrads(() => loss(c.yTrue, x) as tf.Scalar, [centers]);
        const gx = tf.grad((e: tf.Tensor) => loss(c.yTrue, e))(x);
        assertClose(value, c.mean, { rtol: 1e-5 }, `${what} mean`);
        assertClose(gx, c.grad.flat(), { rtol: 1e-3, atol: 1e-5 }, `${what} grad yPred`);
        assertClose(grads[centers.name]!, c.gradCenters.flat(), { rtol: 1e-3, atol: 1e-5 }, `${what} grad centers`);
        const w = worst[c.loss]!;
        w[0] = Math.max(w[0], relErr(values.dataSync(), c.perSample));
        w[1] = Math.max(w[1], relErr(gx.dataSync(), c.grad.flat()), relErr(grads[centers.name]!.dataSync(), c.gradCenters.flat()));
        tf.dispose([values, value, x, gx, ...Object.values(grads)]);
        perSample.dispose!();
        loss.dispose!();
      }
    });

    test('gradCheck at moderate points (margin applied away from the fallback switch)', async () => {
      await useBackend(backend);
      for (const c of cases.filter((k) => (k.options['scale'] as number) <= 30)) {
        const loss = lossOf(c);
        const report = gradCheck(loss, c.yTrue, c.yPred, undefined, { step: 1e-3, rtol: 2e-2 });
        assert.ok(report.passed, `${c.loss} ${JSON.stringify(c.options)}: ${JSON.stringify(report.worst)}`);
        loss.dispose!();
      }
    });

    test('calls leak nothing, also inside tf.grad', async () => {
      await useBackend(backend);
      const c = cases[0]!;
      const loss = lossOf(c);
      assertNoLeak(() => loss(c.yTrue, c.yPred), c.loss);
      const x = tf.tensor2d(c.yPred);
      assertNoLeak(() => tf.grad((e: tf.Tensor) => loss(c.yTrue, e))(x), `${c.loss} grad`);
      loss.dispose!();
      x.dispose();
    });
  });
}

describe('angular margin losses: state, training, bad inputs', () => {
  test('the centers are a trainable [numClasses, embeddingDim] variable, seeded, freed by dispose()', async () => {
    await useBackend('cpu');
    const before = tf.memory().numTensors;
    const a = losses.arcFace({ numClasses: 4, embeddingDim: 3, seed: 7 });
    const b = losses.fromConfig(a.getConfig());
    assert.deepEqual(a.variables!['centers']!.shape, [4, 3]);
    assert.deepEqual(Array.from(a.variables!['centers']!.dataSync()), Array.from(b.variables!['centers']!.dataSync()), 'same seed, same initial centers');
    a.dispose!();
    b.dispose!();
    assert.equal(tf.memory().numTensors, before);
  });

  test('classCosines scores embeddings against the normalized centers', async () => {
    await useBackend('cpu');
    const loss = losses.cosFace({ numClasses: 2, embeddingDim: 2, seed: 1 });
    loss.variables!['centers']!.assign(tf.tensor2d([[2, 0], [0, 3]]));
    assertClose(classCosines(loss, tf.tensor2d([[1, 1]])), [Math.SQRT1_2, Math.SQRT1_2]);
    assertLossInputError(() => classCosines(losses.huber(), tf.tensor2d([[1, 1]])), 'loss');
    assertLossInputError(() => classCosines(loss, tf.tensor2d([[1, 1, 1]])), 'embeddings', /\[batch, 2\]/);
    loss.dispose!();
  });

  test('fit trains the class centers with the embedding model: the classes separate, and save/load keeps the centers', async () => {
    await useBackend('cpu');
    // Three classes in 4-D inputs; a linear embedding to 3-D; ArcFace learns embedding and centers together.
    const n = 60;
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    const xs = labels.flatMap((l, i) => [l === 0 ? 2 : 0, l === 1 ? 2 : 0, l === 2 ? 2 : 0, Math.sin(i)]);
    const x = tf.tensor2d(xs, [n, 4]);
    const y = tf.tensor1d(labels);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
    const loss = losses.arcFace({ numClasses: 3, embeddingDim: 3, scale: 8, margin: 0.3, seed: 2 });
    model.compile({ optimizer: tf.train.adam(0.05), loss });
    const initialCenters = Array.from(loss.variables!['centers']!.dataSync());
    const history = await fit(model, x, y, { epochs: 40, batchSize: 20, seed: 1 });
    assert.notDeepEqual(Array.from(loss.variables!['centers']!.dataSync()), initialCenters, 'the centers moved');
    assert.ok(history.history['loss']!.at(-1)! < history.history['loss']![0]! / 4, `loss ${history.history['loss']![0]} → ${history.history['loss']!.at(-1)}`);
    const predicted = tf.tidy(() => tf.argMax(classCosines(loss, model.predict(x) as tf.Tensor), 1).arraySync() as number[]);
    assert.equal(predicted.filter((p, i) => p === labels[i]).length, n, 'every sample is nearest its class center');

    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await loadModel(tf.io.fromMemory(artifacts!));
    const restored = loaded.loss as unknown as Loss;
    assert.deepEqual(Array.from(restored.variables!['centers']!.dataSync()), Array.from(loss.variables!['centers']!.dataSync()));
    assert.equal(restored.getConfig()['margin'], 0.3);

    // trainStep (model form) moves the centers too.
    const before = Array.from(loss.variables!['centers']!.dataSync());
    trainStep(model as unknown as TrainableModel, tf.train.sgd(0.5), loss, x, y);
    assert.notDeepEqual(Array.from(loss.variables!['centers']!.dataSync()), before);
    for (const m of [model, loaded]) m.dispose();
    for (const l of [loss, restored]) l.dispose!();
    tf.dispose([x, y]);
  });

  test('bad options and inputs are typed errors naming the argument', async () => {
    await useBackend('cpu');
    assertLossInputError(() => losses.arcFace({ embeddingDim: 2 }), 'options.numClasses', /required/);
    assertLossInputError(() => losses.cosFace({ numClasses: 2 }), 'options.embeddingDim', /required/);
    assertLossInputError(() => losses.arcFace({ numClasses: 0, embeddingDim: 2 }), 'options.numClasses');
    assertLossInputError(() => losses.arcFace({ numClasses: 2, embeddingDim: 2, margin: 4 }), 'options.margin');
    assertLossInputError(() => losses.arcFace({ numClasses: 2, embeddingDim: 2, fallback: 'hard' as never }), 'options.fallback');
    assertLossInputError(() => losses.cosFace({ numClasses: 2, embeddingDim: 2, scale: 0 }), 'options.scale');
    const loss = losses.arcFace({ numClasses: 3, embeddingDim: 2, seed: 1 });
    assertNoLeak(() => assertLossInputError(() => loss([0, 1], [[1, 2, 3], [4, 5, 6]]), 'yPred', /\[batch, 2\]/));
    assertNoLeak(() => assertLossInputError(() => loss([0, 3], [[1, 2], [3, 4]]), 'yTrue', /\[0, 2\]/));
    assertLossInputError(() => loss([0, 1.5], [[1, 2], [3, 4]]), 'yTrue');
    assertLossInputError(() => loss([[0, 1]], [[1, 2]]), 'yTrue');
    assertLossInputError(() => loss([0], [[NaN, 1]]), 'yPred');
    // One example without its batch axis is a batch of one.
    const one = loss(1, [0.3, -2]);
    const batch = loss([1], [[0.3, -2]]);
    assertClose(one, batch.dataSync()[0]!);
    tf.dispose([one, batch]);
    loss.dispose!();
  });
});
