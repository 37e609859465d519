/**
 * Builds the explorer: dist/app (the static web app: index.html, styles, the esbuild bundle with its
 * lazily loaded chunks, tfjs-wasm's binaries under wasm/; for the Compare view its Web Worker
 * compare-worker.js, the vega builds its report loads under vendor/ and two built-in datasets under
 * datasets/) and dist/server (the Node module that
 * `lossforge explore` uses to serve it). The loss documentation is generated from lossforge's doc
 * comments (scripts/loss-docs.mjs) and bundled as the virtual module `lossforge-explorer:docs`.
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractLossDocs } from './loss-docs.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const app = join(root, 'dist/app');
const lossforgeRoot = dirname(require.resolve('lossforge/package.json'));
const wasmDist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist';
const workbenchRoot = join(root, '../workbench');
/** The built-in datasets the Compare view serves (their sources and licences: packages/workbench/datasets/README.md). */
const DATASETS = ['iris', 'penguins'];
/** The browser builds the workbench's report loads (its VEGA_BUILDS), served from vendor/PKG.min.js. */
const VEGA = ['vega', 'vega-lite', 'vega-embed'];

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const dir of ['wasm', 'vendor', 'datasets']) mkdirSync(join(app, dir), { recursive: true });

const docs = extractLossDocs(join(lossforgeRoot, 'src/losses'));
if (docs.length === 0) throw new Error(`no loss documentation found under ${lossforgeRoot}/src/losses`);

/** `import docs from 'lossforge-explorer:docs'`: the generated documentation, as JSON. */
const docsPlugin = {
  name: 'loss-docs',
  setup(b) {
    b.onResolve({ filter: /^lossforge-explorer:docs$/ }, (args) => ({ path: args.path, namespace: 'loss-docs' }));
    b.onLoad({ filter: /.*/, namespace: 'loss-docs' }, () => ({ contents: JSON.stringify(docs), loader: 'json' }));
  },
};

/**
 * `@lossforge/workbench/core` from the workbench's sources: the explorer builds before the workbench
 * (workspace order) and needs nothing of it but this browser-safe entry.
 */
const workbenchPlugin = {
  name: 'workbench-core',
  setup(b) {
    b.onResolve({ filter: /^@lossforge\/workbench\/core$/ }, () => ({ path: join(workbenchRoot, 'src/core.ts') }));
  },
};

await build({
  entryPoints: { main: join(root, 'src/app/main.ts'), 'compare-worker': join(root, 'src/app/compare/worker.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  outdir: app,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'external',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [docsPlugin, workbenchPlugin],
  logLevel: 'warning',
});

for (const file of ['index.html', 'styles.css']) copyFileSync(join(root, 'src/app', file), join(app, file));
// tfjs-wasm fetches its binary from setWasmPaths('wasm/'): plain and SIMD (threads need cross-origin isolation, which a static server does not set).
for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) copyFileSync(join(wasmDist, file), join(app, 'wasm', file));
for (const pkg of VEGA) copyFileSync(packageFile(pkg, `build/${pkg}.min.js`), join(app, 'vendor', `${pkg}.min.js`));
for (const name of DATASETS) copyFileSync(join(workbenchRoot, 'datasets', `${name}.csv`), join(app, 'datasets', `${name}.csv`));

await build({
  entryPoints: [join(root, 'src/server/index.ts')],
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: join(root, 'dist/server'),
  logLevel: 'warning',
});

/** `node_modules/<pkg>/<file>` in the nearest node_modules above this package that has it (vega's exports hide its builds from require.resolve). */
function packageFile(pkg, file) {
  for (let dir = root; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', pkg, file);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${pkg}/${file} in any node_modules above ${root}`);
  }
}

/** Bytes under a directory. */
const size = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
console.log(`explorer: dist/app ${(size(app) / 1024).toFixed(0)} KiB (${docs.length} losses documented)`);
