/**
 * Output files that never lie: the output folder is checked before any training, and every output
 * (results.json, report.html, the tune journal's header) is written atomically — a temporary file
 * in the same folder, flushed, then renamed over the target (write-file-atomic) — so a crash, a
 * `kill -9` or a full disk leaves either the old file, the complete new one, or none; never a
 * truncated or empty one. Every failure is a WorkbenchError with one clear line.
 */
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { UsageError, WorkbenchError } from './errors.js';

/** An output that could not be written (disk full, permissions…): exit code 1. */
export class OutputError extends WorkbenchError {
  constructor(message: string) {
    super(message, 1);
  }
}

/** `EACCES: permission denied` → `permission denied`; the errno text without Node's call details. */
function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const text = e.code ? `${e.code}` : String(e?.message ?? e);
  const human: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a parent is a file, not a folder',
    EEXIST: 'exists',
    EISDIR: 'is a folder',
  };
  return e.code && human[e.code] ? `${human[e.code]} (${e.code})` : text;
}

/**
 * Makes sure `dir` can take outputs, before any training: it is created if missing, must be a folder
 * (not a file), and a probe file is created and removed in it (a real write, so a read-only mount or a
 * full disk is seen even by root). `flag` names the option in the error (e.g. `--out`).
 */
export function ensureOutputDir(dir: string, flag = '--out'): void {
  let isDir: boolean | undefined;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = undefined;
  }
  if (isDir === false) throw new UsageError(`${flag}: ${dir} is a file, expected a folder (remove it or choose another ${flag})`);
  if (isDir === undefined) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new UsageError(`${flag}: cannot create the folder ${dir}: ${reason(error)}`);
    }
  }
  const probe = join(dir, `.lossforge-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (error) {
    throw new UsageError(`${flag}: cannot write in ${dir}: ${reason(error)}`);
  }
}

/**
 * Writes `data` to `path` atomically (temporary file in the same folder + fsync + rename). On failure the
 * temporary file is removed, the previous `path` (if any) is left as it was, and an OutputError says why.
 */
export function writeAtomic(path: string, data: string): void {
  try {
    writeFileAtomic.sync(path, data, { fsync: true });
  } catch (error) {
    throw new OutputError(`cannot write ${path}: ${reason(error)}`);
  }
}
