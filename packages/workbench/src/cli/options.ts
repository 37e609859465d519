/** Option parsers shared by the commands: each rejects bad values with a message naming the flag. */
import { InvalidArgumentError } from 'commander';

/** A parser for integer flags ≥ `min`. */
export function integer(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer ≥ ${min}, got '${value}'.`);
    }
    return n;
  };
}

/** A parser for flags that take a number > 0. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${value}'.`);
  return n;
}

/** A parser for flags that take a number in (0, 1). */
export function probability(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number in (0, 1), got '${value}'.`);
  return n;
}
