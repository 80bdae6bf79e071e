// Convolutions whose weights dwarf their activations (D's last layers) as one matrix product
// on the HWIO filter (native/src/conv_gemm.cc), against the cpu backend: forward, both
// gradients, and conv + leaky ReLU; strided and padded, stride 1, and a border-only case.

import '../../helpers/tf';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../../../core/runtime/native/addon';
import { addonBuilt, compareKernel, loadNative, randomRaw, relError, reportSkip } from '../../helpers/native';
import { convLeakyRelu, leakyRelu } from '../../../core/modules/layers';

reportSkip();

const CASES = [
  { n: 2, h: 4, w: 4, ci: 256, co: 256, k: 4, s: 2, pad: 1 },
  { n: 2, h: 3, w: 3, ci: 128, co: 1024, k: 3, s: 1, pad: 1 },
  { n: 1, h: 2, w: 2, ci: 1024, co: 64, k: 4, s: 2, pad: 1 },
];

describe.skipIf(!addonBuilt)('matrix-product native convolutions', () => {
  let calls = 0;
  let restore = () => {};
  beforeAll(async () => {
    await loadNative();
    const addon = loadAddon() as { conv2dGemm?: (...a: unknown[]) => void };
    const real = addon.conv2dGemm!;
    addon.conv2dGemm = (...a: unknown[]) => {
      calls++;
      real(...a);
    };
    restore = () => (addon.conv2dGemm = real);
  });
  afterAll(() => restore());

  it('Conv2D and both its gradients match the cpu backend', async () => {
    let seed = 100;
    for (const c of CASES) {
      const name = JSON.stringify(c);
      const before = calls;
      const x = randomRaw([c.n, c.h, c.w, c.ci], ++seed);
      const f = randomRaw([c.k, c.k, c.ci, c.co], ++seed);
      const common = { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
      const fwd = await compareKernel('Conv2D', { x, filter: f }, common);
      expect(fwd.err, `forward ${name}`).toBeLessThan(1e-4);
      const dy = randomRaw(fwd.shapes[0]!, ++seed);
      expect((await compareKernel('Conv2DBackpropInput', { dy, filter: f }, { ...common, inputShape: x.shape })).err, `input gradient ${name}`).toBeLessThan(1e-4);
      expect((await compareKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: f.shape })).err, `filter gradient ${name}`).toBeLessThan(1e-4);
      expect(calls - before, `matrix product used for ${name}`).toBe(3);
    }
  });

  it('conv + leaky ReLU on such a layer matches the two ops on the cpu backend', async () => {
    const make = () => [tf.randomUniform([2, 4, 4, 256], -1, 1, 'float32', 7), tf.randomUniform([4, 4, 256, 512], -0.1, 0.1, 'float32', 8)] as tf.Tensor4D[];
    await tf.setBackend('cpu');
    const [x0, w0] = make();
    const ref = leakyRelu(tf.conv2d(x0!, w0!, 2, 1), 0.01).dataSync().slice();
    await tf.setBackend('native');
    const [x1, w1] = make();
    const before = calls;
    const got = convLeakyRelu(x1!, w1!, 2, 1, 0.01).dataSync().slice();
    expect(calls - before).toBe(1);
    expect(relError(ref, got)).toBeLessThan(1e-5);
  });
});
