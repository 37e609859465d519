/**
 * Weight penalties ("regularizers"): scalars of the weights to add to a training loss.
 *
 * Each factory returns a `Penalty`, callable on
 * - a tensor or a tf.Variable (penalized as given),
 * - an array of them (each penalized, the results summed),
 * - a tfjs-layers model or layer, duck-typed as anything with `trainableWeights` whose entries
 *   have `.read()`. Of a model's weights, only those of rank ≥ 2 (dense and conv kernels,
 *   embeddings) are penalized, like Keras' `kernel_regularizer`; pass `includeBiases: true` to
 *   penalize biases and normalization scales too (PyTorch's `weight_decay` on all parameters).
 *
 * To train with a penalty in `model.fit`, wrap the loss: `withPenalties(loss, model, ...penalties)`;
 * in a custom loop, add `penalty(model)` inside the closure given to `optimizer.minimize`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import * as option from '../core/options.js';
import type { OptionSpecsFor } from '../core/options.js';
import { definePenalty, shapeText, type WeightEntry } from './penalty.js';

export { collectWeights, fromConfig, isPenalty } from './penalty.js';
export type { HasTrainableWeights, Penalty, PenaltyConfig, PenaltyFactory, PenaltyTarget, Readable } from './penalty.js';
export { withPenalties, type PenalizedLossConfig } from './withPenalties.js';

const scale = (defaultValue: number) => option.number(defaultValue, { min: 0 });
const includeBiases = option.boolean(false);

/** `includeBiases`, shared by the penalties that apply to a model's weights by rank. */
export interface IncludeBiasesOption {
  /** Whether a model's rank < 2 weights (biases, normalization scales) are penalized too. @defaultValue false */
  includeBiases?: boolean;
}

/** Options of `l1`. */
export interface L1Options extends IncludeBiasesOption {
  /** The coefficient, ≥ 0 (Keras `l1`). @defaultValue 0.01 */
  scale?: number;
}

/** Options of `l2`. */
export interface L2Options extends IncludeBiasesOption {
  /** The coefficient, ≥ 0 (Keras `l2`). @defaultValue 0.01 */
  scale?: number;
}

/** Options of `elasticNet`. */
export interface ElasticNetOptions extends IncludeBiasesOption {
  /** The coefficient of Σ|w|, ≥ 0. @defaultValue 0.01 */
  l1?: number;
  /** The coefficient of ½Σw², ≥ 0. @defaultValue 0.01 */
  l2?: number;
}

/** Options of `normPenalty`. */
export interface NormPenaltyOptions extends IncludeBiasesOption {
  /** The norm allowed before the penalty starts, ≥ 0 (Keras MaxNorm `max_value`). @defaultValue 2 */
  maxNorm?: number;
  /** The axes each norm is taken over (Keras MaxNorm `axis`). @defaultValue undefined (the whole tensor) */
  axis?: number | number[];
  /** The coefficient, ≥ 0. @defaultValue 1 */
  scale?: number;
}

/** Options of `orthogonal`. */
export interface OrthogonalOptions {
  /** The coefficient, ≥ 0. @defaultValue 0.01 */
  scale?: number;
  /** Orthonormal columns (‖WᵀW − I‖²) or rows (‖WWᵀ − I‖²). @defaultValue 'columns' */
  mode?: 'columns' | 'rows';
}

/**
 * L1 penalty: scale · Σ|w|. Matches Keras `regularizers.L1(l1=scale)` and tfjs-layers `l1`.
 * Drives weights to exactly zero (sparse weights, feature selection); its gradient is scale·sign(w)
 * (0 at w = 0, like tfjs' abs).
 * @example
 * const loss = withPenalties(losses.meanSquaredError(), model, penalties.l1({ scale: 1e-4 }));
 */
export const l1 = definePenalty<L1Options>({
  name: 'l1',
  options: { scale: scale(0.01), includeBiases },
  compute: (w, { scale: s }) => tf.mul(s, tf.sum(tf.abs(w))),
});

/**
 * L2 penalty: scale · Σw² (Keras' convention, no ½). Matches Keras `regularizers.L2(l2=scale)` and
 * tfjs-layers `l2`; equals SGD weight decay with coefficient 2·scale (PyTorch `weight_decay = 2·scale`).
 * The default regularizer: shrinks all weights smoothly, reduces overfitting.
 * @example
 * penalties.l2({ scale: 1e-3 })(model); // a scalar
 */
export const l2 = definePenalty<L2Options>({
  name: 'l2',
  options: { scale: scale(0.01), includeBiases },
  compute: (w, { scale: s }) => tf.mul(s, tf.sum(tf.square(w))),
});

/**
 * Elastic net ("sparsity loss"): l1 · Σ|w| + ½ · l2 · Σw² (Zou & Hastie 2005; the ½ is glmnet's and
 * scikit-learn's convention). Note Keras' `L1L2(l1, l2)` has no ½: it equals
 * `elasticNet({ l1, l2: 2 · l2 })`, or `l1(...)` plus `l2(...)` here. Combines L1's sparsity with
 * L2's stability when inputs are correlated.
 * @example
 * penalties.elasticNet({ l1: 1e-4, l2: 1e-3 })(model);
 */
export const elasticNet = definePenalty<ElasticNetOptions>({
  name: 'elasticNet',
  options: { l1: scale(0.01), l2: scale(0.01), includeBiases },
  compute: (w, { l1: a, l2: b }) => tf.add(tf.mul(a, tf.sum(tf.abs(w))), tf.mul(0.5 * b, tf.sum(tf.square(w)))),
});

const axisOption: OptionSpecsFor<NormPenaltyOptions, 'axis'>['axis'] = {
  default: undefined,
  expected: 'an integer axis, a non-empty array of distinct integer axes, or undefined (the whole tensor)',
  accepts: (v) =>
    v === undefined ||
    Number.isInteger(v) ||
    (Array.isArray(v) && v.length > 0 && v.every((a) => Number.isInteger(a)) && new Set(v).size === v.length),
};

function resolveAxes(fn: string, axis: number | number[], entry: WeightEntry): number[] {
  const rank = entry.tensor.rank;
  const axes = Array.isArray(axis) ? axis : [axis];
  for (const a of axes) {
    if (a < -rank || a >= rank) {
      throw new LossInputError(fn, 'options.axis', `axes in [${-rank}, ${rank - 1}] for ${entry.label} (${shapeText(entry.tensor)})`, describeValue(axis));
    }
  }
  return axes.map((a) => (a < 0 ? a + rank : a));
}

/**
 * Norm penalty ("weight clipping loss"): scale · Σₛ max(0, ‖wₛ‖₂ − maxNorm)², a soft version of
 * Keras' `MaxNorm(max_value, axis)` constraint: zero while each norm stays within maxNorm, quadratic
 * beyond. `axis` says which axes a norm is taken over: undefined (default) = the whole tensor;
 * `0` = per output unit of a dense kernel [in, out] (Keras MaxNorm's default); `[0, 1, 2]` = per
 * filter of a conv kernel [h, w, in, out]. Choose it to keep weights bounded without the hard
 * projection of a constraint (e.g. to keep a critic's or an RNN's weights in range).
 * @example
 * penalties.normPenalty({ maxNorm: 3, axis: 0 })(model);
 */
export const normPenalty = definePenalty<NormPenaltyOptions, 'axis'>({
  name: 'normPenalty',
  options: { maxNorm: option.number(2, { min: 0 }), axis: axisOption, scale: scale(1), includeBiases },
  compute: (w, { maxNorm, axis, scale: s }, entry, fn) => {
    const axes = axis === undefined ? undefined : resolveAxes(fn, axis, entry);
    // max(Σw², 1e-24) keeps the norm's gradient finite at w = 0 (where the penalty is 0 anyway).
    const norms = tf.sqrt(tf.maximum(tf.sum(tf.square(w), axes), 1e-24));
    return tf.mul(s, tf.sum(tf.square(tf.relu(tf.sub(norms, maxNorm)))));
  },
});

/**
 * Orthogonality penalty: scale · ‖WᵀW − I‖²_F (`mode: 'columns'`, the default: orthonormal columns,
 * which needs rows ≥ columns) or scale · ‖WWᵀ − I‖²_F (`mode: 'rows'`). A kernel of rank > 2 is
 * flattened to [Π leading dims, last dim] (conv kernels: one column per filter), the "soft
 * orthogonality" of Bansal et al. 2018 / Brock et al. 2017. Keeps layers near-isometric: stabilizes
 * deep and recurrent nets and GAN generators. Keras' `OrthogonalRegularizer` differs (it normalizes
 * the vectors and averages |off-diagonal| entries). Only rank ≥ 2 weights are penalized.
 * @example
 * penalties.orthogonal({ scale: 1e-4 })(model);
 */
export const orthogonal = definePenalty<OrthogonalOptions>({
  name: 'orthogonal',
  options: { scale: scale(0.01), mode: option.oneOf(['columns', 'rows'], 'columns') },
  appliesTo: (entry) => !entry.fromModel || entry.tensor.rank >= 2,
  check: (entry, _options, fn) => {
    if (entry.tensor.rank < 2) {
      throw new LossInputError(fn, entry.label, 'a weight matrix or kernel of rank ≥ 2', shapeText(entry.tensor));
    }
  },
  compute: (w, { scale: s, mode }) => {
    const columns = w.shape[w.rank - 1]!;
    const matrix = tf.reshape(w, [-1, columns]) as tf.Tensor2D;
    const gram = mode === 'columns' ? tf.matMul(matrix, matrix, true, false) : tf.matMul(matrix, matrix, false, true);
    return tf.mul(s, tf.sum(tf.square(tf.sub(gram, tf.eye(gram.shape[0]!)))));
  },
});
