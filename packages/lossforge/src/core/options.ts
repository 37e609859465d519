/**
 * Option specifications: each loss declares its options once, with a default and a rule, and
 * `defineLoss` validates user options against them at construction time.
 */
import { describeValue, LossInputError } from './errors.js';
import type { Reduction } from './reduce.js';

/** A JSON-serializable option value (what `getConfig()` may contain). */
export type OptionValue = number | boolean | string | number[] | null | undefined;

export interface OptionSpec<T extends OptionValue> {
  /** The value used when the user gives none. `undefined` means "not set". */
  readonly default: T;
  /** What a valid value looks like, for error messages: "a number in [0, 1)". */
  readonly expected: string;
  /** True when `value` is acceptable (the default always is). */
  accepts(value: unknown): boolean;
  /** What values look like, in structured form (set by every `option.*` spec; absent on hand-written specs). */
  readonly shape?: OptionShape;
}

/**
 * The structured form of an option's rule, read by tools that build inputs for options (the explorer
 * makes a slider from `{ kind: 'number', range }`, a checkbox from `boolean`, a menu from `oneOf`).
 */
export interface OptionShape {
  readonly kind: 'number' | 'integer' | 'axis' | 'boolean' | 'oneOf' | 'numberArray' | 'numberOrArray' | 'value';
  /** `undefined` is accepted ("not set"). */
  readonly optional?: boolean;
  readonly range?: Readonly<NumberRule>;
  readonly choices?: readonly string[];
}

export type OptionSpecs = Record<string, OptionSpec<OptionValue>>;

/** The resolved option values a loss's math receives. */
export type OptionValues<S extends OptionSpecs> = { readonly [K in keyof S]: S[K]['default'] };

/** The option every loss has; each loss's `XOptions` interface extends it. */
export interface BaseLossOptions {
  /**
   * How the per-sample losses combine: `'mean'` (over the entries a mask keeps), `'sum'`,
   * `'weightedMean'` (divided by the sum of the weights) or `'none'` (the per-sample tensor).
   * @defaultValue 'mean'
   */
  reduction?: Reduction;
}

/**
 * The option specs of a loss whose options are declared by the interface `O` (the user-facing
 * options, every field optional): exactly one spec per field but `reduction` (which `defineLoss`
 * adds), and each spec's default of the field's type. `Unset` lists the fields without a default
 * (their spec's default is `undefined`, e.g. `option.optionalInteger()`); every other spec must have one.
 * @example
 * const specs: OptionSpecsFor<HuberOptions> = { delta: option.number(1, { min: 0, minExclusive: true }) };
 */
export type OptionSpecsFor<O extends object, Unset extends keyof O = never> = {
  readonly [K in keyof O as K extends 'reduction' ? never : K]-?: OptionSpec<Extract<K extends Unset ? O[K] | undefined : Exclude<O[K], undefined>, OptionValue>>;
};

/**
 * The options a loss declared by `O` runs with (`loss.options`, and what its math receives): every
 * field set to its value or its default, but the `Unset` ones, which stay undefined when not given.
 */
export type ResolvedOptions<O extends object, Unset extends keyof O = never> = {
  readonly [K in keyof O as K extends Unset ? never : K]-?: Exclude<O[K], undefined>;
} & { readonly [K in keyof O as K extends Unset ? K : never]?: O[K] };

/** The option names of `S` whose spec has no default (`undefined`). */
export type UnsetOptions<S extends OptionSpecs> = { [K in keyof S]: undefined extends S[K]['default'] ? K : never }[keyof S];

/** The user-facing options of a loss declared by specs alone (a user loss without an interface). */
export type OptionsOf<S extends OptionSpecs> = { [K in keyof S]?: S[K]['default'] } & BaseLossOptions;

export interface NumberRule {
  min?: number;
  max?: number;
  /** Exclude the bounds themselves. */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

function rangeText({ min, max, minExclusive, maxExclusive }: NumberRule): string {
  if (min === undefined && max === undefined) return '';
  const lo = min === undefined ? '(-∞' : `${minExclusive ? '(' : '['}${min}`;
  const hi = max === undefined ? '∞)' : `${max}${maxExclusive ? ')' : ']'}`;
  return ` in ${lo}, ${hi}`;
}

function inRange(x: number, { min, max, minExclusive, maxExclusive }: NumberRule): boolean {
  if (min !== undefined && (minExclusive ? x <= min : x < min)) return false;
  if (max !== undefined && (maxExclusive ? x >= max : x > max)) return false;
  return true;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A finite number, optionally restricted to a range. */
export function number(defaultValue: number, rule: NumberRule = {}): OptionSpec<number> {
  return {
    default: defaultValue,
    expected: `a finite number${rangeText(rule)}`,
    accepts: (v) => isFiniteNumber(v) && inRange(v, rule),
    shape: { kind: 'number', range: { ...rule } },
  };
}

/** An integer, optionally restricted to a range (e.g. `axis`). */
export function integer(defaultValue: number, rule: NumberRule = {}): OptionSpec<number> {
  return {
    default: defaultValue,
    expected: `an integer${rangeText(rule)}`,
    accepts: (v) => Number.isInteger(v) && inRange(v as number, rule),
    shape: { kind: 'integer', range: { ...rule } },
  };
}

/** A class or feature axis: an integer, negative counting from the last; checked against the rank at call time. */
export function axis(defaultValue: number): OptionSpec<number> {
  return {
    default: defaultValue,
    expected: 'an integer axis (negative counts from the last)',
    accepts: (v) => Number.isInteger(v),
    shape: { kind: 'axis' },
  };
}

/**
 * A class or feature axis, or a tuple of them (`[1, 2]`: the dense layout treats the axes together as
 * one flattened class axis); integers, negative counting from the last; checked against the rank at call time.
 */
export function axes(defaultValue: number | number[]): OptionSpec<number | number[]> {
  return {
    default: defaultValue,
    expected: 'an integer axis or a non-empty array of distinct integer axes (negative counts from the last)',
    accepts: (v) => Number.isInteger(v) || (Array.isArray(v) && v.length > 0 && v.every(Number.isInteger) && new Set(v).size === v.length),
    shape: { kind: 'axis' },
  };
}

/** An optional finite number, optionally restricted to a range (e.g. a seed); `undefined` means "not set". */
export function optionalNumber(rule: NumberRule = {}): OptionSpec<number | undefined> {
  return {
    default: undefined,
    expected: `a finite number${rangeText(rule)} or undefined`,
    accepts: (v) => v === undefined || (isFiniteNumber(v) && inRange(v, rule)),
    shape: { kind: 'number', optional: true, range: { ...rule } },
  };
}

/**
 * An option holding a tensor, a map or a callback, which its user checks where it is used: declared
 * so that `resolveOptions` knows its name (and rejects misspellings of it), passed through unchanged.
 */
export function checkedWhereUsed(): OptionSpec<undefined> {
  return { default: undefined, expected: 'a value', accepts: () => true, shape: { kind: 'value', optional: true } };
}

/** An optional integer (e.g. `ignoreIndex`); `undefined` means "not set". */
export function optionalInteger(rule: NumberRule = {}): OptionSpec<number | undefined> {
  return {
    default: undefined,
    expected: `an integer${rangeText(rule)} or undefined`,
    accepts: (v) => v === undefined || (Number.isInteger(v) && inRange(v as number, rule)),
    shape: { kind: 'integer', optional: true, range: { ...rule } },
  };
}

export function boolean(defaultValue: boolean): OptionSpec<boolean> {
  return { default: defaultValue, expected: 'true or false', accepts: (v) => typeof v === 'boolean', shape: { kind: 'boolean' } };
}

export function oneOf<const T extends string>(choices: readonly T[], defaultValue: T): OptionSpec<T> {
  return {
    default: defaultValue,
    expected: `one of ${choices.map((c) => `'${c}'`).join(', ')}`,
    accepts: (v) => typeof v === 'string' && (choices as readonly string[]).includes(v),
    shape: { kind: 'oneOf', choices: [...choices] },
  };
}

/** An optional non-empty array of finite numbers (e.g. per-class weights), each in range. */
export function optionalNumberArray(rule: NumberRule = {}): OptionSpec<number[] | undefined> {
  return {
    default: undefined,
    expected: `a non-empty array of finite numbers${rangeText(rule)} or undefined`,
    accepts: (v) =>
      v === undefined ||
      (Array.isArray(v) && v.length > 0 && v.every((x) => isFiniteNumber(x) && inRange(x, rule))),
    shape: { kind: 'numberArray', optional: true, range: { ...rule } },
  };
}

/** An optional number or array of numbers, broadcast over classes (PyTorch's `pos_weight`). */
export function optionalNumberOrArray(rule: NumberRule = {}): OptionSpec<number | number[] | undefined> {
  const asArray = optionalNumberArray(rule);
  return {
    default: undefined,
    expected: `a finite number${rangeText(rule)}, a non-empty array of them, or undefined`,
    accepts: (v) => (isFiniteNumber(v) && inRange(v, rule)) || asArray.accepts(v),
    shape: { kind: 'numberOrArray', optional: true, range: { ...rule } },
  };
}

/**
 * Checks `given` against `specs` and fills in defaults. Unknown names and invalid values throw a
 * LossInputError naming the loss and the option. Arrays are copied so later mutation by the caller
 * cannot change the loss.
 */
export function resolveOptions<S extends OptionSpecs>(
  lossName: string,
  specs: S,
  given: Record<string, unknown> | undefined,
): OptionValues<S> {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) {
    throw new LossInputError(lossName, 'options', 'an options object or undefined', describeValue(given));
  }
  const provided = given ?? {};
  for (const key of Object.keys(provided)) {
    if (!(key in specs)) {
      const known = Object.keys(specs).sort().join(', ');
      throw new LossInputError(lossName, `options.${key}`, `one of the known options (${known})`, 'an unknown option');
    }
  }
  const resolved: Record<string, OptionValue> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const value = provided[key] === undefined ? spec.default : provided[key];
    if (value !== spec.default && !spec.accepts(value)) {
      throw new LossInputError(lossName, `options.${key}`, spec.expected, describeValue(value));
    }
    resolved[key] = Array.isArray(value) ? [...value] : (value as OptionValue);
  }
  return Object.freeze(resolved) as OptionValues<S>;
}

/** A plain-JSON config: a registered name and every option that is set (`getConfig()` of losses and penalties). */
export interface NamedConfig {
  name: string;
  [option: string]: OptionValue;
}

/** `{ name, ...options }` without the unset options; arrays are copied so the config owns its values. */
export function toConfig(name: string, options: Record<string, OptionValue>): NamedConfig {
  const config: NamedConfig = { name };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) config[key] = Array.isArray(value) ? [...value] : value;
  }
  return config;
}
