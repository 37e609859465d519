/**
 * The package as users see it: `import ... from 'lossforge'` resolves through the exports map to the
 * built dist/ (npm test builds first), and the public entry bundles for the browser with no Node built-ins.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { pack, REPO, scratchProject } from './helpers/pack.js';

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

describe('the packed tarball, installed in a scratch project', () => {
  const destination = mkdtempSync(join(tmpdir(), 'lossforge-pack-'));
  const packed = pack('lossforge', destination);
  const paths = packed.files.map((f) => f.path);

  test('holds the builds, the licence and the readme; no tests, sources, source maps or inlined kernels in .d.ts', () => {
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json']) {
      assert.ok(paths.includes(needed), `${needed} is in the tarball`);
    }
    assert.deepEqual(paths.filter((p) => /(^|\/)(test|src)\//.test(p) || p.endsWith('.map') || p.endsWith('.ts') && !p.endsWith('.d.ts')), []);
    const declarations = packed.files.filter((f) => f.path.endsWith('.d.ts'));
    assert.ok(declarations.length > 20);
    assert.ok(declarations.every((f) => f.size < 40_000), `largest .d.ts: ${Math.max(...declarations.map((f) => f.size))} bytes`);
  });

  test('require() from CommonJS and import from ESM give the same working library', () => {
    const project = scratchProject([packed], 'commonjs');
    const program = (load: string) => `${load}
      require('@tensorflow/tfjs').env().set('PROD', true);
      const loss = lf.losses.meanSquaredError();
      const value = loss(tf.tensor1d([1, 2]), tf.tensor1d([1.5, 2])).dataSync()[0];
      console.log(JSON.stringify({ value, huber: lf.losses.get('huber').name, error: lf.LossInputError.name }));`;
    writeFileSync(join(project, 'use.cjs'), program("const tf = require('@tensorflow/tfjs'); const lf = require('lossforge');"));
    writeFileSync(join(project, 'use.mjs'), program("import * as tf from '@tensorflow/tfjs'; import * as lf from 'lossforge'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"));
    const run = (file: string) => JSON.parse(execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8' }));
    const expected = { value: 0.125, huber: 'huber', error: 'LossInputError' };
    assert.deepEqual(run('use.cjs'), expected);
    assert.deepEqual(run('use.mjs'), expected);
  });

  test('TypeScript resolves the types for require (.cts) and import (.mts) alike', () => {
    const project = scratchProject([packed], 'commonjs');
    const body = `
      export const huber = losses.huber({ delta: 0.5 });
      // @ts-expect-error: delta is a number (fails if the types did not resolve, as any)
      losses.huber({ delta: 'wide' });
      export const name: string = huber.name;`;
    writeFileSync(join(project, 'use.cts'), `import lf = require('lossforge');\nconst losses = lf.losses;\n${body}`);
    writeFileSync(join(project, 'use.mts'), `import { losses } from 'lossforge';\n${body}`);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['use.cts', 'use.mts'],
    }));
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});

test('an app that imports one loss bundles without the kernels: they are a chunk of their own, loaded on first use', async () => {
  const { APPS, bundleSizes } = (await import(join(REPO, 'scripts/bundle-size.mjs'))) as {
    APPS: Record<string, string>;
    bundleSizes: (source: string) => Promise<{ file: string; bytes: number; text: string }[]>;
  };
  const WASM_MAGIC_BASE64 = 'AGFzbQ'; // "\0asm", the first bytes of every WebAssembly module
  for (const source of Object.values(APPS)) {
    const [entry, ...chunks] = await bundleSizes(source);
    assert.equal(entry!.file, 'stdin.js');
    assert.ok(!entry!.text.includes(WASM_MAGIC_BASE64), 'the entry chunk holds no kernel module');
    assert.equal(chunks.filter((c) => c.text.includes(WASM_MAGIC_BASE64)).length, 1, 'one lazily imported chunk holds the kernels');
  }
  const [one] = await bundleSizes(APPS['one loss']!);
  const [all] = await bundleSizes(APPS.everything!);
  assert.ok(one!.bytes < all!.bytes, `one loss ${one!.bytes} B < everything ${all!.bytes} B`);
});
