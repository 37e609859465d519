/**
 * A Compare worker: trains fold jobs with the workbench's `runFold` — the code the CLI's worker
 * threads run — on tfjs's cpu backend, as the CLI does, so that the same CSV and seed give the same
 * numbers in the page and in the terminal. The view sends the study's dataset once, then one job at a
 * time (protocol.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
// The workbench trains with the full @tensorflow/tfjs (layers, the cpu backend), which this registers.
import { runFold, type Dataset } from '@lossforge/workbench/core';
import type { FromWorker, ToWorker } from './protocol.js';

const ready = tf.setBackend('cpu').then(() => tf.ready());
let data: Dataset | undefined;

const reply = (message: FromWorker) => postMessage(message);

addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'data') {
    data = message.data;
    return;
  }
  void (async () => {
    try {
      await ready;
      if (!data) throw new Error('a fold job arrived before the dataset');
      const { fold, candidate, options } = message.job;
      reply({ type: 'outcome', outcome: await runFold(data, fold, candidate, options) });
    } catch (error) {
      reply({ type: 'error', message: (error as Error).message ?? String(error) });
    }
  })();
});
