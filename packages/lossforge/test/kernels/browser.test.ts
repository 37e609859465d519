/**
 * The fused kernels in a real browser: test/kernels/browser-entry.ts is bundled with esbuild and run
 * in headless Chromium (playwright-core, the system's /usr/bin/chromium). There the kernel module
 * compiles asynchronously (browsers refuse synchronous compilation of large modules on the main
 * thread), so this checks that `fusedKernelsReady()` resolves, that the fused kernels really run, and
 * that they agree with the composite formulas.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import type { BrowserResult } from './browser-entry.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium)`;

let browser: Browser | undefined;
let work: string | undefined;

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'lossforge-browser-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('fused BCE and softmax cross-entropy run in headless Chromium and match the composite path', { skip, timeout: 60_000 }, async () => {
  const outfile = join(work!, 'entry.js');
  await build({
    entryPoints: [fileURLToPath(new URL('./browser-entry.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    outfile,
    logLevel: 'error',
  });
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // No network: the page is set from a string and the bundle is inlined (the kernels are embedded as base64).
  const script = readFileSync(outfile, 'utf8').replace(/<\/script/gi, '<\\/script');
  await page.setContent(`<!doctype html><html><head><meta charset="utf-8"></head><body><script>${script}</script></body></html>`);
  await page.waitForFunction(() => (globalThis as { lossforgeBrowserResult?: unknown }).lossforgeBrowserResult !== undefined, undefined, { timeout: 45_000 });
  const result = (await page.evaluate(() => (globalThis as { lossforgeBrowserResult?: unknown }).lossforgeBrowserResult)) as BrowserResult | { error: string };
  await page.close();

  assert.deepEqual(errors, [], 'no page errors');
  assert.ok(!('error' in result), `the page failed: ${'error' in result ? result.error : ''}`);
  assert.equal(result.ready, true, 'fusedKernelsReady() resolves to true in the browser');
  assert.equal(result.backend, 'cpu');
  assert.deepEqual(result.fusedKernels['binaryCrossentropy'], ['LossforgeEmpty', 'LossforgeFusedElementwise', 'LossforgeFusedScaleRows']);
  assert.deepEqual(result.fusedKernels['sparseCategoricalCrossentropy'], ['LossforgeEmpty', 'LossforgeFusedSparseSoftmaxCE', 'LossforgeFusedScaleRows']);
  for (const [name, difference] of Object.entries(result.maxRelativeDifference)) {
    assert.ok(result.elements[name]! >= 8192, `${name}: ${result.elements[name]} elements`);
    assert.ok(difference <= 1e-5, `${name}: fused vs composite max relative difference ${difference}`);
  }
  assert.equal(Object.keys(result.maxRelativeDifference).length, 2);
});
