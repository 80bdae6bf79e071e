import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { COLOR_MNIST } from '../../../core/graph/attributes';
import { applyModule, createModule } from '../../../core/modules/create';
import { type VariableSpec, initialValue } from '../../../core/modules/module';
import { oneHotRows, seededUniform, useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const G = { imageSize: 16, baseChannels: 4, noiseLength: 6, attributes: [COLOR_MNIST.digit] };
const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(t.dataSync().slice().buffer));

describe('seeded initialisation', () => {
  it('the same seed gives bit-identical weights and outputs', () => {
    const [a, b, c] = [createModule('generator', G, 42), createModule('generator', G, 42), createModule('generator', G, 43)];
    for (const [k, v] of Object.entries(a.variables)) {
      expect(bits(b.variables[k]!), k).toEqual(bits(v));
      if (k.endsWith('.weight')) expect(bits(c.variables[k]!), k).not.toEqual(bits(v));
    }
    tf.tidy(() => {
      const inputs = { noise: seededUniform([3, 6], 1), condition: oneHotRows(3, 10) };
      expect(bits(applyModule(a, inputs).feature!)).toEqual(bits(applyModule(b, inputs).feature!));
    });
    [a, b, c].forEach((m) => m.dispose());
  });

  it('a weight depends only on the seed and its name, not on the layers around it', () => {
    const small = createModule('encoder', { imageSize: 8, baseChannels: 4, resBlocks: 0 }, 9);
    const big = createModule('encoder', { imageSize: 8, baseChannels: 4, resBlocks: 2 }, 9);
    for (const [k, v] of Object.entries(small.variables)) expect(bits(big.variables[k]!), k).toEqual(bits(v));
    small.dispose();
    big.dispose();
  });

  it('draws He-normal filters and starts instance norm at gamma 1, beta 0', () => {
    const spec: VariableSpec = { name: 'X.conv0.weight', shape: [3, 3, 64, 64], init: 'normal', fanIn: 576 };
    const v = initialValue(spec, 5);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(std / Math.sqrt(2 / 576)).toBeCloseTo(1, 1);
    expect(Array.from(initialValue({ name: 'n.gamma', shape: [3], init: 'ones' }, 1))).toEqual([1, 1, 1]);
    expect(Array.from(initialValue({ name: 'n.beta', shape: [3], init: 'zeros' }, 1))).toEqual([0, 0, 0]);
  });
});

describe('building modules from node parameters', () => {
  it('fills defaults from the catalogue and names weights by module', () => {
    const t = createModule('transformer', { baseChannels: 4, resBlocks: 1 });
    expect(t.params).toMatchObject({ baseChannels: 4, resBlocks: 1, useMask: true });
    expect(Object.keys(t.variables)).toEqual([
      'T.conv0.weight', 'T.norm0.gamma', 'T.norm0.beta',
      'T.res0.conv0.weight', 'T.res0.norm0.gamma', 'T.res0.norm0.beta',
      'T.res0.conv1.weight', 'T.res0.norm1.gamma', 'T.res0.norm1.beta',
      'T.mask.weight',
    ]);
    t.dispose();
  });

  it('refuses parameters the catalogue refuses, and kinds that are not modules', () => {
    expect(() => createModule('discriminator', { imageSize: 24, depth: 4 })).toThrow(/^Discriminator: image size 24 cannot be halved 4 times/);
    expect(() => createModule('encoder', { baseChannels: 2 })).toThrow("Encoder: parameter 'Base channels' must be from 4 to 512, got 2");
    expect(() => createModule('image-input', {})).toThrow(/'image-input' is not a module node kind/);
  });

  it('refuses inputs of the wrong shape or missing ports, naming them', () => {
    const e = createModule('encoder', { imageSize: 16, baseChannels: 4 });
    expect(() => applyModule(e, { image: tf.zeros([1, 8, 8, 3]) })).toThrow(
      "Encoder: input 'image' has shape 1x8x8x3 but needs Nx16x16x3 (this encoder is for 16 px images)",
    );
    expect(() => applyModule(e, {})).toThrow("Encoder: input 'image' is missing");
    const any = createModule('encoder', { imageSize: 0, baseChannels: 4 });
    expect(() => applyModule(any, { image: tf.zeros([1, 10, 8, 3]) })).toThrow(/^Encoder: image size 10x8 must be divisible by 4/);
    e.dispose();
    any.dispose();
  });

  it('freezes weights by name and frees them on dispose', () => {
    const before = tf.memory().numTensors;
    const d = createModule('discriminator', { imageSize: 8, depth: 2, baseChannels: 4, attributes: [COLOR_MNIST.color] });
    d.setTrainable(false, (name) => name.startsWith('D.conv'));
    expect(Object.entries(d.variables).map(([k, v]) => [k, v.trainable])).toEqual([
      ['D.conv0.weight', false], ['D.conv1.weight', false], ['D.src.weight', true], ['D.cls.weight', true],
    ]);
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => applyModule(d, { image: tf.zeros([1, 8, 8, 3]) })).toThrow('Discriminator: used after dispose()');
  });

  it('apply keeps no intermediate tensors', () => {
    const r = createModule('reconstructor', { imageSize: 16, baseChannels: 4 });
    const x = tf.zeros([1, 4, 4, 16]);
    const before = tf.memory().numTensors;
    const out = applyModule(r, { feature: x });
    expect(tf.memory().numTensors).toBe(before + 1);
    const [lo, hi] = [tf.min(out.image!).dataSync()[0]!, tf.max(out.image!).dataSync()[0]!];
    expect(lo).toBeGreaterThanOrEqual(-1);
    expect(hi).toBeLessThanOrEqual(1);
    r.dispose();
  });
});
