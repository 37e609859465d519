/**
 * The built explorer in real Chromium (Debian's /usr/bin/chromium through playwright-core), served
 * by the explorer's own server: at 1400 and 420 px it moves a slider and sees the plotted data
 * change (and the link keep it), enters a broken then a working custom loss and sees the error and
 * the gradient check, runs a live fit for some steps, runs an in-browser compare on built-in iris and
 * finds the verdict and the report — with no console error and no request outside the page's origin.
 * The same CSV and seed give the same numbers in the page (Web Workers) as `runCompare` here; a
 * malformed CSV gives a message. Screenshots go to a temporary directory printed in the test output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCompare, type CompareResult } from '@lossforge/workbench';
import { APP_DIR, serveExplorer, type RunningExplorer } from '../src/server/index.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium)`
  : !existsSync(`${APP_DIR}index.html`)
    ? 'the explorer is not built (npm run build)'
    : false;

let browser: Browser | undefined;
let server: RunningExplorer | undefined;
const shots = mkdtempSync(join(tmpdir(), 'lossforge-explorer-screenshots-'));

before(async () => {
  if (skip) return;
  server = await serveExplorer({ port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that records console errors, page errors and every request outside the server's origin. */
async function openPage(width: number): Promise<{ page: Page; problems: string[] }> {
  const context = await browser!.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const origin = new URL(server!.url).origin;
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:')) problems.push(`request outside the origin: ${url}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  return { page, problems };
}

/** The plotted-values table as text rows (the charts' data, for screen readers). */
const tableRows = (page: Page, panel: string) =>
  page.$$eval(`#panel-${panel} details.data tbody tr`, (rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent ?? '')));

const counter = (page: Page, panel: string, key: string) => page.$eval(`#panel-${panel}`, (p, k) => Number((p as HTMLElement).dataset[k] ?? 0), key);

for (const width of [1400, 420]) {
  test(`explorer at ${width} px: curves, your own loss, live fit`, { skip, timeout: 150_000 }, async (t) => {
    const { page, problems } = await openPage(width);
    await page.goto(`${server!.url}#view=curves`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
    assert.match((await page.textContent('#status')) ?? '', /on wasm$/, 'tfjs runs on the wasm backend');

    // ── Curves: move huber's δ slider with the keyboard; the plotted values change ──
    await page.waitForFunction(() => Number(document.getElementById('panel-curves')!.dataset['rendered'] ?? 0) >= 1);
    const huberRows = async () => (await tableRows(page, 'curves')).filter((r) => r[0]!.startsWith('huber'));
    const before = await huberRows();
    assert.ok(before.length >= 10, 'huber is plotted by default');
    const slider = page.locator('article.card', { has: page.locator('h3', { hasText: /^huber/ }) }).locator('input[type=range]');
    await slider.focus();
    const rendered = await counter(page, 'curves', 'rendered');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('End');
    await page.waitForFunction((n) => Number(document.getElementById('panel-curves')!.dataset['rendered']) > n, rendered);
    await page.waitForTimeout(300);
    const afterRows = await huberRows();
    assert.equal(afterRows[0]![0], (await page.locator('article.card h3', { hasText: /^huber/ }).textContent())!, 'the legend label names the new δ');
    assert.match(afterRows[0]![0]!, /^huber \(delta [\d.]+\)$/);
    assert.notDeepEqual(afterRows.map((r) => r.slice(2)), before.map((r) => r.slice(2)), 'the plotted values changed');
    const delta = Number(/delta ([\d.]+)/.exec(afterRows[0]![0]!)![1]);
    assert.ok(delta > 1, `δ grew: ${delta}`);
    // Beyond δ the loss is δ(|e| − δ/2): check the first plotted point (e = −4) against the formula.
    const tail = afterRows.find((r) => Number(r[2]) === -4)!;
    const expected = delta >= 4 ? 8 : delta * (4 - delta / 2);
    assert.ok(Math.abs(Number(tail[3]) - expected) < 0.02 * expected, `huber(δ ${delta}) at e = −4: ${tail[3]} vs ${expected}`);

    // The link carries the state: a new page from it shows the same δ.
    const link = page.url();
    assert.match(decodeURIComponent(link), /"name":"huber","options":\{"delta":/);
    const { page: shared, problems: sharedProblems } = await openPage(width);
    await shared.goto(link);
    await shared.waitForFunction(() => Number(document.getElementById('panel-curves')?.dataset['rendered'] ?? 0) >= 1, undefined, { timeout: 30_000 });
    assert.ok((await tableRows(shared, 'curves')).some((r) => r[0] === afterRows[0]![0]), 'the shared link plots the same curve');
    await shared.close();
    problems.push(...sharedProblems);

    // An alias typed in the picker adds the loss with its preset.
    await page.fill('#loss-query', 'HuberLoss');
    await page.press('#loss-query', 'Enter');
    await page.waitForSelector('article.card h3 >> text=/^huber$/');
    assert.match((await page.textContent('#panel-curves .message')) ?? '', /^Added huber \(from 'HuberLoss'\)\.$/);
    await page.fill('#loss-query', 'BCEWithLogitsLoss');
    await page.press('#loss-query', 'Enter');
    assert.match((await page.textContent('#panel-curves .message')) ?? '', /^binaryCrossentropy \(fromLogits true\) is already plotted\.$/, 'the alias brings its preset, fromLogits: true');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, `curves-${width}.png`), fullPage: true });

    // ── Your own loss: an error is a message; a working loss is plotted and passes gradCheck ──
    await page.click('#tab-custom');
    await page.waitForFunction(() => Number(document.getElementById('panel-custom')!.dataset['checked'] ?? 0) >= 1, undefined, { timeout: 20_000 });
    await page.fill('#custom-code', '(yTrue, yPred) => tf.square(tf.sub(yPred, yTrue)');
    await page.click('#panel-custom button[type=submit]');
    await page.waitForFunction(() => Number(document.getElementById('panel-custom')!.dataset['failed'] ?? 0) >= 1);
    assert.match((await page.textContent('#custom-error')) ?? '', /^compute: SyntaxError/);
    assert.match((await page.textContent('#gradcheck')) ?? '', /Not checked/);
    await page.fill('#custom-name', 'scaledSquare');
    await page.fill('#custom-options', '{ "scale": { "default": 3, "min": 0 } }');
    await page.fill('#custom-code', '(yTrue, yPred, { scale }) => tf.mul(scale, tf.square(tf.sub(yPred, yTrue)))');
    const checked = await counter(page, 'custom', 'checked');
    await page.focus('#custom-code');
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction((n) => Number(document.getElementById('panel-custom')!.dataset['checked']) > n, checked);
    assert.equal(await page.isVisible('#custom-error'), false, 'the error is gone');
    assert.match((await page.textContent('#gradcheck')) ?? '', /gradCheck passed: the tf\.grad gradient agrees with central differences on 32 entries/);
    const custom = (await tableRows(page, 'custom')).filter((r) => r[0] === 'scaledSquare');
    const atTwo = custom.find((r) => Number(r[2]) === -4)!;
    assert.ok(Math.abs(Number(atTwo[3]) - 48) < 1e-3 && Math.abs(Number(atTwo[4]) + 24) < 1e-3, `3e² and its derivative 6e at e = −4: ${atTwo}`);
    const snippet = (await page.textContent('#custom-snippet')) ?? '';
    assert.match(snippet, /export const scaledSquare = defineLoss\(\{/);
    assert.match(snippet, /scale: option\.number\(3, \{ min: 0 \}\)/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, `custom-${width}.png`), fullPage: true });

    // ── Live fit: a few dozen steps of each loss, from the same start ──
    // The tabs work from the keyboard: ← from "Your own loss" selects "Live fit".
    await page.focus('#tab-custom');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getAttribute('#tab-fit', 'aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'tab-fit');
    await page.waitForSelector('#panel-fit .lane .readout:has-text("step 0")', { timeout: 20_000 });
    // Each problem steps: outliers (the default) and noisy labels by ten, imbalance by running.
    for (const [problem, lanes] of [['outliers', 3], ['noisy', 2]] as const) {
      if (problem !== 'outliers') await page.selectOption('#fit-problem', problem);
      await page.waitForFunction((n) => document.querySelectorAll('#panel-fit .lane').length === n && document.getElementById('panel-fit')!.dataset['steps'] === '0', lanes);
      await page.click('#fit-step');
      await page.waitForFunction(() => document.getElementById('panel-fit')!.dataset['steps'] === '10');
      const rows = await tableRows(page, 'fit');
      assert.deepEqual(rows.map((r) => r[1]), Array(lanes).fill('10'), `${problem}: every loss took 10 steps`);
    }
    await page.selectOption('#fit-problem', 'imbalance');
    await page.waitForFunction(() => document.querySelectorAll('#panel-fit .lane').length === 3 && document.getElementById('panel-fit')!.dataset['steps'] === '0');
    const start = await tableRows(page, 'fit');
    await page.click('#fit-run');
    await page.waitForFunction(() => Number(document.getElementById('panel-fit')!.dataset['steps']) >= 24, undefined, { timeout: 30_000 });
    await page.click('#fit-run');
    const trained = await tableRows(page, 'fit');
    assert.equal(trained.length, 3);
    for (const [i, row] of trained.entries()) {
      assert.ok(Number(row[1]) >= 24, `${row[0]} trained: ${row[1]} steps`);
      assert.ok(Number(row[2]) < Number(start[i]![2]), `${row[0]}: loss fell from ${start[i]![2]} to ${row[2]}`);
    }
    assert.match(trained[2]![0]!, /posWeight/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, `fit-${width}.png`), fullPage: true });

    // Responsive: nothing is wider than the window.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width} px (${overflow} px too wide)`);

    assert.deepEqual(problems, [], 'no console errors, page errors or requests outside the origin');
    t.diagnostic(`screenshots: ${shots}`);
    await page.context().close();
  });
}

/** The result the Compare view's report embeds (its #lossforge-data JSON), once every chart has rendered. */
async function pageResult(page: Page): Promise<{ result: CompareResult; charts: { id: string; ok: boolean }[] }> {
  const frame = page.frameLocator('#compare-report');
  await frame.locator('#verdict').waitFor();
  const handle = await page.$('#compare-report');
  const inner = (await handle!.contentFrame())!;
  const charts = (await inner.evaluate(() => (window as unknown as { __lossforgeReport: Promise<{ id: string; ok: boolean }[]> }).__lossforgeReport)) ?? [];
  const result = JSON.parse((await inner.textContent('#lossforge-data'))!) as CompareResult;
  return { result, charts };
}

/** Opens the Compare view and waits for its default dataset (built-in iris) to be read. */
async function openCompare(width: number): Promise<{ page: Page; problems: string[] }> {
  const opened = await openPage(width);
  await opened.page.goto(`${server!.url}#view=compare`);
  await opened.page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  await opened.page.waitForSelector('#compare-data-info:has-text("builtin:iris: 150 rows")', { timeout: 30_000 });
  return opened;
}

/** The largest relative difference |a − b| / max(1, |b|) between the numbers of two like-shaped values (Infinity if their shapes differ). */
function relativeDifference(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b)) ? 0 : Math.abs(a - b) / Math.max(1, Math.abs(b));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return Math.max(0, ...[...keys].map((k) => relativeDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])));
  }
  return a === b ? 0 : Infinity;
}

for (const width of [1400, 420]) {
  test(`explorer at ${width} px: compare on built-in iris in Web Workers, the verdict and the report`, { skip, timeout: 180_000 }, async (t) => {
    const { page, problems } = await openCompare(width);
    // Small settings (3 of the default losses, 2×1 folds, 5 epochs); submitted from the keyboard.
    await page.fill('#compare-losses', 'categoricalCrossentropy, categoricalFocalCrossentropy, categoricalHinge');
    await page.fill('#compare-folds', '2');
    await page.fill('#compare-repeats', '1');
    await page.fill('#compare-epochs', '5');
    await page.focus('#compare-epochs');
    const started = Date.now();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('panel-compare')!.dataset['state'] !== 'idle');
    await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('panel-compare')!.dataset['state']!), undefined, { timeout: 150_000 });
    assert.equal(await page.textContent('#compare-error'), '', 'no error');
    assert.match((await page.textContent('#compare-verdict')) ?? '', /^Verdict\. \S/);
    assert.match((await page.textContent('#compare-count')) ?? '', /^6 trainings on \d+ Web Workers? in /);
    assert.equal(await page.getAttribute('#compare-progress', 'value'), '6');
    const { result, charts } = await pageResult(page);
    assert.equal(result.dataset.source, 'builtin:iris');
    assert.deepEqual(result.losses.map((l) => l.label).sort(), ['categoricalCrossentropy', 'categoricalFocalCrossentropy', 'categoricalHinge']);
    assert.equal(result.splits.length, 6);
    assert.ok(charts.length >= 4 && charts.every((c) => c.ok), `every report chart rendered: ${JSON.stringify(charts)}`);
    assert.equal(await page.frameLocator('#compare-report').locator('#verdict').textContent().then((v) => v?.includes(result.verdict.text)), true, 'the report shows the verdict');
    t.diagnostic(`${width} px: in-browser compare (6 trainings, ${result.timing.workers} workers) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (width === 1400) {
      // The download is the CLI's self-contained report.html: vega inlined, nothing to fetch.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#compare-download-report')]);
      assert.equal(download.suggestedFilename(), 'report.html');
      const html = readFileSync((await download.path())!, 'utf8');
      assert.ok(html.startsWith('<!doctype html>') && html.includes('id="verdict"') && html.includes('/* vega-embed */'), 'a whole report');
      assert.ok(!/<script src=/.test(html), 'no script to fetch');
    }

    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width} px (${overflow} px too wide)`);
    await page.screenshot({ path: join(shots, `compare-${width}.png`), fullPage: true });
    assert.deepEqual(problems, [], 'no console errors, page errors or requests outside the origin');
    t.diagnostic(`screenshots: ${shots}`);
    await page.context().close();
  });
}

test('the same CSV, seed and settings give the same numbers in the page (Web Workers) as runCompare in Node', { skip, timeout: 240_000 }, async (t) => {
  const { page, problems } = await openCompare(1400);
  // penguins: categorical columns and NA cells, imputed per training fold; a dropped file, not a built-in.
  const csv = readFileSync(new URL('../../workbench/datasets/penguins.csv', import.meta.url), 'utf8');
  const file = join(shots, 'penguins-copy.csv');
  writeFileSync(file, csv);
  await page.setInputFiles('#compare-file', file);
  await page.waitForSelector("#compare-data-info:has-text(\"penguins-copy.csv: 344 rows\")");
  // categoricalHinge: margin scores, turned into probabilities by temperature scaling fitted per fold.
  const settings = { losses: 'categoricalCrossentropy, {"name": "categoricalCrossentropy", "labelSmoothing": 0.1}, categoricalHinge', folds: 3, repeats: 1, epochs: 6, seed: 7 };
  await page.fill('#compare-losses', settings.losses);
  await page.fill('#compare-folds', String(settings.folds));
  await page.fill('#compare-repeats', String(settings.repeats));
  await page.fill('#compare-epochs', String(settings.epochs));
  await page.fill('#compare-seed', String(settings.seed));
  await page.click('#compare-run');
  await page.waitForFunction(() => ['done', 'error'].includes(document.getElementById('panel-compare')!.dataset['state']!), undefined, { timeout: 200_000 });
  assert.equal(await page.textContent('#compare-error'), '');
  const { result: inPage } = await pageResult(page);

  const { COMPARE_DEFAULTS, parseLossList } = await import('@lossforge/workbench');
  const inNode = await runCompare({ ...COMPARE_DEFAULTS, data: file, losses: parseLossList(settings.losses), folds: settings.folds, repeats: settings.repeats, epochs: settings.epochs, seed: settings.seed, workers: 1 });
  // The trainings are identical: the same code on tfjs's float32 cpu backend, seeded per split, gives the
  // same learning curves, epochs, predictions (confusion matrices) and prediction counts (accuracies, F1).
  const trained = (r: CompareResult) => r.losses.map((l) => ({ label: l.label, curve: l.curve, epochs: l.epochs, confusion: l.confusion }));
  assert.deepEqual(trained(inPage), trained(inNode));
  for (const metric of ['accuracy', 'balancedAccuracy', 'macroF1']) {
    assert.deepEqual(inPage.splits.map((s) => s.metrics[metric]), inNode.splits.map((s) => s.metrics[metric]), metric);
  }
  // The scores are computed from those outputs in float64 with Math.log and Math.exp, which ECMAScript
  // leaves implementation-approximated: Node 20's V8 and Chromium's differ in the last bit now and then
  // (observed: one log loss, 1 ulp = 2e-16). Scores of probability heads agree to 1e-12 (relative). A
  // margin head's log loss goes through temperature scaling, a golden-section search whose comparisons
  // near the flat optimum can turn on that last bit: it agrees to 1e-6, the float32 resolution of the
  // outputs it is computed from (observed: 2e-8 here, 2.4e-9 on iris).
  assert.deepEqual(inPage.losses.map((l) => l.label), inNode.losses.map((l) => l.label), 'the same ranking');
  const worst = { probabilities: 0, margins: 0 };
  inPage.losses.forEach((l, i) => {
    const head = l.head === 'margin' ? 'margins' : 'probabilities';
    const node = inNode.losses[i]!;
    const difference = relativeDifference({ scores: l.metrics, calibration: l.calibration }, { scores: node.metrics, calibration: node.calibration });
    worst[head] = Math.max(worst[head], difference);
    assert.ok(difference <= (head === 'margins' ? 1e-6 : 1e-12), `${l.label}: scores and calibration differ by ${difference} (relative)`);
  });
  assert.equal(inPage.verdict.text, inNode.verdict.text);
  t.diagnostic(`largest relative difference of a score, page vs Node: ${worst.probabilities.toExponential(2)} (probability heads), ${worst.margins.toExponential(2)} (margin head, temperature-scaled)`);
  assert.ok(inPage.timing.workers > 1 || inPage.timing.workers === Math.min(3 * 3, await page.evaluate(() => navigator.hardwareConcurrency)), 'one worker per core, at most one per training');
  t.diagnostic(`penguins, 3 losses × 3 folds × 6 epochs: page ${inPage.timing.seconds.toFixed(1)} s on ${inPage.timing.workers} Web Workers, Node ${inNode.timing.seconds.toFixed(1)} s in one thread`);
  for (const loss of inPage.losses) t.diagnostic(`${loss.label}: balanced accuracy ${loss.metrics['balancedAccuracy']!.mean} (page) = ${inNode.losses.find((l) => l.label === loss.label)!.metrics['balancedAccuracy']!.mean} (Node)`);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a malformed CSV gives a clear message in the page', { skip, timeout: 60_000 }, async () => {
  const { page, problems } = await openCompare(420);
  await page.setInputFiles('#compare-file', { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,c\n1,2,3\n4,"5,6\n7,8,9\n') });
  await page.waitForSelector('#compare-error:not(:empty)');
  assert.match((await page.textContent('#compare-error'))!, /^broken\.csv: line \d+: malformed CSV \(read with delimiter ','\): /);
  assert.equal(await page.textContent('#compare-data-info'), '', 'the broken file is not described as data');
  assert.equal(await page.isVisible('#compare-download-report'), false, 'nothing to download before a run');
  // Running without data says so instead of training.
  await page.click('#compare-run');
  assert.match((await page.textContent('#compare-error'))!, /^--data: choose a built-in dataset or a CSV file first$/);
  await page.screenshot({ path: join(shots, 'compare-malformed-420.png'), fullPage: true });

  // Back to a built-in; a long run stops on Stop (its Web Workers terminated) with a message, not an error.
  await page.selectOption('#compare-dataset', 'builtin:iris');
  await page.waitForSelector('#compare-data-info:has-text("builtin:iris: 150 rows")');
  assert.equal(await page.textContent('#compare-error'), '');
  await page.fill('#compare-epochs', '300');
  await page.click('#compare-run');
  await page.waitForFunction(() => document.getElementById('panel-compare')!.dataset['state'] === 'running');
  await page.click('#compare-stop');
  await page.waitForFunction(() => document.getElementById('panel-compare')!.dataset['state'] === 'idle');
  assert.match((await page.textContent('#compare-count'))!, /^Stopped after \d+ of 50 trainings\.$/);
  assert.equal(await page.textContent('#compare-error'), '');
  assert.deepEqual(problems, []);
  await page.context().close();
});
