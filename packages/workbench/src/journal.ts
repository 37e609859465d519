/**
 * The tuning journal: `journal.jsonl` in --out, one JSON object per line — a `study` header, then
 * one `trial` record per finished trial, appended (and fsynced) as soon as the trial ends. A crash
 * or Ctrl-C loses at most the trials that were running; `--resume` reads the journal back and runs
 * only the trial numbers it does not hold, so no finished trial is lost or repeated.
 *
 * It survives anything:
 * - **One process per study.** `journal.jsonl.lock` holds the pid of the process that runs the study,
 *   created with an exclusive hard link (atomic, never half-written). A second `tune` on the same --out is
 *   refused with a clear message while that process lives; a lock left by a dead process (kill -9, crash)
 *   is taken over at once (the pid is checked with `kill(pid, 0)` and /proc for zombies).
 * - **A damaged tail is cut away.** A last line that is truncated or garbage (a write cut short, bytes
 *   appended by something else) is reported and truncated off before new records are appended, so the
 *   next resume reads a clean file. Damage before the last line is a DataError: the file is not ours.
 * - **A zero-byte journal is empty**: the study starts afresh, with or without --resume.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { DataError, UsageError } from './errors.js';
import { OutputError, writeAtomic } from './files.js';
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
  /** Trials sampled without seeing each other's results (see trials.ts); absent for 1. */
  parallel?: number;
}

/** One finished trial: its sampled parameters and the outcome of its folds. */
export interface TrialRecord extends TrialOutcome {
  type: 'trial';
  params: Params;
}

/** The header fields that must match for a resume to continue the same study. */
const IDENTITY: (keyof StudyHeader)[] = ['loss', 'space', 'sampler', 'metric', 'data', 'target', 'task', 'folds', 'repeats', 'epochs', 'batchSize', 'model', 'learningRate', 'seed', 'pruning', 'parallel'];

export interface JournalContents {
  header: StudyHeader;
  trials: TrialRecord[];
  warnings: string[];
}

/** A journal's text, parsed: the contents, and how many leading bytes are sound (the rest is a damaged tail). */
export interface ParsedJournal extends JournalContents {
  /** Byte length of the sound prefix: every complete, valid line. */
  soundBytes: number;
  /** The damaged last line, when there is one. */
  damagedTail?: string;
  /** The last (valid) line lacks its newline. */
  missingNewline: boolean;
}

/**
 * Parses a journal's text: the header and the trials (first record kept for a repeated trial). A last
 * line that is not valid JSON is a damaged tail (reported, not an error); any
 * other damage is a DataError. An empty text gives `header: undefined`.
 */
export function parseJournal(text: string, path: string): Omit<ParsedJournal, 'header'> & { header?: StudyHeader } {
  const warnings: string[] = [];
  let header: StudyHeader | undefined;
  const trials = new Map<number, TrialRecord>();
  const lines = text.split('\n');
  let soundBytes = 0;
  let damagedTail: string | undefined;
  let missingNewline = false;
  lines.forEach((line, i) => {
    const last = i === lines.length - 1; // after the final newline: '' in a sound file
    if (damagedTail !== undefined || (last && line === '')) return;
    let record: StudyHeader | TrialRecord | undefined;
    try {
      record = line.trim() === '' ? undefined : (JSON.parse(line) as StudyHeader | TrialRecord);
    } catch {
      record = undefined;
    }
    if (record === undefined && line.trim() !== '') {
      if (!last && !lines.slice(i + 1).every((l) => l.trim() === '')) {
        throw new DataError(`${path}: line ${i + 1} is not valid JSON: the journal is damaged before its last line`);
      }
      damagedTail = line;
      warnings.push(`${path}: the last line (line ${i + 1}, ${Buffer.byteLength(line)} bytes) is not valid JSON (an interrupted write, or appended garbage); it was cut away`);
      return;
    }
    // A valid last line without its newline is complete: kept, and load() adds the newline.
    soundBytes += Buffer.byteLength(line) + (last ? 0 : 1);
    if (last) missingNewline = true;
    if (record === undefined) return;
    if (record.type === 'study') {
      if (header) throw new DataError(`${path}: line ${i + 1}: a second study header`);
      header = record;
    } else if (record.type === 'trial') {
      if (!header) throw new DataError(`${path}: line ${i + 1}: a trial before the study header: not a lossforge tune journal`);
      if (trials.has(record.trial)) warnings.push(`${path}: trial ${record.trial} appears twice; the first record is kept`);
      else trials.set(record.trial, record);
    } else {
      throw new DataError(`${path}: line ${i + 1}: unknown record type`);
    }
  });
  return { header, trials: [...trials.values()].sort((a, b) => a.trial - b.trial), warnings, soundBytes, damagedTail, missingNewline };
}

/** Reads a journal file (see parseJournal); a file without any sound header is a DataError. */
export function readJournal(path: string): JournalContents {
  const parsed = parseJournal(readFileSync(path, 'utf8'), path);
  if (!parsed.header) throw new DataError(`${path}: no study header: not a lossforge tune journal`);
  return { header: parsed.header, trials: parsed.trials, warnings: parsed.warnings };
}

/** True when process `pid` runs (a zombie — killed, not yet reaped — counts as dead). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(pid, 0) is the answer
  }
}

/** Throws a UsageError naming the first setting that differs between a journal and this run. */
export function checkSameStudy(path: string, saved: StudyHeader, now: StudyHeader, flag = '--out'): void {
  for (const key of IDENTITY) {
    if (JSON.stringify(saved[key]) !== JSON.stringify(now[key])) {
      throw new UsageError(
        `--resume: ${path} was written for a different study (${key}: ${JSON.stringify(saved[key])} in the ${flag === '--out' ? 'journal' : 'storage'}, ${JSON.stringify(now[key])} now); ` +
          `use the same options, or another ${flag}`,
      );
    }
  }
}

/** The journal file of one study: `lock` it, `load` it (repairing a damaged tail), `start` it, `append` trials, `unlock`. */
export class Journal {
  readonly lockPath: string;
  private locked = false;
  private readonly unlockOnExit = () => this.unlock();

  constructor(readonly path: string) {
    this.lockPath = `${path}.lock`;
  }

  /**
   * Takes the study's lock, or throws a UsageError naming the live process that holds it. A lock whose
   * process is dead is taken over: renamed away (only one contender can rename it), checked to be the
   * dead one, removed, and the lock taken afresh.
   */
  lock(): void {
    const mine = `${this.lockPath}.${process.pid}`;
    writeFileSync(mine, `${process.pid}\n`);
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          linkSync(mine, this.lockPath);
          this.locked = true;
          process.once('exit', this.unlockOnExit);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new OutputError(`cannot lock ${this.path}: ${(error as Error).message}`);
        }
        let holder: string;
        try {
          holder = readFileSync(this.lockPath, 'utf8');
        } catch {
          continue; // released meanwhile
        }
        const pid = Number.parseInt(holder, 10);
        if (processAlive(pid)) {
          throw new UsageError(
            `--out: the study in ${this.path} is being run by another lossforge tune (pid ${pid}); wait for it to finish (then --resume), or choose another --out`,
          );
        }
        const grave = `${this.lockPath}.stale.${process.pid}`;
        try {
          renameSync(this.lockPath, grave);
        } catch {
          continue; // another process took it over first
        }
        if (readFileSync(grave, 'utf8') !== holder) {
          // A live contender's fresh lock, not the dead one: give it back.
          try {
            linkSync(grave, this.lockPath);
          } catch {
            /* it re-created one meanwhile */
          }
        }
        unlinkSync(grave);
      }
      throw new UsageError(`--out: could not lock ${this.path}: other processes keep taking it; try again`);
    } finally {
      unlinkSync(mine);
    }
  }

  /** Releases the lock (if this process holds it). */
  unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    process.off('exit', this.unlockOnExit);
    try {
      if (Number.parseInt(readFileSync(this.lockPath, 'utf8'), 10) === process.pid) unlinkSync(this.lockPath);
    } catch {
      /* already gone */
    }
  }

  /**
   * The journal's contents, or null when there is none (missing, zero bytes, or only a damaged first line).
   * A damaged tail is truncated off the file here, so that appended records follow a sound line.
   */
  load(): JournalContents | null {
    if (!existsSync(this.path) || statSync(this.path).size === 0) return null;
    const parsed = parseJournal(readFileSync(this.path, 'utf8'), this.path);
    if (parsed.damagedTail !== undefined) truncateSync(this.path, parsed.soundBytes);
    if (parsed.missingNewline) appendFileSync(this.path, '\n');
    if (!parsed.header) return null;
    return { header: parsed.header, trials: parsed.trials, warnings: parsed.warnings };
  }

  /** Writes the header as the whole journal, atomically. */
  start(header: StudyHeader): void {
    writeAtomic(this.path, `${JSON.stringify(header)}\n`);
  }

  /** Appends one finished trial in a single write, flushed to disk before returning. */
  append(record: TrialRecord): void {
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, `${JSON.stringify(record)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
