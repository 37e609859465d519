/**
 * `npm run bench` (add `--json` for machine-readable output): forward + backward of the fused loss
 * workloads, median wall time in ms, for tfjs-cpu (composite ops), tfjs-wasm (composite ops),
 * lossforge's fused kernels on each of those backends and PyTorch CPU with 2 threads (when
 * /usr/bin/python3 has torch). Value checks are off in every tfjs column (as in training on trusted
 * data); each measurement is tf.grad of the mean-reduced loss with respect to yPred, read back.
 * The CTC row has no tfjs op: its tfjs-cpu / tfjs-wasm columns are lossforge's JavaScript recursion
 * (fused kernels off), its lossforge columns the WebAssembly kernel.
 * A second table compares linearCrossentropy (chunked) with the materialized logits (bench/linear.ts,
 * tfjs-wasm backend, each variant in its own process): median time and peak memory.
 * `--only <text>` runs only the rows whose name contains <text> ('linear-ce' for the second table);
 * `--skip-linear` leaves the second table out (it takes about 8 minutes).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { losses, setValueChecks } from 'lossforge';
import { setFusedKernels } from '../packages/lossforge/src/kernels/index.js';
import { LINEAR_SHAPE, measureLinearInChild, type LinearOutcome } from './linear.js';
import { median } from '../packages/workbench/src/stats.js';

const REPS = 7;
const SLOW_REPS = 3; // tfjs-cpu composite rows take seconds each
const LINEAR_REPS = 3; // about 45 s per chunked call on this machine
const LINEAR_MATERIALIZED_REPS = 1; // about 6 min per call: tfjs-wasm's transposed matMul is slow
const json = process.argv.includes('--json');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] ?? '' : '';
const skipLinear = process.argv.includes('--skip-linear');

interface Workload {
  name: string;
  make(): { yTrue: tf.Tensor; yPred: tf.Tensor };
  loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;
}

const N = 1024;
const elementwise = (lossName: string, options: object, binary: boolean): Workload => ({
  name: '',
  make: () => ({
    yTrue: binary ? tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([N, N], 0, 1, 'float32', 1), 0.5), 'float32')) : tf.randomNormal([N, N], 0, 1, 'float32', 1),
    yPred: tf.randomNormal([N, N], 0, 1, 'float32', 2),
  }),
  loss: losses.fromConfig({ name: lossName, ...options } as never),
});
const softmax = (b: number, c: number): Workload => ({
  name: `softmax-ce ${b}x${c}`,
  make: () => ({ yTrue: tf.randomUniform([b], 0, c, 'int32', 3), yPred: tf.randomNormal([b, c], 0, 1, 'float32', 4) }),
  loss: losses.sparseCategoricalCrossentropy({ fromLogits: true }),
});

/** CTC, T = 200 frames, B = 16, C = 40 classes (blank 0), targets of S = 50 labels; summed over the batch. */
const CTC_SHAPE = { T: 200, B: 16, C: 40, S: 50 };
const ctcWorkload = (): Workload => {
  const { T, B, C, S } = CTC_SHAPE;
  const loss = losses.ctc({ reduction: 'sum' });
  return {
    name: `ctc T${T} B${B} C${C} S${S}`,
    make: () => ({ yTrue: tf.randomUniform([B, S], 1, C, 'int32', 8), yPred: tf.randomNormal([B, T, C], 0, 1, 'float32', 9) }),
    loss: (yTrue, yPred) => loss(yTrue, yPred),
  };
};

const ALL_WORKLOADS: Workload[] = [
  { ...elementwise('binaryCrossentropy', { fromLogits: true }, true), name: 'bce-logits 1024x1024' },
  { ...elementwise('binaryFocalCrossentropy', { fromLogits: true, gamma: 2 }, true), name: 'binary-focal 1024x1024' },
  { ...elementwise('meanSquaredError', {}, false), name: 'mse 1024x1024' },
  { ...elementwise('huber', {}, false), name: 'huber 1024x1024' },
  softmax(256, 32768),
  softmax(4096, 1000),
  ctcWorkload(),
];
const WORKLOADS = ALL_WORKLOADS.filter((w) => w.name.includes(only));
const LINEAR_NAME = `linear-ce ${LINEAR_SHAPE.N}x${LINEAR_SHAPE.H}x${LINEAR_SHAPE.V}`;

function time(w: Workload, reps: number): number {
  const { yTrue, yPred } = w.make();
  const step = () => {
    const g = tf.tidy(() => tf.grad((p: tf.Tensor) => w.loss(yTrue, p) as tf.Scalar)(yPred));
    g.dataSync();
    g.dispose();
  };
  step(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    step();
    times.push(performance.now() - t);
  }
  tf.dispose([yTrue, yPred]);
  return median(times);
}

async function backend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  if (!(await tf.setBackend(name))) throw new Error(`no ${name} backend`);
}

function torchTimes(): Record<string, number> | undefined {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const script = fileURLToPath(new URL('./torch_bench.py', import.meta.url));
  return JSON.parse(execFileSync('/usr/bin/python3', [script, String(REPS)], { encoding: 'utf8' })) as Record<string, number>;
}

async function main(): Promise<void> {
  setValueChecks(false);
  const rows: Record<string, Record<string, number>> = {};
  for (const w of WORKLOADS) rows[w.name] = {};
  const log = (s: string) => { if (!json) process.stderr.write(s); };

  setFusedKernels(false);
  await backend('cpu');
  for (const w of WORKLOADS) { log(`tfjs-cpu ${w.name}…\n`); rows[w.name]!['tfjs-cpu'] = time(w, SLOW_REPS); }
  await backend('wasm');
  for (const w of WORKLOADS) { log(`tfjs-wasm ${w.name}…\n`); rows[w.name]!['tfjs-wasm'] = time(w, REPS); }
  setFusedKernels(true);
  for (const w of WORKLOADS) { log(`lossforge(wasm backend) ${w.name}…\n`); rows[w.name]!['lossforge-wasm'] = time(w, REPS); }
  await backend('cpu');
  for (const w of WORKLOADS) { log(`lossforge ${w.name}…\n`); rows[w.name]!['lossforge'] = time(w, REPS); }
  log('pytorch…\n');
  const torch = torchTimes();
  if (torch) for (const w of WORKLOADS) if (torch[w.name] !== undefined) rows[w.name]!['pytorch'] = torch[w.name]!;
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
    console.log(JSON.stringify({ reps: REPS, tfjsCpuReps: SLOW_REPS, unit: 'ms (median, forward+backward)', rows, linear: linearJson }, null, 2));
    return;
  }
  if (WORKLOADS.length > 0) printMain(rows, torch !== undefined);
  if (linear) printLinear(linear);
}

function printMain(rows: Record<string, Record<string, number>>, hasTorch: boolean): void {
  const cols = ['tfjs-cpu', 'tfjs-wasm', 'lossforge', 'lossforge-wasm', 'pytorch'];
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(1)}×`);
  const header = ['workload', ...cols, 'cpu: vs tfjs', 'wasm: vs tfjs', 'best vs pytorch'];
  const lines = WORKLOADS.map((w) => {
    const r = rows[w.name]!;
    const best = Math.min(r['lossforge'] ?? Infinity, r['lossforge-wasm'] ?? Infinity);
    return [w.name, ...cols.map((c) => fmt(r[c])), ratio(r['tfjs-cpu'], r['lossforge']), ratio(r['tfjs-wasm'], r['lossforge-wasm']), ratio(r['pytorch'], best)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`forward + backward, median ms (${REPS} runs after warm-up; tfjs-cpu composite: ${SLOW_REPS} runs); value checks off`);
  console.log('lossforge = fused kernels on the tfjs cpu backend; lossforge-wasm = fused kernels on the tfjs wasm backend (in its heap);');
  console.log('"vs" columns: speed-up of lossforge over tfjs on the same backend, and of the faster lossforge column over PyTorch');
  console.log('(>1 = lossforge faster)' + (hasTorch ? '' : '; PyTorch not found'));
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
