/**
 * The registry of loss factories by name: `get` resolves names, Keras/PyTorch spellings and the usual
 * aliases; `fromConfig` rebuilds a loss from `loss.getConfig()`. `defineLoss` registers every loss.
 */
import { describeValue, LossInputError } from './errors.js';
import type { Loss, LossConfig, LossFactory } from './loss.js';

const factories = new Map<string, LossFactory>();
const aliases = new Map<string, string>();

/** Names match regardless of case, `_`, `-` and spaces: `binary_crossentropy` finds `binaryCrossentropy`. */
function key(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, '');
}

/** Adds a factory under its name and aliases. A taken name throws unless `replace` is set. */
export function register(factory: LossFactory, names: { aliases?: readonly string[]; replace?: boolean } = {}): void {
  const name = factory.lossName;
  for (const n of [name, ...(names.aliases ?? [])]) {
    const owner = factories.get(key(n))?.lossName ?? aliases.get(key(n));
    if (owner !== undefined && !names.replace) {
      throw new LossInputError(name, 'name', `a name not yet registered (or replace: true to redefine '${owner}')`, `'${n}', taken by '${owner}'`);
    }
  }
  factories.set(key(name), factory);
  for (const alias of names.aliases ?? []) aliases.set(key(alias), name);
}

/** The factory registered under `name` or one of its aliases, or undefined. */
export function lookup(name: string): LossFactory | undefined {
  const k = key(name);
  return factories.get(k) ?? factories.get(key(aliases.get(k) ?? ''));
}

/** Every registered loss name, sorted. */
export function list(): string[] {
  return [...factories.values()].map((f) => f.lossName).sort();
}

function unknownName(name: string, argument: string): LossInputError {
  const k = key(name);
  const close = list().filter((n) => key(n).includes(k) || k.includes(key(n)));
  const hint = close.length > 0 ? ` (did you mean ${close.slice(0, 3).join(', ')}?)` : '';
  return new LossInputError('losses', argument, `a registered loss name or alias${hint}`, `'${name}'`);
}

/** Rebuilds a loss from `loss.getConfig()`: `{ name, ...options }`. */
export function fromConfig(config: LossConfig): Loss {
  if (typeof config !== 'object' || config === null || typeof config.name !== 'string') {
    throw new LossInputError('losses', 'config', "an object with a string 'name' (from loss.getConfig())", describeValue(config));
  }
  const { name, ...options } = config;
  const factory = lookup(name);
  if (!factory) throw unknownName(name, 'config.name');
  return factory(options);
}

/** Resolves a name or alias (default options), a config object, or a Loss (returned as is). */
export function get(identifier: string | LossConfig | Loss): Loss {
  if (typeof identifier === 'function' && typeof (identifier as Loss).getConfig === 'function') return identifier as Loss;
  if (typeof identifier === 'string') {
    const factory = lookup(identifier);
    if (!factory) throw unknownName(identifier, 'identifier');
    return factory();
  }
  if (typeof identifier === 'object' && identifier !== null) return fromConfig(identifier);
  throw new LossInputError('losses', 'identifier', 'a loss name, a config object or a Loss', describeValue(identifier));
}
