import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { CompareSettings } from '../src/compare.js';
import { renderCompareReport, renderTuneReport, runCompare } from '../src/node.js';
import { runTune } from '../src/tune.js';
import { useBackend } from '../../lossforge/test/helpers/backends.js';

await useBackend('cpu');

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium): browser rendering not checked`;
const dir = mkdtempSync(join(tmpdir(), 'lossforge-report-'));
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => browser?.close());

const tiny: CompareSettings = {
  data: 'builtin:breast_cancer', task: 'auto', folds: 2, repeats: 1, epochs: 2, batchSize: 64, hidden: [4],
  learningRate: 0.05, seed: 1, alpha: 0.05, workers: 1,
};

/** Opens the report offline; returns console errors, non-file requests, chart results and mark counts. */
async function open(html: string, name: string) {
  const path = join(dir, name);
  writeFileSync(path, html);
  const page = await browser!.newPage();
  const errors: string[] = [];
  const external: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  await page.goto(`file://${path}`);
  const charts = (await page.evaluate('window.__lossforgeReport')) as { id: string; ok: boolean; error?: string }[];
  const marks = (await page.evaluate(
    `Object.fromEntries(Array.from(document.querySelectorAll('.chart')).map((c) => [c.id, c.querySelectorAll('svg g.role-mark > *').length]))`,
  )) as Record<string, number>;
  const rows = await page.locator('#ranking tr').count();
  await page.close();
  return { errors, external, charts, marks, rows };
}

test('report.html is self-contained: vega inlined, no external script or stylesheet', async () => {
  const result = await runCompare({ ...tiny, losses: ['binaryCrossentropy'] });
  const html = renderCompareReport(result);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+stylesheet/i);
  assert.match(html, /\/\* vega-lite \*\//);
  assert.ok(html.length > 800_000, 'the three browser builds are inlined');
});

test('binary report renders every chart in headless Chromium, offline, without console errors', { skip }, async () => {
  const result = await runCompare(tiny);
  const r = await open(renderCompareReport(result), 'binary.html');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.external, [], 'no network requests');
  assert.deepEqual(r.charts.map((c) => c.id), ['distributions', 'curves', 'confusion', 'calibration']);
  for (const c of r.charts) assert.ok(c.ok, `${c.id}: ${c.error}`);
  for (const [id, count] of Object.entries(r.marks)) assert.ok(count > 0, `${id} drew no marks`);
  // 5 losses × 2 folds points + boxes in each of 5 metric panels; 4 confusion cells per loss
  assert.ok(r.marks['chart-distributions']! >= 5 * 5 * 2, `distribution marks: ${r.marks['chart-distributions']}`);
  assert.ok(r.marks['chart-confusion']! >= 5 * 4);
  assert.equal(r.rows, 1 + 5, 'header + one row per loss');
});

test('regression report renders residual plots', { skip }, async () => {
  const result = await runCompare({ ...tiny, data: 'builtin:penguins', target: 'body_mass_g', losses: ['mse', 'mae'] });
  const r = await open(renderCompareReport(result), 'regression.html');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.charts.map((c) => c.id), ['distributions', 'curves', 'residuals']);
  for (const c of r.charts) assert.ok(c.ok, `${c.id}: ${c.error}`);
  assert.ok(r.marks['chart-residuals']! >= 300, `residual points: ${r.marks['chart-residuals']}`);
});

test('tune report renders the optimization history and parallel coordinates', { skip }, async () => {
  const result = await runTune({
    data: 'builtin:iris', task: 'auto', loss: 'categoricalFocalCrossentropy', space: 'gamma=0:4,lr=1e-3:1e-1:log,labelSmoothing=0|0.1',
    trials: 5, sampler: 'random', folds: 2, repeats: 1, epochs: 1, batchSize: 64, hidden: [4], learningRate: 0.01,
    seed: 2, workers: 1, out: join(dir, 'tune'), resume: false, pruning: false,
  });
  const r = await open(renderTuneReport(result), 'tune.html');
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.external, []);
  assert.deepEqual(r.charts.map((c) => c.id), ['history', 'parallel']);
  for (const c of r.charts) assert.ok(c.ok, `${c.id}: ${c.error}`);
  assert.ok(r.marks['chart-history']! >= 5 + 1, 'a point per trial and the best-so-far line');
  assert.ok(r.marks['chart-parallel']! >= 5 * 4, 'a point per trial and axis');
});

/**
 * Opens a report at a viewport width, waits for the charts, saves a full-page screenshot next to the
 * report, and measures: page width vs viewport, and facet cells (one per loss) that drew nothing, or
 * axes drawn under a cell with no panel (vega's shared axes under a short last row).
 */
async function layout(html: string, name: string, width: number) {
  const path = join(dir, `${name}.html`);
  writeFileSync(path, html);
  const page = await browser!.newPage({ viewport: { width, height: 900 } });
  await page.goto(`file://${path}`);
  await page.evaluate('window.__lossforgeReport');
  const measured = (await page.evaluate(`({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    cells: Object.fromEntries(Array.from(document.querySelectorAll('.chart')).map((c) => [c.id,
      Array.from(c.querySelectorAll('g.cell > g')).map((g) => g.querySelectorAll('g.role-mark > *').length)])),
    footers: Array.from(document.querySelectorAll('.chart g.column_footer, .chart g.row_footer')).length,
    legendLabels: Array.from(document.querySelectorAll('#chart-calibration g.role-legend-label text')).map((t) => t.textContent),
  })`)) as { scrollWidth: number; innerWidth: number; cells: Record<string, number[]>; footers: number; legendLabels: string[] };
  await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
  await page.close();
  return measured;
}

test('the report fits its page at 1,400 and 420 px: no sideways scroll, no empty facet panel, whole legend labels', { skip }, async () => {
  const result = await runCompare(tiny);
  const html = renderCompareReport(result);
  const labels = result.losses.map((l) => l.label);
  for (const width of [1400, 420]) {
    const m = await layout(html, 'fit', width);
    assert.ok(m.scrollWidth <= m.innerWidth, `${width} px: the page is ${m.scrollWidth} px wide`);
    for (const id of ['chart-curves', 'chart-confusion']) {
      assert.equal(m.cells[id]!.length, labels.length, `${id}: one panel per loss`);
      assert.ok(m.cells[id]!.every((marks) => marks > 0), `${id}: a panel drew nothing: ${m.cells[id]}`);
    }
    assert.equal(m.footers, 0, 'no axis under an empty cell (each panel has its own axes)');
    assert.deepEqual(m.legendLabels, labels, 'calibration legend labels are not cut');
  }
  console.log(`# screenshots: ${join(dir, 'fit-1400.png')}, ${join(dir, 'fit-420.png')}`);
});

test('regression report at 420 px: residual panels all drawn, no sideways scroll', { skip }, async () => {
  const result = await runCompare({ ...tiny, data: 'builtin:penguins', target: 'body_mass_g', losses: ['mse', 'mae', 'huber', 'logCosh'] });
  const m = await layout(renderCompareReport(result), 'fit-regression', 420);
  assert.ok(m.scrollWidth <= m.innerWidth, `the page is ${m.scrollWidth} px wide`);
  assert.equal(m.cells['chart-residuals']!.length, 4);
  assert.ok(m.cells['chart-residuals']!.every((marks) => marks > 0), `${m.cells['chart-residuals']}`);
  assert.equal(m.footers, 0);
});
