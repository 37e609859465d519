/**
 * Browser entry of test/kernels/browser.test.ts (bundled by esbuild, run in headless Chromium): the
 * fused BCE-from-logits and sparse softmax cross-entropy on the cpu backend, against the composite
 * formulas (setFusedKernels(false)), values and gradients. Publishes the outcome on
 * `window.lossforgeBrowserResult`.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsReady, losses, setFusedKernels } from '../../src/index.js';

export interface BrowserResult {
  ready: boolean;
  backend: string;
  /** Names of the kernels run by each fused computation, to show the fused path was taken. */
  fusedKernels: Record<string, string[]>;
  /** max |fused − composite| / max(|composite|, tiny) over values and gradients, per loss. */
  maxRelativeDifference: Record<string, number>;
  elements: Record<string, number>;
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < b.length; i++) {
    const scale = Math.max(Math.abs(b[i]!), 1e-6);
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  }
  return worst;
}

/** Value and gradient with respect to yPred, as plain arrays. */
function evaluate(loss: (t: tf.Tensor, p: tf.Tensor) => tf.Tensor, yTrue: tf.Tensor, yPred: tf.Tensor): number[] {
  return tf.tidy(() => {
    const value = loss(yTrue, yPred);
    const grad = tf.grad((p: tf.Tensor) => loss(yTrue, p) as tf.Scalar)(yPred);
    return [...value.dataSync(), ...grad.dataSync()];
  });
}

async function main(): Promise<BrowserResult> {
  await tf.setBackend('cpu');
  const ready = await fusedKernelsReady();
  const cases: [string, (t: tf.Tensor, p: tf.Tensor) => tf.Tensor, tf.Tensor, tf.Tensor][] = [
    [
      'binaryCrossentropy',
      losses.binaryCrossentropy({ fromLogits: true }),
      tf.cast(tf.greater(tf.randomUniform([64, 160], 0, 1, 'float32', 1), 0.5), 'float32'),
      tf.randomNormal([64, 160], 0, 4, 'float32', 2),
    ],
    [
      'sparseCategoricalCrossentropy',
      losses.sparseCategoricalCrossentropy({ fromLogits: true }),
      tf.randomUniform([32], 0, 512, 'int32', 3),
      tf.randomNormal([32, 512], 0, 4, 'float32', 4),
    ],
  ];
  const result: BrowserResult = { ready, backend: tf.getBackend(), fusedKernels: {}, maxRelativeDifference: {}, elements: {} };
  for (const [name, loss, yTrue, yPred] of cases) {
    let fused: number[] = [];
    const profile = await tf.profile(() => {
      fused = evaluate(loss, yTrue, yPred);
    });
    result.fusedKernels[name] = [...new Set(profile.kernelNames.filter((k) => k.startsWith('Lossforge')))];
    const previous = setFusedKernels(false);
    const composite = evaluate(loss, yTrue, yPred);
    setFusedKernels(previous);
    result.maxRelativeDifference[name] = maxRelative(fused, composite);
    result.elements[name] = yPred.size;
  }
  return result;
}

const target = globalThis as unknown as { lossforgeBrowserResult?: BrowserResult | { error: string } };
main().then(
  (r) => (target.lossforgeBrowserResult = r),
  (e: unknown) => (target.lossforgeBrowserResult = { error: String((e as Error)?.stack ?? e) }),
);
