/**
 * Per-pixel losses on a tiny synthetic segmentation task: find a small bright square in noisy
 * 12×12 images (the foreground is ~6 % of the pixels).
 *
 * Three ways to train the same fully convolutional network:
 * - per-pixel binaryCrossentropy;
 * - the same with `classWeight` { 0: 1, 1: 8 }: `fit` turns it into per-pixel weights ([B, H, W]),
 *   which the loss applies before averaging (what tfjs-layers' own fit cannot do);
 * - soft Dice (`losses.dice`), a ratio of overlaps that small foregrounds do not get drowned in.
 * The score is the intersection-over-union of the thresholded masks on held-out images.
 *
 * Run: node --import tsx examples/segmentation.ts
 */
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import * as tf from '@tensorflow/tfjs';
import { fit, losses, type Loss } from 'lossforge';

export interface Options {
  epochs?: number;
  images?: number;
  seed?: number;
  log?: boolean;
}

export interface Result {
  loss: string;
  /** Intersection over union of predicted (p ≥ 0.5) and true masks over the test images. */
  iou: number;
  /** Share of foreground pixels found. */
  recall: number;
}

const SIZE = 12;
const SQUARE = 3;

/** Images [n, 12, 12, 1] with one 3×3 square (+1) on N(0, 0.6²) noise, and its mask. */
function squares(n: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const next = seedrandom.alea(String(seed));
  const masks = new Float32Array(n * SIZE * SIZE);
  for (let i = 0; i < n; i++) {
    const r = Math.floor(next() * (SIZE - SQUARE + 1));
    const c = Math.floor(next() * (SIZE - SQUARE + 1));
    for (let dr = 0; dr < SQUARE; dr++) for (let dc = 0; dc < SQUARE; dc++) masks[i * SIZE * SIZE + (r + dr) * SIZE + (c + dc)] = 1;
  }
  return tf.tidy(() => {
    const y = tf.tensor4d(masks, [n, SIZE, SIZE, 1]);
    const x = tf.add(y, tf.randomNormal([n, SIZE, SIZE, 1], 0, 0.6, 'float32', seed)) as tf.Tensor4D;
    return { x, y };
  });
}

function network(seed: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [SIZE, SIZE, 1], filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed }) }),
      tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

function score(pred: tf.Tensor, truth: tf.Tensor): { iou: number; recall: number } {
  return tf.tidy(() => {
    const p = tf.cast(tf.greaterEqual(pred, 0.5), 'float32');
    const inter = tf.sum(tf.mul(p, truth)).dataSync()[0]!;
    const union = tf.sum(tf.maximum(p, truth)).dataSync()[0]!;
    const positives = tf.sum(truth).dataSync()[0]!;
    return { iou: union === 0 ? 1 : inter / union, recall: positives === 0 ? 1 : inter / positives };
  });
}

export async function main(options: Options = {}): Promise<Result[]> {
  const { epochs = 40, images = 192, seed = 5, log = true } = options;
  const train = squares(images, seed);
  const test = squares(64, seed + 1000);
  const runs: Array<{ name: string; loss: Loss; classWeight?: { [c: number]: number } }> = [
    { name: 'binaryCrossentropy (per pixel)', loss: losses.binaryCrossentropy() },
    { name: 'binaryCrossentropy + classWeight {0: 1, 1: 8}', loss: losses.binaryCrossentropy(), classWeight: { 0: 1, 1: 8 } },
    { name: 'dice', loss: losses.dice() },
  ];
  const results: Result[] = [];
  for (const run of runs) {
    const model = network(seed);
    const optimizer = tf.train.adam(0.02);
    model.compile({ optimizer, loss: run.loss });
    await fit(model, train.x, train.y, { epochs, batchSize: 32, seed, ...(run.classWeight ? { classWeight: run.classWeight } : {}) });
    const pred = model.predict(test.x) as tf.Tensor;
    results.push({ loss: run.name, ...score(pred, test.y) });
    pred.dispose();
    model.dispose();
    optimizer.dispose();
  }
  tf.dispose([train.x, train.y, test.x, test.y]);
  if (log) console.table(results.map((r) => ({ loss: r.loss, iou: Number(r.iou.toFixed(3)), recall: Number(r.recall.toFixed(3)) })));
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
