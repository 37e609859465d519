/**
 * Where a study lives: one interface, implemented by the local journal file (journal.ts) and by Redis
 * (redis.ts), so that the study logic does not know which one it writes to.
 */
import type { JournalContents, StudyHeader, TrialRecord } from '../journal.js';
import type { Runner } from '../pool.js';

/** The trials of one tune study: its header, then one record per finished trial, each recorded once. */
export interface TrialStore {
  /** Where the study lives, as the user may see it (never with a password). */
  readonly location: string;
  /** The flag that chose it (`--out`, `--study`), for messages. */
  readonly flag: string;
  /** The saved header and finished trials, or null when the study does not exist yet. */
  load(): Promise<JournalContents | null>;
  /** Starts the study with its header. */
  start(header: StudyHeader): Promise<void>;
  /** Records a finished trial, keyed by its trial number: false (and nothing written) when it was already recorded. */
  record(record: TrialRecord): Promise<boolean>;
  /** Releases the study (its lock) and the connections. */
  close(): Promise<void>;
}

/** A tune study's storage and the runner of its trials (worker threads here, or workers sharing a Redis). */
export interface TuneBackend {
  /** The default `parallel` (trials sampled without seeing each other's results) of its studies. */
  readonly parallel: number;
  /** Opens (locks) the study's store and the runner of its trials, `parallel` at a time; `header.data` etc. are the study's settings. */
  open(header: StudyHeader, parallel: number): Promise<{ store: TrialStore; runner: Runner }>;
}
