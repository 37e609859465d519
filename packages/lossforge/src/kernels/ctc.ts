/**
 * The CTC loss and gradient of src/losses/sequence.ts as one WebAssembly call per batch (`ctcBatch` in
 * assembly/ctc.as), in float64. Unlike `ctcForwardBackward`, which runs α and β in log space (a
 * log-sum-exp per lattice cell), the kernel computes each frame's probabilities once and runs the
 * recursions in probability space with per-frame rescaling (Graves et al. 2006, "Connectionist
 * Temporal Classification", section 4.1): α̂_t = α_t / Π_{τ<t} c_τ with c_t the frame's total, so that
 * −log p(l | x) = −Σ_t log c_t, β likewise with its own scale factors, and the occupancy
 * γ_t(k) = Σ_{s : l′_s = k} α̂_t(s) β̂_t(s) / Σ_s α̂_t(s) β̂_t(s). A sample whose scale factors or frame
 * totals fall below 1e−280 (probabilities underflowing, e.g. from extreme logits) is recomputed with
 * the log-space recursion, operation for operation as `ctcForwardBackward`. The `ctc` loss calls
 * `fusedCtcBatch` and falls back to its JavaScript loop when this returns undefined.
 */
import { fusedKernelsEnabled } from './fused.js';
import { getKernels, Layout, MAX_FUSED_ELEMENTS } from './runtime.js';
import type { ResolvedOptions } from '../core/options.js';
// The loss's own options interface (type-only: erased at build, so no import cycle at run time).
import type { CtcOptions } from '../losses/sequence.js';

export interface CtcBatchInput {
  B: number;
  T: number;
  C: number;
  /** Each sample's target, padding removed. */
  targets: Int32Array[];
  /** Frames used per sample, each in [0, T]. */
  inputLengths: Int32Array;
}

/** Per-sample NLL [B] and the gradient [B·T·C] (with respect to the logits when fromLogits). */
export interface CtcBatchOutput {
  nll: Float32Array;
  grad: Float32Array;
}

const FROM_LOGITS = 1;
const ZERO_INFINITY = 2;

/**
 * CTC NLL and gradient of a batch, computed by the WebAssembly kernel, or undefined when the fused
 * kernels are switched off (`setFusedKernels(false)`) or not loaded (or the batch has more than
 * MAX_FUSED_ELEMENTS logits). Unlike the elementwise kernels there is no size threshold: the
 * recursion costs far more than the copies. Same results as the JavaScript path up to float64
 * rounding (the scaled recursion sums the same paths in another order; underflowing samples take the
 * same log-space recursion).
 */
export function fusedCtcBatch(data: Float32Array, input: CtcBatchInput, options: Pick<ResolvedOptions<CtcOptions>, 'blank' | 'fromLogits' | 'zeroInfinity'>): CtcBatchOutput | undefined {
  const k = getKernels();
  if (!fusedKernelsEnabled() || k === undefined) return undefined;
  const { B, T, C, targets, inputLengths } = input;
  const n = B * T * C;
  if (n > MAX_FUSED_ELEMENTS) return undefined; // the buffers would not fit in the kernel's 4 GiB memory
  const totalLabels = targets.reduce((sum, t) => sum + t.length, 0);
  const maxL = targets.reduce((m, t) => Math.max(m, t.length), 0);
  const layout = new Layout(k);
  const xp = layout.reserve(n);
  const gp = layout.reserve(n);
  const lp = layout.reserve(B);
  const labp = layout.reserve(totalLabels);
  const lenp = layout.reserve(B);
  const inlp = layout.reserve(B);
  const ws = layout.reserve(Math.ceil(k.ctcWorkspaceBytes(T, C, maxL) / 4));
  layout.commit();
  layout.f32(xp, n).set(data.subarray(0, n));
  const labels = layout.i32(labp, totalLabels);
  let offset = 0;
  for (const t of targets) {
    labels.set(t, offset);
    offset += t.length;
  }
  layout.i32(lenp, B).set(targets.map((t) => t.length));
  layout.i32(inlp, B).set(inputLengths);
  const flags = (options.fromLogits ? FROM_LOGITS : 0) | (options.zeroInfinity ? ZERO_INFINITY : 0);
  k.ctcBatch(xp, labp, lenp, inlp, gp, lp, ws, B, T, C, options.blank, flags);
  return { nll: layout.f32(lp, B).slice(), grad: layout.f32(gp, n).slice() };
}
