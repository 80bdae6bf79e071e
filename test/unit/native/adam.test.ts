// The native backend's in-place Adam update against the optimiser's own ops on the cpu
// backend, and its refusal to write into data another tensor shares.

import '../../helpers/tf';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../../core/train/adam';
import { kernelProfile, setKernelProfiling } from '../../../core/runtime/native/kernel-profile';
import { addonBuilt, loadNative, randomRaw, relError, reportSkip } from '../../helpers/native';

reportSkip();

const SHAPES = [[3, 3, 8, 16], [16], [4, 4, 64, 128], [7, 5]];

/** Runs `steps` Adam updates with fixed gradients on `backend`; returns weights and moments. */
async function run(backend: string, steps: number, shareFirst = false) {
  await tf.setBackend(backend);
  // Made in a tidy so each variable owns its data, as the moments do.
  const made = tf.tidy(() => SHAPES.map((s, i) => tf.variable(tf.tensor(randomRaw(s, i + 1).values, s))));
  const vars = new Map(made.map((v, i) => [`w${i}`, v]));
  // A reshape kept alive shares the first variable's data: the update must not write into it.
  const shared = shareFirst ? tf.reshape(vars.get('w0')!, [-1]) : undefined;
  const sharedBefore = shared?.dataSync().slice();
  const adam = new Adam(vars, 0.5, 0.999);
  for (let k = 0; k < steps; k++) {
    const grads = new Map(SHAPES.map((s, i) => [`w${i}`, tf.tensor(randomRaw(s, 100 * k + i).values, s)]));
    adam.apply(grads, 2e-4 * (1 + k));
    tf.dispose([...grads.values()]);
  }
  const state = adam.getState();
  const out = { w: [...vars.values()].map((v) => v.dataSync().slice()), m: [...state.m.values()], v: [...state.v.values()], shared, sharedBefore };
  adam.dispose();
  tf.dispose([...vars.values()]);
  return out;
}

describe.skipIf(!addonBuilt)('native in-place Adam', () => {
  beforeAll(loadNative);

  it('gives the weights and moments of the optimiser ops, in place', async () => {
    const ref = await run('cpu', 6);
    setKernelProfiling(true);
    const got = await run('native', 6);
    const profile = kernelProfile();
    setKernelProfiling(false);
    // Every update of every variable ran in the native kernel, and no Add/Mul/Div at all.
    expect(profile.find((k) => k.kernel === 'AdamUpdate')?.calls).toBe(6 * SHAPES.length);
    expect(profile.filter((k) => /^(Add|Multiply|RealDiv|Sqrt|Square|Sub)/.test(k.kernel))).toEqual([]);
    for (const part of ['w', 'm', 'v'] as const)
      ref[part].forEach((r, i) => expect(relError(r, got[part][i]!), `${part}${i}`).toBeLessThan(1e-6));
  });

  it('leaves data another tensor shares alone, updating that variable with the ops instead', async () => {
    const ref = await run('cpu', 3);
    const got = await run('native', 3, true);
    expect(got.shared!.dataSync()).toEqual(got.sharedBefore);
    got.shared!.dispose();
    ref.w.forEach((r, i) => expect(relError(r, got.w[i]!), `w${i}`).toBeLessThan(1e-6));
  });
});
