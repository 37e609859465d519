/**
 * Samplers for `lossforge tune`: random search, grid search and the Tree-structured Parzen
 * Estimator (Bergstra, Bardenet, Bengio & Kégl, "Algorithms for Hyper-Parameter Optimization",
 * NeurIPS 2011), all minimizing an objective.
 *
 * TPE splits the finished trials into the best γ-fraction ("good") and the rest ("bad"), fits a
 * Parzen estimator (a mixture of truncated Gaussians, one per observation, plus a wide prior) to
 * each, per dimension, draws candidates from the good density l(x) and keeps the one with the
 * largest l(x)/g(x) — which maximizes expected improvement under the TPE model.
 * For parallel trials it uses the constant-liar strategy: trials still running count as finished
 * with the worst value seen so far, so concurrent suggestions spread out instead of piling up.
 */
import { fromInternal, internalBounds, toInternal, type Dimension, type Params, type ParamValue, type Space } from './space.js';
import { normal, shuffled, type Rng } from './random.js';

export interface Observation {
  params: Params;
  /** The objective (lower is better). */
  value: number;
}

export interface Sampler {
  readonly name: string;
  /**
   * The parameters for trial `trial` given the finished observations and the parameters of trials
   * still running. `rng` is seeded per trial.
   */
  suggest(trial: number, finished: readonly Observation[], running: readonly Params[], rng: Rng): Params;
  /** The number of distinct points the sampler can propose (grid), else Infinity. */
  readonly size: number;
}

function sampleUniform(d: Dimension, rng: Rng): ParamValue {
  if (d.kind === 'categorical') return d.choices[Math.floor(rng() * d.choices.length)]!;
  const [lo, hi] = internalBounds(d);
  return fromInternal(d, lo + (hi - lo) * rng());
}

/** Random search: every dimension drawn uniformly (in log space for log scales). */
export function randomSampler(space: Space): Sampler {
  return {
    name: 'random',
    size: Infinity,
    suggest: (_trial, _finished, _running, rng) => Object.fromEntries(space.map((d) => [d.name, sampleUniform(d, rng)])),
  };
}

/** Grid values of one dimension: `k` points evenly spaced (in log space for log scales). */
function gridValues(d: Dimension, k: number): ParamValue[] {
  if (d.kind === 'categorical') return d.choices;
  const [lo, hi] = [toInternal(d, d.low), toInternal(d, d.high)];
  const values = Array.from({ length: k }, (_, i) => fromInternal(d, lo + ((hi - lo) * i) / (k - 1)));
  return [...new Set(values)];
}

/**
 * Grid search: about `trials` points, the same count per numeric dimension; trial i takes the i-th
 * point of the grid in a fixed, seed-shuffled order (so a partial run still spreads over the space).
 */
export function gridSampler(space: Space, trials: number, shuffleRng: Rng): Sampler {
  const numeric = space.filter((d) => d.kind !== 'categorical').length;
  const categorical = space.filter((d) => d.kind === 'categorical').reduce((a, d) => a * (d as { choices: unknown[] }).choices.length, 1);
  const perDim = numeric === 0 ? 1 : Math.max(2, Math.floor((trials / categorical) ** (1 / numeric)));
  const axes = space.map((d) => gridValues(d, perDim));
  const points: Params[] = [];
  const visit = (i: number, acc: Params) => {
    if (i === space.length) {
      points.push({ ...acc });
      return;
    }
    for (const v of axes[i]!) visit(i + 1, { ...acc, [space[i]!.name]: v });
  };
  visit(0, {});
  const order = shuffled(points, shuffleRng);
  return {
    name: 'grid',
    size: order.length,
    suggest: (trial) => order[trial % order.length]!,
  };
}

export interface TpeOptions {
  /** Random trials before TPE starts (default 10). */
  startup?: number;
  /** Candidates drawn from l(x) per dimension (default 24). */
  candidates?: number;
  /** Weight of the wide prior component in each estimator (default 1). */
  priorWeight?: number;
}

/** Number of "good" observations: ⌈0.1·n⌉, at most 25, at least 1 (Optuna's default γ). */
export function goodCount(n: number): number {
  return Math.max(1, Math.min(25, Math.ceil(0.1 * n)));
}

interface Parzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
  lo: number;
  hi: number;
}

/** A 1-D Parzen estimator on [lo, hi]: one Gaussian per point, bandwidth from neighbour gaps, plus a prior. */
export function parzen(points: readonly number[], lo: number, hi: number, priorWeight: number): Parzen {
  const range = hi - lo;
  const prior = { mu: (lo + hi) / 2, sigma: range };
  const sorted = [...points].sort((a, b) => a - b);
  const all = [...sorted, prior.mu].sort((a, b) => a - b);
  const minSigma = range / Math.min(100, 1 + sorted.length);
  const mus: number[] = [];
  const sigmas: number[] = [];
  const weights: number[] = [];
  for (const mu of sorted) {
    const i = all.indexOf(mu);
    const left = i > 0 ? mu - all[i - 1]! : mu - lo;
    const right = i < all.length - 1 ? all[i + 1]! - mu : hi - mu;
    mus.push(mu);
    sigmas.push(Math.min(range, Math.max(minSigma, left, right)));
    weights.push(1);
  }
  mus.push(prior.mu);
  sigmas.push(prior.sigma);
  weights.push(priorWeight);
  const total = weights.reduce((a, b) => a + b, 0);
  return { mus, sigmas, weights: weights.map((w) => w / total), lo, hi };
}

function erf(x: number): number {
  // erfc by the Chebyshev fit of Numerical Recipes (fractional error < 1.2e-7 everywhere).
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
}

const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** log density of the truncated mixture at x. */
export function parzenLogPdf(p: Parzen, x: number): number {
  let density = 0;
  for (let k = 0; k < p.mus.length; k++) {
    const mu = p.mus[k]!;
    const s = p.sigmas[k]!;
    const mass = normalCdf((p.hi - mu) / s) - normalCdf((p.lo - mu) / s);
    const z = (x - mu) / s;
    density += (p.weights[k]! * Math.exp(-0.5 * z * z)) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.log(Math.max(density, 1e-300));
}

/** A draw from the truncated mixture: a component by weight, then its Gaussian restricted to [lo, hi]. */
function parzenSample(p: Parzen, rng: Rng): number {
  let u = rng();
  let k = 0;
  while (k < p.weights.length - 1 && u > p.weights[k]!) {
    u -= p.weights[k]!;
    k++;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const x = p.mus[k]! + p.sigmas[k]! * normal(rng);
    if (x >= p.lo && x <= p.hi) return x;
  }
  return Math.min(p.hi, Math.max(p.lo, p.mus[k]!));
}

function suggestNumeric(d: Dimension & { kind: 'float' | 'int' }, good: number[], bad: number[], opts: Required<TpeOptions>, rng: Rng): number {
  const [lo, hi] = internalBounds(d);
  const l = parzen(good.map((v) => toInternal(d, v)), lo, hi, opts.priorWeight);
  const g = parzen(bad.map((v) => toInternal(d, v)), lo, hi, opts.priorWeight);
  let best = NaN;
  let bestScore = -Infinity;
  for (let i = 0; i < opts.candidates; i++) {
    const x = parzenSample(l, rng);
    const score = parzenLogPdf(l, x) - parzenLogPdf(g, x);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return fromInternal(d, best);
}

function suggestCategorical(d: Dimension & { kind: 'categorical' }, good: ParamValue[], bad: ParamValue[], opts: Required<TpeOptions>, rng: Rng): ParamValue {
  const probs = (values: ParamValue[]) => {
    const counts = d.choices.map((c) => values.filter((v) => v === c).length + opts.priorWeight / d.choices.length);
    const total = counts.reduce((a, b) => a + b, 0);
    return counts.map((c) => c / total);
  };
  const l = probs(good);
  const g = probs(bad);
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < opts.candidates; i++) {
    let u = rng();
    let k = 0;
    while (k < l.length - 1 && u > l[k]!) {
      u -= l[k]!;
      k++;
    }
    const score = Math.log(l[k]!) - Math.log(g[k]!);
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return d.choices[best]!;
}

/** The TPE sampler (see the module comment); random draws until `startup` trials have finished. */
export function tpeSampler(space: Space, options: TpeOptions = {}): Sampler {
  const opts: Required<TpeOptions> = { startup: 10, candidates: 24, priorWeight: 1, ...options };
  return {
    name: 'tpe',
    size: Infinity,
    suggest(_trial, finished, running, rng) {
      const usable = finished.filter((o) => Number.isFinite(o.value));
      if (usable.length < opts.startup) return randomSampler(space).suggest(0, [], [], rng);
      // Constant liar: running trials count as finished with the worst value seen so far.
      const worst = Math.max(...usable.map((o) => o.value));
      const all = [...usable, ...running.map((params) => ({ params, value: worst }))];
      const sorted = [...all].sort((a, b) => a.value - b.value);
      const nGood = goodCount(sorted.length);
      const good = sorted.slice(0, nGood);
      const bad = sorted.slice(nGood);
      const params: Params = {};
      for (const d of space) {
        const gv = good.map((o) => o.params[d.name]!).filter((v) => v !== undefined);
        const bv = bad.map((o) => o.params[d.name]!).filter((v) => v !== undefined);
        params[d.name] =
          d.kind === 'categorical'
            ? suggestCategorical(d, gv, bv, opts, rng)
            : suggestNumeric(d, gv as number[], bv as number[], opts, rng);
      }
      return params;
    },
  };
}
