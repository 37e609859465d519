/**
 * When a fused kernel must give way to the composite path: a gradient of a gradient. The kernels'
 * backward is a constant (the gradient they computed in the forward pass, scaled by the upstream
 * gradient), so a tape recording that backward cannot differentiate it again — tfjs then throws
 * "Cannot compute gradient of y=f(x)", or, where another path connects x to y, silently drops the
 * loss's second-derivative term. The composite tfjs-ops formula is differentiable to every order.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * True when the backward pass of an op recorded now would itself be recorded by a tape, i.e. when a
 * second (or higher) order gradient through it is possible.
 *
 * tfjs-core 4.x: every `tf.grad`, `tf.valueAndGrad`, `tf.variableGrads` or `optimizer.minimize` raises
 * `engine().state.gradientDepth` by one while it runs its function, and runs the backward pass after
 * lowering it again, recording the backward's ops only while the depth is still above zero
 * (`Engine.gradients` and `Engine.isTapeOn` in tfjs-core/src/engine.ts). A forward op recorded at depth
 * d therefore has its backward recorded iff d ≥ 2: `tf.grad(f)(x)` alone runs f at depth 1 (the fused
 * path, as in training), `tf.grad(x => g(tf.grad(f)(x)))` runs f at depth 2 (the composite).
 *
 * If a future tfjs exposes no numeric `state.gradientDepth`, any recording tape counts (`isTapeOn`),
 * and without that either, every call is treated as possibly higher order: the composite path is
 * always correct, only slower.
 */
export function higherOrderGradientPossible(): boolean {
  const engine = tf.engine() as Partial<Pick<ReturnType<typeof tf.engine>, 'state' | 'isTapeOn'>>;
  const depth = engine.state?.gradientDepth;
  if (typeof depth === 'number') return depth >= 2;
  return typeof engine.isTapeOn === 'function' ? engine.isTapeOn() : true;
}
