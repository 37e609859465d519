/**
 * The Compare view's `StudyHost`: trainings on Web Workers, one per core (`navigator.hardwareConcurrency`),
 * capped by the workbench's `capWorkers` as the CLI caps its worker threads. Like the CLI's pool, the
 * jobs wait in one queue and each idle worker takes the next one; results do not depend on which worker
 * ran a job (every job carries its own seed).
 */
import type { Dataset, FoldJob, FoldOutcome, FoldRunner, StudyHost } from '@lossforge/workbench/core';
import type { FromWorker, ToWorker } from './protocol.js';

interface Task {
  job: FoldJob;
  resolve(outcome: FoldOutcome): void;
  reject(error: Error): void;
}

/** The cores the page may use (1 when the browser does not say). */
export const cores = (): number => Math.max(1, navigator.hardwareConcurrency || 1);

/** A pool of `workers` Web Workers holding `data`; `cancel` rejects every queued and running job. */
export class WebWorkerRunner implements FoldRunner {
  private readonly queue: Task[] = [];
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Task>();
  private readonly all: Worker[] = [];

  constructor(readonly workers: number, data: Dataset, script: URL) {
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(script, { type: 'module', name: `compare-${i + 1}` });
      worker.addEventListener('message', (event: MessageEvent<FromWorker>) => this.settle(worker, event.data));
      // A job's own failure comes back as a message; an error event means the worker itself broke.
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        this.cancel(new Error(`a Web Worker failed: ${event.message || 'it could not start'}`));
      });
      this.post(worker, { type: 'data', data });
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  runFold(job: FoldJob): Promise<FoldOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; queued and running jobs reject with `reason`. */
  cancel(reason: Error): void {
    for (const task of [...this.queue.splice(0), ...this.running.values()]) task.reject(reason);
    this.running.clear();
    this.idle.length = 0;
    for (const worker of this.all) worker.terminate();
  }

  async close(): Promise<void> {
    this.cancel(new Error('the runner was closed'));
  }

  private post(worker: Worker, message: ToWorker): void {
    worker.postMessage(message);
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift()!;
      const task = this.queue.shift()!;
      this.running.set(worker, task);
      this.post(worker, { type: 'fold', job: task.job });
    }
  }

  private settle(worker: Worker, message: FromWorker): void {
    const task = this.running.get(worker);
    if (!task) return;
    this.running.delete(worker);
    this.idle.push(worker);
    if (message.type === 'outcome') task.resolve(message.outcome);
    else task.reject(new Error(message.message));
    this.dispatch();
  }
}

/** A host whose runners are Web Workers running `script`; `onRunner` sees each runner (to cancel it). */
export function webWorkerHost(script: URL, onRunner: (runner: WebWorkerRunner) => void): StudyHost {
  return {
    cores: cores(),
    createRunner(workers, study) {
      const runner = new WebWorkerRunner(workers, study.data, script);
      onRunner(runner);
      return runner;
    },
  };
}
