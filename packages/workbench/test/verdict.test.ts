import assert from 'node:assert/strict';
import { test } from 'node:test';
import { caveats, verdict, type VerdictInput, type VerdictLoss } from '../src/verdict.js';

/** A ranked loss: metric means, significance against the best, trainings' epochs. */
function loss(label: string, metrics: Record<string, number>, vsBest: VerdictLoss['vsBest'], extra: Partial<VerdictLoss> = {}): VerdictLoss {
  const [lossName, ...options] = label.split('+');
  return {
    label,
    lossName: lossName!,
    config: { name: lossName!, fromLogits: true, ...Object.fromEntries(options.map((o) => [o, 1])) },
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, mean]) => [k, { mean }])),
    vsBest,
    diverged: 0,
    stillImproving: 0,
    epochs: { values: Array.from({ length: 10 }, () => 50) },
    ...extra,
  };
}

const tied = { pHolm: 0.6, significant: false };
const worse = { pHolm: 0.01, significant: true };
const base: Omit<VerdictInput, 'losses'> = { task: 'binary', metric: 'balancedAccuracy', alpha: 0.05, splits: 10, testTrainRatio: 0.25, maxEpochs: 300, earlyStopping: true };

test('ranking by a threshold metric: the tied group, and the best calibrated of it is recommended', () => {
  const v = verdict({
    ...base,
    losses: [
      loss('binaryCrossentropy+posWeight', { balancedAccuracy: 0.97, logLoss: 0.09 }, null),
      loss('binaryCrossentropy', { balancedAccuracy: 0.96, logLoss: 0.07 }, tied),
      loss('hinge', { balancedAccuracy: 0.9, logLoss: 0.2 }, worse),
    ],
  });
  assert.equal(v.best, 'binaryCrossentropy+posWeight');
  assert.deepEqual(v.tied, ['binaryCrossentropy+posWeight', 'binaryCrossentropy']);
  assert.equal(v.recommended, 'binaryCrossentropy');
  assert.match(v.reason, /best calibrated .*log loss, 0\.07/);
  assert.match(v.text, /Statistically tied with it .*: binaryCrossentropy\./);
  assert.deepEqual(v.caveats, []);
});

test('regression or a proper score: the standard loss when tied, else the best', () => {
  const reg = { ...base, task: 'regression' as const, metric: 'rmse' };
  const standardTied = verdict({ ...reg, losses: [loss('huber', { rmse: 1 }, null), loss('meanSquaredError', { rmse: 1.1 }, tied)] });
  assert.equal(standardTied.recommended, 'meanSquaredError');
  assert.match(standardTied.reason, /standard loss for a regression task/);
  assert.match(standardTied.text, /all 2 are statistically tied/);
  const standardWorse = verdict({ ...reg, losses: [loss('huber', { rmse: 1 }, null), loss('meanSquaredError', { rmse: 2 }, worse)] });
  assert.equal(standardWorse.recommended, 'huber');
  assert.deepEqual(standardWorse.tied, ['huber']);
  assert.match(standardWorse.text, /Every other loss is significantly worse/);
  const optionsAreNotStandard = verdict({ ...reg, losses: [loss('huber', { rmse: 1 }, null), loss('meanSquaredError+weight', { rmse: 1.1 }, tied)] });
  assert.equal(optionsAreNotStandard.recommended, 'huber', 'MSE with extra options is not the plain standard loss');
});

test('caveats: few splits, unconverged trainings, divergence and n/a metrics', () => {
  const input: VerdictInput = {
    ...base,
    splits: 4,
    earlyStopping: false,
    maxEpochs: 20,
    losses: [
      loss('binaryCrossentropy', { balancedAccuracy: 0.9, rocAuc: NaN }, null, { stillImproving: 3, epochs: { values: [20, 20, 20, 20] } }),
      loss('hinge', { balancedAccuracy: NaN, rocAuc: NaN }, { pHolm: NaN, significant: false }, { diverged: 1, epochs: { values: [20, 20, 20, 20] } }),
    ],
  };
  const notes = caveats(input);
  assert.equal(notes.length, 4, notes.join('\n'));
  assert.match(notes[0]!, /Only 4 train\/test splits/);
  assert.match(notes[1]!, /Not converged: .*binaryCrossentropy \(3 of 4\) used all 20 epochs.*leave out --epochs/);
  assert.match(notes[2]!, /hinge diverged in 1 of 4 splits/);
  assert.match(notes[3]!, /ROC-AUC is n\/a for binaryCrossentropy/);
  const v = verdict(input);
  assert.deepEqual(v.tied, ['binaryCrossentropy'], 'a loss with no score is never tied with the best');
  assert.deepEqual(v.caveats, notes);
});

test('every candidate failed: no best, a message naming the failures', () => {
  const v = verdict({
    ...base,
    losses: [loss('a', { balancedAccuracy: NaN }, null, { diverged: 10 }), loss('b', { balancedAccuracy: NaN }, { pHolm: NaN, significant: false }, { diverged: 10 })],
  });
  assert.equal(v.best, null);
  assert.equal(v.recommended, null);
  assert.deepEqual(v.tied, []);
  assert.match(v.text, /Every candidate failed.*a: 10 of 10 splits diverged; b: 10 of 10/);
});

test('a single candidate is not "tied" with anything', () => {
  const v = verdict({ ...base, losses: [loss('binaryCrossentropy', { balancedAccuracy: 0.9, logLoss: 0.3 }, null)] });
  assert.equal(v.recommended, 'binaryCrossentropy');
  assert.match(v.text, /only candidate/);
});

test('threshold metric: the standard loss stays recommended unless another tied loss is significantly better calibrated', () => {
  const withValues = (label: string, accuracy: number, logLoss: number[], vsBest: VerdictLoss['vsBest']) => {
    const l = loss(label, { balancedAccuracy: accuracy, logLoss: logLoss.reduce((a, b) => a + b, 0) / logLoss.length }, vsBest);
    l.metrics['logLoss']!.values = logLoss;
    return l;
  };
  const close = verdict({
    ...base,
    losses: [
      withValues('binaryCrossentropy', 0.976, [0.08, 0.1, 0.06, 0.07, 0.09, 0.08, 0.1, 0.06, 0.07, 0.09], null),
      withValues('polyCrossentropy', 0.972, [0.07, 0.1, 0.05, 0.07, 0.09, 0.08, 0.09, 0.06, 0.06, 0.08], tied),
    ],
  });
  assert.equal(close.recommended, 'binaryCrossentropy');
  assert.match(close.reason, /standard loss for a binary task; its log loss \(0\.080\) is not significantly worse than the best calibrated, polyCrossentropy \(0\.075, p = /);
  const clear = verdict({
    ...base,
    losses: [
      withValues('binaryCrossentropy', 0.976, [0.3, 0.32, 0.31, 0.29, 0.3, 0.31, 0.33, 0.3, 0.29, 0.31], null),
      withValues('polyCrossentropy', 0.972, [0.07, 0.1, 0.05, 0.07, 0.09, 0.08, 0.09, 0.06, 0.06, 0.08], tied),
    ],
  });
  assert.equal(clear.recommended, 'polyCrossentropy');
  assert.match(clear.reason, /^the best calibrated of the tied losses \(lowest log loss, 0\.075\)/);
});
