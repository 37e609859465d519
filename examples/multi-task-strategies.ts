/**
 * Multi-task strategies on one two-output model: a shared trunk of 3 units, a regression head
 * ('value', MSE on a noisy target of scale 3) and a classification head ('label', binary
 * cross-entropy). With the plain sum of the losses the regression's larger gradients own most of the
 * small trunk; each strategy changes the update (`fit(…, { multiTask })`) and so the outcome:
 *
 * - DWA (dynamic weight averaging) weights each task by how slowly its epoch loss falls; here the
 *   value loss levels off first, so DWA shifts weight to it (a low temperature, 0.2, so that the
 *   weights move visibly within 10 epochs; the paper's default is 2);
 * - GradNorm trains the weights so that the tasks' gradient norms on the shared trunk follow their
 *   relative training rates: it gives the classification more weight, which gains the most;
 * - PCGrad removes from each task's gradient the part that conflicts with the other's.
 *
 * Every run starts from the same initial weights and batch order (seeded); the table lists each
 * head's test score and the final task weights.
 *
 * Run: node --import tsx examples/multi-task-strategies.ts
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { fit, losses, multiTask, type MultiTaskStrategy } from 'lossforge';

export interface Options {
  epochs?: number;
  seed?: number;
  log?: boolean;
}

export interface Result {
  strategy: 'sum' | 'dwa' | 'gradNorm' | 'pcgrad';
  /** Mean absolute error of the value head on the test set. */
  valueMae: number;
  /** Binary cross-entropy of the label head on the test set. */
  labelBce: number;
  labelAccuracy: number;
  /** The strategy's task weights at the end ([value, label]; the plain sum: [1, 1]). */
  weights: number[];
}

/**
 * x ∈ [-1, 1]⁴; value = 3·(x₀ − x₁ + x₂x₃) + 1.2·ε, ε ~ N(0, 1) (a larger scale than the label's loss,
 * and noisy); label = 1 when x₀ + x₁ > 0.
 */
function tasks(n: number, seed: number): { x: tf.Tensor2D; value: tf.Tensor2D; label: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 4], -1, 1, 'float32', seed) as tf.Tensor2D;
    const [x0, x1, x2, x3] = tf.split(x, 4, 1) as tf.Tensor2D[];
    const noise = tf.randomNormal([n, 1], 0, 1.2, 'float32', seed + 100);
    const value = tf.add(tf.mul(3, tf.add(tf.sub(x0!, x1!), tf.mul(x2!, x3!))), noise) as tf.Tensor2D;
    const label = tf.cast(tf.greater(tf.add(x0!, x1!), 0), 'float32') as tf.Tensor2D;
    return { x, value, label };
  });
}

function twoHeadModel(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const trunk = tf.layers.dense({ units: 3, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  const value = tf.layers.dense({ units: 1, name: 'value', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(trunk) as tf.SymbolicTensor;
  const label = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'label', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(trunk) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [value, label] });
}

export async function main(options: Options = {}): Promise<Result[]> {
  const { epochs = 10, seed = 7, log = true } = options;
  const train = tasks(512, seed);
  const test = tasks(512, seed + 1);
  const strategies: Array<[Result['strategy'], MultiTaskStrategy | undefined]> = [
    ['sum', undefined],
    ['dwa', multiTask.dwa({ temperature: 0.2 })],
    ['gradNorm', multiTask.gradNorm({ alpha: 1.5, learningRate: 0.025 })],
    ['pcgrad', multiTask.pcgrad({ seed })],
  ];
  const results: Result[] = [];
  for (const [name, strategy] of strategies) {
    const model = twoHeadModel(seed);
    const optimizer = tf.train.adam(0.02);
    model.compile({ optimizer, loss: { value: losses.meanSquaredError(), label: losses.binaryCrossentropy() } as never });
    await fit(model, train.x, { value: train.value, label: train.label }, { epochs, batchSize: 32, seed, ...(strategy ? { multiTask: strategy } : {}) });
    const [valueMae, labelBce, labelAccuracy] = tf.tidy(() => {
      const [v, l] = model.predict(test.x) as tf.Tensor[];
      return [
        tf.mean(tf.abs(tf.sub(v!, test.value))).dataSync()[0]!,
        losses.binaryCrossentropy()(test.label, l!).dataSync()[0]!,
        tf.mean(tf.cast(tf.equal(tf.greaterEqual(l!, 0.5), tf.cast(test.label, 'bool')), 'float32')).dataSync()[0]!,
      ];
    });
    results.push({ strategy: name, valueMae: valueMae!, labelBce: labelBce!, labelAccuracy: labelAccuracy!, weights: strategy ? strategy.weights() : [1, 1] });
    model.dispose();
    optimizer.dispose();
  }
  tf.dispose([train.x, train.value, train.label, test.x, test.value, test.label]);
  if (log) {
    console.table(results.map((r) => ({ ...r, valueMae: +r.valueMae.toFixed(3), labelBce: +r.labelBce.toFixed(3), labelAccuracy: +r.labelAccuracy.toFixed(3), weights: r.weights.map((w) => +w.toFixed(2)).join(', ') })));
  }
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
