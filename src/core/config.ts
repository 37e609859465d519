/**
 * Global switches. Shape and option checks always run; value checks (ranges, NaN, integer labels)
 * read the tensors back to JavaScript and can be switched off for speed once the data is trusted.
 */
let valueChecks = true;

/** Turns the value checks of every loss on or off (default on). Returns the previous setting. */
export function setValueChecks(enabled: boolean): boolean {
  const previous = valueChecks;
  valueChecks = enabled;
  return previous;
}

export function valueChecksEnabled(): boolean {
  return valueChecks;
}
