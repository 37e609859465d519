/** Backend setup for tests: the cpu backend always, the wasm backend with its .wasm files from node_modules. */
import * as tf from '@tensorflow/tfjs-core';
// The full tfjs entry registers the cpu backend and every op's gradient (tfjs-core alone has none).
import '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

// Quiet tests: tfjs prints a banner on the first tensor in Node ("install tfjs-node") and deprecation
// warnings unless PROD (or IS_TEST, which also turns on tfjs's own kernel leak checks) is set. Failures still print everything.
tf.env().set('PROD', true);

export type BackendName = 'cpu' | 'wasm';
export const BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

let wasmReady = false;

/** Makes `name` the active backend (loading the wasm binaries once). */
export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'wasm' && !wasmReady) {
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(`${dirname(entry)}/`);
    wasmReady = true;
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`could not activate the ${name} backend`);
}
