// tfjs-core's Node build (the package "main") ships no gradient functions: they are registered
// by @tensorflow/tfjs, which we do not depend on, from tfjs-core's ESM build. We load that
// registration file ourselves. The ESM copy of tfjs-core shares the engine, kernel and
// gradient registries and the Tensor class with the Node build through globalThis (tfjs keeps
// them there for this case), so the gradients land where tf.grad looks for them.

import { register } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';

let loading: Promise<void> | undefined;

/** Registers every tfjs-core gradient; idempotent. Needed before tf.grad / optimizers. */
export function ensureGradients(): Promise<void> {
  loading ??= (async () => {
    if (tf.getGradient('Conv2D')) return;
    register('./tfjs-esm-resolve.mjs', import.meta.url);
    // A variable specifier: TypeScript has no types for this side-effect-only file.
    const file = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
    await import(/* @vite-ignore */ file);
    if (!tf.getGradient('Conv2D')) throw new Error('tfjs-core gradients did not register');
  })();
  return loading;
}
