/**
 * Migrating a tfjs program, 1: an iris classifier trained on a `tf.data` dataset with a validation
 * dataset (in the style of the tfjs iris example, whose data we keep local).
 *
 * What changed from the tfjs program (see docs/guides/migrating.md):
 * - `import { fitDataset, losses } from 'lossforge'`;
 * - `loss: 'categoricalCrossentropy'` on one-hot labels → `losses.sparseCategoricalCrossentropy()` on the
 *   integer labels as they are in the CSV, and `model.fitDataset(ds, …)` → `fitDataset(model, ds, …)`
 *   (tfjs-layers accepts integer labels only for its own sparse loss, and would report the wrong accuracy).
 *
 * Data: iris.csv, a built-in dataset of @lossforge/workbench (Fisher's Iris, UCI ML Repository, CC BY 4.0).
 * Run: node --import tsx examples/migrate-iris.ts
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import seedrandom from 'seedrandom';
import * as tf from '@tensorflow/tfjs';
import { fitDataset, losses, permutation, type History } from 'lossforge';

export interface Options {
  epochs?: number;
  seed?: number;
  log?: boolean;
}

/** The CSV's rows: four measurements and the species index (0, 1, 2). */
export function loadIris(): { features: number[][]; species: number[] } {
  const path = fileURLToPath(import.meta.resolve('@lossforge/workbench/datasets/iris.csv'));
  const rows = parse(readFileSync(path, 'utf8'), { fromLine: 2, cast: true }) as unknown as number[][];
  return { features: rows.map((r) => r.slice(0, 4)), species: rows.map((r) => r[4]!) };
}

/** A dataset of `{ xs, ys }` batches over the given rows. */
function toDataset(features: number[][], species: number[], batchSize: number) {
  return tf.data.array(features.map((xs, i) => ({ xs, ys: species[i]! }))).batch(batchSize);
}

export async function main(options: Options = {}): Promise<{ history: History; testAccuracy: number; tested: number }> {
  const { epochs = 40, seed = 1, log = true } = options;
  const { features, species } = loadIris();
  const random = seedrandom(String(seed));
  const order = permutation(features.length, random);
  const cut = Math.floor(order.length * 0.8);
  const pick = (ids: number[]) => [ids.map((i) => features[i]!), ids.map((i) => species[i]!)] as const;
  const [trainX, trainY] = pick(order.slice(0, cut));
  const [testX, testY] = pick(order.slice(cut));

  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 10, activation: 'sigmoid', inputShape: [4], kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  // tfjs: model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const optimizer = tf.train.adam(0.05);
  model.compile({ optimizer, loss: losses.sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
  // tfjs: await model.fitDataset(trainDataset, { epochs, validationData: testDataset, callbacks })
  const history = await fitDataset(model, toDataset(trainX, trainY, 16), {
    epochs,
    validationData: toDataset(testX, testY, 16),
    callbacks: { onEpochEnd: (epoch, logs) => void (log && epoch % 10 === 9 && console.log(`epoch ${epoch + 1}: loss ${logs!['loss']!.toFixed(3)}, val_acc ${logs!['val_acc']!.toFixed(3)}`)) },
  });

  // The accuracy on the held-out rows, counted from the predictions.
  const predicted = tf.tidy(() => (model.predict(tf.tensor2d(testX)) as tf.Tensor).argMax(-1).arraySync() as number[]);
  const testAccuracy = predicted.filter((c, i) => c === testY[i]).length / testY.length;
  if (log) console.log(`test accuracy ${testAccuracy.toFixed(3)} (${testY.length} flowers)`);
  model.dispose();
  optimizer.dispose(); // a tf.train optimizer passed to compile belongs to the caller
  return { history, testAccuracy, tested: testY.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
