/**
 * Imbalanced binary classification: finding the rare class (malignant tumours) with
 * binaryCrossentropy, binaryCrossentropy + classWeight, and binaryFocalCrossentropy.
 *
 * Data: breast_cancer.csv, one of the built-in datasets of @lossforge/workbench (Breast Cancer Wisconsin (Diagnostic), UCI ML Repository,
 * CC BY 4.0). Malignant cases are subsampled to make the positive class rare (≈ 10 %).
 *
 * Run: node --import tsx examples/imbalanced-breast-cancer.ts
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import seedrandom from 'seedrandom';
import * as tf from '@tensorflow/tfjs';
import { fit, losses, type Loss } from 'lossforge';

export interface Options {
  epochs?: number;
  /** Fraction of the malignant cases kept (default 0.18 → about 10 % positives). */
  keepMalignant?: number;
  seed?: number;
  log?: boolean;
}

export interface Result {
  loss: string;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Area under the precision-recall curve (average precision): threshold-free, robust to imbalance. */
  averagePrecision: number;
}

interface Data {
  x: number[][];
  y: number[];
}

/** Rows of the CSV as features and label (1 = malignant, the rare class). */
export function loadBreastCancer(): Data {
  const path = fileURLToPath(import.meta.resolve('@lossforge/workbench/datasets/breast_cancer.csv'));
  const rows = parse(readFileSync(path, 'utf8'), { columns: false, fromLine: 2, cast: true }) as unknown as number[][];
  return { x: rows.map((r) => r.slice(0, -1)), y: rows.map((r) => 1 - r[r.length - 1]!) };
}

function imbalancedSplit(data: Data, keep: number, random: () => number): { train: Data; test: Data } {
  const index = data.y.map((_, i) => i).filter((i) => data.y[i] === 0 || random() < keep);
  for (let i = index.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [index[i], index[j]] = [index[j]!, index[i]!];
  }
  const cut = Math.floor(index.length * 0.7);
  const pick = (ids: number[]): Data => ({ x: ids.map((i) => data.x[i]!), y: ids.map((i) => data.y[i]!) });
  return { train: pick(index.slice(0, cut)), test: pick(index.slice(cut)) };
}

/** Standardizes with the training set's mean and standard deviation. */
function standardize(train: number[][], test: number[][]): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => {
    const xTrain = tf.tensor2d(train);
    const { mean, variance } = tf.moments(xTrain, 0);
    const std = tf.add(tf.sqrt(variance), 1e-6);
    const scale = (x: tf.Tensor2D) => tf.div(tf.sub(x, mean), std) as tf.Tensor2D;
    return [scale(xTrain), scale(tf.tensor2d(test))];
  });
}

function classifier(features: number, seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, inputShape: [features], activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed }) }),
      tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }), // logits
    ],
  });
}

/** Precision, recall, F1 at threshold 0.5 and average precision, from scores and 0/1 labels. */
export function scoreBinary(scores: number[], labels: number[]): Omit<Result, 'loss'> {
  let tp = 0, fp = 0, fn = 0, correct = 0;
  scores.forEach((s, i) => {
    const predicted = s >= 0.5 ? 1 : 0;
    if (predicted === labels[i]) correct++;
    if (predicted === 1 && labels[i] === 1) tp++;
    if (predicted === 1 && labels[i] === 0) fp++;
    if (predicted === 0 && labels[i] === 1) fn++;
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => b[0] - a[0]);
  const positives = labels.filter((l) => l === 1).length;
  let hits = 0, sum = 0;
  order.forEach(([, label], k) => {
    if (label === 1) sum += ++hits / (k + 1);
  });
  return { accuracy: correct / labels.length, precision, recall, f1, averagePrecision: positives === 0 ? 0 : sum / positives };
}

export async function main(options: Options = {}): Promise<Result[]> {
  const { epochs = 60, keepMalignant = 0.18, seed = 7, log = true } = options;
  const { train, test } = imbalancedSplit(loadBreastCancer(), keepMalignant, seedrandom(String(seed)));
  const [xTrain, xTest] = standardize(train.x, test.x);
  const yTrain = tf.tensor2d(train.y, [train.y.length, 1]);
  const positives = train.y.filter((v) => v === 1).length;
  // Balanced class weights (scikit-learn's 'balanced'): n / (2 · n_c).
  const classWeight = { 0: train.y.length / (2 * (train.y.length - positives)), 1: train.y.length / (2 * positives) };
  if (log) console.log(`train: ${train.y.length} samples, ${positives} malignant; test: ${test.y.length} samples, ${test.y.filter((v) => v === 1).length} malignant`);

  const runs: Array<{ name: string; loss: Loss; classWeight?: { [c: number]: number } }> = [
    { name: 'binaryCrossentropy', loss: losses.binaryCrossentropy({ fromLogits: true }) },
    { name: 'binaryCrossentropy + classWeight', loss: losses.binaryCrossentropy({ fromLogits: true }), classWeight },
    { name: 'binaryFocalCrossentropy (γ=2, α=0.75)', loss: losses.binaryFocalCrossentropy({ gamma: 2, alpha: 0.75, applyClassBalancing: true, fromLogits: true }) },
  ];
  const results: Result[] = [];
  for (const run of runs) {
    const model = classifier(xTrain.shape[1], seed);
    const optimizer = tf.train.adam(0.01);
    model.compile({ optimizer, loss: run.loss });
    await fit(model, xTrain, yTrain, { epochs, batchSize: 32, seed, ...(run.classWeight ? { classWeight: run.classWeight } : {}) });
    const scores = tf.tidy(() => tf.sigmoid(model.predict(xTest) as tf.Tensor).dataSync());
    results.push({ loss: run.name, ...scoreBinary(Array.from(scores), test.y) });
    model.dispose();
    optimizer.dispose(); // a tf.train optimizer passed to compile is not disposed with the model
  }
  tf.dispose([xTrain, xTest, yTrain]);
  if (log) console.table(results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toFixed(3)) : v]))));
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
