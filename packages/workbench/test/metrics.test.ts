import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFixture } from '../../lossforge/test/helpers/fixtures.js';
import { applyPlatt, fitPlatt, fitTemperature, softmaxRows } from '../src/calibrate.js';
import {
  accuracy,
  balancedAccuracy,
  calibrationBins,
  confusionMatrix,
  logLoss,
  macroF1,
  mae,
  mape,
  r2,
  rmse,
  rocAuc,
} from '../src/metrics.js';

interface ClassCase {
  classes: number;
  yTrue: number[];
  yPred: number[];
  proba: number[];
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  logLoss: number;
  confusion: number[][];
  rocAuc?: number;
  rocAucScores?: number[];
}
interface Fixture {
  binary: ClassCase;
  multiclass: ClassCase;
  regression: { y: number[]; yHat: number[]; mae: number; rmse: number; mape: number; r2: number };
}
const fx = loadFixture<Fixture>('workbench');
const close = (a: number, b: number, what: string, tol = 1e-10) => assert.ok(Math.abs(a - b) <= tol, `${what}: got ${a}, expected ${b}`);

for (const name of ['binary', 'multiclass'] as const) {
  test(`classification metrics match the numpy reference (${name})`, () => {
    const c = fx[name];
    close(accuracy(c.yTrue, c.yPred), c.accuracy, 'accuracy');
    close(balancedAccuracy(c.yTrue, c.yPred, c.classes), c.balancedAccuracy, 'balancedAccuracy');
    close(macroF1(c.yTrue, c.yPred, c.classes), c.macroF1, 'macroF1');
    close(logLoss(c.yTrue, c.proba, c.classes), c.logLoss, 'logLoss');
    assert.deepEqual(confusionMatrix(c.yTrue, c.yPred, c.classes), c.confusion);
  });
}

test('rocAuc (rank-sum, ties averaged) equals the pair-counting definition', () => {
  close(rocAuc(fx.binary.yTrue, fx.binary.rocAucScores!), fx.binary.rocAuc!, 'auc');
  assert.equal(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]), 1);
  assert.equal(rocAuc([0, 1], [0.5, 0.5]), 0.5);
  assert.ok(Number.isNaN(rocAuc([1, 1], [0.2, 0.3])));
});

test('regression metrics match the numpy reference (MAPE skips zero targets)', () => {
  const r = fx.regression;
  close(mae(r.y, r.yHat), r.mae, 'mae');
  close(rmse(r.y, r.yHat), r.rmse, 'rmse');
  close(mape(r.y, r.yHat), r.mape, 'mape');
  close(r2(r.y, r.yHat), r.r2, 'r2');
});

test('metrics at the edges: absent classes, constant targets, all-zero targets, certain wrong predictions', () => {
  // class 2 is predicted but never true: balanced accuracy averages the recalls of classes 0 and 1 only,
  // macro-F1 (as scikit-learn) averages F1 over classes in yTrue or yPred: (2/3 + 0 + 0) / 3.
  close(balancedAccuracy([0, 0, 1], [0, 1, 2], 3), (1 / 2 + 0) / 2, 'balancedAccuracy');
  close(macroF1([0, 0, 1], [0, 1, 2], 3), 2 / 9, 'macroF1');
  // a probability of 0 on the true class is clipped to 1e-15: −ln(1e-15)
  close(logLoss([0], [0, 1], 2), -Math.log(1e-15), 'logLoss clipped');
  assert.ok(Number.isFinite(logLoss([0, 1], [0, 1, 1, 0], 2)));
  // R² with constant targets: 1 for a perfect fit, 0 otherwise (scikit-learn's convention)
  assert.equal(r2([3, 3, 3], [3, 3, 3]), 1);
  assert.equal(r2([3, 3], [1, 2]), 0);
  assert.ok(Number.isNaN(mape([0, 0], [1, 2])), 'MAPE over no non-zero target is NaN');
  close(mape([0, 2, -4], [5, 1, -5]), 100 * (0.5 + 0.25) / 2, 'MAPE skips the zero target');
});

test('calibrationBins: means per equal-width bin, empty bins left out', () => {
  const bins = calibrationBins([0.05, 0.15, 0.12, 0.95], [0, 1, 0, 1], 10);
  assert.deepEqual(bins.map((b) => b.count), [1, 2, 1]);
  close(bins[1]!.predicted, 0.135, 'bin mean');
  assert.equal(bins[1]!.observed, 0.5);
  // confidence 1 falls in the last bin, not past it
  assert.deepEqual(calibrationBins([1, 0.95, 0], [1, 0, 0], 10).map((b) => [b.predicted, b.observed, b.count]), [[0, 0, 1], [0.975, 0.5, 2]]);
});

test('fitPlatt finds the maximum-likelihood logistic map of the scores', () => {
  const scores = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, -0.2, 0.3, 0.8];
  const labels = [0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1];
  const fit = fitPlatt(scores, labels);
  // At the optimum the gradient of the (smoothed-target) log-likelihood vanishes.
  const nPos = labels.filter((l) => l === 1).length;
  const t = labels.map((l) => (l === 1 ? (nPos + 1) / (nPos + 2) : 1 / (labels.length - nPos + 2)));
  const p = applyPlatt(scores, fit);
  const ga = scores.reduce((s, x, i) => s + (p[i]! - t[i]!) * x, 0);
  const gb = scores.reduce((s, _x, i) => s + (p[i]! - t[i]!), 0);
  close(ga, 0, 'dL/da', 1e-6);
  close(gb, 0, 'dL/db', 1e-6);
  assert.ok(fit.a > 0);
});

test('fitTemperature recovers the temperature that generated the labels', () => {
  // Scores whose softmax at T = 2 equals the label frequencies: the NLL is minimized at T = 2.
  const rows: number[] = [];
  const labels: number[] = [];
  for (let k = 0; k < 400; k++) {
    const s = [2 * Math.log(0.7), 2 * Math.log(0.2), 2 * Math.log(0.1)];
    rows.push(...s);
    labels.push(k % 10 < 7 ? 0 : k % 10 < 9 ? 1 : 2);
  }
  close(fitTemperature(rows, labels, 3), 2, 'T', 1e-4);
  const p = softmaxRows([0, Math.log(3)], 2);
  close(p[1]!, 0.75, 'softmax');
});
