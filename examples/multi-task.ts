/**
 * A two-output model trained with combine(): one shared trunk, a regression head ('value', Huber)
 * and a classification head ('label', binary cross-entropy), weighted L = w_value·L_value + w_label·L_label.
 *
 * tfjs-layers has no `lossWeights`; `combine({...}).losses` gives each output its loss already scaled
 * by its weight, so `model.compile` and `fit` minimize the weighted sum and log each weighted term
 * (`value_loss`, `label_loss`). The weights and losses are saved with the model and come back on load.
 * The run compares a few weightings: shifting weight to a task improves that task at the other's cost
 * when the shared trunk is small.
 *
 * Run: node --import tsx examples/multi-task.ts
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { combine, fit, loadModel, losses, saveModel, type History } from 'lossforge';

export interface Options {
  epochs?: number;
  /** Label-task weights to compare (the value task keeps weight 1). */
  labelWeights?: number[];
  seed?: number;
  log?: boolean;
}

export interface Result {
  labelWeight: number;
  /** Mean absolute error of the value head on the test set. */
  valueMae: number;
  /** Unweighted binary cross-entropy of the label head on the test set. */
  labelBce: number;
  labelAccuracy: number;
  history: History['history'];
}

/** x ∈ [-1, 1]⁴; value = 2x₀ − x₁x₂ + x₃²; label = 1 when x₀ + x₁ > x₂x₃. */
function tasks(n: number, seed: number): { x: tf.Tensor2D; value: tf.Tensor2D; label: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomUniform([n, 4], -1, 1, 'float32', seed) as tf.Tensor2D;
    const [x0, x1, x2, x3] = tf.split(x, 4, 1) as tf.Tensor2D[];
    const value = tf.add(tf.sub(tf.mul(2, x0!), tf.mul(x1!, x2!)), tf.square(x3!)) as tf.Tensor2D;
    const label = tf.cast(tf.greater(tf.add(x0!, x1!), tf.mul(x2!, x3!)), 'float32') as tf.Tensor2D;
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

export async function main(options: Options = {}): Promise<{ results: Result[]; reloadedConfig: unknown }> {
  const { epochs = 60, labelWeights = [0.1, 1, 10], seed = 21, log = true } = options;
  const train = tasks(512, seed);
  const test = tasks(256, seed + 1);
  const results: Result[] = [];
  let reloadedConfig: unknown;
  for (const labelWeight of labelWeights) {
    const loss = combine({ value: [losses.huber({ delta: 1 }), 1], label: [losses.binaryCrossentropy(), labelWeight] });
    const model = twoHeadModel(seed);
    const optimizer = tf.train.adam(0.03);
    model.compile({ optimizer, loss: loss.losses as never });
    const { history } = await fit(model, train.x, { value: train.value, label: train.label }, { epochs, batchSize: 32, seed });
    const scores = tf.tidy(() => {
      const [v, l] = model.predict(test.x) as tf.Tensor[];
      return [
        tf.mean(tf.abs(tf.sub(v!, test.value))).dataSync()[0]!,
        losses.binaryCrossentropy()(test.label, l!).dataSync()[0]!,
        tf.mean(tf.cast(tf.equal(tf.greaterEqual(l!, 0.5), tf.cast(test.label, 'bool')), 'float32')).dataSync()[0]!,
      ];
    });
    results.push({ labelWeight, valueMae: scores[0]!, labelBce: scores[1]!, labelAccuracy: scores[2]!, history });

    if (labelWeight === labelWeights[labelWeights.length - 1]) {
      // The weighted losses travel with the model (as { name: 'weighted', weight, loss }).
      let artifacts: tf.io.ModelArtifacts | undefined;
      await saveModel(model, tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const reloaded = await loadModel(tf.io.fromMemory(artifacts!));
      const configs = reloaded.loss as unknown as Record<string, { getConfig(): unknown }>;
      reloadedConfig = Object.fromEntries(Object.entries(configs).map(([k, v]) => [k, v.getConfig()]));
      (reloaded as unknown as tf.LayersModel).dispose();
    }
    model.dispose();
    optimizer.dispose();
  }
  tf.dispose([train.x, train.value, train.label, test.x, test.value, test.label]);
  if (log) {
    console.table(results.map(({ history: _h, ...r }) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v.toFixed(3))]))));
    console.log('restored losses:', JSON.stringify(reloadedConfig));
  }
  return { results, reloadedConfig };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
