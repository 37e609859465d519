/**
 * GAN losses: the discriminator (critic) and generator objectives of the common GAN families, and
 * the WGAN-GP gradient penalty.
 *
 * These are not `defineLoss` losses: a GAN objective takes the discriminator's outputs on a real
 * batch and on a generated batch (there is no yTrue / yPred pair), and is used in a custom training
 * loop (`tf.variableGrads` / `optimizer.minimize`), not in `model.compile`. Each returns a scalar:
 * the batch mean of the per-sample terms. Inputs are the discriminator's raw outputs ("logits": no
 * sigmoid), shaped [B] or [B, ...] (e.g. [B, 1], or [B, H, W, 1] for a PatchGAN); every entry counts
 * as one sample in the mean, and the real and fake batches may differ in size.
 *
 * Notation: r = D(x) on real data, f = D(G(z)) on generated data, softplus(x) = log(1 + eˣ),
 * so −log σ(x) = softplus(−x) and −log(1 − σ(x)) = softplus(x).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { softplus } from '../core/numerics.js';
import * as option from '../core/options.js';
import { checkRank, checkValues, sameShape, toTensor, type TensorInput } from '../core/validate.js';

/** The GAN objectives. */
export const GAN_KINDS = ['minimax', 'nonSaturating', 'wasserstein', 'hinge', 'leastSquares'] as const;
export type GanKind = (typeof GAN_KINDS)[number];

/** Kinds whose discriminator has a real-data target that label smoothing can soften. */
const SMOOTHABLE: readonly GanKind[] = ['minimax', 'nonSaturating', 'leastSquares'];

export interface DiscriminatorLossOptions {
  /**
   * One-sided label smoothing (Salimans et al. 2016): the real target becomes 1 − labelSmoothing
   * (fake targets stay 0). In [0, 1); only for 'minimax', 'nonSaturating' and 'leastSquares'.
   * @defaultValue 0
   */
  labelSmoothing?: number;
}

const DISCRIMINATOR_OPTIONS: option.OptionSpecsFor<DiscriminatorLossOptions> = {
  labelSmoothing: option.number(0, { min: 0, max: 1, maxExclusive: true }),
};

type Term = (logits: tf.Tensor, target: number) => tf.Tensor;

/** Binary cross-entropy from a logit with target t: t·softplus(−x) + (1 − t)·softplus(x). */
const bceWithLogits: Term = (x, t) =>
  t === 1 ? softplus(tf.neg(x)) : tf.add(tf.mul(t, softplus(tf.neg(x))), tf.mul(1 - t, softplus(x)));

/** Per-sample discriminator terms on real outputs, given the real target (1 − labelSmoothing). */
const REAL_TERMS: Record<GanKind, Term> = {
  minimax: bceWithLogits,
  nonSaturating: bceWithLogits,
  wasserstein: (r) => tf.neg(r),
  hinge: (r) => tf.relu(tf.sub(1, r)),
  leastSquares: (r, t) => tf.mul(0.5, tf.square(tf.sub(r, t))),
};

/** Per-sample discriminator terms on fake outputs (target 0). */
const FAKE_TERMS: Record<GanKind, (f: tf.Tensor) => tf.Tensor> = {
  minimax: (f) => softplus(f),
  nonSaturating: (f) => softplus(f),
  wasserstein: (f) => f,
  hinge: (f) => tf.relu(tf.add(1, f)),
  leastSquares: (f) => tf.mul(0.5, tf.square(f)),
};

/** Per-sample generator terms on fake outputs. */
const GENERATOR_TERMS: Record<GanKind, (f: tf.Tensor) => tf.Tensor> = {
  minimax: (f) => tf.neg(softplus(f)), // log(1 − σ(f))
  nonSaturating: (f) => softplus(tf.neg(f)), // −log σ(f)
  wasserstein: (f) => tf.neg(f),
  hinge: (f) => tf.neg(f),
  leastSquares: (f) => tf.mul(0.5, tf.square(tf.sub(f, 1))),
};

const KIND = option.oneOf(GAN_KINDS, 'nonSaturating');

function checkKind(fn: string, kind: unknown): GanKind {
  if (!KIND.accepts(kind)) throw new LossInputError(fn, 'kind', KIND.expected, describeValue(kind));
  return kind as GanKind;
}

/** Converts discriminator outputs: a non-empty float tensor of rank ≥ 1 with finite entries. */
function toLogits(fn: string, argument: string, x: unknown): tf.Tensor {
  const t = toTensor(fn, argument, x);
  checkRank(fn, argument, t, 1);
  if (t.size === 0) throw new LossInputError(fn, argument, 'at least one discriminator output', `shape ${formatShape(t.shape)}`);
  checkValues(fn, argument, t, 'finite');
  return t;
}

/**
 * Discriminator (critic) loss, to minimize with respect to the discriminator's weights:
 *
 * | kind            | loss                                                   | reference                      |
 * |-----------------|--------------------------------------------------------|--------------------------------|
 * | `minimax`       | E[−log σ(r)] + E[−log(1 − σ(f))]                       | Goodfellow et al. 2014         |
 * | `nonSaturating` | same as minimax (only the generator differs)           | Goodfellow et al. 2014         |
 * | `wasserstein`   | E[f] − E[r]  (critic; keep it 1-Lipschitz, e.g. with `gradientPenalty`) | Arjovsky et al. 2017 |
 * | `hinge`         | E[max(0, 1 − r)] + E[max(0, 1 + f)]                    | Lim & Ye 2017; Miyato et al. 2018 |
 * | `leastSquares`  | ½E[(r − 1)²] + ½E[f²]  (a = 0, b = 1)                  | Mao et al. 2017 (LSGAN)        |
 *
 * With `labelSmoothing: s` the real target is 1 − s (one-sided smoothing, Salimans et al. 2016):
 * the cross-entropy term becomes E[(1 − s)·softplus(−r) + s·softplus(r)], the least-squares term
 * ½E[(r − (1 − s))²]. Matches TF-GAN's `modified_discriminator_loss` / `wasserstein_discriminator_loss`
 * / `least_squares_discriminator_loss` (which sum the real and fake means, as here), and PyTorch's
 * `BCEWithLogitsLoss` with targets 1 − s and 0 for minimax.
 *
 * When to choose: `nonSaturating` (with its discriminator) is the robust default; `hinge` is the
 * usual choice with spectral normalization (SNGAN, BigGAN); `wasserstein` only with a Lipschitz
 * constraint (gradient penalty); `leastSquares` gives smoother gradients than cross-entropy.
 * @example
 * const dLoss = gan.discriminatorLoss('nonSaturating', critic.apply(real), critic.apply(fake), { labelSmoothing: 0.1 });
 * const gLoss = gan.generatorLoss('nonSaturating', critic.apply(generator.apply(z)));
 */
export function discriminatorLoss(
  kind: GanKind,
  realLogits: TensorInput,
  fakeLogits: TensorInput,
  options: DiscriminatorLossOptions = {},
): tf.Scalar {
  const fn = 'gan.discriminatorLoss';
  const k = checkKind(fn, kind);
  const { labelSmoothing } = option.resolveOptions(fn, DISCRIMINATOR_OPTIONS, options as Record<string, unknown>);
  if (labelSmoothing !== 0 && !SMOOTHABLE.includes(k)) {
    throw new LossInputError(
      fn,
      'options.labelSmoothing',
      `0 for kind '${k}' (label smoothing applies to ${SMOOTHABLE.map((s) => `'${s}'`).join(', ')})`,
      String(labelSmoothing),
    );
  }
  return tf.tidy(() => {
    const real = toLogits(fn, 'realLogits', realLogits);
    const fake = toLogits(fn, 'fakeLogits', fakeLogits);
    if (!sameShape(real.shape.slice(1), fake.shape.slice(1))) {
      const expected = `[B${real.shape.slice(1).map((dim) => `,${dim}`).join('')}]`;
      throw new LossInputError(fn, 'fakeLogits', `shape ${expected} (realLogits' shape apart from the batch axis)`, `shape ${formatShape(fake.shape)}`);
    }
    return tf.add(tf.mean(REAL_TERMS[k](real, 1 - labelSmoothing)), tf.mean(FAKE_TERMS[k](fake))) as tf.Scalar;
  });
}

/**
 * Generator loss, to minimize with respect to the generator's weights (f = D(G(z))):
 *
 * | kind            | loss                    | note                                                        |
 * |-----------------|-------------------------|-------------------------------------------------------------|
 * | `minimax`       | E[log(1 − σ(f))]        | the original game; saturates (vanishing gradient) when D wins |
 * | `nonSaturating` | E[−log σ(f)]            | Goodfellow et al.'s practical fix; the usual choice          |
 * | `wasserstein`   | −E[f]                   | Arjovsky et al. 2017                                         |
 * | `hinge`         | −E[f]                   | Lim & Ye 2017 / Miyato et al. 2018                           |
 * | `leastSquares`  | ½E[(f − 1)²]  (c = 1)   | Mao et al. 2017                                              |
 *
 * Matches TF-GAN's `minimax_generator_loss`, `modified_generator_loss`, `wasserstein_generator_loss`,
 * `least_squares_generator_loss` (without their label smoothing, which belongs to the discriminator).
 *
 * When to choose: the same `kind` as the discriminator loss; for the cross-entropy game prefer
 * `nonSaturating` to `minimax`, whose gradient vanishes early in training when D rejects every fake.
 * @example
 * const { grads } = tf.variableGrads(() => gan.generatorLoss('hinge', critic.apply(generator.apply(z))), genVars);
 */
export function generatorLoss(kind: GanKind, fakeLogits: TensorInput): tf.Scalar {
  const fn = 'gan.generatorLoss';
  const k = checkKind(fn, kind);
  return tf.tidy(() => tf.mean(GENERATOR_TERMS[k](toLogits(fn, 'fakeLogits', fakeLogits))) as tf.Scalar);
}

/** A critic: a function of a batch, or a tfjs-layers model (called with `apply(x, { training: true })`). */
export type Critic =
  | ((x: tf.Tensor) => tf.Tensor)
  | { apply(x: tf.Tensor, kwargs?: Record<string, unknown>): unknown };

export interface GradientPenaltyOptions {
  /** λ ≥ 0, the penalty weight (10 in the paper). @defaultValue 10 */
  lambda?: number;
  /** The gradient norm aimed at (1: a 1-Lipschitz critic). @defaultValue 1 */
  target?: number;
  /** Seed of the interpolation weights ε (reproducible tests; leave unset in training). @defaultValue undefined (random) */
  seed?: number;
  /** Explicit interpolation weights ε in [0, 1], one per sample ([B] or [B, 1]); overrides the random draw. @defaultValue undefined (drawn) */
  interpolation?: TensorInput;
}

const PENALTY_OPTIONS: option.OptionSpecsFor<GradientPenaltyOptions, 'seed' | 'interpolation'> = {
  lambda: option.number(10, { min: 0 }),
  target: option.number(1, { min: 0 }),
  seed: option.optionalNumber(),
  interpolation: option.checkedWhereUsed(),
};

function callCritic(critic: Critic, x: tf.Tensor): unknown {
  return typeof critic === 'function' ? critic(x) : critic.apply(x, { training: true });
}

function checkCritic(fn: string, critic: unknown): Critic {
  const ok = typeof critic === 'function' || (typeof critic === 'object' && critic !== null && typeof (critic as { apply?: unknown }).apply === 'function');
  if (!ok) throw new LossInputError(fn, 'critic', 'a function x => scores or a tfjs-layers model', describeValue(critic));
  return critic as Critic;
}

/** ε, one per sample, reshaped to broadcast over x's feature axes. */
function interpolationWeights(fn: string, given: TensorInput | undefined, seed: number | undefined, shape: readonly number[]): tf.Tensor {
  const batch = shape[0]!;
  const broadcastShape = [batch, ...shape.slice(1).map(() => 1)];
  if (given === undefined) return tf.reshape(tf.randomUniform([batch], 0, 1, 'float32', seed), broadcastShape);
  const eps = toTensor(fn, 'options.interpolation', given);
  if (eps.size !== batch || eps.shape[0] !== batch || eps.rank > 2) {
    throw new LossInputError(fn, 'options.interpolation', `one weight per sample, shape [${batch}] or [${batch},1]`, `shape ${formatShape(eps.shape)}`);
  }
  checkValues(fn, 'options.interpolation', eps, 'probability');
  return tf.reshape(eps, broadcastShape);
}

/**
 * WGAN-GP gradient penalty (Gulrajani et al. 2017):
 *
 *   λ · E[(‖∇ₓ̂ D(x̂)‖₂ − target)²],   x̂ = ε·real + (1 − ε)·fake,   ε ~ U[0, 1] per sample,
 *
 * the norm taken over all of a sample's feature axes (computed as √(Σg² + 1e-12), so a zero gradient
 * has a finite derivative). Add it to the critic's Wasserstein loss; it is differentiable with
 * respect to the critic's weights (a second-order gradient), so call it inside the closure given to
 * `tf.variableGrads` / `optimizer.minimize`. `target` ≠ 1 gives the "γ-centered" variant
 * (Karras et al. 2017 use target 750 with λ = 1/750²).
 *
 * tfjs 4.22 limitation: second-order gradients are complete only through ops whose gradient uses
 * their inputs (matMul, conv2d, relu, leakyRelu, add, …; lossforge registers the zero gradients of the
 * comparisons that leakyRelu's gradient needs, see core/gradients.ts). `tanh`/`sigmoid`/`elu`
 * activations give an incomplete gradient of the penalty (tfjs records the clone of a saved output
 * before the op that produces it): use ReLU or leakyReLU critics. Like the paper, use no
 * batch normalization in the critic (the penalty is per sample).
 * @example
 * const { value, grads } = tf.variableGrads(() => tf.add(
 *   gan.discriminatorLoss('wasserstein', critic.apply(real), critic.apply(fake)),
 *   gan.gradientPenalty(critic, real, fake)), criticVars);
 */
export function gradientPenalty(critic: Critic, real: TensorInput, fake: TensorInput, options: GradientPenaltyOptions = {}): tf.Scalar {
  const fn = 'gan.gradientPenalty';
  const d = checkCritic(fn, critic);
  const { lambda, target, seed, interpolation } = option.resolveOptions(fn, PENALTY_OPTIONS, options as Record<string, unknown>);
  return tf.tidy(() => {
    const x = toTensor(fn, 'real', real);
    const g = toTensor(fn, 'fake', fake);
    checkRank(fn, 'real', x, 2);
    if (!sameShape(x.shape, g.shape)) {
      throw new LossInputError(fn, 'fake', `shape ${formatShape(x.shape)} (the shape of real)`, `shape ${formatShape(g.shape)}`);
    }
    if (x.shape[0] === 0) throw new LossInputError(fn, 'real', 'at least one sample', `shape ${formatShape(x.shape)}`);
    const eps = interpolationWeights(fn, interpolation as TensorInput | undefined, seed, x.shape);
    const xHat = tf.add(tf.mul(eps, x), tf.mul(tf.sub(1, eps), g));
    // A bad critic output is reported after tf.grad returns: throwing inside it would leave the
    // tensors tfjs saved for the backward pass alive.
    let badOutput: string | undefined;
    const scores = (input: tf.Tensor): tf.Scalar => {
      const out = callCritic(d, input);
      if (!(out instanceof tf.Tensor)) badOutput = describeValue(out);
      else if (out.shape[0] !== x.shape[0] || out.size !== x.shape[0]) badOutput = `shape ${formatShape(out.shape)}`;
      return tf.sum(out instanceof tf.Tensor ? out : tf.mul(input, 0));
    };
    const grad = tf.grad(scores)(xHat);
    if (badOutput !== undefined) {
      throw new LossInputError(fn, 'critic', `one score per sample (shape [${x.shape[0]}] or [${x.shape[0]},1])`, badOutput);
    }
    const axes = [...Array(grad.rank).keys()].slice(1);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(grad), axes), 1e-12));
    return tf.mul(lambda, tf.mean(tf.square(tf.sub(norm, target)))) as tf.Scalar;
  });
}
