// The narrow convolutions (stride 1 onto at most 4 channels: R's conv to RGB, T's mask conv,
// the input gradient of E's conv from RGB) against the cpu backend, at the module shapes and
// at the edges of the kernel's blocking: maps narrower than its 4-pixel blocks and than the
// filter, asymmetric 'same' pads, and no padding.

import '../../helpers/tf';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../../../core/runtime/native/addon';
import { addonBuilt, compareKernel, loadNative, randomRaw, reportSkip } from '../../helpers/native';

reportSkip();

type Pad = 'same' | 'valid' | number;
interface Case {
  n: number;
  h: number;
  w: number;
  many: number;
  few: number;
  k: number;
  pad: Pad;
}

const CASES: Case[] = [
  { n: 2, h: 16, w: 16, many: 32, few: 3, k: 7, pad: 3 },
  { n: 2, h: 8, w: 8, many: 128, few: 1, k: 7, pad: 3 },
  { n: 3, h: 5, w: 3, many: 8, few: 2, k: 7, pad: 3 },
  { n: 1, h: 9, w: 11, many: 16, few: 4, k: 4, pad: 'same' },
  { n: 2, h: 7, w: 9, many: 24, few: 3, k: 3, pad: 'valid' },
  { n: 1, h: 6, w: 13, many: 8, few: 1, k: 1, pad: 0 },
  { n: 2, h: 2, w: 2, many: 64, few: 1, k: 3, pad: 1 },
  { n: 1, h: 10, w: 10, many: 16, few: 3, k: 5, pad: 1 },
];

describe.skipIf(!addonBuilt)('narrow native convolutions', () => {
  let calls = 0;
  let restore = () => {};
  beforeAll(async () => {
    await loadNative();
    const addon = loadAddon() as { conv2dNarrow?: (...a: unknown[]) => boolean };
    const real = addon.conv2dNarrow!;
    addon.conv2dNarrow = (...a: unknown[]) => {
      const taken = real(...a);
      if (taken) calls++;
      return taken;
    };
    restore = () => (addon.conv2dNarrow = real);
  });
  afterEach(() => restore());

  it('Conv2D onto few channels and Conv2DBackpropInput from few channels match the cpu backend', async () => {
    let seed = 0;
    for (const c of CASES) {
      const name = JSON.stringify(c);
      const common = { strides: [1, 1], pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
      const before = calls;
      const x = randomRaw([c.n, c.h, c.w, c.many], ++seed);
      const f = randomRaw([c.k, c.k, c.many, c.few], ++seed);
      const fwd = await compareKernel('Conv2D', { x, filter: f }, common);
      expect(fwd.err, `forward ${name}`).toBeLessThan(1e-5);
      // The transpose of that: a conv from `few` channels, whose input gradient is narrow.
      const xFew = randomRaw([c.n, c.h, c.w, c.few], ++seed);
      const g = randomRaw([c.k, c.k, c.few, c.many], ++seed);
      const out = await compareKernel('Conv2D', { x: xFew, filter: g }, common);
      const dy = randomRaw(out.shapes[0]!, ++seed);
      const bi = await compareKernel('Conv2DBackpropInput', { dy, filter: g }, { ...common, inputShape: xFew.shape });
      expect(bi.err, `backprop input ${name}`).toBeLessThan(1e-5);
      expect(calls - before, `narrow kernel used for ${name}`).toBe(2);
    }
  });
});
