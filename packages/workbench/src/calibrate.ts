/**
 * Turning margin scores into probabilities, fitted on the training fold only: Platt scaling for
 * binary scores (Platt 1999, with his smoothed targets) and temperature scaling for multiclass
 * scores (Guo et al. 2017).
 */

/** σ(z) = 1 / (1 + e⁻ᶻ), written so that neither branch overflows. */
export const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

function plattObjective(scores: ArrayLike<number>, targets: Float64Array, a: number, b: number): number {
  let f = 0;
  for (let i = 0; i < scores.length; i++) {
    const z = a * scores[i]! + b;
    // −[t log σ(z) + (1 − t) log(1 − σ(z))] = softplus(z) − t z, computed stably
    f += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - targets[i]! * z;
  }
  return f;
}

/** Fits p = σ(a·score + b) by Newton's method with backtracking. `labels` are 0/1. */
export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): { a: number; b: number } {
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) nPos += labels[i]! === 1 ? 1 : 0;
  const nNeg = labels.length - nPos;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  const targets = Float64Array.from({ length: labels.length }, (_, i) => (labels[i] === 1 ? hi : lo));
  let a = 1;
  let b = 0;
  let f = plattObjective(scores, targets, a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0, gb = 0, haa = 1e-10, hab = 0, hbb = 1e-10;
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      const p = sigmoid(a * s + b);
      const r = p - targets[i]!;
      const w = p * (1 - p);
      ga += r * s;
      gb += r;
      haa += w * s * s;
      hab += w * s;
      hbb += w;
    }
    if (Math.abs(ga) < 1e-8 && Math.abs(gb) < 1e-8) break;
    const det = haa * hbb - hab * hab;
    const da = -(hbb * ga - hab * gb) / det;
    const db = -(haa * gb - hab * ga) / det;
    let step = 1;
    let improved = false;
    while (step > 1e-10) {
      const fNew = plattObjective(scores, targets, a + step * da, b + step * db);
      if (fNew < f + 1e-4 * step * (ga * da + gb * db)) {
        a += step * da;
        b += step * db;
        f = fNew;
        improved = true;
        break;
      }
      step /= 2;
    }
    if (!improved) break;
  }
  return { a, b };
}

/** p = σ(a·score + b) for each score, with the map `fitPlatt` found. */
export function applyPlatt(scores: ArrayLike<number>, { a, b }: { a: number; b: number }): Float64Array {
  return Float64Array.from({ length: scores.length }, (_, i) => sigmoid(a * scores[i]! + b));
}

/** Row-wise softmax of `scores / temperature` (row-major rows × classes). */
export function softmaxRows(scores: ArrayLike<number>, classes: number, temperature = 1): Float64Array {
  const out = new Float64Array(scores.length);
  for (let r = 0; r * classes < scores.length; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, scores[r * classes + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(scores[r * classes + c]! / temperature - max);
      out[r * classes + c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

function nll(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number, temperature: number): number {
  const p = softmaxRows(scores, classes, temperature);
  let f = 0;
  for (let r = 0; r < labels.length; r++) f -= Math.log(Math.max(p[r * classes + labels[r]!]!, 1e-300));
  return f;
}

/** The temperature T in [e⁻⁴, e⁴] minimizing the NLL of softmax(scores / T) (golden-section search on log T). */
export function fitTemperature(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let lo = -4;
  let hi = 4;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = nll(scores, labels, classes, Math.exp(x1));
  let f2 = nll(scores, labels, classes, Math.exp(x2));
  for (let i = 0; i < 60; i++) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = nll(scores, labels, classes, Math.exp(x1));
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = nll(scores, labels, classes, Math.exp(x2));
    }
  }
  return Math.exp((lo + hi) / 2);
}
