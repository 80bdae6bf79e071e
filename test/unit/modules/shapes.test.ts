// Each module's real tensors have exactly the shapes the node catalogue promises, so the
// graph validator's answer ("these connect") is what the executor will then do.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CELEBA, COLOR_MNIST } from '../../../core/graph/attributes';
import { nodeKind } from '../../../core/graph/catalogue';
import { inferShapes } from '../../../core/graph/infer';
import { type AttributeGroup, type PortType, dimsOf, groupsLength } from '../../../core/graph/ports';
import { applyModule, createModule, moduleOutputShapes } from '../../../core/modules/create';
import { portTypeOf, tensorShapeOf } from '../../../core/modules/shapes';
import { oneHotRows, seededUniform, useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const N = 2;
const GROUPS: readonly (readonly AttributeGroup[])[] = [
  [CELEBA.hair],
  [CELEBA.male, CELEBA.smiling],
  [COLOR_MNIST.color, COLOR_MNIST.style],
  [COLOR_MNIST.digit],
];

/** Runs a module on inputs of the given port types and checks outputs against inferShapes. */
function check(kind: string, params: Record<string, unknown>, inputs: Record<string, PortType>, seed = 1): void {
  const inferred = inferShapes(nodeKind(kind)!, params, inputs);
  if (!inferred.ok) throw new Error(inferred.errors.join('; '));
  const m = createModule(kind, params, seed);
  try {
    tf.tidy(() => {
      const tensors = Object.fromEntries(
        Object.entries(inputs).map(([port, t], i) => {
          const shape = tensorShapeOf(t, N);
          return [port, t.kind === 'condition' ? oneHotRows(N, shape[1]!, i) : seededUniform(shape, i + 3)];
        }),
      );
      const out = applyModule(m, tensors);
      const declared = moduleOutputShapes(m, Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape])));
      expect(Object.keys(out).sort()).toEqual(Object.keys(inferred.outputs).sort());
      for (const [port, t] of Object.entries(inferred.outputs)) {
        const expected = tensorShapeOf(t, N);
        expect(out[port]!.shape, `${kind} ${JSON.stringify(params)} ${port}`).toEqual(expected);
        expect(declared[port], `${kind} outputShapes ${port}`).toEqual(expected);
        const sizes = (x: PortType) => dimsOf(x).map(([, d]) => d);
        expect(sizes(portTypeOf(t.kind, out[port]!.shape))).toEqual(sizes(t));
      }
    });
  } finally {
    m.dispose();
  }
}

const image = (h: number, w = h): PortType => ({ kind: 'image', channels: 3, h, w });
const feature = (c: number, h: number, w = h): PortType => ({ kind: 'feature', c, h, w });
const condition = (gs: readonly AttributeGroup[]): PortType => ({ kind: 'condition', length: groupsLength(gs), groups: gs });

describe('module output shapes match the catalogue', () => {
  const cases: [string, Record<string, unknown>, Record<string, PortType>][] = [];
  for (const size of [8, 16, 32])
    for (const b of [4, 8])
      for (const r of [0, 1, 2]) {
        cases.push(['encoder', { imageSize: size, baseChannels: b, resBlocks: r }, { image: image(size) }]);
        cases.push(['reconstructor', { imageSize: size, baseChannels: b, resBlocks: r }, { feature: feature(4 * b, size / 4) }]);
      }
  // imageSize 0: any size divisible by 4, not even square.
  cases.push(['encoder', { imageSize: 0, baseChannels: 4, resBlocks: 1 }, { image: image(12, 20) }]);
  cases.push(['reconstructor', { imageSize: 0, baseChannels: 4 }, { feature: feature(16, 3, 5) }]);
  for (const size of [16, 32, 64])
    for (const b of [4, 8])
      for (const [gi, gs] of GROUPS.entries())
        cases.push([
          'generator',
          { imageSize: size, baseChannels: b, noiseLength: 3 + gi, attributes: gs },
          { noise: { kind: 'noise', length: 3 + gi }, condition: condition(gs) },
        ]);
  for (const b of [4, 8])
    for (const r of [0, 1, 2])
      for (const [gi, gs] of GROUPS.entries())
        cases.push([
          'transformer',
          { baseChannels: b, resBlocks: r, attributes: gs, useMask: (r + gi) % 2 === 0 },
          { feature: feature(4 * b, 2 + gi, 4), condition: condition(gs) },
        ]);
  for (const size of [8, 16, 32])
    for (const depth of [1, 2, 3])
      for (const b of [4, 8])
        cases.push([
          'discriminator',
          { imageSize: size, depth, baseChannels: b, attributes: GROUPS[(size + depth + b) % GROUPS.length] },
          { image: image(size) },
        ]);

  it.each(cases)('%s %j', (kind, params, inputs) => check(kind, params, inputs));

  it('covers every module kind', () => {
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(['encoder', 'generator', 'transformer', 'reconstructor', 'discriminator']));
  });
});

describe('modules compose as the paper wires them', () => {
  it('R(T_smile(T_hair(E(x)))) and R(T(G(z, a0))) give images of the input size in [-1, 1]', () => {
    const b = 4;
    const e = createModule('encoder', { imageSize: 16, baseChannels: b, resBlocks: 1 }, 1);
    const g = createModule('generator', { imageSize: 16, baseChannels: b, noiseLength: 8, attributes: [COLOR_MNIST.digit] }, 2);
    const tHair = createModule('transformer', { baseChannels: b, resBlocks: 1, attributes: [CELEBA.hair] }, 3);
    const tSmile = createModule('transformer', { baseChannels: b, resBlocks: 1, attributes: [CELEBA.smiling] }, 4);
    const r = createModule('reconstructor', { imageSize: 16, baseChannels: b }, 5);
    const d = createModule('discriminator', { imageSize: 16, depth: 3, baseChannels: b, attributes: [CELEBA.hair] }, 6);
    tf.tidy(() => {
      const x = seededUniform([2, 16, 16, 3], 1);
      let f = applyModule(e, { image: x }).feature!;
      f = applyModule(tHair, { feature: f, condition: oneHotRows(2, 3) }).feature!;
      f = applyModule(tSmile, { feature: f, condition: oneHotRows(2, 1) }).feature!;
      const y = applyModule(r, { feature: f }).image!;
      expect(y.shape).toEqual([2, 16, 16, 3]);
      expect(Math.max(...Array.from(tf.abs(y).dataSync()))).toBeLessThanOrEqual(1);
      const fg = applyModule(g, { noise: seededUniform([2, 8], 2), condition: oneHotRows(2, 10) }).feature!;
      const yg = applyModule(r, { feature: applyModule(tHair, { feature: fg, condition: oneHotRows(2, 3) }).feature! }).image!;
      expect(yg.shape).toEqual([2, 16, 16, 3]);
      const out = applyModule(d, { image: yg });
      expect(out.patch!.shape).toEqual([2, 2, 2, 1]);
      expect(out.logits!.shape).toEqual([2, 3]);
    });
    [e, g, tHair, tSmile, r, d].forEach((m) => m.dispose());
  });
});
