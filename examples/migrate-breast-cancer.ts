/**
 * Migrating a tfjs program, 2: a binary classifier trained with tfjs' own `model.fit`, `validationSplit`,
 * `classWeight` and a callback (in the style of the tfjs website-phishing example; our data is the
 * local breast-cancer CSV).
 *
 * What changed from the tfjs program (see docs/guides/migrating.md): one import and one line,
 * `model.compile({ … loss: 'binaryCrossentropy' … })` → `compile(model, { … loss: losses.binaryFocalCrossentropy({ gamma: 2 }) … })`.
 * `compile` keeps `model.fit`'s `classWeight` right (Keras semantics) and `'accuracy'` matched to the loss.
 *
 * Data: breast_cancer.csv, a built-in dataset of @lossforge/workbench (Breast Cancer Wisconsin (Diagnostic),
 * UCI ML Repository, CC BY 4.0). Label 1 = malignant.
 * Run: node --import tsx examples/migrate-breast-cancer.ts
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import * as tf from '@tensorflow/tfjs';
import { compile, losses } from 'lossforge';

export interface Options {
  epochs?: number;
  seed?: number;
  log?: boolean;
}

export function loadData(): { x: number[][]; y: number[] } {
  const path = fileURLToPath(import.meta.resolve('@lossforge/workbench/datasets/breast_cancer.csv'));
  const rows = parse(readFileSync(path, 'utf8'), { fromLine: 2, cast: true }) as unknown as number[][];
  return { x: rows.map((r) => r.slice(0, -1)), y: rows.map((r) => 1 - r[r.length - 1]!) };
}

export async function main(options: Options = {}): Promise<{ history: tf.History; valAccuracy: number; validated: number }> {
  const { epochs = 20, seed = 1, log = true } = options;
  const { x, y } = loadData();
  const xs = tf.tidy(() => {
    const raw = tf.tensor2d(x);
    const { mean, variance } = tf.moments(raw, 0);
    return raw.sub(mean).div(variance.sqrt().add(1e-7));
  });
  const ys = tf.tensor1d(y); // [N] labels for a [N, 1] output: accepted as tfjs accepts them
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, activation: 'relu', inputShape: [x[0]!.length], kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  // tfjs: model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  compile(model, { optimizer: tf.train.adam(0.01), loss: losses.binaryFocalCrossentropy({ gamma: 2 }), metrics: ['accuracy'] });
  const history = await model.fit(xs, ys, {
    epochs,
    batchSize: 32,
    validationSplit: 0.2,
    classWeight: { 0: 1, 1: 1.7 }, // benign : malignant ≈ 357 : 212
    verbose: 0,
    callbacks: { onEpochEnd: async (epoch, logs) => void (log && epoch % 5 === 4 && console.log(`epoch ${epoch + 1}: loss ${logs!['loss']!.toFixed(4)}, val_acc ${logs!['val_acc']!.toFixed(3)}`)) },
  });
  // The validation rows are the last 20 % (validationSplit); count their accuracy from the predictions.
  const from = Math.floor(x.length * 0.8);
  const scores = tf.tidy(() => (model.predict(xs.slice(from)) as tf.Tensor).dataSync());
  const valAccuracy = Array.from(scores).filter((s, i) => (s > 0.5 ? 1 : 0) === y[from + i]).length / scores.length;
  if (log) console.log(`validation accuracy ${valAccuracy.toFixed(3)} (${scores.length} cases)`);
  tf.dispose([xs, ys]);
  model.dispose();
  return { history, valAccuracy, validated: scores.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
