/**
 * The largest errors of the golden cases of some losses against their references (value and gradient),
 * for the family tests to report as diagnostics (the golden suite, test/losses/golden.test.ts, asserts
 * the tolerances). Relative errors are taken over reference entries with |e| ≥ 1e-4; smaller ones count in
 * the absolute error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadFixture, type GoldenCase as Case, type Nested } from './fixtures.js';
import { losses, type LossCall } from '../../src/index.js';

const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

export interface GoldenErrors {
  cases: number;
  valueRel: number;
  valueAbs: number;
  gradRel: number;
  gradAbs: number;
}

function accumulate(errors: { rel: number; abs: number }, actual: ArrayLike<number>, expected: number[]): void {
  expected.forEach((e, i) => {
    if (!Number.isFinite(e)) return;
    const d = Math.abs(actual[i]! - e);
    if (Math.abs(e) >= 1e-4) errors.rel = Math.max(errors.rel, d / Math.abs(e));
    else errors.abs = Math.max(errors.abs, d);
  });
}

/** Per loss name: the largest errors over the cases of fixture `file` on the active backend. */
export function goldenErrors(file: string, names: readonly string[]): Record<string, GoldenErrors> {
  const { cases } = loadFixture<{ cases: Case[] }>(file);
  const out: Record<string, GoldenErrors> = {};
  for (const c of cases.filter((k) => names.includes(k.loss))) {
    const value = { rel: 0, abs: 0 };
    const grad = { rel: 0, abs: 0 };
    tf.tidy(() => {
      const loss = losses.fromConfig({ name: c.loss, ...(c.options as object) } as never);
      const yTrue = tf.tensor(c.yTrue as number[], undefined, c.yTrueDtype ?? 'float32');
      const yPred = tf.tensor(c.yPred as number[]);
      const call: LossCall = {};
      for (const [k, v] of Object.entries(c.call ?? {})) call[k] = tf.tensor(v as number[]);
      accumulate(value, loss(yTrue, yPred, call).dataSync(), flat(c.value));
      if (c.grad !== undefined) accumulate(grad, tf.grad((p: tf.Tensor) => tf.sum(loss(yTrue, p, call)) as tf.Scalar)(yPred).dataSync(), flat(c.grad));
    });
    const prev = out[c.loss] ?? { cases: 0, valueRel: 0, valueAbs: 0, gradRel: 0, gradAbs: 0 };
    out[c.loss] = {
      cases: prev.cases + 1,
      valueRel: Math.max(prev.valueRel, value.rel),
      valueAbs: Math.max(prev.valueAbs, value.abs),
      gradRel: Math.max(prev.gradRel, grad.rel),
      gradAbs: Math.max(prev.gradAbs, grad.abs),
    };
  }
  return out;
}

/** One line per loss: `name (n cases): value rel …, grad rel …`. */
export function formatErrors(errors: Record<string, GoldenErrors>): string[] {
  const e = (x: number) => x.toExponential(1);
  return Object.entries(errors).map(([name, r]) => `${name} (${r.cases} cases): value rel ${e(r.valueRel)} (abs ${e(r.valueAbs)} near 0), gradient rel ${e(r.gradRel)} (abs ${e(r.gradAbs)} near 0)`);
}
