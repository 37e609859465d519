/**
 * Multi-task strategies: how the per-task losses Lₖ and gradients gₖ = ∇θ Lₖ of a multi-output model
 * become one update. One mechanism for all of them: a strategy turns this step's losses and the Gram
 * matrix of the task gradients, Gᵢⱼ = ⟨gᵢ, gⱼ⟩, into per-task coefficients aₖ, and the update is
 * Σₖ aₖ·gₖ, applied by the optimizer.
 *
 * - `dwa`: dynamic weight averaging (Liu, Johns & Davison 2019): weights from the rate at which each
 *   task's epoch loss falls.
 * - `gradNorm`: GradNorm (Chen, Badrinarayanan, Lee & Rabinovich 2018): weights trained so that the
 *   tasks' gradient norms on the shared weights follow their relative training rates.
 * - `pcgrad`: PCGrad, gradient surgery (Yu, Kumar, Gupta, Levine, Hausman & Finn 2020): each task's
 *   gradient loses its component along any other task's gradient it conflicts with. Every projected
 *   gradient is a linear combination of the gₖ, so the projections run on the K × K Gram matrix and
 *   the update is again Σₖ aₖ·gₖ.
 *
 * Pass one to `fit(model, x, y, { multiTask })` (the model compiled with one loss per output) or to
 * `trainStep(model, optimizer, lossesPerOutput, x, ys, { multiTask })`. Each step computes each task's
 * gradient in its own forward and backward pass (K passes for K outputs; layers with randomness, such
 * as dropout, draw anew in each).
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { describeValue, LossInputError } from '../core/errors.js';
import type { LossCall } from '../core/loss.js';
import * as option from '../core/options.js';
import type { TensorInput } from '../core/validate.js';
import { forward, isModel, trainableVariables, type TrainableModel } from './model.js';

// ───────────────────────────── the math (float64, pure) ─────────────────────────────

/**
 * DWA's task weights for the next epoch (Liu et al. 2019, eq. 7):
 * λₖ(t) = K·exp(rₖ(t−1)/T) / Σᵢ exp(rᵢ(t−1)/T), rₖ(t−1) = Lₖ(t−1) / Lₖ(t−2), from the epoch-mean
 * losses `history` (oldest first); all ones until two epochs are recorded.
 */
export function dwaWeights(history: readonly (readonly number[])[], temperature: number, tasks: number): number[] {
  if (history.length < 2) return new Array<number>(tasks).fill(1);
  const last = history[history.length - 1]!;
  const before = history[history.length - 2]!;
  const scaled = last.map((l, k) => l / before[k]! / temperature);
  const top = Math.max(...scaled); // shift for exp's range; cancels in the ratio
  const e = scaled.map((s) => Math.exp(s - top));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => (tasks * v) / total);
}

/** One GradNorm update of the task weights; see `gradNormUpdate`. */
export interface GradNormInput {
  /** wᵢ(t), the current weights (Σ = K). */
  weights: readonly number[];
  /** Lᵢ(t), this step's losses. */
  losses: readonly number[];
  /** Lᵢ(0), the losses of the first step. */
  initialLosses: readonly number[];
  /** ‖∇_W Lᵢ(t)‖₂, the unweighted task gradients' norms on the shared weights W. */
  gradNorms: readonly number[];
  alpha: number;
  learningRate: number;
}

/** Smallest weight GradNorm keeps before renormalizing (the update could push one to 0 or below). */
export const GRADNORM_MIN_WEIGHT = 1e-6;

/**
 * GradNorm (Chen et al. 2018, algorithm 1): with Gᵢ = wᵢ‖∇_W Lᵢ‖, Ḡ = meanᵢ Gᵢ, L̃ᵢ = Lᵢ(t)/Lᵢ(0)
 * and rᵢ = L̃ᵢ / meanⱼ L̃ⱼ, L_grad = Σᵢ |Gᵢ − Ḡ·rᵢ^α| with the targets Ḡ·rᵢ^α held constant, so
 * ∂L_grad/∂wᵢ = sign(Gᵢ − Ḡ·rᵢ^α)·‖∇_W Lᵢ‖. The weights take one gradient-descent step of
 * `learningRate` on L_grad, are floored at GRADNORM_MIN_WEIGHT and renormalized to Σᵢ wᵢ = K.
 * Returns the new weights and L_grad.
 */
export function gradNormUpdate(input: GradNormInput): { weights: number[]; gradLoss: number } {
  const { weights, losses, initialLosses, gradNorms, alpha, learningRate } = input;
  const K = weights.length;
  const G = weights.map((w, i) => w * gradNorms[i]!);
  const meanG = G.reduce((a, b) => a + b, 0) / K;
  const inverseRate = losses.map((l, i) => l / initialLosses[i]!);
  const meanRate = inverseRate.reduce((a, b) => a + b, 0) / K;
  const target = inverseRate.map((r) => meanG * (r / meanRate) ** alpha);
  const gradLoss = G.reduce((sum, g, i) => sum + Math.abs(g - target[i]!), 0);
  const stepped = weights.map((w, i) => Math.max(w - learningRate * Math.sign(G[i]! - target[i]!) * gradNorms[i]!, GRADNORM_MIN_WEIGHT));
  const total = stepped.reduce((a, b) => a + b, 0);
  return { weights: stepped.map((w) => (K * w) / total), gradLoss };
}

/**
 * PCGrad's update Σᵢ gᵢᴾᶜ as coefficients on the task gradients, from their Gram matrix
 * Gᵢⱼ = ⟨gᵢ, gⱼ⟩ (Yu et al. 2020, algorithm 1): for each task i, gᵢᴾᶜ starts at gᵢ and, for each other
 * task j in `order`, where ⟨gᵢᴾᶜ, gⱼ⟩ < 0, loses its projection on gⱼ:
 * gᵢᴾᶜ ← gᵢᴾᶜ − ⟨gᵢᴾᶜ, gⱼ⟩/‖gⱼ‖²·gⱼ. With gᵢᴾᶜ = Σₘ Cᵢₘ·gₘ every inner product is Σₘ Cᵢₘ·Gₘⱼ, so
 * the update Σᵢ gᵢᴾᶜ is Σⱼ aⱼ·gⱼ with aⱼ = Σᵢ Cᵢⱼ (returned). A zero gradient projects nothing.
 */
export function pcgradCoefficients(gram: readonly (readonly number[])[], order: readonly number[]): number[] {
  const K = gram.length;
  const C: number[][] = gram.map((_, i) => gram.map((__, m) => (i === m ? 1 : 0)));
  for (let i = 0; i < K; i++) {
    for (const j of order) {
      if (j === i || !(gram[j]![j]! > 0)) continue;
      const dot = C[i]!.reduce((sum, c, m) => sum + c * gram[m]![j]!, 0);
      if (dot < 0) C[i]![j]! -= dot / gram[j]![j]!;
    }
  }
  return gram.map((_, j) => C.reduce((sum, row) => sum + row[j]!, 0));
}

// ───────────────────────────── strategies ─────────────────────────────

/** What a strategy sees of one training step. */
export interface TaskStep {
  /** Lₖ, this step's per-task losses. */
  losses: readonly number[];
  /** ⟨gᵢ, gⱼ⟩ over every trainable weight. */
  gram: readonly (readonly number[])[];
  /** ⟨gᵢ, gⱼ⟩ over the shared weights only (those every task's loss depends on). */
  sharedGram: readonly (readonly number[])[];
}

export type MultiTaskStrategyName = 'dwa' | 'gradNorm' | 'pcgrad';

/** A multi-task strategy: per-task losses and gradients in, the update's coefficients out. */
export interface MultiTaskStrategy {
  readonly name: MultiTaskStrategyName;
  /** The coefficients aₖ of this step's update Σₖ aₖ·gₖ; records what the strategy keeps (losses, weights). */
  coefficients(step: TaskStep): number[];
  /** Ends an epoch (`fit` calls it; call it in a custom loop): DWA's weights change here. */
  endEpoch(): void;
  /** The current task weights (for logging; PCGrad: all ones). */
  weights(): number[];
  /** Forgets the recorded history (losses, weights), as if new. */
  reset(): void;
  getConfig(): { name: MultiTaskStrategyName } & Record<string, unknown>;
}

const BRAND = Symbol.for('lossforge.multiTaskStrategy');

/** True for the strategies `dwa`, `gradNorm` and `pcgrad` return. */
export function isMultiTaskStrategy(x: unknown): x is MultiTaskStrategy {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[BRAND] === true;
}

const brand = <S extends MultiTaskStrategy>(s: S): S => Object.defineProperty(s, BRAND, { value: true }) as S;

/** Options of `dwa`. */
export interface DwaOptions {
  /** T > 0: the softmax temperature; larger is closer to equal weights. @defaultValue 2 (the paper's) */
  temperature?: number;
}

/**
 * Dynamic weight averaging (Liu, Johns & Davison 2019, "End-to-End Multi-Task Learning with
 * Attention", eq. 7): λₖ(t) = K·exp(rₖ(t−1)/T) / Σᵢ exp(rᵢ(t−1)/T) with rₖ(t−1) = Lₖ(t−1)/Lₖ(t−2),
 * Lₖ the task's mean loss over an epoch; λₖ = 1 for the first two epochs. A task whose loss falls more
 * slowly gets more weight. Needs only the losses (no gradient information), so it is the cheapest;
 * choose it when tasks learn at different speeds.
 * `fit(model, x, ys, { multiTask: multiTask.dwa() })` (docs/multi-task.md runs one); the weights after
 * two epochs whose mean losses were [2, 1], then [1, 1]:
 * @example
 * multiTask.dwaWeights([[2, 1], [1, 1]], 2, 2); // ≈ [0.8756, 1.1244]
 */
export function dwa(options: DwaOptions = {}): MultiTaskStrategy {
  const { temperature } = option.resolveOptions('dwa', { temperature: option.number(2, { min: 0, minExclusive: true }) }, options as Record<string, unknown>);
  let history: number[][] = [];
  let sums: number[] = [];
  let steps = 0;
  let current: number[] = [];
  return brand({
    name: 'dwa',
    coefficients: ({ losses }) => {
      if (current.length !== losses.length) current = dwaWeights(history, temperature, losses.length);
      sums = losses.map((l, k) => (sums[k] ?? 0) + l);
      steps++;
      return [...current];
    },
    endEpoch: () => {
      if (steps === 0) return;
      history = [...history.slice(-1), sums.map((s) => s / steps)];
      current = dwaWeights(history, temperature, sums.length);
      sums = [];
      steps = 0;
    },
    weights: () => [...current],
    reset: () => {
      [history, sums, steps, current] = [[], [], 0, []];
    },
    getConfig: () => ({ name: 'dwa', temperature }),
  });
}

/** Options of `gradNorm`. */
export interface GradNormOptions {
  /** α ≥ 0: how strongly slower tasks are pulled up (0: equal gradient norms). @defaultValue 1.5 */
  alpha?: number;
  /** > 0: the step size of the weights' own gradient descent on L_grad. @defaultValue 0.025 */
  learningRate?: number;
}

/**
 * GradNorm (Chen, Badrinarayanan, Lee & Rabinovich 2018, "GradNorm: Gradient Normalization for
 * Adaptive Loss Balancing in Deep Multitask Networks", algorithm 1). The update is Σᵢ wᵢ·∇Lᵢ; then the
 * weights take a step on L_grad = Σᵢ |wᵢ‖∇_W Lᵢ‖ − Ḡ·rᵢ^α| (targets constant) and are renormalized
 * to Σ wᵢ = K, where W are the shared weights, Ḡ the mean weighted norm and rᵢ the task's relative
 * inverse training rate (Lᵢ(t)/Lᵢ(0) over its mean; see `gradNormUpdate`). W here is every weight
 * all tasks depend on (the paper uses the last shared layer to save computation; the rule is the same).
 * Choose it when one task's gradients dominate the shared layers.
 * `fit(model, x, ys, { multiTask: multiTask.gradNorm() })` (docs/multi-task.md runs one); one update
 * of the weights when task 0's gradient norm is twice task 1's and both train at the same rate:
 * @example
 * multiTask.gradNormUpdate({ weights: [1, 1], losses: [1, 1], initialLosses: [1, 1], gradNorms: [2, 1], alpha: 1.5, learningRate: 0.1 }).weights; // ≈ [0.8421, 1.1579]
 */
export function gradNorm(options: GradNormOptions = {}): MultiTaskStrategy {
  const { alpha, learningRate } = option.resolveOptions(
    'gradNorm',
    { alpha: option.number(1.5, { min: 0 }), learningRate: option.number(0.025, { min: 0, minExclusive: true }) },
    options as Record<string, unknown>,
  );
  let weights: number[] = [];
  let initialLosses: number[] = [];
  return brand({
    name: 'gradNorm',
    coefficients: ({ losses, sharedGram }) => {
      if (weights.length !== losses.length) [weights, initialLosses] = [losses.map(() => 1), [...losses]];
      const used = [...weights];
      const gradNorms = sharedGram.map((row, i) => Math.sqrt(Math.max(row[i]!, 0)));
      weights = gradNormUpdate({ weights, losses, initialLosses, gradNorms, alpha, learningRate }).weights;
      return used;
    },
    endEpoch: () => {},
    weights: () => [...weights],
    reset: () => {
      [weights, initialLosses] = [[], []];
    },
    getConfig: () => ({ name: 'gradNorm', alpha, learningRate }),
  });
}

/** Options of `pcgrad`. */
export interface PcgradOptions {
  /** Seed of the random task order of the projections (one permutation per step). @defaultValue undefined (Math.random) */
  seed?: number;
}

/**
 * PCGrad (Yu, Kumar, Gupta, Levine, Hausman & Finn 2020, "Gradient Surgery for Multi-Task
 * Learning", algorithm 1): each task's gradient gᵢ, wherever ⟨gᵢ, gⱼ⟩ < 0 for another task j (taken
 * in a random order), is replaced by its projection on gⱼ's normal plane, gᵢ − ⟨gᵢ, gⱼ⟩/‖gⱼ‖²·gⱼ;
 * the update is the sum of the projected gradients (see `pcgradCoefficients`). Conflicting tasks stop
 * undoing each other's progress on the shared weights. Choose it when tasks' gradients point in
 * opposing directions (negative cosine similarity).
 * `fit(model, x, ys, { multiTask: multiTask.pcgrad({ seed: 1 }) })` (docs/multi-task.md runs one); two
 * conflicting gradients with ‖g₀‖² = 1, ‖g₁‖² = 4, ⟨g₀, g₁⟩ = −1 give the update 2·g₀ + 1.25·g₁:
 * @example
 * multiTask.pcgradCoefficients([[1, -1], [-1, 4]], [0, 1]); // [2, 1.25]
 */
export function pcgrad(options: PcgradOptions = {}): MultiTaskStrategy {
  const { seed } = option.resolveOptions('pcgrad', { seed: option.optionalInteger() }, options as Record<string, unknown>);
  let random = seed === undefined ? Math.random : seedrandom(String(seed));
  let tasks = 0;
  return brand({
    name: 'pcgrad',
    coefficients: ({ gram }) => {
      tasks = gram.length;
      const order = [...gram.keys()];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      return pcgradCoefficients(gram, order);
    },
    endEpoch: () => {},
    weights: () => new Array<number>(tasks).fill(1),
    reset: () => {
      random = seed === undefined ? Math.random : seedrandom(String(seed));
    },
    getConfig: () => ({ name: 'pcgrad', ...(seed === undefined ? {} : { seed }) }),
  });
}

// ───────────────────────────── the step ─────────────────────────────

/** Σ over the variables `names` of ⟨gᵢ, gⱼ⟩, as a K × K matrix (a task without a gradient for a variable contributes zero). */
function gramOf(grads: tf.NamedTensorMap[], names: readonly string[]): number[][] {
  if (names.length === 0) return grads.map(() => grads.map(() => 0));
  const matrix = tf.tidy(() => {
    const perVariable = names.map((name) => {
      const size = tf.util.sizeFromShape(grads.find((g) => g[name])![name]!.shape);
      const rows = tf.concat(grads.map((g) => (g[name] ? tf.reshape(g[name]!, [1, size]) : tf.zeros([1, size]))), 0);
      return tf.matMul(rows, rows, false, true);
    });
    return perVariable.length === 1 ? perVariable[0]! : tf.addN(perVariable);
  });
  const values = matrix.arraySync() as number[][];
  matrix.dispose();
  return values;
}

/**
 * One multi-task step: each task's loss and gradient (`tasks[k]` computes task k's scalar loss from a
 * fresh forward pass), the strategy's coefficients aₖ, and the optimizer applying Σₖ aₖ·gₖ plus the
 * gradient of the `penalty` terms (regularization, unweighted). Returns the task losses before the
 * update and the coefficients.
 */
export function multiTaskUpdate(
  strategy: MultiTaskStrategy,
  optimizer: tf.Optimizer,
  variables: tf.Variable[],
  tasks: Array<() => tf.Scalar>,
  penalty: () => tf.Scalar[] = () => [],
): { losses: number[]; coefficients: number[] } {
  const perTask = tasks.map((f) => tf.variableGrads(f, variables));
  let extra: tf.NamedTensorMap = {};
  try {
    const losses = perTask.map(({ value }) => value.dataSync()[0]!);
    const grads = perTask.map(({ grads: g }) => g);
    const names = variables.map((v) => v.name).filter((n) => grads.some((g) => g[n]));
    const shared = names.filter((n) => grads.every((g) => g[n]));
    const a = strategy.coefficients({ losses, gram: gramOf(grads, names), sharedGram: gramOf(grads, shared) });
    if (a.length !== tasks.length || !a.every(Number.isFinite)) {
      throw new Error(`lossforge: ${strategy.name} gave task coefficients [${a.join(', ')}] for losses [${losses.join(', ')}] (expected ${tasks.length} finite numbers)`);
    }
    if (tf.tidy(() => penalty().length) > 0) {
      const { value, grads: g } = tf.variableGrads(() => tf.addN(penalty()) as tf.Scalar, variables);
      value.dispose();
      extra = g;
    }
    const update = tf.tidy(() => {
      const out: tf.NamedTensorMap = {};
      for (const name of names) {
        const terms = grads.flatMap((g, k) => (g[name] ? [tf.mul(g[name]!, a[k]!)] : []));
        out[name] = terms.length === 1 ? terms[0]! : tf.addN(terms);
      }
      for (const [name, g] of Object.entries(extra)) out[name] = out[name] ? tf.add(out[name]!, g) : tf.clone(g);
      return out;
    });
    optimizer.applyGradients(update);
    tf.dispose(Object.values(update));
    return { losses, coefficients: a };
  } finally {
    for (const { value, grads } of perTask) tf.dispose([value, ...Object.values(grads)]);
    tf.dispose(Object.values(extra));
  }
}

/** The `multiTask` option of `fit` / `trainStep`: a strategy, for a model with at least two outputs. */
export function multiTaskOption(tool: string, argument: string, value: unknown, outputs: number): MultiTaskStrategy | undefined {
  if (value === undefined) return undefined;
  if (!isMultiTaskStrategy(value)) throw new LossInputError(tool, argument, 'a multi-task strategy (multiTask.dwa(), multiTask.gradNorm() or multiTask.pcgrad())', describeValue(value));
  if (outputs < 2) throw new LossInputError(tool, argument, 'a model with at least two outputs (one task per output)', `${outputs} output`);
  return value;
}

/** A per-output loss for `trainStep`'s multi-task form. */
export type TaskLoss = (yTrue: tf.Tensor, yPred: tf.Tensor, call?: LossCall) => tf.Tensor;

/** Options of `trainStep`'s multi-task form. */
export interface MultiTaskStepOptions {
  /** The strategy that turns the per-task losses and gradients into the update. */
  multiTask: MultiTaskStrategy;
  /** Per-output calls (`sampleWeight`, `mask`, …), by output name or position. */
  calls?: Readonly<Record<string, LossCall>> | readonly (LossCall | undefined)[];
}

/** By output name (a dict) or position (an array), checked against the model's outputs. */
function byOutput<T>(tool: string, argument: string, given: unknown, names: readonly string[], optional: boolean): (T | undefined)[] {
  if (given === undefined && optional) return names.map(() => undefined);
  if (Array.isArray(given)) {
    if (given.length !== names.length) throw new LossInputError(tool, argument, `one entry per output (${names.length}: ${names.join(', ')})`, `${given.length} entries`);
    return given as T[];
  }
  if (typeof given === 'object' && given !== null && !(given instanceof tf.Tensor)) {
    const dict = given as Record<string, T>;
    for (const key of Object.keys(dict)) if (!names.includes(key)) throw new LossInputError(tool, `${argument}.${key}`, `one of the outputs (${names.join(', ')})`, 'an unknown output');
    return names.map((n) => {
      if (dict[n] === undefined && !optional) throw new LossInputError(tool, `${argument}.${n}`, 'a value for every output', 'nothing');
      return dict[n];
    });
  }
  throw new LossInputError(tool, argument, `a dict by output name or an array in output order (${names.join(', ')})`, describeValue(given));
}

/**
 * `trainStep`'s multi-task form: one step of `options.multiTask` on a multi-output model, with one
 * loss per output (`losses`, by output name or position) and targets `ys` likewise. Adds the model's
 * regularization penalties unweighted. Returns Σₖ aₖ·Lₖ, the losses weighted by this step's
 * coefficients, before the update.
 */
export function multiTaskStep(model: TrainableModel, optimizer: tf.Optimizer, losses: unknown, x: tf.Tensor | tf.Tensor[], ys: unknown, options: MultiTaskStepOptions): number {
  const tool = 'trainStep';
  if (!isModel(model)) throw new LossInputError(tool, 'model', 'a tfjs-layers model (the multi-task form takes one loss per output)', describeValue(model));
  if (typeof optimizer?.applyGradients !== 'function') throw new LossInputError(tool, 'optimizer', 'a tf.Optimizer (e.g. tf.train.adam())', describeValue(optimizer));
  if (typeof options !== 'object' || options === null) throw new LossInputError(tool, 'options', '{ multiTask, calls? } (the multi-task form)', describeValue(options));
  const names = model.outputNames.length > 0 ? model.outputNames : model.outputs.map((_, i) => `output${i}`);
  if (options.multiTask === undefined) throw new LossInputError(tool, 'options.multiTask', 'a multi-task strategy (multiTask.dwa(), multiTask.gradNorm() or multiTask.pcgrad())', 'undefined');
  const strategy = multiTaskOption(tool, 'options.multiTask', options.multiTask, names.length)!;
  const perLoss = byOutput<TaskLoss>(tool, 'losses', losses, names, false);
  perLoss.forEach((l, k) => {
    if (typeof l !== 'function') throw new LossInputError(tool, `losses.${names[k]}`, 'a loss function', describeValue(l));
  });
  const targets = byOutput<TensorInput>(tool, 'ys', ys, names, false);
  targets.forEach((t, k) => {
    if (!(t instanceof tf.Tensor)) throw new LossInputError(tool, `ys.${names[k]}`, 'a tensor', describeValue(t));
  });
  const calls = byOutput<LossCall>(tool, 'options.calls', options.calls, names, true);
  const inputs = Array.isArray(x) ? x : [x];
  inputs.forEach((t, i) => {
    if (!(t instanceof tf.Tensor)) throw new LossInputError(tool, Array.isArray(x) ? `x[${i}]` : 'x', 'a tensor', describeValue(t));
  });
  const task = (k: number) => (): tf.Scalar => {
    const value = perLoss[k]!(targets[k] as tf.Tensor, forward(model, inputs, true)[k]!, calls[k]);
    if (value.rank !== 0) throw new LossInputError(tool, `losses.${names[k]}`, 'a loss returning a scalar', `a tensor of shape [${value.shape.join(',')}]`);
    return value as tf.Scalar;
  };
  const penalty = () => model.calculateLosses() as tf.Scalar[];
  const { losses: values, coefficients } = multiTaskUpdate(strategy, optimizer, trainableVariables(model), names.map((_, k) => task(k)), penalty);
  return values.reduce((sum, l, k) => sum + coefficients[k]! * l, 0);
}
