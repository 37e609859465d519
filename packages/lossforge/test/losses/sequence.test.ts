/**
 * CTC (src/losses/sequence.ts) on the cpu and wasm backends: golden values and gradients from PyTorch
 * 1.13 (test/fixtures/ctc.json, written by scripts/fixtures/sequence.py), gradient checks, the
 * decoders against hand-worked cases and a brute-force enumeration, bad inputs, and leaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { seeded } from '../helpers/random.js';
import { gradCheck, losses, LossInputError, type LossCall } from '../../src/index.js';
import { ctcBeamSearchDecode, ctcForwardBackward, ctcGreedyDecode } from '../../src/losses/sequence.js';

type Nested = number | Nested[];

interface CtcCase {
  note: string;
  options: Record<string, unknown>;
  labels: number[][];
  logits: number[][][];
  inputLengths: number[];
  sampleWeight?: number[];
  value: Nested;
  grad: Nested;
}

const { cases } = loadFixture<{ cases: CtcCase[] }>('ctc');
const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);
const int = (x: number[] | number[][]) => tf.tensor(x, undefined, 'int32');

function randomLogits(seed: number, shape: [number, number, number], scale = 2): tf.Tensor3D {
  const next = seeded(seed);
  return tf.tensor3d(Array.from({ length: shape[0] * shape[1] * shape[2] }, () => (next() - 0.5) * 2 * scale), shape);
}

/** Logits whose per-frame argmax is `frames[t]`, with margin `scale`. */
function peaked(frames: number[][], C: number, scale = 5): tf.Tensor3D {
  return tf.tensor3d(frames.map((row) => row.map((k) => Array.from({ length: C }, (_, c) => (c === k ? scale : 0)))));
}

/** log p(labelling) for every labelling, by enumerating all C^T paths (float64, independent of the library). */
function bruteForce(logProbs: number[][], blank: number): Map<string, number> {
  const T = logProbs.length;
  const C = logProbs[0]!.length;
  const totals = new Map<string, number>();
  const path = new Array<number>(T).fill(0);
  for (let n = 0; n < C ** T; n++) {
    let rest = n;
    let logP = 0;
    for (let t = 0; t < T; t++) {
      path[t] = rest % C;
      rest = Math.floor(rest / C);
      logP += logProbs[t]![path[t]!]!;
    }
    const labelling = path.filter((c, t) => c !== blank && (t === 0 || c !== path[t - 1]));
    const key = labelling.join(',');
    totals.set(key, (totals.get(key) ?? 0) + Math.exp(logP));
  }
  return new Map([...totals].map(([k, p]) => [k, Math.log(p)]));
}

function logSoftmaxRows(logits: tf.Tensor3D, b: number): number[][] {
  return tf.tidy(() => tf.logSoftmax(logits, -1).arraySync()[b]!) as number[][];
}

await useBackend('cpu');

for (const backend of BACKENDS) {
  describe(`ctc on ${backend}`, () => {

    describe('golden values and gradients (PyTorch 1.13, float64)', () => {
      cases.forEach((c, i) => {
        test(`${i}: ${c.note}`, async () => {
          await useBackend(backend);
          const loss = losses.ctc(c.options as never);
          const labels = int(c.labels);
          const logits = tf.tensor3d(c.logits);
          const call: LossCall = { inputLengths: int(c.inputLengths) };
          if (c.sampleWeight) call.sampleWeight = tf.tensor1d(c.sampleWeight);
          const value = loss(labels, logits, call);
          assertClose(value, flat(c.value), { rtol: 1e-5, atol: 1e-5 }, 'value');
          const grad = tf.grad((x: tf.Tensor) => tf.sum(loss(labels, x, call)) as tf.Scalar)(logits);
          assertClose(grad, flat(c.grad), { rtol: 1e-3, atol: 1e-5 }, 'gradient');
          tf.dispose([value, grad, labels, logits, ...(Object.values(call) as tf.Tensor[])]);
        });
      });
    });

    test('gradCheck: logits, log-probabilities, normalizeByLength', async () => {
      await useBackend(backend);
      const labels = int([[1, 1, -1], [2, 3, 1]]);
      const logits = randomLogits(7, [2, 7, 4], 1.5);
      const call = { inputLengths: int([7, 5]) };
      const logProbs = tf.logSoftmax(logits, -1);
      const checks: [string, ReturnType<typeof losses.ctc>, tf.Tensor][] = [
        ['logits, sum', losses.ctc({ reduction: 'sum' }), logits],
        ['log-probabilities, none', losses.ctc({ fromLogits: false, reduction: 'none' }), logProbs],
        ['normalizeByLength, mean', losses.ctc({ normalizeByLength: true }), logits],
      ];
      for (const [what, loss, input] of checks) {
        const report = gradCheck(loss, labels, input, call, { step: 1e-2 });
        assert.ok(report.passed, `${what}: ${JSON.stringify(report)}`);
      }
      tf.dispose([labels, logits, logProbs, call.inputLengths]);
    });

    test('fromLogits: false behind tf.logSoftmax gives the fromLogits: true value and gradient', async () => {
      await useBackend(backend);
      const labels = int([[3, 3, 1], [2, -1, -1]]);
      const logits = randomLogits(11, [2, 9, 5]);
      const direct = losses.ctc({ reduction: 'sum' });
      const viaLogProbs = losses.ctc({ reduction: 'sum', fromLogits: false });
      assertClose(viaLogProbs(labels, tf.logSoftmax(logits, -1)), direct(labels, logits).dataSync()[0]!, { rtol: 1e-5 });
      const g1 = tf.grad((x: tf.Tensor) => direct(labels, x) as tf.Scalar)(logits);
      const g2 = tf.grad((x: tf.Tensor) => viaLogProbs(labels, tf.logSoftmax(x, -1)) as tf.Scalar)(logits);
      assertClose(g2, Array.from(g1.dataSync()), { rtol: 1e-3, atol: 1e-5 });
      tf.dispose([labels, logits, g1, g2]);
    });

    test('input length 0: an empty target costs 0, any other is impossible', async () => {
      await useBackend(backend);
      const labels = int([[-1, -1], [2, -1]]);
      const logits = randomLogits(3, [2, 4, 3]);
      const inputLengths = int([0, 0]);
      assertClose(losses.ctc({ reduction: 'none' })(labels, logits, { inputLengths }), [0, Infinity]);
      assertClose(losses.ctc({ reduction: 'none', zeroInfinity: true })(labels, logits, { inputLengths }), [0, 0]);
      const grad = tf.grad((x: tf.Tensor) => losses.ctc({ zeroInfinity: true })(labels, x, { inputLengths }) as tf.Scalar)(logits);
      assertClose(grad, new Array(24).fill(0));
      tf.dispose([labels, logits, inputLengths, grad]);
    });

    test('a masked-out impossible sample leaves a finite loss and gradient', async () => {
      await useBackend(backend);
      const labels = int([[1, 1, 1], [2, -1, -1]]);
      const logits = randomLogits(5, [2, 3, 3]);
      const loss = losses.ctc();
      const call = { mask: [0, 1] };
      const value = loss(labels, logits, call).dataSync()[0]!;
      const alone = losses.ctc({ reduction: 'sum' })(int([[2]]), logits.slice([1, 0, 0], [1, 3, 3])).dataSync()[0]!;
      assertClose(value, alone);
      const grad = tf.grad((x: tf.Tensor) => loss(labels, x, call) as tf.Scalar)(logits).dataSync();
      assert.ok(grad.every(Number.isFinite), `gradient ${Array.from(grad)}`);
      assertClose(grad.slice(0, 9), new Array(9).fill(0));
      tf.dispose([labels, logits]);
    });

    test('log-probabilities of −Infinity (probability 0) are accepted, with zero gradient there', async () => {
      await useBackend(backend);
      const half = Math.log(0.5);
      const frame = [half, half, -Infinity];
      const logProbs = tf.tensor3d([[frame, frame, frame]]);
      const labels = int([[1]]);
      const loss = losses.ctc({ fromLogits: false, reduction: 'sum' });
      // Paths for "1" over 3 frames with p = ½ for blank and 1: 1bb, 11b, 111, b1b, b11, bb1 → 6/8.
      assertClose(loss(labels, logProbs), -Math.log(6 / 8));
      const grad = tf.grad((x: tf.Tensor) => loss(labels, x) as tf.Scalar)(logProbs).dataSync();
      for (let t = 0; t < 3; t++) assert.ok(grad[t * 3 + 2] === 0, `gradient ${grad[t * 3 + 2]}`);
      assert.ok(grad.every(Number.isFinite));
      tf.dispose([logProbs, labels]);
    });

    test('no leaks in the loss, its gradient, or the decoders', async () => {
      await useBackend(backend);
      const labels = int([[1, 2, -1], [3, 3, 1]]);
      const logits = randomLogits(2, [2, 8, 5]);
      const call = { inputLengths: int([8, 6]) };
      for (const options of [{}, { normalizeByLength: true, reduction: 'none' as const }, { fromLogits: false, zeroInfinity: true }]) {
        const loss = losses.ctc(options);
        assertNoLeak(() => loss(labels, logits, call), 'ctc');
        assertNoLeak(() => tf.grad((x: tf.Tensor) => tf.sum(loss(labels, x, call)) as tf.Scalar)(logits), 'ctc gradient');
      }
      assertNoLeak(() => void ctcGreedyDecode(logits, { inputLengths: [8, 3] }), 'greedy decode');
      assertNoLeak(() => void ctcBeamSearchDecode(logits.arraySync(), { topPaths: 2 }), 'beam search');
      const badLabels = int([[9]]);
      const first = logits.slice([0], [1]);
      assertNoLeak(() => void assert.throws(() => losses.ctc()(badLabels, first), LossInputError), 'a rejected call');
      tf.dispose([labels, logits, call.inputLengths, badLabels, first]);
    });

    test('greedy decoding: best path, repeats merged, blanks dropped, input lengths', async () => {
      await useBackend(backend);
      const logits = peaked([[1, 1, 0, 1, 2, 2, 0], [0, 3, 3, 3, 0, 0, 2]], 4);
      assert.deepEqual(ctcGreedyDecode(logits), [[1, 1, 2], [3, 2]]);
      assert.deepEqual(ctcGreedyDecode(logits, { mergeRepeated: false }), [[1, 1, 1, 2, 2], [3, 3, 3, 2]]);
      assert.deepEqual(ctcGreedyDecode(logits, { inputLengths: [4, 1] }), [[1, 1], []]);
      assert.deepEqual(ctcGreedyDecode(logits, { blank: 3 }), [[1, 0, 1, 2, 0], [0, 0, 2]]);
      logits.dispose();
    });

    test('beam search finds the best labelling where the best path is wrong (hand-worked)', async () => {
      await useBackend(backend);
      // Two frames, p(blank) = 0.6, p(a) = 0.4: the best path is "blank blank" (0.36, labelling ""),
      // but "a" collects aa + a· + ·a = 0.16 + 0.24 + 0.24 = 0.64.
      const frame = [Math.log(0.6), Math.log(0.4)];
      const logits = tf.tensor3d([[frame, frame]]);
      assert.deepEqual(ctcGreedyDecode(logits), [[]]);
      const { paths, logProbs } = ctcBeamSearchDecode(logits, { topPaths: 2 });
      assert.deepEqual(paths, [[[1], []]]);
      assertClose(logProbs[0]!, [Math.log(0.64), Math.log(0.36)]);
      logits.dispose();
    });

    test('beam search with a wide beam is exact (against brute-force enumeration), and agrees with the loss', async () => {
      await useBackend(backend);
      for (const [seed, blank] of [[21, 0], [22, 2], [23, 1]] as const) {
        const logits = randomLogits(seed, [2, 5, 3], 1.5);
        const { paths, logProbs } = ctcBeamSearchDecode(logits, { beamWidth: 64, topPaths: 3, blank });
        for (let b = 0; b < 2; b++) {
          const exact = [...bruteForce(logSoftmaxRows(logits, b), blank)].sort((x, y) => y[1] - x[1]).slice(0, 3);
          assert.deepEqual(paths[b]!.map((p) => p.join(',')), exact.map(([k]) => k), `seed ${seed}, sample ${b}`);
          assertClose(logProbs[b]!, exact.map(([, v]) => v), { rtol: 1e-6, atol: 1e-6 });
          // The beam's score of its best labelling is −ctc(labelling).
          const best = paths[b]![0]!;
          const nll = losses.ctc({ blank, reduction: 'sum' })(int([best.length ? best : [-1]]), logits.slice([b], [1]));
          assertClose(nll, -logProbs[b]![0]!, { rtol: 1e-5, atol: 1e-5 });
          nll.dispose();
        }
        logits.dispose();
      }
    });

    test('beam search finds labellings at least as likely as greedy decoding; its scores are lower bounds', async () => {
      await useBackend(backend);
      const loss = losses.ctc({ reduction: 'none' });
      /** log p(labelling) of one labelling per sample, from the loss. */
      const logLikelihood = (labellings: number[][], logits: tf.Tensor): number[] => {
        const S = Math.max(1, ...labellings.map((l) => l.length));
        const labels = int(labellings.map((l) => [...l, ...new Array(S - l.length).fill(-1)]));
        const nll = loss(labels, logits);
        const out = Array.from(nll.dataSync(), (v) => -v);
        tf.dispose([labels, nll]);
        return out;
      };
      for (let seed = 100; seed < 110; seed++) {
        const logits = randomLogits(seed, [2, 20, 5], 1);
        const greedy = logLikelihood(ctcGreedyDecode(logits), logits);
        const { paths, logProbs } = ctcBeamSearchDecode(logits, { beamWidth: 16 });
        const beam = logLikelihood(paths.map((p) => p[0]!), logits);
        for (let b = 0; b < 2; b++) {
          assert.ok(beam[b]! >= greedy[b]! - 1e-5, `seed ${seed}: beam labelling ${beam[b]} < greedy labelling ${greedy[b]}`);
          // The beam sums a subset of the labelling's paths (pruned prefixes lose theirs).
          assert.ok(logProbs[b]![0]! <= beam[b]! + 1e-5, `seed ${seed}: beam score ${logProbs[b]![0]} > ${beam[b]}`);
        }
        logits.dispose();
      }
    });

    test('on confident frames, beam search of width 1 and greedy decoding agree', async () => {
      await useBackend(backend);
      const next = seeded(9);
      const frames = Array.from({ length: 3 }, () => Array.from({ length: 15 }, () => Math.floor(next() * 4)));
      const logits = peaked(frames, 4, 12);
      assert.deepEqual(ctcBeamSearchDecode(logits, { beamWidth: 1 }).paths.map((p) => p[0]), ctcGreedyDecode(logits));
      logits.dispose();
    });
  });
}

describe('ctc: the recursion and configuration', () => {
  test('posterior occupancies sum to 1 on every used frame', () => {
    const T = 6;
    const C = 4;
    const next = seeded(4);
    const logProbs = new Float64Array(T * C);
    for (let t = 0; t < T; t++) {
      const row = Array.from({ length: C }, () => next() + 0.05);
      const total = row.reduce((a, b) => a + b);
      row.forEach((p, c) => (logProbs[t * C + c] = Math.log(p / total)));
    }
    const { nll, grad } = ctcForwardBackward(logProbs, T, C, [1, 1, 2], 5, 0);
    assert.ok(Number.isFinite(nll) && nll > 0);
    for (let t = 0; t < T; t++) {
      const sum = Array.from(grad.subarray(t * C, (t + 1) * C)).reduce((a, b) => a + b);
      assertClose(sum, t < 5 ? -1 : 0, { atol: 1e-6 });
    }
  });

  test('config round trip and aliases', () => {
    const loss = losses.ctc({ blank: 3, padValue: -2, zeroInfinity: true, normalizeByLength: true, reduction: 'sum' });
    assert.deepEqual(loss.getConfig(), { name: 'ctc', blank: 3, padValue: -2, zeroInfinity: true, fromLogits: true, normalizeByLength: true, reduction: 'sum' });
    assert.deepEqual(losses.fromConfig(loss.getConfig()).options, loss.options);
    assert.equal(losses.get('ctc_loss').name, 'ctc');
    assert.equal(losses.get('CTCLoss').name, 'ctc');
  });
});

describe('ctc: bad inputs', () => {
  const logits = tf.tensor3d(Array.from({ length: 60 }, (_, i) => Math.sin(i)), [2, 6, 5]);
  const labels = int([[1, 2, -1], [3, -1, -1]]);
  const ctc = losses.ctc();

  test('labels: values, blank, padding in the middle, rank, batch', () => {
    assertLossInputError(() => ctc(int([[1, 5, -1], [3, -1, -1]]), logits), 'yTrue', /ctc: yTrue: expected labels in \[0, 4\] other than the blank \(0\), or padValue -1, got 5 at index \[0,1\]/);
    assertLossInputError(() => ctc(int([[1, 0, -1], [3, -1, -1]]), logits), 'yTrue', /got 0 at index \[0,1\]/);
    assertLossInputError(() => ctc(int([[1, -2, -1], [3, -1, -1]]), logits), 'yTrue', /got -2/);
    assertLossInputError(() => ctc(int([[1, -1, 2], [3, -1, -1]]), logits), 'yTrue', /padding \(padValue -1\) only at the end of each row, got label 2 at index \[0,2\] after padding at \[0,1\]/);
    assertLossInputError(() => ctc(int([1, 2]), logits), 'yTrue', /rank 2/);
    assertLossInputError(() => ctc(int([[1, 2, -1]]), logits), 'yTrue', /padded labels of shape \[2, S\] \(yPred's batch is 2\), got shape \[1,3\]/);
    assertLossInputError(() => losses.ctc({ blank: 2 })(int([[1, 2, -1], [3, -1, -1]]), logits), 'yTrue', /other than the blank \(2\)/);
  });

  test('logits: rank and values', () => {
    assertLossInputError(() => ctc(labels, tf.zeros([2, 5])), 'yPred', /rank 3/);
    assertLossInputError(() => ctc(labels, tf.fill([2, 6, 5], NaN)), 'yPred', /finite values/);
    assertLossInputError(() => losses.ctc({ fromLogits: false })(labels, tf.fill([2, 6, 5], Infinity)), 'yPred', /log-probabilities/);
  });

  test('inputLengths: range, shape, dtype', () => {
    assertLossInputError(() => ctc(labels, logits, { inputLengths: int([7, 6]) }), 'call.inputLengths', /lengths in \[0, 6\] \(the time axis of yPred\), got 7 at index \[0\]/);
    assertLossInputError(() => ctc(labels, logits, { inputLengths: [-1, 6] }), 'call.inputLengths', /got -1 at index \[0\]/);
    assertLossInputError(() => ctc(labels, logits, { inputLengths: int([6, 6, 6]) }), 'call.inputLengths', /shape \[2\].*got shape \[3\]/);
    assertLossInputError(() => ctc(labels, logits, { inputLengths: int([[6, 6]]) }), 'call.inputLengths', /got shape \[1,2\]/);
    assertLossInputError(() => ctc(labels, logits, { inputLengths: tf.tensor1d([6, 6]) }), 'call.inputLengths', /got dtype float32/);
    assertLossInputError(() => ctc(labels, logits, { inputLengths: [6, 2.5] }), 'call.inputLengths', /got 2\.5 at index \[1\]/);
    assertLossInputError(() => ctc(labels, logits, { inputLengths: 'six' }), 'call.inputLengths');
    assertLossInputError(() => ctc(labels, logits, { inputLength: [6, 6] }), 'call.inputLength');
  });

  test('options: at construction, and blank against the classes at call time', () => {
    assertLossInputError(() => losses.ctc({ blank: -1 }), 'options.blank', /an integer in \[0, ∞\), got -1/);
    assertLossInputError(() => losses.ctc({ blank: 1.5 }), 'options.blank');
    assertLossInputError(() => losses.ctc({ padValue: 0.5 }), 'options.padValue');
    assertLossInputError(() => losses.ctc({ zeroInfinity: 'yes' as never }), 'options.zeroInfinity');
    assertLossInputError(() => losses.ctc({ reduction: 'avg' as never }), 'options.reduction');
    assertLossInputError(() => losses.ctc({ blanc: 0 } as never), 'options.blanc');
    assertLossInputError(() => losses.ctc({ blank: 5 })(labels, logits), 'options.blank', /a class index in \[0, 4\] \(yPred has 5 classes\), got 5/);
  });

  test('decoders', () => {
    assertLossInputError(() => ctcGreedyDecode(tf.zeros([2, 5])), 'logits', /rank 3/);
    assertLossInputError(() => ctcGreedyDecode(logits, { blank: 5 }), 'options.blank');
    assertLossInputError(() => ctcGreedyDecode(logits, { inputLengths: [7, 1] }), 'options.inputLengths');
    assertLossInputError(() => ctcGreedyDecode(logits, { merge: true } as never), 'options.merge');
    assertLossInputError(() => ctcGreedyDecode(tf.fill([1, 2, 3], NaN)), 'logits');
    assertLossInputError(() => ctcBeamSearchDecode(logits, { beamWidth: 0 }), 'options.beamWidth');
    assertLossInputError(() => ctcBeamSearchDecode(logits, { beamWidth: 2, topPaths: 3 }), 'options.topPaths', /at most beamWidth/);
    assertLossInputError(() => ctcBeamSearchDecode(logits, 5 as never), 'options');
  });
});

test('ctc: non-integer labels are reported, not truncated', async () => {
  await useBackend('cpu');
  const logits = tf.zeros([1, 4, 3]);
  assert.throws(() => losses.ctc()([[1.5, 2]], logits), /ctc: yTrue: expected integer values, got 1\.5 at index \[0,0\]/);
  logits.dispose();
});
