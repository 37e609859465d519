/**
 * The code examples of the docs, found and made checkable: the ```ts blocks of README.md, docs/*.md and the
 * packages' READMEs (what npm shows), and the `@example` snippets of both packages' doc comments.
 * test/docs.test.ts runs every one of them.
 *
 * A line that states its value in a comment, `loss(a, b); // 0.35` or `// (0.7 + 0) / 2 = 0.35` or
 * `const v = f(); // ≈ 0.5108`, is rewritten to check that value when it runs (see `instrument`).
 * A snippet that is not meant to run (it needs the reader's own model or files) starts with a visible
 * `// not run: <why>` line and is skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Snippet {
  /** Where it comes from: `docs/regression.md:42` or `packages/lossforge/src/losses/margin.ts:29`. */
  where: string;
  /** The code as the reader sees it. */
  code: string;
  /** `markdown`: a complete module with its own imports; `example`: a doc-comment fragment run with the package's exports in scope. */
  kind: 'markdown' | 'example';
  /** For `example`: the package whose exports are in scope. */
  pkg?: 'lossforge' | '@lossforge/workbench';
}

export const NOT_RUN = /^\s*\/\/\s*not run:/;

/** The ```ts / ```typescript blocks of a markdown text, with the line each starts on. */
export function markdownBlocks(text: string, file: string): Snippet[] {
  const lines = text.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    if (end === lines.length) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    out.push({ where: `${file}:${start + 1}`, code: lines.slice(start, end).join('\n'), kind: 'markdown' });
    i = end;
  }
  return out;
}

/**
 * The `@example` snippets of a TypeScript source: the comment lines after `@example` up to the next
 * tag or the end of the comment, with the leading ` * ` removed.
 */
export function exampleSnippets(source: string, file: string, pkg: Snippet['pkg']): Snippet[] {
  const lines = source.split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\b/.test(lines[i]!)) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (/^\s*\*\//.test(line) || /^\s*\*\s*@\w+/.test(line)) break;
      body.push(line.replace(/^\s*\* ?/, ''));
    }
    const code = body.join('\n').replace(/^```\w*\n|\n```\s*$/g, '').trim();
    out.push({ where: `${file}:${i + 1}`, code, kind: 'example', pkg });
    i = j - 1;
  }
  return out;
}

function walk(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  );
}

/** Every snippet of the repository at `root`, in a stable order. */
export function allSnippets(root: string): Snippet[] {
  const pages = [
    join(root, 'README.md'),
    ...walk(join(root, 'docs'), '.md').filter((f) => !f.startsWith(join(root, 'docs', 'api'))).sort(),
    join(root, 'packages', 'lossforge', 'README.md'),
    join(root, 'packages', 'workbench', 'README.md'),
  ];
  const markdown = pages.flatMap((f) => markdownBlocks(readFileSync(f, 'utf8'), relative(root, f)));
  const sources: [string, Snippet['pkg']][] = [
    [join(root, 'packages', 'lossforge', 'src'), 'lossforge'],
    [join(root, 'packages', 'workbench', 'src'), '@lossforge/workbench'],
  ];
  const examples = sources.flatMap(([dir, pkg]) =>
    walk(dir, '.ts').sort().flatMap((f) => exampleSnippets(readFileSync(f, 'utf8'), relative(root, f), pkg)),
  );
  return [...markdown, ...examples];
}

/** A stated value: a number, an array of numbers, a quoted string, true or false. */
export type Stated = number | string | boolean | Stated[];

/**
 * The value a comment states, or undefined when it states none: the whole comment, or what follows its
 * last `=` or `≈`. `≈ 0.5108` also gives the tolerance: half a unit of the last digit shown.
 */
export function statedValue(comment: string): { value: Stated; approx: boolean } | undefined {
  const m = /^(?:.*[=≈]\s*)?(.+?)\s*$/.exec(comment.replace(/−/g, '-'));
  const text = m?.[1];
  if (text === undefined) return undefined;
  const approx = /≈\s*[^=≈]*$/.test(comment);
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/.test(text)) return { value: Number(text), approx };
  if (/^'[^']*'$/.test(text)) return { value: text.slice(1, -1), approx: false };
  if (text === 'true' || text === 'false') return { value: text === 'true', approx: false };
  if (/^\[[-\d.,\se[\]]*\]$/.test(text)) {
    try {
      return { value: JSON.parse(text) as Stated, approx };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Splits `code // comment` at the first `//` outside a string literal. */
export function splitComment(line: string): [string, string] | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length - 1; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '/' && line[i + 1] === '/') return [line.slice(0, i), line.slice(i + 2).trim()];
  }
  return undefined;
}

const balanced = (s: string) => {
  let depth = 0;
  for (const c of s) {
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
    if (depth < 0) return false;
  }
  return depth === 0;
};

/**
 * Rewrites each line that states its value so that running it checks the value with `__check`:
 * `expr; // v` becomes `__check('where', (expr), v, approx);`, and `const x = expr; // v` gets
 * `__check('where', x, v, approx);` after it. Returns the code and how many checks it holds.
 */
export function instrument(code: string, where: string): { code: string; checks: number } {
  let checks = 0;
  const [file, firstLine] = [where.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(where)?.[1] ?? 1)];
  const lines = code.split('\n').map((line, i) => {
    const split = splitComment(line);
    if (!split) return line;
    const [codePart, comment] = split;
    const stated = statedValue(comment);
    const statement = codePart.trim().replace(/;$/, '');
    if (!stated || statement === '' || !balanced(statement)) return line;
    const at = JSON.stringify(`${file}:${firstLine + i}`);
    const expected = JSON.stringify(stated.value);
    const declared = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/.exec(statement);
    checks++;
    if (declared) return `${codePart.replace(/;?\s*$/, ';')} __check(${at}, ${declared[1]}, ${expected}, ${stated.approx});`;
    if (/^(import|export|return|if|for|while|throw|const|let|var)\b/.test(statement)) {
      checks--;
      return line;
    }
    return `${codePart.match(/^\s*/)![0]}__check(${at}, (${statement}), ${expected}, ${stated.approx});`;
  });
  return { code: lines.join('\n'), checks };
}
