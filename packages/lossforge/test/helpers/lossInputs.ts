/**
 * Valid inputs for every registered loss, generated from a few sizes and a seeded generator, and the
 * float64 references of the classic losses whose formula is a line of JavaScript. Used by the fuzz
 * suite (test/losses/fuzz.test.ts) and the input-rule tests (test/core/inputs.test.ts).
 */

export type Nested = number | boolean | Nested[];

/** The sizes of a generated case: batch B (0 and 1 included), width K (features, classes, embedding size, pixels). */
export interface Sizes {
  batch: number;
  width: number;
}

/** One generated call: inputs as nested arrays (the batch axis first), the options, and which axes are which. */
export interface GeneratedCase {
  options: Record<string, unknown>;
  yTrue: Nested[];
  yPred: Nested[];
  /** dtype yTrue should have as a tensor. */
  yTrueDtype: 'float32' | 'int32';
  call?: Record<string, unknown>;
}

type Rand = () => number;

const range = (n: number) => [...Array(n).keys()];
const rows = <T>(b: number, f: (i: number) => T): T[] => range(b).map(f);
const real = (rand: Rand, scale: number) => (rand() * 2 - 1) * scale;
const prob = (rand: Rand) => 0.02 + 0.96 * rand();
const softmaxRow = (rand: Rand, k: number) => {
  const e = range(k).map(() => Math.exp(real(rand, 2)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const oneHotRow = (k: number, c: number) => range(k).map((j) => (j === c ? 1 : 0));
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/**
 * A valid call of loss `name` for `sizes`, values scaled by `scale` where the loss takes any real
 * number (logits, regression targets, embeddings), options drawn by `rand`.
 */
export function generateCase(name: string, { batch: B, width: K }: Sizes, rand: Rand, scale = 1): GeneratedCase {
  const f32 = (o: Record<string, unknown>, yTrue: Nested[], yPred: Nested[]): GeneratedCase => ({ options: o, yTrue, yPred, yTrueDtype: 'float32' });
  const realRows = () => rows(B, () => rows(K, () => real(rand, scale)));
  const C = Math.max(K, 1);
  switch (name) {
    case 'meanSquaredError':
    case 'meanAbsoluteError':
    case 'logCosh':
    case 'huber':
    case 'smoothL1':
    case 'quantile':
    case 'meanSquaredLogarithmicError':
    case 'meanAbsolutePercentageError':
      return f32({}, realRows(), realRows());
    case 'gaussianNll': {
      // yPred: the means then the variances (one per element, or one shared per sample) on the last axis.
      const [shared, logVariance] = [rand() < 0.5, rand() < 0.3];
      const variances = () => rows(shared ? 1 : K, () => (logVariance ? Math.log((0.1 + rand()) * scale) : (0.1 + rand()) * scale));
      return f32({ full: rand() < 0.5, logVariance }, realRows(), rows(B, () => [...rows(K, () => real(rand, scale)), ...variances()]));
    }
    case 'poisson': {
      const logInput = rand() < 0.5;
      return f32({ logInput }, rows(B, () => rows(K, () => rand() * scale)), logInput ? realRows() : rows(B, () => rows(K, () => rand() * scale)));
    }
    case 'hinge':
    case 'squaredHinge':
      return f32({}, rows(B, () => rows(K, () => (rand() < 0.5 ? -1 : 1))), realRows());
    case 'binaryCrossentropy':
    case 'binaryFocalCrossentropy': {
      const fromLogits = rand() < 0.5;
      return f32({ fromLogits }, rows(B, () => rows(K, () => (rand() < 0.5 ? 0 : 1))), fromLogits ? realRows() : rows(B, () => rows(K, () => prob(rand))));
    }
    case 'categoricalCrossentropy':
    case 'categoricalFocalCrossentropy': {
      const fromLogits = rand() < 0.5;
      const labels = rows(B, () => oneHotRow(C, Math.floor(rand() * C)));
      return f32({ fromLogits }, labels, fromLogits ? rows(B, () => rows(C, () => real(rand, scale))) : rows(B, () => softmaxRow(rand, C)));
    }
    case 'polyCrossentropy':
    case 'generalizedCrossentropy':
    case 'categoricalHinge': {
      const fromLogits = name !== 'categoricalHinge' && rand() < 0.5;
      const labels = rows(B, () => oneHotRow(C, Math.floor(rand() * C)));
      const preds = fromLogits || name === 'categoricalHinge' ? rows(B, () => rows(C, () => real(rand, scale))) : rows(B, () => softmaxRow(rand, C));
      return f32(name === 'categoricalHinge' ? {} : { fromLogits }, labels, preds);
    }
    case 'kullbackLeiblerDivergence':
      return f32({}, rows(B, () => softmaxRow(rand, C)), rows(B, () => softmaxRow(rand, C)));
    case 'cosineSimilarity':
      return f32({}, realRows(), realRows());
    case 'sparseCategoricalCrossentropy': {
      const fromLogits = rand() < 0.5;
      return {
        options: { fromLogits },
        yTrue: rows(B, () => Math.floor(rand() * C)),
        yPred: fromLogits ? rows(B, () => rows(C, () => real(rand, scale))) : rows(B, () => softmaxRow(rand, C)),
        yTrueDtype: 'int32',
      };
    }
    case 'tripletMargin':
    case 'contrastive':
    case 'ntXent':
    case 'supervisedContrastive':
    case 'circle': {
      const drawn: Record<string, () => Record<string, unknown>> = {
        tripletMargin: () => ({ mining: pick(rand, ['batchAll', 'batchHard', 'semiHard']), distance: pick(rand, ['euclidean', 'squaredEuclidean', 'cosine']), swap: rand() < 0.3 }),
        ntXent: () => ({ pairwise: rand() < 0.5 }),
        supervisedContrastive: () => ({ variant: pick(rand, ['out', 'in']) }),
        circle: () => ({ removeDiagonal: rand() < 0.7 }),
      };
      const options = drawn[name]?.() ?? {};
      return { options, yTrue: rows(B, () => Math.floor(rand() * 2)), yPred: realRows(), yTrueDtype: 'float32' };
    }
    case 'ssim':
    case 'msSsim':
    case 'totalVariation':
    case 'psnr': {
      // NHWC images in [0, 1], not scaled (SSIM's constants follow maxVal): sides the window (and MS-SSIM's pyramid) fit in.
      const side = name === 'msSsim' ? 33 : name === 'ssim' ? 11 + (K % 2) : 1 + K;
      const channels = Math.min(C, 3);
      const image = () => rows(B, () => rows(side, () => rows(side + 1, () => rows(channels, () => rand()))));
      const options: Record<string, Record<string, unknown>> = {
        ssim: { windowSize: pick(rand, [11, 7]) },
        msSsim: { windowSize: 3 },
        totalVariation: { on: pick(rand, ['prediction', 'residual']), pixels: pick(rand, ['sum', 'mean']) },
        psnr: {},
      };
      return f32(options[name]!, image(), image());
    }
    case 'cosineEmbedding':
      return f32({ margin: pick(rand, [0, 0.3]) }, rows(B, () => (rand() < 0.5 ? -1 : 1)), rows(B, () => rows(2, () => rows(K, () => real(rand, scale)))));
    case 'marginRanking':
      return f32({ margin: pick(rand, [0, 0.5]) }, rows(B, () => (rand() < 0.5 ? -1 : 1)), rows(B, () => rows(2, () => real(rand, scale))));
    case 'dice':
    case 'tversky':
    case 'focalTversky':
    case 'jaccard':
    case 'generalizedDice':
    case 'mcc': {
      const fromLogits = rand() < 0.5;
      const preds = fromLogits ? rows(B, () => rows(K, () => real(rand, scale))) : rows(B, () => rows(K, () => prob(rand)));
      return f32({ mode: 'binary', fromLogits, aggregation: pick(rand, ['perImage', 'perBatch']) }, rows(B, () => rows(K, () => (rand() < 0.5 ? 0 : 1))), preds);
    }
    case 'lovaszHinge':
      return f32({ aggregation: pick(rand, ['perImage', 'perBatch']) }, rows(B, () => rows(K, () => (rand() < 0.5 ? 0 : 1))), realRows());
    case 'lovaszSoftmax': {
      const classes = Math.max(C, 2);
      return f32(
        { aggregation: pick(rand, ['perImage', 'perBatch']) },
        rows(B, () => rows(K, () => oneHotRow(classes, Math.floor(rand() * classes)))),
        rows(B, () => rows(K, () => softmaxRow(rand, classes))),
      );
    }
    case 'ctc': {
      // logits [B, T, C] with C ≥ 2 (blank 0), targets [B, S] padded with −1, S ≤ T/2 so alignments exist.
      const T = K + 2;
      const classes = Math.max(C, 2);
      const S = Math.max(1, Math.floor(T / 2));
      const labels = rows(B, () => rows(S, (s) => (s > 0 && rand() < 0.3 ? -1 : 1 + Math.floor(rand() * (classes - 1)))));
      for (const row of labels as number[][]) for (let s = 1; s < row.length; s++) if (row[s - 1] === -1) row[s] = -1;
      return { options: {}, yTrue: labels, yPred: rows(B, () => rows(T, () => rows(classes, () => real(rand, scale)))), yTrueDtype: 'int32' };
    }
    case 'fenchelYoung': {
      const regularizer = pick(rand, ['sparsemax', 'softmax', 'argmax']);
      return f32({ regularizer }, rows(B, () => (rand() < 0.5 ? softmaxRow(rand, C) : oneHotRow(C, Math.floor(rand() * C)))), rows(B, () => rows(C, () => real(rand, scale))));
    }
    case 'multiclassSparsemax':
    case 'multiclassPerceptron':
      return { options: {}, yTrue: rows(B, () => Math.floor(rand() * C)), yPred: rows(B, () => rows(C, () => real(rand, scale))), yTrueDtype: 'int32' };
    case 'binarySparsemax':
    case 'perceptron':
      return f32({}, rows(B, () => rows(K, () => (rand() < 0.5 ? 0 : 1))), realRows());
    case 'safeSoftmaxCrossentropy':
      return f32({}, rows(B, () => oneHotRow(C, Math.floor(rand() * C))), rows(B, () => rows(C, () => real(rand, scale))));
    case 'generalizedKullbackLeibler': {
      const logPredictions = rand() < 0.5;
      return f32({ logPredictions }, rows(B, () => rows(C, () => rand() * scale)), logPredictions ? rows(B, () => rows(C, () => real(rand, 3))) : rows(B, () => rows(C, () => rand() * scale)));
    }
    case 'pairwiseHinge':
    case 'pairwiseLogistic':
    case 'listwiseSoftmax':
      return f32({}, rows(B, () => rows(K, () => Math.floor(rand() * 3))), realRows());
    case 'smoothAp':
      return f32({ temperature: pick(rand, [0.01, 0.1, 1]) }, rows(B, () => rows(K, () => (rand() < 0.5 ? 0 : 1))), realRows());
    case 'generalRobust':
      return f32({ alpha: pick(rand, ['-Infinity', -2, 0, 0.5, 1, 2]), scale: pick(rand, [0.5, 1, 3]) }, realRows(), realRows());
    case 'adaptiveRobust':
      return f32(rand() < 0.5 ? {} : { dims: K, alphaInit: 0.3 }, realRows(), realRows());
    case 'arcFace':
    case 'cosFace':
      return { options: { numClasses: C, embeddingDim: K, seed: 1, ...(name === 'arcFace' ? { fallback: pick(rand, ['linear', 'easy', 'none']) } : {}) }, yTrue: rows(B, () => Math.floor(rand() * C)), yPred: realRows(), yTrueDtype: 'float32' };
    default:
      throw new Error(`no input generator for loss '${name}': add it to test/helpers/lossInputs.ts`);
  }
}

// ───────────────────────────── float64 references ─────────────────────────────

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const logSumExp = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
};
const normalize = (xs: number[]) => {
  const n = Math.sqrt(xs.reduce((a, x) => a + x * x, 0));
  return xs.map((x) => x / Math.max(n, 1e-6));
};

/**
 * Per-sample values in float64 (Keras 3 / PyTorch formulas, on the float32-rounded inputs), for the
 * losses whose formula is short; undefined for the others (the fuzz suite then compares the fused
 * and composite paths and the two backends with each other).
 */
export const REFERENCES: Record<string, (yTrue: number[][], yPred: number[][], options: Record<string, unknown>) => number[]> = {
  meanSquaredError: (t, p) => t.map((row, i) => mean(row.map((y, j) => (y - p[i]![j]!) ** 2))),
  meanAbsoluteError: (t, p) => t.map((row, i) => mean(row.map((y, j) => Math.abs(y - p[i]![j]!)))),
  huber: (t, p) =>
    t.map((row, i) => mean(row.map((y, j) => {
      const a = Math.abs(y - p[i]![j]!);
      return a <= 1 ? 0.5 * a * a : a - 0.5;
    }))),
  logCosh: (t, p) =>
    t.map((row, i) => mean(row.map((y, j) => {
      const a = Math.abs(p[i]![j]! - y);
      return a + Math.log1p(Math.exp(-2 * a)) - Math.LN2;
    }))),
  hinge: (t, p) => t.map((row, i) => mean(row.map((y, j) => Math.max(1 - y * p[i]![j]!, 0)))),
  squaredHinge: (t, p) => t.map((row, i) => mean(row.map((y, j) => Math.max(1 - y * p[i]![j]!, 0) ** 2))),
  binaryCrossentropy: (t, p, o) =>
    o.fromLogits
      ? t.map((row, i) => mean(row.map((y, j) => softplus(p[i]![j]!) - p[i]![j]! * y)))
      : t.map((row, i) => mean(row.map((y, j) => {
          const q = Math.min(Math.max(p[i]![j]!, 1e-7), 1 - 1e-7);
          return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
        }))),
  categoricalCrossentropy: (t, p, o) =>
    t.map((row, i) => {
      const x = p[i]!;
      if (o.fromLogits) {
        const lse = logSumExp(x);
        return -row.reduce((a, y, j) => a + y * (x[j]! - lse), 0);
      }
      const s = x.reduce((a, b) => a + b, 0);
      return -row.reduce((a, y, j) => a + y * Math.log(Math.min(Math.max(x[j]! / s, 1e-7), 1 - 1e-7)), 0);
    }),
  cosineSimilarity: (t, p) => t.map((row, i) => {
    const [a, b] = [normalize(row), normalize(p[i]!)];
    return -a.reduce((s, x, j) => s + x * b[j]!, 0);
  }),
};

/** Reduces float64 per-sample values like core/reduce.ts (sample weights w, no mask). */
export function reduceReference(perSample: number[], reduction: string, weights?: number[]): number[] {
  const w = weights ?? perSample.map(() => 1);
  const weighted = perSample.map((l, i) => (w[i] === 0 ? 0 : l * w[i]!));
  const sum = weighted.reduce((a, b) => a + b, 0);
  if (reduction === 'none') return weighted;
  if (reduction === 'sum') return [sum];
  if (reduction === 'mean') return [perSample.length === 0 ? 0 : sum / perSample.length];
  const denominator = w.reduce((a, b) => a + b, 0);
  return [denominator > 0 ? sum / denominator : 0];
}
