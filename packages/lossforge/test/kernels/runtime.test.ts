/**
 * The kernel module itself (src/kernels/runtime.ts): the generated module matches its AssemblyScript
 * source, the kind and flag numbers of the JavaScript side match the module's, and the vector
 * approximations vexp / vlog (exposed as expOf / logOf) are within 1 ulp of float64 Math.exp / Math.log,
 * with the documented special values, vexpNonPos equals vexp on x ≤ 0, the softplus-tail polynomial
 * vlog1pUnit is within its documented 1.5e-7 of Math.log1p on [0, 1], CTC's float64 vexp64 is within
 * 7e-16 relative of Math.exp, and kernelsInMemory instantiates
 * the imported-memory module once per memory.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { sourceHash } from '../../src/kernels/generated/losses.wasm.js';
// @ts-expect-error: a plain .mjs build script without type declarations
import { sourcesHash } from '../../scripts/build-kernels.mjs';
import { fusedKernelsReady, getKernels, kernelsInMemory, KIND, Layout, type KernelExports } from '../../src/kernels/runtime.js';

let k: KernelExports;

before(async () => {
  assert.equal(await fusedKernelsReady(), true, 'the kernels load in Node');
  k = getKernels()!;
});

test('src/kernels/generated/losses.wasm.ts is built from the current .as sources (run npm run build:kernels)', () => {
  assert.equal(sourcesHash(fileURLToPath(new URL('../../src/kernels/assembly', import.meta.url))), sourceHash);
});

test('the elementwise kinds and CTC flags match the constants the module exports', () => {
  const exported = k as unknown as Record<string, WebAssembly.Global>;
  const names: Record<keyof typeof KIND, string> = {
    bceLogits: 'BCE_LOGITS',
    bceProbs: 'BCE_PROBS',
    mse: 'MSE',
    mae: 'MAE',
    logCosh: 'LOG_COSH',
    huber: 'HUBER',
    smoothL1: 'SMOOTH_L1',
    focalLogits: 'FOCAL_LOGITS',
    focalProbs: 'FOCAL_PROBS',
  };
  for (const [kind, name] of Object.entries(names)) assert.equal(KIND[kind as keyof typeof KIND], exported[name]!.value, name);
  // src/kernels/ctc.ts: FROM_LOGITS = 1, ZERO_INFINITY = 2.
  assert.equal(exported['CTC_FROM_LOGITS']!.value, 1);
  assert.equal(exported['CTC_ZERO_INFINITY']!.value, 2);
});

type Approximation = 'expOf' | 'logOf' | 'expNonPosOf' | 'log1pUnitOf';

/** Runs one of the exposed approximations in place on float32 copies of `xs`. */
function apply(fn: Approximation, xs: readonly number[]): Float32Array {
  const layout = new Layout(k);
  const p = layout.reserve(xs.length);
  layout.commit();
  layout.f32(p, xs.length).set(xs);
  k[fn](p, xs.length);
  return layout.f32(p, xs.length).slice();
}

/** The spacing of float32 numbers at |v|. */
function ulp(v: number): number {
  const bits = new Int32Array(new Float32Array([Math.abs(v)]).buffer);
  const a = new Float32Array(bits.buffer)[0]!;
  bits[0]! += 1;
  return new Float32Array(bits.buffer)[0]! - a;
}

function assertWithinUlp(fn: Approximation, reference: (x: number) => number, xs: number[]): void {
  const out = apply(fn, xs);
  xs.forEach((x, i) => {
    const expected = reference(x);
    const error = Math.abs(out[i]! - expected) / ulp(expected);
    assert.ok(error <= 1, `${fn}(${x}) = ${out[i]}, expected ${expected} (${error.toFixed(2)} ulp)`);
  });
}

test('vexp is within 1 ulp of e^x over the float32 range; 0 below −87.34, ∞ above 88.72, NaN stays NaN', () => {
  const n = 20001;
  assertWithinUlp('expOf', Math.exp, Array.from({ length: n }, (_, i) => Math.fround(-87.3 + (176 * i) / (n - 1))));
  assert.deepEqual(Array.from(apply('expOf', [0, -87.4, -1e4, -Infinity, 88.8, 1e4, Infinity, Number.NaN])), [1, 0, 0, 0, Infinity, Infinity, Infinity, Number.NaN]);
});

test('vlog is within 1 ulp of log x for positive normal x; log 0 = −∞, log of a negative or of NaN is NaN, log ∞ = ∞', () => {
  const n = 20001;
  assertWithinUlp('logOf', Math.log, Array.from({ length: n }, (_, i) => Math.fround(Math.exp(-87 + (175 * i) / (n - 1)))));
  assert.deepEqual(Array.from(apply('logOf', [1, 0, -1, -Infinity, Infinity, Number.NaN])), [0, -Infinity, Number.NaN, Number.NaN, Infinity, Number.NaN]);
});

test('vexpNonPos gives exactly vexp\'s values on x ≤ 0; 0 below −87.34 and for −∞, NaN stays NaN', () => {
  const n = 20001;
  const xs = Array.from({ length: n }, (_, i) => Math.fround(-87.3 + (87.3 * i) / (n - 1)));
  assert.deepEqual(apply('expNonPosOf', xs), apply('expOf', xs));
  assert.deepEqual(Array.from(apply('expNonPosOf', [0, -87.4, -1e4, -Infinity, Number.NaN])), [1, 0, 0, 0, Number.NaN]);
});

test('vlog1pUnit (the softplus tail) is within 1.5e-7 relative of log1p on [0, 1], exact at 0 and for tiny e', () => {
  const n = 20001;
  const xs = [...Array.from({ length: n }, (_, i) => Math.fround(i / (n - 1))), 1e-30, 1e-10, 1e-5];
  const out = apply('log1pUnitOf', xs);
  xs.forEach((e, i) => {
    const expected = Math.log1p(e);
    const error = e === 0 ? Math.abs(out[i]!) : Math.abs(out[i]! - expected) / expected;
    assert.ok(error <= 1.5e-7, `log1pUnit(${e}) = ${out[i]}, expected ${expected} (relative error ${error})`);
  });
});

test('kernelsInMemory: one instance per memory (scratch allocated once); a memory it cannot use is refused once', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  let allocations = 0;
  const first = kernelsInMemory(memory, () => (allocations++, 1024));
  assert.ok(first);
  assert.equal(kernelsInMemory(memory, () => (allocations++, 1024)), first);
  assert.equal(allocations, 1);
  assert.equal(first.memory, memory, 'the instance runs on the memory it was given');
  const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }); // the module imports an unshared memory
  assert.equal(kernelsInMemory(shared, () => 0), undefined);
  assert.equal(kernelsInMemory(shared, () => assert.fail('not retried')), undefined);
});

test('vexp64 (CTC, float64) is within 7e-16 relative of Math.exp on [−708, 709.7]; 0 below −745.2, ∞ above 709.79, NaN stays NaN', () => {
  const n = 20000;
  const xs = [...Array.from({ length: n }, (_, i) => -708 + (1417.7 * i) / (n - 1)), 0, -0.5, 1e-12, -1e-300];
  const special = [-745.3, -Infinity, 709.8, Infinity, Number.NaN, 0];
  const layout = new Layout(k);
  const p = layout.reserve(2 * (xs.length + special.length));
  layout.commit();
  const view = () => new Float64Array(k.memory.buffer, p, xs.length + special.length);
  view().set([...xs, ...special]);
  k.exp64Of(p, xs.length + special.length);
  const out = view();
  xs.forEach((x, i) => {
    const error = Math.abs(out[i]! - Math.exp(x)) / Math.exp(x);
    assert.ok(error <= 7e-16, `vexp64(${x}) = ${out[i]}, expected ${Math.exp(x)} (relative error ${error})`);
  });
  assert.deepEqual(Array.from(out.subarray(xs.length)), [0, 0, Infinity, Infinity, Number.NaN, 1]);
});
