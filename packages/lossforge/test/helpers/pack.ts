/**
 * A scratch project that installs packed tarballs, as a user's project would after `npm install`:
 * `npm pack` of a workspace package, extracted into `<scratch>/node_modules/<name>`, and every other
 * dependency linked from the repository's node_modules (no registry needed).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

export interface Packed {
  /** The package's name, e.g. `@lossforge/workbench`. */
  name: string;
  /** The tarball's path. */
  tarball: string;
  /** Paths inside the tarball (without the leading `package/`) and their sizes in bytes. */
  files: { path: string; size: number }[];
}

/** `npm pack` of the workspace package at packages/<dir> into `destination`. */
export function pack(dir: string, destination: string): Packed {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: join(REPO, 'packages', dir),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [info] = JSON.parse(out) as { name: string; filename: string; files: { path: string; size: number }[] }[];
  return { name: info!.name, tarball: join(destination, info!.filename), files: info!.files };
}

/**
 * A new directory holding `package.json` (`type`), the given tarballs extracted into node_modules,
 * and links to the repository's other installed packages.
 */
export function scratchProject(packages: readonly Packed[], type: 'module' | 'commonjs'): string {
  const dir = mkdtempSync(join(tmpdir(), 'lossforge-scratch-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  const own = new Set(packages.map((p) => p.name.split('/')[0]!));
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (entry.startsWith('.') || own.has(entry)) continue;
    symlinkSync(join(REPO, 'node_modules', entry), join(modules, entry));
  }
  for (const p of packages) {
    const target = join(modules, p.name);
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', p.tarball, '-C', target, '--strip-components=1']);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type }));
  return dir;
}
