// Minified browser bundle sizes of lossforge as a user's bundler sees it (esbuild, ESM, code splitting,
// tfjs external): an app that imports one loss, and one that imports everything. The kernels are a
// chunk of their own, loaded by a dynamic import() on first use. `npm run size` (after `npm run build`).
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

export const APPS = {
  'one loss': "import { losses } from 'lossforge';\nconsole.log(losses.meanSquaredError().name);\n",
  everything: "import * as lossforge from 'lossforge';\nconsole.log(Object.keys(lossforge).length, lossforge.losses.get('mse').name);\n",
};

/** Bytes of each output file of a minified, code-split ESM bundle of `source`: the entry chunk first. */
export async function bundleSizes(source) {
  const result = await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true, minify: true, splitting: true, format: 'esm', platform: 'browser', outdir: 'out',
    external: ['@tensorflow/*'], write: false, logLevel: 'silent',
  });
  const files = result.outputFiles.map((f) => ({ file: f.path.split('/').pop(), bytes: f.contents.length, gzip: gzipSync(f.contents).length, text: f.text }));
  return [...files.filter((f) => f.file === 'stdin.js'), ...files.filter((f) => f.file !== 'stdin.js')];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('| app | entry chunk (min) | gzip | other chunks (min; the kernels load lazily) |\n| --- | --- | --- | --- |');
  for (const [name, source] of Object.entries(APPS)) {
    const [entry, ...chunks] = await bundleSizes(source);
    const kB = (n) => `${(n / 1000).toFixed(1)} kB`;
    console.log(`| ${name} | ${kB(entry.bytes)} | ${kB(entry.gzip)} | ${chunks.map((c) => kB(c.bytes)).join(' + ')} |`);
  }
}
