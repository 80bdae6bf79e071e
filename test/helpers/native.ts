// Native-backend test support: whether the addon is built here, and running one kernel on
// the cpu backend (the reference) and on 'native' with the same inputs.

import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { defaultAddonPath } from '../../core/runtime/native/addon';
import { initBackend } from '../../core/runtime/backends';
import { relError } from './conv-reference';

export { relError };

export const addonBuilt = existsSync(defaultAddonPath());

/** Why native tests are skipped, printed once so a skip is never silent. */
export function reportSkip(): void {
  if (!addonBuilt) console.warn(`native tests skipped: the addon is not built (${defaultAddonPath()}); run npm run build:native`);
}

export async function loadNative(): Promise<void> {
  await initBackend('native', { probeAll: false });
}

type Raw = { values: Float32Array; shape: number[] };

export async function runKernelOn(backend: string, kernel: string, inputs: Record<string, Raw> | Raw[], attrs: object): Promise<Raw[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const make = (v: Raw) => tf.tensor(v.values, v.shape);
    const ins = Array.isArray(inputs) ? inputs.map(make) : Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, make(v)]));
    const out = tf.engine().runKernel(kernel, ins as never, attrs as never) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((t) => ({ values: t.dataSync() as Float32Array, shape: t.shape }));
  });
}

export function randomRaw(shape: number[], seed: number): Raw {
  let s = seed * 2654435761 + 12345;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    values[i] = (s / 2147483648) * 2 - 1;
  }
  return { values, shape };
}

/** Runs on cpu and native; returns the worst relative error over the outputs. */
export async function compareKernel(kernel: string, inputs: Record<string, Raw> | Raw[], attrs: object): Promise<{ err: number; shapes: number[][] }> {
  const ref = await runKernelOn('cpu', kernel, inputs, attrs);
  const got = await runKernelOn('native', kernel, inputs, attrs);
  let err = 0;
  ref.forEach((r, i) => {
    const g = got[i]!;
    if (g.shape.join() !== r.shape.join()) err = Infinity;
    else err = Math.max(err, relError(r.values, g.values));
  });
  return { err, shapes: got.map((g) => g.shape) };
}
