/**
 * Gradients tfjs 4.22 lacks. Comparisons are piecewise constant, so their gradient is zero almost
 * everywhere, but tfjs registers none: any gradient whose path crosses one throws "gradient function
 * not found for Greater". That breaks second-order gradients through leakyReLU (whose gradient is a
 * `where(greater(x, 0), …)`), e.g. the WGAN-GP penalty of a leakyReLU critic. Importing lossforge
 * registers zero gradients for them, only where tfjs has none (an existing gradient is never replaced).
 */
import * as tf from '@tensorflow/tfjs-core';

// LogicalAnd: tf.clipByValue's gradient is where(logicalAnd(x ≥ lo, x ≤ hi), dy, 0), so a second-order
// gradient through a clip (e.g. through clipped probabilities) crosses it.
const COMPARISONS = ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd'] as const;

/** Registers the zero gradient of each comparison kernel that has no gradient yet. Idempotent. */
export function registerMissingGradients(): void {
  for (const kernelName of COMPARISONS) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], [a, b]: tf.Tensor[]) => ({
        // float32 zeros whatever the input dtype: tfjs requires float32 gradients (int32 labels compared to a range).
        a: () => tf.zeros(a!.shape),
        b: () => tf.zeros(b!.shape),
      }),
    });
  }
}

registerMissingGradients();
