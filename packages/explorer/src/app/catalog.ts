/**
 * The losses the explorer offers: every name in the registry (`losses.list()`), with its family,
 * aliases and documentation (generated from the doc comments), its option specs (`factory.optionSpecs`)
 * and the probe that draws it as a curve — or the reason it has no 1-D curve.
 */
import { losses, type LossFactory, type option } from 'lossforge';
import { elementwiseProbe, errorProbe, pairProbe, pixelProbe, rankingProbe, twoClassProbe, type Probe } from './probes.js';

type OptionValue = option.OptionValue;

/** One loss's documentation, as scripts/loss-docs.mjs extracts it. */
export interface LossDoc {
  name: string;
  family: string;
  aliases: string[];
  headline: string;
  choose?: string;
  doc: string;
  example: string;
}

export interface CatalogEntry {
  name: string;
  family: string;
  aliases: string[];
  doc?: LossDoc;
  factory: LossFactory;
  probe?: Probe;
  /** Why there is no curve, when `probe` is undefined. */
  noCurve?: string;
}

const takesProbabilities = (options: Record<string, OptionValue>) => options['fromLogits'] === false;
const always = () => true;
const never = () => false;

/** Losses whose class axis is a dense distribution ([B, C] targets): plotted as two classes. */
const TWO_CLASS = new Set(['categoricalCrossentropy', 'categoricalFocalCrossentropy', 'polyCrossentropy', 'generalizedCrossentropy']);

const NO_CURVE: Record<string, string> = {
  ctc: 'needs sequences and their alignments',
  gaussianNll: 'needs a predicted variance beside each mean (yPred holds the means, then the variances)',
  tripletMargin: 'needs a batch of embeddings to mine triplets from',
  ntXent: 'needs a batch of embeddings (every other sample is a negative)',
  cosineEmbedding: 'compares two embedding vectors by angle',
  cosineSimilarity: 'compares two vectors by direction',
  lovaszSoftmax: 'needs multi-class label maps (sorted errors over pixels)',
  adaptiveRobust: 'learns its α and scale while training (generalRobust draws ρ for a chosen α)',
};

/** The probe that draws `name` (of `family`) as a curve, or undefined. */
export function probeFor(name: string, family: string): Probe | undefined {
  if (name in NO_CURVE) return undefined;
  if (family === 'regression' || family === 'robust') return errorProbe;
  if (name === 'sparseCategoricalCrossentropy') return twoClassProbe(takesProbabilities, true);
  if (TWO_CLASS.has(name)) return twoClassProbe(takesProbabilities);
  if (name === 'categoricalHinge') return twoClassProbe(never);
  if (name === 'kullbackLeiblerDivergence') return twoClassProbe(always);
  if (name === 'marginRanking') return rankingProbe;
  if (name === 'contrastive') return pairProbe;
  if (family === 'segmentation') return pixelProbe(name === 'lovaszHinge' ? never : takesProbabilities, name === 'lovaszHinge' ? { aggregation: 'perImage' } : { mode: 'binary', aggregation: 'perImage' });
  if (family === 'classification' || family === 'margin') return elementwiseProbe(takesProbabilities);
  return undefined;
}

/** The catalog, from the registry and the generated docs (losses without docs still appear, as 'other'). */
export function buildCatalog(docs: readonly LossDoc[]): CatalogEntry[] {
  const byName = new Map(docs.map((d) => [d.name, d]));
  const factories = losses as unknown as Record<string, LossFactory | undefined>;
  return losses.list().flatMap((name) => {
    const factory = factories[name];
    if (typeof factory !== 'function' || !factory.optionSpecs) return [];
    const doc = byName.get(name);
    const family = doc?.family ?? 'other';
    const probe = probeFor(name, family);
    return [{ name, family, aliases: doc?.aliases ?? [], doc, factory, probe, noCurve: probe ? undefined : NO_CURVE[name] ?? 'no 1-D view for this loss' }];
  });
}

/**
 * The entry a query names: a registered name or alias (resolved by `losses.get`, so Keras and PyTorch
 * spellings work, and an alias's preset options come along), else undefined.
 */
export function resolveQuery(catalog: readonly CatalogEntry[], query: string): { entry: CatalogEntry; options: Record<string, OptionValue> } | undefined {
  let loss;
  try {
    loss = losses.get(query.trim());
  } catch {
    return undefined;
  }
  const entry = catalog.find((e) => e.name === loss.name);
  if (!entry) return undefined;
  const { name: _name, reduction: _reduction, ...options } = loss.getConfig();
  // Keep only what differs from the defaults: the alias's preset (e.g. BCEWithLogitsLoss → fromLogits: true).
  const preset = Object.fromEntries(Object.entries(options).filter(([k, v]) => entry.factory.optionSpecs[k]?.default !== v));
  return { entry, options: preset };
}
