// The native elementwise, reduction, matMul and split kernels against the cpu backend,
// including the broadcast patterns instance norm and the masks produce.

import '../../helpers/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { broadcast4 } from '../../../core/runtime/native/broadcast';
import { addonBuilt, compareKernel, loadNative, randomRaw, reportSkip } from '../../helpers/native';

reportSkip();

const TOL = 1e-5;
const BROADCASTS: [number[], number[]][] = [
  [[2, 5, 6, 7], [2, 5, 6, 7]],
  [[2, 5, 6, 7], [7]],
  [[2, 5, 6, 7], [2, 1, 1, 7]],
  [[2, 5, 6, 7], [2, 5, 6, 1]],
  [[2, 1, 1, 7], [2, 5, 6, 7]],
  [[2, 5, 6, 7], []],
  [[], [3, 4]],
  [[3, 1, 4], [1, 5, 1]],
  [[200, 300], [200, 300]],
];

describe('broadcast4', () => {
  it('merges dimensions that broadcast alike and refuses what needs more than four', () => {
    expect(broadcast4([2, 5, 6, 7], [2, 1, 1, 7], [2, 5, 6, 7])).toEqual({
      shape: Int32Array.from([1, 2, 30, 7]),
      aStrides: Int32Array.from([420, 210, 7, 1]),
      bStrides: Int32Array.from([14, 7, 0, 1]),
    });
    expect(broadcast4([2, 1, 3, 1, 5], [1, 4, 1, 6, 1], [2, 4, 3, 6, 5])).toBeUndefined();
  });
});

describe.skipIf(!addonBuilt)('native elementwise kernels match the cpu backend', () => {
  beforeAll(loadNative);

  it.each(['Add', 'Sub', 'Multiply', 'RealDiv', 'SquaredDifference', 'Maximum', 'Minimum'])('%s with broadcasting', async (kernel) => {
    let seed = 1;
    for (const [sa, sb] of BROADCASTS) {
      const a = randomRaw(sa, seed++);
      const b = randomRaw(sb, seed++);
      if (kernel === 'RealDiv') b.values.forEach((v, i) => (b.values[i] = v >= 0 ? v + 0.5 : v - 0.5));
      const r = await compareKernel(kernel, { a, b }, {});
      expect(r.err, `${kernel} ${sa} ${sb}`).toBeLessThan(TOL);
    }
  });

  it.each(['Relu', 'Neg', 'Square', 'Sqrt', 'Rsqrt', 'Exp', 'Tanh', 'Step', 'Abs', 'Sigmoid', 'Log', 'Reciprocal'])('%s', async (kernel) => {
    const x = randomRaw([3, 70, 50, 9], 3);
    if (['Sqrt', 'Rsqrt', 'Log', 'Reciprocal'].includes(kernel)) x.values.forEach((v, i) => (x.values[i] = Math.abs(v) + 0.1));
    const r = await compareKernel(kernel, { x }, kernel === 'Step' ? { alpha: 0.25 } : {});
    expect(r.err).toBeLessThan(TOL);
  });

  it.each([
    [[4, 6, 5, 7], [1, 2]],
    [[4, 6, 5, 7], [1, 2, 3]],
    [[4, 6, 5, 7], [0]],
    [[4, 6, 5, 7], [3]],
    [[40, 60], [0, 1]],
    [[4, 6, 5, 7], [0, 2]],
  ])('Sum and Mean of %j over axes %j, with and without keepDims', async (shape, axis) => {
    const x = randomRaw(shape, 9);
    for (const kernel of ['Sum', 'Mean'])
      for (const keepDims of [true, false]) {
        const r = await compareKernel(kernel, { x }, { axis, keepDims });
        expect(r.err, `${kernel} keepDims=${keepDims}`).toBeLessThan(TOL);
      }
  });

  it('BatchMatMul with transposes and a broadcast batch', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 17, 9], [3, 9, 11], false, false],
      [[3, 9, 17], [3, 9, 11], true, false],
      [[3, 17, 9], [1, 11, 9], false, true],
      [[1, 64, 70], [2, 70, 33], false, false],
    ];
    let seed = 20;
    for (const [sa, sb, transposeA, transposeB] of cases) {
      const r = await compareKernel('BatchMatMul', { a: randomRaw(sa, seed++), b: randomRaw(sb, seed++) }, { transposeA, transposeB });
      expect(r.err, `${sa} ${sb}`).toBeLessThan(TOL);
    }
  });

  it('SplitV along the channel axis and along the first axis', async () => {
    const x = randomRaw([2, 3, 4, 10], 30);
    expect((await compareKernel('SplitV', { x }, { numOrSizeSplits: [7, 3], axis: 3 })).err).toBe(0);
    expect((await compareKernel('SplitV', { x }, { numOrSizeSplits: 2, axis: 0 })).err).toBe(0);
  });

  it('Concat along the channel axis (a feature map and a tiled condition) and the first axis', async () => {
    const a = randomRaw([2, 3, 4, 10], 31);
    const b = randomRaw([2, 3, 4, 3], 32);
    const c = randomRaw([2, 3, 4, 1], 33);
    expect((await compareKernel('Concat', [a, b, c], { axis: 3 })).err).toBe(0);
    expect((await compareKernel('Concat', [a, a], { axis: 0 })).err).toBe(0);
    expect((await compareKernel('Concat', [a, b], { axis: -1 })).err).toBe(0);
  });
});
