/**
 * The curves the explorer plots: every registered loss has a probe or a stated reason; plotted values
 * match the formulas; the tf.grad derivative matches finite differences of the plotted curve.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { losses } from 'lossforge';
import { buildCatalog, resolveQuery } from '../src/app/catalog.js';
import { sliderScale } from '../src/app/controls.js';
import { evaluateCurve, grid, type CurveRow } from '../src/app/curve.js';
import { AXES, errorProbe, type AxisKind } from '../src/app/probes.js';
import { docs, useCpu } from './helpers.js';

before(useCpu);

const catalog = () => buildCatalog(docs);

function curveOf(name: string, options: Record<string, unknown> = {}, axis?: AxisKind, target = 1) {
  const entry = catalog().find((e) => e.name === name)!;
  const probe = entry.probe!;
  const lossOptions = { ...options, ...probe.fixed } as Record<string, never>;
  const kind: AxisKind = axis ?? (probe.family === 'regression' ? 'error' : probe.family === 'distance' ? 'distance' : 'logit');
  return evaluateCurve(entry.factory({ ...lossOptions, reduction: 'none' }), name, probe, { axis: kind, target });
}

const at = (rows: CurveRow[], series: string, x: number) => rows.find((r) => r.series === series && Math.abs(r.x - x) < 1e-6)!;

test('every registered loss is in the catalog, with a probe or the reason it has none', () => {
  const entries = catalog();
  assert.deepEqual(entries.map((e) => e.name), losses.list());
  for (const e of entries) assert.ok(e.probe || (e.noCurve && e.noCurve.length > 5), e.name);
  const plotted = entries.filter((e) => e.probe).length;
  assert.ok(plotted >= 26, `${plotted} losses have a curve`);
});

test('each plotted loss gives finite values, and its tf.grad derivative matches finite differences of its curve', () => {
  for (const entry of catalog().filter((e) => e.probe)) {
    const axes: AxisKind[] = entry.probe!.family === 'classification' ? ['logit', 'probability'] : [entry.probe!.family === 'regression' ? 'error' : 'distance'];
    for (const axis of axes) {
      const { rows, dropped } = curveOf(entry.name, {}, axis);
      const series = [...new Set(rows.map((r) => r.series))];
      assert.ok(series.length >= 1 && rows.length >= 100 * series.length - dropped, `${entry.name} on ${axis}: ${rows.length} points, ${dropped} dropped`);
      for (const s of series) {
        const line = rows.filter((r) => r.series === s);
        let mismatches = 0;
        for (let i = 1; i < line.length - 1; i++) {
          const [a, b, c] = [line[i - 1]!, line[i]!, line[i + 1]!];
          const numeric = (c.value - a.value) / (c.x - a.x);
          // The slope between neighbours is the derivative up to O(h²·f'''): compare where the curve is smooth.
          const tolerance = 0.05 * Math.max(1, Math.abs(b.derivative)) + 0.25 * Math.abs(c.derivative - a.derivative);
          if (Math.abs(numeric - b.derivative) > tolerance) mismatches++;
        }
        assert.ok(mismatches <= 2, `${entry.name} (${axis}, ${s}): ${mismatches} points where tf.grad disagrees with the curve's slope (kinks allow 2)`);
      }
    }
  }
});

test('plotted values are the formulas: MSE e² with derivative 2e, Huber, BCE from logits and probabilities', () => {
  const mse = curveOf('meanSquaredError').rows;
  assert.ok(Math.abs(at(mse, 'y = 1', 2).value - 4) < 1e-5);
  assert.ok(Math.abs(at(mse, 'y = 1', 2).derivative - 4) < 1e-4);
  const huber = curveOf('huber', { delta: 1 }).rows;
  assert.ok(Math.abs(at(huber, 'y = 1', -3).value - 2.5) < 1e-5, 'δ(|e| − δ/2) in the tail');
  assert.ok(Math.abs(at(huber, 'y = 1', -3).derivative + 1) < 1e-5);
  const huber3 = curveOf('huber', { delta: 3 }).rows;
  assert.ok(Math.abs(at(huber3, 'y = 1', -3).value - 4.5) < 1e-5, 'an option changes the curve');
  const bce = curveOf('binaryCrossentropy', { fromLogits: true }).rows;
  assert.ok(Math.abs(at(bce, 'y = 1', 0).value - Math.LN2) < 1e-5);
  assert.ok(Math.abs(at(bce, 'y = 1', 0).derivative + 0.5) < 1e-5, 'd/dz of softplus(−z) = −σ(−z)');
  assert.ok(Math.abs(at(bce, 'y = 0', 2).value - Math.log1p(Math.exp(2))) < 1e-5);
  const probs = curveOf('binaryCrossentropy', {}, 'probability').rows;
  const p = grid(AXES.probability.domain, 121)[60]!;
  assert.ok(Math.abs(at(probs, 'y = 1', p).value + Math.log(p)) < 1e-4);
  assert.ok(Math.abs(at(probs, 'y = 1', p).derivative + 1 / p) < 1e-3, 'd/dp of −log p');
  const hinge = curveOf('hinge').rows;
  assert.ok(Math.abs(at(hinge, 'y = 0', 0.5).value - 1.5) < 1e-6, 'y = 0 is the label −1: max(1 + z, 0)');
  const contrastive = curveOf('contrastive', { margin: 1 }).rows;
  assert.ok(Math.abs(at(contrastive, 'similar pair', 1.5).value - 2.25) < 1e-4, 'd² for a similar pair');
  assert.ok(Math.abs(at(contrastive, 'dissimilar pair', 0.5).value - 0.25) < 1e-4, '[m − d]² for a dissimilar pair');
});

test('inputs a loss rejects are dropped and counted, not plotted', () => {
  const { rows, dropped } = curveOf('poisson', {}, 'error', 1);
  assert.ok(dropped > 0 && rows.every((r) => r.x + 1 >= 0), 'negative rates ŷ = 1 + e < 0 are left out');
  assert.ok(rows.length > 50);
  const custom = evaluateCurve(losses.meanSquaredError({ reduction: 'none' }), 'mse', errorProbe, { axis: 'error', target: 0, count: 5 });
  assert.deepEqual(custom.rows.map((r) => r.value), [16, 4, 0, 4, 16]);
});

test('queries resolve names, Keras/PyTorch aliases (with their presets) and nothing else', () => {
  const entries = catalog();
  assert.equal(resolveQuery(entries, 'HuberLoss')!.entry.name, 'huber');
  assert.deepEqual(resolveQuery(entries, 'BCEWithLogitsLoss')!.options, { fromLogits: true });
  assert.deepEqual(resolveQuery(entries, 'binary_crossentropy')!.options, {});
  assert.equal(resolveQuery(entries, 'focal')!.entry.name, 'binaryFocalCrossentropy');
  assert.equal(resolveQuery(entries, 'no such loss'), undefined);
  assert.equal(resolveQuery(entries, ''), undefined);
});

test('sliders from option specs: bounds, a log scale for positive unbounded options, a span otherwise', () => {
  const specs = (name: string) => (losses as unknown as Record<string, { optionSpecs: Record<string, never> }>)[name]!.optionSpecs;
  assert.deepEqual(sliderScale(specs('huber')['delta']), { min: 0.01, max: 100, log: true, integer: false });
  assert.deepEqual(sliderScale(specs('binaryFocalCrossentropy')['gamma']), { min: 0, max: 8, log: false, integer: false });
  assert.deepEqual(sliderScale(specs('binaryFocalCrossentropy')['alpha']), { min: 0, max: 1, log: false, integer: false });
  const q = sliderScale(specs('quantile')['quantile'])!;
  assert.ok(q.min > 0 && q.max < 1 && !q.log, 'exclusive bounds are not reachable');
  assert.deepEqual(sliderScale(specs('marginRanking')['margin']), { min: -5, max: 5, log: false, integer: false });
  assert.equal(sliderScale(specs('binaryCrossentropy')['fromLogits']), undefined, 'booleans get a checkbox');
});
