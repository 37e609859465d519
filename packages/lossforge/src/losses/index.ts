/** The catalog: `losses.<name>(options)` factories, plus `get`, `fromConfig` and `list`. */
import * as registry from '../core/registry.js';
import type { Loss, LossConfig } from '../core/loss.js';
import type { LossDescription } from '../core/registry.js';
import * as classification from './classification.js';
import * as divergence from './divergence.js';
import * as fenchelYoung from './fenchelYoung.js';
import * as image from './image.js';
import * as margin from './margin.js';
import * as metric from './metric.js';
import * as ranking from './ranking.js';
import * as regression from './regression.js';
import * as robust from './robust.js';
import * as angularMargin from './angularMargin.js';
import * as segmentation from './segmentation.js';
import * as sequence from './sequence.js';

export * from './regression.js';
export * from './margin.js';
export * from './divergence.js';
export * from './classification.js';
// ctcForwardBackward (the typed-array recursion behind ctc) stays internal to sequence.ts and the kernels.
export { ctc, ctcGreedyDecode, ctcBeamSearchDecode, type CtcOptions, type CtcGreedyDecodeOptions, type CtcBeamSearchDecodeOptions, type CtcBeamSearchResult } from './sequence.js';
export * from './segmentation.js';
export * from './metric.js';
export * from './fenchelYoung.js';
export * from './ranking.js';
export * from './robust.js';
export * from './angularMargin.js';
export { ssim, msSsim, totalVariation, psnr, type SsimOptions, type MsSsimOptions, type TotalVariationOptions, type PsnrOptions } from './image.js';

const FAMILIES = [regression, margin, divergence, classification, sequence, segmentation, metric, fenchelYoung, ranking, robust, angularMargin, image];
let builtInCount = 0;

/**
 * Makes sure every built-in family is evaluated (and so registered) before the registry is read. In
 * plain Node every module is evaluated on import anyway; a bundler that drops unused exports keeps
 * them all once `get`, `fromConfig` or `list` is used, since this reads every family's exports.
 */
function withBuiltIns(): void {
  if (builtInCount === 0) builtInCount = FAMILIES.reduce((n, family) => n + Object.keys(family).length, 0);
}

/** Resolves a name or alias (default options), a config object, or a Loss (returned as is). */
export function get(identifier: string | LossConfig | Loss): Loss {
  withBuiltIns();
  return registry.get(identifier);
}

/** Rebuilds a loss from `loss.getConfig()`: `{ name, ...options }`. */
export function fromConfig(config: LossConfig): Loss {
  withBuiltIns();
  return registry.fromConfig(config);
}

/** Every registered loss name, sorted. */
export function list(): string[] {
  withBuiltIns();
  return registry.list();
}

/**
 * Read-only: what the registry knows about a loss (by name or alias): its name, aliases with their
 * preset options, and option specs (default and allowed values). Undefined for an unknown name.
 *
 * @example
 * losses.describe('mse')?.name; // 'meanSquaredError'
 */
export function describe(name: string): LossDescription | undefined {
  withBuiltIns();
  return registry.describe(name);
}
