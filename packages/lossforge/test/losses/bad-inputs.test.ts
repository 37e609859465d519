/**
 * Bad inputs for every loss of the classic catalog (regression, classification, margin, divergence):
 * each must raise a LossInputError whose `argument` (and message) names the argument at fault, with
 * no tensor left behind. Two tables:
 * - generic corruptions applied to every catalog loss (NaN/Infinity labels, bad weights and masks,
 *   mismatched shapes, wrong rank, strings, unknown options and call entries);
 * - loss-specific cases (sparse labels, probabilities with fromLogits = false, option ranges…).
 * Finally, with setValueChecks(false) the value checks are skipped while shape and option checks
 * still throw.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../helpers/backends.js';
import { CATALOG_FAMILIES, familyLossNames, loadCatalog } from '../helpers/catalog.js';
import { losses, LossInputError, setValueChecks, type Loss, type LossCall } from '../../src/index.js';

await useBackend('cpu');

// ───────────────────────────── the catalog and valid inputs ─────────────────────────────

/** What valid inputs look like for a loss. */
type Kind = 'regression' | 'gaussian' | 'binary' | 'categorical' | 'sparse' | 'signed' | 'distribution' | 'vector';

const KINDS: Record<string, Kind> = {
  meanSquaredError: 'regression',
  meanAbsoluteError: 'regression',
  meanAbsolutePercentageError: 'regression',
  meanSquaredLogarithmicError: 'regression',
  huber: 'regression',
  smoothL1: 'regression',
  logCosh: 'regression',
  quantile: 'regression',
  poisson: 'regression',
  gaussianNll: 'gaussian',
  binaryCrossentropy: 'binary',
  binaryFocalCrossentropy: 'binary',
  categoricalCrossentropy: 'categorical',
  sparseCategoricalCrossentropy: 'sparse',
  categoricalFocalCrossentropy: 'categorical',
  polyCrossentropy: 'categorical',
  generalizedCrossentropy: 'categorical',
  hinge: 'signed',
  squaredHinge: 'signed',
  categoricalHinge: 'categorical',
  kullbackLeiblerDivergence: 'distribution',
  generalizedKullbackLeibler: 'distribution',
  safeSoftmaxCrossentropy: 'categorical',
  cosineSimilarity: 'vector',
};

type Nested = number | Nested[];

/** Valid [4, 3] inputs (sparse: [4] labels) for each kind, as plain arrays. */
function validInputs(kind: Kind): { yTrue: Nested[]; yPred: Nested[] } {
  const probs = [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]];
  const oneHot = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]];
  switch (kind) {
    case 'regression':
      return { yTrue: [[1, 2, 0.5], [3, 1, 2], [0.5, 0.25, 4], [2, 2, 1]], yPred: [[1.5, 1, 0.75], [2, 1.5, 2.5], [1, 0.5, 3], [2.5, 1, 1]] };
    case 'gaussian':
      // The means then the variances on yPred's last axis.
      return { yTrue: [[1, 2, 0.5], [3, 1, 2], [0.5, 0.25, 4], [2, 2, 1]], yPred: [[1.5, 1, 0.75, 1, 2, 0.5], [2, 1.5, 2.5, 1, 1, 1], [1, 0.5, 3, 0.3, 0.2, 4], [2.5, 1, 1, 2, 2, 2]] };
    case 'binary':
      return { yTrue: [[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1]], yPred: probs };
    case 'categorical':
      return { yTrue: oneHot, yPred: probs };
    case 'sparse':
      return { yTrue: [2, 0, 1, 2], yPred: probs };
    case 'signed':
      return { yTrue: [[-1, 1, 1], [1, -1, -1], [1, 1, -1], [-1, -1, 1]], yPred: [[0.5, -0.2, 1.5], [0.3, 0.1, -2], [1, 0, 0.4], [-0.7, 0.2, 0.9]] };
    case 'distribution':
      return { yTrue: probs.slice().reverse(), yPred: probs };
    case 'vector':
      return { yTrue: [[1, -2, 0.5], [0.3, 1, 1], [-1, 0, 2], [2, 2, -1]], yPred: [[0.5, -1, 2], [1, 1, 0], [0.2, 0.4, -3], [1, -1, 1]] };
  }
}

const kindOf = (name: string): Kind => {
  const kind = KINDS[name];
  assert.ok(kind !== undefined, `catalog loss '${name}' has no entry in the bad-input table (KINDS)`);
  return kind;
};

/** A loss by registered name; fails clearly when the name is not registered. */
function get(name: string, options: Record<string, unknown> = {}): Loss {
  assert.ok(losses.list().includes(name), `catalog loss '${name}' is not registered (losses.list())`);
  return losses.fromConfig({ name, ...options } as never);
}

// ───────────────────────────── the assertion ─────────────────────────────

/**
 * `run` must throw a LossInputError naming `argument` (in `.argument` and in the message
 * `<loss>: <argument>: expected …, got …`) and leave no tensor behind.
 */
function assertRejects(run: () => unknown, argument: string, loss?: string): void {
  const before = tf.memory().numTensors;
  let thrown: unknown;
  try {
    tf.dispose(run() as tf.Tensor);
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof LossInputError, `expected a LossInputError naming ${argument}, got ${thrown === undefined ? 'no error' : String(thrown)}`);
  assert.equal(thrown.argument, argument, `wrong argument named in: ${thrown.message}`);
  const prefix = `${loss ?? thrown.loss}: ${argument}: expected `;
  assert.ok(thrown.message.startsWith(prefix), `message should start with "${prefix}": ${thrown.message}`);
  assert.ok(/, got .+/.test(thrown.message), `message should say what was found: ${thrown.message}`);
  assert.equal(tf.memory().numTensors, before, `a rejected call leaked ${tf.memory().numTensors - before} tensors`);
}

// ───────────────────────────── generic corruptions, every catalog loss ─────────────────────────────

interface Corruption {
  what: string;
  argument: string;
  /** Builds the bad call from valid inputs. */
  run(name: string, kind: Kind, valid: { yTrue: Nested[]; yPred: Nested[] }): unknown;
  /** Still thrown with setValueChecks(false) (a shape, option, type or call-entry check). */
  structural: boolean;
}

const withEntry = (rows: Nested[], value: number): Nested[] => {
  const copy = JSON.parse(JSON.stringify(rows)) as Nested[];
  if (Array.isArray(copy[1])) (copy[1] as number[])[1] = value;
  else copy[1] = value;
  return copy;
};

const CORRUPTIONS: Corruption[] = [
  { what: 'NaN in yTrue', argument: 'yTrue', structural: false, run: (n, _k, v) => get(n)(withEntry(v.yTrue, NaN), v.yPred) },
  { what: 'Infinity in yTrue', argument: 'yTrue', structural: false, run: (n, _k, v) => get(n)(withEntry(v.yTrue, Infinity), v.yPred) },
  { what: 'negative sampleWeight', argument: 'call.sampleWeight', structural: false, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { sampleWeight: [1, -1, 1, 1] }) },
  { what: 'NaN sampleWeight', argument: 'call.sampleWeight', structural: false, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { sampleWeight: [1, NaN, 1, 1] }) },
  { what: 'mask of 0.5', argument: 'call.mask', structural: false, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { mask: [1, 0.5, 1, 0] }) },
  { what: 'mask of 2', argument: 'call.mask', structural: false, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { mask: [1, 2, 1, 0] }) },
  { what: 'sampleWeight of a non-broadcastable shape [5]', argument: 'call.sampleWeight', structural: true, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { sampleWeight: [1, 1, 1, 1, 1] }) },
  { what: 'sampleWeight of shape [4,2]', argument: 'call.sampleWeight', structural: true, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { sampleWeight: [[1, 1], [1, 1], [1, 1], [1, 1]] }) },
  { what: 'mask of a non-broadcastable shape [3]', argument: 'call.mask', structural: true, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { mask: [1, 0, 1] }) },
  {
    what: 'mismatched shapes',
    argument: 'yTrue',
    structural: true,
    // [4,3] vs [4,3,1]; sparse: labels [3] for predictions [4,3].
    run: (n, k, v) => (k === 'sparse' ? get(n)(v.yTrue.slice(0, 3), v.yPred) : get(n)(v.yTrue, (v.yPred as number[][]).map((row) => row.map((x) => [x])))),
  },
  // (A scalar pair is one unbatched example for the elementwise losses: see test/core/inputs.test.ts.)
  { what: 'yPred of rank 0 for a batch of labels', argument: 'yPred', structural: true, run: (n) => get(n)([1, 1], 0.5) },
  { what: 'a string as yTrue', argument: 'yTrue', structural: true, run: (n, _k, v) => get(n)('labels' as never, v.yPred) },
  { what: 'an array of strings as yPred', argument: 'yPred', structural: true, run: (n, _k, v) => get(n)(v.yTrue, [['a', 'b', 'c']] as never) },
  { what: 'an object as yPred', argument: 'yPred', structural: true, run: (n, _k, v) => get(n)(v.yTrue, { data: v.yPred } as never) },
  { what: 'a string as sampleWeight', argument: 'call.sampleWeight', structural: true, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { sampleWeight: 'all' as never }) },
  { what: 'an unknown call entry', argument: 'call.weights', structural: true, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, { weights: [1, 1, 1, 1] }) },
  { what: 'a call that is not an object', argument: 'call', structural: true, run: (n, _k, v) => get(n)(v.yTrue, v.yPred, 5 as unknown as LossCall) },
  { what: 'an unknown option', argument: 'options.notAnOption', structural: true, run: (n) => get(n, { notAnOption: 1 }) },
  { what: 'an unknown reduction', argument: 'options.reduction', structural: true, run: (n) => get(n, { reduction: 'average' }) },
];

describe('coverage of the catalog', () => {
  for (const family of CATALOG_FAMILIES) {
    test(`every loss exported by src/losses/${family}.ts is in the bad-input table`, async () => {
      const names = await familyLossNames(family);
      const missing = names.filter((n) => !(n in KINDS));
      assert.deepEqual(missing, [], `losses of ${family} without an entry in KINDS: ${missing.join(', ')}`);
    });
  }
  test('every loss in the bad-input table is registered', async () => {
    await loadCatalog();
    const missing = Object.keys(KINDS).filter((n) => !losses.list().includes(n));
    assert.deepEqual(missing, [], `catalog losses missing from the registry (losses.list()): ${missing.join(', ')}`);
  });
});

for (const name of Object.keys(KINDS)) {
  describe(`${name}: generic bad inputs`, () => {
    test('the valid inputs of the table are accepted (control)', () => {
      const v = validInputs(kindOf(name));
      const value = get(name)(v.yTrue, v.yPred, { sampleWeight: [1, 2, 0, 1], mask: [1, 1, 0, 1] });
      assert.ok(Number.isFinite(value.dataSync()[0]!));
      value.dispose();
    });
    for (const c of CORRUPTIONS) {
      test(`${c.what} → LossInputError naming ${c.argument}`, () => {
        const kind = kindOf(name);
        assertRejects(() => c.run(name, kind, validInputs(kind)), c.argument, name);
      });
    }
  });
}

// ───────────────────────────── loss-specific cases ─────────────────────────────

interface Specific {
  what: string;
  loss: string;
  argument: string;
  run(): unknown;
  structural: boolean;
}

const P = [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]];
const Y = [[0, 0, 1], [1, 0, 0]];
const call = (name: string, options: Record<string, unknown>, yTrue: unknown, yPred: unknown, c?: LossCall) => () => get(name, options)(yTrue as never, yPred as never, c);
const build = (name: string, options: Record<string, unknown>) => () => get(name, options);

const SPECIFIC: Specific[] = [
  // Shapes and ranks.
  { what: '[32,1] vs [32]', loss: 'meanSquaredError', argument: 'yTrue', structural: true, run: () => tf.tidy(() => get('meanSquaredError')(tf.zeros([32, 1]), tf.zeros([32]))) },
  { what: '[32] vs [32,1]', loss: 'binaryCrossentropy', argument: 'yTrue', structural: true, run: () => tf.tidy(() => get('binaryCrossentropy')(tf.zeros([32]), tf.fill([32, 1], 0.5))) },
  { what: 'one-hot [2,3] vs predictions [2,4]', loss: 'categoricalCrossentropy', argument: 'yTrue', structural: true, run: call('categoricalCrossentropy', {}, Y, [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]]) },
  { what: 'labels [2,3] for predictions [2,3]', loss: 'sparseCategoricalCrossentropy', argument: 'yTrue', structural: true, run: call('sparseCategoricalCrossentropy', {}, Y, P) },
  { what: 'predictions of rank 0', loss: 'sparseCategoricalCrossentropy', argument: 'yPred', structural: true, run: call('sparseCategoricalCrossentropy', {}, [1], 0.8) },
  { what: 'a scalar yTrue', loss: 'cosineSimilarity', argument: 'yTrue', structural: true, run: call('cosineSimilarity', {}, 1, [1, 2]) },
  { what: 'axis beyond the rank', loss: 'cosineSimilarity', argument: 'options.axis', structural: true, run: call('cosineSimilarity', { axis: 2 }, Y, P) },
  { what: 'axis beyond the rank', loss: 'categoricalCrossentropy', argument: 'options.axis', structural: true, run: call('categoricalCrossentropy', { axis: -3 }, Y, P) },
  { what: 'a disposed tensor', loss: 'huber', argument: 'yPred', structural: true, run: () => { const t = tf.zeros([2]); t.dispose(); return get('huber')([0, 0], t); } },
  // Sparse labels.
  { what: 'label 3 of 3 classes', loss: 'sparseCategoricalCrossentropy', argument: 'yTrue', structural: false, run: call('sparseCategoricalCrossentropy', {}, [0, 3], P) },
  { what: 'label -1', loss: 'sparseCategoricalCrossentropy', argument: 'yTrue', structural: false, run: call('sparseCategoricalCrossentropy', { fromLogits: true }, [-1, 0], P) },
  { what: 'non-integer label 1.5', loss: 'sparseCategoricalCrossentropy', argument: 'yTrue', structural: false, run: call('sparseCategoricalCrossentropy', {}, [1.5, 0], P) },
  { what: 'label -1 with ignoreIndex -100', loss: 'sparseCategoricalCrossentropy', argument: 'yTrue', structural: false, run: call('sparseCategoricalCrossentropy', { ignoreIndex: -100 }, [-1, -100], P) },
  { what: 'NaN label', loss: 'sparseCategoricalCrossentropy', argument: 'yTrue', structural: false, run: call('sparseCategoricalCrossentropy', {}, [NaN, 0], P) },
  // Probabilities with fromLogits = false.
  ...(['binaryCrossentropy', 'binaryFocalCrossentropy'] as const).flatMap((loss) => [
    { what: 'probability 1.2', loss, argument: 'yPred', structural: false, run: call(loss, {}, [[1, 0]], [[1.2, 0.5]]) },
    { what: 'probability -0.1', loss, argument: 'yPred', structural: false, run: call(loss, { fromLogits: false }, [[1, 0]], [[0.5, -0.1]]) },
    { what: 'label 2', loss, argument: 'yTrue', structural: false, run: call(loss, { fromLogits: true }, [[2, 0]], [[3, -3]]) },
  ]),
  ...(['categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'categoricalFocalCrossentropy', 'polyCrossentropy', 'generalizedCrossentropy', 'kullbackLeiblerDivergence'] as const).map((loss) => ({
    what: 'probability 1.5',
    loss,
    argument: 'yPred',
    structural: false,
    run: call(loss, {}, loss === 'sparseCategoricalCrossentropy' ? [2, 0] : Y, [[1.5, -0.5, 0], [0.6, 0.2, 0.2]]),
  })),
  { what: 'probability target 1.5', loss: 'kullbackLeiblerDivergence', argument: 'yTrue', structural: false, run: call('kullbackLeiblerDivergence', {}, [[1.5, -0.5, 0], [0.6, 0.2, 0.2]], P) },
  // Label conventions.
  { what: 'labels mixing 0 and -1', loss: 'hinge', argument: 'yTrue', structural: false, run: call('hinge', {}, [[0, -1, 1]], [[0.5, 0.5, 0.5]]) },
  { what: 'label 0.5', loss: 'squaredHinge', argument: 'yTrue', structural: false, run: call('squaredHinge', {}, [[0.5, 1, 1]], [[0.5, 0.5, 0.5]]) },
  { what: 'label -1', loss: 'categoricalHinge', argument: 'yTrue', structural: false, run: call('categoricalHinge', {}, [[-1, 1, -1]], [[0.5, 0.5, 0.5]]) },
  { what: 'a negative variance', loss: 'gaussianNll', argument: 'yPred', structural: false, run: call('gaussianNll', {}, [[1, 2]], [[1, 2, 0.5, -0.1]]) },
  { what: 'targets [1,3] for yPred [1,5] (2K or K + 1 columns)', loss: 'gaussianNll', argument: 'yTrue', structural: true, run: call('gaussianNll', {}, [[1, 2, 3]], [[1, 2, 0.5, 1, 2]]) },
  { what: 'yPred of rank 1 for targets [2]', loss: 'gaussianNll', argument: 'yPred', structural: true, run: call('gaussianNll', {}, [[1], [2]], [1, 2]) },
  { what: 'eps 0', loss: 'gaussianNll', argument: 'options.eps', structural: true, run: build('gaussianNll', { eps: 0 }) },
  { what: 'full "yes"', loss: 'gaussianNll', argument: 'options.full', structural: true, run: build('gaussianNll', { full: 'yes' }) },
  { what: 'negative counts', loss: 'poisson', argument: 'yTrue', structural: false, run: call('poisson', {}, [[-1]], [[1]]) },
  { what: 'negative rate', loss: 'poisson', argument: 'yPred', structural: false, run: call('poisson', {}, [[1]], [[-1]]) },
  // Options: ranges, types, lengths.
  { what: 'labelSmoothing 1.5', loss: 'binaryCrossentropy', argument: 'options.labelSmoothing', structural: true, run: build('binaryCrossentropy', { labelSmoothing: 1.5 }) },
  { what: 'labelSmoothing -0.1', loss: 'categoricalCrossentropy', argument: 'options.labelSmoothing', structural: true, run: build('categoricalCrossentropy', { labelSmoothing: -0.1 }) },
  { what: 'delta -1', loss: 'huber', argument: 'options.delta', structural: true, run: build('huber', { delta: -1 }) },
  { what: 'beta -1', loss: 'smoothL1', argument: 'options.beta', structural: true, run: build('smoothL1', { beta: -1 }) },
  { what: 'quantile 1', loss: 'quantile', argument: 'options.quantile', structural: true, run: build('quantile', { quantile: 1 }) },
  { what: 'quantile 0', loss: 'quantile', argument: 'options.quantile', structural: true, run: build('quantile', { quantile: 0 }) },
  { what: 'logInput "yes"', loss: 'poisson', argument: 'options.logInput', structural: true, run: build('poisson', { logInput: 'yes' }) },
  { what: 'fromLogits 1', loss: 'binaryCrossentropy', argument: 'options.fromLogits', structural: true, run: build('binaryCrossentropy', { fromLogits: 1 }) },
  { what: 'posWeight -1', loss: 'binaryCrossentropy', argument: 'options.posWeight', structural: true, run: build('binaryCrossentropy', { posWeight: -1 }) },
  { what: 'posWeight of the wrong length', loss: 'binaryCrossentropy', argument: 'options.posWeight', structural: true, run: call('binaryCrossentropy', { posWeight: [1, 2, 3] }, [[1, 0]], [[0.5, 0.5]]) },
  { what: 'gamma -1', loss: 'binaryFocalCrossentropy', argument: 'options.gamma', structural: true, run: build('binaryFocalCrossentropy', { gamma: -1 }) },
  { what: 'alpha 1.5', loss: 'binaryFocalCrossentropy', argument: 'options.alpha', structural: true, run: build('binaryFocalCrossentropy', { alpha: 1.5 }) },
  { what: 'applyClassBalancing "true"', loss: 'binaryFocalCrossentropy', argument: 'options.applyClassBalancing', structural: true, run: build('binaryFocalCrossentropy', { applyClassBalancing: 'true' }) },
  { what: 'gamma NaN', loss: 'categoricalFocalCrossentropy', argument: 'options.gamma', structural: true, run: build('categoricalFocalCrossentropy', { gamma: NaN }) },
  { what: 'epsilon -2', loss: 'polyCrossentropy', argument: 'options.epsilon', structural: true, run: build('polyCrossentropy', { epsilon: -2 }) },
  { what: 'q 0', loss: 'generalizedCrossentropy', argument: 'options.q', structural: true, run: build('generalizedCrossentropy', { q: 0 }) },
  { what: 'q 1.5', loss: 'generalizedCrossentropy', argument: 'options.q', structural: true, run: build('generalizedCrossentropy', { q: 1.5 }) },
  { what: 'classWeight with a negative weight', loss: 'categoricalCrossentropy', argument: 'options.classWeight', structural: true, run: build('categoricalCrossentropy', { classWeight: [1, -1, 1] }) },
  { what: 'classWeight of the wrong length', loss: 'categoricalCrossentropy', argument: 'options.classWeight', structural: true, run: call('categoricalCrossentropy', { classWeight: [1, 2] }, Y, P) },
  { what: 'classWeight of the wrong length', loss: 'sparseCategoricalCrossentropy', argument: 'options.classWeight', structural: true, run: call('sparseCategoricalCrossentropy', { classWeight: [1, 2, 3, 4] }, [0, 1], P) },
  { what: 'ignoreIndex 1.5', loss: 'sparseCategoricalCrossentropy', argument: 'options.ignoreIndex', structural: true, run: build('sparseCategoricalCrossentropy', { ignoreIndex: 1.5 }) },
  { what: 'axis 0.5', loss: 'cosineSimilarity', argument: 'options.axis', structural: true, run: build('cosineSimilarity', { axis: 0.5 }) },
  { what: 'axis on a loss without one', loss: 'hinge', argument: 'options.axis', structural: true, run: build('hinge', { axis: 1 }) },
  { what: 'axis 3 for yPred of rank 2', loss: 'kullbackLeiblerDivergence', argument: 'options.axis', structural: true, run: call('kullbackLeiblerDivergence', { axis: 3 }, P, P) },
  { what: 'logTargets "yes"', loss: 'kullbackLeiblerDivergence', argument: 'options.logTargets', structural: true, run: build('kullbackLeiblerDivergence', { logTargets: 'yes' }) },
  { what: 'a negative prediction', loss: 'generalizedKullbackLeibler', argument: 'yPred', structural: false, run: call('generalizedKullbackLeibler', {}, P, [[0.5, -0.1, 1], [1, 1, 1]]) },
  { what: '+Infinity logit', loss: 'safeSoftmaxCrossentropy', argument: 'yPred', structural: false, run: call('safeSoftmaxCrossentropy', {}, Y, [[0, Infinity, 1], [1, 1, 1]]) },
  { what: 'options that are not an object', loss: 'meanSquaredError', argument: 'options', structural: true, run: () => (losses.meanSquaredError as (o: unknown) => Loss)(5) },
  { what: 'mask of a wrong [B,L] shape', loss: 'cosineSimilarity', argument: 'call.mask', structural: true, run: () => tf.tidy(() => get('cosineSimilarity', { axis: 1 })(tf.ones([2, 3, 4]), tf.ones([2, 3, 4]), { mask: tf.ones([2, 3]) })) },
];

describe('loss-specific bad inputs', () => {
  for (const c of SPECIFIC) {
    test(`${c.loss}: ${c.what} → LossInputError naming ${c.argument}`, () => assertRejects(c.run, c.argument, c.loss));
  }
});

// ───────────────────────────── setValueChecks(false) ─────────────────────────────

describe('with setValueChecks(false)', () => {
  /** Runs `fn` with value checks off, restoring the previous setting whatever happens. */
  function withoutValueChecks(fn: () => void): void {
    const previous = setValueChecks(false);
    try {
      fn();
    } finally {
      setValueChecks(previous);
    }
  }

  test('value checks are skipped: out-of-range values go through', () => {
    withoutValueChecks(() => {
      const skipped: [string, () => unknown][] = [
        ['binaryCrossentropy probability 1.2', call('binaryCrossentropy', {}, [[1, 0]], [[1.2, 0.5]])],
        ['kullbackLeiblerDivergence probability 1.5', call('kullbackLeiblerDivergence', {}, Y, [[1.5, -0.5, 0], [0.6, 0.2, 0.2]])],
        ['hinge labels mixing 0 and -1', call('hinge', {}, [[0, -1, 1]], [[0.5, 0.5, 0.5]])],
        ['huber NaN label', call('huber', {}, [[NaN, 1]], [[0, 1]])],
        ['sparseCategoricalCrossentropy label 1.5', call('sparseCategoricalCrossentropy', {}, [1.5, 0], P)],
        ['meanSquaredError negative sampleWeight', call('meanSquaredError', {}, [[1], [2]], [[0], [0]], { sampleWeight: [-1, 1] })],
        ['meanSquaredError mask 0.5', call('meanSquaredError', {}, [[1], [2]], [[0], [0]], { mask: [0.5, 1] })],
      ];
      for (const [what, run] of skipped) {
        assert.doesNotThrow(() => tf.dispose(run() as tf.Tensor), what);
      }
    });
  });

  test('shape, type, option and call-entry checks still throw', () => {
    withoutValueChecks(() => {
      const structural = [
        ...SPECIFIC.filter((c) => c.structural).map((c) => ({ what: `${c.loss}: ${c.what}`, argument: c.argument, loss: c.loss, run: c.run })),
        ...CORRUPTIONS.filter((c) => c.structural).map((c) => {
          const name = 'categoricalCrossentropy';
          return { what: `${name}: ${c.what}`, argument: c.argument, loss: name, run: () => c.run(name, 'categorical', validInputs('categorical')) };
        }),
      ];
      assert.ok(structural.length > 20);
      for (const c of structural) {
        try {
          assertRejects(c.run, c.argument, c.loss);
        } catch (e) {
          assert.fail(`${c.what}: ${(e as Error).message}`);
        }
      }
    });
  });

  test('the setting is restored', () => {
    assertRejects(call('binaryCrossentropy', {}, [[1, 0]], [[1.2, 0.5]]), 'yPred', 'binaryCrossentropy');
  });
});
