/**
 * Sequence losses: CTC (connectionist temporal classification, Graves et al. 2006) and its decoders.
 *
 * CTC trains a per-frame classifier (handwriting, speech, OCR) on unaligned label sequences: the
 * loss sums the probability of every frame-level path that collapses to the target. The
 * forward–backward recursion runs in JavaScript typed arrays, in log space, in one pure function
 * (`ctcForwardBackward`) that a fused kernel can replace; its gradient is written by hand.
 */
import * as tf from '@tensorflow/tfjs-core';
import { valueChecksEnabled } from '../core/config.js';
import { describeValue, formatShape, LossInputError } from '../core/errors.js';
import { defineLoss, type LossCall } from '../core/loss.js';
import * as option from '../core/options.js';
import type { BaseLossOptions, OptionSpecsFor, ResolvedOptions } from '../core/options.js';
import { checkRank, toTensor, type TensorInput } from '../core/validate.js';
import { fusedCtcBatch, type CtcBatchInput as CtcInputs } from '../kernels/ctc.js';

// ───────────────────────────── the recursion (pure, typed arrays) ─────────────────────────────

/** One sample's CTC negative log-likelihood and its gradient with respect to the log-probabilities. */
export interface CtcResult {
  /** −log p(labels | input); +Infinity when no alignment exists. */
  nll: number;
  /**
   * ∂nll/∂logProbs[t, c] = −γ_t(c), the posterior probability that frame t emits class c, for
   * t < inputLength; 0 for later frames. NaN rows (t < inputLength) when nll is infinite.
   */
  grad: Float32Array;
}

/**
 * e^d for a log-ratio d ≤ 0, with e^d taken as 0 below d = −40 (e^−40 ≈ 4e−18 is below double
 * precision relative to the 1 it is added to), which skips most exponentials on peaked inputs.
 */
function expRatio(d: number): number {
  return d > -40 ? Math.exp(d) : 0;
}

/** log(eᵃ + eᵇ), exact for −∞ inputs. */
function logAdd(a: number, b: number): number {
  const hi = a >= b ? a : b;
  if (hi === -Infinity) return hi;
  const tail = expRatio(a >= b ? b - a : a - b);
  return tail === 0 ? hi : hi + Math.log1p(tail);
}

/** log(eᵃ + eᵇ + eᶜ). */
function logAdd3(a: number, b: number, c: number): number {
  let hi: number;
  let tail: number;
  if (a >= b && a >= c) {
    hi = a;
    tail = expRatio(b - a) + expRatio(c - a);
  } else if (b >= c) {
    hi = b;
    tail = expRatio(a - b) + expRatio(c - b);
  } else {
    hi = c;
    tail = expRatio(a - c) + expRatio(b - c);
  }
  if (hi === -Infinity || tail === 0) return hi;
  return hi + Math.log1p(tail);
}

/**
 * CTC forward–backward for one sample, in log space, O(T·S).
 *
 * With the extended target l′ = (blank, l₁, blank, l₂, …, l_L, blank) of length S = 2L + 1:
 * - α_t(s) = lp_t(l′_s) + log(e^α_{t−1}(s) + e^α_{t−1}(s−1) + [l′_s ≠ blank, l′_s ≠ l′_{s−2}] e^α_{t−1}(s−2)),
 *   α_0(0) = lp_0(blank), α_0(1) = lp_0(l₁); nll = −log(e^α_{T′−1}(S−1) + e^α_{T′−1}(S−2));
 * - β_t(s) (excluding frame t's emission) runs the same recursion backwards from β_{T′−1}(S−1) = β_{T′−1}(S−2) = 0;
 * - γ_t(c) = Σ_{s : l′_s = c} exp(α_t(s) + β_t(s) + nll), and ∂nll/∂lp_t(c) = −γ_t(c).
 * Only the cells that can lie on a complete path are visited: s ≤ 2t + 1 and s ≥ S − 2(T′ − t).
 *
 * @param logProbs row-major [T, C] log-probabilities of one sample (only the first `inputLength` rows are read)
 * @param labels the target, without padding; entries in [0, C) and ≠ blank (not checked here)
 * @param inputLength frames used, 0 ≤ inputLength ≤ T
 */
export function ctcForwardBackward(
  logProbs: Float32Array | Float64Array,
  T: number,
  C: number,
  labels: ArrayLike<number>,
  inputLength: number,
  blank: number,
): CtcResult {
  const grad = new Float32Array(T * C);
  const L = labels.length;
  const S = 2 * L + 1;
  const Tin = inputLength;
  if (Tin === 0) return { nll: L === 0 ? 0 : Infinity, grad };

  const ext = new Int32Array(S).fill(blank);
  for (let i = 0; i < L; i++) ext[2 * i + 1] = labels[i]!;
  // skip[s]: the transition s − 2 → s is allowed (a label differing from the previous label).
  const skip = new Uint8Array(S);
  for (let s = 3; s < S; s += 2) skip[s] = ext[s] !== blank && ext[s] !== ext[s - 2] ? 1 : 0;
  // The window of cells on some complete path at frame t.
  const first = (t: number) => Math.max(0, S - 2 * (Tin - t));
  const last = (t: number) => Math.min(S - 1, 2 * t + 1);

  const alpha = new Float64Array(Tin * S).fill(-Infinity);
  if (first(0) === 0) alpha[0] = logProbs[blank]!;
  if (S > 1 && first(0) <= 1) alpha[1] = logProbs[ext[1]!]!;
  for (let t = 1; t < Tin; t++) {
    const row = t * S;
    const prev = row - S;
    const lp = t * C;
    const hi = last(t);
    for (let s = first(t); s <= hi; s++) {
      const a = alpha[prev + s]!;
      const sum = s === 0 ? a : skip[s] ? logAdd3(a, alpha[prev + s - 1]!, alpha[prev + s - 2]!) : logAdd(a, alpha[prev + s - 1]!);
      alpha[row + s] = sum + logProbs[lp + ext[s]!]!;
    }
  }
  const end = (Tin - 1) * S;
  const nll = -(S > 1 ? logAdd(alpha[end + S - 1]!, alpha[end + S - 2]!) : alpha[end]!);
  if (!Number.isFinite(nll)) {
    grad.fill(NaN, 0, Tin * C);
    return { nll: Number.isNaN(nll) ? NaN : Infinity, grad };
  }

  const beta = new Float64Array(S).fill(-Infinity);
  const emitted = new Float64Array(S + 2).fill(-Infinity);
  const gamma = new Float64Array(C);
  beta[S - 1] = 0;
  if (S > 1) beta[S - 2] = 0;
  for (let t = Tin - 1; t >= 0; t--) {
    const lo = first(t);
    const hi = last(t);
    if (t < Tin - 1) {
      // β_t(s) from β_{t+1}: emitted[s] = β_{t+1}(s) + lp_{t+1}(l′_s); β_{t+1} is −∞ outside its window.
      const lp = (t + 1) * C;
      for (let s = lo; s <= Math.min(S - 1, hi + 2); s++) emitted[s] = beta[s]! + logProbs[lp + ext[s]!]!;
      beta.fill(-Infinity);
      for (let s = lo; s <= hi; s++) {
        beta[s] = s + 2 < S && skip[s + 2] ? logAdd3(emitted[s]!, emitted[s + 1]!, emitted[s + 2]!) : logAdd(emitted[s]!, emitted[s + 1]!);
      }
    }
    gamma.fill(0);
    const row = t * S;
    for (let s = lo; s <= hi; s++) {
      const logOcc = alpha[row + s]! + beta[s]! + nll;
      if (logOcc > -100) gamma[ext[s]!] += Math.exp(logOcc);
    }
    const out = t * C;
    for (let c = 0; c < C; c++) grad[out + c] = -gamma[c]!;
  }
  return { nll, grad };
}

/** Row-wise log-softmax of the first `rows` rows of a [T, C] block, in float64. */
function logSoftmaxRows(x: Float32Array, T: number, C: number, rows: number): Float64Array {
  const out = new Float64Array(T * C);
  for (let t = 0; t < rows; t++) {
    const o = t * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, x[o + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(x[o + c]! - max);
    const shift = max + Math.log(sum);
    for (let c = 0; c < C; c++) out[o + c] = x[o + c]! - shift;
  }
  return out;
}

/**
 * Chain rule through the log-softmax, in place: g_z = g − softmax · Σ_c g. For a possible alignment
 * Σ_c g = −1 on every used frame, so this is softmax − γ (PyTorch's fused CTC gradient).
 */
function throughLogSoftmax(grad: Float32Array, logProbs: Float64Array, C: number, rows: number): void {
  for (let t = 0; t < rows; t++) {
    const o = t * C;
    let total = 0;
    for (let c = 0; c < C; c++) total += grad[o + c]!;
    for (let c = 0; c < C; c++) grad[o + c] = grad[o + c]! - Math.exp(logProbs[o + c]!) * total;
  }
}

// ───────────────────────────── inputs: reading and validation ─────────────────────────────

/**
 * Reads per-sample lengths: undefined → T for every sample; otherwise an int32 tensor or an array of
 * integers of shape [B], each in [0, T].
 */
function readInputLengths(owner: string, argument: string, value: unknown, B: number, T: number): Int32Array {
  if (value === undefined) return new Int32Array(B).fill(T);
  const expected = `an int32 tensor or an array of integers of shape [${B}] (one length per sample)`;
  let shape: readonly number[];
  let values: ArrayLike<number>;
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw new LossInputError(owner, argument, 'a live tensor', 'a disposed tensor');
    if (value.dtype !== 'int32') throw new LossInputError(owner, argument, expected, `dtype ${value.dtype}`);
    shape = value.shape;
    values = value.dataSync() as Int32Array;
  } else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const entries = Array.from(value as ArrayLike<unknown>);
    const bad = entries.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) throw new LossInputError(owner, argument, expected, `${describeValue(entries[bad])} at index [${bad}]`);
    shape = [entries.length];
    values = entries as number[];
  } else {
    throw new LossInputError(owner, argument, expected, describeValue(value));
  }
  if (shape.length !== 1 || shape[0] !== B) throw new LossInputError(owner, argument, expected, `shape ${formatShape(shape)}`);
  for (let i = 0; i < B; i++) {
    const v = values[i]!;
    if (v < 0 || v > T) throw new LossInputError(owner, argument, `lengths in [0, ${T}] (the time axis of yPred)`, `${v} at index [${i}]`);
  }
  return Int32Array.from(values);
}

/** The blank index must name a class of yPred. */
function checkBlank(owner: string, blank: number, C: number): void {
  if (blank >= C) {
    throw new LossInputError(owner, 'options.blank', `a class index in [0, ${C - 1}] (yPred has ${C} classes)`, String(blank));
  }
}

/**
 * Splits padded labels [B, S] into targets: a row is its entries up to the first padValue, and
 * everything after that must be padding too. Entries are classes in [0, C), never the blank.
 */
function readTargets(labels: tf.Tensor, C: number, blank: number, padValue: number): Int32Array[] {
  const [B, S] = labels.shape as [number, number];
  const data = labels.dataSync() as Int32Array;
  const targets: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const row = data.subarray(b * S, (b + 1) * S);
    let length = row.indexOf(padValue);
    if (length < 0) length = S;
    for (let s = length + 1; s < S; s++) {
      if (row[s] !== padValue) {
        throw new LossInputError('ctc', 'yTrue', `padding (padValue ${padValue}) only at the end of each row`, `label ${row[s]} at index [${b},${s}] after padding at [${b},${length}]`);
      }
    }
    for (let s = 0; s < length; s++) {
      const v = row[s]!;
      if (v < 0 || v >= C || v === blank) {
        throw new LossInputError('ctc', 'yTrue', `labels in [0, ${C - 1}] other than the blank (${blank}), or padValue ${padValue}`, `${v} at index [${b},${s}]`);
      }
    }
    targets.push(row.slice(0, length));
  }
  return targets;
}

/** Every shape and label check of `ctc`, returning what the recursion needs. */
function readCtcInputs(labels: tf.Tensor, logits: tf.Tensor, options: ResolvedOptions<CtcOptions>, call: LossCall): CtcInputs {
  checkRank('ctc', 'yPred', logits, 3, 3);
  checkRank('ctc', 'yTrue', labels, 2, 2);
  const [B, T, C] = logits.shape as [number, number, number];
  if (labels.shape[0] !== B) {
    throw new LossInputError('ctc', 'yTrue', `padded labels of shape [${B}, S] (yPred's batch is ${B})`, `shape ${formatShape(labels.shape)}`);
  }
  if (C < 1) throw new LossInputError('ctc', 'yPred', 'at least one class (the blank) on the last axis', `shape ${formatShape(logits.shape)}`);
  checkBlank('ctc', options.blank, C);
  const targets = readTargets(labels, C, options.blank, options.padValue);
  const inputLengths = readInputLengths('ctc', 'call.inputLengths', call.inputLengths, B, T);
  return { B, T, C, targets, inputLengths };
}

/** Throws at the first NaN or +Infinity of `data`: log-probabilities may be −Infinity (probability 0), not those. */
function checkLogProbabilities(owner: string, argument: string, data: ArrayLike<number>, expected: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v) || v === Infinity) throw new LossInputError(owner, argument, expected, `${v} at flat index ${i}`);
  }
}

// ───────────────────────────── the loss ─────────────────────────────

/**
 * Per-sample NLL [B] of the batch, with the gradient written by hand (customGrad): softmax − γ with
 * respect to logits (fromLogits), −γ with respect to log-probabilities otherwise; 0 beyond each
 * sample's input length, and 0 for samples whose upstream gradient is 0 (masked out).
 */
function ctcNll(logits: tf.Tensor, inputs: CtcInputs, options: ResolvedOptions<CtcOptions>): tf.Tensor {
  const { B, T, C, targets, inputLengths } = inputs;
  const block = T * C;
  const forward = (x: tf.Tensor) => {
    const data = x.dataSync() as Float32Array;
    // The WebAssembly kernel (same recursion) when the fused kernels are on and loaded; this loop otherwise.
    const fused = fusedCtcBatch(data, inputs, options);
    const nll = fused?.nll ?? new Float32Array(B);
    const grad = fused?.grad ?? new Float32Array(B * block);
    for (let b = 0; b < B && !fused; b++) {
      const raw = data.subarray(b * block, (b + 1) * block);
      const length = inputLengths[b]!;
      const logProbs = options.fromLogits ? logSoftmaxRows(raw, T, C, length) : raw;
      const result = ctcForwardBackward(logProbs, T, C, targets[b]!, length, options.blank);
      if (result.nll === Infinity && options.zeroInfinity) continue;
      if (options.fromLogits) throughLogSoftmax(result.grad, logProbs as Float64Array, C, length);
      nll[b] = result.nll;
      grad.set(result.grad, b * block);
    }
    const gradFunc = (dy: tf.Tensor) => {
      const upstream = dy.dataSync();
      const scaled = new Float32Array(B * block);
      for (let b = 0; b < B; b++) {
        const d = upstream[b]!;
        if (d === 0) continue;
        for (let i = b * block; i < (b + 1) * block; i++) scaled[i] = grad[i]! * d;
      }
      return tf.tensor3d(scaled, [B, T, C]);
    };
    return { value: tf.tensor1d(nll), gradFunc };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
  return op(logits);
}

/** Options of `ctc` (PyTorch `CTCLoss(blank, reduction, zero_infinity)`). */
export interface CtcOptions extends BaseLossOptions {
  /** The blank class, in [0, C). @defaultValue 0 */
  blank?: number;
  /** The label value that pads each target row at its end (Keras pads with 0: `padValue: 0`). @defaultValue -1 */
  padValue?: number;
  /** Whether an impossible alignment costs 0 with a zero gradient instead of +Infinity (PyTorch `zero_infinity`). @defaultValue false */
  zeroInfinity?: boolean;
  /** Whether yPred holds logits (a log-softmax is applied) rather than log-probabilities. @defaultValue true */
  fromLogits?: boolean;
  /** Whether each sample's loss is divided by its target length (clamped to ≥ 1; PyTorch's `'mean'`). @defaultValue false */
  normalizeByLength?: boolean;
}

/**
 * Connectionist temporal classification loss (Graves et al. 2006):
 *
 *   ℓ(x, y) = −log Σ_{π : 𝓑(π) = y} Π_{t < T′} p_t(π_t),   p_t = softmax(x_t)
 *
 * where 𝓑 merges repeated symbols and then drops blanks (so a repeated label needs a blank
 * between its repeats), and T′ is the sample's input length. Computed by the forward–backward
 * recursion in log space, O(B·T·S), with a hand-written gradient: softmax − γ with respect to the
 * logits (γ = posterior frame occupancy), zero beyond each sample's input length.
 *
 * Called as `ctc(labels, logits, { inputLengths? })`:
 * - `labels` (yTrue): int32 [B, S], each row a target followed by `padValue` padding (only at the
 *   end); the target length is the number of entries before the padding. Entries are classes in
 *   [0, C) other than `blank`.
 * - `logits` (yPred): [B, T, C]; with `fromLogits: false` they are already log-probabilities (e.g. the
 *   output of `tf.logSoftmax`), used as they are, and the gradient is the exact −γ with respect to them.
 * - `call.inputLengths`: int32 [B] frames used per sample (default T); frames beyond are ignored.
 *
 * Options: `blank` (0), `padValue` (−1), `zeroInfinity` (false: an impossible alignment, e.g. a target
 * longer than its input, costs +Infinity with a NaN gradient; true: 0 with a zero gradient),
 * `fromLogits` (true), `normalizeByLength` (false: divide each sample's loss by its target length,
 * clamped to ≥ 1), `reduction`.
 *
 * Reference: PyTorch `CTCLoss(blank, reduction, zero_infinity)` on `log_softmax(logits)` (time-major
 * there): `reduction: 'none'` and `'sum'` match PyTorch's; PyTorch's `'mean'` is
 * `{ normalizeByLength: true, reduction: 'mean' }`. Keras 3 `losses.CTC()` (logits, blank 0, labels
 * padded with 0) corresponds to `{ padValue: 0 }`. Unlike PyTorch's backward, which returns
 * exp(lp) − γ with respect to its log-probability input, `fromLogits: false` gives the exact −γ
 * (the two agree once a log-softmax is differentiated through).
 * Choose CTC when inputs are longer than targets and unaligned: handwriting, speech, OCR of lines;
 * decode with `ctcGreedyDecode` or `ctcBeamSearchDecode`.
 *
 * Per-sample costs read the data to JavaScript (the recursion runs in typed arrays); label and length
 * checks always run, since the recursion indexes by them.
 * @example
 * const loss = losses.ctc({ blank: 0 });
 * const labels = tf.tensor2d([[1, 2, -1]], [1, 3], 'int32');         // target "1 2", padded with −1
 * loss(labels, tf.randomNormal([1, 10, 5]), { inputLengths: tf.tensor1d([8], 'int32') });
 */
export const ctc = defineLoss<CtcOptions>({
  name: 'ctc',
  aliases: ['ctc_loss', 'connectionist_temporal_classification'],
  options: {
    blank: option.integer(0, { min: 0 }),
    padValue: option.integer(-1),
    zeroInfinity: option.boolean(false),
    fromLogits: option.boolean(true),
    normalizeByLength: option.boolean(false),
  },
  layout: 'custom',
  batchedRanks: { yTrue: 2, yPred: 3 },
  yTrueDtype: 'int32',
  callEntries: ['inputLengths'],
  values: ({ fromLogits }) => ({ yTrue: 'any', yPred: fromLogits ? 'finite' : 'logProbability' }),
  finite: ({ zeroInfinity }) => zeroInfinity,
  validate: (labels, logits, options, call) => {
    readCtcInputs(labels, logits, options, call);
    if (!options.fromLogits && valueChecksEnabled()) {
      checkLogProbabilities('ctc', 'yPred', logits.dataSync(), 'log-probabilities (finite or −Infinity) since fromLogits is false');
    }
  },
  compute: (labels, logits, options, call) => {
    const inputs = readCtcInputs(labels, logits, options, call);
    const nll = ctcNll(logits, inputs, options);
    if (!options.normalizeByLength) return nll;
    const lengths = Float32Array.from(inputs.targets, (t) => Math.max(t.length, 1));
    return tf.div(nll, tf.tensor1d(lengths));
  },
});

// ───────────────────────────── decoders ─────────────────────────────

interface DecoderInput {
  logProbs: Float64Array[];
  lengths: Int32Array;
  C: number;
}

/** Converts and checks decoder inputs: logits [B, T, C] → per-sample log-softmax rows. */
function readDecoderInput(owner: string, logitsIn: TensorInput, blank: number, inputLengths: unknown): DecoderInput {
  let input: DecoderInput | undefined;
  tf.tidy(() => {
    const logits = toTensor(owner, 'logits', logitsIn);
    checkRank(owner, 'logits', logits, 3, 3);
    const [B, T, C] = logits.shape as [number, number, number];
    if (C < 1) throw new LossInputError(owner, 'logits', 'at least one class (the blank) on the last axis', `shape ${formatShape(logits.shape)}`);
    checkBlank(owner, blank, C);
    const lengths = readInputLengths(owner, 'options.inputLengths', inputLengths, B, T);
    const data = logits.dataSync() as Float32Array;
    checkLogProbabilities(owner, 'logits', data, 'logits or log-probabilities (no NaN or +Infinity)');
    const logProbs: Float64Array[] = [];
    for (let b = 0; b < B; b++) logProbs.push(logSoftmaxRows(data.subarray(b * T * C, (b + 1) * T * C), T, C, lengths[b]!));
    input = { logProbs, lengths, C };
  });
  return input!;
}

export interface CtcGreedyDecodeOptions {
  /** The blank class. @defaultValue 0 */
  blank?: number;
  /** int32 [B] frames to decode per sample. @defaultValue undefined (T, every frame) */
  inputLengths?: TensorInput;
  /** Merge repeated symbols before dropping blanks (the CTC collapse). @defaultValue true */
  mergeRepeated?: boolean;
}

/**
 * Best-path (greedy) CTC decoding: the most likely class of every frame, repeats merged (unless
 * `mergeRepeated: false`), blanks dropped. Matches TensorFlow `tf.nn.ctc_greedy_decoder(merge_repeated)`
 * up to the blank index (TensorFlow's is C − 1). Fast, but the most likely path need not give the
 * most likely labelling: use `ctcBeamSearchDecode` when that matters.
 * @example
 * ctcGreedyDecode(logits);                              // [[3, 1], [2]]: one label array per sample
 * ctcGreedyDecode(logits, { blank: 0, inputLengths: [20, 14] });
 */
export function ctcGreedyDecode(logits: TensorInput, options?: CtcGreedyDecodeOptions): number[][] {
  const owner = 'ctcGreedyDecode';
  const specs: OptionSpecsFor<CtcGreedyDecodeOptions, 'inputLengths'> = {
    blank: option.integer(0, { min: 0 }),
    mergeRepeated: option.boolean(true),
    inputLengths: option.checkedWhereUsed(),
  };
  const { blank, mergeRepeated, inputLengths } = option.resolveOptions(owner, specs, options as Record<string, unknown> | undefined);
  const { logProbs, lengths, C } = readDecoderInput(owner, logits, blank, inputLengths);
  return logProbs.map((lp, b) => {
    const decoded: number[] = [];
    let previous = -1;
    for (let t = 0; t < lengths[b]!; t++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (lp[t * C + c]! > lp[t * C + best]!) best = c;
      if (best !== blank && !(mergeRepeated && best === previous)) decoded.push(best);
      previous = best;
    }
    return decoded;
  });
}

export interface CtcBeamSearchDecodeOptions {
  /** Prefixes kept after each frame. @defaultValue 8 */
  beamWidth?: number;
  /** The blank class. @defaultValue 0 */
  blank?: number;
  /** int32 [B] frames to decode per sample. @defaultValue undefined (T, every frame) */
  inputLengths?: TensorInput;
  /** Labellings returned per sample, best first (at most beamWidth). @defaultValue 1 */
  topPaths?: number;
}

export interface CtcBeamSearchResult {
  /** [B][k][length]: up to `topPaths` labellings per sample, best first. */
  paths: number[][][];
  /** [B][k]: log p(labelling | input) of each, as summed over the beam's paths. */
  logProbs: number[][];
}

interface Beam {
  prefix: number[];
  /** log-probability of the prefix over paths ending in a blank / in its last label. */
  blankEnd: number;
  labelEnd: number;
}

const beamScore = (beam: Beam): number => logAdd(beam.blankEnd, beam.labelEnd);

/** One sample's prefix beam search over `T` frames of log-probabilities. */
function prefixBeamSearch(lp: Float64Array, T: number, C: number, blank: number, beamWidth: number): Beam[] {
  let beams: Beam[] = [{ prefix: [], blankEnd: 0, labelEnd: -Infinity }];
  for (let t = 0; t < T; t++) {
    const next = new Map<string, Beam>();
    const at = (prefix: number[]): Beam => {
      const key = prefix.join(',');
      let beam = next.get(key);
      if (!beam) next.set(key, (beam = { prefix, blankEnd: -Infinity, labelEnd: -Infinity }));
      return beam;
    };
    const row = t * C;
    for (const beam of beams) {
      const total = beamScore(beam);
      const last = beam.prefix.length > 0 ? beam.prefix[beam.prefix.length - 1]! : -1;
      const same = at(beam.prefix);
      same.blankEnd = logAdd(same.blankEnd, total + lp[row + blank]!);
      // Repeating the last label without a blank in between stays on the same prefix.
      if (last >= 0) same.labelEnd = logAdd(same.labelEnd, beam.labelEnd + lp[row + last]!);
      for (let c = 0; c < C; c++) {
        if (c === blank) continue;
        const extended = at([...beam.prefix, c]);
        // A repeat only extends the prefix from paths that ended in a blank.
        const from = c === last ? beam.blankEnd : total;
        extended.labelEnd = logAdd(extended.labelEnd, from + lp[row + c]!);
      }
    }
    beams = [...next.values()]
      .filter((b) => beamScore(b) > -Infinity)
      .sort((a, b) => beamScore(b) - beamScore(a))
      .slice(0, beamWidth);
    if (beams.length === 0) beams = [{ prefix: [], blankEnd: -Infinity, labelEnd: -Infinity }];
  }
  return beams;
}

/**
 * CTC prefix beam search (Hannun et al. 2014): keeps the `beamWidth` most likely label prefixes,
 * each scored by the total probability of all its paths (ending in a blank or not), and returns the
 * `topPaths` best labellings with their log-probabilities. Matches the semantics of TensorFlow 2's
 * `tf.nn.ctc_beam_search_decoder` (no merging of repeats beyond the CTC collapse), with a
 * configurable blank (TensorFlow's is C − 1). `logits` may be logits or log-probabilities (a
 * log-softmax is applied, which leaves log-probabilities unchanged). Finds the most likely labelling
 * where greedy decoding finds only the most likely path; wider beams are slower and closer to exact.
 * @example
 * const { paths, logProbs } = ctcBeamSearchDecode(logits, { beamWidth: 16, topPaths: 2 });
 * paths[0][0];   // best labelling of the first sample, e.g. [3, 1]
 */
export function ctcBeamSearchDecode(logits: TensorInput, options?: CtcBeamSearchDecodeOptions): CtcBeamSearchResult {
  const owner = 'ctcBeamSearchDecode';
  const specs: OptionSpecsFor<CtcBeamSearchDecodeOptions, 'inputLengths'> = {
    beamWidth: option.integer(8, { min: 1 }),
    blank: option.integer(0, { min: 0 }),
    topPaths: option.integer(1, { min: 1 }),
    inputLengths: option.checkedWhereUsed(),
  };
  const { beamWidth, blank, topPaths, inputLengths } = option.resolveOptions(owner, specs, options as Record<string, unknown> | undefined);
  if (topPaths > beamWidth) {
    throw new LossInputError(owner, 'options.topPaths', `an integer in [1, ${beamWidth}] (at most beamWidth)`, String(topPaths));
  }
  const { logProbs, lengths, C } = readDecoderInput(owner, logits, blank, inputLengths);
  const paths: number[][][] = [];
  const scores: number[][] = [];
  logProbs.forEach((lp, b) => {
    const best = prefixBeamSearch(lp, lengths[b]!, C, blank, beamWidth).slice(0, topPaths);
    paths.push(best.map((beam) => beam.prefix));
    scores.push(best.map(beamScore));
  });
  return { paths, logProbs: scores };
}
