import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../src/errors.js';
import { makeRng } from '../src/random.js';
import { goodCount, gridSampler, parzen, parzenLogPdf, randomSampler, tpeSampler, type Observation, type Sampler } from '../src/samplers.js';
import { parseSpace, type Params } from '../src/space.js';

const bowl = (p: Params) => ((p['x'] as number) - 0.3) ** 2 + ((p['y'] as number) + 0.2) ** 2;
const space = parseSpace('x=-2:2,y=-2:2');

/** Best objective after `trials` sequential trials (or `parallel` at a time, with constant liar). */
function optimize(sampler: Sampler, seed: number, trials: number, objective = bowl, parallel = 1): number {
  const finished: Observation[] = [];
  let running: { trial: number; params: Params }[] = [];
  let next = 0;
  while (finished.length < trials) {
    while (running.length < parallel && next < trials) {
      const params = sampler.suggest(next, finished, running.map((r) => r.params), makeRng(seed * 1000 + next));
      running.push({ trial: next++, params });
    }
    const done = running.shift()!;
    finished.push({ params: done.params, value: objective(done.params) });
    running = running.filter((r) => r !== done);
  }
  return Math.min(...finished.map((o) => o.value));
}

test('parseSpace reads ranges, log and int scales and categoricals; rejects bad specs', () => {
  assert.deepEqual(parseSpace('gamma=0:5,alpha=0.1:0.9,lr=1e-4:1e-1:log'), [
    { name: 'gamma', kind: 'float', low: 0, high: 5, log: false },
    { name: 'alpha', kind: 'float', low: 0.1, high: 0.9, log: false },
    { name: 'lr', kind: 'float', low: 1e-4, high: 0.1, log: true },
  ]);
  assert.deepEqual(parseSpace('epochs=5:50:int,act=true|false,opt=a|b'), [
    { name: 'epochs', kind: 'int', low: 5, high: 50, log: false },
    { name: 'act', kind: 'categorical', choices: [true, false] },
    { name: 'opt', kind: 'categorical', choices: ['a', 'b'] },
  ]);
  for (const bad of ['gamma', 'gamma=5:0', 'lr=0:1:log', 'x=1:2:cubic', 'x=a:b', 'x=1:2,x=2:3', 'x=1.5:3:int', '']) {
    assert.throws(() => parseSpace(bad), UsageError, bad);
  }
});

test('random and grid samplers stay inside the space; grid covers corners and log spacing', () => {
  const s = parseSpace('a=1e-4:1e-1:log,b=2:6:int,c=x|y');
  const rnd = randomSampler(s);
  for (let i = 0; i < 200; i++) {
    const p = rnd.suggest(i, [], [], makeRng(i));
    assert.ok((p['a'] as number) >= 1e-4 && (p['a'] as number) <= 0.1);
    assert.ok(Number.isInteger(p['b']) && (p['b'] as number) >= 2 && (p['b'] as number) <= 6);
    assert.ok(p['c'] === 'x' || p['c'] === 'y');
  }
  const grid = gridSampler(parseSpace('a=1e-4:1e-1:log,b=0:1'), 16, makeRng(1));
  assert.equal(grid.size, 16);
  const points = Array.from({ length: 16 }, (_, i) => grid.suggest(i, [], [], makeRng(0)));
  const as = [...new Set(points.map((p) => p['a'] as number))].sort((x, y) => x - y);
  assert.equal(as.length, 4);
  as.forEach((v, i) => assert.ok(Math.abs(Math.log10(v) - (-4 + i)) < 1e-9, `log-spaced: ${v}`));
  assert.equal(new Set(points.map((p) => JSON.stringify(p))).size, 16, 'each grid point once');
});

test('Parzen estimator: a density on [lo, hi] peaked at the observations', () => {
  const p = parzen([0.2, 0.25], 0, 1, 1);
  let integral = 0;
  for (let i = 0; i < 2000; i++) integral += Math.exp(parzenLogPdf(p, (i + 0.5) / 2000)) / 2000;
  assert.ok(Math.abs(integral - 1) < 1e-3, `integral ${integral}`);
  assert.ok(parzenLogPdf(p, 0.22) > parzenLogPdf(p, 0.8));
  assert.deepEqual([1, 10, 11, 250, 1000].map(goodCount), [1, 1, 2, 25, 25]);
});

test('TPE beats random search on a quadratic bowl, on average over seeds', () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);
  const tpe = seeds.map((s) => optimize(tpeSampler(space), s, 50));
  const rnd = seeds.map((s) => optimize(randomSampler(space), s, 50));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(tpe) < mean(rnd) / 2, `TPE mean best ${mean(tpe)} vs random ${mean(rnd)}`);
  assert.ok(mean(tpe) < 0.05, `TPE should get close to the optimum (0.3, -0.2): ${mean(tpe)}`);
});

test('TPE with constant liar (4 parallel trials) still beats random search', () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i + 100);
  const tpe = seeds.map((s) => optimize(tpeSampler(space), s, 50, bowl, 4));
  const rnd = seeds.map((s) => optimize(randomSampler(space), s, 50, bowl, 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(tpe) < mean(rnd), `TPE ${mean(tpe)} vs random ${mean(rnd)}`);
});

test('constant liar: a running trial pushes the next suggestion away from it', () => {
  const s = parseSpace('x=0:1');
  const obj = (p: Params) => Math.abs((p['x'] as number) - 0.5);
  const finished: Observation[] = Array.from({ length: 20 }, (_, i) => {
    const params = { x: (i + 0.5) / 20 };
    return { params, value: obj(params) };
  });
  const sampler = tpeSampler(s);
  const alone = Array.from({ length: 30 }, (_, i) => sampler.suggest(0, finished, [], makeRng(i))['x'] as number);
  const busy = Array.from({ length: 30 }, (_, i) => sampler.suggest(0, finished, [{ x: 0.5 }, { x: 0.5 }, { x: 0.5 }], makeRng(i))['x'] as number);
  const near = (xs: number[]) => xs.filter((x) => Math.abs(x - 0.5) < 0.02).length;
  assert.ok(near(busy) < near(alone), `near 0.5: ${near(busy)} with liars vs ${near(alone)} without`);
});
