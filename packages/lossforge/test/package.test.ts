/**
 * The package as users see it: `import ... from 'lossforge'` resolves through the exports map to the
 * built dist/ (npm test builds first), and the public entry bundles for the browser with no Node built-ins.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

test("import { losses, defineLoss, gradCheck, LossInputError } from 'lossforge' works", async () => {
  const lf = await import('lossforge');
  assert.equal(typeof lf.defineLoss, 'function');
  assert.equal(typeof lf.gradCheck, 'function');
  assert.equal(typeof lf.LossInputError, 'function');
  assert.equal(typeof lf.losses.meanSquaredError, 'function');
  assert.ok(lf.losses.list().includes('huber'));
});

test('the public entry is browser-safe: it bundles for the browser without Node built-ins', async () => {
  const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    external: ['@tensorflow/*'],
    logLevel: 'silent',
    metafile: true,
  });
  const nodeImports = Object.values(result.metafile.inputs)
    .flatMap((input) => input.imports.map((i) => i.path))
    .filter((p) => p.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'worker_threads'].includes(p));
  assert.deepEqual(nodeImports, []);
});
