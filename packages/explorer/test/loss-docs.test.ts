/** The documentation generated from lossforge's doc comments (scripts/loss-docs.mjs). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { losses } from 'lossforge';
import { docsOfSource } from '../scripts/loss-docs.mjs';
import { docs } from './helpers.js';

test('every registered loss is documented, with its family, a headline and when to choose it', () => {
  const byName = new Map(docs.map((d) => [d.name, d]));
  for (const name of losses.list()) {
    const doc = byName.get(name);
    assert.ok(doc, `${name} has documentation`);
    assert.match(doc.family, /^(regression|robust|classification|margin|divergence|segmentation|metric|angularMargin|sequence|fenchelYoung|ranking|image)$/, name);
    assert.ok(doc.headline.length > 10 && !doc.headline.includes('@example'), `${name}: headline '${doc.headline}'`);
    assert.ok(doc.choose && doc.choose.length > 10, `${name}: choose text`);
    assert.ok(doc.example.includes(name) || doc.example.includes('losses.'), `${name}: example`);
  }
  assert.equal(docs.length, losses.list().length);
});

test('aliases, formulas and choose texts come from the source', () => {
  const huber = docs.find((d) => d.name === 'huber')!;
  assert.deepEqual(huber.aliases, ['huber_loss', 'HuberLoss']);
  assert.equal(huber.family, 'regression');
  assert.match(huber.headline, /^Huber loss with threshold δ: ½e² where \|e\| ≤ δ/);
  assert.match(huber.choose!, /usual choice for regression with outliers/);
  const bce = docs.find((d) => d.name === 'binaryCrossentropy')!;
  assert.ok(bce.aliases.includes('BCEWithLogitsLoss'), 'object aliases ({ alias, options }) are listed by name');
  assert.match(bce.choose!, /^Choose it for binary and multi-label classification/);
  const focal = docs.find((d) => d.name === 'binaryFocalCrossentropy')!;
  assert.equal(focal.headline, 'Binary focal cross-entropy (Lin et al. 2017), elementwise; per-sample = mean over the last axis.', '"et al." does not end the sentence');
  for (const doc of docs) {
    for (const alias of doc.aliases) assert.equal(losses.describe(alias)?.name, doc.name, `alias ${alias} resolves to ${doc.name}`); // (describe: arcFace cannot be made without its sizes)
  }
});

test('a definition without a doc comment is skipped, one with a comment is read', () => {
  const source = [
    "export const a = defineLoss({\n  name: 'a',\n  layout: 'elementwise',\n});",
    "/**\n * B loss: b(x).\n * Choose it when testing.\n * @example\n * losses.b();\n */\nexport const b = defineLoss({\n  name: 'b',\n  aliases: ['bee', { alias: 'Bee', options: { x: true } }],\n  layout: 'elementwise',\n});",
  ].join('\n\n');
  const parsed = docsOfSource(source, 'test');
  assert.equal(parsed.length, 1);
  assert.deepEqual({ ...parsed[0], doc: undefined }, { name: 'b', family: 'test', aliases: ['bee', 'Bee'], headline: 'B loss: b(x).', choose: 'Choose it when testing.', doc: undefined, example: 'losses.b();' });
});
