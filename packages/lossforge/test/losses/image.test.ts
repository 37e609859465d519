/**
 * Image losses (src/losses/image.ts). Golden values against pytorch_msssim / kornia / piq transcriptions live in
 * test/fixtures/catalog-image.json (golden.test.ts, cpu and wasm); this file adds the default 5-scale MS-SSIM on
 * 164×161 images (image-msssim.json: values and gradient entries, images rebuilt from their formula), gradients by
 * finite differences, semantics, bad inputs and leaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { seeded } from '../helpers/random.js';
import { gradCheck, losses, setValueChecks, type Loss } from '../../src/index.js';

await useBackend('cpu');

/** A random image [B, H, W, C] in [0, 1] and a noisy copy (seeded). */
function imagePair(seed: number, shape: [number, number, number, number], noise = 0.1, clip = true): [tf.Tensor4D, tf.Tensor4D] {
  const rand = seeded(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = Array.from({ length: size }, () => rand());
  const y = x.map((v) => v + noise * (rand() * 2 - 1)).map((v) => (clip ? Math.min(1, Math.max(0, v)) : v));
  return [tf.tensor4d(x, shape), tf.tensor4d(y, shape)];
}

/** image.py `formula_images`: dyadic images, exact in float32. */
function formulaImages([b, h, w, c]: number[]): [tf.Tensor4D, tf.Tensor4D] {
  const x: number[] = [];
  const y: number[] = [];
  for (let n = 0; n < b!; n++) for (let i = 0; i < h!; i++) for (let j = 0; j < w!; j++) for (let k = 0; k < c!; k++) {
    const v = ((7 * i + 13 * j + 29 * k + 31 * n) % 17) / 16;
    x.push(v);
    y.push(v + (((3 * i + 5 * j + k) % 7) - 3) / 64);
  }
  return [tf.tensor4d(x, [b!, h!, w!, c!]), tf.tensor4d(y, [b!, h!, w!, c!])];
}

for (const backend of BACKENDS) {
  test(`msSsim with its defaults (5 scales, window 11) on 164×161 images matches pytorch_msssim (${backend})`, async () => {
    await useBackend(backend);
    const fixture = loadFixture<{ shape: number[]; value: number[]; gradIndices: number[][]; grad: number[] }>('image-msssim');
    const [x, y] = formulaImages(fixture.shape);
    const loss = losses.msSsim({ reduction: 'none' });
    // Tolerances relative to the values' scale: the loss of these close images is ~0.0018 and the gradient
    // entries run from 5e-5 (interior) down to 1e-10 (corners, under the window's tails), so an absolute 1e-5
    // would accept anything; the corners get 1e-3 of the largest entry.
    assertClose(loss(x, y), fixture.value, { rtol: 1e-4, atol: 0 });
    const g = tf.grad((p: tf.Tensor) => tf.sum(loss(x, p)) as tf.Scalar)(y);
    const grad = g.arraySync() as number[][][][];
    assertClose(fixture.gradIndices.map(([n, i, j, k]) => grad[n!]![i!]![j!]![k!]!), fixture.grad, { rtol: 1e-3, atol: 1e-3 * Math.max(...fixture.grad.map(Math.abs)) }, 'gradient');
    tf.dispose([x, y, g]);
    await useBackend('cpu');
  });
}

describe('gradCheck', () => {
  const cases: [string, Loss, [number, number, number, number]][] = [
    ['ssim', losses.ssim(), [2, 12, 13, 2]],
    ['ssim window 5, maxVal 2', losses.ssim({ windowSize: 5, maxVal: 2, sigma: 0.8 }), [1, 9, 8, 3]],
    ['msSsim window 3, 3 scales', losses.msSsim({ windowSize: 3, weights: [0.3, 0.3, 0.4] }), [2, 12, 11, 1]],
    ['totalVariation', losses.totalVariation(), [2, 4, 5, 2]],
    ['totalVariation mean, residual', losses.totalVariation({ pixels: 'mean', on: 'residual' }), [2, 4, 5, 2]],
    ['psnr', losses.psnr(), [2, 4, 5, 3]],
  ];
  for (const [name, loss, shape] of cases) {
    test(name, () => {
      // Unclipped: clipping makes equal neighbours, a kink of total variation's |differences|.
      const [x, y] = imagePair(name.length, shape, 0.3, false);
      const report = gradCheck(loss, x, y, undefined, { step: 1e-3 });
      assert.ok(report.passed, JSON.stringify(report));
      tf.dispose([x, y]);
    });
  }
});

test('identical images: ssim and msSsim 0, psnr −80 dB (piq caps at 80), totalVariation of the residual 0', () => {
  const [x] = imagePair(3, [2, 40, 41, 2]);
  assertClose(losses.ssim({ reduction: 'none' })(x, x), [0, 0], { atol: 1e-6 });
  assertClose(losses.msSsim({ windowSize: 3, reduction: 'none' })(x, x), [0, 0], { atol: 1e-6 });
  assertClose(losses.psnr({ reduction: 'none' })(x, x), [-80, -80]);
  assertClose(losses.totalVariation({ on: 'residual', reduction: 'none' })(x, x), [0, 0]);
  x.dispose();
});

test('ssim grows with the noise; an unbatched [H, W, C] image is a batch of one; maxVal rescales', () => {
  const [x, slightly] = imagePair(4, [1, 16, 16, 1], 0.05);
  const [, very] = imagePair(4, [1, 16, 16, 1], 0.5);
  const loss = losses.ssim();
  const [a, b] = [loss(x, slightly).dataSync()[0]!, loss(x, very).dataSync()[0]!];
  assert.ok(0 < a && a < b, `${a} < ${b}`);
  assertClose(loss(tf.squeeze(x, [0]), tf.squeeze(slightly, [0])), a);
  assertClose(losses.ssim({ maxVal: 255 })(tf.mul(x, 255), tf.mul(slightly, 255)), a, { rtol: 1e-4 });
  tf.dispose([x, slightly, very]);
});

test('totalVariation: a 1-pixel-high image has only horizontal differences; yTrue is not read unless on residual', () => {
  const row = tf.tensor4d([[[[0], [2], [1]]]]); // [1, 1, 3, 1]
  assertClose(losses.totalVariation()(tf.zeros([1, 1, 3, 1]), row), 3);
  assertClose(losses.totalVariation()(tf.fill([1, 1, 3, 1], 7), row), 3);
  assertClose(losses.totalVariation({ on: 'residual' })(row, row), 0);
  row.dispose();
});

describe('bad inputs raise LossInputError naming the argument', () => {
  const all: [string, () => Loss][] = [
    ['ssim', () => losses.ssim()],
    ['msSsim', () => losses.msSsim({ windowSize: 3 })],
    ['totalVariation', () => losses.totalVariation()],
    ['psnr', () => losses.psnr()],
  ];
  for (const [name, make] of all) {
    test(name, () => {
      const loss = make();
      const [x, y] = imagePair(5, [2, 40, 40, 1]);
      const rank3 = tf.zeros([2, 40, 40]);
      assertNoLeak(() => assertLossInputError(() => loss(x, rank3), 'yPred', /NHWC, rank 4.*got rank 3/));
      rank3.dispose();
      assertLossInputError(() => loss(tf.zeros([2, 40, 40, 2]), y), 'yTrue', /yPred's shape \[2,40,40,1\]/);
      assertLossInputError(() => loss(x, tf.zeros([2, 40, 40, 1, 1])), 'yPred', /rank 4/);
      assertLossInputError(() => loss(x, y, { sampleWeight: [1, 2, 3] }), 'call.sampleWeight');
      const bad = y.arraySync();
      bad[1]![3]![4]![0] = NaN;
      assertNoLeak(() => assertLossInputError(() => loss(x, bad), 'yPred', /finite/));
      tf.dispose([x, y]);
    });
  }
  test('images smaller than the window, or than the MS-SSIM pyramid needs', () => {
    assertLossInputError(() => losses.ssim()(tf.zeros([1, 10, 30, 1]), tf.zeros([1, 10, 30, 1])), 'yPred', /at least 11×11 pixels.*got 10×30/);
    assertLossInputError(() => losses.msSsim()(tf.zeros([1, 160, 200, 1]), tf.zeros([1, 160, 200, 1])), 'yPred', /at least 161×161.*4 downsamplings/);
    assertLossInputError(() => losses.msSsim({ windowSize: 3, weights: [1, 1] })(tf.zeros([1, 4, 4, 1]), tf.zeros([1, 4, 4, 1])), 'yPred', /at least 5×5/);
  });
  test('options', () => {
    assertLossInputError(() => losses.ssim({ windowSize: 10 }), 'options.windowSize', /odd integer/);
    assertLossInputError(() => losses.ssim({ windowSize: 0 }), 'options.windowSize');
    assertLossInputError(() => losses.ssim({ maxVal: 0 }), 'options.maxVal');
    assertLossInputError(() => losses.ssim({ sigma: -1 }), 'options.sigma');
    assertLossInputError(() => losses.msSsim({ k2: 0 }), 'options.k2');
    assertLossInputError(() => losses.msSsim({ weights: [] }), 'options.weights');
    assertLossInputError(() => losses.msSsim({ weights: [0.5, -0.5] }), 'options.weights');
    assertLossInputError(() => losses.totalVariation({ on: 'target' as never }), 'options.on', /'prediction', 'residual'/);
    assertLossInputError(() => losses.totalVariation({ pixels: 'max' as never }), 'options.pixels');
    assertLossInputError(() => losses.psnr({ maxVal: -255 }), 'options.maxVal');
  });
  test('with value checks off, shapes are still checked', () => {
    const previous = setValueChecks(false);
    try {
      assertLossInputError(() => losses.ssim()(tf.zeros([1, 12, 12, 1]), tf.zeros([1, 12, 12, 2])), 'yTrue');
    } finally {
      setValueChecks(previous);
    }
  });
});

test('no leaks in values or gradients', () => {
  const [x, y] = imagePair(6, [2, 12, 12, 2]);
  const call = { sampleWeight: [1, 2], mask: [1, 0] };
  for (const loss of [losses.ssim(), losses.msSsim({ windowSize: 3, weights: [0.5, 0.5] }), losses.totalVariation({ on: 'residual' }), losses.psnr()]) {
    assertNoLeak(() => loss(x, y, call), `${loss.name} value`);
    assertNoLeak(() => tf.grad((p: tf.Tensor) => tf.sum(loss(x, p, call)) as tf.Scalar)(y), `${loss.name} gradient`);
  }
  tf.dispose([x, y]);
});
