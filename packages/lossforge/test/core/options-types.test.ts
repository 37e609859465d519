/**
 * The public option types: each loss's factory is `(options?: XOptions) => Loss<ResolvedOptions<XOptions>>`,
 * wrong option types and unknown options are compile errors (the `@ts-expect-error` lines fail
 * `npm run typecheck` if they stop being errors), and option specs are checked against the interface.
 * The same calls run here too, to show that what the types reject the runtime rejects as well.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  defineLoss,
  gan,
  LossInputError,
  losses,
  option,
  penalties,
  type BaseLossOptions,
  type BinaryFocalCrossentropyOptions,
  type CtcOptions,
  type DiceOptions,
  type HuberOptions,
  type L2Options,
  type Loss,
  type LossFactory,
  type OptionSpecsFor,
  type Reduction,
  type ResolvedOptions,
  type SparseCategoricalCrossentropyOptions,
  type TripletMarginOptions,
} from '../../src/index.js';
import { useBackend } from '../helpers/backends.js';

await useBackend('cpu');

/** True when A and B are the same type (not merely assignable both ways). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typeIs = <T extends true>(_proof: T): void => {};

/** Asserts at run time what the @ts-expect-error above the call asserts at compile time. */
const rejects = (make: () => unknown, optionName: string): void =>
  assert.throws(make, (e: unknown) => e instanceof LossInputError && e.message.includes(`options.${optionName}`));

test('a factory is typed by its options interface, and loss.options by the resolved options', () => {
  typeIs<Equal<typeof losses.huber, LossFactory<HuberOptions>>>(true);
  typeIs<Equal<Parameters<typeof losses.huber>[0], HuberOptions | undefined>>(true);
  typeIs<Equal<ReturnType<typeof losses.huber>, Loss<ResolvedOptions<HuberOptions>>>>(true);
  typeIs<Equal<Parameters<typeof losses.binaryFocalCrossentropy>[0], BinaryFocalCrossentropyOptions | undefined>>(true);
  typeIs<Equal<Parameters<typeof losses.ctc>[0], CtcOptions | undefined>>(true);
  typeIs<Equal<Parameters<typeof losses.dice>[0], DiceOptions | undefined>>(true);
  typeIs<Equal<Parameters<typeof losses.tripletMargin>[0], TripletMarginOptions | undefined>>(true);
  typeIs<Equal<Parameters<typeof losses.meanSquaredError>[0], BaseLossOptions | undefined>>(true);
  typeIs<Equal<Parameters<typeof penalties.l2>[0], L2Options | undefined>>(true);

  const huber = losses.huber({ delta: 2 });
  const delta: number = huber.options.delta;
  const reduction: Reduction = huber.options.reduction;
  assert.deepEqual({ delta, reduction }, { delta: 2, reduction: 'mean' });

  // An option without a default stays `T | undefined` once resolved; one with a default does not.
  const scce = losses.sparseCategoricalCrossentropy({ ignoreIndex: -100 });
  const ignoreIndex: number | undefined = scce.options.ignoreIndex;
  const fromLogits: boolean = scce.options.fromLogits;
  typeIs<Equal<typeof scce.options.ignoreIndex, number | undefined>>(true);
  // @ts-expect-error classWeight has no default: it may be undefined
  const classWeight: number[] = scce.options.classWeight;
  assert.deepEqual({ ignoreIndex, fromLogits, classWeight }, { ignoreIndex: -100, fromLogits: false, classWeight: undefined });
});

test('wrong option types and unknown options are compile errors in every family, and throw at run time', () => {
  // @ts-expect-error delta is a number
  rejects(() => losses.huber({ delta: '1' }), 'delta');
  // @ts-expect-error unknown option (regression)
  rejects(() => losses.meanSquaredError({ delta: 1 }), 'delta');
  // @ts-expect-error gamma is a number
  rejects(() => losses.binaryFocalCrossentropy({ gamma: true }), 'gamma');
  // @ts-expect-error posWeight is a number or number[]
  rejects(() => losses.binaryCrossentropy({ posWeight: 'high' }), 'posWeight');
  // @ts-expect-error unknown option (margin)
  rejects(() => losses.hinge({ margin: 1 }), 'margin');
  // @ts-expect-error axis is a number (divergence)
  rejects(() => losses.cosineSimilarity({ axis: 'last' }), 'axis');
  // @ts-expect-error blank is a number (sequence)
  rejects(() => losses.ctc({ blank: '0' }), 'blank');
  // @ts-expect-error mode is 'binary' | 'multiclass' | 'multilabel' (segmentation)
  rejects(() => losses.dice({ mode: 'ternary' }), 'mode');
  // @ts-expect-error unknown option: lovaszHinge has no classWeight
  rejects(() => losses.lovaszHinge({ classWeight: [1, 2] }), 'classWeight');
  // @ts-expect-error mining is 'batchAll' | 'batchHard' | 'semiHard' (metric)
  rejects(() => losses.tripletMargin({ mining: 'hardest' }), 'mining');
  // @ts-expect-error reduction is one of the four reductions
  rejects(() => losses.ntXent({ reduction: 'max' }), 'reduction');
  // @ts-expect-error labelSmoothing is a number (gan)
  rejects(() => gan.discriminatorLoss('minimax', [1], [0], { labelSmoothing: 'a little' }), 'labelSmoothing');
  // @ts-expect-error lambda is a number (gan)
  rejects(() => gan.gradientPenalty((x: tf.Tensor) => x, [[1]], [[0]], { lambda: '10' }), 'lambda');
  // @ts-expect-error mode is 'columns' | 'rows' (penalties)
  rejects(() => penalties.orthogonal({ mode: 'diagonal' }), 'mode');
  // @ts-expect-error unknown option: orthogonal has no includeBiases
  rejects(() => penalties.orthogonal({ includeBiases: true }), 'includeBiases');
});

test('option specs are checked against the options interface', () => {
  const compute = (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor => tf.sub(yTrue, yPred);
  const base = { layout: 'elementwise', compute, replace: true } as const;
  // @ts-expect-error a default of the wrong type
  defineLoss<HuberOptions>({ ...base, name: 'typesWrongDefault', options: { delta: option.boolean(true) } });
  // @ts-expect-error a missing option
  defineLoss<HuberOptions>({ ...base, name: 'typesMissing', options: {} });
  // @ts-expect-error an option the interface does not declare
  defineLoss<HuberOptions>({ ...base, name: 'typesExtra', options: { delta: option.number(1), beta: option.number(1) } });
  // @ts-expect-error no default for an option not declared as unset
  defineLoss<HuberOptions>({ ...base, name: 'typesUnset', options: { delta: option.optionalNumber() } });
  // @ts-expect-error ignoreIndex and classWeight have no default, so they must be named as unset
  const specs: OptionSpecsFor<SparseCategoricalCrossentropyOptions> = { fromLogits: option.boolean(false), axis: option.axis(-1), ignoreIndex: option.optionalInteger(), classWeight: option.optionalNumberArray() };

  const checked = defineLoss<HuberOptions>({
    ...base,
    name: 'typesChecked',
    options: { delta: option.number(3) },
    compute: (yTrue, yPred, { delta }: ResolvedOptions<HuberOptions>) => tf.mul(delta, tf.sub(yTrue, yPred)),
  });
  typeIs<Equal<typeof checked, LossFactory<HuberOptions>>>(true);
  assert.equal(checked().options.delta, 3);
  assert.equal(Object.keys(specs).length, 4);
});

test('a user loss without an interface gets its option types from the specs', () => {
  const scaledAbs = defineLoss({
    name: 'typesScaledAbs',
    layout: 'elementwise',
    replace: true,
    options: { scale: option.number(2, { min: 0 }), shift: option.optionalNumber() },
    compute: (yTrue, yPred, { scale, shift }) => tf.add(tf.mul(scale, tf.abs(tf.sub(yTrue, yPred))), shift ?? 0),
  });
  const loss = scaledAbs({ scale: 3, reduction: 'sum' });
  const scale: number = loss.options.scale;
  typeIs<Equal<typeof loss.options.shift, number | undefined>>(true);
  // @ts-expect-error scale is a number
  rejects(() => scaledAbs({ scale: 'big' }), 'scale');
  // @ts-expect-error unknown option
  rejects(() => scaledAbs({ scal: 3 }), 'scal');
  assert.equal(scale, 3);
  const value = loss(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 0]]));
  assert.ok(Math.abs((value.dataSync()[0] ?? NaN) - 4.5) < 1e-6); // mean(3·1, 3·2) = 4.5 per sample, one sample
  value.dispose();
});

/** The value a `@defaultValue` tag states: `undefined …`, a number, `true`/`false`, or a quoted string. */
function statedDefault(text: string): unknown {
  const first = text.trim().split(/\s/)[0]!;
  if (first === 'undefined') return undefined;
  if (first === 'true' || first === 'false') return first === 'true';
  if (/^'.*'$/.test(first)) return first.slice(1, -1);
  const n = Number(first);
  assert.ok(Number.isFinite(n), `cannot read @defaultValue ${text}`);
  return n;
}

test("every built-in loss's options interface documents each option with the @defaultValue the loss really uses", async () => {
  const ts = (await import('typescript')).default;
  const entry = new URL('../../src/losses/index.ts', import.meta.url).pathname;
  const program = ts.createProgram([entry], {
    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true, types: [], lib: ['lib.es2022.d.ts'], // no DOM or @types: only the doc comments are read, not diagnostics
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  let checked = 0;
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const factory = (losses as Record<string, unknown>)[exported.name] as { lossName?: string; (): Loss } | undefined;
    if (typeof factory !== 'function' || typeof factory.lossName !== 'string') continue;
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const signature = checker.getTypeOfSymbol(symbol).getCallSignatures()[0]!;
    const optionsType = checker.getNonNullableType(checker.getTypeOfSymbol(signature.parameters[0]!));
    const documented = new Map<string, unknown>();
    for (const property of checker.getPropertiesOfType(optionsType)) {
      const tag = property.getJsDocTags(checker).find((t) => t.name === 'defaultValue');
      assert.ok(tag, `${exported.name}: option ${property.name} has no @defaultValue`);
      documented.set(property.name, statedDefault(ts.displayPartsToString(tag.text)));
    }
    // arcFace and cosFace cannot be made without the sizes of their class-center matrix (documented 'undefined (required)').
    const required: Record<string, number> = ['arcFace', 'cosFace'].includes(factory.lossName) ? { numClasses: 2, embeddingDim: 2 } : {};
    const made = (factory as unknown as (o: object) => Loss)(required);
    const resolved = made.options as Record<string, unknown>;
    made.dispose?.();
    assert.deepEqual(Object.keys(resolved).sort(), [...documented.keys()].sort(), `${exported.name}: options interface vs specs`);
    for (const [name, value] of documented) if (!(name in required)) assert.deepEqual(resolved[name], value, `${exported.name}.${name}: @defaultValue`);
    checked++;
  }
  const factories = Object.values(losses).filter((f) => typeof f === 'function' && typeof (f as { lossName?: unknown }).lossName === 'string');
  assert.equal(checked, factories.length); // every built-in factory (33), none skipped
});
