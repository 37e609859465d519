/** The classic catalog of losses (issue 2): its family modules under src/losses and the losses each exports. */
import assert from 'node:assert/strict';

/** The family modules of the classic catalog. */
export const CATALOG_FAMILIES = ['regression', 'classification', 'margin', 'divergence'] as const;
export type CatalogFamily = (typeof CATALOG_FAMILIES)[number];

/**
 * The registered names of the loss factories that src/losses/<family>.ts exports (importing the module
 * registers them). Fails naming the module when it cannot be loaded.
 */
export async function familyLossNames(family: CatalogFamily): Promise<string[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(`../../src/losses/${family}.js`)) as Record<string, unknown>;
  } catch (e) {
    assert.fail(`src/losses/${family}.ts could not be loaded: ${(e as Error).message}`);
  }
  return Object.values(module)
    .filter((v): v is { lossName: string } => typeof v === 'function' && typeof (v as { lossName?: unknown }).lossName === 'string')
    .map((f) => f.lossName);
}

/** Imports every catalog family module, so that its losses are registered; a module that fails to load is left to the coverage tests to report. */
export async function loadCatalog(): Promise<void> {
  for (const family of CATALOG_FAMILIES) await familyLossNames(family).catch(() => []);
}
