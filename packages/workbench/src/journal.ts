/**
 * The tuning journal: `journal.jsonl` in --out, one JSON object per line — a `study` header, then
 * one `trial` record per finished trial, appended (and flushed) as soon as the trial ends. A crash
 * or Ctrl-C loses at most the trials that were running; `--resume` reads the journal back and runs
 * only the trial numbers it does not hold, so no finished trial is lost or repeated.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DataError, UsageError } from './errors.js';
import type { Params } from './space.js';
import type { TrialOutcome } from './tuneJob.js';

export interface StudyHeader {
  type: 'study';
  version: 1;
  loss: Record<string, unknown>;
  space: string;
  sampler: string;
  metric: string;
  higherIsBetter: boolean;
  data: string;
  target: string;
  task: string;
  folds: number;
  repeats: number;
  /** The fixed epoch budget, or null for early stopping (capped at MAX_EPOCHS). */
  epochs: number | null;
  batchSize: number;
  model: string;
  learningRate: number;
  seed: number;
  pruning: boolean;
}

/** One finished trial: its sampled parameters and the outcome of its folds. */
export interface TrialRecord extends TrialOutcome {
  type: 'trial';
  params: Params;
}

/** The header fields that must match for a resume to continue the same study. */
const IDENTITY: (keyof StudyHeader)[] = ['loss', 'space', 'sampler', 'metric', 'data', 'target', 'task', 'folds', 'repeats', 'epochs', 'batchSize', 'model', 'learningRate', 'seed', 'pruning'];

export interface JournalContents {
  header: StudyHeader;
  trials: TrialRecord[];
  warnings: string[];
}

/**
 * Reads a journal back: the header and the trials (first record kept for a repeated trial). An
 * incomplete last line (a write cut short) is skipped with a warning; any other damage is a DataError.
 */
export function readJournal(path: string): JournalContents {
  const lines = readFileSync(path, 'utf8').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const warnings: string[] = [];
  let header: StudyHeader | undefined;
  const trials = new Map<number, TrialRecord>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let record: StudyHeader | TrialRecord;
    try {
      record = JSON.parse(line) as StudyHeader | TrialRecord;
    } catch {
      if (i === lines.length - 1) {
        warnings.push(`${path}: line ${i + 1} is incomplete (interrupted write) and was ignored`);
        return;
      }
      throw new DataError(`${path}: line ${i + 1} is not valid JSON: the journal is damaged`);
    }
    if (record.type === 'study') {
      if (header) throw new DataError(`${path}: line ${i + 1}: a second study header`);
      header = record;
    } else if (record.type === 'trial') {
      if (trials.has(record.trial)) warnings.push(`${path}: trial ${record.trial} appears twice; the first record is kept`);
      else trials.set(record.trial, record);
    } else {
      throw new DataError(`${path}: line ${i + 1}: unknown record type`);
    }
  });
  if (!header) throw new DataError(`${path}: no study header: not a lossforge tune journal`);
  return { header, trials: [...trials.values()].sort((a, b) => a.trial - b.trial), warnings };
}

/** Throws a UsageError naming the first setting that differs between a journal and this run. */
export function checkSameStudy(path: string, saved: StudyHeader, now: StudyHeader): void {
  for (const key of IDENTITY) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      throw new UsageError(
        `--resume: ${path} was written for a different study (${key}: ${JSON.stringify(saved[key])} in the journal, ${JSON.stringify(now[key])} now); ` +
          'use the same options, or another --out',
      );
    }
  }
}

/** The journal file: `start` writes the header, `append` adds one finished trial. */
export class Journal {
  constructor(readonly path: string) {}

  exists(): boolean {
    return existsSync(this.path);
  }

  start(header: StudyHeader): void {
    writeFileSync(this.path, `${JSON.stringify(header)}\n`);
  }

  append(record: TrialRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }
}
