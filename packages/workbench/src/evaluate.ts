/**
 * One unit of work: train a candidate loss on one training fold and score it on the test fold.
 * Used by compare (every loss × every fold), tune (every trial × folds) and the worker threads.
 */
import * as tf from '@tensorflow/tfjs';
import { losses, setValueChecks } from 'lossforge';
import { UsageError } from './errors.js';
import { applyPlatt, fitPlatt, fitTemperature, sigmoid, softmaxRows } from './calibrate.js';
import { concreteConfig, type LossCandidate } from './candidates.js';
import { classCounts, type Dataset } from './data.js';
import { validationHoldout, type Fold } from './folds.js';
import { deriveSeed } from './random.js';
import { classificationMetrics, regressionMetrics } from './metrics.js';
import { fitPreprocessor } from './preprocess.js';
import { trainMlp, type Matrix, type TrainOptions } from './train.js';

export interface ClassPredictions {
  kind: 'classification';
  rows: number[];
  yTrue: number[];
  yPred: number[];
  /** Probability of the positive class (binary) or of the predicted class (multiclass). */
  confidence: number[];
  /** 1 when the event behind `confidence` happened (true class positive / prediction correct). */
  hit: number[];
}

export interface RegressionPredictions {
  kind: 'regression';
  rows: number[];
  y: number[];
  yHat: number[];
}

export interface FoldOutcome {
  label: string;
  repeat: number;
  fold: number;
  metrics: Record<string, number>;
  curve: { loss: number[]; valLoss: number[] };
  /** Epochs actually run (fewer if stopped early). */
  epochs: number;
  /** The epoch whose weights were kept (early stopping) or with the lowest validation loss (fixed budget). */
  bestEpoch: number;
  /** The training used its whole epoch budget with the validation loss still improving. */
  stillImproving: boolean;
  seconds: number;
  /** Missing feature cells imputed in this fold (train + test, with training-fold statistics). */
  imputed: number;
  /** The loss config used on this fold ("balanced" options resolved). */
  lossConfig: Record<string, unknown>;
  /** True when training produced non-finite outputs. */
  diverged: boolean;
  predictions: ClassPredictions | RegressionPredictions;
}

interface TargetScale {
  center: number;
  scale: number;
}

function targetScale(data: Dataset, rows: readonly number[], candidate: LossCandidate): TargetScale {
  const values = rows.map((r) => data.y[r]!);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) || 1;
  if (candidate.encoding === 'positiveValue') return { center: 0, scale: sd };
  return { center: mean, scale: sd };
}

/** Targets in the encoding the candidate's loss expects. */
export function encodeTargets(data: Dataset, rows: readonly number[], candidate: LossCandidate, scale?: TargetScale): Matrix {
  const n = rows.length;
  const C = data.classes.length;
  switch (candidate.encoding) {
    case 'binary01':
      return { data: Float32Array.from(rows, (r) => data.y[r]!), rows: n, cols: 1 };
    case 'signed':
      return { data: Float32Array.from(rows, (r) => 2 * data.y[r]! - 1), rows: n, cols: 1 };
    case 'sparse':
      return { data: Float32Array.from(rows, (r) => data.y[r]!), rows: n, cols: 0 };
    case 'onehot': {
      const out = new Float32Array(n * C);
      rows.forEach((r, i) => (out[i * C + data.y[r]!] = 1));
      return { data: out, rows: n, cols: C };
    }
    case 'value':
    case 'positiveValue':
      return { data: Float32Array.from(rows, (r) => (data.y[r]! - scale!.center) / scale!.scale), rows: n, cols: 1 };
  }
}

/** A neutral raw output of the candidate's head: 0 for scores and logits, 1/units for probabilities, 1 for rates. */
function neutralOutput(candidate: LossCandidate): number {
  if (candidate.activation === 'softplus') return 1;
  if (candidate.activation === 'sigmoid') return 0.5;
  if (candidate.activation === 'softmax') return 1 / candidate.units;
  return 0;
}

/**
 * Checks, once and before anything trains, that the candidate's loss accepts the data's targets in the
 * candidate's encoding: the loss runs with value checks on over every row's target and a neutral
 * output of the model's shape. Training later runs with value checks off (train.ts), so this is where
 * a target outside the loss's rules (negative counts for poisson, non-labels for dice…) is caught.
 * Raises a UsageError naming the loss and the rule.
 */
export function checkCandidateTargets(data: Dataset, candidate: LossCandidate): void {
  const rows = Array.from({ length: data.n }, (_, i) => i);
  const classification = data.task !== 'regression';
  const scale = classification ? undefined : targetScale(data, rows, candidate);
  const y = encodeTargets(data, rows, candidate, scale);
  const previous = setValueChecks(true);
  try {
    tf.tidy(() => {
      const loss = losses.get(concreteConfig(candidate, classification ? classCounts(data) : []));
      const yTrue = tf.tensor2d(y.data, [y.rows, Math.max(1, y.cols)]);
      const yPred = tf.fill([y.rows, candidate.units], neutralOutput(candidate));
      const value = loss(yTrue, yPred);
      if (value.size !== 1) throw new Error(`returned a tensor of shape [${value.shape.join(',')}], not one number`);
    });
  } catch (error) {
    throw new UsageError(`--losses: ${candidate.label} cannot train on target '${data.target}' (${data.task}, encoded as ${candidate.encoding}): ${(error as Error).message}`);
  } finally {
    setValueChecks(previous);
  }
}

/** Class probabilities (rows × C) and predicted classes from raw outputs. */
function classify(
  candidate: LossCandidate,
  C: number,
  out: Float32Array,
  trainOut: () => Float32Array,
  trainLabels: number[],
): { proba: Float64Array; pred: number[] } {
  const n = out.length / candidate.units;
  const proba = new Float64Array(n * C);
  const pred: number[] = [];
  if (candidate.units === 1) {
    let p: ArrayLike<number>;
    if (candidate.head === 'margin') p = applyPlatt(out, fitPlatt(trainOut(), trainLabels));
    else if (candidate.head === 'logits') p = Float64Array.from(out, sigmoid);
    else p = out;
    for (let i = 0; i < n; i++) {
      proba[2 * i] = 1 - p[i]!;
      proba[2 * i + 1] = p[i]!;
      pred.push(candidate.head === 'margin' ? (out[i]! > 0 ? 1 : 0) : p[i]! >= 0.5 ? 1 : 0);
    }
    return { proba, pred };
  }
  let p: Float64Array;
  if (candidate.head === 'margin') p = softmaxRows(out, C, fitTemperature(trainOut(), trainLabels, C));
  else if (candidate.head === 'logits') p = softmaxRows(out, C);
  else {
    p = Float64Array.from(out);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += p[i * C + c]!;
      for (let c = 0; c < C; c++) p[i * C + c] = s > 0 ? p[i * C + c]! / s : 1 / C;
    }
  }
  for (let i = 0; i < n; i++) {
    const source = candidate.head === 'margin' ? out : p;
    let best = 0;
    for (let c = 1; c < C; c++) if (source[i * C + c]! > source[i * C + best]!) best = c;
    pred.push(best);
  }
  return { proba: p, pred };
}

/**
 * The rows a training learns from and the rows its validation loss is computed on. Under early stopping
 * the validation rows are a (stratified) split of the training fold, never the test fold; with a fixed
 * budget the model learns from the whole training fold and the test fold's loss is only recorded (the
 * learning curve), never used for a decision.
 */
export function trainingRows(data: Dataset, fold: Fold, options: TrainOptions): { fit: number[]; validation: number[]; earlyStopping: boolean } {
  if (options.earlyStopping) {
    const split = validationHoldout(fold.train, deriveSeed(options.seed, 13), data.task === 'regression' ? undefined : data.y);
    if (split) return { ...split, earlyStopping: true };
  }
  return { fit: fold.train, validation: fold.test, earlyStopping: false };
}

/** Trains `candidate` on `fold.train` and evaluates it on `fold.test`. */
export async function runFold(data: Dataset, fold: Fold, candidate: LossCandidate, options: TrainOptions): Promise<FoldOutcome> {
  const started = performance.now();
  const rows = trainingRows(data, fold, options);
  const pre = fitPreprocessor(data, rows.fit);
  const xTrain: Matrix = { data: pre.transform(rows.fit), rows: rows.fit.length, cols: pre.width };
  const xTest: Matrix = { data: pre.transform(fold.test), rows: fold.test.length, cols: pre.width };
  const xValidation: Matrix = rows.earlyStopping ? { data: pre.transform(rows.validation), rows: rows.validation.length, cols: pre.width } : xTest;
  const classification = data.task !== 'regression';
  const lossConfig = concreteConfig(candidate, classification ? classCounts(data, rows.fit) : []);
  const loss = losses.get(lossConfig);
  const scale = classification ? undefined : targetScale(data, rows.fit, candidate);
  const model = await trainMlp(
    {
      x: xTrain,
      y: encodeTargets(data, rows.fit, candidate, scale),
      validation: { x: xValidation, y: encodeTargets(data, rows.validation, candidate, scale) },
      loss,
      units: candidate.units,
      activation: candidate.activation,
    },
    { ...options, earlyStopping: rows.earlyStopping },
  );
  try {
    const out = model.predict(xTest);
    const diverged = out.some((v) => !Number.isFinite(v));
    let metrics: Record<string, number>;
    let predictions: ClassPredictions | RegressionPredictions;
    if (classification) {
      const C = data.classes.length;
      const yTrue = fold.test.map((r) => data.y[r]!);
      const trainLabels = rows.fit.map((r) => data.y[r]!);
      const { proba, pred } = diverged
        ? { proba: new Float64Array(yTrue.length * C).fill(1 / C), pred: yTrue.map(() => 0) }
        : classify(candidate, C, out, () => model.predict(xTrain), trainLabels);
      metrics = classificationMetrics(data.task as 'binary' | 'multiclass', yTrue, pred, proba, C);
      const confidence = C === 2 ? yTrue.map((_, i) => proba[2 * i + 1]!) : pred.map((c, i) => proba[i * C + c]!);
      const hit = C === 2 ? yTrue.map((y) => (y === 1 ? 1 : 0)) : pred.map((c, i) => (c === yTrue[i] ? 1 : 0));
      predictions = { kind: 'classification', rows: fold.test, yTrue, yPred: pred, confidence, hit };
    } else {
      const y = fold.test.map((r) => data.y[r]!);
      const logRate = candidate.config['logInput'] === true;
      // The predicted value is the first unit (gaussianNll's second is its log-variance).
      const values = candidate.units === 1 ? out : out.filter((_, i) => i % candidate.units === 0);
      const yHat = Array.from(values, (z) => (logRate ? Math.exp(z) : z) * scale!.scale + (candidate.encoding === 'value' ? scale!.center : 0));
      metrics = regressionMetrics(y, yHat);
      predictions = { kind: 'regression', rows: fold.test, y, yHat };
    }
    if (diverged) for (const key of Object.keys(metrics)) metrics[key] = NaN;
    return {
      label: candidate.label,
      repeat: fold.repeat,
      fold: fold.fold,
      metrics,
      curve: model.history,
      epochs: model.history.loss.length,
      bestEpoch: model.bestEpoch,
      stillImproving: model.stillImproving,
      seconds: (performance.now() - started) / 1000,
      imputed: pre.missingIn(fold.train) + pre.missingIn(fold.test),
      lossConfig: lossConfig as Record<string, unknown>,
      diverged,
      predictions,
    };
  } finally {
    model.dispose();
  }
}
