/**
 * The registry of loss factories by name: `get` resolves names, Keras/PyTorch spellings and the usual
 * aliases; `fromConfig` rebuilds a loss from `loss.getConfig()`. `defineLoss` registers every loss.
 */
import { describeValue, LossInputError } from './errors.js';
import type { Loss, LossConfig, LossFactory } from './loss.js';
import type { OptionSpecs, OptionValue } from './options.js';

/**
 * Another name for a loss: a plain string, or a name that also presets options, as PyTorch's
 * `BCEWithLogitsLoss` is binaryCrossentropy with `fromLogits: true`.
 */
export type Alias = string | { alias: string; options: Record<string, OptionValue> };

interface AliasTarget {
  name: string;
  preset: Record<string, OptionValue>;
}

/** What the registry knows about a loss: its name, its aliases (with their presets) and its option specs. */
export interface LossDescription {
  /** The registered name, e.g. `'huber'`. */
  readonly name: string;
  /** Every alias, in the order the definition gives them; `options` is the preset (empty for a plain alias). */
  readonly aliases: readonly { readonly alias: string; readonly options: Readonly<Record<string, OptionValue>> }[];
  /** The option specs, `reduction` included: each with its `default` and `expected` (the allowed values, in words). */
  readonly options: Readonly<OptionSpecs>;
}

const factories = new Map<string, LossFactory>();
const aliases = new Map<string, AliasTarget>();
const descriptions = new Map<string, LossDescription>();

/** Names match regardless of case, `_`, `-` and spaces: `binary_crossentropy` finds `binaryCrossentropy`. */
function key(name: string): string {
  return name.toLowerCase().replace(/[_\-\s]/g, '');
}

/** Adds a factory under its name and aliases. A taken name throws unless `replace` is set. */
export function register(
  factory: LossFactory,
  names: { aliases?: readonly Alias[]; replace?: boolean } = {},
): void {
  const name = factory.lossName;
  const targets = (names.aliases ?? []).map((a) => (typeof a === 'string' ? { alias: a, options: {} } : a));
  for (const n of [name, ...targets.map((t) => t.alias)]) {
    const owner = factories.get(key(n))?.lossName ?? aliases.get(key(n))?.name;
    if (owner !== undefined && !names.replace) {
      throw new LossInputError(name, 'name', `a name not yet registered (or replace: true to redefine '${owner}')`, `'${n}', taken by '${owner}'`);
    }
  }
  factories.set(key(name), factory);
  for (const { alias, options } of targets) aliases.set(key(alias), { name, preset: { ...options } });
  descriptions.set(key(name), Object.freeze({
    name,
    aliases: Object.freeze(targets.map(({ alias, options }) => Object.freeze({ alias, options: Object.freeze({ ...options }) }))),
    options: factory.optionSpecs,
  }));
}

/**
 * Read-only: the name, aliases and option specs of the loss registered under `name` (or one of its
 * aliases), or undefined. The docs' alias and option tables are generated from it (scripts/docs/tables.ts).
 */
export function describe(name: string): LossDescription | undefined {
  const found = lookup(name);
  return found && descriptions.get(key(found.factory.lossName));
}

/** The factory registered under `name` or one of its aliases (with the alias's preset options), or undefined. */
function lookup(name: string): { factory: LossFactory; preset: Record<string, OptionValue> } | undefined {
  const k = key(name);
  const direct = factories.get(k);
  if (direct) return { factory: direct, preset: {} };
  const target = aliases.get(k);
  const factory = target && factories.get(key(target.name));
  return factory && { factory, preset: target.preset };
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
  const found = lookup(name);
  if (!found) throw unknownName(name, 'config.name');
  return found.factory({ ...found.preset, ...options });
}

/** Resolves a name or alias (default options), a config object, or a Loss (returned as is). */
export function get(identifier: string | LossConfig | Loss): Loss {
  if (typeof identifier === 'function' && typeof (identifier as Loss).getConfig === 'function') return identifier as Loss;
  if (typeof identifier === 'string') {
    const found = lookup(identifier);
    if (!found) throw unknownName(identifier, 'identifier');
    return found.factory(found.preset);
  }
  if (typeof identifier === 'object' && identifier !== null) return fromConfig(identifier);
  throw new LossInputError('losses', 'identifier', 'a loss name, a config object or a Loss', describeValue(identifier));
}
