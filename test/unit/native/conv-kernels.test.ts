// The oneDNN convolutions against the cpu backend over random shapes, strides and paddings,
// including the explicit numeric pads the modules use and conv2dTranspose's geometry.

import '../../helpers/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { addonBuilt, compareKernel, loadNative, randomRaw, reportSkip } from '../../helpers/native';

reportSkip();

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: Pad;
}

const outSize = (size: number, c: Case): number => {
  if (c.pad === 'same') return Math.ceil(size / c.s);
  if (c.pad === 'valid') return Math.ceil((size - c.k + 1) / c.s);
  const p = typeof c.pad === 'number' ? 2 * c.pad : c.pad[1][0] + c.pad[1][1];
  return Math.floor((size - c.k + p) / c.s) + 1;
};

/** Module layers (conv7 p3, conv4 s2 p1, conv3 p1, the D heads) plus random ones. */
function cases(): Case[] {
  const fixed: Case[] = [
    { n: 2, h: 16, w: 16, ci: 3, co: 8, k: 7, s: 1, pad: 3 },
    { n: 2, h: 16, w: 16, ci: 8, co: 16, k: 4, s: 2, pad: 1 },
    { n: 3, h: 8, w: 8, ci: 16, co: 16, k: 3, s: 1, pad: 1 },
    { n: 2, h: 4, w: 4, ci: 32, co: 5, k: 4, s: 1, pad: 0 },
    { n: 2, h: 16, w: 16, ci: 8, co: 3, k: 7, s: 1, pad: 3 },
    { n: 2, h: 9, w: 10, ci: 9, co: 2, k: 4, s: 1, pad: 'same' },
    { n: 1, h: 9, w: 7, ci: 5, co: 6, k: 3, s: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  ];
  let seed = 7;
  const rnd = (m: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % m;
  };
  const pads: Pad[] = ['same', 'valid', 0, 1, 2];
  const random: Case[] = Array.from({ length: 24 }, () => ({
    n: 1 + rnd(3),
    h: 3 + rnd(12),
    w: 3 + rnd(12),
    ci: 1 + rnd(20),
    co: 1 + rnd(20),
    k: 1 + rnd(5),
    s: 1 + rnd(3),
    pad: pads[rnd(pads.length)]!,
  }));
  return [...fixed, ...random].filter((c) => outSize(c.h, c) > 0 && outSize(c.w, c) > 0);
}

const TOL = 1e-4;

describe.skipIf(!addonBuilt)('native conv kernels match the cpu backend', () => {
  beforeAll(loadNative);

  it('Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter over many shapes, strides and pads', async () => {
    let i = 0;
    for (const c of cases()) {
      const name = JSON.stringify(c);
      const x = randomRaw([c.n, c.h, c.w, c.ci], ++i);
      const f = randomRaw([c.k, c.k, c.ci, c.co], ++i);
      const common = { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
      const fwd = await compareKernel('Conv2D', { x, filter: f }, common);
      expect(fwd.err, `forward ${name}`).toBeLessThan(TOL);
      const dy = randomRaw(fwd.shapes[0]!, ++i);
      const bi = await compareKernel('Conv2DBackpropInput', { dy, filter: f }, { ...common, inputShape: x.shape });
      expect(bi.err, `backprop input ${name}`).toBeLessThan(TOL);
      const bf = await compareKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: f.shape });
      expect(bf.err, `backprop filter ${name}`).toBeLessThan(TOL);
    }
  });

  it('dilated forward convolution', async () => {
    const x = randomRaw([2, 11, 10, 4], 1);
    const f = randomRaw([3, 3, 4, 5], 2);
    const r = await compareKernel('Conv2D', { x, filter: f }, { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [2, 2] });
    expect(r.err).toBeLessThan(TOL);
  });

  it("conv2dTranspose geometry of the modules: k4 s2 p1 doubling and k4 s1 'valid' from a point", async () => {
    // upsample2x: [n, h, w, in] → [n, 2h, 2w, out] with filter [4, 4, out, in].
    const dy = randomRaw([2, 5, 6, 12], 3);
    const f = randomRaw([4, 4, 7, 12], 4);
    const up = await compareKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: [2, 2], pad: 1, dataFormat: 'NHWC', inputShape: [2, 10, 12, 7] });
    expect(up.err).toBeLessThan(TOL);
    const point = randomRaw([3, 1, 1, 9], 5);
    const g = randomRaw([4, 4, 6, 9], 6);
    const ex = await compareKernel('Conv2DBackpropInput', { dy: point, filter: g }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', inputShape: [3, 4, 4, 6] });
    expect(ex.err).toBeLessThan(TOL);
  });
});
