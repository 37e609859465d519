/**
 * `npm run bench` (add `--json` for machine-readable output): forward + backward of the fused loss
 * workloads, median wall time in ms, for tfjs-cpu (composite ops), tfjs-wasm (composite ops),
 * lossforge's fused kernels (on the cpu backend) and PyTorch CPU with 2 threads (when
 * /usr/bin/python3 has torch). Value checks are off in every tfjs column (as in training on trusted
 * data); each measurement is tf.grad of the mean-reduced loss with respect to yPred, read back.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { losses, setValueChecks } from '../src/index.js';
import { setFusedKernels } from '../src/kernels/index.js';

const REPS = 7;
const SLOW_REPS = 3; // tfjs-cpu composite rows take seconds each
const json = process.argv.includes('--json');

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

const WORKLOADS: Workload[] = [
  { ...elementwise('binaryCrossentropy', { fromLogits: true }, true), name: 'bce-logits 1024x1024' },
  { ...elementwise('binaryFocalCrossentropy', { fromLogits: true, gamma: 2 }, true), name: 'binary-focal 1024x1024' },
  { ...elementwise('meanSquaredError', {}, false), name: 'mse 1024x1024' },
  { ...elementwise('huber', {}, false), name: 'huber 1024x1024' },
  softmax(256, 32768),
  softmax(4096, 1000),
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

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

  if (json) {
    console.log(JSON.stringify({ reps: REPS, tfjsCpuReps: SLOW_REPS, unit: 'ms (median, forward+backward)', rows }, null, 2));
    return;
  }
  const cols = ['tfjs-cpu', 'tfjs-wasm', 'lossforge-wasm', 'lossforge', 'pytorch'];
  const fmt = (v: number | undefined) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const header = ['workload', ...cols, 'vs tfjs-wasm', 'vs pytorch'];
  const lines = WORKLOADS.map((w) => {
    const r = rows[w.name]!;
    const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(1)}×`);
    return [w.name, ...cols.map((c) => fmt(r[c])), ratio(r['tfjs-wasm'], r['lossforge']), ratio(r['pytorch'], r['lossforge'])];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`forward + backward, median ms (${REPS} runs after warm-up; tfjs-cpu composite: ${SLOW_REPS} runs); value checks off`);
  console.log('lossforge = fused kernels on the cpu backend; lossforge-wasm = fused kernels on the tfjs wasm backend;');
  console.log('"vs" columns: speed-up of lossforge over that column (>1 = lossforge faster)' + (torch ? '' : '; PyTorch not found'));
  console.log(row(header));
  for (const l of lines) console.log(row(l));
}

await main();
