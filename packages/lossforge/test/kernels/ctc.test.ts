/**
 * The WebAssembly CTC forward–backward (src/kernels/ctc.ts) against the JavaScript recursion of
 * src/losses/sequence.ts: the kernel directly against `ctcForwardBackward`, and the `ctc` loss with the
 * fused kernels on and off, on random batches with mixed input and target lengths, repeated labels,
 * impossible alignments, empty targets and inputs, −∞ log-probabilities and a non-zero blank. The
 * kernel runs in probability space with per-frame scaling and recomputes a sample in log space when
 * probabilities underflow: extreme and peaked logits cover both paths and the switch between them.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertNoLeak } from '../helpers/assert.js';
import { seeded } from '../helpers/random.js';
import { losses } from '../../src/index.js';
import { ctcForwardBackward } from '../../src/losses/sequence.js';
import { fusedCtcBatch, type CtcBatchInput } from '../../src/kernels/ctc.js';
import { fusedKernelsReady, setFusedKernels } from '../../src/kernels/index.js';

const rand = seeded(77);
const int = (n: number) => Math.floor(rand() * n);

interface Batch extends CtcBatchInput {
  /** Padded labels [B, maxL] (−1 padding). */
  padded: number[][];
  logits: Float32Array;
}

/**
 * A random batch: targets of mixed lengths (some empty, some longer than their input: impossible),
 * with runs of repeated labels (each repeat needs a blank between), input lengths in [0, T].
 */
function randomBatch(B: number, T: number, C: number, blank: number, scale = 3): Batch {
  const classes = Array.from({ length: C }, (_, c) => c).filter((c) => c !== blank);
  const targets: Int32Array[] = [];
  for (let b = 0; b < B; b++) {
    const L = b === 0 ? 0 : b === 1 ? T + 1 : int(Math.ceil(T * 0.6) + 1);
    const t = new Int32Array(L);
    for (let i = 0; i < L; i++) t[i] = i > 0 && rand() < 0.35 ? t[i - 1]! : classes[int(classes.length)]!;
    targets.push(t);
  }
  const inputLengths = Int32Array.from({ length: B }, (_, b) => (b === 2 ? 0 : b === 3 ? T : int(T + 1)));
  const maxL = Math.max(1, ...targets.map((t) => t.length));
  const padded = targets.map((t) => [...t, ...new Array<number>(maxL - t.length).fill(-1)]);
  const logits = Float32Array.from({ length: B * T * C }, () => (rand() - 0.5) * 2 * scale);
  return { B, T, C, targets, inputLengths, padded, logits };
}

/** Row-wise log-softmax in float64, rounded to float32 (what a user would feed with fromLogits: false). */
function logSoftmax(x: Float32Array, C: number, minusInfinity = false): Float32Array {
  const out = new Float32Array(x.length);
  for (let o = 0; o < x.length; o += C) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[o + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(x[o + c]! - m);
    for (let c = 0; c < C; c++) out[o + c] = x[o + c]! - m - Math.log(sum);
    if (minusInfinity && rand() < 0.3) out[o + int(C)] = -Infinity; // a class with probability 0
  }
  return out;
}

const closeOrSame = { rtol: 1e-5, atol: 1e-6 };

before(async () => {
  assert.equal(await fusedKernelsReady(), true);
});

test('the kernel equals ctcForwardBackward sample by sample (log-probabilities in, −γ out)', () => {
  let impossible = 0;
  for (const [B, T, C, blank] of [[8, 12, 5, 0], [6, 30, 9, 8], [5, 7, 2, 1], [4, 50, 20, 3]] as const) {
    const batch = randomBatch(B, T, C, blank);
    const logProbs = logSoftmax(batch.logits, C, true);
    const fused = fusedCtcBatch(logProbs, batch, { blank, fromLogits: false, zeroInfinity: false });
    assert.ok(fused, 'the fused kernels are on and loaded');
    for (let b = 0; b < B; b++) {
      const block = T * C;
      const reference = ctcForwardBackward(logProbs.subarray(b * block, (b + 1) * block), T, C, batch.targets[b]!, batch.inputLengths[b]!, blank);
      if (reference.nll === Infinity) impossible++;
      const label = `B${B} T${T} C${C} blank ${blank} sample ${b} (L ${batch.targets[b]!.length}, T′ ${batch.inputLengths[b]})`;
      assertClose([fused.nll[b]!], [Math.fround(reference.nll)], closeOrSame, `${label} nll`);
      assertClose(fused.grad.subarray(b * block, (b + 1) * block), reference.grad, closeOrSame, `${label} gradient`);
    }
  }
  assert.ok(impossible >= 4, `${impossible} impossible alignments covered`);
});

/** Row-wise log-softmax in float64 of the first `rows` rows (what the loss does with logits). */
function logSoftmax64(x: Float32Array, C: number, rows: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let o = 0; o < rows * C; o += C) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[o + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(x[o + c]! - m);
    for (let c = 0; c < C; c++) out[o + c] = x[o + c]! - m - Math.log(sum);
  }
  return out;
}

/** ctcForwardBackward on logits: the NLL and the gradient with respect to the logits (softmax − γ). */
function referenceFromLogits(logits: Float32Array, T: number, C: number, target: Int32Array, inputLength: number, blank: number) {
  const logProbs = logSoftmax64(logits, C, inputLength);
  const { nll, grad } = ctcForwardBackward(logProbs, T, C, target, inputLength, blank);
  for (let o = 0; o < inputLength * C; o += C) {
    let total = 0;
    for (let c = 0; c < C; c++) total += grad[o + c]!;
    for (let c = 0; c < C; c++) grad[o + c] = grad[o + c]! - Math.exp(logProbs[o + c]!) * total;
  }
  return { nll, grad };
}

/** Compares the kernel with `referenceFromLogits` sample by sample. */
function assertKernelMatchesReference(batch: Batch, blank: number, what: string): void {
  const { B, T, C } = batch;
  const fused = fusedCtcBatch(batch.logits, batch, { blank, fromLogits: true, zeroInfinity: false });
  assert.ok(fused, 'the fused kernels are on and loaded');
  const block = T * C;
  for (let b = 0; b < B; b++) {
    const reference = referenceFromLogits(batch.logits.subarray(b * block, (b + 1) * block), T, C, batch.targets[b]!, batch.inputLengths[b]!, blank);
    const label = `${what} sample ${b} (L ${batch.targets[b]!.length}, T′ ${batch.inputLengths[b]})`;
    assertClose([fused.nll[b]!], [Math.fround(reference.nll)], closeOrSame, `${label} nll`);
    assertClose(fused.grad.subarray(b * block, (b + 1) * block), reference.grad, closeOrSame, `${label} gradient`);
  }
}

/** Whether some target class (or the blank) has a probability below float64's range (e^−745 = 0) at a used frame. */
function probabilitiesUnderflow(batch: Batch, blank: number): boolean {
  const { B, T, C } = batch;
  for (let b = 0; b < B; b++) {
    const tin = batch.inputLengths[b]!;
    const logProbs = logSoftmax64(batch.logits.subarray(b * T * C, (b + 1) * T * C), C, tin);
    for (let t = 0; t < tin; t++) {
      for (const c of [blank, ...batch.targets[b]!]) if (Math.exp(logProbs[t * C + c]!) === 0) return true;
    }
  }
  return false;
}

test('extreme logits: where probabilities underflow, the kernel still equals ctcForwardBackward (log-space fallback)', () => {
  // Logits in ±30 and ±100: lattice values of one frame span more than float64's range (products of
  // probabilities along paths); in ±1000, single needed probabilities are below e^−745 (asserted). The
  // scaled recursion cannot represent either; sample 0, rescaled to ±1, stays on the scaled path.
  for (const [B, T, C, blank] of [[8, 40, 6, 0], [6, 60, 13, 5]] as const) {
    for (const scale of [30, 100, 1000]) {
      const batch = randomBatch(B, T, C, blank, scale);
      for (let i = 0; i < T * C; i++) batch.logits[i] = batch.logits[i]! / scale;
      if (scale === 1000) assert.ok(probabilitiesUnderflow(batch, blank), 'some needed probability underflows');
      assertKernelMatchesReference(batch, blank, `B${B} T${T} C${C} scale ${scale}`);
      // Log-probabilities of the same batch (fromLogits false) against ctcForwardBackward directly.
      const logProbs = logSoftmax(batch.logits, C);
      const fused = fusedCtcBatch(logProbs, batch, { blank, fromLogits: false, zeroInfinity: false })!;
      for (let b = 0; b < B; b++) {
        const block = T * C;
        const reference = ctcForwardBackward(logProbs.subarray(b * block, (b + 1) * block), T, C, batch.targets[b]!, batch.inputLengths[b]!, blank);
        const label = `log-probabilities, scale ${scale}, sample ${b}`;
        assertClose([fused.nll[b]!], [Math.fround(reference.nll)], closeOrSame, `${label} nll`);
        assertClose(fused.grad.subarray(b * block, (b + 1) * block), reference.grad, closeOrSame, `${label} gradient`);
      }
    }
  }
});

test('peaked logits along an alignment: far-off cells underflow harmlessly; where whole frames do, log space takes over', () => {
  // Each frame favours the blank or the label due at that time by `gap` (a trained network for small
  // gaps). Cells far from the alignment underflow in the scaled recursion without mattering; from gaps
  // of about 60 on, some frames' forward and backward masses sit on cells more than float64's range
  // apart (Z_t below SCALE_MIN), and those samples must be recomputed in log space.
  const C = 21;
  const blank = 0;
  for (const gap of [10, 30, 60, 90, 120, 150, 200, 300]) {
    const batch = randomBatch(gap >= 60 ? 32 : 6, 120, C, blank, 1);
    const { B, T } = batch;
    for (let b = 0; b < B; b++) {
      const target = batch.targets[b]!;
      for (let t = 0; t < T; t++) {
        const due = target.length > 0 ? target[Math.min(target.length - 1, Math.floor((t / T) * target.length))]! : blank;
        const favoured = rand() < 0.5 ? blank : due;
        batch.logits[(b * T + t) * C + favoured] += gap;
      }
    }
    assertKernelMatchesReference(batch, blank, `gap ${gap}`);
  }
});

test('the kernel is off with setFusedKernels(false)', () => {
  const batch = randomBatch(2, 4, 3, 0);
  const previous = setFusedKernels(false);
  try {
    assert.equal(fusedCtcBatch(batch.logits, batch, { blank: 0, fromLogits: true, zeroInfinity: false }), undefined);
  } finally {
    setFusedKernels(previous);
  }
});

for (const backend of BACKENDS) {
  describe(`ctc loss, fused vs JavaScript, on ${backend}`, () => {
    before(async () => {
      await useBackend(backend);
    });

    /** Per-sample values and the gradient under a non-uniform upstream gradient. */
    function run(on: boolean, options: object, labels: tf.Tensor, yPred: tf.Tensor, inputLengths: tf.Tensor) {
      const previous = setFusedKernels(on);
      try {
        const loss = losses.ctc({ ...options, reduction: 'none' });
        const value = loss(labels, yPred, { inputLengths });
        const grad = tf.grad((p: tf.Tensor) => {
          const v = loss(labels, p, { inputLengths });
          return tf.sum(tf.mul(v, tf.add(tf.range(0, v.size, 1, 'float32'), 1))) as tf.Scalar;
        })(yPred);
        const out = { value: value.dataSync().slice(), grad: grad.dataSync().slice() };
        tf.dispose([value, grad]);
        return out;
      } finally {
        setFusedKernels(previous);
      }
    }

    for (const fromLogits of [true, false]) {
      for (const zeroInfinity of [false, true]) {
        test(`fromLogits ${fromLogits}, zeroInfinity ${zeroInfinity}: values and gradients agree within 1e-5`, () => {
          for (const [B, T, C, blank] of [[8, 15, 6, 0], [6, 40, 12, 11]] as const) {
            const batch = randomBatch(B, T, C, blank);
            const x = fromLogits ? batch.logits : logSoftmax(batch.logits, C, true);
            const yPred = tf.tensor3d(x, [B, T, C]);
            const labels = tf.tensor2d(batch.padded, undefined, 'int32');
            const inputLengths = tf.tensor1d(batch.inputLengths, 'int32');
            const options = { blank, fromLogits, zeroInfinity };
            const fused = run(true, options, labels, yPred, inputLengths);
            const js = run(false, options, labels, yPred, inputLengths);
            const label = `B${B} T${T} C${C} ${JSON.stringify(options)}`;
            assert.ok(js.value.some((v) => (zeroInfinity ? v === 0 : v === Infinity)), `${label}: an impossible alignment is in the batch`);
            assertClose(fused.value, js.value, closeOrSame, `${label} value`);
            assertClose(fused.grad, js.grad, closeOrSame, `${label} gradient`);
            tf.dispose([yPred, labels, inputLengths]);
          }
        });
      }
    }

    test('no tensors leak on the fused path', () => {
      const batch = randomBatch(3, 6, 4, 0);
      const yPred = tf.tensor3d(batch.logits, [3, 6, 4]);
      const labels = tf.tensor2d(batch.padded, undefined, 'int32');
      const loss = losses.ctc({ zeroInfinity: true });
      assertNoLeak(() => loss(labels, yPred), 'value');
      assertNoLeak(() => tf.grad((p: tf.Tensor) => loss(labels, p) as tf.Scalar)(yPred), 'gradient');
      tf.dispose([yPred, labels]);
    });
  });
}
