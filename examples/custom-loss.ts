/**
 * A custom loss in a few lines with defineLoss, trained with fit and saved with its model.
 *
 * The task: forecast demand where running out of stock costs more than overstocking. An asymmetric
 * squared error charges under-prediction `under` times more than over-prediction, so the model learns
 * to forecast above the mean. defineLoss gives the loss validation, sample weights, reductions,
 * a config and a registry name for free, so saveModel / loadModel restore it.
 *
 * Run: node --import tsx examples/custom-loss.ts
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { defineLoss, fit, loadModel, losses, option, saveModel, type Loss } from 'lossforge';

/**
 * under · max(y − ŷ, 0)² + max(ŷ − y, 0)²: under-forecasts cost `under` times more. (Written with relu,
 * not a comparison: tfjs has no gradient for comparison ops.)
 */
export const asymmetricSquaredError = defineLoss({
  name: 'asymmetricSquaredError',
  options: { under: option.number(4, { min: 0 }) },
  layout: 'elementwise',
  compute: (yTrue, yPred, { under }) => {
    const error = tf.sub(yTrue, yPred); // > 0: we forecast too little
    return tf.add(tf.mul(under, tf.square(tf.relu(error))), tf.square(tf.relu(tf.neg(error))));
  },
});

export interface Options {
  epochs?: number;
  seed?: number;
  log?: boolean;
}

export interface Result {
  /** Mean of (forecast − demand) on the test days, per loss: positive = forecasts above demand. */
  meanBias: { meanSquaredError: number; asymmetricSquaredError: number };
  /** Share of test days with a stock-out (forecast below demand), per loss. */
  stockOutRate: { meanSquaredError: number; asymmetricSquaredError: number };
  /** The asymmetric model after a save / load round trip predicts the same. */
  reloadedMatches: boolean;
}

/** Demand = 10 + 3·weekday effect + noise (noise with standard deviation 2). */
function demand(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const weekday = tf.randomUniform([n, 1], -1, 1, 'float32', seed);
    const noise = tf.randomNormal([n, 1], 0, 2, 'float32', seed + 1);
    return { x: weekday as tf.Tensor2D, y: tf.add(tf.add(10, tf.mul(3, weekday)), noise) as tf.Tensor2D };
  });
}

async function train(loss: Loss, x: tf.Tensor2D, y: tf.Tensor2D, epochs: number, seed: number): Promise<tf.LayersModel> {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: tf.initializers.glorotUniform({ seed }) })] });
  model.compile({ optimizer: tf.train.adam(0.1), loss });
  await fit(model, x, y, { epochs, batchSize: 32, seed });
  return model;
}

export async function main(options: Options = {}): Promise<Result> {
  const { epochs = 60, seed = 3, log = true } = options;
  const trainSet = demand(512, seed);
  const testSet = demand(256, seed + 100);
  const stats = (model: tf.LayersModel) =>
    tf.tidy(() => {
      const diff = tf.sub(model.predict(testSet.x) as tf.Tensor, testSet.y);
      return { bias: tf.mean(diff).dataSync()[0]!, stockOut: tf.mean(tf.cast(tf.less(diff, 0), 'float32')).dataSync()[0]! };
    });

  const mseModel = await train(losses.meanSquaredError(), trainSet.x, trainSet.y, epochs, seed);
  const asymModel = await train(asymmetricSquaredError({ under: 4 }), trainSet.x, trainSet.y, epochs, seed);
  const [mse, asym] = [stats(mseModel), stats(asymModel)];

  // The custom loss travels with the model: it is rebuilt by name from the registry on load.
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(asymModel, tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const reloaded = (await loadModel(tf.io.fromMemory(artifacts!))) as unknown as tf.LayersModel;
  const reloadedMatches = tf.tidy(() => tf.max(tf.abs(tf.sub(reloaded.predict(testSet.x) as tf.Tensor, asymModel.predict(testSet.x) as tf.Tensor))).dataSync()[0]! === 0);
  if (log) console.log(`restored loss: ${JSON.stringify((reloaded.loss as unknown as Loss).getConfig())}`);

  const result: Result = {
    meanBias: { meanSquaredError: mse.bias, asymmetricSquaredError: asym.bias },
    stockOutRate: { meanSquaredError: mse.stockOut, asymmetricSquaredError: asym.stockOut },
    reloadedMatches,
  };
  if (log) console.table({ meanBias: result.meanBias, stockOutRate: result.stockOutRate });
  tf.dispose([trainSet.x, trainSet.y, testSet.x, testSet.y]);
  for (const m of [mseModel, asymModel]) {
    m.optimizer.dispose(); // compile does not take ownership of a tf.train optimizer…
    m.dispose();
  }
  reloaded.dispose(); // …but a loaded model owns the optimizer loadModel restored
  return result;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
