/**
 * The page's state lives in the URL hash (`#view=curves&losses=[…]&axis=logit`), so a view can be
 * shared by its link. Values are strings; structured ones (loss configs) are JSON.
 */

export function readState(): URLSearchParams {
  return new URLSearchParams(location.hash.replace(/^#/, ''));
}

/** Sets (or, for undefined, removes) entries and rewrites the hash without adding a history entry. */
export function writeState(patch: Record<string, string | undefined>): void {
  const params = readState();
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  history.replaceState(null, '', `#${params.toString()}`);
}

/** A JSON entry of the state, or `fallback` when absent or unreadable (a hand-edited link). */
export function readJson<T>(key: string, fallback: T): T {
  const text = readState().get(key);
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
