/**
 * Property-based fuzzing of every registered loss (`losses.list()`) on the cpu and wasm backends,
 * fused kernels on (threshold 0) and off. Each case draws a loss, sizes (batch 0, 1 and more; width
 * 1 and more), a value scale (1 up to 1e30, and 1e-30), options, a reduction, sample weights, the
 * input form (tensors, plain arrays, int32 predictions, bool labels) and at most one corruption (NaN, ±Infinity,
 * a ragged array, an unbatched example). The property, the Loss contract of src/core/loss.ts:
 *
 *   the call returns a finite value with a finite gradient — equal on the fused and composite paths
 *   (1e-5 relative), on cpu and wasm, and to a float64 reference where there is one (REFERENCES in
 *   test/helpers/lossInputs.ts: the classic losses with one-line formulas) — or throws a
 *   LossInputError naming a real argument (the corrupted one, when a corruption was made); nothing
 *   else; and no tensor is left behind, also when the call throws inside tf.valueAndGrad.
 *
 * The references are honest about what they are: float64 JavaScript for the losses in REFERENCES;
 * for the others, the composite path (itself checked against PyTorch 1.13 fixtures in golden.test.ts
 * and the family tests) is the reference for the fused path and cpu for wasm.
 *
 * Budget: FUZZ_RUNS cases per backend (default 150, seeds fixed: FUZZ_SEED, default 13), a few
 * seconds; `FUZZ_RUNS=20000 node --import tsx --test test/losses/fuzz.test.ts` for a long run.
 * The counts are printed as test diagnostics.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend, type BackendName } from '../helpers/backends.js';
import { seeded } from '../helpers/random.js';
import { generateCase, REFERENCES, reduceReference, type Nested } from '../helpers/lossInputs.js';
import { losses, LossInputError, REDUCTIONS, setValueChecks } from '../../src/index.js';
import { fusedKernelsReady, setFusedThreshold } from '../../src/kernels/index.js';
import { withFused } from '../helpers/fused.js';

/** Losses that take inputs of any rank ≥ 2 ([B, …spatial]): every input is a batch, there is no unbatched example (docs/inputs.md). */
const NO_UNBATCHED_FORM = new Set(['dice', 'tversky', 'focalTversky', 'jaccard', 'lovaszHinge', 'lovaszSoftmax']);
/** The elementwise layout: rank 1 is a batch ([B]: one value per sample), so an unbatched example is a scalar. */
const ELEMENTWISE = new Set(['meanSquaredError', 'meanAbsoluteError', 'meanAbsolutePercentageError', 'meanSquaredLogarithmicError', 'huber', 'smoothL1', 'logCosh', 'quantile', 'poisson', 'binaryCrossentropy', 'binaryFocalCrossentropy', 'hinge', 'squaredHinge']);
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 13);
const NAMES = losses.list();
const CORRUPTIONS = ['none', 'none', 'none', 'nanPred', 'infPred', 'nanTrue', 'ragged', 'unbatched', 'typedPred', 'boolTrue'] as const;
/** Losses whose yTrue holds 0/1 labels, given as a bool tensor by the 'boolTrue' variant. */
const BINARY_LABELS = new Set(['binaryCrossentropy', 'binaryFocalCrossentropy', 'categoricalCrossentropy', 'categoricalFocalCrossentropy', 'categoricalHinge', 'dice', 'tversky', 'focalTversky', 'jaccard', 'lovaszHinge']);
type Corruption = (typeof CORRUPTIONS)[number];

interface Params {
  loss: string;
  batch: number;
  width: number;
  scale: number;
  reduction: (typeof REDUCTIONS)[number];
  weighted: boolean;
  plainArrays: boolean;
  corruption: Corruption;
  seed: number;
}

const params: fc.Arbitrary<Params> = fc.record({
  loss: fc.constantFrom(...NAMES),
  batch: fc.constantFrom(0, 1, 1, 2, 3, 4, 6),
  width: fc.constantFrom(1, 2, 3, 5),
  scale: fc.constantFrom(1, 1, 1, 1e-30, 1e3, 1e10, 1e20, 1e30),
  reduction: fc.constantFrom(...REDUCTIONS),
  weighted: fc.boolean(),
  plainArrays: fc.boolean(),
  corruption: fc.constantFrom(...CORRUPTIONS),
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
});

/** What a call gave: values and gradient (with respect to yPred), or the LossInputError it threw. */
type Outcome = { value: number[]; grad: number[] } | { error: LossInputError };

interface Counts {
  cases: number;
  calls: number;
  typedErrors: number;
  finiteValues: number;
  referenceChecked: number;
  emptyBatches: number;
  crossBackendChecked: number;
  /** Typed errors by argument and the start of what was expected. */
  errorKinds: Record<string, number>;
}

const counts = new Map<BackendName, Counts>();
/** The cpu outcome of each case (by its parameters), for the wasm run to compare with. */
const cpuValues = new Map<string, number[]>();

const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [Number(x)]);
const shapeOf = (x: Nested): number[] => (Array.isArray(x) ? [x.length, ...(x.length > 0 ? shapeOf(x[0]!) : [])] : []);
const setFlat = (x: Nested[], index: number, value: number): Nested[] => {
  let i = 0;
  const walk = (v: Nested): Nested => (Array.isArray(v) ? v.map(walk) : i++ === index ? value : v);
  return walk(x) as Nested[];
};

/** Runs `loss` on the inputs: the value, and the gradient of Σ (value · (1, 2, …)) with respect to yPred. */
function evaluate(p: Params, options: Record<string, unknown>, yTrue: unknown, yPred: unknown, call: Record<string, unknown>): Outcome {
  const loss = losses.fromConfig({ name: p.loss, ...options, reduction: p.reduction } as never);
  try {
    const value = loss(yTrue as never, yPred as never, call);
    const v = Array.from(value.dataSync());
    value.dispose();
    const x = yPred instanceof tf.Tensor ? (yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32')) : tf.tensor(yPred as number[]);
    const { value: y, grad } = tf.valueAndGrad((t: tf.Tensor) => {
      const out = loss(yTrue as never, t, call);
      return tf.sum(tf.mul(out, tf.add(tf.range(0, out.size, 1, 'float32').reshape(out.shape), 1))) as tf.Scalar;
    })(x);
    const g = Array.from(grad.dataSync());
    tf.dispose([y, grad]);
    if (x !== yPred) x.dispose();
    return { value: v, grad: g };
  } catch (e) {
    if (!(e instanceof LossInputError)) throw new Error(`${p.loss}: not a LossInputError: ${(e as Error).stack}`);
    // The same call inside tf.valueAndGrad must throw the same error and leave nothing on the tape.
    if (yPred instanceof tf.Tensor && yPred.dtype === 'float32') {
      assert.throws(() => tf.valueAndGrad((t: tf.Tensor) => tf.sum(loss(yTrue as never, t, call)) as tf.Scalar)(yPred), LossInputError);
    }
    return { error: e };
  } finally {
    loss.dispose?.(); // a loss with trainable state (arcFace, adaptiveRobust…) owns variables
  }
}


const finite = (xs: number[]) => xs.every(Number.isFinite);
/** |a − b| ≤ rtol·|b| + atol, atol = 1e-6 (float32 noise, as in test/helpers/assert.ts) + rtol/10 of the largest |b|. */
function close(a: number[], b: number[], rtol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: ${a.length} values, expected ${b.length}`);
  const atol = 1e-6 + 0.1 * rtol * Math.max(0, ...b.map(Math.abs));
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= rtol * Math.abs(b[i]!) + atol, `${what}[${i}]: ${a[i]} vs ${b[i]} (rtol ${rtol}, atol ${atol})`);
  }
}

/** The names a LossInputError may give for a loss call: the inputs, the call entries, the options. */
function realArgument(argument: string, options: Record<string, unknown>): boolean {
  if (['yTrue', 'yPred', 'call.sampleWeight', 'call.mask', 'call.inputLengths'].includes(argument)) return true;
  return argument.startsWith('options.') && argument.slice(8) in options;
}

function runCase(backend: BackendName, p: Params): void {
  const c = counts.get(backend)!;
  c.cases++;
  const rand = seeded(p.seed);
  const made = generateCase(p.loss, { batch: p.batch, width: p.width }, rand, p.scale);
  let yTrue: Nested[] | Nested = made.yTrue;
  let yPred: Nested[] | Nested = made.yPred;
  let corrupted: 'yTrue' | 'yPred' | undefined;
  let unbatched = false;
  const predSize = flat(made.yPred).length;
  const trueSize = flat(made.yTrue).length;
  if ((p.corruption === 'nanPred' || p.corruption === 'infPred') && predSize > 0) {
    yPred = setFlat(made.yPred, Math.floor(rand() * predSize), p.corruption === 'nanPred' ? NaN : rand() < 0.5 ? Infinity : -Infinity);
    corrupted = 'yPred';
  } else if (p.corruption === 'nanTrue' && trueSize > 0) {
    yTrue = setFlat(made.yTrue, Math.floor(rand() * trueSize), NaN);
    corrupted = 'yTrue';
  } else if (p.corruption === 'ragged' && p.batch >= 2 && Array.isArray(made.yPred[1]) && (made.yPred[1] as Nested[]).length > 0) {
    yPred = made.yPred.map((row, i) => (i === 1 ? (row as Nested[]).slice(0, -1) : row));
    corrupted = 'yPred';
  } else if (p.corruption === 'unbatched' && p.batch === 1 && (!ELEMENTWISE.has(p.loss) || p.width === 1)) {
    // (An elementwise example is a scalar: a rank-1 [K] is a batch of K one-value samples.)
    [yTrue, yPred] = [made.yTrue[0]!, made.yPred[0]!];
    unbatched = true;
  }
  const weights = p.weighted ? Array.from({ length: p.batch }, () => rand() * 2) : undefined;
  const call: Record<string, unknown> = weights ? { sampleWeight: unbatched ? weights[0] : weights } : {};
  const typed = p.corruption === 'typedPred' && ['hinge', 'squaredHinge', 'meanSquaredError', 'meanAbsoluteError', 'huber', 'logCosh', 'quantile'].includes(p.loss);
  // An empty batch needs its full shape ([0, K]), which only a tensor carries: `[]` is a [0] tensor.
  const one = generateCase(p.loss, { batch: 1, width: p.width }, seeded(0), 1);
  const shapes = { yTrue: [p.batch, ...shapeOf(one.yTrue[0]!)], yPred: [p.batch, ...shapeOf(one.yPred[0]!)] };
  const toInput = (x: Nested[] | Nested, dtype: 'float32' | 'int32' | 'bool', which: 'yTrue' | 'yPred'): unknown => {
    if ((p.plainArrays && p.batch > 0) || corrupted !== undefined) return x; // ragged arrays can only be arrays
    const shape = unbatched ? shapeOf(x) : shapes[which];
    return dtype === 'bool' ? tf.tensor(flat(x).map((v) => v !== 0), shape, 'bool') : tf.tensor(dtype === 'int32' ? flat(x).map(Math.round) : flat(x), shape, dtype);
  };
  const before = tf.memory().numTensors;
  const boolTrue = p.corruption === 'boolTrue' && BINARY_LABELS.has(p.loss) && !p.plainArrays;
  const trueInput = toInput(yTrue, boolTrue ? 'bool' : made.yTrueDtype, 'yTrue');
  const predInput = toInput(yPred, typed ? 'int32' : 'float32', 'yPred');
  const owned = [trueInput, predInput].filter((t): t is tf.Tensor => t instanceof tf.Tensor);
  const afterInputs = tf.memory().numTensors;

  const outcomes = [true, false].map((on) => withFused(on, () => evaluate(p, made.options, trueInput, predInput, call)));
  c.calls += 2;
  tf.dispose(owned);
  assert.equal(tf.memory().numTensors, before, `${p.loss}: leaked ${tf.memory().numTensors - before} tensors (inputs: ${afterInputs - before})`);

  const [fused, composite] = outcomes as [Outcome, Outcome];
  const what = `${p.loss} ${JSON.stringify(made.options)} ${p.reduction} B=${p.batch} K=${p.width} scale=${p.scale} ${p.corruption}`;
  if ('error' in fused || 'error' in composite) {
    assert.ok('error' in fused && 'error' in composite, `${what}: one path threw, the other did not: ${'error' in fused ? fused.error.message : ''}${'error' in composite ? composite.error.message : ''}`);
    assert.equal(fused.error.message, composite.error.message, `${what}: fused and composite threw differently`);
    assert.ok(realArgument(fused.error.argument, made.options), `${what}: the error names '${fused.error.argument}', not an argument: ${fused.error.message}`);
    if (corrupted) assert.equal(fused.error.argument, corrupted, `${what}: expected the error to name ${corrupted}: ${fused.error.message}`);
    else if (unbatched && NO_UNBATCHED_FORM.has(p.loss)) assert.match(fused.error.message, /^\w+: yPred: expected rank/, what);
    else assert.ok((p.scale > 1 || typed) && /(finite|fit) in float32/.test(fused.error.expected), `${what}: a valid input was rejected: ${fused.error.message}`);
    const kind = `${fused.error.argument}: ${fused.error.expected.slice(0, 40)}`;
    c.errorKinds[kind] = (c.errorKinds[kind] ?? 0) + 2;
    c.typedErrors += 2;
    return;
  }
  assert.equal(corrupted, undefined, `${what}: the corrupted ${corrupted} was accepted, giving ${fused.value}`);
  for (const [path, o] of [['fused', fused], ['composite', composite]] as const) {
    assert.ok(finite(o.value), `${what}: ${path} value not finite: ${o.value}`);
    assert.ok(finite(o.grad), `${what}: ${path} gradient not finite: ${o.grad}`);
  }
  c.finiteValues += 2;
  close(fused.value, composite.value, 1e-5, `${what}: fused vs composite value`);
  close(fused.grad, composite.grad, 1e-3, `${what}: fused vs composite gradient`);
  if (p.batch === 0) {
    c.emptyBatches++;
    assert.deepEqual(fused.value, p.reduction === 'none' ? [] : [0], `${what}: an empty batch`);
    assert.ok(fused.grad.every((g) => g === 0), `${what}: the gradient of an empty batch`);
  }
  const reference = REFERENCES[p.loss];
  if (reference && !typed && p.batch > 0) {
    const round = (x: Nested) => (flat(x).map(Math.fround));
    const matrix = (x: Nested[]) => x.map((row) => round(row));
    const perSample = reference(matrix(made.yTrue), matrix(made.yPred), made.options);
    const expected = reduceReference(perSample, p.reduction, weights?.map(Math.fround));
    close(composite.value, expected, 1e-5, `${what}: value vs float64 reference`);
    c.referenceChecked++;
  }
  const key = JSON.stringify(p);
  if (backend === 'cpu') cpuValues.set(key, composite.value);
  else if (cpuValues.has(key)) {
    close(composite.value, cpuValues.get(key)!, 1e-5, `${what}: wasm vs cpu`);
    c.crossBackendChecked++;
  }
}

for (const backend of BACKENDS) {
  describe(`fuzz: every loss on ${backend}`, () => {
    test(`${RUNS} generated cases (seed ${SEED}), fused on and off`, async (t) => {
      await useBackend(backend);
      await fusedKernelsReady();
      const threshold = setFusedThreshold(0);
      const checks = setValueChecks(true);
      counts.set(backend, { cases: 0, calls: 0, typedErrors: 0, finiteValues: 0, referenceChecked: 0, emptyBatches: 0, crossBackendChecked: 0, errorKinds: {} });
      try {
        const details = fc.check(fc.property(params, (p) => runCase(backend, p)), { seed: SEED, numRuns: RUNS, endOnFailure: true });
        if (details.failed) {
          const error = details.errorInstance as Error | undefined;
          assert.fail(`counterexample ${JSON.stringify(details.counterexample)} (seed ${SEED}, path ${details.counterexamplePath}): ${error?.message}`);
        }
      } finally {
        setFusedThreshold(threshold);
        setValueChecks(checks);
      }
      t.diagnostic(`${backend}: ${JSON.stringify(counts.get(backend))}`);
    });
  });
}

after(() => {
  for (const [backend, c] of counts) console.log(`fuzz ${backend}: ${JSON.stringify(c)}`);
});
