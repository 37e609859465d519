/**
 * The second round of segmentation losses (src/losses/segmentation.ts): generalizedDice, mcc, and the overlap
 * losses' ignoreBackground and classReduction. Golden values against MONAI / segmentation_models_pytorch
 * transcriptions live in test/fixtures/catalog-segmentation2.json (golden.test.ts, cpu and wasm); this file
 * checks gradients by finite differences, identities, bad inputs and leaks on both backends.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { seededLabels as labelMap, seededMask as masks, seededUniform as uniform } from '../helpers/random.js';
import { gradCheck, losses } from '../../src/index.js';

const scalar = (t: tf.Tensor) => t.dataSync()[0]!;

for (const backend of BACKENDS) {
  describe(`segmentation, second round, on ${backend}`, () => {
    test('gradCheck: generalizedDice, mcc, per-class and background-free overlap losses', async () => {
      await useBackend(backend);
      const labels = labelMap([2, 3, 3], 3, 1);
      const logits = uniform([2, 3, 3, 3], -2, 2, 2);
      const binary = masks([2, 3, 3, 1], 3);
      const probs = uniform([2, 3, 3, 1], 0.1, 0.9, 4);
      const cases: [string, Record<string, unknown>, tf.Tensor, tf.Tensor, Record<string, unknown>?][] = [
        ['generalizedDice', { mode: 'multiclass', fromLogits: true }, labels, logits],
        ['generalizedDice', { mode: 'multiclass', fromLogits: true, aggregation: 'perBatch', weightType: 'simple', ignoreBackground: true }, labels, logits],
        ['generalizedDice', {}, binary, probs],
        ['mcc', {}, binary, probs],
        ['mcc', { fromLogits: true, aggregation: 'perBatch' }, binary, tf.sub(tf.mul(probs, 4), 2)],
        ['mcc', { mode: 'multiclass', fromLogits: true, classReduction: 'none', classWeight: [1, 2, 3] }, labels, logits],
        ['dice', { mode: 'multiclass', fromLogits: true, ignoreBackground: true, classReduction: 'none' }, labels, logits],
        ['tversky', { mode: 'multiclass', fromLogits: true, ignoreBackground: true, alpha: 0.3, beta: 0.7 }, labels, logits],
        ['dice', { mode: 'multiclass', fromLogits: true }, labels, logits, { where: masks([2, 3, 3, 3], 5, 0.7) }],
      ];
      for (const [name, options, yTrue, yPred, call] of cases) {
        const loss = losses.fromConfig({ name, ...options, reduction: 'sum' } as never);
        const report = gradCheck(loss, yTrue, yPred, call as never);
        assert.ok(report.passed, `${name} ${JSON.stringify(options)}: ${JSON.stringify(report)}`);
      }
    });

    test('identities: per-class output averages to the class mean; ignoreBackground is the mean over classes 1…C−1', async () => {
      await useBackend(backend);
      const labels = labelMap([3, 4, 4], 4, 6);
      const logits = uniform([3, 4, 4, 4], -2, 2, 7);
      for (const name of ['dice', 'tversky', 'focalTversky', 'jaccard', 'mcc']) {
        const options = { mode: 'multiclass', fromLogits: true };
        const perClass = losses.fromConfig({ name, ...options, classReduction: 'none', reduction: 'none' } as never)(labels, logits);
        assert.deepEqual(perClass.shape, [3, 4]);
        const mean = losses.fromConfig({ name, ...options, reduction: 'none' } as never)(labels, logits);
        assertClose(tf.mean(perClass, 1), mean.dataSync(), { rtol: 1e-6 }, `${name} class mean`);
        const noBackground = losses.fromConfig({ name, ...options, ignoreBackground: true, reduction: 'none' } as never)(labels, logits);
        assertClose(tf.mean(tf.slice(perClass, [0, 1], [-1, -1]), 1), noBackground.dataSync(), { rtol: 1e-6 }, `${name} without background`);
        // classWeight with classReduction 'none' and weightedMean: the class-weighted mean of every image's classes.
        const classWeight = [0.5, 1, 2, 4];
        const weighted = losses.fromConfig({ name, ...options, classReduction: 'none', classWeight, reduction: 'weightedMean' } as never)(labels, logits);
        const classMean = losses.fromConfig({ name, ...options, classWeight, reduction: 'mean' } as never)(labels, logits);
        assertClose(weighted, scalar(classMean), { rtol: 1e-5 }, `${name} weighted`);
      }
    });

    test('generalizedDice: uniform weights and one class are plain Dice without smoothing; class weights follow 1/V²', async () => {
      await useBackend(backend);
      const y = masks([2, 4, 4, 1], 8);
      const p = uniform([2, 4, 4, 1], 0.05, 0.95, 9);
      assertClose(losses.generalizedDice({ smooth: 0 })(y, p), scalar(losses.dice({ smooth: 0 })(y, p)), { rtol: 1e-5 });
      const labels = labelMap([2, 4, 4], 3, 10);
      const logits = uniform([2, 4, 4, 3], -2, 2, 11);
      const gd = losses.generalizedDice({ mode: 'multiclass', fromLogits: true, weightType: 'uniform', smooth: 0 });
      // Uniform weights pool the classes: Σ(FP + FN) / Σ(2TP + FP + FN) over classes.
      const prob = tf.softmax(logits);
      const target = tf.oneHot(tf.cast(labels, 'int32'), 3);
      const tp = tf.sum(tf.mul(prob, target), [1, 2]);
      const sums = tf.add(tf.sum(prob, [1, 2]), tf.sum(target, [1, 2]));
      const expected = tf.mean(tf.sub(1, tf.div(tf.mul(2, tf.sum(tp, 1)), tf.sum(sums, 1))));
      assertClose(gd(labels, logits), scalar(expected), { rtol: 1e-5 });
      // A class absent from every image and never predicted costs nothing; a perfect prediction gives 0.
      const perfect = tf.mul(tf.oneHot(tf.cast(labels, 'int32'), 4), 1);
      assertClose(losses.generalizedDice({ mode: 'multiclass' })(labels, perfect), 0, { atol: 1e-6 });
    });

    test('mcc: 0 for a perfect mask, 1 for an uninformative one, 2 for the inverted mask', async () => {
      await useBackend(backend);
      const y = tf.tensor4d([[[[1], [0]], [[0], [1]]]]);
      const mcc = losses.mcc({ eps: 0 });
      assertClose(mcc(y, y), 0, { atol: 1e-6 });
      assertClose(mcc(y, tf.fill([1, 2, 2, 1], 0.5)), 1, { atol: 1e-6 });
      assertClose(mcc(y, tf.sub(1, y)), 2, { atol: 1e-6 });
      // Large images stay finite (two square roots of two products each).
      const big = masks([1, 512, 512, 1], 12, 0.5);
      assert.ok(Number.isFinite(scalar(losses.mcc()(big, uniform([1, 512, 512, 1], 0, 1, 13)))));
    });

    test('bad inputs: typed errors naming the argument', async () => {
      await useBackend(backend);
      const labels = labelMap([2, 3, 3], 3, 14);
      const probs = tf.softmax(uniform([2, 3, 3, 3], -1, 1, 15));
      assertLossInputError(() => losses.generalizedDice({ weightType: 'cube' } as never), 'options.weightType', /'square', 'simple', 'uniform'/);
      assertLossInputError(() => losses.generalizedDice({ smooth: -1 }), 'options.smooth');
      assertLossInputError(() => losses.generalizedDice({ classWeight: [1, 2] } as never), 'options.classWeight');
      assertLossInputError(() => losses.mcc({ eps: -1e-5 }), 'options.eps');
      assertLossInputError(() => losses.dice({ classReduction: 'sum' } as never), 'options.classReduction', /'mean', 'none'/);
      assertLossInputError(() => losses.dice({ ignoreBackground: 1 } as never), 'options.ignoreBackground');
      assertLossInputError(() => losses.dice({ ignoreBackground: true })(tf.zeros([2, 3, 3, 1]), tf.zeros([2, 3, 3, 1])), 'options.ignoreBackground', /mode 'binary'/);
      assertLossInputError(() => losses.mcc({ mode: 'multilabel', ignoreBackground: true })(tf.zeros([2, 3, 1]), tf.zeros([2, 3, 1])), 'yPred', /at least 2 classes/);
      assertLossInputError(() => losses.generalizedDice({ mode: 'multiclass' })(tf.fill([2, 3, 3], 3), probs), 'yTrue', /class indices in \[0, 2\]/);
      assertLossInputError(() => losses.generalizedDice({ mode: 'multiclass' })(labels, tf.mul(probs, 2)), 'yPred', /fromLogits/);
      assertLossInputError(() => losses.mcc({ mode: 'multiclass', classWeight: [1, 1] })(labels, probs), 'options.classWeight', /one weight per class \(3/);
      assertLossInputError(() => losses.mcc()(tf.fill([2, 3, 3, 1], 0.5), tf.fill([2, 3, 3, 2], 0.5)), 'yTrue', /shape \[2,3,3,2\]/);
      assertLossInputError(() => losses.generalizedDice({ mode: 'multiclass', axis: 0 })(labels, probs), 'options.axis', /batch axis/);
      const tooLarge = tf.mul(probs, 2);
      assertNoLeak(() => {
        try {
          losses.generalizedDice({ mode: 'multiclass' })(labels, tooLarge);
        } catch {
          // the rejection is the point; nothing may leak
        }
      });
    });

    test('no leaks, empty batch, config round trip', async () => {
      await useBackend(backend);
      const labels = labelMap([2, 3, 3], 3, 16);
      const logits = uniform([2, 3, 3, 3], -1, 1, 17);
      for (const loss of [
        losses.generalizedDice({ mode: 'multiclass', fromLogits: true }),
        losses.mcc({ mode: 'multiclass', fromLogits: true, classReduction: 'none' }),
        losses.dice({ mode: 'multiclass', fromLogits: true, ignoreBackground: true }),
      ]) {
        assertNoLeak(() => loss(labels, logits));
        assertNoLeak(() => tf.grad((p: tf.Tensor) => loss(labels, p))(logits));
        assertClose(loss(tf.zeros([0, 3, 3]), tf.zeros([0, 3, 3, 3])), 0);
        assertClose(losses.fromConfig(loss.getConfig())(labels, logits), scalar(loss(labels, logits)));
      }
    });
  });
}
