import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repeatedKFold, validationHoldout, VALIDATION_FOLDS } from '../src/folds.js';

test('validationHoldout: a stratified fifth of the training fold, disjoint from the rest and from the test fold', () => {
  const labels = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 25% positives
  const [fold] = repeatedKFold(200, 5, 1, 3, labels);
  const split = validationHoldout(fold!.train, 9, labels)!;
  assert.equal(split.fit.length + split.validation.length, fold!.train.length);
  assert.deepEqual([...split.fit, ...split.validation].sort((a, b) => a - b), fold!.train);
  assert.ok(split.validation.every((r) => !fold!.test.includes(r)), 'never a test row');
  assert.equal(split.validation.length, fold!.train.length / VALIDATION_FOLDS);
  const positives = split.validation.filter((r) => labels[r] === 1).length;
  assert.equal(positives, 8, '25% of the 32 validation rows, as in the training fold');
  assert.deepEqual(validationHoldout(fold!.train, 9, labels), split, 'seeded');
  assert.notDeepEqual(validationHoldout(fold!.train, 10, labels)!.validation, split.validation);
});

test('validationHoldout: too small a fold is not split', () => {
  assert.equal(validationHoldout([0, 1, 2, 3, 4, 5, 6, 7, 8], 1), null);
  assert.equal(validationHoldout(Array.from({ length: 10 }, (_, i) => i), 1)!.validation.length, 2);
});
