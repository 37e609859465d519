import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDataset, classCounts, inferTask, MAX_AUTO_CLASSES, parseCsv, readTask, sniffDelimiter } from '../src/data.js';
import { loadDataset } from '../src/dataFiles.js';
import { defaultCandidates } from '../src/candidates.js';
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
  const rows = Array.from({ length: 20 }, (_, i) => `${i === 7 ? 'oops' : i % 5},${i % 2}`).join('\n');
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

/** Target values with `frequency[v]` rows of each value v (as strings, like CSV cells). */
const sample = (frequency: number[]) => frequency.flatMap((count, v) => Array.from({ length: count }, () => String(v)));

test('readTask: count-like non-negative integers are counts, small or balanced label sets stay classes (both sides of each boundary)', () => {
  // Poisson(3) × 500, rounded: 10 values falling away to the right → counts.
  const poisson = readTask(sample([25, 75, 112, 112, 84, 50, 25, 11, 4, 2]));
  assert.deepEqual([poisson.task, poisson.counts], ['regression', true]);
  assert.match(poisson.reason, /fall away to the right/);
  // The same ten values balanced (the digits 0–9) → classes.
  const digits = readTask(sample(Array.from({ length: 10 }, () => 50)));
  assert.deepEqual([digits.task, digits.counts], ['multiclass', false]);
  // MIN_COUNT_VALUES: 6 values with a tail are counts, 5 are a small label set.
  assert.equal(readTask(sample([40, 60, 30, 12, 5, 2])).task, 'regression');
  assert.equal(readTask(sample([40, 60, 30, 12, 2])).task, 'multiclass');
  // COUNT_TAIL_RATIO: the largest value at 20% of the mode's frequency is a tail, at 30% it is not.
  assert.equal(readTask(sample([40, 100, 60, 40, 30, 20])).counts, true);
  assert.equal(readTask(sample([40, 100, 60, 40, 30, 30])).counts, false);
  // More than MAX_AUTO_CLASSES distinct non-negative integers from 0: counts.
  assert.deepEqual(readTask(sample(Array.from({ length: MAX_AUTO_CLASSES + 1 }, () => 3))), { ...readTask(sample(Array.from({ length: MAX_AUTO_CLASSES + 1 }, () => 3))), task: 'regression', counts: true });
  // Integer grams do not reach down to 0 or 1: regression, not counts.
  const grams = readTask(Array.from({ length: 50 }, (_, i) => String(3000 + 17 * i)));
  assert.deepEqual([grams.task, grams.counts], ['regression', false]);
  // Text and two values are classes; non-integers are regression.
  assert.equal(readTask(['a', 'b', 'c']).task, 'multiclass');
  assert.equal(readTask(['0', '5', '0']).task, 'binary');
  assert.equal(readTask(['0.5', '1', '2']).task, 'regression');
  assert.equal(inferTask(sample([25, 75, 112, 112, 84, 50, 25, 11, 4, 2])), 'regression');
});

test('a count target gets poisson among the default candidates; --task overrides the reading', () => {
  const rows = sample([25, 75, 112, 112, 84, 50, 25, 11, 4, 2]).map((y, i) => `${(i * 7) % 11},${y}`);
  const path = csv('counts.csv', `x,visits\n${rows.join('\n')}\n`);
  const counts = loadDataset(path);
  assert.equal(counts.task, 'regression');
  assert.equal(counts.counts, true);
  assert.match(counts.taskReason, /counts.*override with --task/);
  assert.ok(defaultCandidates(counts.task, { counts: counts.counts }).some((c) => typeof c === 'object' && c.name === 'poisson' && c.logInput === true));
  assert.ok(!defaultCandidates('regression').some((c) => typeof c === 'object' && c.name === 'poisson'));
  const classes = loadDataset(path, { task: 'multiclass' });
  assert.equal(classes.task, 'multiclass');
  assert.equal(classes.counts, false);
  assert.match(classes.taskReason, /^--task multiclass \(the target alone reads as regression/);
});

test('the delimiter is sniffed from the header (comma, semicolon, tab); a single column names the delimiters', () => {
  assert.equal(sniffDelimiter('a;b;"x,y";c\n1;2;3;4\n'), ';');
  assert.equal(sniffDelimiter('\uFEFFa\tb\tc\n'), '\t');
  assert.equal(sniffDelimiter('a,b;c,d\n'), ',');
  const semi = parseCsv('a;b;y\n1,5;2;0\n3;4;1\n', 'semi.csv');
  assert.deepEqual(semi.header, ['a', 'b', 'y']);
  assert.deepEqual(semi.rows[0], ['1,5', '2', '0']);
  assert.deepEqual(parseCsv('a\tb\n1\t2\n', 'tab.csv').rows, [['1', '2']]);
  assert.throws(() => parseCsv('a|b|y\n1|2|0\n', 'pipe.csv'), (e: unknown) => e instanceof DataError && /pipe\.csv: the header 'a\|b\|y' has a single column: expected columns separated by ',', ';' or a tab/.test(e.message));
});

test('id-like and free-text columns are left out and reported; --drop and --features choose by hand', () => {
  const rows = Array.from({ length: 120 }, (_, i) => `${1000 + i},row-${i},word${i % 60},${(i * 7) % 13},${i % 3},${i % 2}`);
  const path = csv('ids.csv', `id,key,note,x,level,y\n${rows.join('\n')}\n`);
  const data = loadDataset(path);
  assert.deepEqual(data.features.map((f) => f.name), ['x', 'level']);
  assert.deepEqual(data.droppedColumns.map((d) => d.name), ['id', 'key', 'note']);
  assert.match(data.droppedColumns[0]!.reason, /id-like: a different integer in each of its 120 rows/);
  assert.match(data.droppedColumns[1]!.reason, /id-like: a different text value/);
  assert.match(data.droppedColumns[2]!.reason, /high-cardinality text: 60 distinct values in 120 rows/);
  assert.ok(data.warnings.some((w) => /left out 'id'.*--features/.test(w)));
  const dropped = loadDataset(path, { drop: ['level'] });
  assert.deepEqual(dropped.features.map((f) => f.name), ['x']);
  assert.deepEqual(dropped.droppedColumns.find((d) => d.name === 'level'), { name: 'level', reason: 'left out by --drop' });
  const chosen = loadDataset(path, { features: ['id', 'x'] });
  assert.deepEqual(chosen.features.map((f) => f.name), ['id', 'x'], '--features keeps what it names, ids included');
  assert.throws(() => loadDataset(path, { drop: ['nope'] }), (e: unknown) => e instanceof UsageError && /--drop: .* has no column 'nope'/.test(e.message));
  assert.throws(() => loadDataset(path, { features: ['y'] }), (e: unknown) => e instanceof UsageError && /--features: 'y' is the target/.test(e.message));
  assert.throws(() => loadDataset(path, { features: ['id'], drop: ['id'] }), (e: unknown) => e instanceof DataError && /no feature columns.*left out: id: left out by --drop/.test(e.message));
  // Unique floats are measurements, not ids; a handful of unique integers is no evidence either.
  const floats = csv('floats.csv', `a,y\n${Array.from({ length: 30 }, (_, i) => `${i + 0.5},${i % 2}`).join('\n')}\n`);
  assert.equal(loadDataset(floats).features.length, 1);
  const few = csv('few.csv', 'a,b,y\n1,1,0\n2,1,1\n3,0,0\n4,0,1\n');
  assert.deepEqual(loadDataset(few).features.map((f) => f.name), ['a', 'b']);
});
