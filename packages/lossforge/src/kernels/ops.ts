/**
 * The fused losses as tfjs kernels: each forward computes the per-sample loss and the gradient with
 * respect to the prediction in one WebAssembly SIMD pass. The loss is the kernel's only output; the
 * gradient is written into a third input, `grad`, a tensor made uninitialized (`LossforgeEmpty`) for
 * that purpose, which the tape saves for the backward pass. The backward pass scales it by the
 * upstream gradient in place. (A second kernel output would cost more: for an output it does not use, tfjs
 * builds a zero upstream gradient of the output's full size in JavaScript before the backward pass.)
 *
 * The kernels are registered for the 'cpu' and 'wasm' backends with `tf.registerKernel`. On the wasm
 * backend they run in place in its heap (see `heapOf`); on the cpu backend they read with `readSync`,
 * copy through the kernels' own memory, make outputs with `makeTensorInfo` and write the gradient into
 * the storage `readSync` returns (checked once per backend by `writesInPlace`). A backend offering
 * neither takes the composite path. Their gradients are registered with `tf.registerGradient`, so each
 * input's gradient is computed only when asked for: the gradient with respect to yTrue (rarely
 * needed) comes from the composite formula.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernels, kernelsInMemory, KIND, Layout, SCRATCH_BYTES, type ElementwiseKind, type KernelExports } from './runtime.js';

type TensorInfo = tf.TensorInfo;
type AnyBackend = {
  readSync(dataId: unknown): unknown;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: unknown): TensorInfo;
  disposeData(dataId: unknown): unknown;
  incRef(dataId: unknown): void;
};

/**
 * A composite (tfjs ops) formula giving the same values as the kernel's loss output: per sample, or
 * (for a reducing call) the reduced value of yTrue, yPred and the per-sample weights and mask.
 */
export type Composite = (yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor, mask?: tf.Tensor) => tf.Tensor;

/**
 * What a kernel call does beyond the per-sample losses (see setReduction in losses.as):
 * - `reduce`: the kernel weights, masks and reduces the losses itself and returns the scalar; its
 *   gradient is the reduced value's, times 1/denominator in the backward pass;
 * - `checks`: CHECK flags of the value checks it counts in the same pass; `onBadInput` runs when it
 *   finds a bad entry (the wrapper's own checks, which throw the LossInputError).
 */
export interface Fusion {
  reduce?: KernelReduction;
  checks?: number;
  onBadInput?: () => void;
}

export interface KernelReduction {
  reduction: 'sum' | 'mean' | 'weightedMean';
  /** float32, one value per kernel row (the per-sample shape), or undefined: all 1. */
  sampleWeight?: tf.Tensor;
  mask?: tf.Tensor;
  /** The reduced composite value of (yTrue, yPred, sampleWeight, mask): the gradients the kernel does not give. */
  composite: Composite;
}

const ELEMENTWISE = 'LossforgeFusedElementwise';
const SPARSE_CE = 'LossforgeFusedSparseSoftmaxCE';
/** The sparse kernel saving yPred too, for the composite gradient with respect to a sample weight. */
const SPARSE_CE_WEIGHTED = 'LossforgeFusedSparseSoftmaxCEWeighted';
const DENSE_CE = 'LossforgeFusedDenseSoftmaxCE';
const CAT_FOCAL = 'LossforgeFusedCategoricalFocal';
const SCALE_ROWS = 'LossforgeFusedScaleRows';
const EMPTY = 'LossforgeEmpty';
const FUSED_BACKENDS = ['cpu', 'wasm'] as const;

// ───────────────────────────── kernel memory ─────────────────────────────

/**
 * Where one kernel call finds its inputs and puts its outputs (pointers into the memory of `k`):
 * `CopiedBuffers` copies the inputs into the kernels' own memory and the results back out (the cpu
 * backend); `HeapBuffers` runs in place in the tfjs wasm backend's heap (no copy).
 */
interface Buffers {
  readonly k: KernelExports;
  /** Pointer to a (float32 or int32) input tensor's values, read only. */
  input(info: TensorInfo): number;
  /**
   * Pointer to the values of a float32 tensor that the kernel overwrites in place (one made for this
   * call, or a saved gradient only the tape holds); `read`: whether the kernel reads them first.
   */
  inPlace(info: TensorInfo, read: boolean): number;
  /** Pointer to `values` placed in memory for this call (small: weights). */
  constant(values: readonly number[]): number;
  /** Pointer to `elements` 4-byte slots of scratch for this call. */
  scratch(elements: number): number;
  /** A float32 output of `shape`; returns its pointer. */
  output(shape: number[]): number;
  /** The outputs, in the order they were made; writes the in-place tensors; frees the call's memory. */
  finish(): TensorInfo[];
  /** Frees the call's memory and its outputs (after an error). */
  abandon(): void;
}

const sizeOf = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function requireKernels(): KernelExports {
  const k = getKernels();
  if (!k) throw new Error('lossforge: fused kernels used before they were loaded');
  return k;
}

const sharedStorageBackends = new WeakMap<object, boolean>();

/**
 * Whether a backend's `readSync` returns a float32 tensor's storage itself (as tfjs's cpu backend
 * does), so that the copying path can write a gradient into it; checked once per backend on a
 * one-element tensor. A backend that returns copies (the wasm backend) gives false.
 */
function storageIsShared(backend: AnyBackend): boolean {
  let known = sharedStorageBackends.get(backend);
  if (known === undefined) {
    const { dataId } = backend.makeTensorInfo([1], 'float32', new Float32Array(1));
    const first = backend.readSync(dataId);
    known = first instanceof Float32Array && first === backend.readSync(dataId);
    backend.disposeData(dataId);
    sharedStorageBackends.set(backend, known);
  }
  return known;
}

/** Whether the fused kernels can run on `backend`: in its wasm heap, or by copying and writing into its storage. */
export function writesInPlace(backend: unknown): boolean {
  if (heapOf(backend)) return true;
  const b = backend as Partial<AnyBackend> | undefined;
  const methods = ['readSync', 'makeTensorInfo', 'disposeData', 'incRef'] as const;
  return b != null && methods.every((m) => typeof b[m] === 'function') && storageIsShared(b as AnyBackend);
}

class CopiedBuffers implements Buffers {
  readonly k = requireKernels();
  private readonly layout = new Layout(this.k);
  private readonly outputs: { shape: number[]; ptr: number }[] = [];
  private readonly writes: { info: TensorInfo; ptr: number }[] = [];

  constructor(private readonly backend: AnyBackend) {}

  private place(values: ArrayLike<number>, int: boolean): number {
    const ptr = this.scratch(values.length);
    (int ? this.layout.i32(ptr, values.length) : this.layout.f32(ptr, values.length)).set(values);
    return ptr;
  }

  input(info: TensorInfo): number {
    return this.place(this.backend.readSync(info.dataId) as ArrayLike<number>, info.dtype === 'int32');
  }

  inPlace(info: TensorInfo, read: boolean): number {
    const ptr = read ? this.input(info) : this.scratch(sizeOf(info.shape));
    this.writes.push({ info, ptr });
    return ptr;
  }

  constant(values: readonly number[]): number {
    return this.place(values, false);
  }

  scratch(elements: number): number {
    const ptr = this.layout.reserve(elements);
    this.layout.commit();
    return ptr;
  }

  output(shape: number[]): number {
    const ptr = this.scratch(sizeOf(shape));
    this.outputs.push({ shape, ptr });
    return ptr;
  }

  finish(): TensorInfo[] {
    for (const { info, ptr } of this.writes) {
      const storage = this.backend.readSync(info.dataId); // the storage itself: see storageIsShared
      if (!(storage instanceof Float32Array)) throw new Error('lossforge: a fused kernel can only write into float32 storage');
      storage.set(this.layout.f32(ptr, storage.length));
    }
    return this.outputs.map(({ shape, ptr }) => {
      // new + set: TypedArray.prototype.slice on a view of WebAssembly memory is several times slower in V8.
      const values = new Float32Array(sizeOf(shape));
      values.set(this.layout.f32(ptr, values.length));
      return this.backend.makeTensorInfo(shape, 'float32', values);
    });
  }

  abandon(): void {}
}

/**
 * The tfjs wasm backend's heap, reached through fields that are not part of tfjs's public API
 * (`wasm.asm.memory`, `wasm._malloc/_free`, `dataIdMap`, `makeOutput`, `disposeData`, as its own
 * kernels use them). `heapOf` checks each one and returns undefined when any is missing, and the
 * composite path runs.
 */
export interface WasmHeap {
  kernels: KernelExports;
  malloc(bytes: number): number;
  free(ptr: number): void;
  pointer(info: TensorInfo): number;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  dispose(info: TensorInfo): void;
}

/**
 * The heap of `backend` when it is a tfjs wasm backend whose fields are all there (and the
 * imported-memory kernels could be instantiated on its memory); undefined for any other backend or
 * value.
 */
export function heapOf(backend: unknown): WasmHeap | undefined {
  const b = (backend ?? {}) as {
    wasm?: { asm?: { memory?: unknown }; _malloc?: unknown; _free?: unknown };
    dataIdMap?: { get?: unknown };
    makeOutput?: unknown;
    disposeData?: unknown;
  };
  const wasm = b.wasm;
  const memory = wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || typeof wasm?._malloc !== 'function' || typeof wasm._free !== 'function') return undefined;
  if (typeof b.dataIdMap?.get !== 'function' || typeof b.makeOutput !== 'function' || typeof b.disposeData !== 'function') return undefined;
  const malloc = wasm._malloc as (bytes: number) => number;
  const kernels = kernelsInMemory(memory, () => malloc(SCRATCH_BYTES));
  if (!kernels) return undefined;
  const dataIdMap = b.dataIdMap as { get(id: unknown): { memoryOffset?: unknown } | undefined };
  return {
    kernels,
    malloc,
    free: wasm._free as (ptr: number) => void,
    pointer(info) {
      const offset = dataIdMap.get(info.dataId)?.memoryOffset;
      if (typeof offset !== 'number') throw new Error('lossforge: a tensor of the wasm backend has no memory offset');
      return offset;
    },
    makeOutput: (shape, dtype) => (b.makeOutput as (s: number[], d: tf.DataType) => TensorInfo).call(backend, shape, dtype),
    dispose: (info) => (b.disposeData as (id: unknown) => void).call(backend, info.dataId),
  };
}

class HeapBuffers implements Buffers {
  readonly k: KernelExports;
  private readonly temporary: number[] = [];
  private readonly outputs: TensorInfo[] = [];

  constructor(private readonly heap: WasmHeap) {
    this.k = heap.kernels;
  }

  input(info: TensorInfo): number {
    return this.heap.pointer(info);
  }

  inPlace(info: TensorInfo): number {
    return this.heap.pointer(info);
  }

  constant(values: readonly number[]): number {
    const ptr = this.scratch(values.length);
    new Float32Array(this.k.memory.buffer, ptr, values.length).set(values);
    return ptr;
  }

  scratch(elements: number): number {
    const ptr = this.heap.malloc(Math.max(16, 4 * elements + 16));
    this.temporary.push(ptr);
    return ptr;
  }

  output(shape: number[]): number {
    const info = this.heap.makeOutput(shape, 'float32');
    this.outputs.push(info);
    return this.heap.pointer(info);
  }

  finish(): TensorInfo[] {
    for (const ptr of this.temporary.splice(0)) this.heap.free(ptr);
    return this.outputs;
  }

  abandon(): void {
    for (const info of this.finish()) this.heap.dispose(info);
  }
}

/** Runs `call` with the buffers suited to `backend`: in place in the wasm backend's heap when possible. */
function withBuffers(backend: unknown, call: (buffers: Buffers) => void): TensorInfo[] {
  const heap = heapOf(backend);
  const buffers = heap ? new HeapBuffers(heap) : new CopiedBuffers(backend as AnyBackend);
  try {
    call(buffers);
  } catch (error) {
    buffers.abandon();
    throw error;
  }
  return buffers.finish();
}

// ───────────────────────────── kernel functions ─────────────────────────────

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown };

interface ElementwiseAttrs {
  kind: number;
  /** [p0, p1, p2, p3, p4, flags] as in setParams. */
  params: number[];
  /** posWeight per column (length k) or empty. */
  columnWeight: number[];
  k: number;
  lossShape: number[];
  composite: Composite;
}

function setParams(k: KernelExports, params: number[]): void {
  const [p0, p1, p2, p3, p4, flags] = params as [number, number, number, number, number, number];
  k.setParams(p0, p1, p2, p3, p4, flags);
}

/** What the kernel functions share in their attrs. */
interface LossAttrs {
  /** [p0, p1, p2, p3, p4, flags] as in setParams. */
  params: number[];
  lossShape: number[];
  composite: Composite;
  reduction: KernelReduction['reduction'] | 'none';
  checks: number;
  /** Whether the sampleWeight and mask inputs are real (else they are `norm`, standing in). */
  weighted: { sampleWeight: boolean; mask: boolean };
  /** Written by the kernel function: the bad-entry bits of the value checks. */
  report: { bad: number };
}

/** The denominator of a reduction from the kernel's sums (0 becomes 1, as nonZeroDenominator). */
function denominator(reduction: LossAttrs['reduction'], count: number, weight: number): number {
  const d = reduction === 'mean' ? count : reduction === 'weightedMean' ? weight : 1;
  return d > 0 ? d : 1;
}

/**
 * One loss kernel call: sets the parameters and the reduction, runs `kernel(lp)` (lp: where the
 * per-sample losses go), and for a reducing call writes the reduced value (Σ f·ℓ / denominator) as the
 * scalar output and 1/denominator into the `norm` input for the backward pass.
 */
function runLoss(b: Buffers, inputs: tf.NamedTensorInfoMap, a: LossAttrs, kernel: (lp: number) => void): void {
  const reducing = a.reduction !== 'none';
  const swp = reducing && a.weighted.sampleWeight ? b.input(inputs['sampleWeight']!) : 0;
  const mkp = reducing && a.weighted.mask ? b.input(inputs['mask']!) : 0;
  const lp = b.output(reducing ? [] : a.lossShape);
  const np = reducing ? b.inPlace(inputs['norm']!, false) : 0;
  const sums = b.scratch(6);
  setParams(b.k, a.params);
  b.k.setReduction(reducing ? 1 : 0, swp, mkp, a.checks);
  kernel(lp);
  a.report.bad = b.k.reduced(sums);
  if (!reducing) return;
  const [loss, count, weight] = new Float64Array(b.k.memory.buffer, sums, 3);
  const d = denominator(a.reduction, count!, weight!);
  new Float32Array(b.k.memory.buffer, lp, 1)[0] = loss! / d;
  new Float32Array(b.k.memory.buffer, np, 1)[0] = 1 / d;
}

interface ElementwiseAttrs extends LossAttrs {
  kind: number;
  /** posWeight per column (length k) or empty. */
  columnWeight: number[];
  k: number;
}

function elementwiseKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const a = attrs as unknown as ElementwiseAttrs;
  const predInfo = inputs['yPred']!;
  const rows = a.k === 0 ? 0 : sizeOf(predInfo.shape) / a.k;
  return withBuffers(backend, (b) => {
    const yp = b.input(inputs['yTrue']!);
    const xp = b.input(predInfo);
    const gp = b.inPlace(inputs['grad']!, false);
    const wp = a.columnWeight.length > 0 ? b.constant(a.columnWeight) : 0;
    runLoss(b, inputs, a, (lp) => b.k.elementwise(a.kind, yp, xp, wp, gp, lp, 0, rows, a.k));
  })[0]!;
}

interface SoftmaxAttrs extends LossAttrs {
  classWeight: number[];
  c: number;
}

function softmaxKernel(kind: 'sparse' | 'dense' | 'focal') {
  return ({ inputs, backend, attrs }: KernelArgs): TensorInfo => {
    const a = attrs as unknown as SoftmaxAttrs;
    const logitsInfo = inputs['yPred']!;
    const c = a.c;
    const rows = c === 0 ? 0 : sizeOf(logitsInfo.shape) / c;
    return withBuffers(backend, (b) => {
      const xp = b.input(logitsInfo);
      const tp = b.input(inputs['yTrue']!);
      const gp = b.inPlace(inputs['grad']!, false);
      const wp = a.classWeight.length > 0 ? b.constant(a.classWeight) : 0;
      const sp = kind === 'focal' ? b.scratch(2 * c + 16) : 0;
      runLoss(b, inputs, a, (lp) => {
        if (kind === 'sparse') b.k.sparseSoftmaxCE(xp, tp, wp, gp, lp, 0, rows, c);
        else if (kind === 'dense') b.k.denseSoftmaxCE(tp, xp, wp, gp, lp, 0, rows, c);
        else b.k.categoricalFocal(tp, xp, gp, lp, sp, 0, rows, c);
      });
    })[0]!;
  };
}

/**
 * Backward: grad · dy, dy having one value per row of k gradient entries, computed in place in the
 * saved gradient (only the tape holds it, and disposes it after this backward pass), which becomes
 * the output (a second reference to the same data, as tfjs's own Reshape kernels return). After a
 * reducing call dy is a scalar, multiplied by the saved 1/denominator (`norm`) first.
 */
function scaleRowsKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { k: rowSize, reducing } = attrs as unknown as { k: number; reducing: boolean };
  const gradInfo = inputs['grad']!;
  const dyInfo = inputs['dy']!;
  withBuffers(backend, (b) => {
    const gp = b.inPlace(gradInfo, true);
    if (reducing) {
      const scalar = (info: TensorInfo) => new Float32Array(b.k.memory.buffer, b.input(info), 1)[0]!;
      const dy = scalar(dyInfo);
      const scale = b.constant([dy * scalar(inputs['norm']!)]);
      b.k.scaleRows(gp, scale, gp, 0, 1, sizeOf(gradInfo.shape));
    } else {
      b.k.scaleRows(gp, b.input(dyInfo), gp, 0, sizeOf(dyInfo.shape), rowSize);
    }
  });
  (backend as AnyBackend).incRef(gradInfo.dataId);
  return { dataId: gradInfo.dataId, shape: gradInfo.shape, dtype: 'float32' };
}

/** An uninitialized (or, on the cpu backend, zero) float32 tensor of `shape`, for a kernel to write into. */
function emptyKernel({ backend, attrs }: KernelArgs): TensorInfo {
  const { shape } = attrs as unknown as { shape: number[] };
  const heap = heapOf(backend);
  if (heap) return heap.makeOutput(shape, 'float32');
  return (backend as AnyBackend).makeTensorInfo(shape, 'float32', new Float32Array(sizeOf(shape)));
}

// ───────────────────────────── registration ─────────────────────────────

/**
 * The composite's gradient with respect to yTrue, contracted with dy (only computed when asked for,
 * e.g. for a trainable teacher's soft targets). tfjs cannot start a gradient computation inside
 * another one's backward pass (the inner one clears the shared tape), so the inner tape is opened as
 * a nested one by raising the engine's gradient depth for its duration.
 */
function compositeGradient(composite: Composite, args: (tf.Tensor | undefined)[], which: number, dy: tf.Tensor): tf.Tensor {
  const x = args[which]!;
  if (x.dtype !== 'float32') return tf.zeros(x.shape); // tfjs's gradients are float32 whatever the input's dtype
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: unknown } }).state;
  if (typeof state?.gradientDepth !== 'number') {
    throw new Error('lossforge: the gradient with respect to yTrue needs the composite path: call setFusedKernels(false)');
  }
  state.gradientDepth = (state.gradientDepth as number) + 1;
  try {
    const call = (t: tf.Tensor) => {
      const at = args.map((a, i) => (i === which ? t : a)) as [tf.Tensor, tf.Tensor, tf.Tensor?, tf.Tensor?];
      return tf.sum(tf.mul(composite(...at), dy));
    };
    return tf.grad(call)(x);
  } finally {
    state.gradientDepth = (state.gradientDepth as number) - 1;
  }
}

/**
 * The gradient of a loss kernel. `targets`: 'values' (float32 yTrue, whose gradient comes from the
 * composite when asked for, so yTrue and yPred are saved too) or 'labels' (int32 class indices, whose
 * gradient is float32 zeros: only the labels and the gradient are saved, since on tfjs-wasm every
 * saved tensor is a copy, 16 MiB for 4096 × 1000 logits). The gradients with respect to a reducing
 * call's sampleWeight and mask come from the composite too (a 'values' kernel then).
 */
function lossGradient(kernelName: string, rowSize: (attrs: Record<string, unknown>) => number, targets: 'values' | 'labels'): tf.GradConfig {
  const names = targets === 'values' ? ['yTrue', 'yPred', 'grad', 'norm', 'sampleWeight', 'mask'] : ['yTrue', 'grad', 'norm', 'sampleWeight', 'mask'];
  return {
    kernelName,
    inputsToSave: names,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], savedList: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const saved = Object.fromEntries(names.map((n, i) => [n, savedList[i]!]));
      const { grad, norm, yTrue } = saved as Record<string, tf.Tensor>;
      const dLoss = Array.isArray(dy) ? dy[0]! : dy;
      const a = attrs as unknown as LossAttrs;
      const reducing = a.reduction !== 'none';
      // Absent sampleWeight and mask inputs are `norm` (see run).
      const args = [yTrue, saved['yPred'], a.weighted.sampleWeight ? saved['sampleWeight'] : undefined, a.weighted.mask ? saved['mask'] : undefined];
      const fromComposite = (which: number) => () =>
        targets === 'values' && args[which] ? compositeGradient(a.composite, args, which, dLoss) : tf.zeros(args[which]?.shape ?? []);
      return {
        yPred: () =>
          tf.engine().runKernel(SCALE_ROWS, reducing ? { grad, dy: dLoss, norm } : { grad, dy: dLoss }, {
            k: rowSize(attrs as Record<string, unknown>),
            reducing,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        yTrue: fromComposite(0),
        sampleWeight: fromComposite(2),
        mask: fromComposite(3),
        grad: () => tf.zerosLike(grad!),
        norm: () => tf.zerosLike(norm!),
      };
    },
  };
}

let registered = false;

/** Registers the kernels and gradients once (idempotent). */
function registerFusedKernels(): void {
  if (registered) return;
  registered = true;
  const kernels: [string, tf.KernelFunc][] = [
    [ELEMENTWISE, elementwiseKernel as unknown as tf.KernelFunc],
    [SPARSE_CE, softmaxKernel('sparse') as unknown as tf.KernelFunc],
    [SPARSE_CE_WEIGHTED, softmaxKernel('sparse') as unknown as tf.KernelFunc],
    [DENSE_CE, softmaxKernel('dense') as unknown as tf.KernelFunc],
    [CAT_FOCAL, softmaxKernel('focal') as unknown as tf.KernelFunc],
    [SCALE_ROWS, scaleRowsKernel as unknown as tf.KernelFunc],
    [EMPTY, emptyKernel as unknown as tf.KernelFunc],
  ];
  for (const backendName of FUSED_BACKENDS) {
    for (const [kernelName, kernelFunc] of kernels) {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
  tf.registerGradient(lossGradient(ELEMENTWISE, (a) => a['k'] as number, 'values'));
  tf.registerGradient(lossGradient(SPARSE_CE, (a) => a['c'] as number, 'labels'));
  tf.registerGradient(lossGradient(SPARSE_CE_WEIGHTED, (a) => a['c'] as number, 'values'));
  tf.registerGradient(lossGradient(DENSE_CE, (a) => a['c'] as number, 'values'));
  tf.registerGradient(lossGradient(CAT_FOCAL, (a) => a['c'] as number, 'values'));
}

// ───────────────────────────── ops ─────────────────────────────

/** The kernels read float32 targets (int32 labels): other dtypes are cast first. */
const asDtype = (t: tf.Tensor, dtype: 'float32' | 'int32'): tf.Tensor => (t.dtype === dtype ? t : tf.cast(t, dtype));

/**
 * Runs a loss kernel: its gradient goes into a fresh `grad` input, which the tape keeps (when
 * recording) for the backward pass, and a reducing call's 1/denominator into a fresh one-element
 * `norm`, which also stands in for an absent sampleWeight or mask (inputs are named, saved inputs
 * must exist); these handles are not needed after the call. Reports bad inputs (see Fusion).
 */
function run(kernelName: string, yTrue: tf.Tensor, yPred: tf.Tensor, attrs: object, fusion: Fusion): tf.Tensor {
  registerFusedKernels();
  const empty = (shape: number[]) => tf.engine().runKernel(EMPTY, {}, { shape } as unknown as tf.NamedAttrMap) as tf.Tensor;
  const grad = empty(yPred.shape);
  const norm = empty([1]);
  const reduce = fusion.reduce;
  const report = { bad: 0 };
  const kernelAttrs: Omit<LossAttrs, 'params' | 'lossShape' | 'composite'> = {
    reduction: reduce?.reduction ?? 'none',
    checks: fusion.checks ?? 0,
    weighted: { sampleWeight: reduce?.sampleWeight !== undefined, mask: reduce?.mask !== undefined },
    report,
  };
  const inputs = { yTrue, yPred, grad, norm, sampleWeight: reduce?.sampleWeight ?? norm, mask: reduce?.mask ?? norm };
  try {
    const out = tf.engine().runKernel(kernelName, inputs, { ...attrs, ...kernelAttrs, ...(reduce ? { composite: reduce.composite } : {}) } as unknown as tf.NamedAttrMap) as tf.Tensor;
    if (report.bad !== 0) fusion.onBadInput?.();
    return out;
  } finally {
    grad.dispose();
    norm.dispose();
  }
}

/** A float32 copy-free view of `t` (weights and masks may come as int32 or bool). */
const asFloat = (t: tf.Tensor | undefined): tf.Tensor | undefined => t && asDtype(t, 'float32');

/**
 * An elementwise loss over the last axis: per-sample means shaped [...batch, 1] for rank ≥ 2 (so
 * that the wrapper's mean over the last axis leaves them unchanged) and [n] for rank 1; or, with
 * `fusion.reduce`, the reduced scalar.
 */
export function fusedElementwise(
  kind: ElementwiseKind,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  params: { p: [number, number, number, number, number]; flags: number; columnWeight?: number[] },
  composite: Composite,
  fusion: Fusion = {},
): tf.Tensor {
  const k = yPred.rank >= 2 ? yPred.shape[yPred.rank - 1]! : 1;
  const lossShape = yPred.rank >= 2 ? [...yPred.shape.slice(0, -1), 1] : [...yPred.shape];
  const perSample: Composite = yPred.rank >= 2 ? (t, p) => tf.mean(composite(t, p), -1, true) : composite;
  return run(ELEMENTWISE, asDtype(yTrue, 'float32'), yPred, {
    kind: KIND[kind],
    params: [...params.p, params.flags],
    columnWeight: params.columnWeight ?? [],
    k,
    lossShape,
    composite: perSample,
  }, withFloatFactors(fusion));
}

/**
 * Softmax-family losses over the last axis: per-sample values shaped like yPred without it; or, with
 * `fusion.reduce`, the reduced scalar (class weights then count in each row's factor: the target's
 * weight, as the wrapper's `weight`).
 */
export function fusedSoftmax(
  kind: 'sparse' | 'dense' | 'focal',
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  params: { p: [number, number, number, number, number]; flags: number; classWeight?: number[] },
  composite: Composite,
  fusion: Fusion = {},
): tf.Tensor {
  const c = yPred.shape[yPred.rank - 1]!;
  const weighted = fusion.reduce?.sampleWeight !== undefined || fusion.reduce?.mask !== undefined;
  const kernelName = kind === 'sparse' ? (weighted ? SPARSE_CE_WEIGHTED : SPARSE_CE) : kind === 'dense' ? DENSE_CE : CAT_FOCAL;
  return run(kernelName, asDtype(yTrue, kind === 'sparse' ? 'int32' : 'float32'), yPred, {
    params: [...params.p, params.flags],
    classWeight: params.classWeight ?? [],
    c,
    lossShape: yPred.shape.slice(0, -1),
    composite,
  }, withFloatFactors(fusion));
}

function withFloatFactors(fusion: Fusion): Fusion {
  const reduce = fusion.reduce;
  return reduce ? { ...fusion, reduce: { ...reduce, sampleWeight: asFloat(reduce.sampleWeight), mask: asFloat(reduce.mask) } } : fusion;
}
