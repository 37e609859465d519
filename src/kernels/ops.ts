/**
 * The fused losses as tfjs kernels: each forward computes the per-sample loss and the gradient with
 * respect to the prediction in one WebAssembly SIMD pass; the gradient is kept (as a second kernel
 * output) for the backward pass, which only scales it by the upstream gradient.
 *
 * The kernels are registered for the 'cpu' and 'wasm' backends with `tf.registerKernel` and use only
 * the public backend methods `readSync` and `makeTensorInfo` (or `write`). Their gradients are
 * registered with `tf.registerGradient`, so each input's gradient is computed only when asked for:
 * the gradient with respect to yTrue (rarely needed) comes from the composite formula.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getKernels, KIND, Layout, type ElementwiseKind, type KernelExports } from './runtime.js';

type TensorInfo = tf.TensorInfo;
type AnyBackend = {
  readSync(dataId: unknown): unknown;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: unknown): TensorInfo;
  write(values: unknown, shape: number[], dtype: tf.DataType): unknown;
};

/** A composite (tfjs ops) formula giving the same values as the kernel's loss output. */
export type Composite = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const ELEMENTWISE = 'LossforgeFusedElementwise';
const SPARSE_CE = 'LossforgeFusedSparseSoftmaxCE';
const DENSE_CE = 'LossforgeFusedDenseSoftmaxCE';
const CAT_FOCAL = 'LossforgeFusedCategoricalFocal';
const SCALE_ROWS = 'LossforgeFusedScaleRows';
const FUSED_BACKENDS = ['cpu', 'wasm'] as const;

function requireKernels(): KernelExports {
  const k = getKernels();
  if (!k) throw new Error('lossforge: fused kernels used before they were loaded');
  return k;
}

function readFloat(backend: AnyBackend, info: TensorInfo): Float32Array {
  const values = backend.readSync(info.dataId);
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

function readInt(backend: AnyBackend, info: TensorInfo): Int32Array {
  const values = backend.readSync(info.dataId);
  return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
}

function output(backend: AnyBackend, shape: number[], values: Float32Array): TensorInfo {
  if (typeof backend.makeTensorInfo === 'function') return backend.makeTensorInfo(shape, 'float32', values);
  return { dataId: backend.write(values, shape, 'float32') as object, shape, dtype: 'float32' };
}

// ───────────────────────────── kernel functions ─────────────────────────────

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

function elementwiseKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }): TensorInfo[] {
  const b = backend as AnyBackend;
  const a = attrs as unknown as ElementwiseAttrs;
  const yTrue = readFloat(b, inputs['yTrue']!);
  const yPred = readFloat(b, inputs['yPred']!);
  const n = yPred.length;
  const rows = a.k === 0 ? 0 : n / a.k;
  const k = requireKernels();
  const layout = new Layout(k);
  const [yp, xp, gp, lp, wp] = [layout.reserve(n), layout.reserve(n), layout.reserve(n), layout.reserve(rows), layout.reserve(a.k)];
  layout.commit();
  layout.f32(yp, n).set(yTrue);
  layout.f32(xp, n).set(yPred);
  if (a.columnWeight.length > 0) layout.f32(wp, a.k).set(a.columnWeight);
  const [p0, p1, p2, p3, p4, flags] = a.params as [number, number, number, number, number, number];
  k.setParams(p0, p1, p2, p3, p4, flags);
  k.elementwise(a.kind, yp, xp, wp, gp, lp, 0, rows, a.k);
  return [output(b, a.lossShape, layout.f32(lp, rows).slice()), output(b, inputs['yPred']!.shape, layout.f32(gp, n).slice())];
}

interface SoftmaxAttrs {
  params: number[];
  classWeight: number[];
  c: number;
  lossShape: number[];
  composite: Composite;
}

function softmaxKernel(kind: 'sparse' | 'dense' | 'focal') {
  return ({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }): TensorInfo[] => {
    const b = backend as AnyBackend;
    const a = attrs as unknown as SoftmaxAttrs;
    const logitsInfo = inputs['yPred']!;
    const logits = readFloat(b, logitsInfo);
    const n = logits.length;
    const c = a.c;
    const rows = c === 0 ? 0 : n / c;
    const k = requireKernels();
    const layout = new Layout(k);
    const xp = layout.reserve(n);
    const gp = layout.reserve(n);
    const lp = layout.reserve(rows);
    const tp = layout.reserve(kind === 'sparse' ? rows : n);
    const wp = layout.reserve(c);
    const sp = layout.reserve(kind === 'focal' ? 2 * c + 16 : 0);
    layout.commit();
    layout.f32(xp, n).set(logits);
    if (kind === 'sparse') layout.i32(tp, rows).set(readInt(b, inputs['yTrue']!));
    else layout.f32(tp, n).set(readFloat(b, inputs['yTrue']!));
    if (a.classWeight.length > 0) layout.f32(wp, c).set(a.classWeight);
    const [p0, p1, p2, p3, p4, flags] = a.params as [number, number, number, number, number, number];
    k.setParams(p0, p1, p2, p3, p4, flags);
    if (kind === 'sparse') k.sparseSoftmaxCE(xp, tp, gp, lp, 0, rows, c);
    else if (kind === 'dense') k.denseSoftmaxCE(tp, xp, wp, gp, lp, 0, rows, c);
    else k.categoricalFocal(tp, xp, gp, lp, sp, 0, rows, c);
    return [output(b, a.lossShape, layout.f32(lp, rows).slice()), output(b, logitsInfo.shape, layout.f32(gp, n).slice())];
  };
}

/** Backward: grad · dy, dy having one value per row of k gradient entries. */
function scaleRowsKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }): TensorInfo {
  const b = backend as AnyBackend;
  const { k: kk } = attrs as unknown as { k: number };
  const grad = readFloat(b, inputs['grad']!);
  const dy = readFloat(b, inputs['dy']!);
  const n = grad.length;
  const k = requireKernels();
  const layout = new Layout(k);
  const gp = layout.reserve(n);
  const dp = layout.reserve(dy.length);
  const op = layout.reserve(n);
  layout.commit();
  layout.f32(gp, n).set(grad);
  layout.f32(dp, dy.length).set(dy);
  k.scaleRows(gp, dp, op, 0, dy.length, kk);
  return output(b, inputs['grad']!.shape, layout.f32(op, n).slice());
}

// ───────────────────────────── registration ─────────────────────────────

/**
 * The composite's gradient with respect to yTrue, contracted with dy (only computed when asked for,
 * e.g. for a trainable teacher's soft targets). tfjs cannot start a gradient computation inside
 * another one's backward pass (the inner one clears the shared tape), so the inner tape is opened as
 * a nested one by raising the engine's gradient depth for its duration.
 */
function targetGradient(composite: Composite, yTrue: tf.Tensor, yPred: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  if (yTrue.dtype !== 'float32') return tf.zerosLike(yTrue);
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: unknown } }).state;
  if (typeof state?.gradientDepth !== 'number') {
    throw new Error('lossforge: the gradient with respect to yTrue needs the composite path: call setFusedKernels(false)');
  }
  state.gradientDepth = (state.gradientDepth as number) + 1;
  try {
    return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(composite(t, yPred), dy)))(yTrue);
  } finally {
    state.gradientDepth = (state.gradientDepth as number) - 1;
  }
}

function lossGradient(kernelName: string, rowSize: (attrs: Record<string, unknown>) => number): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['yTrue', 'yPred'],
    outputsToSave: [false, true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [yTrue, yPred, grad] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
      const dLoss = Array.isArray(dy) ? dy[0]! : dy;
      const a = attrs as unknown as { composite: Composite };
      return {
        yPred: () =>
          tf.engine().runKernel(SCALE_ROWS, { grad, dy: dLoss }, { k: rowSize(attrs as Record<string, unknown>) } as unknown as tf.NamedAttrMap) as tf.Tensor,
        yTrue: () => targetGradient(a.composite, yTrue, yPred, dLoss),
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
    [DENSE_CE, softmaxKernel('dense') as unknown as tf.KernelFunc],
    [CAT_FOCAL, softmaxKernel('focal') as unknown as tf.KernelFunc],
    [SCALE_ROWS, scaleRowsKernel as unknown as tf.KernelFunc],
  ];
  for (const backendName of FUSED_BACKENDS) {
    for (const [kernelName, kernelFunc] of kernels) {
      if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
  tf.registerGradient(lossGradient(ELEMENTWISE, (a) => a['k'] as number));
  tf.registerGradient(lossGradient(SPARSE_CE, (a) => a['c'] as number));
  tf.registerGradient(lossGradient(DENSE_CE, (a) => a['c'] as number));
  tf.registerGradient(lossGradient(CAT_FOCAL, (a) => a['c'] as number));
}

// ───────────────────────────── ops ─────────────────────────────

function run(kernelName: string, yTrue: tf.Tensor, yPred: tf.Tensor, attrs: object): tf.Tensor {
  registerFusedKernels();
  const [loss, grad] = tf.engine().runKernel(kernelName, { yTrue, yPred }, attrs as tf.NamedAttrMap) as tf.Tensor[];
  // The gradient output is saved by the tape when recording; the returned handle is not needed.
  grad!.dispose();
  return loss!;
}

/**
 * Per-sample mean over the last axis of an elementwise loss, shaped [...batch, 1] for rank ≥ 2 (so
 * that the wrapper's mean over the last axis leaves it unchanged) and [n] for rank 1.
 */
export function fusedElementwise(
  kind: ElementwiseKind,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  params: { p: [number, number, number, number, number]; flags: number; columnWeight?: number[] },
  composite: Composite,
): tf.Tensor {
  const k = yPred.rank >= 2 ? yPred.shape[yPred.rank - 1]! : 1;
  const lossShape = yPred.rank >= 2 ? [...yPred.shape.slice(0, -1), 1] : [...yPred.shape];
  const perSample: Composite = yPred.rank >= 2 ? (t, p) => tf.mean(composite(t, p), -1, true) : composite;
  return run(ELEMENTWISE, yTrue, yPred, {
    kind: KIND[kind],
    params: [...params.p, params.flags],
    columnWeight: params.columnWeight ?? [],
    k,
    lossShape,
    composite: perSample,
  });
}

/** Softmax-family losses over the last axis: per-sample values shaped like yPred without it. */
export function fusedSoftmax(
  kind: 'sparse' | 'dense' | 'focal',
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  params: { p: [number, number, number, number, number]; flags: number; classWeight?: number[] },
  composite: Composite,
): tf.Tensor {
  const c = yPred.shape[yPred.rank - 1]!;
  const kernelName = kind === 'sparse' ? SPARSE_CE : kind === 'dense' ? DENSE_CE : CAT_FOCAL;
  return run(kernelName, yTrue, yPred, {
    params: [...params.p, params.flags],
    classWeight: params.classWeight ?? [],
    c,
    lossShape: yPred.shape.slice(0, -1),
    composite,
  });
}
