/**
 * The golden suite: every case in test/fixtures/catalog-*.json (generated from PyTorch / written-out
 * Keras formulas by scripts/fixtures) on the cpu and wasm backends: the loss value and the gradient of
 * its sum with respect to yPred.
 */
import { describe, test } from 'node:test';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose } from '../helpers/assert.js';
import { loadFixture, type GoldenCase, type Nested } from '../helpers/fixtures.js';
import { losses, type LossCall } from '../../src/index.js';


const dir = fileURLToPath(new URL('../fixtures/', import.meta.url));
const files = readdirSync(dir).filter((f) => /^catalog-.*\.json$/.test(f)).sort();

const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

for (const backend of BACKENDS) {
  describe(`golden values on ${backend}`, () => {
    for (const file of files) {
      const { cases } = loadFixture<{ cases: GoldenCase[] }>(file.replace(/\.json$/, ''));
      describe(file, () => {
        cases.forEach((c, i) => {
          const label = `${i}: ${c.loss} ${JSON.stringify(c.options)}${c.note ? ` (${c.note})` : ''}`;
          test(label, async () => {
            await useBackend(backend);
            const loss = losses.fromConfig({ name: c.loss, ...(c.options as object) } as never);
            const yTrue = tf.tensor(c.yTrue as number[], undefined, c.yTrueDtype ?? 'float32');
            const yPred = tf.tensor(c.yPred as number[]);
            const call: LossCall = {};
            for (const [k, v] of Object.entries(c.call ?? {})) call[k] = tf.tensor(v as number[], undefined, k.endsWith('Lengths') ? 'int32' : 'float32');
            const value = loss(yTrue, yPred, call);
            assertClose(value, flat(c.value), { rtol: 1e-5, atol: 1e-5 }, 'value');
            if (c.grad !== undefined) {
              const grad = tf.grad((p: tf.Tensor) => tf.sum(loss(yTrue, p, call)) as tf.Scalar)(yPred);
              assertClose(grad, flat(c.grad), { rtol: 1e-3, atol: 1e-5 }, 'gradient');
              grad.dispose();
            }
            tf.dispose([value, yTrue, yPred, ...Object.values(call) as tf.Tensor[]]);
          });
        });
      });
    }
  });
}
