/**
 * Search spaces for `lossforge tune --space`: `name=lo:hi` (uniform), `name=lo:hi:log` (log-uniform),
 * `name=lo:hi:int` (integers), `name=lo:hi:int:log`, `name=a|b|c` (categorical; numbers and
 * true/false are parsed). Parameters are separated by commas:
 *   gamma=0:5,alpha=0.1:0.9,lr=1e-4:1e-1:log
 */
import { UsageError } from './errors.js';

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

export type Dimension =
  | { name: string; kind: 'float'; low: number; high: number; log: boolean }
  | { name: string; kind: 'int'; low: number; high: number; log: boolean }
  | { name: string; kind: 'categorical'; choices: ParamValue[] };

export type Space = Dimension[];

function parseValue(text: string): ParamValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

/** Parses `--space` (syntax in the module comment); malformed specs raise a UsageError naming the part. */
export function parseSpace(text: string): Space {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError(`--space: expected name=lo:hi[,…], got '${text}'`);
  const seen = new Set<string>();
  return parts.map((part) => {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const body = part.slice(eq + 1).trim();
    if (eq <= 0 || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--space: '${part}' should look like name=lo:hi, name=lo:hi:log or name=a|b`);
    if (seen.has(name)) throw new UsageError(`--space: '${name}' appears twice`);
    seen.add(name);
    if (body.includes('|') || !body.includes(':')) {
      const choices = body.split('|').map((c) => parseValue(c.trim()));
      if (choices.length < 2 && !body.includes('|')) throw new UsageError(`--space: '${part}': a range needs lo:hi (or list choices a|b|c)`);
      return { name, kind: 'categorical', choices };
    }
    const [loText, hiText, ...flags] = body.split(':');
    const low = Number(loText);
    const high = Number(hiText);
    if (loText!.trim() === '' || hiText === undefined || hiText.trim() === '' || !Number.isFinite(low) || !Number.isFinite(high)) {
      throw new UsageError(`--space: '${part}': bounds must be numbers (lo:hi)`);
    }
    if (!(low < high)) throw new UsageError(`--space: '${part}': expected lo < hi`);
    for (const f of flags) if (f !== 'log' && f !== 'int') throw new UsageError(`--space: '${part}': unknown flag '${f}' (use log and/or int)`);
    const log = flags.includes('log');
    if (log && low <= 0) throw new UsageError(`--space: '${part}': a log scale needs lo > 0`);
    if (flags.includes('int')) {
      if (!Number.isInteger(low) || !Number.isInteger(high)) throw new UsageError(`--space: '${part}': int bounds must be integers`);
      return { name, kind: 'int', low, high, log };
    }
    return { name, kind: 'float', low, high, log };
  });
}

/** Maps a value to the sampler's internal coordinate (log for log scales). */
export function toInternal(d: Dimension & { kind: 'float' | 'int' }, value: number): number {
  return d.log ? Math.log(value) : value;
}

/** The inverse of `toInternal`, rounded for integers and clamped to [low, high]. */
export function fromInternal(d: Dimension & { kind: 'float' | 'int' }, x: number): number {
  let v = d.log ? Math.exp(x) : x;
  if (d.kind === 'int') v = Math.round(v);
  return Math.min(d.high, Math.max(d.low, v));
}

/** The sampling range of a numeric dimension in internal coordinates. */
export function internalBounds(d: Dimension & { kind: 'float' | 'int' }): [number, number] {
  // integers: widen by half a step so that each integer gets an equal share after rounding
  const lo = d.kind === 'int' ? d.low - 0.4999 : d.low;
  const hi = d.kind === 'int' ? d.high + 0.4999 : d.high;
  return d.log ? [Math.log(Math.max(lo, d.low * 0.5 + 1e-12)), Math.log(hi)] : [lo, hi];
}
