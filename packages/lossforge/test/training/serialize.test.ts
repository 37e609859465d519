import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { combine, compileLoss, defineLoss, penalties, withPenalties, fit, fileSystem, loadModel, losses, LossInputError, option, saveModel, trainStep, type LoadedModel, type TrainableModel } from '../../src/node.js';
import { binaryData, logistic, numbers, twoHeads, weightsOf } from './helpers.js';

await useBackend('cpu');

/** An in-memory round trip through tf.io.withSaveHandler / tf.io.fromMemory. */
async function roundTrip(model: TrainableModel): Promise<{ loaded: LoadedModel; artifacts: tf.io.ModelArtifacts }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(model, tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return { loaded: await loadModel(tf.io.fromMemory(artifacts!)), artifacts: artifacts! };
}

function lossConfigOf(model: TrainableModel): unknown {
  const l = model.loss as unknown;
  const unwrap = (f: unknown) => (f as { lossforgeLoss?: unknown }).lossforgeLoss ?? f;
  const cfg = (f: unknown) => (typeof f === 'function' ? (unwrap(f) as { getConfig(): unknown }).getConfig() : f);
  if (Array.isArray(l)) return l.map(cfg);
  if (typeof l === 'object' && l !== null) return Object.fromEntries(Object.entries(l).map(([k, v]) => [k, cfg(v)]));
  return cfg(l);
}

/** Trains both models one more step on the same batch and checks they end up with equal weights. */
async function continuesIdentically(a: TrainableModel, b: TrainableModel, x: tf.Tensor, y: tf.Tensor | tf.Tensor[]): Promise<void> {
  await fit(a, x, y, { epochs: 2, batchSize: 4, seed: 5 });
  await fit(b, x, y, { epochs: 2, batchSize: 4, seed: 5 });
  const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
  const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
  wa.forEach((w, i) => assertClose(w, wb[i]!, { rtol: 1e-5, atol: 1e-6 }, `weight ${i}`));
}

const scaledLogCosh = defineLoss({
  name: 'serializeTestScaledLogCosh',
  options: { scale: option.number(1, { min: 0 }) },
  layout: 'elementwise',
  compute: (yTrue, yPred, { scale }) => tf.mul(scale, tf.log(tf.cosh(tf.sub(yPred, yTrue)))),
});

test('in memory: loss config, optimizer config and state travel; the loaded model is compiled and continues identically', async () => {
  const { x, y } = binaryData(16, 3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.adam(0.03), loss: losses.binaryFocalCrossentropy({ gamma: 1.5 }), metrics: ['accuracy'] });
  await fit(model, x, y, { epochs: 2, batchSize: 4, seed: 1 }); // Adam now has moments and an iteration count
  const { loaded, artifacts } = await roundTrip(model);
  const meta = (artifacts.userDefinedMetadata as Record<string, { loss: unknown; optimizer: { className: string } }>)['lossforge']!;
  assert.deepEqual(meta.loss, { lossforge: { name: 'binaryFocalCrossentropy', gamma: 1.5, alpha: 0.25, applyClassBalancing: false, fromLogits: false, labelSmoothing: 0, reduction: 'mean' } });
  assert.equal(meta.optimizer.className, 'Adam');
  assert.ok(artifacts.weightSpecs!.some((s) => s.group === 'optimizer'), 'optimizer state is saved');
  assert.deepEqual(lossConfigOf(loaded), lossConfigOf(model));
  assert.equal(loaded.optimizer.getClassName(), 'Adam');
  assert.deepEqual(loaded.optimizer.getConfig(), model.optimizer.getConfig());
  assert.deepEqual(loaded.metricsNames, model.metricsNames);
  assert.deepEqual(weightsOf(loaded as never), weightsOf(model as never));
  await continuesIdentically(model, loaded, x, y);
});

test('in memory: a defineLoss loss and a compileLoss adapter round-trip by registered name', async () => {
  const x = tf.tensor2d(numbers(24, 3), [12, 2]);
  const y = tf.tensor2d(numbers(12, 4), [12, 1]);
  for (const loss of [scaledLogCosh({ scale: 2.5 }), compileLoss(scaledLogCosh({ scale: 0.5 }))]) {
    const model = logistic(2, 6, 'linear');
    model.compile({ optimizer: tf.train.sgd(0.1), loss });
    const { loaded } = await roundTrip(model);
    const restored = loaded.loss as unknown;
    assert.equal(typeof restored, 'function');
    assert.equal((restored as { name: string }).name, 'serializeTestScaledLogCosh');
    assert.equal('lossforgeLoss' in (restored as object), 'lossforgeLoss' in loss, 'the adapter is restored as an adapter');
    assert.deepEqual(lossConfigOf(loaded), lossConfigOf(model));
    await continuesIdentically(model, loaded, x, y);
  }
});

test('in memory: a two-output model with a map of losses', async () => {
  const x = tf.tensor2d(numbers(16, 8), [8, 2]);
  const value = tf.tensor2d(numbers(8, 9), [8, 1]);
  const label = tf.tensor2d(numbers(8, 10).map((v) => (v > 0 ? 1 : 0)), [8, 1]);
  const model = twoHeads(2);
  model.compile({ optimizer: tf.train.rmsprop(0.01), loss: { value: losses.huber({ delta: 0.3 }), label: losses.binaryCrossentropy({ labelSmoothing: 0.1 }) } });
  await fit(model, x, [value, label], { epochs: 1, batchSize: 4, seed: 2 });
  const { loaded } = await roundTrip(model);
  assert.deepEqual(lossConfigOf(loaded), lossConfigOf(model));
  assert.equal(loaded.optimizer.getClassName(), 'RMSProp');
  await continuesIdentically(model, loaded, x, [value, label]);
});

test('in memory: combine() weights and withPenalties() penalties travel and are rebuilt on the loaded model', async () => {
  const x = tf.tensor2d(numbers(16, 11), [8, 2]);
  const value = tf.tensor2d(numbers(8, 12), [8, 1]);
  const label = tf.tensor2d(numbers(8, 13).map((v) => (v > 0 ? 1 : 0)), [8, 1]);
  const model = twoHeads(2, 8);
  const combined = combine({ value: [losses.huber({ delta: 0.5 }), 2], label: [withPenalties(losses.binaryCrossentropy(), model, penalties.l2({ scale: 0.01 })), 0.5] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: combined.losses as never });
  await fit(model, x, [value, label], { epochs: 1, batchSize: 4, seed: 3 });
  const { loaded, artifacts } = await roundTrip(model);
  const meta = (artifacts.userDefinedMetadata as { lossforge: { loss: Record<string, { lossforge: { name: string; loss: { name: string } } }> } }).lossforge;
  assert.equal(meta.loss['value']!.lossforge.name, 'weighted');
  assert.equal(meta.loss['label']!.lossforge.loss.name, 'withPenalties');
  assert.deepEqual(lossConfigOf(loaded), lossConfigOf(model));
  // The rebuilt penalty reads the loaded model's weights: same total loss on the same data.
  const [a, b] = [model, loaded].map((m) => (m as unknown as tf.LayersModel).evaluate(x, [value, label]) as tf.Scalar[]);
  assertClose(a![0]!.dataSync()[0]!, b![0]!.dataSync()[0]!, { rtol: 1e-6 });
  await continuesIdentically(model, loaded, x, [value, label]);

  // Nested the other way round: penalties around a weighted loss.
  const single = logistic(2, 4);
  single.compile({ optimizer: tf.train.sgd(0.1), loss: withPenalties(combine([[losses.binaryCrossentropy(), 3]]).list[0]!, single, penalties.l1({ scale: 0.02 })) });
  const again = (await roundTrip(single)).loaded;
  assert.deepEqual(lossConfigOf(again), lossConfigOf(single));
  const [sa, sb] = [single, again].map((m) => ((m as unknown as tf.LayersModel).evaluate(x, label) as tf.Scalar).dataSync()[0]!);
  assertClose(sb!, sa!, { rtol: 1e-6 });
});

test('file://: saveModel / loadModel through the Node entry, and the fileSystem handler directly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lossforge-training-'));
  try {
    const { x, y } = binaryData(12, 3, 3);
    const model = logistic(3);
    model.compile({ optimizer: tf.train.adam(0.02), loss: scaledLogCosh({ scale: 3 }) });
    await fit(model, x, y, { epochs: 1, batchSize: 4, seed: 9 });

    const url = pathToFileURL(join(dir, 'by-url')).href; // file:///…
    await saveModel(model, url);
    assert.ok((await stat(join(dir, 'by-url', 'weights.bin'))).size > 0);
    const json = JSON.parse(await readFile(join(dir, 'by-url', 'model.json'), 'utf8'));
    assert.equal(json.userDefinedMetadata.lossforge.loss.lossforge.name, 'serializeTestScaledLogCosh');
    const fromUrl = await loadModel(url);
    assert.deepEqual(lossConfigOf(fromUrl), lossConfigOf(model));

    await saveModel(model, fileSystem(join(dir, 'direct', 'model.json')));
    const direct = await loadModel(fileSystem(join(dir, 'direct', 'model.json')));
    assert.deepEqual(weightsOf(direct as never), weightsOf(model as never));
    // tfjs's own loader reads the same files (uncompiled: tfjs cannot restore function losses).
    const plain = await tf.loadLayersModel(`file://${join(dir, 'direct', 'model.json')}`);
    assert.deepEqual(weightsOf(plain), weightsOf(model as never));
    await continuesIdentically(fromUrl, direct, x, y);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loading keeps other user metadata, and compile: false / loss overrides', async () => {
  const model = logistic(2);
  model.compile({ optimizer: 'sgd', loss: losses.meanAbsoluteError() });
  (model as unknown as tf.LayersModel).setUserDefinedMetadata({ owner: 'test' });
  const { loaded } = await roundTrip(model);
  assert.deepEqual((loaded as unknown as tf.LayersModel).getUserDefinedMetadata(), { owner: 'test' });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const raw = await loadModel(tf.io.fromMemory(artifacts!), { compile: false });
  assert.equal(raw.optimizer, undefined);
  const other = await loadModel(tf.io.fromMemory(artifacts!), { loss: losses.huber() });
  assert.equal((other.loss as unknown as { name: string }).name, 'huber');
});

test('a trainStep on a loaded model uses the restored optimizer', async () => {
  const { x, y } = binaryData(8, 3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.sgd(0.2), loss: losses.binaryCrossentropy() });
  const { loaded } = await roundTrip(model);
  const a = trainStep(model, model.optimizer, losses.binaryCrossentropy(), x, y);
  const b = trainStep(loaded, loaded.optimizer, losses.binaryCrossentropy(), x, y);
  assertClose(b, a, { rtol: 1e-6 });
  assert.deepEqual(weightsOf(loaded as never), weightsOf(model as never));
});

test('bad inputs: unsavable losses, unknown URLs, unregistered losses', async () => {
  const model = logistic(2);
  model.compile({ optimizer: 'sgd', loss: (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.abs(tf.sub(a, b))) });
  const sink = tf.io.withSaveHandler(async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }));
  await assert.rejects(saveModel(model, sink), (e: unknown) => e instanceof LossInputError && e.argument === 'model.loss');
  await assert.rejects(saveModel(model, 'nope://x'), (e: unknown) => e instanceof LossInputError && e.argument === 'urlOrHandler');
  await assert.rejects(saveModel({} as never, sink), (e: unknown) => e instanceof LossInputError && e.argument === 'model');
  await assert.rejects(loadModel(42 as never), (e: unknown) => e instanceof LossInputError && e.argument === 'urlOrHandler');
  assert.throws(() => fileSystem(''), (e: unknown) => e instanceof LossInputError && e.argument === 'path');
  await assert.rejects(loadModel(fileSystem(join(tmpdir(), 'lossforge-no-such-model'))), (e: unknown) => e instanceof LossInputError && e.argument === 'path');
  await assert.rejects(saveModel(model, sink, { includeOptimizer: 'yes' } as never), (e: unknown) => e instanceof LossInputError && e.argument === 'options.includeOptimizer');
  await assert.rejects(loadModel(tf.io.fromMemory({}), { compiled: false } as never), (e: unknown) => e instanceof LossInputError && e.argument === 'options.compiled');

  model.compile({ optimizer: 'sgd', loss: losses.huber() });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const meta = artifacts!.userDefinedMetadata as { lossforge: { loss: { lossforge: { name: string } } } };
  meta.lossforge.loss.lossforge.name = 'notARegisteredLoss';
  await assert.rejects(loadModel(tf.io.fromMemory(artifacts!)), (e: unknown) => e instanceof LossInputError && e.argument === 'loss' && /notARegisteredLoss/.test(e.message));
});

test('no leaks: saving, and loading then disposing the loaded model (which owns its optimizer)', async () => {
  const { x, y } = binaryData(8, 3);
  const model = logistic(3);
  model.compile({ optimizer: tf.train.adam(0.01), loss: losses.binaryCrossentropy() });
  await fit(model, x, y, { epochs: 1, batchSize: 4 });
  const before = tf.memory().numTensors;
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  assert.equal(tf.memory().numTensors, before, 'saveModel');
  const loaded = await loadModel(tf.io.fromMemory(artifacts!));
  await fit(loaded, x, y, { epochs: 1, batchSize: 4 });
  (loaded as unknown as tf.LayersModel).dispose();
  assert.equal(tf.memory().numTensors, before, 'loadModel + dispose');
});
