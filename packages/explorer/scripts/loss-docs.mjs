/**
 * The loss documentation the explorer shows beside each curve, generated at build time from the doc
 * comments of lossforge's loss sources (src/losses/<family>.ts): for every `export const x = defineLoss({ name, aliases, ... })`,
 * its family (the file), aliases, headline (the comment's first sentence, usually the formula), the
 * "choose it when" sentences, the full text and the example.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** A doc comment's text without the leading ` * `, lines kept. */
function commentText(raw) {
  return raw
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/** The aliases of a definition: plain strings, and `{ alias: '…', options }` presets. */
function aliasesOf(body) {
  const list = /aliases:\s*\[([\s\S]*?)\],?\n/.exec(body)?.[1] ?? '';
  // The names, not the strings inside a preset's options (`{ alias: 'welsch', options: { alpha: '-Infinity' } }`).
  return [...list.replace(/options:\s*\{[^}]*\}/g, '').matchAll(/(?:alias:\s*)?'([^']+)'/g)].map((m) => m[1]);
}

const oneLine = (text) => text.replace(/\s+/g, ' ').trim();

/** Sentences: split after ". " when the next word starts with a capital (not after "et al."). */
const sentences = (text) => oneLine(text).split(/(?<=[^l]\.)\s+(?=[A-Z`])/);

/** The first sentence of the first paragraph, its lines joined until one ends with "." or ":". */
function headlineOf(paragraph) {
  const lines = paragraph.split('\n');
  const end = lines.findIndex((line) => /[.:]$/.test(line.trim()));
  return oneLine(lines.slice(0, end < 0 ? lines.length : end + 1).join(' '));
}

/**
 * When to choose the loss: the sentences from the first one that says "choose" to the end of its
 * paragraph; else the first paragraph's sentences after the headline that are not "Matches …".
 */
function chooseText(paragraphs, headline) {
  for (const paragraph of paragraphs) {
    const parts = sentences(paragraph);
    const at = parts.findIndex((s) => /\bchoose\b/i.test(s));
    if (at >= 0) return parts.slice(at).join(' ').replace(/^When to choose:?\s*/, '').replace(/^./, (c) => c.toUpperCase());
  }
  const rest = oneLine(paragraphs[0] ?? '').slice(headline.length);
  const kept = sentences(rest).filter((s) => s && !/^Matches\b/.test(s));
  return kept.length > 0 ? kept.join(' ') : undefined;
}

/** Parses one family file; returns one entry per `defineLoss` with a doc comment. */
export function docsOfSource(source, family) {
  const entries = [];
  const pattern = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export const (\w+) = defineLoss(?:<[^>]*>)?\(\{([\s\S]*?)\n\}\);/g;
  for (const match of source.matchAll(pattern)) {
    const [, raw, , body] = match;
    const name = /name:\s*'(\w+)'/.exec(body)?.[1];
    if (!name) continue;
    const text = commentText(raw);
    const [docPart, example = ''] = text.split(/^@example\s*$/m);
    const doc = docPart.trim();
    const paragraphs = doc.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
    const headline = headlineOf(paragraphs[0] ?? '');
    entries.push({ name, family, aliases: aliasesOf(body), headline, choose: chooseText(paragraphs, headline), doc, example: example.trim() });
  }
  return entries;
}

/** Every loss documented in `lossesDir` (lossforge's src/losses), sorted by name. */
export function extractLossDocs(lossesDir) {
  return readdirSync(lossesDir)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .flatMap((f) => docsOfSource(readFileSync(join(lossesDir, f), 'utf8'), basename(f, '.ts')))
    .sort((a, b) => a.name.localeCompare(b.name));
}
