/**
 * The `labels` and `region` layouts (src/core/layouts.ts, loss.ts) as a user's own loss sees them: what
 * `compute` receives, and the checks it no longer writes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError } from '../helpers/assert.js';
import { defineLoss, option, type BaseLossOptions } from '../../src/index.js';

await useBackend('cpu');

describe('labels layout', () => {
  const seen: number[][] = [];
  const centerDistance = defineLoss({
    name: 'layoutsTestCenterDistance',
    layout: 'labels',
    options: { scale: option.number(1) },
    compute: (labels, yPred, { scale }) => {
      seen.push([...labels.shape]);
      // Distance of each embedding to the mean of its class (labels arrive as [B]).
      const same = tf.cast(tf.equal(tf.expandDims(labels, 1), tf.expandDims(labels, 0)), 'float32');
      const centers = tf.div(tf.matMul(same, yPred), tf.sum(same, 1, true));
      return tf.mul(scale, tf.sum(tf.square(tf.sub(yPred, centers)), 1));
    },
  });

  test('compute receives [B] labels from [B], [B, 1] and [B, k] labels', () => {
    const e = tf.tensor2d([[0, 0], [2, 0], [5, 5]]);
    for (const labels of [[0, 0, 1], [[0], [0], [1]], [[0, 0], [0, 0], [1, 1]]]) {
      assertClose(centerDistance({ reduction: 'none' })(labels, e), [1, 1, 0]);
    }
    assert.deepEqual(seen, [[3], [3], [3]]);
    // One example without its batch axis: labels [] and an embedding [D].
    assertClose(centerDistance()(3, [1, 2]), 0);
  });

  test('the wrapper checks label shapes, integer labels, equal columns and the embedding rank', () => {
    const loss = centerDistance();
    assertLossInputError(() => loss([0, 1], tf.zeros([3, 2])), 'yTrue', /\[3\] or \[3,k\]/);
    assertLossInputError(() => loss([0, 1.5, 2], tf.zeros([3, 2])), 'yTrue', /integer class labels/);
    assertLossInputError(() => loss([[0, 1], [1, 1], [2, 2]], tf.zeros([3, 2])), 'yTrue', /same label in every column/);
    assertLossInputError(() => loss([0, 1, 2], tf.zeros([3, 2, 1])), 'yPred', /rank 2/);
    assertLossInputError(() => loss([0, 1, 2], tf.zeros([3, 0])), 'yPred', /dim ≥ 1/);
  });
});

describe('region layout', () => {
  const received: { yTrue: number[]; yPred: number[]; where?: number[] }[] = [];
  interface OverlapErrorOptions extends BaseLossOptions {
    mode?: 'binary' | 'multiclass' | 'multilabel';
    axis?: number;
    ignoreIndex?: number;
    classWeight?: number[];
  }
  const overlapError = defineLoss<OverlapErrorOptions, 'ignoreIndex' | 'classWeight'>({
    name: 'layoutsTestOverlapError',
    layout: 'region',
    options: {
      mode: option.oneOf(['binary', 'multiclass', 'multilabel'] as const, 'multiclass'),
      axis: option.axis(-1),
      ignoreIndex: option.optionalInteger(),
      classWeight: option.optionalNumberArray({ min: 0 }),
    },
    values: { yPred: 'probability' },
    compute: (target, prob, _o, _call, { where }) => {
      received.push({ yTrue: [...target.shape], yPred: [...prob.shape], where: where && [...where.shape] });
      const keep = where ?? tf.onesLike(prob);
      // Σ |p − y| over the kept entries, per image.
      return tf.sum(tf.mul(tf.abs(tf.sub(prob, target)), keep), [1, 2]);
    },
  });

  test('compute receives [B, S, C] one-hot targets, with ignored pixels in context.where', () => {
    const labels = tf.tensor3d([[[0, 1], [2, 255]]], [1, 2, 2]);
    const probs = tf.fill([1, 2, 2, 3], 1 / 3);
    const value = overlapError({ ignoreIndex: 255 })(labels, probs);
    assert.deepEqual(received.at(-1), { yTrue: [1, 4, 3], yPred: [1, 4, 3], where: [1, 4, 1] });
    assertClose(value, 3 * (2 / 3 + 1 / 3 + 1 / 3), { rtol: 1e-6 }); // 3 kept pixels × (|1 − ⅓| + ⅓ + ⅓)
    // Channels first: axis 1 is moved last.
    overlapError({ axis: 1 })(tf.tensor3d([[[0, 1], [2, 0]]]), tf.fill([1, 3, 2, 2], 1 / 3));
    assert.deepEqual(received.at(-1), { yTrue: [1, 4, 3], yPred: [1, 4, 3], where: undefined });
    // Binary: every non-batch axis is spatial, C = 1.
    overlapError({ mode: 'binary' })(tf.zeros([2, 3, 5]), tf.zeros([2, 3, 5]));
    assert.deepEqual(received.at(-1), { yTrue: [2, 15, 1], yPred: [2, 15, 1], where: undefined });
  });

  test('the wrapper checks modes, class axis, class weights and label maps', () => {
    const probs = tf.fill([2, 3, 3, 3], 1 / 3);
    assertLossInputError(() => overlapError()(tf.fill([2, 3, 3], 3), probs), 'yTrue', /class indices in \[0, 2\]/);
    assertLossInputError(() => overlapError()(tf.zeros([2, 3, 4]), probs), 'yTrue', /label map of shape \[2,3,3\]/);
    assertLossInputError(() => overlapError({ mode: 'multilabel' })(tf.zeros([2, 3, 3]), probs), 'yTrue', /shape \[2,3,3,3\]/);
    assertLossInputError(() => overlapError({ classWeight: [1, 1] })(tf.zeros([2, 3, 3]), probs), 'options.classWeight', /one weight per class \(3/);
    assertLossInputError(() => overlapError({ classWeight: [0, 0, 0] })(tf.zeros([2, 3, 3]), probs), 'options.classWeight', /positive/);
    assertLossInputError(() => overlapError({ axis: 0 })(tf.zeros([3, 3, 3]), probs), 'options.axis', /batch axis/);
    assertLossInputError(() => overlapError({ mode: 'binary', ignoreIndex: 0 })(tf.zeros([2, 3]), tf.zeros([2, 3])), 'options.ignoreIndex', /mode 'binary'/);
    assertLossInputError(() => overlapError({ ignoreIndex: 0 })(tf.zeros([2, 3, 3, 3]), probs), 'options.ignoreIndex', /label map/);
    assertLossInputError(() => overlapError()(tf.zeros([2, 3, 3]), tf.fill([2, 3, 3, 1], 0.5)), 'yPred', /at least 2 classes/);
    assertLossInputError(() => overlapError()(tf.zeros([2]), tf.zeros([2])), 'yPred', /rank ≥ 2/);
    assertLossInputError(() => overlapError()(tf.zeros([2, 3, 3]), tf.fill([2, 3, 3, 3], 2)), 'yPred', /probabilities/);
  });
});
