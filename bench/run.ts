/**
 * `npm run bench` (add `--json` for machine-readable output): forward + backward of the fused loss
 * workloads, median wall time in ms. The rows and columns are bench/rows.ts's: each binary and
 * regression loss at [1024, 1024], [N] and [N, 1] (N = 2²⁰), the softmax rows at [B, K], CTC; the
 * columns tfjs-cpu and tfjs-wasm (composite ops), lossforge's fused kernels on each of those backends
 * (value checks off, the gradient read back), the same with default settings (value checks on), and
 * in training mode (default settings, the gradient left in the backend: one entry of it is read back,
 * a scalar that depends on it), and PyTorch CPU with 2 threads (when /usr/bin/python3 has torch),
 * measured in the same run on the same shapes (its gradient stays in memory, as in training).
 * Each measurement is tf.grad of the mean-reduced loss with respect to yPred.
 * The CTC row has no tfjs op: its tfjs-cpu / tfjs-wasm columns are lossforge's JavaScript recursion
 * (fused kernels off), its lossforge columns the WebAssembly kernel.
 * A second table compares linearCrossentropy (chunked) with the materialized logits (bench/linear.ts,
 * tfjs-wasm backend, each variant in its own process): median time and peak memory.
 * `--only <text>` runs only the rows whose name contains <text> ('linear-ce' for the second table);
 * `--skip-linear` leaves the second table out (it takes about 8 minutes); `--quick` measures one run
 * after the warm-up instead of the median of several and skips the second table (a smoke run:
 * `npm run bench -- --quick --only "mse 1048576x1"`).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
// The settings must be the same module instance as the losses': both from the built 'lossforge'.
import { fusedKernelsReady, setFusedKernels, setValueChecks } from 'lossforge';
import { LINEAR_SHAPE, measureLinearInChild, type LinearOutcome } from './linear.js';
import { benchRows, COLUMNS, ratios, selectRows, workload, type Column, type RowSpec, type Workload } from './rows.js';
import { median } from '../packages/workbench/src/stats.js';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const REPS = quick ? 1 : 7;
const SLOW_REPS = quick ? 1 : 3; // tfjs-cpu composite rows take seconds each
const LINEAR_REPS = 3; // about 45 s per chunked call on this machine
const LINEAR_MATERIALIZED_REPS = 1; // about 6 min per call: tfjs-wasm's transposed matMul is slow
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] ?? '' : '';
const skipLinear = quick || process.argv.includes('--skip-linear');

const ROWS = selectRows(benchRows(), only);
const LINEAR_NAME = `linear-ce ${LINEAR_SHAPE.N}x${LINEAR_SHAPE.H}x${LINEAR_SHAPE.V}`;

/** One forward + backward; 'scalar' reads back one entry of the gradient (it stays in the backend), 'gradient' all of it. */
function step(w: Workload, yTrue: tf.Tensor, yPred: tf.Tensor, sync: Column['sync']): void {
  const g = tf.tidy(() => tf.grad((p: tf.Tensor) => w.loss(yTrue, p) as tf.Scalar)(yPred));
  if (sync === 'gradient') {
    g.dataSync();
  } else {
    const first = tf.tidy(() => tf.slice(tf.reshape(g, [-1]), 0, 1));
    first.dataSync();
    first.dispose();
  }
  g.dispose();
}

/** Median ms of `reps` steps after one warm-up step. */
function time(row: RowSpec, sync: Column['sync'], reps: number): number {
  const w = workload(row);
  const { yTrue, yPred } = w.make();
  step(w, yTrue, yPred, sync); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    step(w, yTrue, yPred, sync);
    times.push(performance.now() - t);
  }
  tf.dispose([yTrue, yPred]);
  return median(times);
}

async function backend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  if (!(await tf.setBackend(name))) throw new Error(`no ${name} backend`);
}

/** PyTorch's medians for the same rows (bench/torch_bench.py builds them from the specs), or undefined without torch. */
function torchTimes(rows: readonly RowSpec[]): Record<string, number> | undefined {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const script = fileURLToPath(new URL('./torch_bench.py', import.meta.url));
  return JSON.parse(execFileSync('/usr/bin/python3', [script, String(REPS), JSON.stringify(rows)], { encoding: 'utf8' })) as Record<string, number>;
}

async function main(): Promise<void> {
  if (!(await fusedKernelsReady())) throw new Error('the fused kernels did not load');
  const rows: Record<string, Record<string, number>> = {};
  for (const r of ROWS) rows[r.name] = {};
  const log = (s: string) => { if (!json) process.stderr.write(s); };

  // Grouped by backend: one switch per backend.
  for (const backendName of ['cpu', 'wasm'] as const) {
    await backend(backendName);
    for (const column of COLUMNS.filter((c) => c.backend === backendName)) {
      setFusedKernels(column.fused);
      setValueChecks(column.valueChecks);
      for (const r of ROWS) {
        log(`${column.name} ${r.name}…\n`);
        rows[r.name]![column.name] = time(r, column.sync, column.slow ? SLOW_REPS : REPS);
      }
    }
  }
  setFusedKernels(true);
  setValueChecks(true);
  log('pytorch…\n');
  const torch = ROWS.length > 0 ? torchTimes(ROWS) : undefined;
  if (torch) for (const r of ROWS) if (torch[r.name] !== undefined) rows[r.name]!['pytorch'] = torch[r.name]!;
  let linear: Record<string, LinearOutcome> | undefined;
  if (LINEAR_NAME.includes(only) && !skipLinear) {
    log(`${LINEAR_NAME} chunked (${LINEAR_REPS} runs, ~45 s each)…\n`);
    const chunked = measureLinearInChild('chunked', LINEAR_REPS);
    log(`${LINEAR_NAME} materialized (${LINEAR_MATERIALIZED_REPS} run, ~6 min)…\n`);
    const materialized = measureLinearInChild('materialized', LINEAR_MATERIALIZED_REPS);
    linear = { materialized, chunked };
  }

  if (json) {
    const linearJson = linear && { name: LINEAR_NAME, backend: 'wasm', chunkSize: LINEAR_SHAPE.chunkSize, unit: 'ms (median, forward+both gradients); MiB', ...linear };
    console.log(JSON.stringify({ reps: REPS, tfjsCpuReps: SLOW_REPS, unit: 'ms (median, forward+backward)', columns: COLUMNS, rows, ratios: Object.fromEntries(ROWS.map((r) => [r.name, ratios(rows[r.name]!)])), linear: linearJson }, null, 2));
    return;
  }
  if (ROWS.length > 0) printMain(rows, torch !== undefined);
  if (linear) printLinear(linear);
}

function printMain(rows: Record<string, Record<string, number>>, hasTorch: boolean): void {
  const cols = [...COLUMNS.map((c) => c.name), 'pytorch'];
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const fmtRatio = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(2)}×`);
  const ratioNames = Object.keys(ratios({}));
  const header = ['workload', ...cols, ...ratioNames];
  const lines = ROWS.map((w) => {
    const r = rows[w.name]!;
    const q = ratios(r);
    return [w.name, ...cols.map((c) => fmt(r[c])), ...ratioNames.map((n) => fmtRatio(q[n]))];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`forward + backward, median ms (${REPS} runs after warm-up; tfjs-cpu composite: ${SLOW_REPS} runs)`);
  console.log('tfjs-cpu / tfjs-wasm = composite tfjs ops; lossforge / lossforge-wasm = fused kernels on the tfjs cpu / wasm backend; value checks off, gradient read back');
  console.log('"default" = value checks on (lossforge\'s default settings); "train" = default settings, the gradient left in the backend (one entry read back)');
  console.log('ratios (>1 = lossforge faster): fused vs composite on the same backend; PyTorch (2 threads, gradient left in memory) over the faster');
  console.log('lossforge backend with checks off, default settings, training mode; "checks cost" = faster default / faster checks-off time' + (hasTorch ? '' : '; PyTorch not found'));
  console.log('ctc: tfjs-cpu / tfjs-wasm columns = lossforge\'s JavaScript recursion (fused kernels off; tfjs has no CTC)');
  console.log(row(header));
  for (const l of lines) console.log(row(l));
}

function printLinear(linear: Record<string, LinearOutcome>): void {
  console.log('');
  console.log(`${LINEAR_NAME} (hidden [N,H] · weight [H,V], sparse softmax CE, forward + gradients for hidden and weight), tfjs-wasm backend`);
  console.log('peak = tf.profile peakBytes above the inputs (tensor memory); maxRSS = the measuring process\'s peak resident memory');
  for (const [variant, r] of Object.entries(linear)) {
    const label = variant === 'chunked' ? `chunked (linearCrossentropy, chunkSize ${LINEAR_SHAPE.chunkSize})` : 'materialized (sparseCategoricalCrossentropy on matMul)';
    if ('error' in r) console.log(`  ${label.padEnd(56)}  failed: ${r.error}`);
    else console.log(`  ${label.padEnd(56)}  ${r.ms.toFixed(0).padStart(7)} ms (median of ${r.runs})  peak ${r.peakMiB.toFixed(0).padStart(5)} MiB  maxRSS ${(r.maxRssMiB ?? 0).toFixed(0).padStart(5)} MiB`);
  }
}

await main();
