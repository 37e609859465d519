/**
 * The one error type for a caller's mistake: bad tensors, bad options, unknown names.
 *
 * The message names the loss, the argument, what was expected and what was found, e.g.
 * `binaryCrossentropy: yTrue: expected shape [32,1] (the shape of yPred), got [32]`.
 */
export class LossInputError extends Error {
  override readonly name = 'LossInputError';
  /** The loss (or tool) that rejected the input, e.g. `binaryCrossentropy`. */
  readonly loss: string;
  /** The argument at fault, e.g. `yTrue`, `call.sampleWeight`, `options.labelSmoothing`. */
  readonly argument: string;
  readonly expected: string;
  readonly actual: string;

  constructor(loss: string, argument: string, expected: string, actual: string) {
    super(`${loss}: ${argument}: expected ${expected}, got ${actual}`);
    this.loss = loss;
    this.argument = argument;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Renders a value for an error message: short, and never `[object Object]`. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, 6).map(describeValue).join(', ');
    return `[${shown}${value.length > 6 ? ', …' : ''}]`;
  }
  if (typeof value === 'object' && 'shape' in value && 'dtype' in value) {
    const t = value as { shape: number[]; dtype: string };
    return `a ${t.dtype} tensor of shape ${formatShape(t.shape)}`;
  }
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
