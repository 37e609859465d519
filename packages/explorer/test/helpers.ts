/** Shared by the explorer's Node tests: tfjs on the cpu backend (with gradients) and the generated docs. */
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { extractLossDocs } from '../scripts/loss-docs.mjs';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

const require = createRequire(import.meta.url);
export const LOSSES_DIR = join(dirname(require.resolve('lossforge/package.json')), 'src/losses');
export const docs = extractLossDocs(LOSSES_DIR);
