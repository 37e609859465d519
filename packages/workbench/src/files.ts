/**
 * Output files that never lie: the output folder is checked before any training, and every output
 * (results.json, report.html, the tune journal's header) is written atomically — a temporary file
 * in the same folder, written in full, fsynced, then renamed over the target (rename(2) is atomic within
 * a file system) — so a crash, a `kill -9` or a full disk leaves either the old file, the complete new
 * one, or none; never a truncated or empty one. Every failure is a WorkbenchError with one clear line.
 *
 * Not write-file-atomic: its sync path issues a single write(2) for a string and ignores a short count,
 * so on a full disk it renames a truncated file into place and reports success (seen with v6.0.0 on a
 * 64 KiB tmpfs). `writeFileSync` on a descriptor loops until every byte is written, or throws ENOSPC.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
    // One level at a time: a recursive mkdir reports a read-only parent as ENOENT.
    const missing: string[] = [];
    for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
    try {
      for (const d of missing) mkdirSync(d);
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
 * Writes `data` to `path` atomically (a temporary file in the same folder, written in full, fsynced, renamed). On failure the
 * temporary file is removed, the previous `path` (if any) is left as it was, and an OutputError says why.
 */
export function writeAtomic(path: string, data: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'w');
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      /* never created */
    }
    throw new OutputError(`cannot write ${path}: ${reason(error)}`);
  }
}
