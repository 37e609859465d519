/**
 * Does a second core pay for the big fused rows? A standalone measurement (not part of the library):
 * the forward kernel of BCE-from-logits on 1024×1024 and of sparse softmax CE on 256×32768, as the
 * fused path runs it (copy the inputs into the kernel's memory, one call, copy the loss and gradient
 * out), on one thread vs split by rows between the main thread and one worker_threads worker.
 *
 * Two cores: the inputs go into a SharedArrayBuffer; the worker (its own instance of the same
 * WebAssembly module) copies its half of the rows into its memory, runs the kernel on them and writes
 * its loss and gradient rows back into the SharedArrayBuffer, while the main thread does the other
 * half; the two synchronize with Atomics (no message per call). The worker is started once, outside
 * the timings. Both variants run interleaved in one process, median of REPS calls each.
 *
 * Usage: node --import tsx bench/workers.ts [--json]
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { fusedKernelsReady, getKernels, KIND, Layout, type KernelExports } from '../packages/lossforge/src/kernels/runtime.js';
import { median } from '../packages/workbench/src/stats.js';

const REPS = 9;

type Job = 'bce' | 'sparse';

interface Shared {
  job: Job;
  rows: number;
  /** Row length: k for BCE, C for softmax CE. */
  k: number;
  /** [state, row0, row1]: state 0 idle, 1 work, 2 done, 3 exit. */
  control: SharedArrayBuffer;
  /** BCE: targets f32 [n]; softmax CE: labels i32 [rows]. */
  targets: SharedArrayBuffer;
  x: SharedArrayBuffer;
  grad: SharedArrayBuffer;
  loss: SharedArrayBuffer;
}

function kernels(): KernelExports {
  const k = getKernels();
  if (!k) throw new Error('kernels not loaded');
  return k;
}

/**
 * Runs the forward kernel on rows [row0, row1) of the given arrays: copies them into the kernel's
 * memory, runs, and writes the loss and gradient rows into `lossOut` / `gradOut` (full-size arrays).
 */
function runRows(job: Job, k: number, row0: number, row1: number, targets: Float32Array | Int32Array, x: Float32Array, gradOut: Float32Array, lossOut: Float32Array): void {
  const kern = kernels();
  const rows = row1 - row0;
  const n = rows * k;
  const layout = new Layout(kern);
  const tp = layout.reserve(job === 'bce' ? n : rows);
  const xp = layout.reserve(n);
  const gp = layout.reserve(n);
  const lp = layout.reserve(rows);
  const wp = layout.reserve(k);
  layout.commit();
  layout.f32(xp, n).set(x.subarray(row0 * k, row1 * k));
  if (job === 'bce') {
    layout.f32(tp, n).set((targets as Float32Array).subarray(row0 * k, row1 * k));
    kern.setParams(1, 0, 1, 0, 0, 0);
    kern.elementwise(KIND.bceLogits, tp, xp, wp, gp, lp, 0, rows, k);
  } else {
    layout.i32(tp, rows).set((targets as Int32Array).subarray(row0, row1));
    kern.sparseSoftmaxCE(xp, tp, 0, gp, lp, 0, rows, k); // no class weights
  }
  gradOut.set(layout.f32(gp, n), row0 * k);
  lossOut.set(layout.f32(lp, rows), row0);
}

function views(s: Shared) {
  return {
    control: new Int32Array(s.control),
    targets: s.job === 'bce' ? new Float32Array(s.targets) : new Int32Array(s.targets),
    x: new Float32Array(s.x),
    grad: new Float32Array(s.grad),
    loss: new Float32Array(s.loss),
  };
}

// ───────────────────────────── worker ─────────────────────────────

function workerLoop(s: Shared): void {
  const v = views(s);
  for (;;) {
    let state: number;
    while ((state = Atomics.load(v.control, 0)) !== 1 && state !== 3) Atomics.wait(v.control, 0, state);
    if (state === 3) return;
    runRows(s.job, s.k, v.control[1]!, v.control[2]!, v.targets, v.x, v.grad, v.loss);
    Atomics.store(v.control, 0, 2);
    Atomics.notify(v.control, 0);
  }
}

// ───────────────────────────── main ─────────────────────────────

interface Row {
  name: string;
  oneThreadMs: number;
  twoThreadsMs: number;
  maxAbsDifference: number;
}

async function measure(worker: Worker, job: Job, rows: number, k: number): Promise<Row> {
  const n = rows * k;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) % 4294967296) / 4294967296);
  const x = Float32Array.from({ length: n }, () => (rand() - 0.5) * 8);
  const targets = job === 'bce' ? Float32Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0)) : Int32Array.from({ length: rows }, () => Math.floor(rand() * k));
  const shared: Shared = {
    job,
    rows,
    k,
    control: new SharedArrayBuffer(16),
    targets: new SharedArrayBuffer(targets.byteLength),
    x: new SharedArrayBuffer(4 * n),
    grad: new SharedArrayBuffer(4 * n),
    loss: new SharedArrayBuffer(4 * rows),
  };
  const v = views(shared);
  worker.postMessage(shared);

  /** One thread, as the fused path runs today: copies in, one call, owned copies out. */
  const one = (): Float32Array => {
    const grad = new Float32Array(n);
    const loss = new Float32Array(rows);
    runRows(job, k, 0, rows, targets, x, grad, loss);
    return grad;
  };
  /** Two threads: inputs into shared memory, the worker takes the second half of the rows. */
  const two = (): Float32Array => {
    (v.targets as Float32Array | Int32Array).set(targets as never);
    v.x.set(x);
    const half = rows >> 1;
    v.control[1] = half;
    v.control[2] = rows;
    Atomics.store(v.control, 0, 1);
    Atomics.notify(v.control, 0);
    runRows(job, k, 0, half, v.targets, v.x, v.grad, v.loss);
    let state: number;
    while ((state = Atomics.load(v.control, 0)) !== 2) {
      if (Atomics.wait(v.control, 0, state, 30_000) === 'timed-out') throw new Error('the worker did not answer within 30 s');
    }
    Atomics.store(v.control, 0, 0);
    v.loss.slice();
    return v.grad.slice(); // owned copies, as a tfjs tensor needs
  };

  one();
  two(); // warm-up (JIT, memory growth in both instances)
  const t1: number[] = [];
  const t2: number[] = [];
  for (let i = 0; i < REPS; i++) {
    let t = performance.now();
    one();
    t1.push(performance.now() - t);
    t = performance.now();
    two();
    t2.push(performance.now() - t);
  }
  const a = one();
  const b = two();
  let maxAbsDifference = 0;
  for (let i = 0; i < n; i++) maxAbsDifference = Math.max(maxAbsDifference, Math.abs(a[i]! - b[i]!));
  Atomics.store(v.control, 0, 3);
  Atomics.notify(v.control, 0);
  const name = job === 'bce' ? `bce-logits ${rows}x${k}` : `softmax-ce ${rows}x${k}`;
  return { name, oneThreadMs: median(t1), twoThreadsMs: median(t2), maxAbsDifference };
}

async function main(): Promise<void> {
  // The worker runs this same file; tsx's loader must be registered in it explicitly.
  const entry = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(entry, { eval: true });
  worker.on('error', (e) => {
    console.error('worker failed:', e);
    process.exit(1);
  });
  const results = [await measure(worker, 'bce', 1024, 1024), await measure(worker, 'sparse', 256, 32768)];
  await worker.terminate();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ reps: REPS, unit: 'ms (median, forward kernel incl. copies)', results }, null, 2));
    return;
  }
  console.log(`forward kernel incl. copies in and out, median of ${REPS} (interleaved); one thread vs main + 1 worker`);
  for (const r of results) {
    console.log(`${r.name.padEnd(22)} one thread ${r.oneThreadMs.toFixed(2).padStart(7)} ms   two threads ${r.twoThreadsMs.toFixed(2).padStart(7)} ms   speed-up ${(r.oneThreadMs / r.twoThreadsMs).toFixed(2)}×   (max |Δgrad| ${r.maxAbsDifference})`);
  }
}

// The module compiles asynchronously at import (runtime.ts): wait for it in both threads.
if (!(await fusedKernelsReady())) throw new Error('the kernels cannot load here');
if (isMainThread) await main();
else parentPort!.on('message', (s: Shared) => workerLoop(s));
