/**
 * Segmentation losses (src/losses/segmentation.ts). Golden values against torch float64 live in
 * test/fixtures/catalog-segmentation.json (run by golden.test.ts on cpu and wasm); this file checks
 * gradients by finite differences, identities between the losses, the layouts (axis, label maps,
 * aggregation), bad inputs, leaks, and that a few hundred Adam steps actually reduce the loss.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { seededLabels as labelMap, seededMask as masks, seededUniform as uniform } from '../helpers/random.js';
import { gradCheck, losses, type Loss } from '../../src/index.js';

await useBackend('cpu');

// ───────────────────────────── seeded inputs ─────────────────────────────

const oneHot = (labels: tf.Tensor, numClasses: number) => tf.cast(tf.oneHot(tf.cast(labels, 'int32'), numClasses), 'float32');

const OVERLAP = ['dice', 'tversky', 'focalTversky', 'jaccard'] as const;
const make = (name: string, options: Record<string, unknown> = {}): Loss => losses.fromConfig({ name, ...options } as never);

// ───────────────────────────── gradients ─────────────────────────────

describe('gradCheck at moderate points', () => {
  const binaryMask = masks([2, 3, 3, 1], 1);
  const labels = labelMap([2, 3, 3], 3, 2);
  const multiLabels = masks([2, 3, 3, 2], 3, 0.5);
  const settings: { mode: string; options: Record<string, unknown>; yTrue: tf.Tensor; yPred: tf.Tensor }[] = [
    { mode: 'binary probabilities', options: {}, yTrue: binaryMask, yPred: uniform([2, 3, 3, 1], 0.1, 0.9, 4) },
    { mode: 'binary logits, perBatch', options: { fromLogits: true, aggregation: 'perBatch' }, yTrue: binaryMask, yPred: uniform([2, 3, 3, 1], -2, 2, 5) },
    { mode: 'multiclass label map', options: { mode: 'multiclass', fromLogits: true, classWeight: [1, 2, 0.5] }, yTrue: labels, yPred: uniform([2, 3, 3, 3], -2, 2, 6) },
    { mode: 'multiclass one-hot, axis 1', options: { mode: 'multiclass', fromLogits: true, axis: 1 }, yTrue: tf.transpose(oneHot(labels, 3), [0, 3, 1, 2]), yPred: uniform([2, 3, 3, 3], -2, 2, 7) },
    { mode: 'multilabel logits', options: { mode: 'multilabel', fromLogits: true }, yTrue: multiLabels, yPred: uniform([2, 3, 3, 2], -2, 2, 8) },
  ];
  for (const name of OVERLAP) {
    for (const s of settings) {
      test(`${name}: ${s.mode}`, () => {
        const report = gradCheck(make(name, { ...s.options, reduction: 'sum' }), s.yTrue, s.yPred);
        assert.ok(report.passed, JSON.stringify(report));
      });
    }
  }
  test('lovaszHinge: perImage and perBatch', () => {
    for (const aggregation of ['perImage', 'perBatch']) {
      const report = gradCheck(losses.lovaszHinge({ aggregation, reduction: 'sum' } as never), binaryMask, uniform([2, 3, 3, 1], -2, 2, 9));
      assert.ok(report.passed, `${aggregation}: ${JSON.stringify(report)}`);
    }
  });
  test('lovaszSoftmax: present and all classes, probabilities and logits', () => {
    const cases = [
      { classes: 'present', fromLogits: true },
      { classes: 'all', fromLogits: true, aggregation: 'perBatch' },
      { classes: 'present', fromLogits: false, classWeight: [1, 3, 1] },
    ];
    for (const options of cases) {
      const yPred = options.fromLogits ? uniform([2, 3, 3, 3], -2, 2, 10) : tf.softmax(uniform([2, 3, 3, 3], -2, 2, 10));
      const report = gradCheck(losses.lovaszSoftmax({ ...options, reduction: 'sum' } as never), labels, yPred);
      assert.ok(report.passed, `${JSON.stringify(options)}: ${JSON.stringify(report)}`);
    }
  });
});

// ───────────────────────────── identities and layouts ─────────────────────────────

describe('identities between the overlap losses', () => {
  const yTrue = masks([3, 4, 4, 2], 11, 0.5);
  const yPred = uniform([3, 4, 4, 2], 0.05, 0.95, 12);
  const base = { mode: 'multilabel', reduction: 'none', smooth: 0.7 };
  test('tversky with α = β = ½ and smooth s/2 is dice with smooth s', () => {
    const tverskyHalf = losses.tversky({ ...base, alpha: 0.5, beta: 0.5, smooth: base.smooth / 2 } as never);
    assertClose(tverskyHalf(yTrue, yPred), losses.dice(base as never)(yTrue, yPred).dataSync());
  });
  test('tversky with α = β = 1 is jaccard', () => {
    assertClose(losses.tversky({ ...base, alpha: 1, beta: 1 } as never)(yTrue, yPred), losses.jaccard(base as never)(yTrue, yPred).dataSync());
  });
  test('focalTversky with γ = 1 is tversky', () => {
    const opts = { ...base, alpha: 0.2, beta: 0.8 };
    assertClose(losses.focalTversky({ ...opts, gamma: 1 } as never)(yTrue, yPred), losses.tversky(opts as never)(yTrue, yPred).dataSync());
  });
  test('a perfect prediction costs 0 for every loss', () => {
    const labels = labelMap([2, 4, 4], 3, 13);
    const exact = oneHot(labels, 3);
    for (const name of OVERLAP) assertClose(make(name, { mode: 'multiclass', reduction: 'none' })(labels, exact), [0, 0], { atol: 1e-6 }, name);
    assertClose(losses.lovaszSoftmax({ reduction: 'none' })(labels, exact), [0, 0], { atol: 1e-6 }, 'lovaszSoftmax');
    // Margins ≥ 1 on every pixel: the hinge is 0.
    const mask = masks([2, 4, 4], 14);
    assertClose(losses.lovaszHinge({ reduction: 'none' })(mask, tf.sub(tf.mul(mask, 4), 2)), [0, 0], { atol: 1e-6 }, 'lovaszHinge');
  });
  test('smooth = 0 and a class empty in both prediction and target costs 0, not NaN', () => {
    const empty = tf.zeros([1, 3, 3, 1]);
    for (const name of OVERLAP) assertClose(make(name, { smooth: 0, reduction: 'none' })(empty, empty), [0], {}, name);
  });
});

describe('layouts', () => {
  const labels = labelMap([2, 3, 4], 3, 20);
  const logits = uniform([2, 3, 4, 3], -3, 3, 21);
  const firstLogits = tf.transpose(logits, [0, 3, 1, 2]);
  const grad = (loss: Loss, yTrue: tf.Tensor, yPred: tf.Tensor) => tf.grad((p: tf.Tensor) => tf.sum(loss(yTrue, p)) as tf.Scalar)(yPred);

  const cases: { name: string; options: Record<string, unknown>; last: tf.Tensor; first: tf.Tensor }[] = [
    { name: 'dice', options: { mode: 'multiclass', fromLogits: true }, last: labels, first: labels },
    { name: 'tversky', options: { mode: 'multiclass', fromLogits: true, alpha: 0.2, beta: 0.8 }, last: oneHot(labels, 3), first: tf.transpose(oneHot(labels, 3), [0, 3, 1, 2]) },
    { name: 'jaccard', options: { mode: 'multilabel', fromLogits: true }, last: masks([2, 3, 4, 3], 22), first: tf.transpose(masks([2, 3, 4, 3], 22), [0, 3, 1, 2]) },
    { name: 'focalTversky', options: { mode: 'multiclass', fromLogits: true, aggregation: 'perBatch' }, last: labels, first: labels },
    { name: 'lovaszSoftmax', options: { fromLogits: true }, last: labels, first: labels },
  ];
  for (const c of cases) {
    test(`${c.name}: axis 1 on transposed data equals axis −1 (values and gradients)`, () => {
      const last = make(c.name, { ...c.options, reduction: 'none' });
      const first = make(c.name, { ...c.options, axis: 1, reduction: 'none' });
      assertClose(first(c.first, firstLogits), last(c.last, logits).dataSync());
      const g = grad(last, c.last, logits);
      assertClose(grad(first, c.first, firstLogits), tf.transpose(g, [0, 3, 1, 2]).dataSync(), { rtol: 1e-4, atol: 1e-6 }, 'gradient');
    });
  }

  test('label maps equal one-hot labels, with or without a size-1 class axis', () => {
    for (const name of [...OVERLAP, 'lovaszSoftmax']) {
      const opts = name === 'lovaszSoftmax' ? { fromLogits: true, reduction: 'none' } : { mode: 'multiclass', fromLogits: true, reduction: 'none' };
      const expected = make(name, opts)(oneHot(labels, 3), logits).dataSync();
      assertClose(make(name, opts)(labels, logits), expected, {}, name);
      assertClose(make(name, opts)(tf.expandDims(labels, -1), logits), expected, {}, `${name} [B,H,W,1]`);
    }
  });

  test('ignoreIndex: ignored pixels change nothing, whatever the prediction there', () => {
    const withIgnored = tf.where(tf.equal(masks([2, 3, 4], 23, 0.3), 1), tf.fill([2, 3, 4], 255), labels);
    const otherLogits = tf.where(tf.broadcastTo(tf.equal(tf.expandDims(withIgnored, -1), 255), [2, 3, 4, 3]), tf.mul(logits, -5), logits);
    for (const name of [...OVERLAP, 'lovaszSoftmax']) {
      const loss = make(name, { ...(name === 'lovaszSoftmax' ? {} : { mode: 'multiclass' }), fromLogits: true, ignoreIndex: 255, reduction: 'none' });
      assertClose(loss(withIgnored, otherLogits), loss(withIgnored, logits).dataSync(), {}, name);
    }
  });

  test('perBatch pools the counts of the batch: it equals perImage on the images side by side', () => {
    const yTrue = masks([2, 4, 4, 1], 24);
    const yPred = uniform([2, 4, 4, 1], 0.05, 0.95, 25);
    const sideBySide = (x: tf.Tensor) => tf.concat(tf.split(x, 2, 0), 2); // [1, 4, 8, 1]
    for (const name of [...OVERLAP, 'lovaszHinge']) {
      const pooled = make(name, { aggregation: 'perBatch', reduction: 'none' })(yTrue, yPred);
      const single = make(name, { reduction: 'none' })(sideBySide(yTrue), sideBySide(yPred)).dataSync()[0]!;
      assertClose(pooled, [single, single], {}, name);
      assertClose(make(name, { aggregation: 'perBatch' })(yTrue, yPred), single, {}, `${name} mean`);
    }
  });

  test('config round trip and registry aliases', () => {
    const loss = losses.focalTversky({ mode: 'multiclass', alpha: 0.3, beta: 0.7, ignoreIndex: 255, classWeight: [1, 2, 3] });
    const again = losses.fromConfig(loss.getConfig());
    assert.deepEqual(again.getConfig(), loss.getConfig());
    assertClose(again(labels, tf.softmax(logits)), loss(labels, tf.softmax(logits)).dataSync());
    for (const [alias, name] of [['DiceLoss', 'dice'], ['tversky_loss', 'tversky'], ['focal_tversky', 'focalTversky'], ['JaccardLoss', 'jaccard'], ['lovasz_hinge', 'lovaszHinge'], ['lovasz_softmax', 'lovaszSoftmax']]) {
      assert.equal(losses.get(alias!).name, name);
    }
  });

  test('channels-first classWeight equals channels-last', () => {
    const weighted = losses.dice({ mode: 'multiclass', fromLogits: true, axis: 1, classWeight: [1, 2, 3], reduction: 'none' });
    const last = losses.dice({ mode: 'multiclass', fromLogits: true, classWeight: [1, 2, 3], reduction: 'none' });
    assertClose(weighted(labels, firstLogits), last(labels, logits).dataSync());
  });
});

// ───────────────────────────── training ─────────────────────────────

describe('training sanity', () => {
  /** A disk on a 10×10 grid: the fixed target mask. */
  const disk = tf.tensor(Array.from({ length: 100 }, (_, i) => ((Math.floor(i / 10) - 4.5) ** 2 + ((i % 10) - 4.5) ** 2 < 9 ? 1 : 0)), [1, 10, 10, 1]);
  const trainLoss = (loss: Loss, target: tf.Tensor, steps: number): [number, number] => {
    const logits = tf.variable(uniform([1, 10, 10, 1], -0.5, 0.5, 30));
    const optimizer = tf.train.adam(0.05);
    const value = () => loss(target, logits) as tf.Scalar;
    const start = tf.tidy(() => value().dataSync()[0]!);
    for (let i = 0; i < steps; i++) tf.dispose(optimizer.minimize(value, true) ?? []);
    const end = tf.tidy(() => value().dataSync()[0]!);
    optimizer.dispose();
    logits.dispose();
    return [start, end];
  };
  for (const name of [...OVERLAP, 'lovaszHinge']) {
    test(`${name}: 200 Adam steps drive the loss far below its start`, () => {
      const options = name === 'lovaszHinge' ? {} : { fromLogits: true };
      const [start, end] = trainLoss(make(name, options), disk, 200);
      assert.ok(start > 0.3, `${name} starts at ${start}`);
      assert.ok(end < 0.1 * start, `${name}: ${start} → ${end}`);
    });
  }
  test('lovaszSoftmax: 200 Adam steps on a 3-class map', () => {
    const labels = tf.tensor(Array.from({ length: 100 }, (_, i) => (i % 10 < 3 ? 0 : Math.floor(i / 10) < 5 ? 1 : 2)), [1, 10, 10]);
    const logits = tf.variable(uniform([1, 10, 10, 3], -0.5, 0.5, 31));
    const loss = losses.lovaszSoftmax({ fromLogits: true });
    const optimizer = tf.train.adam(0.05);
    const value = () => loss(labels, logits) as tf.Scalar;
    const start = tf.tidy(() => value().dataSync()[0]!);
    for (let i = 0; i < 200; i++) tf.dispose(optimizer.minimize(value, true) ?? []);
    const end = tf.tidy(() => value().dataSync()[0]!);
    optimizer.dispose();
    logits.dispose();
    assert.ok(end < 0.1 * start, `${start} → ${end}`);
  });
});

// ───────────────────────────── bad inputs ─────────────────────────────

describe('bad inputs raise LossInputError naming the argument', () => {
  const probs = uniform([2, 3, 3, 3], 0.1, 0.9, 40);
  const labels = labelMap([2, 3, 3], 3, 41);

  test('bad options at construction', () => {
    assertLossInputError(() => losses.dice({ mode: 'multiclas' } as never), 'options.mode', /'binary', 'multiclass', 'multilabel'/);
    assertLossInputError(() => losses.jaccard({ aggregation: 'perPixel' } as never), 'options.aggregation');
    assertLossInputError(() => losses.dice({ smooth: -1 }), 'options.smooth');
    assertLossInputError(() => losses.tversky({ alpha: -0.1 }), 'options.alpha');
    assertLossInputError(() => losses.focalTversky({ gamma: 0 }), 'options.gamma');
    assertLossInputError(() => losses.lovaszSoftmax({ classes: 'some' } as never), 'options.classes');
    assertLossInputError(() => losses.dice({ classWeight: [1, -1] }), 'options.classWeight');
    assertLossInputError(() => losses.dice({ ignoreIndex: 1.5 }), 'options.ignoreIndex');
    assertLossInputError(() => losses.lovaszHinge({ fromLogits: true } as never), 'options.fromLogits');
  });
  test('labels out of range or not integers', () => {
    const multi = losses.dice({ mode: 'multiclass' });
    assertLossInputError(() => multi(tf.fill([2, 3, 3], 3), probs), 'yTrue', /integer class indices in \[0, 2\]/);
    assertLossInputError(() => multi(tf.fill([2, 3, 3], 1.5), probs), 'yTrue');
    assertLossInputError(() => multi(tf.fill([2, 3, 3], -1), probs), 'yTrue');
    assertLossInputError(() => losses.dice({ mode: 'multiclass', ignoreIndex: 255 })(tf.fill([2, 3, 3], 254), probs), 'yTrue', /ignoreIndex 255/);
    assertLossInputError(() => losses.lovaszSoftmax()(tf.fill([2, 3, 3], 7), probs), 'yTrue');
    assertLossInputError(() => losses.dice()(tf.fill([2, 3, 3, 3], 2), probs), 'yTrue', /labels in \[0, 1\]/);
    assertLossInputError(() => losses.lovaszHinge()(tf.fill([2, 3, 3, 3], 0.5), probs), 'yTrue', /exactly 0 or 1/);
    assertLossInputError(() => losses.lovaszSoftmax()(tf.fill([2, 3, 3, 3], 0.5), probs), 'yTrue', /exactly 0 or 1/);
  });
  test('shape mismatches', () => {
    assertLossInputError(() => losses.dice()(tf.zeros([2, 3, 3]), probs), 'yTrue', /shape \[2,3,3,3\]/);
    assertLossInputError(() => losses.dice({ mode: 'multilabel' })(labels, probs), 'yTrue');
    assertLossInputError(() => losses.dice({ mode: 'multiclass' })(tf.zeros([2, 3, 4]), probs), 'yTrue', /label map of shape \[2,3,3\]/);
    assertLossInputError(() => losses.lovaszSoftmax()(tf.zeros([2, 3]), probs), 'yTrue');
    assertLossInputError(() => losses.lovaszHinge()(tf.zeros([2, 3, 3]), tf.zeros([2, 3, 4])), 'yTrue');
    assertLossInputError(() => losses.dice()(tf.zeros([4]), tf.zeros([4])), 'yPred', /rank ≥ 2/);
    assertLossInputError(() => losses.dice({ mode: 'multiclass' })(tf.zeros([2, 3, 3]), tf.fill([2, 3, 3, 1], 0.5)), 'yPred', /at least 2 classes/);
  });
  test('options that do not fit the inputs or the mode', () => {
    assertLossInputError(() => losses.dice({ mode: 'multiclass', axis: 4 })(labels, probs), 'options.axis');
    assertLossInputError(() => losses.dice({ mode: 'multiclass', axis: 0 })(labels, probs), 'options.axis');
    assertLossInputError(() => losses.dice({ mode: 'multiclass', classWeight: [1, 2] })(labels, probs), 'options.classWeight', /one weight per class \(3/);
    assertLossInputError(() => losses.dice({ mode: 'multiclass', classWeight: [0, 0, 0] })(labels, probs), 'options.classWeight', /at least one positive/);
    assertLossInputError(() => losses.dice({ classWeight: [1] })(tf.zeros([2, 3, 3, 1]), tf.zeros([2, 3, 3, 1])), 'options.classWeight', /mode 'binary'/);
    assertLossInputError(() => losses.dice({ ignoreIndex: 255 })(tf.zeros([2, 3, 3, 1]), tf.zeros([2, 3, 3, 1])), 'options.ignoreIndex');
    assertLossInputError(() => losses.jaccard({ mode: 'multiclass', ignoreIndex: 255 })(oneHot(labels, 3), probs), 'options.ignoreIndex', /label map/);
    assertLossInputError(() => losses.tversky({ mode: 'multilabel', ignoreIndex: 0 })(tf.zeros([2, 3, 3, 3]), probs), 'options.ignoreIndex');
  });
  test('a rejected call leaves no tensors behind', () => {
    const outOfRange = tf.fill([2, 3, 3], 3);
    const before = tf.memory().numTensors;
    assertLossInputError(() => losses.lovaszSoftmax()(outOfRange, probs), 'yTrue');
    assertLossInputError(() => losses.dice({ mode: 'multiclass', classWeight: [1, 2] })(labels, probs), 'options.classWeight');
    assert.equal(tf.memory().numTensors, before);
    outOfRange.dispose();
  });
  test('probabilities outside [0, 1] without fromLogits, non-finite logits', () => {
    assertLossInputError(() => losses.dice()(tf.zeros([2, 3, 3, 1]), tf.fill([2, 3, 3, 1], 1.5)), 'yPred', /fromLogits/);
    assertLossInputError(() => losses.lovaszSoftmax()(labels, tf.fill([2, 3, 3, 3], -0.5)), 'yPred');
    assertLossInputError(() => losses.dice({ fromLogits: true })(tf.zeros([2, 2, 1]), tf.tensor3d([[[NaN], [0]], [[0], [0]]])), 'yPred');
    assertLossInputError(() => losses.lovaszHinge()(tf.zeros([1, 2]), tf.tensor2d([[Infinity, 0]])), 'yPred');
  });
});

// ───────────────────────────── memory ─────────────────────────────

describe('no leaks', () => {
  const labels = labelMap([2, 3, 3], 3, 50);
  const logits = uniform([2, 3, 3, 3], -2, 2, 51);
  const mask = masks([2, 3, 3, 1], 52);
  const binaryLogits = uniform([2, 3, 3, 1], -2, 2, 53);
  const cases: [string, Loss, tf.Tensor, tf.Tensor][] = [
    ...OVERLAP.map((n): [string, Loss, tf.Tensor, tf.Tensor] => [n, make(n, { mode: 'multiclass', fromLogits: true, ignoreIndex: 2, classWeight: [1, 2, 3] }), labels, logits]),
    ...OVERLAP.map((n): [string, Loss, tf.Tensor, tf.Tensor] => [`${n} binary perBatch`, make(n, { fromLogits: true, aggregation: 'perBatch' }), mask, binaryLogits]),
    ['lovaszHinge', losses.lovaszHinge(), mask, binaryLogits],
    ['lovaszSoftmax', losses.lovaszSoftmax({ fromLogits: true, ignoreIndex: 1, aggregation: 'perBatch' }), labels, logits],
  ];
  for (const [what, loss, yTrue, yPred] of cases) {
    test(what, () => {
      assertNoLeak(() => loss(yTrue, yPred, { sampleWeight: [1, 2] }), `${what} call`);
      assertNoLeak(() => tf.grad((p: tf.Tensor) => loss(yTrue, p) as tf.Scalar)(yPred), `${what} gradient`);
    });
  }
});
