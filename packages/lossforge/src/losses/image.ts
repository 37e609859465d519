/**
 * Image losses: structure-aware comparisons of images rather than of independent pixels.
 *
 * Every loss here takes NHWC images, yTrue and yPred of shape [batch, height, width, channels] (one
 * image without its batch axis, [H, W, C], is a batch of one), and gives one value per image. SSIM and
 * MS-SSIM follow pytorch_msssim (Gaussian window 11, σ 1.5, K₁ 0.01, K₂ 0.03, per channel, 'valid'
 * filtering: no padding, so an H×W image gives an (H − 10)×(W − 10) SSIM map), total variation follows
 * kornia / `tf.image.total_variation`, PSNR follows piq.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatShape, LossInputError } from '../core/errors.js';
import { defineLoss } from '../core/loss.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, OptionSpec, ResolvedOptions } from '../core/options.js';
import { pairwiseSum } from '../core/numerics.js';
import { sameShape } from '../core/validate.js';

// ───────────────────────────── inputs ─────────────────────────────

/** yPred [B, H, W, C] with H, W ≥ `minSide`; yTrue of the same shape. */
function validateImages(name: string, yTrue: tf.Tensor, yPred: tf.Tensor, minSide: number, why: string): void {
  if (yPred.rank !== 4) {
    throw new LossInputError(name, 'yPred', 'images of shape [batch, height, width, channels] (NHWC, rank 4)', `rank ${yPred.rank} (shape ${formatShape(yPred.shape)})`);
  }
  if (!sameShape(yTrue.shape, yPred.shape)) {
    throw new LossInputError(name, 'yTrue', `images of yPred's shape ${formatShape(yPred.shape)}`, `shape ${formatShape(yTrue.shape)}`);
  }
  const [, height, width] = yPred.shape as [number, number, number, number];
  if (Math.min(height, width) < minSide) {
    throw new LossInputError(name, 'yPred', `images of at least ${minSide}×${minSide} pixels (${why})`, `${height}×${width} (shape ${formatShape(yPred.shape)})`);
  }
}

/** [B, H, W, C] → [B·C, H, W, 1]: one plane per image and channel, so that every filter acts per channel. */
function toPlanes(x: tf.Tensor): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [batch * channels, height, width, 1]);
}

/** Per-plane values [B·C] → per-image means over the channels [B]. */
function meanOverChannels(perPlane: tf.Tensor, channels: number): tf.Tensor {
  return tf.mean(tf.reshape(perPlane, [-1, channels]), 1);
}

// ───────────────────────────── SSIM building blocks ─────────────────────────────

/** The normalized 1-D Gaussian gᵢ ∝ exp(−(i − ⌊size/2⌋)² / 2σ²), i = 0…size − 1 (pytorch_msssim `_fspecial_gauss_1d`). */
function gaussianWindow(size: number, sigma: number): number[] {
  const g = Array.from({ length: size }, (_, i) => Math.exp(-((i - Math.floor(size / 2)) ** 2) / (2 * sigma * sigma)));
  const total = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / total);
}

/** Separable Gaussian filtering of planes [N, H, W, 1], 'valid' (no padding): [N, H − k + 1, W − k + 1, 1]. */
function gaussianFilter(planes: tf.Tensor4D, window: number[]): tf.Tensor4D {
  const k = window.length;
  const vertical = tf.conv2d(planes, tf.tensor4d(window, [k, 1, 1, 1]), 1, 'valid');
  return tf.conv2d(vertical, tf.tensor4d(window, [1, k, 1, 1]), 1, 'valid');
}

interface SsimSettings {
  window: number[];
  c1: number;
  c2: number;
}

/** The mean over each plane's map [N, h, w, 1] → [N], summed pairwise (`pairwiseSum`: maps of 10⁵ entries stay at ~1e-7). */
function mapMean(map: tf.Tensor): tf.Tensor {
  const [n, h, w] = map.shape as [number, number, number, number];
  return tf.div(pairwiseSum(tf.reshape(map, [n, h * w])), h * w);
}

/**
 * Per plane, the means over the 'valid' map of 1 − SSIM and 1 − cs, with μ, σ², σₓᵧ the Gaussian-weighted
 * local means, variances and covariance:
 *   1 − l  = (μₓ − μᵧ)² / (μₓ² + μᵧ² + C₁)        (l = (2μₓμᵧ + C₁)/(μₓ² + μᵧ² + C₁)),
 *   1 − cs = σ²ₓ₋ᵧ / (σₓ² + σᵧ² + C₂)              (cs = (2σₓᵧ + C₂)/(σₓ² + σᵧ² + C₂); σ²ₓ₋ᵧ = σₓ² + σᵧ² − 2σₓᵧ),
 *   1 − SSIM = (1 − l) + (1 − cs) − (1 − l)(1 − cs).
 * The same quantities as pytorch_msssim's, written as the small differences the loss is made of: in float32,
 * 1 − mean(SSIM map) loses the digits that SSIM ≈ 0.998 shares with 1 (0.5% of the loss of two close
 * 164×161 images on wasm, against 2e-6 this way), and σ²ₓ₋ᵧ comes from the difference image instead of
 * cancelling E[x²] + E[y²] − 2E[xy]. σₓ² and σᵧ² are computed on the values minus the plane's mean of x and y (they
 * do not change under a common shift, and E[x²] − μ² cancels less).
 */
function dissimilarities(x: tf.Tensor4D, y: tf.Tensor4D, { window, c1, c2 }: SsimSettings): { ssim: tf.Tensor; cs: tf.Tensor } {
  const filter = (t: tf.Tensor) => gaussianFilter(t as tf.Tensor4D, window);
  const [muX, muY] = [filter(x), filter(y)];
  const centre = tf.div(tf.mean(tf.add(x, y), [1, 2, 3], true), 2);
  const variance = (t: tf.Tensor, mu: tf.Tensor) => tf.sub(filter(tf.square(tf.sub(t, centre))), tf.square(tf.sub(mu, centre)));
  const meanDifference = tf.sub(muX, muY);
  const differenceVariance = tf.sub(filter(tf.square(tf.sub(x, y))), tf.square(meanDifference));
  const oneMinusL = tf.div(tf.square(meanDifference), tf.add(tf.add(tf.square(muX), tf.square(muY)), c1));
  const oneMinusCs = tf.div(differenceVariance, tf.add(tf.add(variance(x, muX), variance(y, muY)), c2));
  const oneMinusSsim = tf.sub(tf.add(oneMinusL, oneMinusCs), tf.mul(oneMinusL, oneMinusCs));
  return { ssim: mapMean(oneMinusSsim), cs: mapMean(oneMinusCs) };
}

/** 2×2 average pooling, stride 2; an odd side is first padded with a zero on both ends (PyTorch `avg_pool2d(padding=s % 2)`, zeros counted). */
function halve(planes: tf.Tensor4D): tf.Tensor4D {
  const [, height, width] = planes.shape;
  const padded = height % 2 || width % 2 ? tf.pad(planes, [[0, 0], [height % 2, height % 2], [width % 2, width % 2], [0, 0]]) : planes;
  return tf.avgPool(padded, 2, 2, 'valid');
}

// ───────────────────────────── options ─────────────────────────────

/** An odd window size ≥ 1 (the window is centred on its middle tap, as pytorch_msssim requires). */
const ODD_WINDOW: OptionSpec<number> = {
  ...option.integer(11, { min: 1 }),
  expected: 'an odd integer ≥ 1',
  accepts: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) % 2 === 1,
};

/** Options shared by `ssim` and `msSsim`. */
export interface SsimOptions extends BaseLossOptions {
  /** L: the dynamic range of the pixel values (1 for images in [0, 1], 255 for bytes); C₁ = (K₁L)², C₂ = (K₂L)². @defaultValue 1 */
  maxVal?: number;
  /** Side of the Gaussian window, odd (pytorch_msssim `win_size`). @defaultValue 11 */
  windowSize?: number;
  /** σ of the Gaussian window, in pixels (pytorch_msssim `win_sigma`). @defaultValue 1.5 */
  sigma?: number;
  /** K₁ of the luminance constant C₁ = (K₁L)². @defaultValue 0.01 */
  k1?: number;
  /** K₂ of the contrast constant C₂ = (K₂L)². @defaultValue 0.03 */
  k2?: number;
}

const SSIM_OPTIONS = {
  maxVal: option.number(1, { min: 0, minExclusive: true }),
  windowSize: ODD_WINDOW,
  sigma: option.number(1.5, { min: 0, minExclusive: true }),
  k1: option.number(0.01, { min: 0, minExclusive: true }),
  k2: option.number(0.03, { min: 0, minExclusive: true }),
};

function ssimSettings({ maxVal, windowSize, sigma, k1, k2 }: ResolvedOptions<SsimOptions>): SsimSettings {
  return { window: gaussianWindow(windowSize, sigma), c1: (k1 * maxVal) ** 2, c2: (k2 * maxVal) ** 2 };
}

// ───────────────────────────── losses ─────────────────────────────

/**
 * SSIM loss: 1 − SSIM(x, y) per image, SSIM the mean over channels and over the 'valid' SSIM map of
 *   SSIM = (2μₓμᵧ + C₁)(2σₓᵧ + C₂) / ((μₓ² + μᵧ² + C₁)(σₓ² + σᵧ² + C₂)),
 * with local statistics from an 11×11 Gaussian window (σ 1.5), C₁ = (0.01·maxVal)², C₂ = (0.03·maxVal)²
 * (Wang et al. 2004). Matches pytorch_msssim `1 − ssim(X, Y, data_range=maxVal, size_average=False)`
 * (its default `nonnegative_ssim=False`) on NCHW = our NHWC transposed: no padding, so the images need
 * at least `windowSize` pixels a side (a LossInputError naming yPred otherwise; pytorch_msssim skips the
 * filtering along a shorter side with a warning). Between 0 (identical) and 2.
 *
 * When to choose: image restoration, super-resolution, autoencoders — where the eye judges structure,
 * contrast and luminance rather than per-pixel error; mix with an L1 term (Zhao et al. 2017) to keep colours.
 * @example
 * const loss = losses.ssim({ maxVal: 1 });
 * loss(tf.ones([1, 11, 11, 1]), tf.ones([1, 11, 11, 1])); // identical images: 0
 */
export const ssim = defineLoss<SsimOptions>({
  name: 'ssim',
  aliases: ['ssimLoss', 'SSIMLoss'],
  options: SSIM_OPTIONS,
  layout: 'custom',
  batchedRanks: { yTrue: 4, yPred: 4 },
  values: { yPred: 'finite' },
  validate: (yTrue, yPred, { windowSize }) => validateImages('ssim', yTrue, yPred, windowSize, `the ${windowSize}×${windowSize} window without padding`),
  compute: (yTrue, yPred, options) => meanOverChannels(dissimilarities(toPlanes(yPred), toPlanes(yTrue), ssimSettings(options)).ssim, yPred.shape[3]!),
});

/** Options of `msSsim`. */
export interface MsSsimOptions extends SsimOptions {
  /** The weight of each scale, finest first; their count is the number of scales (default: the 5 of Wang et al. 2003). @defaultValue undefined */
  weights?: number[];
}

/** The five scale weights of Wang, Simoncelli & Bovik 2003 (pytorch_msssim's default). */
const MS_SSIM_WEIGHTS: readonly number[] = Object.freeze([0.0448, 0.2856, 0.3001, 0.2363, 0.1333]);

/**
 * MS-SSIM loss: 1 − MS-SSIM(x, y) per image (Wang, Simoncelli & Bovik 2003), with M scales (5 by default):
 *   MS-SSIM = mean over channels of  Πⱼ₌₁^{M−1} [csⱼ]₊^{wⱼ} · [SSIM_M]₊^{w_M},
 * csⱼ the mean contrast-structure term at scale j, SSIM_M the SSIM at the coarsest scale, each scale
 * a 2×2 average pooling of the previous one (an odd side zero-padded on both ends, the zeros counted,
 * as PyTorch `avg_pool2d(kernel_size=2, padding=s % 2)`), weights 0.0448, 0.2856, 0.3001, 0.2363,
 * 0.1333. Matches pytorch_msssim `1 − ms_ssim(X, Y, data_range=maxVal, size_average=False)`; like it,
 * the smaller side must exceed (windowSize − 1)·2^(M−1) pixels (160 by default). A term clipped to 0
 * has a zero gradient (pytorch_msssim's is infinite there). Computed as −expm1(Σⱼ wⱼ·log1p(−Dⱼ)) from the
 * dissimilarities Dⱼ = 1 − csⱼ (see `dissimilarities`), so that two close images keep their digits.
 *
 * When to choose: like `ssim`, for larger images where structure matters at several scales
 * (compression, super-resolution); it is less sensitive to the viewing scale than single-scale SSIM.
 * @example
 * const loss = losses.msSsim({ maxVal: 1, windowSize: 3 }); // sides above (3 − 1)·16 pixels
 * loss(tf.ones([1, 33, 33, 1]), tf.ones([1, 33, 33, 1])); // identical images: 0
 */
export const msSsim = defineLoss<MsSsimOptions, 'weights'>({
  name: 'msSsim',
  aliases: ['msSsimLoss', 'MS_SSIM', 'multiScaleSsim'],
  options: { ...SSIM_OPTIONS, weights: option.optionalNumberArray({ min: 0 }) },
  layout: 'custom',
  batchedRanks: { yTrue: 4, yPred: 4 },
  values: { yPred: 'finite' },
  validate: (yTrue, yPred, { windowSize, weights }) => {
    const downsamplings = (weights ?? MS_SSIM_WEIGHTS).length - 1;
    const minSide = (windowSize - 1) * 2 ** downsamplings + 1;
    validateImages('msSsim', yTrue, yPred, minSide, `sides > (windowSize − 1)·2^${downsamplings} for ${downsamplings} downsamplings`);
  },
  compute: (yTrue, yPred, options) => {
    const weights = options.weights ?? MS_SSIM_WEIGHTS;
    const settings = ssimSettings(options);
    let [x, y] = [toPlanes(yPred), toPlanes(yTrue)];
    // log Πⱼ (1 − Dⱼ)^wⱼ, Dⱼ = mean(1 − csⱼ) (mean(1 − SSIM) at the last scale); a term with Dⱼ ≥ 1 is a
    // clipped [csⱼ]₊ = 0, which makes the product 0 (`clipped` counts them; their gradient is 0).
    let logProduct: tf.Tensor = tf.zeros([x.shape[0]]);
    let clipped: tf.Tensor = tf.zeros([x.shape[0]]);
    weights.forEach((w, scale) => {
      const last = scale === weights.length - 1;
      const d = dissimilarities(x, y, settings);
      const dissimilarity = last ? d.ssim : d.cs;
      const kept = tf.less(dissimilarity, 1);
      logProduct = tf.add(logProduct, tf.mul(w, tf.log1p(tf.neg(tf.where(kept, dissimilarity, tf.zerosLike(dissimilarity))))));
      clipped = tf.add(clipped, tf.cast(tf.greaterEqual(dissimilarity, 1), 'float32'));
      if (!last) [x, y] = [halve(x), halve(y)];
    });
    // 1 − Π = −expm1(log Π): no cancellation when the product is close to 1.
    const perPlane = tf.where(tf.greater(clipped, 0), tf.onesLike(logProduct), tf.neg(tf.expm1(logProduct)));
    return meanOverChannels(perPlane, yPred.shape[3]!);
  },
});

/** Options of `totalVariation`. */
export interface TotalVariationOptions extends BaseLossOptions {
  /** What is regularized: the prediction (yTrue then only fixes the shape) or the residual yPred − yTrue. @defaultValue 'prediction' */
  on?: 'prediction' | 'residual';
  /** Sum the absolute differences over the image (kornia, `tf.image.total_variation`), or average each direction's. @defaultValue 'sum' */
  pixels?: 'sum' | 'mean';
}

/**
 * Total variation (anisotropic): per image, over channels,
 *   TV(x) = Σ |x[i+1, j] − x[i, j]| + Σ |x[i, j+1] − x[i, j]|    (`pixels: 'sum'`),
 * or the mean of each of the two sums over its (H − 1)·W·C and H·(W − 1)·C terms (`pixels: 'mean'`).
 * Matches kornia `total_variation(img, reduction='sum' | 'mean')` and, for 'sum',
 * `tf.image.total_variation`. `on: 'prediction'` (default) regularizes yPred itself — yTrue is then
 * only checked for its shape (tfjs-layers' `compile` needs a target; pass the target image) —;
 * `on: 'residual'` takes TV(yPred − yTrue), penalizing structured (non-smooth) errors.
 *
 * When to choose: as a smoothness term beside a data loss (`combine`) in denoising, style transfer,
 * deblurring or image generation, to suppress high-frequency artefacts; alone it just flattens the image.
 * @example
 * const loss = losses.totalVariation();
 * loss(tf.zeros([1, 2, 2, 1]), tf.tensor4d([[[[0], [1]], [[1], [1]]]])); // |1 − 0| + |1 − 1| + |1 − 0| + |1 − 1| = 2
 */
export const totalVariation = defineLoss<TotalVariationOptions>({
  name: 'totalVariation',
  aliases: ['tv', 'total_variation', 'TotalVariation'],
  options: { on: option.oneOf(['prediction', 'residual'] as const, 'prediction'), pixels: option.oneOf(['sum', 'mean'] as const, 'sum') },
  layout: 'custom',
  batchedRanks: { yTrue: 4, yPred: 4 },
  values: { yPred: 'finite' },
  validate: (yTrue, yPred) => validateImages('totalVariation', yTrue, yPred, 1, 'a pixel'),
  compute: (yTrue, yPred, { on, pixels }) => {
    const x = on === 'residual' ? tf.sub(yPred, yTrue) : yPred;
    const [, height, width] = x.shape as [number, number, number, number];
    const down = tf.abs(tf.sub(tf.slice(x, [0, 1, 0, 0], [-1, -1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, height - 1, -1, -1])));
    const right = tf.abs(tf.sub(tf.slice(x, [0, 0, 1, 0], [-1, -1, -1, -1]), tf.slice(x, [0, 0, 0, 0], [-1, -1, width - 1, -1])));
    const per = (d: tf.Tensor) => (d.size === 0 ? tf.zeros([x.shape[0]!]) : pixels === 'sum' ? tf.sum(d, [1, 2, 3]) : tf.mean(d, [1, 2, 3]));
    return tf.add(per(down), per(right));
  },
});

/** Options of `psnr`. */
export interface PsnrOptions extends BaseLossOptions {
  /** L: the dynamic range of the pixel values (1 for [0, 1], 255 for bytes). @defaultValue 1 */
  maxVal?: number;
}

/** Added to the normalized MSE so that identical images give a finite −PSNR of −80 dB (piq's EPS). */
const PSNR_EPSILON = 1e-8;

/**
 * PSNR as a loss, in dB: −PSNR = 10·log₁₀(MSE/L² + 1e-8) per image, MSE the mean over H, W and C of
 * (yPred − yTrue)², L = `maxVal`. Matches piq `psnr(x, y, data_range=L, reduction='none')` negated
 * (its 1e-8 caps PSNR at 80 dB, so identical images give −80, not −∞). kornia's `psnr_loss` takes one
 * MSE over the whole batch (the same for a batch of one) and has no cap. Lower is better; a PSNR of
 * 30 dB is a loss of −30.
 *
 * When to choose: to train directly for the metric image restoration is reported in; it is a log of
 * the MSE, so it weighs each image's relative improvement alike (an image at 40 dB gains as much from
 * halving its error as one at 20 dB), unlike the MSE, which is dominated by the worst images.
 * @example
 * const loss = losses.psnr({ maxVal: 1 });
 * loss(tf.zeros([1, 2, 2, 1]), tf.fill([1, 2, 2, 1], 0.1)); // MSE 0.01: −PSNR ≈ −20
 */
export const psnr = defineLoss<PsnrOptions>({
  name: 'psnr',
  aliases: ['psnrLoss', 'PSNRLoss', 'negativePsnr'],
  options: { maxVal: option.number(1, { min: 0, minExclusive: true }) },
  layout: 'custom',
  batchedRanks: { yTrue: 4, yPred: 4 },
  values: { yPred: 'finite' },
  validate: (yTrue, yPred) => validateImages('psnr', yTrue, yPred, 1, 'a pixel'),
  compute: (yTrue, yPred, { maxVal }) => {
    const mse = tf.mean(tf.squaredDifference(tf.div(yPred, maxVal), tf.div(yTrue, maxVal)), [1, 2, 3]);
    return tf.mul(10 / Math.LN10, tf.log(tf.add(mse, PSNR_EPSILON)));
  },
});
