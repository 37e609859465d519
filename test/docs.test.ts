/**
 * Every code example runs: the ```ts blocks of README.md and docs/*.md (complete modules importing the
 * packages by name), and every `@example` of both packages' doc comments (with `tf`, the package's
 * exports and the fixtures of scripts/docs/check.ts in scope). A line that states its value in a
 * comment (`// 0.35`, `// ≈ 0.5108`) is checked. Snippets marked `// not run: <why>` are skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as lossforge from 'lossforge';
import { useBackend } from '../packages/lossforge/test/helpers/backends.js';
import { allSnippets, instrument, NOT_RUN, statedValue, type Snippet } from '../scripts/docs/snippets.js';
import { FIXTURES, FIXTURES_BY_FILE } from '../scripts/docs/check.js';

await useBackend('cpu');

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Under the repository, so that 'lossforge' and '@lossforge/workbench' resolve as in a user's project.
const OUT = join(ROOT, 'node_modules', '.cache', 'lossforge-doc-examples');
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const CHECK = JSON.stringify(pathToFileURL(join(ROOT, 'scripts', 'docs', 'check.ts')).href);

const mentions = (code: string, name: string) =>
  new RegExp(`(?<![\\w$.'"])${name.replace(/\$/g, '\\$')}(?![\\w$'"])`).test(code) &&
  !new RegExp(`(?:const|let|var|function|class)\\s+${name}\\b`).test(code);

/** The module a snippet runs as, and how many stated values it checks. */
async function moduleFor(snippet: Snippet): Promise<{ text: string; checks: number }> {
  const { code, checks } = instrument(snippet.code, snippet.where);
  const header = [`import { __check, FIXTURES as __fixtures } from ${CHECK};`];
  if (snippet.kind === 'example') {
    // In scope: tf, the package's exports, the members of lossforge's `losses` namespace and of
    // 'lossforge/node' (examples next to their definition use them unqualified), and the fixtures.
    const scope: Record<string, string> = {};
    const add = (from: string, names: string[]) => names.forEach((n) => (scope[n] ??= `${from}.${n}`));
    if (snippet.pkg === 'lossforge') {
      add('__pkg', Object.keys(lossforge));
      add('__pkg.losses', Object.keys(lossforge.losses));
      add('__node', Object.keys(await import('lossforge/node')));
    } else {
      add('__pkg', Object.keys(await import('@lossforge/workbench')));
    }
    const fixtures = { ...FIXTURES, ...Object.entries(FIXTURES_BY_FILE).find(([file]) => snippet.where.replace(/:\d+$/, '').endsWith(file))?.[1] };
    header.push(
      "import * as tf from '@tensorflow/tfjs';",
      `import * as __pkg from '${snippet.pkg}';`,
      "import * as __node from 'lossforge/node';",
      "import { FIXTURES_BY_FILE as __byFile } from " + CHECK + ';',
      ...Object.keys(scope).filter((n) => mentions(snippet.code, n)).map((n) => `const ${n} = ${scope[n]};`),
      ...Object.keys(fixtures).filter((n) => mentions(snippet.code, n)).map((n) =>
        n in FIXTURES && fixtures[n] === FIXTURES[n]
          ? `const ${n} = __fixtures.${n}() as any;`
          : `const ${n} = Object.entries(__byFile).find(([f]) => ${JSON.stringify(snippet.where)}.includes(f))![1].${n}!() as any;`,
      ),
    );
  }
  return { text: `${header.join('\n')}\n${code}\n`, checks };
}

let counter = 0;
async function run(snippet: Snippet): Promise<number> {
  const { text, checks } = await moduleFor(snippet);
  const file = join(OUT, `${String(++counter).padStart(3, '0')}-${snippet.where.replace(/[^\w]+/g, '_')}.mts`);
  writeFileSync(file, text);
  await import(pathToFileURL(file).href);
  return checks;
}

const snippets = allSnippets(ROOT);
const skipped = snippets.filter((s) => NOT_RUN.test(s.code));
let ran = 0;
let checked = 0;

for (const snippet of snippets) {
  const reason = NOT_RUN.exec(snippet.code) ? snippet.code.split('\n')[0]!.replace(/^\s*\/\/\s*/, '') : undefined;
  test(`${snippet.where}`, { skip: reason }, async () => {
    checked += await run(snippet);
    ran++;
  });
}

test('the examples are many, most state a value that is checked, and few are left out', (t) => {
  t.diagnostic(`${ran} snippets ran (${snippets.filter((s) => s.kind === 'markdown').length} docs blocks, ${snippets.filter((s) => s.kind === 'example').length} @examples), ${checked} stated values checked, ${skipped.length} marked 'not run'`);
  assert.equal(ran, snippets.length - skipped.length);
  assert.ok(ran >= 60, `${ran} snippets ran`);
  assert.ok(checked >= 25, `${checked} stated values checked`);
  assert.ok(skipped.length <= 12, `${skipped.length} snippets marked 'not run': ${skipped.map((s) => s.where).join(', ')}`);
});

test('a stated value that the code does not give fails the example', async () => {
  const wrong: Snippet = { where: 'test:1', kind: 'example', pkg: 'lossforge', code: 'losses.huber({ delta: 1 })(tf.tensor2d([[0]]), tf.tensor2d([[3]])); // 2.4' };
  await assert.rejects(run(wrong), /test:1: the comment states 2\.4, the code gives 2\.5/);
  const approx: Snippet = { where: 'test:2', kind: 'markdown', code: 'const v = Math.log(Math.cosh(1)); // ≈ 0.4339' };
  await assert.rejects(run(approx), /test:2: the comment states 0\.4339/);
  assert.equal(await run({ ...approx, code: 'const v = Math.log(Math.cosh(1)); // ≈ 0.4338' }), 1);
});

test('stated values: numbers after = or ≈, arrays, quoted strings; prose states none', () => {
  assert.deepEqual(statedValue('(0.7 + 0) / 2 = 0.35'), { value: 0.35, approx: false });
  assert.deepEqual(statedValue('−1/√2 ≈ −0.7071'), { value: -0.7071, approx: true });
  assert.deepEqual(statedValue('[1.375, 0.02]'), { value: [1.375, 0.02], approx: false });
  assert.deepEqual(statedValue("'meanSquaredError'"), { value: 'meanSquaredError', approx: false });
  assert.equal(statedValue('a scalar: the mean over the batch'), undefined);
  assert.equal(statedValue('e.g. [[3, 1, 5, 1], [2]]'), undefined);
});

test('every relative link of README.md, CONTRIBUTING.md and docs/*.md points at a file that exists (and a heading that exists)', () => {
  const pages = ['README.md', 'CONTRIBUTING.md', 'packages/lossforge/README.md', 'packages/workbench/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');
  const anchors = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => /^#+ /.test(l)).map((l) => slug(l.replace(/^#+ /, '')));
  const broken: string[] = [];
  let links = 0;
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      links++;
      const [path, anchor] = target!.split('#');
      const file = path ? join(ROOT, dirname(page), path) : join(ROOT, page);
      if (!existsSync(file)) broken.push(`${page}: ${target}`);
      else if (anchor && file.endsWith('.md') && !anchors(file).includes(anchor)) broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(links >= 40, `${links} links checked`);
});
