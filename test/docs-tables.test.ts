/** The docs' alias and option tables are what scripts/docs/tables.ts generates from the registry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { losses } from 'lossforge';
import { familyOf, familyTables, fillTables, formatValue, indexTable, stalePages } from '../scripts/docs/tables.js';

test('the committed tables are the generated ones (else: npm run docs:tables)', () => {
  assert.deepEqual(stalePages(), []);
});

test('every registered loss has a docs page and a line in the index', () => {
  const index = indexTable();
  for (const name of losses.list()) {
    assert.ok(familyTables(familyOf(name)).includes(`| \`${name}\` |`), name);
    assert.ok(index.includes(`[\`${name}\`](docs/${familyOf(name)}.md)`), name);
  }
});

test('the tables carry the registry: aliases with presets, defaults, allowed values', () => {
  const classification = familyTables('classification');
  assert.match(classification, /`BCEWithLogitsLoss` \(fromLogits: true\)/);
  assert.match(classification, /\| `binaryFocalCrossentropy` \| `gamma` \| `2` \| a finite number in \[0, ∞\) \|/);
  assert.match(familyTables('metric-learning'), /\| `tripletMargin` \| `mining` \| `'batchHard'` \| one of 'batchAll', 'batchHard', 'semiHard' \|/);
  assert.equal(formatValue(undefined), 'not set');
  assert.equal(formatValue([1, 2]), '`[1, 2]`');
});

test('a hand edit inside the markers is replaced; a page without markers is an error', () => {
  const page = '# x\n<!-- tables:family begin (generated) -->\n| hand | written |\n<!-- tables:family end -->\n';
  const filled = fillTables(page, 'margin');
  assert.ok(!filled.includes('hand'));
  assert.match(filled, /\| `squaredHinge` \| `squared_hinge` \|/);
  assert.equal(fillTables(filled, 'margin'), filled);
  assert.throws(() => fillTables('# no markers\n', 'margin'), /no '<!-- tables:family begin/);
  assert.throws(() => familyTables('nope'), /no family 'nope'/);
});
