import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LossInputError, option } from '../../src/index.js';
import { resolveOptions } from '../../src/core/options.js';

const specs = {
  delta: option.number(1, { min: 0, minExclusive: true }),
  axis: option.integer(-1),
  classAxis: option.axis(1),
  fromLogits: option.boolean(false),
  mode: option.oneOf(['binary', 'multiclass'], 'binary'),
  ignoreIndex: option.optionalInteger(),
  classWeight: option.optionalNumberArray({ min: 0 }),
  posWeight: option.optionalNumberOrArray({ min: 0 }),
};

test('defaults are filled in and the result is frozen', () => {
  const r = resolveOptions('demo', specs, { delta: 2 });
  assert.deepEqual({ ...r }, { delta: 2, axis: -1, classAxis: 1, fromLogits: false, mode: 'binary', ignoreIndex: undefined, classWeight: undefined, posWeight: undefined });
  assert.ok(Object.isFrozen(r));
});

test('arrays are copied so the caller cannot change a loss afterwards', () => {
  const weights = [1, 2];
  const r = resolveOptions('demo', specs, { classWeight: weights });
  weights[0] = 99;
  assert.deepEqual(r.classWeight, [1, 2]);
});

test('every rule rejects what it should, naming the option and the expectation', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ delta: 0 }, /demo: options\.delta: expected a finite number in \(0, ∞\), got 0/],
    [{ delta: Infinity }, /options\.delta/],
    [{ axis: 1.5 }, /options\.axis: expected an integer, got 1\.5/],
    [{ classAxis: -0.5 }, /options\.classAxis: expected an integer axis \(negative counts from the last\), got -0\.5/],
    [{ fromLogits: 1 }, /options\.fromLogits: expected true or false, got 1/],
    [{ mode: 'multilabel' }, /options\.mode: expected one of 'binary', 'multiclass', got "multilabel"/],
    [{ ignoreIndex: 0.5 }, /options\.ignoreIndex/],
    [{ classWeight: [] }, /options\.classWeight: expected a non-empty array/],
    [{ classWeight: [1, -1] }, /options\.classWeight/],
    [{ posWeight: 'a' }, /options\.posWeight/],
    [{ gamma: 2 }, /options\.gamma: expected one of the known options/],
  ];
  for (const [given, message] of bad) {
    assert.throws(() => resolveOptions('demo', specs, given), (e: unknown) => e instanceof LossInputError && message.test(e.message), JSON.stringify(given));
  }
  assert.throws(() => resolveOptions('demo', specs, 3 as never), /demo: options: expected an options object/);
});
