/** Numeric assertions and the leak check shared by the test suites. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { LossInputError } from '../../src/core/errors.js';

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** |actual − expected| ≤ atol + rtol·|expected| elementwise; Infinity must match exactly. */
export function assertClose(actual: tf.Tensor | ArrayLike<number> | number, expected: ArrayLike<number> | number, tol: Tolerance = {}, what = 'value'): void {
  const { rtol = 1e-5, atol = 1e-6 } = tol;
  const a = typeof actual === 'number' ? [actual] : actual instanceof tf.Tensor ? Array.from(actual.dataSync()) : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  for (let i = 0; i < e.length; i++) {
    const [x, y] = [a[i]!, e[i]!];
    if (!Number.isFinite(y)) {
      assert.ok(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)), `${what}[${i}]: got ${x}, expected ${y}`);
      continue;
    }
    assert.ok(Math.abs(x - y) <= atol + rtol * Math.abs(y), `${what}[${i}]: got ${x}, expected ${y} (rtol ${rtol}, atol ${atol})`);
  }
}

/** Runs `fn` and asserts that it leaves no tensors behind except the ones it returns. */
export function assertNoLeak(fn: () => tf.Tensor | tf.Tensor[] | void, what = 'call'): void {
  const before = tf.memory().numTensors;
  const out = fn();
  const returned = out === undefined ? [] : Array.isArray(out) ? out : [out];
  const after = tf.memory().numTensors;
  tf.dispose(returned);
  assert.equal(after - returned.length, before, `${what} leaked ${after - returned.length - before} tensors`);
}

/**
 * `run` must throw a LossInputError: naming `argument` when given, matching `message` when given, from
 * `loss` when given. (Wrap it in `assertNoLeak` to check that the rejected call leaves no tensor behind.)
 */
export function assertLossInputError(run: () => unknown, argument?: string, message?: RegExp, loss?: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof LossInputError, `expected a LossInputError, got ${String(e)}`);
    if (argument !== undefined) assert.equal(e.argument, argument, e.message);
    if (message !== undefined) assert.match(e.message, message);
    if (loss !== undefined) assert.equal(e.loss, loss, e.message);
    return true;
  });
}
