/** Your own loss: declarations and code become a defineLoss loss; mistakes are messages; the TypeScript export runs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { gradCheck, losses } from 'lossforge';
import { CustomLossError, compileCompute, defineCustomLoss, parseDeclarations, specsOf, typescriptSnippet } from '../src/app/customLoss.js';
import { useCpu } from './helpers.js';

before(useCpu);
const builtIns = new Set(losses.list());
const scratch = mkdtempSync(join(import.meta.dirname, 'scratch-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const CAUCHY = `(yTrue, yPred, { scale }) => {
  const e = tf.div(tf.sub(yPred, yTrue), scale);
  return tf.mul(0.5 * scale * scale, tf.log1p(tf.square(e)));
}`;
const DECLARATIONS = '{ "scale": { "default": 2, "min": 0, "minExclusive": true } }';

test('a compute and its declarations make a registered loss with validated options, passing gradCheck', () => {
  const factory = defineCustomLoss('testCauchy', CAUCHY, parseDeclarations(DECLARATIONS), builtIns);
  assert.equal(losses.get('testCauchy').name, 'testCauchy');
  assert.deepEqual(factory.optionSpecs['scale']!.shape, { kind: 'number', range: { min: 0, minExclusive: true } });
  const value = factory()(tf.tensor2d([[0]]), tf.tensor2d([[2]])).dataSync()[0]!;
  assert.ok(Math.abs(value - 0.5 * 4 * Math.log(2)) < 1e-6, `½c²·log(1 + (e/c)²) at e = c = 2: ${value}`);
  assert.throws(() => factory({ scale: 0 }), /options\.scale/);
  const report = gradCheck(factory({ scale: 0.7 }), tf.randomNormal([6, 3], 0, 1, 'float32', 1), tf.randomNormal([6, 3], 0, 1, 'float32', 2));
  assert.equal(report.passed, true);
});

test('mistakes are CustomLossErrors that say what is wrong', () => {
  const message = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      assert.ok(error instanceof CustomLossError, `a CustomLossError, got ${(error as Error).name}`);
      return (error as Error).message;
    }
    assert.fail('no error');
  };
  assert.match(message(() => parseDeclarations('{ scale: 1 }')), /^Options: not valid JSON/);
  assert.match(message(() => parseDeclarations('[1]')), /expected a JSON object/);
  assert.match(message(() => parseDeclarations('{ "1x": 1 }')), /'1x' is not a usable option name/);
  assert.match(message(() => parseDeclarations('{ "reduction": 1 }')), /'reduction' is not a usable option name/);
  assert.match(message(() => parseDeclarations('{ "s": "big" }')), /'s' needs a number or boolean default/);
  assert.match(message(() => specsOf({ s: { default: -1, min: 0 } })), /default of 's' \(-1\) is outside its own range/);
  assert.match(message(() => compileCompute('(yTrue, yPred) => {')), /^compute: SyntaxError/);
  assert.match(message(() => compileCompute('42')), /expected a function/);
  assert.match(message(() => defineCustomLoss('huber', CAUCHY, {}, builtIns)), /'huber' is a built-in loss/);
  assert.match(message(() => defineCustomLoss('my loss', CAUCHY, {}, builtIns)), /not an identifier/);
});

test('the TypeScript export defines the same loss (imported and run here)', async () => {
  const declarations = parseDeclarations(DECLARATIONS);
  const inPage = defineCustomLoss('pageCauchy', CAUCHY, declarations, builtIns);
  const file = join(scratch, 'exportedCauchy.ts');
  writeFileSync(file, typescriptSnippet('exportedCauchy', CAUCHY, declarations));
  const module = (await import(pathToFileURL(file).href)) as Record<string, typeof inPage>;
  const exported = module['exportedCauchy']!;
  assert.equal(exported.lossName, 'exportedCauchy');
  const yTrue = tf.tensor2d([[0, 1], [2, -1]]);
  const yPred = tf.tensor2d([[0.5, 3], [-1, 0]]);
  for (const scale of [2, 0.5]) {
    const a = inPage({ scale })(yTrue, yPred).dataSync()[0]!;
    const b = exported({ scale })(yTrue, yPred).dataSync()[0]!;
    assert.equal(a, b);
  }
  assert.throws(() => exported({ scale: -1 }), /options\.scale/, 'the exported option keeps its rule');
});
