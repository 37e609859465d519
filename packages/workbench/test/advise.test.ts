import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose, duplicates, iqrOutlierShare, recommend } from '../src/advise.js';
import { resolveCandidate } from '../src/candidates.js';
import { buildDataset, parseCsv } from '../src/data.js';
import { loadDataset } from '../src/dataFiles.js';
import { makeRng, normal } from '../src/random.js';

function dataset(header: string, rows: string[], target = 'y') {
  return buildDataset(parseCsv(`${header}\n${rows.join('\n')}\n`, 'test.csv'), target);
}

test('iqrOutlierShare counts values beyond 1.5 IQR of the quartiles', () => {
  // 1..20: Q1 = 5.75, Q3 = 15.25, fences −8.5 and 29.5: 100 and −50 are out
  const values = [...Array.from({ length: 20 }, (_, i) => i + 1), 100, -50];
  const sorted = [...values].sort((a, b) => a - b);
  assert.ok(sorted.length === 22);
  assert.equal(iqrOutlierShare(values), 2 / 22);
  assert.equal(iqrOutlierShare([1, 2, 3, 4, 5]), 0);
});

test('duplicates finds identical feature rows and the ones with conflicting labels', () => {
  const d = dataset('a,b,y', ['1,x,0', '1,x,1', '1,x,1', '2,x,0', '2,x,0', '3,y,1']);
  assert.deepEqual(duplicates(d), { duplicateRows: 3, conflictingRows: 3 });
});

test('regression with outliers: huber/logCosh ranked before MSE, with the outlier share in the reason', () => {
  const rng = makeRng(3);
  const rows = Array.from({ length: 200 }, (_, i) => {
    const x = normal(rng);
    const noise = i % 10 === 0 ? 40 * normal(rng) + 30 : normal(rng);
    return `${x.toFixed(4)},${(2 * x + noise).toFixed(4)}`;
  });
  const d = diagnose(dataset('x,y', rows));
  assert.equal(d.task, 'regression');
  assert.ok(d.regression!.outlierShare > 0.04, `outliers ${d.regression!.outlierShare}`);
  const recs = recommend(d);
  assert.deepEqual(recs.slice(0, 2).map((r) => r.label), ['huber', 'logCosh']);
  assert.match(recs[0]!.reason, /% of targets are outliers \(IQR rule\) → huber or logCosh before meanSquaredError/);
  const mse = recs.findIndex((r) => r.label === 'meanSquaredError');
  assert.ok(mse > 1);
});

test('clean regression: MSE first; skewed positive targets suggest MSLE', () => {
  const mass = recommend(diagnose(loadDataset('builtin:penguins', { target: 'body_mass_g' })));
  assert.equal(mass[0]!.label, 'meanSquaredError');
  assert.ok(!mass.some((r) => r.label === 'poisson'), 'grams are not counts');
  const rng = makeRng(4);
  const skewed = Array.from({ length: 300 }, () => `${normal(rng).toFixed(3)},${Math.exp(1.2 * normal(rng)).toFixed(4)}`);
  const recs = recommend(diagnose(dataset('x,y', skewed)));
  assert.ok(recs.some((r) => r.label === 'meanSquaredLogarithmicError'), recs.map((r) => r.label).join());
});

test('imbalanced binary data: posWeight balancing and focal loss first, naming the minority share', () => {
  const rows = Array.from({ length: 100 }, (_, i) => `${i % 50},${i % 10 === 0 ? 1 : 0}`);
  const d = diagnose(dataset('x,y', rows));
  assert.equal(d.imbalanceRatio, 9);
  const recs = recommend(d);
  assert.equal(recs[0]!.label, 'binaryCrossentropy(posWeight=balanced)');
  assert.equal(recs[1]!.label, 'binaryFocalCrossentropy');
  assert.match(recs[0]!.reason, /minority class '1' is 10\.0% of rows/);
});

test('conflicting duplicates suggest noise-robust losses; every recommendation is a valid candidate', () => {
  const rows = Array.from({ length: 60 }, (_, i) => `${i % 20},${i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : 'c'}`);
  const d = diagnose(dataset('x,y', rows));
  assert.ok(d.conflictingRows > 0);
  const recs = recommend(d);
  assert.equal(recs[0]!.label, 'generalizedCrossentropy');
  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    const data = task === 'binary' ? loadDataset('builtin:breast_cancer') : task === 'multiclass' ? loadDataset('builtin:digits') : loadDataset('builtin:penguins', { target: 'body_mass_g' });
    for (const r of recommend(diagnose(data))) assert.doesNotThrow(() => resolveCandidate(r.loss, task, data.classes.length), r.label);
  }
  for (const r of recs) assert.doesNotThrow(() => resolveCandidate(r.loss, 'multiclass', 3), r.label);
});

test('the adaptive robust loss (heavy tails) and generalized Dice (rare classes) are suggested exactly when registered', async () => {
  const { WHEN_REGISTERED } = await import('../src/advise.js');
  const { losses } = await import('lossforge');
  const rng = makeRng(3);
  const tails = Array.from({ length: 200 }, (_, i) => `${normal(rng).toFixed(4)},${(i % 10 === 0 ? 40 * normal(rng) : normal(rng)).toFixed(4)}`);
  const heavy = recommend(diagnose(dataset('x,y', tails))).map((r) => r.label);
  assert.equal(heavy.includes(WHEN_REGISTERED.adaptiveRobust), losses.describe(WHEN_REGISTERED.adaptiveRobust) !== undefined, heavy.join());
  const rare = Array.from({ length: 120 }, (_, i) => `${i % 40},${i % 20 === 0 ? 'rare' : i % 2 ? 'a' : 'b'}`);
  const multiclass = recommend(diagnose(dataset('x,y', rare))).map((r) => r.label);
  assert.equal(multiclass.includes(WHEN_REGISTERED.generalizedDice), losses.describe(WHEN_REGISTERED.generalizedDice) !== undefined, multiclass.join());
  assert.ok(multiclass.includes('categoricalCrossentropy(classWeight=balanced)'), 'the imbalance branch ran');
});
