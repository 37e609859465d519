/**
 * Metric-learning losses (src/losses/metric.ts). Golden values against PyTorch / the papers' formulas
 * live in test/fixtures/catalog-metric.json (run by golden.test.ts on cpu and wasm); this file checks
 * gradients by finite differences, a short training run, the model.compile path, bad inputs and leaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { gradCheck, losses, setValueChecks, type Loss } from '../../src/index.js';

await useBackend('cpu');

// ───────────────────────────── data ─────────────────────────────

/** Seeded standard normal draws (Box–Muller). */
function normals(seed: string, n: number): number[] {
  const random = seedrandom(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

const LABELS = [0, 0, 1, 1, 2, 2, 0];
/** Moderate, seeded embeddings [7, 3]: no ties between candidate distances at the finite-difference scale. */
const embeddings = (seed = 'metric') => tf.tensor2d(normals(seed, 21), [7, 3]);

const MININGS = ['batchAll', 'batchHard', 'semiHard'] as const;
const DISTANCES = ['euclidean', 'squaredEuclidean', 'cosine'] as const;

// ───────────────────────────── gradients ─────────────────────────────

describe('gradCheck at moderate points', () => {
  const y = tf.tensor1d(LABELS);
  for (const mining of MININGS) {
    for (const distance of DISTANCES) {
      for (const swap of [false, true]) {
        test(`tripletMargin ${mining} ${distance}${swap ? ' swap' : ''}`, () => {
          const e = embeddings();
          const loss = losses.tripletMargin({ mining, distance, swap, margin: distance === 'cosine' ? 0.4 : 1 });
          const report = gradCheck(loss, y, e, undefined, { step: 1e-3 });
          assert.ok(report.passed, JSON.stringify(report));
          e.dispose();
        });
      }
    }
  }
  const cases: [string, Loss][] = [
    ['contrastive', losses.contrastive({ margin: 2 })],
    ['ntXent', losses.ntXent({ temperature: 0.5 })],
    ['ntXent pairwise', losses.ntXent({ temperature: 0.5, pairwise: true })],
    ['supervisedContrastive out', losses.supervisedContrastive({ temperature: 0.5, baseTemperature: 0.3 })],
    ['supervisedContrastive in', losses.supervisedContrastive({ temperature: 0.5, variant: 'in' })],
    ['circle', losses.circle({ gamma: 4, margin: 0.25 })],
    ['circle, diagonal kept', losses.circle({ gamma: 8, removeDiagonal: false })],
  ];
  for (const [name, loss] of cases) {
    test(name, () => {
      const e = embeddings('contrastive');
      const report = gradCheck(loss, y, e);
      assert.ok(report.passed, JSON.stringify(report));
      e.dispose();
    });
  }
  test('cosineEmbedding', () => {
    const pairs = tf.tensor3d(normals('pairs', 24), [4, 2, 3]);
    const report = gradCheck(losses.cosineEmbedding({ margin: -0.5 }), [1, -1, 1, -1], pairs);
    assert.ok(report.passed, JSON.stringify(report));
    pairs.dispose();
  });
  test('marginRanking', () => {
    const scores = tf.tensor2d(normals('scores', 8), [4, 2]);
    const report = gradCheck(losses.marginRanking({ margin: 5 }), [1, -1, 1, -1], scores);
    assert.ok(report.passed, JSON.stringify(report));
    scores.dispose();
  });
});

test('Euclidean gradients are finite at coincident embeddings (d = 0)', () => {
  const y = tf.tensor1d([0, 0, 1, 1, 2]);
  const e = tf.tensor2d([[1, 2], [1, 2], [1, 2], [0, 0], [1, 2]]);
  const all: Loss[] = [
    ...MININGS.flatMap((mining) => [false, true].map((swap) => losses.tripletMargin({ mining, swap }))),
    losses.contrastive(),
    losses.ntXent(),
    losses.ntXent({ pairwise: true }),
    losses.supervisedContrastive(),
    losses.supervisedContrastive({ variant: 'in' }),
    losses.circle(),
    losses.circle({ removeDiagonal: false }),
  ];
  for (const loss of all) {
    const g = tf.grad((p: tf.Tensor) => loss(y, p) as tf.Scalar)(e);
    assert.ok(Array.from(g.dataSync()).every(Number.isFinite), `${JSON.stringify(loss.getConfig())}: ${g.toString()}`);
    g.dispose();
  }
  tf.dispose([y, e]);
});

// ───────────────────────────── semantics not covered by the fixtures ─────────────────────────────

test('anchors without a positive or a negative are excluded from mean', () => {
  // Labels 0,0,1: anchor 2 has no positive. A batch of one class: nobody has a negative.
  const e = tf.tensor2d([[0, 0], [3, 0], [1, 0]]);
  const perSample = losses.tripletMargin({ reduction: 'none' })([0, 0, 1], e);
  const mean = losses.tripletMargin()([0, 0, 1], e);
  const values = Array.from(perSample.dataSync());
  assert.equal(values[2], 0);
  assertClose(mean, (values[0]! + values[1]!) / 2);
  assertClose(losses.tripletMargin()([4, 4, 4], e), 0);
  assertClose(losses.ntXent()([1, 2, 3], e), 0);
  assertClose(losses.ntXent({ pairwise: true })([1, 2, 3], e), 0);
  assertClose(losses.supervisedContrastive()([1, 2, 3], e), 0);
  assertClose(losses.circle()([4, 4, 4], e), 0);
  assertClose(losses.circle()([1, 2, 3], e), 0);
  tf.dispose([e, perSample, mean]);
});

test('labels as [B], [B,1] and tiled [B,k] give the same loss', () => {
  const e = embeddings();
  const loss = losses.tripletMargin({ reduction: 'none' });
  const flat = loss(LABELS, e);
  assertClose(loss(LABELS.map((l) => [l]), e), flat.dataSync());
  assertClose(loss(LABELS.map((l) => [l, l, l]), e), flat.dataSync());
  tf.dispose([e, flat]);
});

test('config round trip and PyTorch-style aliases', () => {
  const loss = losses.tripletMargin({ margin: 0.3, mining: 'semiHard', distance: 'cosine', swap: true });
  assert.deepEqual(loss.getConfig(), { name: 'tripletMargin', margin: 0.3, mining: 'semiHard', distance: 'cosine', swap: true, reduction: 'mean' });
  const e = embeddings();
  assertClose(losses.fromConfig(loss.getConfig())(LABELS, e), loss(LABELS, e).dataSync());
  assert.equal(losses.get('TripletMarginLoss').name, 'tripletMargin');
  assert.equal(losses.get('CosineEmbeddingLoss').name, 'cosineEmbedding');
  assert.equal(losses.get('MarginRankingLoss').name, 'marginRanking');
  assert.equal(losses.get('supCon').name, 'supervisedContrastive');
  assert.equal(losses.get('SupConLoss').name, 'supervisedContrastive');
  assert.equal(losses.get('NTXentLoss').name, 'ntXent');
  assert.equal(losses.get('Circle').name, 'circle');
  assert.equal(losses.get('contrastive_loss').name, 'contrastive');
  e.dispose();
});

// ───────────────────────────── training ─────────────────────────────

/** 3 Gaussian blobs in 6-D whose class signal lives in dims 0–1; dims 2–5 are larger noise. */
function blobs(perClass: number): { x: tf.Tensor2D; labels: number[] } {
  const noise = normals('blobs', perClass * 3 * 6);
  const centers = [[0, 0], [2, 0], [1, 1.7]];
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < perClass; i++) {
      const k = (c * perClass + i) * 6;
      rows.push([centers[c]![0]! + 0.3 * noise[k]!, centers[c]![1]! + 0.3 * noise[k + 1]!, ...noise.slice(k + 2, k + 6).map((v) => 2 * v)]);
      labels.push(c);
    }
  }
  return { x: tf.tensor2d(rows), labels };
}

/** Mean same-class and different-class Euclidean distances of embeddings. */
function classDistances(z: tf.Tensor2D, labels: number[]): { same: number; different: number } {
  const d = z.arraySync();
  let [same, nSame, different, nDifferent] = [0, 0, 0, 0];
  for (let i = 0; i < d.length; i++) {
    for (let j = i + 1; j < d.length; j++) {
      const dist = Math.hypot(...d[i]!.map((v, k) => v - d[j]![k]!));
      if (labels[i] === labels[j]) [same, nSame] = [same + dist, nSame + 1];
      else [different, nDifferent] = [different + dist, nDifferent + 1];
    }
  }
  return { same: same / nSame, different: different / nDifferent };
}

test('training a linear embedding with batchHard separates 3 Gaussian blobs', () => {
  const { x, labels } = blobs(20);
  const y = tf.tensor1d(labels);
  const w = tf.variable(tf.tensor2d(normals('init', 6 * 2), [6, 2]));
  const loss = losses.tripletMargin({ mining: 'batchHard', margin: 1 });
  const before = tf.tidy(() => classDistances(tf.matMul(x, w), labels));
  const optimizer = tf.train.adam(0.02);
  let first = NaN;
  let last = NaN;
  for (let step = 0; step < 300; step++) {
    const cost = optimizer.minimize(() => loss(y, tf.matMul(x, w)) as tf.Scalar, true)!;
    last = cost.dataSync()[0]!;
    if (step === 0) first = last;
    cost.dispose();
  }
  const after = tf.tidy(() => classDistances(tf.matMul(x, w), labels));
  assert.ok(before.same > 0.6 * before.different, `the random projection should mix the classes: ${JSON.stringify(before)}`);
  assert.ok(after.same < 0.5 * after.different, `same-class distances should end well below different-class ones: ${JSON.stringify(after)}`);
  assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
  optimizer.dispose();
  tf.dispose([x, y, w]);
});

test('model.compile + fit with tiled [B, D] labels (the target shape tfjs-layers requires)', async () => {
  const { x, labels } = blobs(10);
  const dim = 2;
  const model = tf.sequential({ layers: [tf.layers.dense({ units: dim, inputShape: [6], kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) })] });
  model.compile({ optimizer: tf.train.adam(0.02), loss: losses.tripletMargin({ mining: 'batchHard' }) });
  const targets = tf.tile(tf.tensor2d(labels, [labels.length, 1]), [1, dim]);
  const history = await model.fit(x, targets, { epochs: 60, batchSize: labels.length, shuffle: false, verbose: 0 });
  const curve = history.history['loss'] as number[];
  assert.ok(curve.every(Number.isFinite));
  assert.ok(curve.at(-1)! < 0.7 * curve[0]!, `loss ${curve[0]} → ${curve.at(-1)}`);
  model.dispose();
  tf.dispose([x, targets]);
});

// ───────────────────────────── bad inputs ─────────────────────────────

describe('bad inputs raise LossInputError naming the argument', () => {
  const batchLosses: [string, () => Loss][] = [
    ['tripletMargin', () => losses.tripletMargin()],
    ['contrastive', () => losses.contrastive()],
    ['ntXent', () => losses.ntXent()],
    ['ntXent pairwise', () => losses.ntXent({ pairwise: true })],
    ['supervisedContrastive', () => losses.supervisedContrastive()],
    ['circle', () => losses.circle()],
  ];
  for (const [name, make] of batchLosses) {
    test(name, () => {
      const loss = make();
      const e = tf.tensor2d([[0, 1], [1, 0], [1, 1]]);
      assertLossInputError(() => loss([0, 0.5, 1], e), 'yTrue', /integer class labels.*got 0\.5/);
      assertLossInputError(() => loss([0, NaN, 1], e), 'yTrue', /integer/);
      assertLossInputError(() => loss([0, 1], e), 'yTrue', /shape \[3\] or \[3,k\].*got shape \[2\]/);
      assertLossInputError(() => loss([[0, 1], [1, 1], [2, 2]], e), 'yTrue', /same label in every column/);
      assertLossInputError(() => loss([[[0]], [[1]], [[2]]], e), 'yTrue', /shape \[3\]/);
      assertLossInputError(() => loss([0, 1, 2], [1, 2, 3]), 'yPred', /rank 2.*got rank 1/);
      assertLossInputError(() => loss([0, 1, 2], tf.zeros([3, 2, 2])), 'yPred', /rank 2/);
      assertLossInputError(() => loss([0, 1, 2], tf.zeros([3, 0])), 'yPred', /dim ≥ 1/);
      assertLossInputError(() => loss([0, 1, 2], [[0, 1], [NaN, 0], [1, 1]]), 'yPred', /finite/);
      assertLossInputError(() => loss([0, 1, 2], e, { sampleWeight: [1, 2] }), 'call.sampleWeight');
      e.dispose();
    });
  }
  test('options', () => {
    assertLossInputError(() => losses.tripletMargin({ mining: 'hardest' as never }), 'options.mining', /'batchAll', 'batchHard', 'semiHard'/);
    assertLossInputError(() => losses.tripletMargin({ distance: 'manhattan' as never }), 'options.distance', /'euclidean'/);
    assertLossInputError(() => losses.tripletMargin({ margin: -1 }), 'options.margin');
    assertLossInputError(() => losses.tripletMargin({ swap: 'yes' as never }), 'options.swap');
    assertLossInputError(() => losses.contrastive({ margin: -0.1 }), 'options.margin');
    assertLossInputError(() => losses.ntXent({ temperature: 0 }), 'options.temperature');
    assertLossInputError(() => losses.ntXent({ pairwise: 1 as never }), 'options.pairwise');
    assertLossInputError(() => losses.supervisedContrastive({ baseTemperature: 0 }), 'options.baseTemperature');
    assertLossInputError(() => losses.supervisedContrastive({ variant: 'both' as never }), 'options.variant', /'out', 'in'/);
    assertLossInputError(() => losses.circle({ gamma: 0 }), 'options.gamma');
    assertLossInputError(() => losses.circle({ margin: NaN }), 'options.margin');
    assertLossInputError(() => losses.circle({ removeDiagonal: 'no' as never }), 'options.removeDiagonal');
    assertLossInputError(() => losses.cosineEmbedding({ margin: 2 }), 'options.margin');
  });
  test('pair losses', () => {
    const pairs = tf.zeros([2, 2, 3]);
    assertLossInputError(() => losses.cosineEmbedding()([1, 0], pairs), 'yTrue', /−1.*or 1.*got 0 at/);
    assertLossInputError(() => losses.cosineEmbedding()([1, -1, 1], pairs), 'yTrue', /shape \[2\]/);
    assertLossInputError(() => losses.cosineEmbedding()([1, -1], tf.zeros([2, 3, 3])), 'yPred', /\[batch, 2, dim\]/);
    assertLossInputError(() => losses.cosineEmbedding()([1, -1], tf.zeros([2, 6])), 'yPred', /\[batch, 2, dim\]/);
    assertLossInputError(() => losses.marginRanking()([1, 2], tf.zeros([2, 2])), 'yTrue', /got 2 at/);
    assertLossInputError(() => losses.marginRanking()([1, -1], tf.zeros([2, 3])), 'yPred', /\[batch, 2\]/);
    assertLossInputError(() => losses.marginRanking()([1, -1], tf.zeros([2, 2, 1])), 'yPred', /\[batch, 2\]/);
    pairs.dispose();
  });
  test('with value checks off, label values are not read but shapes are still checked', () => {
    const previous = setValueChecks(false);
    try {
      const e = tf.tensor2d([[0, 1], [1, 0], [1, 1]]);
      const v = losses.tripletMargin()([0, 0.5, 1], e);
      assert.ok(Number.isFinite(v.dataSync()[0]!));
      assertLossInputError(() => losses.tripletMargin()([0, 1], e), 'yTrue');
      tf.dispose([e, v]);
    } finally {
      setValueChecks(previous);
    }
  });
});

// ───────────────────────────── memory ─────────────────────────────

test('no leaks in values or gradients', () => {
  const y = tf.tensor1d(LABELS);
  const e = embeddings();
  const all: Loss[] = [
    ...MININGS.flatMap((mining) => DISTANCES.map((distance) => losses.tripletMargin({ mining, distance, swap: true }))),
    losses.contrastive({ reduction: 'sum' }),
    losses.ntXent({ reduction: 'none' }),
    losses.ntXent({ pairwise: true, reduction: 'sum' }),
    losses.supervisedContrastive({ variant: 'in' }),
    losses.circle({ reduction: 'none' }),
  ];
  const call = { sampleWeight: [1, 2, 1, 1, 0, 1, 1], mask: [1, 1, 1, 0, 1, 1, 1] };
  for (const loss of all) {
    assertNoLeak(() => loss(y, e, call), `${loss.name} value`);
    assertNoLeak(() => tf.grad((p: tf.Tensor) => tf.sum(loss(y, p, call)) as tf.Scalar)(e), `${loss.name} gradient`);
  }
  const pairs = tf.tensor3d(normals('leak', 12), [2, 2, 3]);
  const scores = tf.tensor2d([[1, 2], [3, 1]]);
  assertNoLeak(() => losses.cosineEmbedding()([1, -1], pairs));
  assertNoLeak(() => tf.grad((p: tf.Tensor) => losses.cosineEmbedding()([1, -1], p) as tf.Scalar)(pairs));
  assertNoLeak(() => losses.marginRanking({ margin: 1 })([[1], [-1]], scores));
  assertNoLeak(() => tf.grad((p: tf.Tensor) => losses.marginRanking({ margin: 1 })([1, -1], p) as tf.Scalar)(scores));
  assertNoLeak(() => {
    try {
      losses.tripletMargin()([0, 0.5, 1, 1, 2, 2, 0], e);
    } catch {
      /* the rejected call must not leave tensors behind either */
    }
  }, 'rejected call');
  tf.dispose([y, e, pairs, scores]);
});

// ───────────────────────────── circle, supervisedContrastive, ntXent pairwise ─────────────────────────────

test('ntXent pairwise equals ntXent when each anchor has one positive (two views per instance)', () => {
  const e = embeddings('views').slice([0, 0], [6, 3]);
  const views = [0, 1, 2, 0, 1, 2];
  assertClose(losses.ntXent({ pairwise: true, temperature: 0.3, reduction: 'none' })(views, e), losses.ntXent({ temperature: 0.3, reduction: 'none' })(views, e).dataSync());
  // With two positives per anchor the forms differ: the other positive is no negative in the pairwise form.
  const three = [0, 0, 0, 1, 1, 2];
  const pairwise = losses.ntXent({ pairwise: true, reduction: 'none' })(three, e).dataSync();
  const all = losses.ntXent({ reduction: 'none' })(three, e).dataSync();
  assert.ok(pairwise[0]! < all[0]!, `pairwise ${pairwise[0]} < over all others ${all[0]}`);
  e.dispose();
});

test('supervisedContrastive L_out is ntXent scaled by temperature / baseTemperature; L_in ≤ L_out (Jensen)', () => {
  const e = embeddings();
  const ntXent = losses.ntXent({ temperature: 0.2, reduction: 'none' })(LABELS, e).dataSync();
  const out = losses.supervisedContrastive({ temperature: 0.2, baseTemperature: 0.1, reduction: 'none' })(LABELS, e);
  assertClose(out, Array.from(ntXent, (v) => 2 * v));
  const inside = losses.supervisedContrastive({ temperature: 0.2, baseTemperature: 0.1, variant: 'in', reduction: 'none' })(LABELS, e).dataSync();
  out.dataSync().forEach((v, i) => assert.ok(inside[i]! <= v + 1e-6, `anchor ${i}: L_in ${inside[i]} > L_out ${v}`));
  tf.dispose([e, out]);
});

test('circle: well-separated classes cost (almost) nothing; mixed ones cost more; huge γ stays finite', () => {
  const separated = tf.tensor2d([[1, 0], [0.99, 0.05], [-1, 0], [-0.99, -0.05]]);
  const mixed = tf.tensor2d([[1, 0], [-1, 0.05], [0.99, 0], [-0.99, -0.05]]);
  const loss = losses.circle({ gamma: 32 });
  const low = loss([0, 0, 1, 1], separated).dataSync()[0]!;
  const high = loss([0, 0, 1, 1], mixed).dataSync()[0]!;
  assert.ok(low < 0.05 && high > 10, `separated ${low}, mixed ${high}`);
  const g = tf.grad((p: tf.Tensor) => losses.circle({ gamma: 1024 })([0, 0, 1, 1], p) as tf.Scalar)(mixed);
  assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
  tf.dispose([separated, mixed, g]);
});

test('training a linear embedding with circle (and with supervisedContrastive) pulls same-class cosines above different-class ones', () => {
  const { x, labels } = blobs(20);
  const y = tf.tensor1d(labels);
  /** Mean same-class and different-class cosine similarities of the embeddings. */
  const cosines = (z: tf.Tensor2D) => {
    const n = tf.tidy(() => tf.div(z, tf.norm(z, 2, 1, true)).arraySync() as number[][]);
    let [same, nSame, different, nDifferent] = [0, 0, 0, 0];
    for (let i = 0; i < n.length; i++) for (let j = i + 1; j < n.length; j++) {
      const c = n[i]!.reduce((a, v, k) => a + v * n[j]![k]!, 0);
      if (labels[i] === labels[j]) [same, nSame] = [same + c, nSame + 1];
      else [different, nDifferent] = [different + c, nDifferent + 1];
    }
    return { same: same / nSame, different: different / nDifferent };
  };
  for (const loss of [losses.circle({ gamma: 32, margin: 0.25 }), losses.supervisedContrastive({ temperature: 0.2 })]) {
    const w = tf.variable(tf.tensor2d(normals('init', 6 * 3), [6, 3]));
    const before = tf.tidy(() => cosines(tf.matMul(x, w)));
    const optimizer = tf.train.adam(0.02);
    for (let step = 0; step < 300; step++) tf.dispose(optimizer.minimize(() => loss(y, tf.matMul(x, w)) as tf.Scalar, true)!);
    const after = tf.tidy(() => cosines(tf.matMul(x, w)));
    // (No bias: the blob centred at the origin has no direction of its own, which caps the cosine gap.)
    const [gapBefore, gapAfter] = [before.same - before.different, after.same - after.different];
    assert.ok(gapAfter > 0.4 && gapAfter > gapBefore + 0.25, `${loss.name}: cosines ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    optimizer.dispose();
    w.dispose();
  }
  tf.dispose([x, y]);
});
