/**
 * Global switches. Shape and option checks always run; value checks (ranges, NaN, integer labels)
 * read the tensors back to JavaScript and can be switched off for speed once the data is trusted.
 */

/** A module-level setting: `set` stores a value and returns the previous one. */
export interface Setting<T> {
  get(): T;
  set(value: T): T;
}

/** Makes a setting holding `initial`; `normalize` (e.g. clamping) is applied to every stored value. */
export function setting<T>(initial: T, normalize: (value: T) => T = (v) => v): Setting<T> {
  let current = initial;
  return {
    get: () => current,
    set: (value) => {
      const previous = current;
      current = normalize(value);
      return previous;
    },
  };
}

const valueChecks = setting(true);

/** Turns the value checks of every loss on or off (default on). Returns the previous setting. */
export function setValueChecks(enabled: boolean): boolean {
  return valueChecks.set(enabled);
}

/** True when value checks run (see `setValueChecks`); losses with their own value checks consult it. */
export function valueChecksEnabled(): boolean {
  return valueChecks.get();
}

const elementValues = setting(false);

/**
 * True while a loss runs under a per-element `call.where` mask of the elementwise layout: its math must
 * return per-element values, so fused kernels that reduce per sample stand aside (see kernels/fused.ts).
 */
export function perElementValuesRequired(): boolean {
  return elementValues.get();
}

/** Runs `f` with `perElementValuesRequired()` true, restoring the previous state even when `f` throws. */
export function requiringPerElementValues<T>(f: () => T): T {
  const previous = elementValues.set(true);
  try {
    return f();
  } finally {
    elementValues.set(previous);
  }
}
