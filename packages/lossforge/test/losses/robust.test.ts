/**
 * The general and adaptive robust loss (src/losses/robust.ts): ρ at and near the singular α values, log Z(α)
 * against numerical integration, the adaptive NLL and its gradients (yPred, latent α, latent scale) against
 * float64 (test/fixtures/robust.json, scripts/fixtures/robust.py) on cpu and wasm; gradCheck; training α and c
 * with the model (fit, trainStep) and saving them (saveModel / loadModel); bad inputs; no leaks.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, useBackend } from '../helpers/backends.js';
import { assertClose, assertLossInputError, assertNoLeak } from '../helpers/assert.js';
import { loadFixture } from '../helpers/fixtures.js';
import { numbers } from '../training/helpers.js';
import { fit, gradCheck, loadModel, losses, robustParameters, saveModel, trainStep, type Loss, type TrainableModel } from '../../src/index.js';
import { ALPHA_MAX } from '../../src/losses/robustPartition.js';

interface GeneralCase { options: { alpha: number; scale: number }; yTrue: number[][]; yPred: number[][]; perSample: number[]; mean: number; grad: number[][] }
interface AdaptiveCase {
  options: Record<string, number>;
  yTrue: number[][];
  yPred: number[][];
  perSample: number[];
  mean: number;
  grad: number[][];
  alpha: number[];
  scale: number[];
  latentAlpha?: number[];
  gradLatentAlpha?: number[];
  latentScale?: number[];
  gradLatentScale?: number[];
}
const fixture = loadFixture<{ general: GeneralCase[]; logZ: Array<{ alpha: number; logZ: number }>; adaptive: AdaptiveCase[] }>('robust');
/** The fixture's α as an option: the loader turns '-Infinity' into a number, the option takes the string. */
const alphaOption = (a: number) => (Number.isFinite(a) ? a : (String(a) as '-Infinity' | 'Infinity'));
const relErr = (a: ArrayLike<number>, e: ArrayLike<number>, floor = 1e-3) => Math.max(...Array.from(e, (v, i) => Math.abs(a[i]! - v) / Math.max(Math.abs(v), floor)));

/** An adaptive loss of a fixture case, its latent variables set to the fixture's. */
function adaptiveOf(c: AdaptiveCase, extra: Record<string, unknown> = {}): Loss {
  const loss = losses.adaptiveRobust({ ...c.options, ...extra });
  if (c.latentAlpha) loss.variables!['latentAlpha']!.assign(tf.tensor1d(c.latentAlpha));
  if (c.latentScale) loss.variables!['latentScale']!.assign(tf.tensor1d(c.latentScale));
  return loss;
}

for (const backend of BACKENDS) {
  describe(`robust losses on ${backend}`, () => {
    const worst = { general: [0, 0], logZ: 0, adaptive: [0, 0] };
    after(() =>
      console.log(
        `# ${backend}: largest relative error vs float64 (values / gradients): generalRobust ${worst.general.map((v) => v.toExponential(2)).join(' / ')}; ` +
          `log Z ${worst.logZ.toExponential(2)}; adaptiveRobust ${worst.adaptive.map((v) => v.toExponential(2)).join(' / ')}`,
      ),
    );

    test('generalRobust: ρ and its gradient at every special α and next to the singular ones (±1e-6 around 0 and 2)', async () => {
      await useBackend(backend);
      for (const c of fixture.general) {
        const what = `alpha ${c.options.alpha}, scale ${c.options.scale}`;
        const options = { alpha: alphaOption(c.options.alpha), scale: c.options.scale };
        const values = losses.generalRobust({ ...options, reduction: 'none' })(c.yTrue, c.yPred);
        assertClose(values, c.perSample, { rtol: 1e-5, atol: 1e-7 }, what);
        const x = tf.tensor2d(c.yPred);
        const grad = tf.grad((p: tf.Tensor) => losses.generalRobust(options)(c.yTrue, p))(x);
        assertClose(grad, c.grad.flat(), { rtol: 1e-4, atol: 1e-7 }, `${what} grad`);
        worst.general[0] = Math.max(worst.general[0]!, relErr(values.dataSync(), c.perSample, 1e-7));
        worst.general[1] = Math.max(worst.general[1]!, relErr(grad.dataSync(), c.grad.flat(), 1e-6));
        tf.dispose([values, x, grad]);
      }
    });

    test('log Z(α) is within 1e-6 of numerical integration on [0, 12], between the knots and at 0 and 2', async () => {
      await useBackend(backend);
      const alphas = fixture.logZ.map((e) => e.alpha);
      const expected = fixture.logZ.map((e) => e.logZ);
      const got = tf.tidy(() => losses.logPartition(tf.tensor1d(alphas)).dataSync());
      assertClose(got, expected, { rtol: 1e-6, atol: 1e-7 }, 'log Z');
      worst.logZ = relErr(got, expected);
      // The closed forms: Z(0) = π√2 (Cauchy), Z(2) = √(2π) (Gaussian).
      assertClose(tf.tidy(() => losses.logPartition(tf.tensor1d([0, 2])).dataSync()), [Math.log(Math.PI * Math.SQRT2), 0.5 * Math.log(2 * Math.PI)], { rtol: 1e-6 });
    });

    test('adaptiveRobust: the NLL and its gradients for yPred, latent α and latent scale match float64', async () => {
      await useBackend(backend);
      for (const c of fixture.adaptive) {
        const what = JSON.stringify(c.options);
        const perSample = adaptiveOf(c, { reduction: 'none' });
        const values = perSample(c.yTrue, c.yPred);
        assertClose(values, c.perSample, { rtol: 1e-5, atol: 1e-6 }, what);
        const params = robustParameters(perSample);
        assertClose(params.alpha, c.alpha, { rtol: 1e-6 }, `${what} alpha`);
        assertClose(params.scale, c.scale, { rtol: 1e-6 }, `${what} scale`);
        const loss = adaptiveOf(c);
        const x = tf.tensor2d(c.yPred);
        const variables = Object.values(loss.variables!);
        const { value, grads } = tf.variableGrads(() => loss(c.yTrue, x) as tf.Scalar, variables);
        const gx = tf.grad((p: tf.Tensor) => loss(c.yTrue, p))(x);
        assertClose(value, c.mean, { rtol: 1e-5 }, `${what} mean`);
        assertClose(gx, c.grad.flat(), { rtol: 1e-3, atol: 1e-6 }, `${what} grad yPred`);
        const errors = [relErr(gx.dataSync(), c.grad.flat())];
        for (const [key, expected] of [['latentAlpha', c.gradLatentAlpha], ['latentScale', c.gradLatentScale]] as const) {
          if (!expected) continue;
          const g = grads[loss.variables![key]!.name]!;
          assertClose(g, expected, { rtol: 1e-3, atol: 1e-6 }, `${what} grad ${key}`);
          errors.push(relErr(g.dataSync(), expected));
        }
        worst.adaptive[0] = Math.max(worst.adaptive[0]!, relErr(values.dataSync(), c.perSample));
        worst.adaptive[1] = Math.max(worst.adaptive[1]!, ...errors);
        tf.dispose([values, value, x, gx, ...Object.values(grads)]);
        perSample.dispose!();
        loss.dispose!();
      }
    });

    test('gradCheck (yPred) for generalRobust at α ∈ {−∞, −2, 0, 1, 2} and adaptiveRobust; no leaks', async () => {
      await useBackend(backend);
      const c = fixture.general[0]!;
      for (const alpha of ['-Infinity', -2, 0, 1, 2] as const) {
        const loss = losses.generalRobust({ alpha, scale: 1.5 });
        const report = gradCheck(loss, c.yTrue, c.yPred);
        assert.ok(report.passed, `alpha ${alpha}: ${JSON.stringify(report.worst)}`);
        assertNoLeak(() => loss(c.yTrue, c.yPred), `alpha ${alpha}`);
      }
      const a = fixture.adaptive[1]!;
      const adaptive = adaptiveOf(a);
      assert.ok(gradCheck(adaptive, a.yTrue, a.yPred).passed);
      assertNoLeak(() => adaptive(a.yTrue, a.yPred), 'adaptiveRobust');
      const x = tf.tensor2d(a.yPred);
      assertNoLeak(() => tf.grad((p: tf.Tensor) => adaptive(a.yTrue, p))(x), 'adaptiveRobust grad');
      x.dispose();
      adaptive.dispose!();
    });
  });
}

describe('robust losses: training, saving, options', () => {
  test('the aliases preset α: charbonnier/pseudoHuber 1, cauchy 0, gemanMcClure −2, welsch −∞', async () => {
    await useBackend('cpu');
    const presets: Record<string, unknown> = { charbonnier: 1, pseudoHuber: 1, cauchy: 0, gemanMcClure: -2, welsch: '-Infinity' };
    for (const [alias, alpha] of Object.entries(presets)) assert.equal(losses.get(alias).options['alpha' as 'reduction'], alpha, alias);
    // Welsch is bounded by 1 (it ignores outliers), L2 is not.
    const far = losses.get('welsch')([0], [1e3]);
    assertClose(far, 1);
    far.dispose();
  });

  test('fit learns α and c with the model: heavy-tailed noise drives α down, and save/load keeps both', async () => {
    await useBackend('cpu');
    const n = 128;
    const xs = numbers(n, 21);
    // y = 2x + Cauchy-like noise (a ratio of uniforms), many outliers.
    const u = numbers(n, 22);
    const v = numbers(n, 23).map((t) => Math.abs(t) + 0.05);
    const noise = u.map((t, i) => (0.1 * t) / v[i]!);
    const x = tf.tensor2d(xs, [n, 1]);
    const y = tf.tensor2d(xs.map((t, i) => 2 * t + noise[i]!), [n, 1]);
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], kernelInitializer: 'zeros' })] });
    const loss = losses.adaptiveRobust({ alphaInit: 1.5, scaleInit: 1 });
    model.compile({ optimizer: tf.train.adam(0.05), loss });
    await fit(model, x, y, { epochs: 60, batchSize: 32, seed: 1 });
    const { alpha, scale } = robustParameters(loss);
    assert.ok(alpha[0]! < 1, `α fell from 1.5 (α = ${alpha[0]})`);
    assert.ok(scale[0]! < 0.5, `c shrank toward the inliers' spread (c = ${scale[0]})`);
    const slope = (model.getWeights()[0]!.dataSync()[0]!);
    assert.ok(Math.abs(slope - 2) < 0.15, `the robust fit finds the slope 2 despite the outliers (got ${slope})`);

    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await loadModel(tf.io.fromMemory(artifacts!));
    const restored = loaded.loss as unknown as Loss;
    assert.deepEqual(restored.getConfig(), loss.getConfig());
    const again = robustParameters(restored);
    assertClose(again.alpha, alpha, { rtol: 1e-7 });
    assertClose(again.scale, scale, { rtol: 1e-7 });

    // trainStep (model form) updates them too.
    trainStep(loaded as unknown as TrainableModel, tf.train.sgd(0.1), restored, x, y);
    assert.notEqual(robustParameters(restored).alpha[0], again.alpha[0]);
    for (const m of [model, loaded]) m.dispose();
    for (const l of [loss, restored]) l.dispose!();
    tf.dispose([x, y]);
  });

  test('fixed α (alphaLow = alphaHigh) or fixed scale (scaleLow = scaleInit): only the other is a variable', async () => {
    await useBackend('cpu');
    const fixedAlpha = losses.adaptiveRobust({ alphaLow: 1, alphaHigh: 1 });
    assert.deepEqual(Object.keys(fixedAlpha.variables!), ['latentScale']);
    const fixedScale = losses.adaptiveRobust({ scaleLow: 2, scaleInit: 2, dims: 3 });
    assert.deepEqual(Object.keys(fixedScale.variables!), ['latentAlpha']);
    assert.deepEqual(robustParameters(fixedScale), { alpha: [1, 1, 1], scale: [2, 2, 2] });
    fixedAlpha.dispose!();
    fixedScale.dispose!();
  });

  test('fixed α = 0 is the Cauchy NLL and α = 2 the Gaussian NLL (closed forms of Z)', async () => {
    await useBackend('cpu');
    const [yTrue, yPred, c] = [[0, 1, -2], [0.5, 3, -2.25], 0.7];
    const cauchy = losses.adaptiveRobust({ alphaLow: 0, alphaHigh: 0, scaleLow: c, scaleInit: c, reduction: 'none' });
    const gauss = losses.adaptiveRobust({ alphaLow: 2, alphaHigh: 2, scaleLow: c, scaleInit: c, reduction: 'none' });
    const z = yPred.map((p, i) => ((p - yTrue[i]!) / c) ** 2);
    const got = [cauchy(yTrue, yPred), gauss(yTrue, yPred)];
    assertClose(got[0]!, z.map((v) => Math.log1p(v / 2) + Math.log(c) + Math.log(Math.PI * Math.SQRT2)), { rtol: 1e-6 });
    assertClose(got[1]!, z.map((v) => v / 2 + Math.log(c) + 0.5 * Math.log(2 * Math.PI)), { rtol: 1e-6 });
    tf.dispose(got);
  });

  test('bad options and inputs are typed errors naming the argument', async () => {
    await useBackend('cpu');
    assertLossInputError(() => losses.generalRobust({ alpha: -Infinity as never }), 'options.alpha', /'-Infinity'/);
    assertLossInputError(() => losses.generalRobust({ alpha: NaN }), 'options.alpha');
    assertLossInputError(() => losses.generalRobust({ alpha: 'minusInfinity' as never }), 'options.alpha');
    assertLossInputError(() => losses.generalRobust({ scale: 0 }), 'options.scale');
    assertLossInputError(() => losses.adaptiveRobust({ alphaLow: -0.5 }), 'options.alphaLow');
    assertLossInputError(() => losses.adaptiveRobust({ alphaHigh: ALPHA_MAX + 1 }), 'options.alphaHigh');
    assertLossInputError(() => losses.adaptiveRobust({ alphaLow: 1.5, alphaHigh: 1 }), 'options.alphaHigh', /≥ alphaLow/);
    assertLossInputError(() => losses.adaptiveRobust({ alphaInit: 1.999 }), 'options.alphaInit', /strictly between/);
    assertLossInputError(() => losses.adaptiveRobust({ scaleLow: 2, scaleInit: 1 }), 'options.scaleInit', /≥ scaleLow/);
    assertLossInputError(() => losses.adaptiveRobust({ dims: 0 }), 'options.dims');
    const perDim = losses.adaptiveRobust({ dims: 3 });
    assertNoLeak(() => assertLossInputError(() => perDim([[1, 2]], [[1, 2]]), 'yPred', /last axis of 3/));
    assertLossInputError(() => perDim([1, 2, 3], [1, 2, 3]), 'yPred', /last axis of 3/);
    assertLossInputError(() => perDim([[1, 2, 3]], [[1, NaN, 3]]), 'yPred');
    assertLossInputError(() => robustParameters(losses.huber()), 'loss');
    perDim.dispose!();
  });
});
