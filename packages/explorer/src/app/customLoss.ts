/**
 * A user's loss from text: option declarations (JSON) and a `compute` written in JavaScript become a
 * real `defineLoss` loss (elementwise layout), so it gets validation, reductions and the registry
 * like a built-in; and the same pieces become a TypeScript snippet to paste into a project.
 */
import * as tf from '@tensorflow/tfjs-core';
import { defineLoss, LossInputError, numerics, option, type LossDefinition, type LossFactory } from 'lossforge';

type Specs = Record<string, option.OptionSpec<option.OptionValue>>;

/** `{ "scale": 1 }` or `{ "scale": { "default": 1, "min": 0, "minExclusive": true } }`, or a boolean default. */
export type OptionDeclarations = Record<string, number | boolean | { default: number | boolean; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }>;

/** A user error: shown as a message in the page (never as console noise). */
export class CustomLossError extends Error {}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Parses the options JSON into declarations, naming what is wrong. */
export function parseDeclarations(text: string): OptionDeclarations {
  let value: unknown;
  try {
    value = JSON.parse(text.trim() === '' ? '{}' : text);
  } catch (error) {
    throw new CustomLossError(`Options: not valid JSON (${(error as Error).message}).`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CustomLossError('Options: expected a JSON object such as { "scale": 1 }.');
  for (const [name, declaration] of Object.entries(value)) {
    if (!IDENTIFIER.test(name) || name === 'reduction' || name === 'name') throw new CustomLossError(`Options: '${name}' is not a usable option name.`);
    const d = typeof declaration === 'object' && declaration !== null ? (declaration as { default?: unknown }).default : declaration;
    if (!(typeof d === 'number' && Number.isFinite(d)) && typeof d !== 'boolean') throw new CustomLossError(`Options: '${name}' needs a number or boolean default, e.g. "${name}": 1 or "${name}": { "default": 1, "min": 0 }.`);
  }
  return value as OptionDeclarations;
}

/** The option specs of the declarations (option.number with its rule, or option.boolean). */
export function specsOf(declarations: OptionDeclarations): Specs {
  const specs: Specs = {};
  for (const [name, d] of Object.entries(declarations)) {
    if (typeof d === 'boolean') specs[name] = option.boolean(d);
    else if (typeof d === 'number') specs[name] = option.number(d);
    else if (typeof d.default === 'boolean') specs[name] = option.boolean(d.default);
    else {
      const { default: value, ...rule } = d;
      if (!option.number(value, rule).accepts(value)) throw new CustomLossError(`Options: the default of '${name}' (${value}) is outside its own range.`);
      specs[name] = option.number(value, rule);
    }
  }
  return specs;
}

type Compute = LossDefinition<Specs>['compute'];

/** Compiles `(yTrue, yPred, options) => tensor` with `tf` and `numerics` in scope. */
export function compileCompute(code: string): Compute {
  let fn: unknown;
  try {
    // The user's own code, run in their own page: that is the point of this view.
    fn = new Function('tf', 'numerics', `"use strict";\nreturn (${code}\n);`)(tf, numerics);
  } catch (error) {
    throw new CustomLossError(`compute: ${(error as Error).name}: ${(error as Error).message}`);
  }
  if (typeof fn !== 'function') throw new CustomLossError('compute: expected a function (yTrue, yPred, options) => tensor, e.g. (yTrue, yPred) => tf.square(tf.sub(yTrue, yPred)).');
  return fn as Compute;
}

/** Defines (or redefines) the loss; a name of a built-in loss is refused, so built-ins stay as they are. */
export function defineCustomLoss(name: string, code: string, declarations: OptionDeclarations, builtIns: ReadonlySet<string>): LossFactory {
  if (!IDENTIFIER.test(name)) throw new CustomLossError(`Name: '${name}' is not an identifier (letters, digits, _; starting with a letter).`);
  if (builtIns.has(name)) throw new CustomLossError(`Name: '${name}' is a built-in loss; choose another name.`);
  const compute = compileCompute(code);
  try {
    return defineLoss({ name, layout: 'elementwise', options: specsOf(declarations), compute, replace: true }) as unknown as LossFactory;
  } catch (error) {
    if (error instanceof LossInputError || error instanceof CustomLossError) throw new CustomLossError(error.message);
    throw error;
  }
}

const literal = (v: unknown) => JSON.stringify(v);

/** `option.number(1, { min: 0 })` for a declaration. */
function specText(d: OptionDeclarations[string]): string {
  if (typeof d === 'boolean') return `option.boolean(${d})`;
  if (typeof d === 'number') return `option.number(${d})`;
  if (typeof d.default === 'boolean') return `option.boolean(${d.default})`;
  const { default: value, ...rule } = d;
  const entries = Object.entries(rule).map(([k, v]) => `${k}: ${literal(v)}`);
  return entries.length === 0 ? `option.number(${value})` : `option.number(${value}, { ${entries.join(', ')} })`;
}

/** The loss as a TypeScript module. */
export function typescriptSnippet(name: string, code: string, declarations: OptionDeclarations): string {
  const options = Object.entries(declarations).map(([k, d]) => `    ${k}: ${specText(d)},`);
  const body = code.trim().split('\n').join('\n  ');
  const usesNumerics = /\bnumerics\./.test(code);
  return [
    `import * as tf from '@tensorflow/tfjs-core';`,
    `import { defineLoss, ${usesNumerics ? 'numerics, ' : ''}option } from 'lossforge';`,
    '',
    `/** ${name}: an elementwise loss written in the lossforge explorer (checked with gradCheck there). */`,
    `export const ${name} = defineLoss({`,
    `  name: '${name}',`,
    `  layout: 'elementwise',`,
    options.length > 0 ? `  options: {\n${options.join('\n')}\n  },` : `  options: {},`,
    `  compute: ${body},`,
    `});`,
    '',
  ].join('\n');
}
