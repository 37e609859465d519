import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDataset, classCounts, inferTask, loadDataset, parseCsv } from '../src/data.js';
import { DataError, UsageError } from '../src/errors.js';
import { repeatedKFold } from '../src/folds.js';
import { fitPreprocessor } from '../src/preprocess.js';

const dir = mkdtempSync(join(tmpdir(), 'lossforge-data-'));
function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

test('built-in datasets load with their documented targets and tasks', () => {
  const bc = loadDataset('builtin:breast_cancer');
  assert.equal(bc.task, 'binary');
  assert.deepEqual(classCounts(bc), [212, 357]);
  assert.equal(bc.features.length, 30);
  const digits = loadDataset('builtin:digits');
  assert.equal(digits.task, 'multiclass');
  assert.equal(digits.classes.length, 10);
  assert.equal(digits.n, 1797);
  const iris = loadDataset('builtin:iris');
  assert.deepEqual(classCounts(iris), [50, 50, 50]);
  assert.deepEqual(classCounts(iris, [0, 1, 50, 149]), [2, 1, 1], 'counts over the given rows only');
  const penguins = loadDataset('builtin:penguins');
  assert.equal(penguins.target, 'species');
  assert.deepEqual(penguins.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.deepEqual(
    penguins.features.filter((f) => f.kind === 'categorical').map((f) => f.name),
    ['island', 'sex'],
  );
  assert.ok(penguins.missingCells > 0, 'penguins has NA cells');
  const mass = loadDataset('builtin:penguins', { target: 'body_mass_g' });
  assert.equal(mass.task, 'regression');
  assert.equal(mass.droppedRows, 2, 'two penguins have no body mass');
});

test('inferTask: text → classes, few integers → classes, otherwise regression', () => {
  assert.equal(inferTask(['a', 'b', 'a']), 'binary');
  assert.equal(inferTask(['x', 'y', 'z']), 'multiclass');
  assert.equal(inferTask(['0', '1', '2', '1']), 'multiclass');
  assert.equal(inferTask(['0.5', '1.5', '0.5']), 'binary');
  assert.equal(inferTask(Array.from({ length: 50 }, (_, i) => String(i))), 'regression');
  assert.equal(inferTask(['1.5', '2.25', '3.1']), 'regression');
});

test('a malformed CSV is a DataError naming the file and line', () => {
  const path = csv('ragged.csv', 'a,b,y\n1,2,0\n3,4\n5,6,1\n');
  assert.throws(() => loadDataset(path), (e: unknown) => e instanceof DataError && e.exitCode === 1 && e.message.includes(path) && /line 3/.test(e.message));
  const quote = csv('quote.csv', 'a,y\n"1,0\n2,1\n');
  assert.throws(() => loadDataset(quote), (e: unknown) => e instanceof DataError && /malformed CSV/.test(e.message));
  assert.throws(() => parseCsv('a,a\n1,2\n', 'dup.csv'), /duplicate column name 'a'/);
  assert.throws(() => parseCsv('', 'empty.csv'), /empty/);
});

test('an unknown target column is a UsageError listing the columns', () => {
  const path = csv('ok.csv', 'a,b,y\n1,2,0\n3,4,1\n');
  assert.throws(
    () => loadDataset(path, { target: 'label' }),
    (e: unknown) => e instanceof UsageError && e.exitCode === 2 && e.message.includes("no column 'label'") && e.message.includes('a, b, y'),
  );
});

test('a single-class target is a DataError naming the column', () => {
  const path = csv('single.csv', 'a,label\n1,yes\n2,yes\n3,NA\n');
  assert.throws(() => loadDataset(path), (e: unknown) => e instanceof DataError && /'label' has a single class \('yes'\)/.test(e.message));
});

test('task checks: regression needs numbers; binary needs two classes; unknown built-ins are rejected', () => {
  const path = csv('text.csv', 'a,y\n1,cat\n2,dog\n3,cow\n');
  assert.throws(() => loadDataset(path, { task: 'regression' }), (e: unknown) => e instanceof UsageError && /line 2/.test(e.message));
  assert.throws(() => loadDataset(path, { task: 'binary' }), /has 3 classes/);
  assert.throws(() => loadDataset('builtin:nope'), (e: unknown) => e instanceof UsageError && /builtin:iris/.test(e.message));
  assert.throws(() => loadDataset(join(dir, 'missing.csv')), (e: unknown) => e instanceof UsageError && /file not found/.test(e.message));
});

test('missing values: NA, NaN and empty cells are counted; rows without a target are dropped', () => {
  const path = csv('missing.csv', 'a,b,c,y\n1,NA,x,0\n2,NaN,,1\n,3,y,\n4,5,x,1\n6,7,y,0\n');
  const data = loadDataset(path);
  assert.equal(data.droppedRows, 1);
  assert.equal(data.n, 4);
  assert.equal(data.missingCells, 3);
  assert.equal(data.features[2]!.kind, 'categorical');
});

test('a mostly numeric column with a stray text cell is read as categorical, with a warning naming the line', () => {
  const rows = Array.from({ length: 20 }, (_, i) => `${i === 7 ? 'oops' : i},${i % 2}`).join('\n');
  const data = buildDataset(parseCsv(`a,y\n${rows}\n`, 'stray.csv'), 'y');
  assert.equal(data.features[0]!.kind, 'categorical');
  assert.match(data.warnings.join('\n'), /column 'a' .* line 9 holds 'oops'/);
});

test('stratified folds partition the rows and keep class proportions; the seed fixes them', () => {
  const labels = Array.from({ length: 103 }, (_, i) => (i < 30 ? 1 : 0));
  const folds = repeatedKFold(labels.length, 5, 2, 7, labels);
  assert.equal(folds.length, 10);
  for (const r of [0, 1]) {
    const tests = folds.filter((f) => f.repeat === r).flatMap((f) => f.test).sort((a, b) => a - b);
    assert.deepEqual(tests, labels.map((_, i) => i), 'every row is tested exactly once per repeat');
  }
  for (const f of folds) {
    const positives = f.test.filter((i) => labels[i] === 1).length;
    assert.ok(positives === 6, `fold has ${positives} of 30 positives, expected 6`);
    assert.ok(f.test.length === 20 || f.test.length === 21);
    assert.equal(new Set([...f.train, ...f.test]).size, labels.length);
  }
  assert.deepEqual(repeatedKFold(103, 5, 2, 7, labels), folds);
  assert.notDeepEqual(repeatedKFold(103, 5, 2, 8, labels)[0]!.test, folds[0]!.test);
  assert.notDeepEqual(folds[0]!.test, folds[5]!.test, 'repeats reshuffle');
  assert.throws(() => repeatedKFold(3, 5, 1, 1), /5 folds need at least 5 rows/);
  assert.throws(() => repeatedKFold(10, 1, 1, 1), /--folds/);
});

test('preprocessing is fitted on the training fold only (no leakage)', () => {
  const text = 'x,c,y\n1,a,0\n2,b,1\n3,a,0\nNA,a,1\n1000,z,0\n';
  const data = buildDataset(parseCsv(text, 'leak.csv'), 'y');
  const train = [0, 1, 2, 3];
  const pre = fitPreprocessor(data, train);
  assert.deepEqual(pre.featureNames, ['x', 'c=a', 'c=b']);
  // training x after median imputation: 1, 2, 3, 2 → mean 2, population std √0.5
  const m = pre.transform([0, 3, 4]);
  const s = Math.sqrt(0.5);
  assert.ok(Math.abs(m[0]! - (1 - 2) / s) < 1e-6);
  assert.ok(Math.abs(m[3]! - 0) < 1e-6, 'NA imputed with the training median 2');
  assert.ok(Math.abs(m[6]! - (1000 - 2) / s) < 1e-3, 'the test value does not move the scaling');
  assert.deepEqual([m[7], m[8]], [0, 0], "level 'z' unseen in training encodes as zeros");
  assert.equal(pre.missingIn([3, 4]), 1);
});
