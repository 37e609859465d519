/**
 * gradCheck: compares a loss's autodiff gradient with respect to yPred against central finite
 * differences, (f(x + hεᵢ) − f(x − hεᵢ)) / 2h, and reports the worst disagreement.
 *
 * Finite differences in float32 carry an error of about (float32 eps · |f|) / h + O(h²), so the
 * default tolerance is |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|) with
 * h = 1e-3, rtol = 1e-2, atol = 1e-3. Choose points away from kinks (hinge, |x| at 0), where
 * the derivative does not exist.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, LossInputError } from '../core/errors.js';
import type { LossCall } from '../core/loss.js';
import { toTensor, type TensorInput } from '../core/validate.js';

export interface GradCheckOptions {
  /** Finite-difference step (default 1e-3). */
  step?: number;
  rtol?: number;
  atol?: number;
  /** At most this many entries of yPred are checked, spread evenly (default 64). */
  maxEntries?: number;
}

export interface GradCheckEntry {
  /** Flat index into yPred. */
  index: number;
  analytic: number;
  numeric: number;
  error: number;
}

export interface GradCheckReport {
  passed: boolean;
  /** The largest |analytic − numeric| over the checked entries (∞ if any value is non-finite). */
  maxAbsError: number;
  /** The largest |analytic − numeric| / max(|analytic|, |numeric|, atol) (∞ if any value is non-finite). */
  maxRelError: number;
  /** The entry that failed worst relative to its tolerance. */
  worst: GradCheckEntry;
  checked: number;
  /** Non-finite analytic gradient entries are always failures. */
  nonFinite: number;
}

type LossLike = (yTrue: tf.Tensor, yPred: tf.Tensor, call?: LossCall) => tf.Tensor;

/**
 * Checks the gradient of Σ loss(yTrue, yPred, call) with respect to yPred: for each checked entry i,
 * the autodiff value aᵢ against the central difference nᵢ = (f(x + hεᵢ) − f(x − hεᵢ)) / 2h, passing
 * when |aᵢ − nᵢ| ≤ atol + rtol · max(|aᵢ|, |nᵢ|). The float32 counterpart of PyTorch's
 * `torch.autograd.gradcheck` (which runs in float64, hence its tighter eps = 1e-6, atol = 1e-5,
 * rtol = 1e-3). Use it on a new `defineLoss` loss, a `tf.customGrad` or a fused kernel, at points away
 * from kinks; a non-finite gradient or difference always fails.
 * @example
 * const report = gradCheck(losses.huber(), yTrue, yPred);
 * if (!report.passed) console.log(report.worst);
 */
export function gradCheck(loss: LossLike, yTrue: TensorInput, yPred: TensorInput, call?: LossCall, options: GradCheckOptions = {}): GradCheckReport {
  const { step = 1e-3, rtol = 1e-2, atol = 1e-3, maxEntries = 64 } = options;
  if (typeof loss !== 'function') throw new LossInputError('gradCheck', 'loss', 'a loss function', describeValue(loss));
  if (!(step > 0)) throw new LossInputError('gradCheck', 'options.step', 'a positive number', describeValue(step));
  for (const [argument, value] of [['options.rtol', rtol], ['options.atol', atol]] as const) {
    if (!(value >= 0 && value < Infinity)) throw new LossInputError('gradCheck', argument, 'a finite number ≥ 0', describeValue(value));
  }
  if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new LossInputError('gradCheck', 'options.maxEntries', 'a positive integer', describeValue(maxEntries));

  let report: GradCheckReport | undefined;
  tf.tidy(() => {
    const target = toTensor('gradCheck', 'yTrue', yTrue, yTrue instanceof tf.Tensor && yTrue.dtype === 'int32' ? 'int32' : 'float32');
    const prediction = toTensor('gradCheck', 'yPred', yPred);
    const scalarLoss = (p: tf.Tensor): tf.Scalar => tf.sum(loss(target, p, call)) as tf.Scalar;
    const analytic = tf.grad(scalarLoss)(prediction).dataSync();
    const base = Float32Array.from(prediction.dataSync());
    const evaluate = (values: Float32Array): number => tf.tidy(() => scalarLoss(tf.tensor(values, prediction.shape)).dataSync()[0]!);

    const stride = Math.max(1, Math.ceil(base.length / maxEntries));
    let passed = true;
    let maxAbsError = 0;
    let maxRelError = 0;
    let nonFinite = 0;
    let worst: GradCheckEntry | undefined;
    let worstScore = -Infinity;
    let checked = 0;
    for (let i = 0; i < base.length; i += stride) {
      const values = base.slice();
      values[i] = base[i]! + step;
      const up = evaluate(values);
      values[i] = base[i]! - step;
      const down = evaluate(values);
      // The step actually taken in float32, which can differ from `step` for large |x|.
      const taken = Math.fround(base[i]! + step) - Math.fround(base[i]! - step);
      const numeric = (up - down) / taken;
      const a = analytic[i]!;
      const finite = Number.isFinite(a) && Number.isFinite(numeric);
      const error = Math.abs(a - numeric);
      const scale = Math.max(Math.abs(a), Math.abs(numeric));
      // error / bound, 0 when exact (also with atol = 0 at a zero gradient), ∞ when anything is non-finite.
      const ratio = (bound: number) => (!finite ? Infinity : error === 0 ? 0 : error / bound);
      const score = ratio(atol + rtol * scale);
      if (!Number.isFinite(a)) nonFinite++;
      if (score > 1) passed = false;
      maxAbsError = Math.max(maxAbsError, finite ? error : Infinity);
      maxRelError = Math.max(maxRelError, ratio(Math.max(scale, atol)));
      if (score > worstScore || worst === undefined) {
        worstScore = score;
        worst = { index: i, analytic: a, numeric, error };
      }
      checked++;
    }
    report = { passed, maxAbsError, maxRelError, worst: worst!, checked, nonFinite };
  });
  return report!;
}
