/** The local journal file (journal.jsonl in --out) as a TrialStore; see ../journal.ts for what it survives. */
import { Journal, type JournalContents, type StudyHeader, type TrialRecord } from '../journal.js';
import type { TrialStore } from './types.js';

/** A TrialStore over `Journal`: locked on creation, unlocked by close(); a trial number already in it is not appended again. */
export class JournalStore implements TrialStore {
  private readonly journal: Journal;
  private readonly recorded = new Set<number>();
  readonly flag = '--out';

  constructor(path: string) {
    this.journal = new Journal(path);
    this.journal.lock();
  }

  get location(): string {
    return this.journal.path;
  }

  async load(): Promise<JournalContents | null> {
    const saved = this.journal.load();
    for (const r of saved?.trials ?? []) this.recorded.add(r.trial);
    return saved;
  }

  async start(header: StudyHeader): Promise<void> {
    this.journal.start(header);
    this.recorded.clear();
  }

  async record(record: TrialRecord): Promise<boolean> {
    if (this.recorded.has(record.trial)) return false;
    this.journal.append(record);
    this.recorded.add(record.trial);
    return true;
  }

  async close(): Promise<void> {
    this.journal.unlock();
  }
}
