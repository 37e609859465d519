/**
 * `compileLoss`: an adapter for tfjs-layers' own `model.fit(…, { classWeight })`.
 *
 * tfjs-layers applies class weights by multiplying the value the loss returns by per-sample weights and
 * averaging. A lossforge loss returns a scalar (reduction `mean`), so the native path computes
 * mean(w)·loss instead of Σ wᵢℓᵢ / n. The adapter returns the per-sample values instead (the mean over
 * any axes after the batch axis), which makes tfjs's arithmetic the by-hand per-class weighting.
 * lossforge's own `fit` does not need it (it passes weights through `call.sampleWeight`), and
 * `saveModel` / `fit` see through it to the wrapped loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import type { Loss } from '../core/loss.js';
import { fromConfig } from '../losses/index.js';
import { isLoss, WRAPPED_LOSS, type LossFn } from './model.js';

/** A `compileLoss` adapter: a tfjs-layers loss function that remembers its lossforge loss. */
export interface CompiledLossFn extends LossFn {
  readonly lossforgeLoss: Loss;
}

/**
 * Wraps a lossforge loss (reduction `mean`) for tfjs-layers' own `model.compile` / `model.fit`: the
 * adapter returns per-sample values (the loss rebuilt from its config with reduction `none`, averaged
 * over the axes after the batch axis), so `model.fit`'s `classWeight` gives Σ wᵢℓᵢ / n. Not needed
 * with lossforge's `fit`.
 * @example
 * model.compile({ optimizer: 'adam', loss: compileLoss(losses.binaryCrossentropy()) });
 * await model.fit(x, y, { classWeight: { 0: 1, 1: 5 } }); // tfjs's own fit, now weighting correctly
 */
export function compileLoss(loss: Loss): CompiledLossFn {
  const tool = 'compileLoss';
  if (!isLoss(loss)) throw new LossInputError(tool, 'loss', 'a lossforge Loss (e.g. losses.huber())', describeValue(loss));
  if (loss.variables) {
    throw new LossInputError(
      tool,
      'loss',
      "a loss without trainable variables (tfjs-layers' model.fit does not train loss.variables; use lossforge's fit)",
      `${loss.name} with variables ${Object.keys(loss.variables).join(', ')}`,
    );
  }
  const config = loss.getConfig();
  if (config['reduction'] !== 'mean') {
    throw new LossInputError(
      tool,
      'loss',
      "a loss with reduction 'mean' (tfjs-layers averages the per-sample values, which is what 'mean' means)",
      `reduction ${describeValue(config['reduction'])}`,
    );
  }
  let perSample: Loss;
  try {
    perSample = fromConfig({ ...config, reduction: 'none' });
  } catch (e) {
    throw new LossInputError(tool, 'loss', 'a loss that can be rebuilt from its config with reduction "none"', `${loss.name} (${(e as Error).message})`);
  }
  const fn = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const values = perSample(yTrue, yPred);
      return values.rank <= 1 ? values : tf.mean(values, [...Array(values.rank).keys()].slice(1));
    });
  Object.defineProperty(fn, 'name', { value: loss.name });
  Object.defineProperty(fn, WRAPPED_LOSS, { value: loss, enumerable: true });
  return fn as unknown as CompiledLossFn;
}
