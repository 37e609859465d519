import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFixture } from '../../lossforge/test/helpers/fixtures.js';
import {
  correctedResampledTTest,
  excessKurtosis,
  holm,
  logGamma,
  mean,
  median,
  quantileSorted,
  regularizedIncompleteBeta,
  skewness,
  std,
  studentTCdf,
} from '../src/stats.js';

interface Fixture {
  tCdf: [number, number, number][];
  incompleteBeta: [number, number, number, number][];
  correctedT: { a: number[]; b: number[]; ratio: number; t: number; df: number; p: number; meanDiff: number }[];
  holm: { p: number[]; adjusted: number[] };
  moments: { x: number[]; skewness: number; excessKurtosis: number };
}
const fx = loadFixture<Fixture>('workbench');

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: got ${a}, expected ${b}`);

test('logGamma matches factorials and Γ(1/2) = √π', () => {
  close(logGamma(5), Math.log(24), 1e-12, 'lnΓ(5)');
  close(logGamma(11), Math.log(3628800), 1e-11, 'lnΓ(11)');
  close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-12, 'lnΓ(1/2)');
});

test('regularizedIncompleteBeta: closed forms I_x(1,1)=x, I_x(a,1)=x^a, I_x(1,b)=1-(1-x)^b', () => {
  for (const x of [0, 0.1, 0.37, 0.5, 0.93, 1]) {
    close(regularizedIncompleteBeta(x, 1, 1), x, 1e-12, `I_${x}(1,1)`);
    close(regularizedIncompleteBeta(x, 3.5, 1), x ** 3.5, 1e-12, `I_${x}(3.5,1)`);
    close(regularizedIncompleteBeta(x, 1, 2.5), 1 - (1 - x) ** 2.5, 1e-12, `I_${x}(1,2.5)`);
  }
});

test('regularizedIncompleteBeta matches numerical integration (fixture)', () => {
  for (const [x, a, b, expected] of fx.incompleteBeta) close(regularizedIncompleteBeta(x, a, b), expected, 1e-9, `I_${x}(${a},${b})`);
});

test('regularizedIncompleteBeta rejects bad arguments', () => {
  assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), /a and b must be > 0/);
  assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), /x must be in \[0, 1\]/);
});

test('studentTCdf matches numerical integration and table values', () => {
  for (const [t, df, expected] of fx.tCdf) close(studentTCdf(t, df), expected, 1e-9, `T_${df}(${t})`);
  // Cauchy (df = 1) closed form, and the two-sided 5% critical value for df = 9 (2.262157).
  close(studentTCdf(0.5, 1), 0.5 + Math.atan(0.5) / Math.PI, 1e-12, 'Cauchy');
  close(2 * (1 - studentTCdf(2.262157, 9)), 0.05, 1e-6, 't_{0.975,9}');
  assert.equal(studentTCdf(Infinity, 3), 1);
  assert.equal(studentTCdf(0, 3), 0.5);
});

test('correctedResampledTTest matches the Nadeau–Bengio formula (fixture)', () => {
  for (const c of fx.correctedT) {
    const r = correctedResampledTTest(c.a, c.b, c.ratio);
    close(r.t, c.t, 1e-9, 't');
    close(r.p, c.p, 1e-8, 'p');
    assert.equal(r.df, c.df);
    close(r.meanDiff, c.meanDiff, 1e-12, 'meanDiff');
  }
});

test('correctedResampledTTest: identical scores give p = 1; the correction makes p larger than the naive test', () => {
  assert.equal(correctedResampledTTest([0.9, 0.8, 0.85], [0.9, 0.8, 0.85], 0.25).p, 1);
  const a = [0.91, 0.93, 0.9, 0.92, 0.94, 0.9, 0.91, 0.93, 0.92, 0.95];
  const b = [0.9, 0.9, 0.9, 0.91, 0.92, 0.9, 0.9, 0.91, 0.9, 0.92];
  const corrected = correctedResampledTTest(a, b, 0.25).p;
  const naive = correctedResampledTTest(a, b, 0).p; // ratio 0 is the ordinary paired t-test
  assert.ok(corrected > naive, `corrected ${corrected} should exceed naive ${naive}`);
  assert.throws(() => correctedResampledTTest([1, 2], [1], 0.25), /paired/);
});

test('correctedResampledTTest at the edges: constant non-zero differences, a single split', () => {
  const constant = correctedResampledTTest([3, 4, 5], [1, 2, 3], 0.25);
  assert.deepEqual([constant.meanDiff, constant.t, constant.df, constant.p], [2, Infinity, 2, 0]);
  assert.equal(correctedResampledTTest([1, 2, 3], [3, 4, 5], 0.25).t, -Infinity);
  const single = correctedResampledTTest([0.9], [0.8], 0.25);
  assert.ok(Number.isNaN(single.t) && Number.isNaN(single.p));
  assert.equal(studentTCdf(-Infinity, 3), 0);
  assert.throws(() => studentTCdf(1, 0), /df must be > 0/);
});

test('holm matches the step-down procedure (fixture)', () => {
  const got = holm(fx.holm.p);
  fx.holm.adjusted.forEach((e, i) => close(got[i]!, e, 1e-12, `holm[${i}]`));
  assert.ok(Number.isNaN(holm([NaN, 0.01])[0]!));
  // NaN entries do not count in m: the one real p-value is not multiplied
  assert.equal(holm([NaN, 0.01])[1], 0.01);
  assert.deepEqual(holm([0.6, 0.5]), [1, 1], 'capped at 1, monotone');
});

test('moments: skewness and excess kurtosis (fixture), mean, std, quantiles', () => {
  close(skewness(fx.moments.x), fx.moments.skewness, 1e-10, 'skewness');
  close(excessKurtosis(fx.moments.x), fx.moments.excessKurtosis, 1e-10, 'kurtosis');
  assert.equal(mean([1, 2, 3, 6]), 3);
  close(std([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), 1e-12, 'std');
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([1, 2, 3, 4, 5], 0.25), 2);
  assert.equal(median([5, 1, 4, 2]), 3);
  assert.ok(Number.isNaN(mean([])) && Number.isNaN(median([])));
  assert.equal(std([7]), 0);
  assert.deepEqual([skewness([2, 2, 2]), excessKurtosis([2, 2, 2])], [0, 0], 'constant data');
});
