import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { defineLoss, losses, option } from '../../src/index.js';

await useBackend('cpu');

test('describe: a loss by name or alias gives its name, aliases with presets, and option specs', () => {
  const bce = losses.describe('BCEWithLogitsLoss');
  assert.ok(bce);
  assert.equal(bce.name, 'binaryCrossentropy');
  assert.deepEqual(bce.aliases.find((a) => a.alias === 'BCEWithLogitsLoss')?.options, { fromLogits: true });
  assert.deepEqual(bce.aliases.find((a) => a.alias === 'bce')?.options, {});
  assert.equal(bce.options['fromLogits']?.default, false);
  assert.equal(bce.options['reduction']?.default, 'mean');
  assert.match(bce.options['reduction']!.expected, /'weightedMean'/);
  assert.equal(losses.describe('binary_crossentropy'), bce, 'names match as losses.get matches them');
});

/** Options without which a loss cannot be made (they size its trainable state): the class-center matrix of arcFace and cosFace. */
const REQUIRED_OPTIONS: Record<string, Record<string, number>> = { arcFace: { numClasses: 2, embeddingDim: 2 }, cosFace: { numClasses: 2, embeddingDim: 2 } };

test('describe: every registered loss is described, and its alias presets build through losses.get', () => {
  for (const name of losses.list()) {
    const d = losses.describe(name);
    assert.equal(d?.name, name);
    for (const { alias, options } of d!.aliases) {
      assert.equal(losses.describe(alias)?.name, name, alias);
      for (const [k, v] of Object.entries(options)) assert.deepEqual(losses.get(alias).options[k as 'reduction'], v, `${alias}.${k}`);
    }
    const required = REQUIRED_OPTIONS[name] ?? {};
    const loss = losses.get({ name, ...required });
    for (const [k, spec] of Object.entries(d!.options)) {
      if (k in required) continue;
      assert.deepEqual(loss.options[k as 'reduction'], spec.default, `${name}.${k}: the default is what a loss gets`);
    }
    loss.dispose?.();
  }
});

test('describe: a user-defined loss is described like a built-in; unknown names give undefined', () => {
  const scaled = defineLoss({
    name: 'describedScaledAbs', aliases: ['dsa', { alias: 'dsa3', options: { scale: 3 } }], layout: 'elementwise',
    options: { scale: option.number(2, { min: 0 }) },
    compute: (yTrue, yPred, { scale }) => tf.mul(scale, tf.abs(tf.sub(yTrue, yPred))),
  });
  const d = losses.describe('dsa3');
  assert.deepEqual(d?.aliases, [{ alias: 'dsa', options: {} }, { alias: 'dsa3', options: { scale: 3 } }]);
  assert.deepEqual(Object.keys(d!.options), ['scale', 'reduction']);
  assert.equal(d!.options['scale']!.expected, 'a finite number in [0, ∞)');
  assert.equal(scaled.lossName, 'describedScaledAbs');
  assert.equal(losses.describe('noSuchLoss'), undefined);
});

test('describe: the description is read-only', () => {
  const d = losses.describe('huber')!;
  assert.throws(() => { (d.aliases as unknown as unknown[]).push({ alias: 'x', options: {} }); }, TypeError);
  assert.throws(() => { (d.options as Record<string, unknown>)['delta'] = undefined; }, TypeError);
  assert.equal(losses.describe('huber')!.options['delta']!.default, 1);
});
