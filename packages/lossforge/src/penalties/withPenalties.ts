/**
 * `withPenalties`: a loss plus weight penalties, as one loss for `model.compile`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import { configOf, type Loss, type LossCall, type LossConfig } from '../core/loss.js';
import type { Reduction } from '../core/reduce.js';
import { fromConfig as lossFromConfig } from '../losses/index.js';
import type { TensorInput } from '../core/validate.js';
import { fromConfig as penaltyFromConfig, isPenalty, type Penalty, type PenaltyConfig, type PenaltyTarget } from './penalty.js';

const NAME = 'withPenalties';

/** What a penalized loss's `getConfig()` returns: the wrapped loss's config and the penalties'. */
export interface PenalizedLossConfig {
  name: 'withPenalties';
  loss: LossConfig;
  penalties: PenaltyConfig[];
}

/** A loss with penalties: a `Loss` whose config records them. */
export interface PenalizedLoss extends Loss {
  readonly loss: Loss;
  readonly penalties: readonly Penalty[];
}

/**
 * Wraps `loss` so that each call returns loss(yTrue, yPred, call) + Σₖ penaltyₖ(target). The
 * penalties read `target`'s weights at each call (for a model: its current `trainableWeights`), so
 * inside `model.fit` their gradient reaches the weights, like Keras' `kernel_regularizer` losses
 * (which tfjs-layers adds in `fit` the same way). With reduction 'none' the penalty is added to every
 * per-sample value, so the batch mean is still loss + penalty.
 *
 * `getConfig()` gives `{ name: 'withPenalties', loss: <loss config>, penalties: [<penalty configs>] }`;
 * `withPenalties.fromConfig(config, model)` rebuilds it (the model is not part of a config).
 * @example
 * const loss = withPenalties(losses.meanSquaredError(), model, penalties.l2({ scale: 1e-3 }));
 * model.compile({ optimizer: 'adam', loss });
 */
export function withPenalties(loss: Loss, target: PenaltyTarget, ...penalties: Penalty[]): PenalizedLoss {
  if (typeof loss !== 'function') {
    throw new LossInputError(NAME, 'loss', 'a loss function (yTrue, yPred) => Tensor', describeValue(loss));
  }
  if (target === undefined || target === null) {
    throw new LossInputError(NAME, 'target', 'a model, a tensor or an array of tensors', describeValue(target));
  }
  if (penalties.length === 0) {
    throw new LossInputError(NAME, 'penalties', 'at least one penalty (e.g. penalties.l2())', 'none');
  }
  penalties.forEach((p, i) => {
    if (!isPenalty(p)) throw new LossInputError(NAME, `penalties[${i}]`, 'a penalty from penalties.* (e.g. penalties.l2())', describeValue(p));
  });
  const fixed = [...penalties];
  const wrapped = (yTrue: TensorInput, yPred: TensorInput, call?: LossCall): tf.Tensor =>
    tf.tidy(() => fixed.reduce<tf.Tensor>((total, penalty) => tf.add(total, penalty(target)), loss(yTrue, yPred, call)));
  const config = (): PenalizedLossConfig => ({
    name: NAME,
    loss: configOf(loss),
    penalties: fixed.map((p) => p.getConfig()),
  });
  const reduction: Reduction = (loss.options as { reduction?: Reduction } | undefined)?.reduction ?? 'mean';
  Object.defineProperty(wrapped, 'name', { value: NAME });
  Object.defineProperty(wrapped, 'options', { value: Object.freeze({ ...(loss.options ?? {}), reduction }), enumerable: true });
  Object.defineProperty(wrapped, 'getConfig', { value: () => config() as unknown as LossConfig, enumerable: true });
  Object.defineProperty(wrapped, 'loss', { value: loss, enumerable: true });
  // A loss with trainable state (Loss.variables) keeps it visible to fit and saveModel.
  if (loss.variables) Object.defineProperty(wrapped, 'variables', { value: loss.variables, enumerable: true });
  Object.defineProperty(wrapped, 'penalties', { value: Object.freeze(fixed), enumerable: true });
  return wrapped as PenalizedLoss;
}

/** Rebuilds `withPenalties(loss, target, ...penalties)` from its `getConfig()` and the target. */
withPenalties.fromConfig = (config: PenalizedLossConfig, target: PenaltyTarget): PenalizedLoss => {
  if (typeof config !== 'object' || config === null || config.name !== NAME || !Array.isArray(config.penalties)) {
    throw new LossInputError(NAME, 'config', "{ name: 'withPenalties', loss, penalties } (from getConfig())", describeValue(config));
  }
  return withPenalties(lossFromConfig(config.loss), target, ...config.penalties.map(penaltyFromConfig));
};
