/**
 * Additive angular-margin softmax losses with learnable class centers: ArcFace (Deng et al., CVPR
 * 2019) and CosFace (Wang et al., CVPR 2018). Each loss owns its class-center matrix W [numClasses,
 * embeddingDim] as a trainable variable (`loss.variables.centers`, see `LossDefinition.variables`):
 * `fit` / `trainStep` train it with the model and `saveModel` / `loadModel` keep it, as with a
 * layer's weights. Reference semantics: pytorch-metric-learning `ArcFaceLoss` / `CosFaceLoss` and
 * insightface's ArcFace head (easy margin, threshold); fixtures from scripts/fixtures/angular.py.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { defineLoss, type LossVariables } from '../core/loss.js';
import { l2Normalize, logSoftmax, oneHot } from '../core/numerics.js';
import * as option from '../core/options.js';
import type { BaseLossOptions } from '../core/options.js';

/** Options shared by `arcFace` and `cosFace`. */
export interface AngularMarginOptions extends BaseLossOptions {
  /** Number of classes C (rows of the class-center matrix); required. @defaultValue undefined (required) */
  numClasses?: number;
  /** Embedding size D (yPred is [batch, D]; columns of the class-center matrix); required. @defaultValue undefined (required) */
  embeddingDim?: number;
  /** s > 0: the logits are s·cos θ (the features' radius on the hypersphere). @defaultValue 64 */
  scale?: number;
  /** Seed of the centers' initialization (standard normal, as pytorch-metric-learning's torch.randn). @defaultValue undefined (random) */
  seed?: number;
}

/** Options of `arcFace`. */
export interface ArcFaceOptions extends AngularMarginOptions {
  /** m ≥ 0, in radians: the target logit is s·cos(θ + m) (pytorch-metric-learning gives degrees: 28.6° ≈ 0.5). @defaultValue 0.5 */
  margin?: number;
  /**
   * Where θ + m would pass π (cos(θ + m) stops decreasing in θ): `'linear'` (insightface) uses
   * cos θ − m·sin m when cos θ ≤ cos(π − m); `'easy'` (insightface's easy_margin) adds the margin only
   * where cos θ > 0; `'none'` (pytorch-metric-learning) always uses cos(θ + m). @defaultValue 'linear'
   */
  fallback?: 'linear' | 'easy' | 'none';
}

/** Options of `cosFace`. */
export interface CosFaceOptions extends AngularMarginOptions {
  /** m ≥ 0: the target logit is s·(cos θ − m). @defaultValue 0.35 */
  margin?: number;
}

const FALLBACKS = ['linear', 'easy', 'none'] as const;
/** The reference's clamp of cos θ before acos, so that the angle's gradient stays finite. */
const COS_LIMIT = 1 - 1e-7;

const sharedOptions = {
  numClasses: option.optionalInteger({ min: 1 }),
  embeddingDim: option.optionalInteger({ min: 1 }),
  scale: option.number(64, { min: 0, minExclusive: true }),
  seed: option.optionalInteger(),
};

type Resolved = { numClasses?: number; embeddingDim?: number; seed?: number };

/** The class centers' initial values: [numClasses, embeddingDim], standard normal. */
function initialCenters(name: string, o: Resolved): Record<string, tf.Tensor> {
  for (const key of ['numClasses', 'embeddingDim'] as const) {
    if (o[key] === undefined) throw new LossInputError(name, `options.${key}`, 'an integer ≥ 1 (required: it sizes the class-center matrix)', 'undefined');
  }
  return { centers: tf.randomNormal([o.numClasses!, o.embeddingDim!], 0, 1, 'float32', o.seed) };
}

/** The `labels` layout checks labels [B] (or [B, k]) against embeddings [B, D]; D must be `embeddingDim`. */
function validate(name: string, yPred: tf.Tensor, o: Resolved): void {
  if (yPred.shape[1] !== o.embeddingDim) {
    throw new LossInputError(name, 'yPred', `embeddings of shape [batch, ${o.embeddingDim}] (options.embeddingDim)`, `shape ${formatShape(yPred.shape)}`);
  }
}

/** Labels are class indices in [0, numClasses); embeddings finite. */
const values = (o: Resolved) => ({ yTrue: { classIndex: o.numClasses! }, yPred: 'finite' as const });

/** cos θ between each embedding and each class center: [B, C]. */
function cosines(embeddings: tf.Tensor, centers: tf.Tensor): tf.Tensor2D {
  return tf.matMul(l2Normalize(embeddings, -1) as tf.Tensor2D, l2Normalize(centers, -1) as tf.Tensor2D, false, true);
}

/**
 * The per-sample loss: softmax cross-entropy of s·cos θ with the target class's cosine replaced by
 * `withMargin(cos θ_y)`.
 */
function marginCrossentropy(labelsIn: tf.Tensor, yPred: tf.Tensor, state: LossVariables, numClasses: number, scale: number, withMargin: (cos: tf.Tensor) => tf.Tensor): tf.Tensor {
  const labels = tf.cast(labelsIn, 'int32');
  const cos = cosines(yPred, state['centers']!);
  const target = oneHot(labels, numClasses);
  const targetCos = tf.sum(tf.mul(cos, target), -1, true);
  const logits = tf.mul(scale, tf.add(cos, tf.mul(target, tf.sub(withMargin(targetCos), targetCos))));
  return tf.neg(tf.sum(tf.mul(logSoftmax(logits), target), -1));
}

/** cos(θ + m) with θ = acos(cos θ) (cos θ clamped to ±(1 − 1e-7)), and the fallback where θ + m passes π. */
function arcMargin(cos: tf.Tensor, margin: number, fallback: (typeof FALLBACKS)[number]): tf.Tensor {
  const shifted = tf.cos(tf.add(tf.acos(tf.clipByValue(cos, -COS_LIMIT, COS_LIMIT)), margin));
  if (fallback === 'none') return shifted;
  if (fallback === 'easy') return tf.where(tf.greater(cos, 0), shifted, cos);
  return tf.where(tf.greater(cos, Math.cos(Math.PI - margin)), shifted, tf.sub(cos, margin * Math.sin(Math.PI - margin)));
}

/**
 * ArcFace, the additive angular margin loss (Deng, Guo, Xue & Zafeiriou, CVPR 2019):
 *
 *   ℓ = −log( e^{s·cos(θ_y + m)} / (e^{s·cos(θ_y + m)} + Σ_{j≠y} e^{s·cos θ_j}) ),
 *
 * with cos θ_j = ⟨x/‖x‖, W_j/‖W_j‖⟩ between the embedding x (yPred, [batch, embeddingDim]) and the
 * L2-normalized center W_j of class j (the loss's trainable `centers`, [numClasses, embeddingDim]);
 * yTrue holds class indices. `fallback` handles θ_y + m > π (insightface's threshold or easy margin).
 * Matches pytorch-metric-learning `ArcFaceLoss(num_classes, embedding_size, margin=degrees(m),
 * scale=s)` with `fallback: 'none'`, and insightface's ArcFace head (`easy_margin`) otherwise.
 * Choose it to learn embeddings for open-set recognition (faces, products, speakers) with a
 * classification signal: the margin on the angle packs each class tightly around its center.
 * Train the centers with the model (`fit`, `trainStep`); `classCosines(loss, embeddings)` scores classes.
 * @example
 * const loss = losses.arcFace({ numClasses: 3, embeddingDim: 2, scale: 1, margin: 0.5, seed: 1 });
 * loss.variables.centers.assign(tf.tensor2d([[1, 0], [0, 1], [-1, 0]]));
 * loss(tf.tensor1d([0]), tf.tensor2d([[1, 1]])); // θ_y = π/4: −log(e^{cos(π/4 + 0.5)} / (e^{cos(π/4 + 0.5)} + e^{cos π/4} + e^{−cos π/4})) ≈ 1.066
 */
export const arcFace = defineLoss<ArcFaceOptions, 'numClasses' | 'embeddingDim' | 'seed'>({
  name: 'arcFace',
  aliases: ['ArcFaceLoss', 'additiveAngularMargin'],
  options: { ...sharedOptions, margin: option.number(0.5, { min: 0, max: Math.PI }), fallback: option.oneOf(FALLBACKS, 'linear') },
  layout: 'labels',
  yPredShape: '[batch, embeddingDim]',
  values,
  variables: (o) => initialCenters('arcFace', o),
  validate: (_yTrue, yPred, o) => validate('arcFace', yPred, o),
  compute: (yTrue, yPred, o, _call, { state }) =>
    marginCrossentropy(yTrue, yPred, state, o.numClasses!, o.scale, (cos) => arcMargin(cos, o.margin, o.fallback)),
});

/**
 * CosFace, the large margin cosine loss (Wang et al., CVPR 2018):
 *
 *   ℓ = −log( e^{s·(cos θ_y − m)} / (e^{s·(cos θ_y − m)} + Σ_{j≠y} e^{s·cos θ_j}) ),
 *
 * cos θ_j as in `arcFace` (embeddings against the L2-normalized trainable `centers`). Matches
 * pytorch-metric-learning `CosFaceLoss(num_classes, embedding_size, margin=m, scale=s)`. Choose it
 * like ArcFace; the margin on the cosine is simpler and does not need a fallback near θ = π.
 * @example
 * const loss = losses.cosFace({ numClasses: 2, embeddingDim: 2, scale: 1, margin: 0.35, seed: 1 });
 * loss.variables.centers.assign(tf.tensor2d([[1, 0], [0, 1]]));
 * loss(tf.tensor1d([0]), tf.tensor2d([[2, 0]])); // −log(e^{0.65} / (e^{0.65} + e^0)) ≈ 0.4200
 */
export const cosFace = defineLoss<CosFaceOptions, 'numClasses' | 'embeddingDim' | 'seed'>({
  name: 'cosFace',
  aliases: ['CosFaceLoss', 'largeMarginCosine'],
  options: { ...sharedOptions, margin: option.number(0.35, { min: 0 }) },
  layout: 'labels',
  yPredShape: '[batch, embeddingDim]',
  values,
  variables: (o) => initialCenters('cosFace', o),
  validate: (_yTrue, yPred, o) => validate('cosFace', yPred, o),
  compute: (yTrue, yPred, o, _call, { state }) => marginCrossentropy(yTrue, yPred, state, o.numClasses!, o.scale, (cos) => tf.sub(cos, o.margin)),
});

/**
 * cos θ between embeddings [batch, embeddingDim] and the class centers of an `arcFace` or `cosFace`
 * loss: [batch, numClasses], for classifying or verifying with the trained centers (argmax is the class).
 * @example
 * const loss = losses.cosFace({ numClasses: 2, embeddingDim: 2, seed: 1 });
 * loss.variables.centers.assign(tf.tensor2d([[1, 0], [0, 1]]));
 * classCosines(loss, tf.tensor2d([[3, 0]])).arraySync(); // [[1, 0]]
 */
export function classCosines(loss: unknown, embeddings: tf.Tensor): tf.Tensor2D {
  const l = loss as { name?: string; variables?: LossVariables; options?: Resolved };
  if (typeof loss !== 'function' || (l.name !== 'arcFace' && l.name !== 'cosFace') || !l.variables?.['centers']) {
    throw new LossInputError('classCosines', 'loss', 'a losses.arcFace() or losses.cosFace() loss', describeValue(loss));
  }
  if (!(embeddings instanceof tf.Tensor) || embeddings.rank !== 2 || embeddings.shape[1] !== l.options?.embeddingDim) {
    throw new LossInputError('classCosines', 'embeddings', `a tensor of shape [batch, ${l.options?.embeddingDim}]`, embeddings instanceof tf.Tensor ? `shape ${formatShape(embeddings.shape)}` : describeValue(embeddings));
  }
  return tf.tidy(() => cosines(embeddings, l.variables!['centers']!));
}
