import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concreteConfig, parseLossList, resolveCandidate, resolveCandidates, defaultCandidates } from '../src/candidates.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldsWarning, MAX_EPOCHS, parseModel, rankAndTest, type CompareResult, type CompareSettings } from '../src/compare.js';
import { runCompare } from '../src/node.js';
import { loadDataset } from '../src/dataFiles.js';
import { TrainingError, UsageError } from '../src/errors.js';
import { PATIENCE } from '../src/train.js';
import { repeatedKFold } from '../src/folds.js';
import { formatCompare } from '../src/format.js';
import { useBackend } from '../../lossforge/test/helpers/backends.js';

await useBackend('cpu');

/** A result without its timings (which differ from run to run). */
const stable = (r: CompareResult) => r.losses.map(({ seconds: _seconds, ...rest }) => rest);

const tiny: CompareSettings = {
  data: 'builtin:iris',
  task: 'auto',
  folds: 2,
  repeats: 1,
  epochs: 2,
  batchSize: 32,
  hidden: [4],
  learningRate: 0.05,
  seed: 5,
  alpha: 0.05,
  workers: 1,
};

test('the same seed gives the same table; another seed gives another', async () => {
  const a = await runCompare({ ...tiny, losses: ['categoricalCrossentropy', 'categoricalHinge'] });
  const b = await runCompare({ ...tiny, losses: ['categoricalCrossentropy', 'categoricalHinge'] });
  assert.deepEqual(stable(a), stable(b));
  assert.equal(formatCompare(a).split('\n').slice(0, -1).join('\n'), formatCompare(b).split('\n').slice(0, -1).join('\n'));
  const c = await runCompare({ ...tiny, seed: 6, losses: ['categoricalCrossentropy', 'categoricalHinge'] });
  assert.notDeepEqual(
    c.losses.map((l) => l.metrics['logLoss']!.values),
    a.losses.map((l) => l.metrics['logLoss']!.values),
  );
});

test('worker threads (piscina) give the same results as the main thread', async () => {
  const settings = { ...tiny, losses: ['categoricalCrossentropy', 'polyCrossentropy'] };
  const local = await runCompare(settings);
  const pooled = await runCompare({ ...settings, workers: 2 });
  assert.deepEqual(stable(pooled), stable(local));
  assert.equal(pooled.timing.workers, 2);
});

test('compare ranks, summarizes and tests the default multiclass losses', async () => {
  const r = await runCompare(tiny);
  assert.deepEqual(r.losses.map((l) => l.rank), [1, 2, 3, 4, 5]);
  assert.equal(r.losses.length, defaultCandidates('multiclass').length);
  assert.equal(r.settings.metric, 'balancedAccuracy');
  const means = r.losses.map((l) => l.metrics['balancedAccuracy']!.mean);
  assert.deepEqual([...means].sort((x, y) => y - x), means, 'ranked best first');
  assert.equal(r.losses[0]!.vsBest, null);
  for (const l of r.losses.slice(1)) assert.ok(l.vsBest && l.vsBest.p >= 0 && l.vsBest.p <= 1);
  for (const l of r.losses) {
    assert.equal(l.metrics['accuracy']!.values.length, 2);
    assert.equal(l.curve.length, 2);
    assert.equal(l.confusion!.flat().reduce((a, b) => a + b, 0), 150, 'every row predicted once');
  }
  assert.equal(r.splits.length, 10);
});

test('regression compare on penguins: categoricals, missing values and target scaling', async () => {
  const r = await runCompare({ ...tiny, data: 'builtin:penguins', target: 'body_mass_g', losses: ['mse', 'huber'], epochs: 3 });
  assert.equal(r.dataset.task, 'regression');
  assert.equal(r.settings.metric, 'rmse');
  assert.ok(r.dataset.missingCells > 0);
  for (const l of r.losses) {
    assert.deepEqual(Object.keys(l.metrics), ['rmse', 'mae', 'mape', 'r2']);
    assert.ok(l.residuals!.length > 300);
    // predictions are mapped back to grams: residual scale is that of the target (std ≈ 800 g)
    assert.ok(l.metrics['rmse']!.mean > 50 && l.metrics['rmse']!.mean < 5000, `rmse ${l.metrics['rmse']!.mean}`);
  }
});

test('rankAndTest: NaN (diverged) ranks last and significance is Holm-adjusted', () => {
  const mk = (label: string, values: number[]) => ({
    label, lossName: label, config: { name: label }, head: 'logits' as const, activation: 'linear' as const,
    metrics: { accuracy: { mean: values.reduce((a, b) => a + b, 0) / values.length, std: 0, values } },
    diverged: 0, epochs: { mean: 1, min: 1, max: 1, values: [1, 1, 1, 1] }, stillImproving: 0, seconds: 0, curve: [],
  });
  const ranked = rankAndTest(
    [mk('nan', [NaN, NaN, NaN, NaN]), mk('good', [0.9, 0.92, 0.91, 0.93]), mk('bad', [0.5, 0.52, 0.49, 0.51])],
    'accuracy', 0.25, 0.05,
  );
  assert.deepEqual(ranked.map((r) => r.label), ['good', 'bad', 'nan']);
  assert.ok(ranked[1]!.vsBest!.significant);
  assert.ok(ranked[1]!.vsBest!.pHolm >= ranked[1]!.vsBest!.p);
});

test('candidates: output heads and target encodings per loss', () => {
  const bce = resolveCandidate('binaryCrossentropy', 'binary', 2);
  assert.deepEqual([bce.head, bce.activation, bce.encoding, bce.config['fromLogits']], ['logits', 'linear', 'binary01', true]);
  const probs = resolveCandidate({ name: 'binaryCrossentropy', fromLogits: false }, 'binary', 2);
  assert.deepEqual([probs.head, probs.activation], ['probability', 'sigmoid']);
  const hinge = resolveCandidate('hinge', 'binary', 2);
  assert.deepEqual([hinge.head, hinge.activation, hinge.encoding], ['margin', 'linear', 'signed']);
  const sparse = resolveCandidate('sparseCategoricalCrossentropy', 'multiclass', 3);
  assert.deepEqual([sparse.units, sparse.encoding], [3, 'sparse']);
  const poisson = resolveCandidate('poisson', 'regression', 0);
  assert.equal(poisson.config['logInput'], true);
  const labelled = resolveCandidates([{ name: 'huber', delta: 2 }, 'huber', 'huber'], 'regression', 0).map((c) => c.label);
  assert.deepEqual(labelled, ['huber(delta=2)', 'huber', 'huber #2']);
});

test('compare resolves posWeight "balanced" from each training fold (n_neg / n_pos)', async () => {
  const r = await runCompare({ ...tiny, data: 'builtin:breast_cancer', losses: [{ name: 'binaryCrossentropy', posWeight: 'balanced' }] });
  const data = loadDataset('builtin:breast_cancer');
  const folds = repeatedKFold(data.n, 2, 1, tiny.seed, data.y);
  for (const split of r.splits) {
    const train = folds.find((f) => f.fold === split.fold)!.train;
    const pos = train.filter((i) => data.y[i] === 1).length;
    assert.equal(split.lossConfig['posWeight'], (train.length - pos) / pos);
    assert.equal(split.lossConfig['fromLogits'], true);
  }
});

test('candidates: posWeight / classWeight "balanced" come from the training fold counts', () => {
  const c = resolveCandidate({ name: 'binaryCrossentropy', posWeight: 'balanced' }, 'binary', 2);
  assert.equal(concreteConfig(c, [30, 10])['posWeight'], 3);
  const w = resolveCandidate({ name: 'categoricalCrossentropy', classWeight: 'balanced' }, 'multiclass', 3);
  assert.deepEqual(concreteConfig(w, [10, 20, 30])['classWeight'], [2, 1, 60 / 90]);
});

test('candidates: bad names, options and task mismatches are usage errors', () => {
  assert.throws(() => resolveCandidate('nosuchloss', 'binary', 2), (e: unknown) => e instanceof UsageError && /nosuchloss/.test(e.message));
  assert.throws(() => resolveCandidate({ name: 'huber', delta: -1 }, 'regression', 0), (e: unknown) => e instanceof UsageError && /delta/.test(e.message));
  assert.throws(() => resolveCandidate('hinge', 'multiclass', 3), /categoricalHinge/);
  assert.throws(() => resolveCandidate('binaryCrossentropy', 'regression', 0), /classification loss/);
  assert.throws(() => resolveCandidate({ name: 'huber', classWeight: 'balanced' }, 'regression', 0), /no classWeight/);
  assert.throws(() => parseLossList('[{"nope": 1}]'), /must be a loss name/);
  assert.throws(() => parseLossList('{bad json'), /invalid JSON/);
  assert.deepEqual(parseLossList('mse, mae'), ['mse', 'mae']);
  assert.deepEqual(parseLossList('{"name":"huber","delta":2}'), [{ name: 'huber', delta: 2 }]);
  assert.deepEqual(parseLossList('mse,{"name":"quantile","quantile":0.9},{"name":"a,b"}'), ['mse', { name: 'quantile', quantile: 0.9 }, { name: 'a,b' }]);
  assert.deepEqual(parseLossList('["mse",{"name":"huber"}]'), ['mse', { name: 'huber' }]);
});

test('parseModel reads mlp:SIZES and linear', () => {
  assert.deepEqual(parseModel('mlp:64,32'), [64, 32]);
  assert.deepEqual(parseModel('linear'), []);
  assert.throws(() => parseModel('cnn:3'), /--model/);
  assert.throws(() => parseModel('mlp:0'), /--model/);
});

test('without --epochs each training stops on its own: early stopping on a validation split, epochs recorded per split and per loss', async () => {
  const { epochs: _fixed, ...settings } = tiny;
  const r = await runCompare({ ...settings, losses: ['categoricalCrossentropy'] });
  assert.equal(r.settings.earlyStopping, true);
  assert.equal(r.settings.epochs, null);
  assert.equal(r.settings.maxEpochs, MAX_EPOCHS);
  const [loss] = r.losses;
  assert.equal(loss!.epochs.values.length, 2);
  assert.deepEqual(loss!.epochs.values, r.splits.map((s) => s.epochs));
  for (const s of r.splits) {
    assert.ok(s.epochs > PATIENCE && s.epochs < MAX_EPOCHS, `stopped on its own after ${s.epochs} epochs`);
    assert.equal(s.bestEpoch, s.epochs - PATIENCE, 'patience epochs without improvement after the best one');
    assert.equal(s.stillImproving, false);
  }
  assert.equal(loss!.stillImproving, 0);
  assert.ok(loss!.metrics['balancedAccuracy']!.mean > 0.85, `converged: ${loss!.metrics['balancedAccuracy']!.mean}`);
  assert.match(formatCompare(r), /early stopping \(patience 20, at most 300 epochs\)/);
});

test('a fixed --epochs budget: no early stopping, and trainings still improving at the end are counted and become a caveat', async () => {
  const r = await runCompare({ ...tiny, epochs: 3, losses: ['categoricalCrossentropy'] });
  assert.equal(r.settings.earlyStopping, false);
  assert.deepEqual(r.splits.map((s) => s.epochs), [3, 3]);
  assert.equal(r.losses[0]!.stillImproving, r.splits.filter((s) => s.stillImproving).length);
  assert.ok(r.losses[0]!.stillImproving > 0, 'three epochs at lr 0.05 do not converge');
  assert.ok(r.verdict.caveats.some((c) => /Not converged/.test(c)));
  assert.equal(r.verdict.best, r.losses[0]!.label);
});

test('unsuitable losses are usage errors before anything trains, naming the loss and why', async () => {
  const mass = { ...tiny, data: 'builtin:penguins', target: 'body_mass_g' };
  const cases: [CompareSettings, RegExp][] = [
    [{ ...mass, losses: ['ctc'] }, /ctc cannot be compared on a table: a sequence loss/],
    [{ ...mass, losses: ['marginRanking'] }, /marginRanking cannot be compared on a table: a ranking loss on pairs/],
    [{ ...mass, losses: ['cosineEmbedding'] }, /cosineEmbedding cannot be compared/],
    [{ ...mass, losses: ['tripletMargin'] }, /tripletMargin cannot be compared on a table: a metric-learning loss/],
    [{ ...mass, losses: ['mse', 'kld'] }, /kullbackLeiblerDivergence is a loss for labels or probabilities in \[0, 1\]; the task is regression/],
    [{ ...mass, losses: ['dice'] }, /dice is a loss for labels or probabilities/],
    [{ ...mass, losses: ['lovaszSoftmax'] }, /lovaszSoftmax is a loss for labels/],
    [{ ...tiny, data: 'builtin:breast_cancer', losses: ['lovaszSoftmax'] }, /lovaszSoftmax cannot train on target 'benign' \(binary, encoded as binary01\): lovaszSoftmax: yPred: expected at least 2 classes/],
  ];
  for (const [settings, message] of cases) {
    let trained = 0;
    await assert.rejects(
      runCompare(settings, { start: () => undefined, tick: () => trained++, stop: () => undefined }),
      (e: unknown) => e instanceof UsageError && message.test(e.message),
      String(settings.losses),
    );
    assert.equal(trained, 0, 'nothing trained');
  }
});

test('targets are checked against each loss\'s value rules at load: negative counts for poisson', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossforge-compare-'));
  const path = join(dir, 'negative.csv');
  writeFileSync(path, `x,y\n${Array.from({ length: 40 }, (_, i) => `${i % 7},${(i % 9) - 3}.5`).join('\n')}\n`);
  await assert.rejects(
    runCompare({ ...tiny, data: path, losses: ['poisson'] }),
    (e: unknown) => e instanceof UsageError && /poisson cannot train on target 'y' \(regression, encoded as positiveValue\): poisson: yTrue: expected finite non-negative values/.test(e.message),
  );
});

test('every candidate diverging is a TrainingError (exit 1) with the reason, not an all-n/a "best"', async () => {
  await assert.rejects(
    runCompare({ ...tiny, learningRate: 1e30, losses: ['categoricalCrossentropy', 'categoricalHinge'] }),
    (e: unknown) => e instanceof TrainingError && e.exitCode === 1 && /Every candidate failed: no loss has a finite balanced acc\..*diverged/.test(e.message),
  );
});

test('folds vs class counts: more folds than rows of a class is warned, naming ROC-AUC n/a', async () => {
  assert.equal(foldsWarning(5, ['0', '1'], [212, 357]), null);
  assert.match(foldsWarning(50, ['0', '1'], [543, 26])!, /^--folds 50: class '1' has only 26 rows, so some test folds hold none of it; ROC-AUC is undefined .* n\/a\. Use --folds 26 or fewer/);
  const r = await runCompare({ ...tiny, data: 'builtin:iris', folds: 51, losses: ['categoricalCrossentropy'], epochs: 1 });
  assert.ok(r.dataset.warnings.some((w) => /--folds 51: class '.+' has only 50 rows/.test(w)), r.dataset.warnings.join('; '));
});

test('gaussianNll as a regression candidate: a mean and a log-variance unit, scored on the mean', async () => {
  const gaussian = resolveCandidate('gaussianNll', 'regression', 0);
  assert.deepEqual([gaussian.units, gaussian.activation, gaussian.encoding, gaussian.config['logVariance']], [2, 'linear', 'value', true]);
  assert.throws(() => resolveCandidate({ name: 'gaussianNll', logVariance: false }, 'regression', 0), (e: unknown) => e instanceof UsageError && /needs logVariance: true/.test(e.message));
  assert.throws(() => resolveCandidate('GaussianNLLLoss', 'binary', 2), (e: unknown) => e instanceof UsageError && /a regression loss.*the task is binary/.test(e.message));
  for (const image of ['ssim', 'msSsim', 'totalVariation', 'psnr']) {
    assert.throws(() => resolveCandidate(image, 'regression', 0), (e: unknown) => e instanceof UsageError && /an image loss/.test(e.message), image);
  }
  const r = await runCompare({ ...tiny, data: 'builtin:penguins', target: 'body_mass_g', losses: ['mse', { name: 'gaussianNll', full: true }], epochs: 3 });
  const nll = r.losses.find((l) => l.lossName === 'gaussianNll')!;
  assert.equal(nll.label, 'gaussianNll(full=true)');
  // Predictions are the mean unit mapped back to grams (std ≈ 800 g), like mse's.
  assert.ok(nll.metrics['rmse']!.mean > 50 && nll.metrics['rmse']!.mean < 5000, `rmse ${nll.metrics['rmse']!.mean}`);
  assert.equal(nll.residuals!.length, r.losses.find((l) => l.lossName === 'meanSquaredError')!.residuals!.length);
});
