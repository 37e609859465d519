/**
 * Properties of every loss in the classic catalog (regression, classification, margin, divergence),
 * over seeded random inputs and extreme ones:
 * - values and gradients are finite (logits of ±1e4, probabilities of exactly 0 and 1, errors of 1e6);
 * - values are non-negative where the loss is (cosineSimilarity lies in [−1, 1]; poisson is an NLL
 *   without its constant and may be negative);
 * - along a straight path from a random prediction to the perfect one, the per-sample loss never
 *   increases and ends at its minimum (0, or −1 for cosineSimilarity; poisson has no fixed minimum);
 * - gradCheck passes at moderate points away from kinks;
 * - a call and its gradient leave no tensors behind.
 *
 * The table below must cover every factory that the catalog family modules export, and every loss
 * it names must be registered: a missing loss fails the "coverage" tests with its name.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { useBackend } from '../helpers/backends.js';
import { assertNoLeak } from '../helpers/assert.js';
import { CATALOG_FAMILIES, familyLossNames, loadCatalog } from '../helpers/catalog.js';
import { gradCheck, losses, type Loss } from '../../src/index.js';

await useBackend('cpu');

// ───────────────────────────── seeded data ─────────────────────────────

type Rng = () => number;
const makeRng = (seed: string): Rng => seedrandom(seed);
const uniform = (r: Rng, lo: number, hi: number) => lo + (hi - lo) * r();
const normal = (r: Rng) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const fill = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

const B = 4; // batch
const C = 3; // classes / features
const N = B * C;

/** Row-major [B, C] one-hot rows for the given labels. */
const oneHotRows = (labels: number[], classes = C) => labels.flatMap((l) => fill(classes, (c) => (c === l ? 1 : 0)));
/** Random distributions over C classes (softmax of normals), [B, C] flat. */
function softRows(r: Rng, rows = B, classes = C, floor = 0): number[] {
  return fill(rows, () => 0).flatMap(() => {
    const e = fill(classes, () => Math.exp(1.5 * normal(r)));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((x) => floor / classes + (1 - floor) * (x / total));
  });
}
const labelsOf = (r: Rng, n = B, classes = C) => fill(n, () => Math.floor(r() * classes));
const lerp = (a: number[], b: number[], t: number) => a.map((x, i) => (1 - t) * x + t * b[i]!);

interface Sample {
  yTrue: tf.Tensor;
  yPred: tf.Tensor;
}

function sample(yTrue: number[], yPred: number[], predShape: number[] = [B, C], trueShape = predShape, trueDtype: 'float32' | 'int32' = 'float32'): Sample {
  return { yTrue: tf.tensor(yTrue, trueShape, trueDtype), yPred: tf.tensor(yPred, predShape) };
}

// ───────────────────────────── the table ─────────────────────────────

interface Entry {
  loss: string;
  options?: Record<string, unknown>;
  /** Distinguishes entries with the same options (e.g. label conventions). */
  variant?: string;
  /** Per-sample values are ≥ 0. */
  nonNegative: boolean;
  /** Per-sample values lie in [lo, hi]. */
  bounds?: [number, number];
  random(r: Rng): Sample;
  /** Extreme but valid inputs: values and gradients must stay finite. */
  extreme(r: Rng): Sample;
  /** A moderate point away from kinks for gradCheck. */
  moderate(r: Rng): Sample;
  /** A path to the perfect prediction (t = 1): per-sample values must not increase along it. */
  path?(r: Rng): (t: number) => Sample;
  /** The per-sample value at the end of the path (t = 1). */
  perfectValue?: number;
}

const label = (e: Entry) => `${e.loss}${e.options ? ` ${JSON.stringify(e.options)}` : ''}${e.variant ? ` (${e.variant})` : ''}`;

// Regression (elementwise [B, C]).
type Domain = 'real' | 'positive' | 'logRate' | 'relative';

function regression(loss: string, options: Record<string, unknown> | undefined, domain: Domain, nonNegative = true): Entry {
  const target = (r: Rng) =>
    domain === 'positive' || domain === 'logRate' ? uniform(r, 0.5, 5) : domain === 'relative' ? pick(r, [-1, 1]) * uniform(r, 1, 5) : 3 * normal(r);
  const perfect = (y: number) => (domain === 'logRate' ? Math.log(y) : y);
  return {
    loss,
    options,
    nonNegative,
    random: (r) => {
      const y = fill(N, () => target(r));
      const p = y.map((v) => (domain === 'positive' ? uniform(r, 0, 6) : perfect(v) + 2 * normal(r)));
      return sample(y, p);
    },
    extreme: (r) => {
      if (domain === 'positive') {
        const y = fill(N, () => pick(r, [0, 3, 1e6]));
        return sample(y, fill(N, () => pick(r, [0, 1e-30, 2, 1e6])));
      }
      if (domain === 'logRate') {
        // exp(ŷ) overflows float32 past ŷ ≈ 88 (as in PyTorch): log-rates up to ±50.
        return sample(fill(N, () => pick(r, [0, 3, 1e6])), fill(N, () => pick(r, [-50, 0, 13.8, 50])));
      }
      const y = fill(N, (i) => (i % 3 === 0 ? 0 : uniform(r, -10, 10)));
      return sample(y, y.map((v, i) => (i % 4 === 1 ? v : v + pick(r, [-1e6, 1e6]))));
    },
    moderate: (r) => {
      const y = fill(N, () => target(r));
      // |error| in [0.2, 0.8] (positive domains) or [0.2, 2]: away from |e| = 0 and from max(ŷ, ε).
      const width = domain === 'real' || domain === 'relative' ? 2 : 0.4;
      return sample(y, y.map((v) => perfect(v) + pick(r, [-1, 1]) * uniform(r, 0.2, 0.2 + width)));
    },
    path: (r) => {
      const y = fill(N, () => target(r));
      const start = y.map((v) => perfect(v) + (domain === 'positive' ? uniform(r, -0.45, 3) : 2 * normal(r)));
      return (t) => sample(y, lerp(start, y.map(perfect), t));
    },
    perfectValue: domain === 'positive' && loss === 'poisson' ? undefined : domain === 'logRate' ? undefined : 0,
  };
}

/**
 * gaussianNll: targets [B, C], yPred [B, 2C] = the means then the variances (`shared`: [B, C + 1], one
 * variance per sample). Negative where the variance is below 1 (½·log σ²); along the path the means
 * reach the targets with the variances fixed, ending at ½·log σ² (so no fixed minimum value).
 */
function gaussianNllEntry(options: Record<string, unknown> | undefined, shared: boolean): Entry {
  const columns = shared ? 1 : C;
  const withVariances = (means: number[], variances: number[]) =>
    fill(B, () => 0).flatMap((_, i) => [...means.slice(i * C, (i + 1) * C), ...variances.slice(i * columns, (i + 1) * columns)]);
  const make = (y: number[], means: number[], variances: number[]) => sample(y, withVariances(means, variances), [B, C + columns], [B, C]);
  return {
    loss: 'gaussianNll',
    options,
    variant: shared ? 'one variance per sample' : 'a variance per element',
    nonNegative: false,
    random: (r) => {
      const y = fill(N, () => 3 * normal(r));
      return make(y, y.map((v) => v + 2 * normal(r)), fill(B * columns, () => uniform(r, 0.05, 5)));
    },
    // Errors of 1e6, variances from below ε (clamped) to 1e6.
    extreme: (r) => {
      const y = fill(N, () => uniform(r, -10, 10));
      return make(y, y.map((v, i) => (i % 4 === 1 ? v : v + pick(r, [-1e6, 1e6]))), fill(B * columns, () => pick(r, [0, 1e-30, 1e-3, 1e6])));
    },
    moderate: (r) => {
      const y = fill(N, () => 3 * normal(r));
      return make(y, y.map((v) => v + pick(r, [-1, 1]) * uniform(r, 0.2, 2)), fill(B * columns, () => uniform(r, 0.5, 2)));
    },
    path: (r) => {
      const y = fill(N, () => 3 * normal(r));
      const start = y.map((v) => v + 2 * normal(r));
      const variances = fill(B * columns, () => uniform(r, 0.2, 3));
      return (t) => make(y, lerp(start, y, t), variances);
    },
  };
}

// Binary classification (elementwise [B, C], labels in {0, 1}).
function binary(loss: string, options: Record<string, unknown> = {}, { perfect = true } = {}): Entry {
  const logits = options.fromLogits === true;
  const hard = (r: Rng) => fill(N, () => (r() < 0.5 ? 0 : 1));
  const target = (y: number[]) => (logits ? y.map((v) => (2 * v - 1) * 1e4) : y);
  return {
    loss,
    options: Object.keys(options).length ? options : undefined,
    nonNegative: true,
    random: (r) => sample(fill(N, () => (r() < 0.3 ? r() : r() < 0.5 ? 0 : 1)), fill(N, () => (logits ? 3 * normal(r) : r()))),
    extreme: (r) => sample(hard(r), fill(N, () => (logits ? pick(r, [-1e4, -100, 0, 100, 1e4]) : pick(r, [0, 1, 1e-9, 1 - 1e-7])))),
    moderate: (r) => sample(hard(r), fill(N, () => (logits ? 2 * normal(r) : uniform(r, 0.1, 0.9)))),
    ...(perfect
      ? {
          path: (r: Rng) => {
            const y = hard(r);
            const start = fill(N, () => (logits ? 3 * normal(r) : r()));
            return (t: number) => sample(y, lerp(start, target(y), t));
          },
          perfectValue: 0,
        }
      : {}),
  };
}

// Categorical (dense [B, C], one-hot or soft targets).
function categorical(loss: string, options: Record<string, unknown> = {}, { perfect = true } = {}): Entry {
  const logits = options.fromLogits === true;
  const predictions = (r: Rng) => (logits ? fill(N, () => 3 * normal(r)) : softRows(r));
  const target = (y: number[]) => (logits ? y.map((v) => (2 * v - 1) * 1e4) : y);
  return {
    loss,
    options: Object.keys(options).length ? options : undefined,
    nonNegative: true,
    random: (r) => sample(r() < 0.5 ? softRows(r) : oneHotRows(labelsOf(r)), predictions(r)),
    extreme: (r) => {
      const y = oneHotRows(labelsOf(r));
      const p = logits ? fill(N, () => pick(r, [-1e4, -100, 0, 100, 1e4])) : oneHotRows(labelsOf(r));
      if (!logits) p.splice(0, C, 0, 0, 1e-30); // a near-zero row
      return sample(y, p);
    },
    moderate: (r) => sample(r() < 0.5 ? softRows(r) : oneHotRows(labelsOf(r)), logits ? fill(N, () => 2 * normal(r)) : softRows(r, B, C, 0.3)),
    ...(perfect
      ? {
          path: (r: Rng) => {
            const y = oneHotRows(labelsOf(r));
            const start = predictions(r);
            return (t: number) => sample(y, lerp(start, target(y), t));
          },
          perfectValue: 0,
        }
      : {}),
  };
}

// Sparse categorical: int32 labels [B], predictions [B, C].
function sparse(loss: string, options: Record<string, unknown> = {}): Entry {
  const logits = options.fromLogits === true;
  const ignore = typeof options.ignoreIndex === 'number' ? options.ignoreIndex : undefined;
  const labels = (r: Rng) => labelsOf(r).map((l, i) => (ignore !== undefined && i === 1 ? ignore : l));
  const make = (y: number[], p: number[]) => sample(y, p, [B, C], [B], 'int32');
  const predictions = (r: Rng) => (logits ? fill(N, () => 3 * normal(r)) : softRows(r));
  return {
    loss,
    options: Object.keys(options).length ? options : undefined,
    nonNegative: true,
    random: (r) => make(labels(r), predictions(r)),
    extreme: (r) => make(labels(r), logits ? fill(N, () => pick(r, [-1e4, -100, 0, 100, 1e4])) : oneHotRows(labelsOf(r))),
    moderate: (r) => make(labels(r), logits ? fill(N, () => 2 * normal(r)) : softRows(r, B, C, 0.3)),
    path: (r) => {
      const y = labels(r);
      const onehot = oneHotRows(y.map((l) => (l === ignore ? 0 : l)));
      const end = logits ? onehot.map((v) => (2 * v - 1) * 1e4) : onehot;
      const start = predictions(r);
      return (t) => make(y, lerp(start, end, t));
    },
    perfectValue: 0,
  };
}

// Hinge family: labels in {−1, 1} or {0, 1}, raw scores.
function hingeEntry(loss: string, labels01: boolean): Entry {
  const signs = (r: Rng) => fill(N, () => pick(r, [-1, 1]));
  const asLabels = (s: number[]) => (labels01 ? s.map((v) => (v + 1) / 2) : s);
  return {
    loss,
    variant: labels01 ? 'labels in {0, 1}' : 'labels in {-1, 1}',
    nonNegative: true,
    random: (r) => sample(asLabels(signs(r)), fill(N, () => 2 * normal(r))),
    extreme: (r) => sample(asLabels(signs(r)), fill(N, () => pick(r, [-1e4, -100, 0, 100, 1e4]))),
    // y·ŷ = 1 ± [0.1, 1.5]: away from the kink at y·ŷ = 1.
    moderate: (r) => {
      const s = signs(r);
      return sample(asLabels(s), s.map((v) => v * (1 + pick(r, [-1, 1]) * uniform(r, 0.1, 1.5))));
    },
    path: (r) => {
      const s = signs(r);
      const start = fill(N, () => 2 * normal(r));
      return (t) => sample(asLabels(s), lerp(start, s.map((v) => 2 * v), t));
    },
    perfectValue: 0,
  };
}

/** Scores whose categorical hinge is differentiable: a unique max of (1 − y)·ŷ and a margin ≠ 0. */
function categoricalHingeScores(r: Rng, labels: number[]): number[] {
  return labels.flatMap((l) => {
    for (;;) {
      const row = fill(C, () => 1.5 * normal(r));
      const wrong = row.map((v, c) => (c === l ? 0 : v)).sort((a, b) => b - a);
      if (wrong[0]! - wrong[1]! > 0.05 && Math.abs(wrong[0]! - row[l]! + 1) > 0.05) return row;
    }
  });
}

const categoricalHingeEntry: Entry = {
  loss: 'categoricalHinge',
  nonNegative: true,
  random: (r) => sample(r() < 0.5 ? softRows(r) : oneHotRows(labelsOf(r)), fill(N, () => 2 * normal(r))),
  extreme: (r) => sample(oneHotRows(labelsOf(r)), fill(N, () => pick(r, [-1e4, -100, 0, 100, 1e4]))),
  moderate: (r) => {
    const l = labelsOf(r);
    return sample(oneHotRows(l), categoricalHingeScores(r, l));
  },
  path: (r) => {
    const y = oneHotRows(labelsOf(r));
    const start = fill(N, () => 2 * normal(r));
    return (t) => sample(y, lerp(start, y.map((v) => 2 * v), t));
  },
  perfectValue: 0,
};

const klEntry: Entry = {
  loss: 'kullbackLeiblerDivergence',
  nonNegative: true,
  random: (r) => sample(softRows(r), softRows(r)),
  extreme: (r) => sample(r() < 0.5 ? oneHotRows(labelsOf(r)) : softRows(r), oneHotRows(labelsOf(r))),
  moderate: (r) => sample(softRows(r), softRows(r, B, C, 0.3)),
  path: (r) => {
    const y = softRows(r);
    const start = softRows(r);
    return (t) => sample(y, lerp(start, y, t));
  },
  perfectValue: 0,
};

function cosineEntry(options?: Record<string, unknown>): Entry {
  // With options.axis = 1 the inputs are [B, C, 2] and the feature axis is the middle one.
  const shape = options ? [B, C, 2] : [B, C];
  const n = shape.reduce((a, b) => a * b, 1);
  const vec = (r: Rng, scale = 1) => fill(n, () => scale * normal(r));
  return {
    loss: 'cosineSimilarity',
    options,
    nonNegative: false,
    bounds: [-1, 1],
    random: (r) => sample(vec(r), vec(r, 5), shape),
    extreme: (r) => {
      const y = fill(n, () => pick(r, [-1e4, 0, 1e4, 1e-3]));
      const p = fill(n, (i) => (i < 2 ? 0 : pick(r, [-1e4, -100, 0, 100, 1e4])));
      y[n - 1] = 0; // somewhere a zero yTrue entry, and zero yPred vectors at the start
      return sample(y, p, shape);
    },
    moderate: (r) => sample(vec(r), vec(r), shape),
    path: (r) => {
      const y = vec(r);
      const start = vec(r);
      return (t) => sample(y, lerp(start, y, t), shape);
    },
    perfectValue: -1,
  };
}

/** Every loss of the catalog, with the options that change its math. */
const TABLE: Entry[] = [
  regression('meanSquaredError', undefined, 'real'),
  regression('meanAbsoluteError', undefined, 'real'),
  regression('meanAbsolutePercentageError', undefined, 'relative'),
  regression('meanSquaredLogarithmicError', undefined, 'positive'),
  regression('huber', undefined, 'real'),
  regression('huber', { delta: 0.3 }, 'real'),
  regression('smoothL1', undefined, 'real'),
  regression('smoothL1', { beta: 0 }, 'real'),
  regression('logCosh', undefined, 'real'),
  regression('quantile', undefined, 'real'),
  regression('quantile', { quantile: 0.9 }, 'real'),
  regression('poisson', undefined, 'positive', false),
  regression('poisson', { logInput: true }, 'logRate', false),
  gaussianNllEntry(undefined, false),
  gaussianNllEntry({ full: true, eps: 1e-3 }, true),

  binary('binaryCrossentropy'),
  binary('binaryCrossentropy', { fromLogits: true }),
  binary('binaryCrossentropy', { fromLogits: true, labelSmoothing: 0.1, posWeight: 3 }, { perfect: false }),
  binary('binaryCrossentropy', { labelSmoothing: 0.2 }, { perfect: false }),
  binary('binaryFocalCrossentropy'),
  binary('binaryFocalCrossentropy', { fromLogits: true, gamma: 0.5 }),
  binary('binaryFocalCrossentropy', { fromLogits: true, applyClassBalancing: true, alpha: 0.75, labelSmoothing: 0.1 }, { perfect: false }),
  categorical('categoricalCrossentropy'),
  categorical('categoricalCrossentropy', { fromLogits: true }),
  categorical('categoricalCrossentropy', { fromLogits: true, labelSmoothing: 0.1, classWeight: [1, 2, 0.5] }, { perfect: false }),
  sparse('sparseCategoricalCrossentropy'),
  sparse('sparseCategoricalCrossentropy', { fromLogits: true }),
  sparse('sparseCategoricalCrossentropy', { fromLogits: true, ignoreIndex: -100, classWeight: [1, 2, 0.5] }),
  categorical('categoricalFocalCrossentropy'),
  categorical('categoricalFocalCrossentropy', { fromLogits: true, gamma: 1, alpha: 0.5 }),
  categorical('polyCrossentropy'),
  categorical('polyCrossentropy', { fromLogits: true, epsilon: -0.5 }),
  categorical('generalizedCrossentropy'),
  categorical('generalizedCrossentropy', { fromLogits: true, q: 0.3 }),

  hingeEntry('hinge', false),
  hingeEntry('hinge', true),
  hingeEntry('squaredHinge', false),
  hingeEntry('squaredHinge', true),
  categoricalHingeEntry,

  klEntry,
  { ...klEntry, loss: 'generalizedKullbackLeibler' },
  categorical('safeSoftmaxCrossentropy', {}, { perfect: false }),
  cosineEntry(),
  cosineEntry({ axis: 1 }),
];

// ───────────────────────────── coverage ─────────────────────────────

describe('coverage of the catalog', () => {
  for (const family of CATALOG_FAMILIES) {
    test(`every loss exported by src/losses/${family}.ts has a property entry`, async () => {
      const names = await familyLossNames(family);
      assert.ok(names.length > 0, `src/losses/${family}.ts exports no loss`);
      const covered = new Set(TABLE.map((e) => e.loss));
      const missing = names.filter((n) => !covered.has(n));
      assert.deepEqual(missing, [], `losses of ${family} without an entry in the property table: ${missing.join(', ')}`);
    });
  }

  test('every loss in the property table is registered', async () => {
    await loadCatalog();
    const registered = new Set(losses.list());
    const missing = [...new Set(TABLE.map((e) => e.loss))].filter((n) => !registered.has(n));
    assert.deepEqual(missing, [], `catalog losses missing from the registry (losses.list()): ${missing.join(', ')}`);
  });
});

// ───────────────────────────── properties ─────────────────────────────

/** The loss for an entry, with per-sample output; fails clearly if the name is not registered. */
function makeLoss(entry: Entry, reduction: 'none' | 'mean' = 'none'): Loss {
  assert.ok(losses.list().includes(entry.loss), `catalog loss '${entry.loss}' is not registered (losses.list() has ${losses.list().length} names)`);
  return losses.fromConfig({ name: entry.loss, ...(entry.options as object), reduction } as never);
}

/** Runs `check` on a sample and disposes the sample afterwards. */
function withSample<T>(s: Sample, check: (s: Sample) => T): T {
  try {
    return check(s);
  } finally {
    tf.dispose([s.yTrue, s.yPred]);
  }
}

function valueAndGrad(loss: Loss, s: Sample): { value: number[]; grad: number[] } {
  return tf.tidy(() => {
    const value = Array.from(loss(s.yTrue, s.yPred).dataSync());
    const grad = Array.from(tf.grad((p: tf.Tensor) => tf.sum(loss(s.yTrue, p)) as tf.Scalar)(s.yPred).dataSync());
    return { value, grad };
  });
}

function checkFiniteAndRange(entry: Entry, loss: Loss, s: Sample, what: string): void {
  const { value, grad } = valueAndGrad(loss, s);
  const inputs = () => `yTrue ${JSON.stringify(Array.from(s.yTrue.dataSync()))}, yPred ${JSON.stringify(Array.from(s.yPred.dataSync()))}`;
  value.forEach((v, i) => assert.ok(Number.isFinite(v), `${what}: value[${i}] = ${v} for ${inputs()}`));
  grad.forEach((g, i) => assert.ok(Number.isFinite(g), `${what}: gradient[${i}] = ${g} for ${inputs()}`));
  if (entry.nonNegative) value.forEach((v, i) => assert.ok(v >= -1e-6, `${what}: value[${i}] = ${v} < 0 for ${inputs()}`));
  if (entry.bounds) {
    const [lo, hi] = entry.bounds;
    value.forEach((v, i) => assert.ok(v >= lo - 1e-5 && v <= hi + 1e-5, `${what}: value[${i}] = ${v} outside [${lo}, ${hi}]`));
  }
}

const RANDOM_DRAWS = 5;
const PATH_STEPS = [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1];

for (const entry of TABLE) {
  describe(label(entry), () => {
    test('finite values and gradients on random inputs; sign/bounds hold', () => {
      const loss = makeLoss(entry);
      const r = makeRng(`random ${label(entry)}`);
      for (let k = 0; k < RANDOM_DRAWS; k++) withSample(entry.random(r), (s) => checkFiniteAndRange(entry, loss, s, `random draw ${k}`));
    });

    test('finite values and gradients on extreme inputs', () => {
      const loss = makeLoss(entry);
      const r = makeRng(`extreme ${label(entry)}`);
      for (let k = 0; k < 3; k++) withSample(entry.extreme(r), (s) => checkFiniteAndRange(entry, loss, s, `extreme draw ${k}`));
    });

    test('gradCheck passes at a moderate point away from kinks', () => {
      const loss = makeLoss(entry, 'mean');
      const r = makeRng(`moderate ${label(entry)}`);
      for (let k = 0; k < 2; k++) {
        withSample(entry.moderate(r), (s) => {
          const report = gradCheck(loss, s.yTrue, s.yPred);
          assert.ok(report.passed, `draw ${k}: ${JSON.stringify(report)} at yPred ${JSON.stringify(Array.from(s.yPred.dataSync()))}`);
          assert.equal(report.nonFinite, 0);
        });
      }
    });

    if (entry.path) {
      const path = entry.path;
      const target = entry.perfectValue === undefined ? 'its minimum' : entry.perfectValue;
      test(`per-sample loss does not increase on the way to the perfect prediction, ending at ${target}`, () => {
        const loss = makeLoss(entry);
        const r = makeRng(`path ${label(entry)}`);
        for (let k = 0; k < 3; k++) {
          const at = path(r);
          const values = PATH_STEPS.map((t) => withSample(at(t), (s) => Array.from(tf.tidy(() => loss(s.yTrue, s.yPred)).dataSync())));
          for (let j = 1; j < values.length; j++) {
            values[j]!.forEach((v, i) => {
              const before = values[j - 1]![i]!;
              assert.ok(v <= before + 1e-5 * (1 + Math.abs(before)), `path ${k}, sample ${i}: ${before} at t=${PATH_STEPS[j - 1]} then ${v} at t=${PATH_STEPS[j]}`);
            });
          }
          if (entry.perfectValue !== undefined) {
            values.at(-1)!.forEach((v, i) => assert.ok(Math.abs(v - entry.perfectValue!) <= 1e-5, `path ${k}, sample ${i}: ${v} at the perfect prediction, expected ${entry.perfectValue}`));
          }
        }
      });
    }

    test('no leaks: call (with sampleWeight and mask) and gradient', () => {
      const r = makeRng(`leak ${label(entry)}`);
      withSample(entry.random(r), (s) => {
        for (const reduction of ['none', 'mean'] as const) {
          const loss = makeLoss(entry, reduction);
          const batch = s.yPred.shape[0]!;
          const call = { sampleWeight: fill(batch, (i) => i + 1), mask: fill(batch, (i) => (i === 0 ? 0 : 1)) };
          assertNoLeak(() => loss(s.yTrue, s.yPred, call), `${entry.loss} call (${reduction})`);
          assertNoLeak(() => tf.grad((p: tf.Tensor) => tf.sum(loss(s.yTrue, p, call)) as tf.Scalar)(s.yPred), `${entry.loss} gradient (${reduction})`);
        }
      });
    });
  });
}
