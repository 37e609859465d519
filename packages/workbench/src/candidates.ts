/**
 * Candidate losses for the workbench, and how each is paired with the model's output layer and the
 * target encoding. The pairing rules (documented in the README, "The loss workbench"):
 *
 * - Cross-entropy-like classification losses that take `fromLogits` (binaryCrossentropy,
 *   binaryFocalCrossentropy, polyCrossentropy, categorical/sparse cross-entropy, focal, …) get a
 *   linear output and `fromLogits: true` (the stable form); probabilities are σ(z) or softmax(z).
 *   If the user sets `fromLogits: false` explicitly, the output is a sigmoid/softmax layer instead.
 * - Margin losses (hinge, squaredHinge, categoricalHinge) get a linear score output; binary labels
 *   are mapped to ±1. Their scores are not probabilities: for log loss, ROC-AUC and calibration the
 *   workbench maps them with Platt scaling (binary) or temperature scaling (multiclass), fitted on
 *   the training fold only; the predicted class is sign(score) or argmax(score).
 * - Any other loss used for classification gets a sigmoid/softmax output and 0/1 (one-hot) targets.
 * - Regression: a linear output trained on targets standardized with the training fold's mean and
 *   standard deviation (losses with a positive-target assumption — MAPE, MSLE, Poisson — on targets
 *   only divided by the training std); predictions are mapped back before computing metrics.
 *   `gaussianNll` gets two linear units, the mean and the log-variance (`logVariance: true`); the
 *   prediction scored is the mean.
 *
 * Special option values resolved per training fold: `posWeight: "balanced"` = n_neg / n_pos,
 * `classWeight: "balanced"` = n / (C · n_c).
 */
import { losses } from 'lossforge';
import type { Loss, LossConfig } from 'lossforge';
import { UsageError } from './errors.js';
import type { Task } from './metrics.js';

export type Head = 'logits' | 'probability' | 'margin' | 'regression';
export type TargetEncoding = 'binary01' | 'signed' | 'onehot' | 'sparse' | 'value' | 'positiveValue';

/** A candidate loss as the user (or the defaults) gave it: a name or `{ name, ...options, label? }`. */
export type CandidateInput = string | (Record<string, unknown> & { name: string; label?: string });

export interface LossCandidate {
  /** Display label, unique within a comparison: `binaryCrossentropy`, `huber(delta=2)`, … */
  label: string;
  /** The loss config handed to `losses.get`, with `fromLogits` resolved; "balanced" entries resolved per fold. */
  config: Record<string, unknown> & { name: string };
  /** The registered loss name. */
  lossName: string;
  head: Head;
  /** Output units of the model (1 for binary and regression, C for multiclass). */
  units: number;
  /** Output activation of the last layer. */
  activation: 'linear' | 'sigmoid' | 'softmax' | 'softplus';
  encoding: TargetEncoding;
}

const BINARY_MARGIN = new Set(['hinge', 'squaredHinge']);
const MULTICLASS_MARGIN = new Set(['categoricalHinge']);
/** Losses whose yTrue is one-hot (or per-class) over a class axis of size C. */
const CATEGORICAL = new Set(['categoricalCrossentropy', 'categoricalFocalCrossentropy', 'categoricalHinge', 'generalizedCrossentropy', 'polyCrossentropy']);
const SPARSE = new Set(['sparseCategoricalCrossentropy']);
/** Binary losses on a single output unit. */
const BINARY = new Set(['binaryCrossentropy', 'binaryFocalCrossentropy', 'hinge', 'squaredHinge']);
/** Regression losses that assume non-negative targets/predictions. */
const POSITIVE_REGRESSION = new Set(['meanAbsolutePercentageError', 'meanSquaredLogarithmicError', 'poisson']);

/**
 * Losses that cannot score one prediction per table row, with the reason (checked before anything trains).
 * The workbench's model maps a row to 1 or C outputs; these need pairs, triplets, embeddings or sequences.
 */
export const NOT_PER_ROW: Record<string, string> = {
  ctc: 'a sequence loss: it needs per-time-step outputs [batch, time, classes] and label sequences, not one prediction per row',
  marginRanking: 'a ranking loss on pairs of scores (yPred [batch, 2]), not one prediction per row',
  cosineEmbedding: 'a loss on pairs of embeddings (yPred [batch, 2, dim]), not one prediction per row',
  tripletMargin: 'a metric-learning loss on embeddings of labelled samples, not a prediction of the target',
  contrastive: 'a metric-learning loss on embeddings of labelled samples, not a prediction of the target',
  ntXent: 'a contrastive loss on embeddings of augmented views, not a prediction of the target',
  ssim: 'an image loss on [batch, height, width, channels] images, not one prediction per row',
  msSsim: 'an image loss on [batch, height, width, channels] images, not one prediction per row',
  totalVariation: 'an image loss on [batch, height, width, channels] images, not one prediction per row',
  psnr: 'an image loss on [batch, height, width, channels] images, not one prediction per row',
  supervisedContrastive: 'a contrastive loss on embeddings of labelled samples, not a prediction of the target',
  circle: 'a metric-learning loss on embeddings of labelled samples, not a prediction of the target',
};

/** Regression losses whose prediction carries a mean and a variance per row (two output units, the mean first). */
const MEAN_AND_VARIANCE = new Set(['gaussianNll']);

/** Losses for labels or probabilities in [0, 1] (overlap, divergence and cosine losses): never a regression loss. */
const NOT_REGRESSION = new Set(['dice', 'tversky', 'focalTversky', 'jaccard', 'lovaszHinge', 'lovaszSoftmax', 'kullbackLeiblerDivergence', 'cosineSimilarity']);

/** The default candidates of each task; count targets (non-negative integers) add `poisson` on the log-rate (a linear output). */
export function defaultCandidates(task: Task, options: { counts?: boolean } = {}): CandidateInput[] {
  if (task === 'binary') {
    return [
      'binaryCrossentropy',
      { name: 'binaryCrossentropy', posWeight: 'balanced' },
      'binaryFocalCrossentropy',
      'hinge',
      'polyCrossentropy',
    ];
  }
  if (task === 'multiclass') {
    return [
      'categoricalCrossentropy',
      'categoricalFocalCrossentropy',
      { name: 'categoricalCrossentropy', labelSmoothing: 0.1 },
      'polyCrossentropy',
      'categoricalHinge',
    ];
  }
  const regression: CandidateInput[] = ['meanSquaredError', 'meanAbsoluteError', 'huber', 'logCosh', { name: 'quantile', quantile: 0.5 }];
  return options.counts ? [...regression, { name: 'poisson', logInput: true }] : regression;
}

/** Splits at commas that are not inside braces, brackets or strings. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function fromJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--losses: invalid JSON in ${text} (${(error as Error).message})`);
  }
}

function checkEntry(entry: unknown, i: number): CandidateInput {
  if (typeof entry === 'string') return entry;
  if (typeof entry === 'object' && entry !== null && !Array.isArray(entry) && typeof (entry as { name?: unknown }).name === 'string') {
    return entry as CandidateInput;
  }
  throw new UsageError(`--losses: entry ${i + 1} must be a loss name or an object with a "name", got ${JSON.stringify(entry)}`);
}

/**
 * Parses `--losses`: comma-separated names and JSON configs, mixed freely
 * (`mse,{"name":"huber","delta":2}`), or one JSON array of names and configs.
 */
export function parseLossList(text: string): CandidateInput[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError('--losses: expected loss names or JSON configs, got an empty string');
  if (trimmed.startsWith('[')) {
    const parsed = fromJson(trimmed);
    if (!Array.isArray(parsed)) throw new UsageError('--losses: expected a JSON array');
    return parsed.map(checkEntry);
  }
  return splitTopLevel(trimmed).map((part, i) => checkEntry(part.startsWith('{') ? fromJson(part) : part, i));
}

function optionsText(options: Record<string, unknown>): string {
  const entries = Object.entries(options);
  return entries.length === 0 ? '' : `(${entries.map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : v}`).join(', ')})`;
}

/** The loss built from a config with "balanced" placeholders replaced by neutral values (for checking). */
function probe(config: Record<string, unknown> & { name: string }): Loss {
  const concrete: Record<string, unknown> = { ...config };
  if (concrete['posWeight'] === 'balanced') concrete['posWeight'] = 1;
  if (concrete['classWeight'] === 'balanced') delete concrete['classWeight'];
  return losses.get(concrete as LossConfig);
}

function lossOptionsOf(name: string): Record<string, unknown> {
  return losses.get(name).options as Record<string, unknown>;
}

/**
 * Resolves a candidate for a task: checks the loss exists and accepts the options, and fixes the
 * output head and target encoding. Bad names/options raise a UsageError that names the candidate.
 */
export function resolveCandidate(input: CandidateInput, task: Task, numClasses: number): LossCandidate {
  const { label: givenLabel, ...rest } = typeof input === 'string' ? { name: input } : input;
  const userConfig = rest as Record<string, unknown> & { name: string };
  let base: Loss;
  try {
    base = probe(userConfig);
  } catch (error) {
    throw new UsageError(`--losses: ${(error as Error).message}`);
  }
  const lossName = base.name;
  const { name: _ignored, ...userOptions } = userConfig;
  const label = givenLabel ?? `${lossName}${optionsText(userOptions)}`;
  if (lossName in NOT_PER_ROW) throw new UsageError(`--losses: ${label} cannot be compared on a table: ${NOT_PER_ROW[lossName]}`);
  if (task === 'regression' && NOT_REGRESSION.has(lossName)) {
    throw new UsageError(`--losses: ${label} is a loss for labels or probabilities in [0, 1]; the task is regression (use --task to read the target as classes)`);
  }
  const known = lossOptionsOf(lossName);
  const config: Record<string, unknown> & { name: string } = { ...userConfig, name: lossName };
  const takesLogits = 'fromLogits' in known;
  const logits = takesLogits && userOptions['fromLogits'] !== false;
  if (takesLogits) config['fromLogits'] = logits;
  if (userOptions['classWeight'] === 'balanced' && !('classWeight' in known)) {
    throw new UsageError(`--losses: ${label}: ${lossName} has no classWeight option (options: ${Object.keys(known).join(', ')})`);
  }
  if (userOptions['posWeight'] === 'balanced' && task !== 'binary') {
    throw new UsageError(`--losses: ${label}: posWeight "balanced" needs a binary task, this one is ${task}`);
  }

  if (task !== 'regression' && MEAN_AND_VARIANCE.has(lossName)) {
    throw new UsageError(`--losses: ${label} is a regression loss (a mean and a variance per row); the task is ${task}`);
  }
  if (task === 'regression') {
    if (BINARY.has(lossName) || CATEGORICAL.has(lossName) || SPARSE.has(lossName)) {
      throw new UsageError(`--losses: ${lossName} is a classification loss; the task is regression`);
    }
    if (MEAN_AND_VARIANCE.has(lossName)) {
      // One output layer, one activation: a linear unit cannot keep σ² ≥ 0, so the second unit is log σ².
      if (userOptions['logVariance'] === false) {
        throw new UsageError(`--losses: ${label}: the workbench predicts the variance with a linear unit, so it needs logVariance: true (the default here)`);
      }
      config['logVariance'] = true;
      return { label, config, lossName, head: 'regression', units: 2, activation: 'linear', encoding: 'value' };
    }
    let activation: LossCandidate['activation'] = 'linear';
    if ('logInput' in known) {
      // Poisson: predict the log-rate with a linear output unless the user asks for rates (softplus output).
      if (userOptions['logInput'] === undefined) config['logInput'] = true;
      if (config['logInput'] === false) activation = 'softplus';
    }
    return { label, config, lossName, head: 'regression', units: 1, activation, encoding: POSITIVE_REGRESSION.has(lossName) ? 'positiveValue' : 'value' };
  }
  if (task === 'binary') {
    if (BINARY_MARGIN.has(lossName)) {
      return { label, config, lossName, head: 'margin', units: 1, activation: 'linear', encoding: 'signed' };
    }
    if (SPARSE.has(lossName) || (CATEGORICAL.has(lossName) && lossName !== 'polyCrossentropy' && lossName !== 'generalizedCrossentropy')) {
      const margin = MULTICLASS_MARGIN.has(lossName);
      return {
        label, config, lossName, units: 2,
        head: margin ? 'margin' : logits ? 'logits' : 'probability',
        activation: margin || logits ? 'linear' : 'softmax',
        encoding: SPARSE.has(lossName) ? 'sparse' : 'onehot',
      };
    }
    return { label, config, lossName, head: logits ? 'logits' : 'probability', units: 1, activation: logits ? 'linear' : 'sigmoid', encoding: 'binary01' };
  }
  // multiclass
  if (BINARY.has(lossName)) {
    const hint = BINARY_MARGIN.has(lossName) ? 'categoricalHinge' : 'categoricalCrossentropy or sparseCategoricalCrossentropy';
    throw new UsageError(`--losses: ${lossName} is a binary loss; the task is multiclass (${numClasses} classes): use ${hint}`);
  }
  if (MULTICLASS_MARGIN.has(lossName)) {
    return { label, config, lossName, head: 'margin', units: numClasses, activation: 'linear', encoding: 'onehot' };
  }
  return {
    label, config, lossName, units: numClasses,
    head: logits ? 'logits' : 'probability',
    activation: logits ? 'linear' : 'softmax',
    encoding: SPARSE.has(lossName) ? 'sparse' : 'onehot',
  };
}

/** Resolves every candidate; duplicate labels get a numeric suffix. */
export function resolveCandidates(inputs: CandidateInput[], task: Task, numClasses: number): LossCandidate[] {
  if (inputs.length === 0) throw new UsageError('--losses: no losses to compare');
  const seen = new Map<string, number>();
  return inputs.map((input) => {
    const candidate = resolveCandidate(input, task, numClasses);
    const count = (seen.get(candidate.label) ?? 0) + 1;
    seen.set(candidate.label, count);
    return count === 1 ? candidate : { ...candidate, label: `${candidate.label} #${count}` };
  });
}

/**
 * The loss config for one training fold: `posWeight: "balanced"` → n_neg/n_pos and
 * `classWeight: "balanced"` → n/(C·n_c), from the training fold's class counts.
 */
export function concreteConfig(candidate: LossCandidate, trainClassCounts: number[]): LossConfig {
  const config: Record<string, unknown> = { ...candidate.config };
  if (config['posWeight'] === 'balanced') {
    const [neg = 0, pos = 0] = trainClassCounts;
    config['posWeight'] = pos > 0 ? neg / pos : 1;
  }
  if (config['classWeight'] === 'balanced') {
    const n = trainClassCounts.reduce((a, b) => a + b, 0);
    const c = trainClassCounts.length;
    config['classWeight'] = trainClassCounts.map((k) => (k > 0 ? n / (c * k) : 1));
  }
  return config as LossConfig;
}
