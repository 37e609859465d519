/**
 * The linearCrossentropy row of `npm run bench`: cross-entropy of hidden [N, H] · weight [H, V] with
 * the gradients for both, materialized (sparseCategoricalCrossentropy({ fromLogits: true }) on
 * tf.matMul(hidden, weight), the fused softmax kernel included) vs chunked (linearCrossentropy).
 *
 * Runs on the tfjs wasm backend: the cpu backend's matMul (about 0.5 GFLOP/s here) would take
 * minutes per call at this size. Each measured call runs inside tf.profile, whose peakBytes is the
 * high-water mark of tensor memory after every kernel (nested ones included); the reported peak is
 * that minus the bytes held before the call (inputs excluded). Profiling adds no reads of the data
 * (CHECK_COMPUTATION_FOR_ERRORS is off), so the same calls give the times.
 *
 * Each variant runs in its own process (`node --import tsx bench/linear.ts <variant> <runs>`, one JSON
 * line on stdout), so that its peak resident memory (maxRSS) is its own and a failure (the
 * materialized variant can exhaust the wasm backend's 4 GiB heap) cannot take the rest of the bench down.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
// Everything from the built 'lossforge': one module instance, so that setValueChecks and the loaded
// kernels are the ones the measured functions use.
import { fusedKernelsReady, linearCrossentropy, losses, setValueChecks } from 'lossforge';
import { median } from '../packages/workbench/src/stats.js';

export interface LinearResult {
  /** Median ms of forward + both gradients, read back. */
  ms: number;
  runs: number;
  /** Peak extra tensor memory during the call, MiB. */
  peakMiB: number;
  /** Peak resident memory of the whole process, MiB. */
  maxRssMiB?: number;
}

export type LinearOutcome = LinearResult | { error: string };

export const LINEAR_SHAPE = { N: 8192, H: 256, V: 32768, chunkSize: 1024 } as const;

type Variant = (hidden: tf.Tensor, weight: tf.Tensor, labels: tf.Tensor) => tf.Tensor;

export const LINEAR_VARIANTS: Record<'materialized' | 'chunked', Variant> = {
  materialized: (h, w, labels) => losses.sparseCategoricalCrossentropy({ fromLogits: true })(labels, tf.matMul(h, w)),
  chunked: (h, w, labels) => linearCrossentropy(h, w, labels, { chunkSize: LINEAR_SHAPE.chunkSize }),
};

function step(variant: Variant, hidden: tf.Tensor, weight: tf.Tensor, labels: tf.Tensor): void {
  const grads = tf.grads((h: tf.Tensor, w: tf.Tensor) => variant(h, w, labels))([hidden, weight]);
  for (const g of grads) g.dataSync();
  tf.dispose(grads);
}

/** Measures one variant (the backend must already be active): `runs` profiled calls after a small warm-up. */
export async function measureLinear(name: keyof typeof LINEAR_VARIANTS, runs: number, shape = LINEAR_SHAPE): Promise<LinearResult> {
  const variant = LINEAR_VARIANTS[name];
  const { N, H, V } = shape;
  const warm = [tf.randomNormal([64, H]), tf.randomNormal([H, 512]), tf.randomUniform([64], 0, 512, 'int32')] as const;
  step(variant, ...warm);
  tf.dispose([...warm]);
  const hidden = tf.randomNormal([N, H], 0, 1, 'float32', 5);
  const weight = tf.randomNormal([H, V], 0, 0.05, 'float32', 6);
  const labels = tf.randomUniform([N], 0, V, 'int32', 7);
  const previousCheck = tf.env().getBool('CHECK_COMPUTATION_FOR_ERRORS');
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  const times: number[] = [];
  let peak = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const before = tf.memory().numBytes;
      const start = performance.now();
      const info = await tf.profile(() => step(variant, hidden, weight, labels));
      times.push(performance.now() - start);
      peak = Math.max(peak, info.peakBytes - before);
    }
  } finally {
    tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', previousCheck);
    try {
      tf.dispose([hidden, weight, labels]);
    } catch {
      // After a failed call the backend may be unusable; keep the original error.
    }
  }
  return { ms: median(times), runs, peakMiB: peak / 2 ** 20 };
}

/** Runs one variant in a child process; a crash or an out-of-memory becomes `{ error }`. */
export function measureLinearInChild(name: keyof typeof LINEAR_VARIANTS, runs: number): LinearOutcome {
  const script = fileURLToPath(import.meta.url);
  try {
    // The child's stderr (its stack when it fails) goes to ours.
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, name, String(runs)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as LinearOutcome;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const last = (err.stdout ?? '').trim().split('\n').pop() ?? '';
    if (last.startsWith('{')) return JSON.parse(last) as LinearOutcome;
    return { error: `the measuring process failed (${err.message.split('\n')[0]})`.slice(0, 200) };
  }
}

async function child(name: string, runs: number): Promise<void> {
  if (!(name in LINEAR_VARIANTS)) throw new Error(`unknown variant ${name}`);
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('no wasm backend');
  if (!(await fusedKernelsReady())) throw new Error('the fused kernels did not load');
  setValueChecks(false);
  let outcome: LinearOutcome;
  try {
    outcome = await measureLinear(name as keyof typeof LINEAR_VARIANTS, runs);
    outcome.maxRssMiB = process.resourceUsage().maxRSS / 1024;
  } catch (e) {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    outcome = { error: String((e as Error).message ?? e).slice(0, 200) };
  }
  console.log(JSON.stringify(outcome));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await child(process.argv[2] ?? '', Number(process.argv[3] ?? 3));
}
