/**
 * `compile(model, args)`: `model.compile` for lossforge losses, so that tfjs-layers' own `model.fit` /
 * `model.fitDataset` / `model.evaluate` compute what they compute with tfjs' built-in losses. The one
 * line to change when migrating a tfjs program (see docs/guides/migrating.md).
 *
 * tfjs-layers weights a loss by multiplying the value it returns by the per-sample weights
 * (`computeWeightedLoss`) and averaging. A lossforge loss returns a scalar, so `classWeight` would give
 * mean(w)·L instead of Σ wᵢℓᵢ / n. `compile` therefore:
 * - wraps each lossforge loss with reduction `mean` in `compileLoss` (per-sample values: tfjs' weighting
 *   becomes Keras' `class_weight`); a loss with another reduction cannot be weighted by tfjs, so
 *   `model.fit(…, { classWeight })` then throws at the call, naming lossforge's `fit`;
 * - replaces `'accuracy'` / `'acc'` by the accuracy that matches each output's loss (`accuracyFor`:
 *   sparse labels, `fromLogits`), keeping the `acc` log key;
 * - makes `model.fit` accept `[N]` targets for `[N, 1]` outputs (and the reverse), and explains the two
 *   tfjs errors a lossforge user meets: integer labels (tfjs accepts them only for its own sparse loss:
 *   use lossforge's `fit` / `fitDataset`) and `model.save` ("Serialization of non-string loss": use
 *   `saveModel`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import type { Loss } from '../core/loss.js';
import { accuracyFor } from '../metrics/index.js';
import { compileLoss } from './compileLoss.js';
import { alignTarget, checkModel, isLoss, lossforgeLossOf, type TrainableModel } from './model.js';

type LossArg = unknown;

export interface CompileArgs {
  optimizer: tf.Optimizer | string;
  /** A loss per model (lossforge `Loss`, tfjs name or function), or one per output (array or map by output name). */
  loss: LossArg | LossArg[] | { [outputName: string]: LossArg };
  /** Metrics as tfjs takes them; `'accuracy'` / `'acc'` become the accuracy matching the loss. */
  metrics?: unknown;
}

const ADAPTED = Symbol.for('lossforge.compiled');

/**
 * Compiles `model` for tfjs-layers' own training methods with lossforge losses (see the module
 * comment for what changes). Call it instead of `model.compile(args)`; the arguments are the same.
 * Not needed with lossforge's `fit` / `fitDataset`, which weight and pick the accuracy themselves.
 * @example
 * compile(model, { optimizer: 'adam', loss: losses.binaryCrossentropy(), metrics: ['accuracy'] });
 * await model.fit(x, y, { epochs: 10, classWeight: { 0: 1, 1: 7 } }); // Keras class_weight semantics
 */
export function compile(model: TrainableModel, args: CompileArgs): void {
  const tool = 'compile';
  checkModel(tool, model);
  if (typeof args !== 'object' || args === null || args.loss === undefined) {
    throw new LossInputError(tool, 'args', '{ optimizer, loss, metrics? } as for model.compile', describeValue(args));
  }
  // A tf.Sequential names its outputs only once compiled; count them from model.outputs.
  const outputs = model.outputNames.length > 0 ? model.outputNames : model.outputs.map((_, i) => `output${i}`);
  const perOutput = lossesByOutput(tool, args.loss, outputs);
  const unweightable = perOutput.filter((l) => isLoss(l) && l.getConfig()['reduction'] !== 'mean').map((l) => (l as Loss).name);
  const adapt = (l: unknown) => (isLoss(l) && l.getConfig()['reduction'] === 'mean' ? compileLoss(l) : l);
  const loss = Array.isArray(args.loss)
    ? args.loss.map(adapt)
    : isPlainMap(args.loss)
      ? Object.fromEntries(Object.entries(args.loss).map(([k, v]) => [k, adapt(v)]))
      : adapt(args.loss);
  const metrics = args.metrics === undefined ? undefined : matchAccuracy(args.metrics, perOutput, outputs);
  model.compile({ optimizer: args.optimizer, loss, ...(metrics === undefined ? {} : { metrics }) });
  explainTfjsErrors(model, perOutput, unweightable);
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(typeof v === 'function');
}

/** The loss of each output, in output order. */
function lossesByOutput(tool: string, loss: unknown, outputs: string[]): unknown[] {
  if (Array.isArray(loss)) {
    if (loss.length !== outputs.length) throw new LossInputError(tool, 'args.loss', `one loss per output (${outputs.length})`, `${loss.length} losses`);
    return loss;
  }
  if (isPlainMap(loss)) return outputs.map((name) => loss[name]);
  return outputs.map(() => loss);
}

const isAccuracyName = (m: unknown) => m === 'accuracy' || m === 'acc';

/** `metrics` with `'accuracy'` / `'acc'` replaced by `accuracyFor(loss)` where the output's loss is a lossforge loss. */
function matchAccuracy(metrics: unknown, perOutput: unknown[], outputs: string[]): unknown {
  const replace = (m: unknown, i: number) => {
    const loss = isAccuracyName(m) ? lossforgeLossOf(perOutput[i]) : undefined;
    return (loss && accuracyFor(loss)) || m;
  };
  if (Array.isArray(metrics)) {
    if (outputs.length === 1) return metrics.map((m) => replace(m, 0));
    return metrics; // tfjs applies a flat list to every output; leave per-output choices to a map.
  }
  if (isPlainMap(metrics)) {
    return Object.fromEntries(
      Object.entries(metrics).map(([name, m]) => {
        const i = outputs.indexOf(name);
        if (i < 0) return [name, m];
        return [name, Array.isArray(m) ? m.map((one) => replace(one, i)) : replace(m, i)];
      }),
    );
  }
  return replace(metrics, 0);
}

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * Wraps this model's `fit`, `evaluate` and `save` (once): `[N]` / `[N, 1]` targets aligned to the
 * outputs, and tfjs errors that a lossforge loss causes rethrown with what to do instead.
 */
function explainTfjsErrors(model: TrainableModel, perOutput: unknown[], unweightable: string[]): void {
  const m = model as unknown as Record<string | symbol, unknown>;
  const original = (m[ADAPTED] as Record<string, Method> | undefined) ?? {
    fit: (m['fit'] as Method).bind(model),
    evaluate: (m['evaluate'] as Method).bind(model),
    save: (m['save'] as Method).bind(model),
  };
  Object.defineProperty(m, ADAPTED, { value: original, configurable: true });
  const sparse = perOutput.some((l) => lossforgeLossOf(l)?.getConfig()['name'] === 'sparseCategoricalCrossentropy');
  const align = (y: unknown): unknown => {
    if (y instanceof tf.Tensor && model.outputs.length === 1) return alignTarget(y, model.outputs[0]!.shape);
    if (Array.isArray(y)) return y.map((t, i) => (t instanceof tf.Tensor && model.outputs[i] ? alignTarget(t, model.outputs[i]!.shape) : t));
    return y;
  };
  const targetError = (e: unknown, method: string): unknown => {
    const message = (e as Error)?.message ?? '';
    if (sparse && /\btarget\b/.test(message)) {
      return new LossInputError(
        `model.${method}`,
        'y',
        `targets shaped like the output: tfjs-layers accepts integer labels only for its own sparse loss; pass integer labels to lossforge's fit(model, x, y) / fitDataset(model, dataset) instead, or one-hot targets with losses.categoricalCrossentropy()`,
        `tfjs: ${message}`,
      );
    }
    return e;
  };
  const withTargets = (method: 'fit' | 'evaluate'): Method => async (...args: unknown[]) => {
    const [x, y, options] = args;
    if (method === 'fit' && unweightable.length > 0 && typeof options === 'object' && options !== null && (options as { classWeight?: unknown }).classWeight != null) {
      throw new LossInputError(
        'model.fit',
        'classWeight',
        `losses with reduction 'mean' (tfjs-layers can weight only per-sample values), or lossforge's fit(model, x, y, { classWeight }), which applies them with any reduction`,
        `${unweightable.join(', ')} with another reduction`,
      );
    }
    const aligned = align(y);
    try {
      return await original[method]!(x, aligned, ...args.slice(2));
    } catch (e) {
      throw targetError(e, method);
    } finally {
      tf.dispose(made(aligned, y));
    }
  };
  m['fit'] = withTargets('fit');
  m['evaluate'] = (...args: unknown[]) => {
    // tfjs' evaluate is synchronous: keep it so.
    const [x, y, ...rest] = args;
    const aligned = align(y);
    try {
      return (original['evaluate'] as unknown as (...a: unknown[]) => unknown)(x, aligned, ...rest);
    } catch (e) {
      throw targetError(e, 'evaluate');
    } finally {
      tf.dispose(made(aligned, y));
    }
  };
  m['save'] = async (...args: unknown[]) => {
    try {
      return await original['save']!(...args);
    } catch (e) {
      if (/non-string loss/.test((e as Error)?.message ?? '')) {
        throw new LossInputError(
          'model.save',
          'model.loss',
          "lossforge's saveModel(model, url) (it stores the loss config, metrics and optimizer state; loadModel(url) compiles the model again), or model.save(url, { includeOptimizer: false }) to save only topology and weights",
          'a lossforge loss, which tfjs-layers cannot serialize ("Serialization of non-string loss is not supported")',
        );
      }
      throw e;
    }
  };
}

/** The tensors in `aligned` that `align` made (not the caller's own). */
function made(aligned: unknown, y: unknown): tf.Tensor[] {
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
  const own = list(y);
  return list(aligned).filter((t): t is tf.Tensor => t instanceof tf.Tensor && !own.includes(t));
}
