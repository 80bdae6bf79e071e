import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA, COLOR_MNIST } from '../../../core/graph/attributes';
import { readWeightsFile, writeWeightsFile } from '../../../core/files/weights-file';
import { type GanModule, createModule } from '../../../core/modules/create';
import { decodeWeights, encodeWeights, fromHalfBits, loadWeightsInto, moduleFromWeights, toHalfBits, weightsChecksum } from '../../../core/modules/weights';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const made: GanModule[] = [];
const make = (kind: string, params: Record<string, unknown>, seed = 0): GanModule => {
  const m = createModule(kind, params, seed);
  made.push(m);
  return m;
};
afterAll(() => made.forEach((m) => m.dispose()));

const values = (m: GanModule): Record<string, number[]> =>
  Object.fromEntries(Object.entries(m.variables).map(([k, v]) => [k, Array.from(v.dataSync())]));

const T_PARAMS = { baseChannels: 4, resBlocks: 1, attributes: [CELEBA.hair] };


describe('weights files', () => {
  it.each([
    ['encoder', { imageSize: 16, baseChannels: 4, resBlocks: 1 }],
    ['generator', { imageSize: 16, baseChannels: 4, noiseLength: 5, attributes: [COLOR_MNIST.digit] }],
    ['transformer', T_PARAMS],
    ['reconstructor', { imageSize: 16, baseChannels: 4, resBlocks: 1 }],
    ['discriminator', { imageSize: 16, baseChannels: 4, depth: 2, attributes: [CELEBA.male] }],
  ])('%s round-trips bit for bit into a module built from another seed', (kind, params) => {
    const a = make(kind, params, 1);
    const b = make(kind, params, 2);
    expect(values(b)).not.toEqual(values(a));
    const bytes = encodeWeights(a, { step: 1200 });
    const decoded = decodeWeights(bytes);
    expect(decoded.header).toMatchObject({ format: 'modulargan-weights', version: 1, module: a.kind, nodeKind: kind, seed: 1, meta: { step: 1200 } });
    expect(decoded.header.params).toEqual(a.params);
    expect(loadWeightsInto(b, decoded).notes).toEqual([]);
    // Compare bit patterns, not numbers, so -0 and NaN payloads would count too.
    for (const [k, v] of Object.entries(a.variables))
      expect(new Uint32Array(b.variables[k]!.dataSync().slice().buffer)).toEqual(new Uint32Array(v.dataSync().slice().buffer));
    // Encoding is deterministic, and b's data (not its seed) is now a's.
    expect(encodeWeights(a, { step: 1200 })).toEqual(bytes);
    expect(decodeWeights(encodeWeights(b)).header.sha256).toBe(decoded.header.sha256);
  });

  it('rebuilds the module a file came from (a transformer moved to another project)', () => {
    const a = make('transformer', T_PARAMS, 3);
    const b = moduleFromWeights(decodeWeights(encodeWeights(a)));
    made.push(b);
    expect(b.kind).toBe('T');
    expect(b.params).toEqual(a.params);
    expect(values(b)).toEqual(values(a));
  });

  it('lays the data out at a multiple of 8 after a padded JSON header', () => {
    const bytes = encodeWeights(make('transformer', { ...T_PARAMS, attributes: [{ name: 'Haarfarbe ☺', kind: 'binary' }] }));
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('MGWEIGHT');
    const h = new DataView(bytes.buffer).getUint32(8, true);
    expect((12 + h) % 8).toBe(0);
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + h))).format).toBe('modulargan-weights');
  });

  it('refuses weights of another module kind, naming both', () => {
    const bytes = encodeWeights(make('encoder', { imageSize: 16, baseChannels: 4 }));
    expect(() => loadWeightsInto(make('transformer', T_PARAMS), decodeWeights(bytes))).toThrow(
      "Transformer weights: the file holds encoder weights (module E), not transformer weights",
    );
  });

  it('refuses a tensor of the wrong shape, naming the tensor and both shapes', () => {
    const small = encodeWeights(make('transformer', { ...T_PARAMS, resBlocks: 0, baseChannels: 32 }));
    const big = make('transformer', { ...T_PARAMS, resBlocks: 0, baseChannels: 64 });
    const before = values(big);
    expect(() => loadWeightsInto(big, decodeWeights(small))).toThrow(
      /^Transformer weights: tensor 'T\.conv0\.weight' has shape 3x3x131x128 but this transformer \(base channels 64, .*\) needs 3x3x259x256$/,
    );
    // The residual block's message, as a user would see it for the first block-level mismatch.
    const noConv0 = decodeWeights(small);
    const tensors = new Map(noConv0.tensors);
    tensors.set('T.conv0.weight', { shape: [3, 3, 259, 256], values: new Float32Array(3 * 3 * 259 * 256) });
    expect(() => loadWeightsInto(big, { header: noConv0.header, tensors })).toThrow(
      /^Transformer weights: tensor 'T\.norm0\.gamma' has shape 128 but this transformer \(base channels 64/,
    );
    expect(values(big)).toEqual(before);
  });

  it('names the residual block tensor whose shape is wrong', () => {
    const file = decodeWeights(encodeWeights(make('transformer', T_PARAMS)));
    const tensors = new Map(file.tensors);
    tensors.set('T.res0.conv1.weight', { shape: [3, 3, 8, 8], values: new Float32Array(576) });
    expect(() => loadWeightsInto(make('transformer', T_PARAMS), { header: file.header, tensors })).toThrow(
      /^Transformer weights: tensor 'T\.res0\.conv1\.weight' has shape 3x3x8x8 but this transformer \(base channels 4, 1 residual blocks, condition length 3, with mask\) needs 3x3x16x16$/,
    );
  });

  it('refuses a file that lacks a tensor, and one with a tensor too many', () => {
    const fewer = encodeWeights(make('transformer', { ...T_PARAMS, resBlocks: 1 }));
    const more = make('transformer', { ...T_PARAMS, resBlocks: 2 });
    expect(() => loadWeightsInto(more, decodeWeights(fewer))).toThrow(
      "Transformer weights: tensor 'T.res1.conv0.weight' is missing from the file, but this transformer (base channels 4, 2 residual blocks, condition length 3, with mask) needs it (residual blocks 1 in the file, 2 here)",
    );
    const noMask = make('transformer', { ...T_PARAMS, useMask: false });
    expect(() => loadWeightsInto(noMask, decodeWeights(encodeWeights(make('transformer', T_PARAMS))))).toThrow(
      /^Transformer weights: the file has tensor 'T\.mask\.weight', which this transformer .* does not have \(use mask true in the file, false here\)$/,
    );
  });

  it('loads same-shaped weights for renamed attributes, with a note', () => {
    const file = decodeWeights(encodeWeights(make('transformer', T_PARAMS)));
    const other = make('transformer', { ...T_PARAMS, attributes: [{ name: 'colour', kind: 'onehot', values: ['a', 'b', 'c'] }] });
    expect(loadWeightsInto(other, file).notes).toEqual(['attributes hair ∈ {black, blond, brown} in the file, colour ∈ {a, b, c} here']);
  });

  it('refuses weights trained with another mask gain, saying which to set', () => {
    const file = decodeWeights(encodeWeights(make('transformer', { ...T_PARAMS, maskGain: 0.05 })));
    expect(() => loadWeightsInto(make('transformer', T_PARAMS), file)).toThrow(
      'Transformer weights: the file was trained with mask gain 0.05, but this transformer\'s is 1: set its Mask gain to 0.05',
    );
    expect(loadWeightsInto(make('transformer', { ...T_PARAMS, maskGain: 0.05 }), file).notes).toEqual([]);
    // A file from before the parameter existed was made with gain 1: it loads, with no note about it.
    const { maskGain: _, ...older } = file.header.params;
    const old = { ...file, header: { ...file.header, params: older } };
    expect(loadWeightsInto(make('transformer', T_PARAMS), old).notes).toEqual([]);
    expect(() => loadWeightsInto(make('transformer', { ...T_PARAMS, maskGain: 0.05 }), old)).toThrow(/trained with mask gain 1, but this transformer's is 0.05/);
  });

  it('detects corrupted data by its checksum', () => {
    const bytes = encodeWeights(make('transformer', T_PARAMS));
    const bad = bytes.slice();
    bad[bad.length - 5]! ^= 0x10;
    expect(() => decodeWeights(bad)).toThrow(/^Transformer weights: checksum mismatch, the data is corrupted/);
  });

  it('detects truncation, foreign files, malformed headers and newer versions', () => {
    const bytes = encodeWeights(make('transformer', T_PARAMS));
    expect(() => decodeWeights(bytes.subarray(0, bytes.length - 4))).toThrow(/Transformer weights: the data is \d+ bytes but the header says/);
    expect(() => decodeWeights(new TextEncoder().encode('PK\x03\x04 a zip file'))).toThrow(/^Weights file: not a ModularGAN weights file/);
    expect(() => decodeWeights(bytes.subarray(0, 20))).toThrow('Weights file: the file is cut short inside its header');
    const h = new DataView(bytes.buffer).getUint32(8, true);
    const withHeader = (edit: (header: Record<string, unknown>) => void): Uint8Array => {
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + h))) as Record<string, unknown>;
      edit(header);
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(12 + json.length + bytes.length - 12 - h);
      out.set(bytes.subarray(0, 8));
      new DataView(out.buffer).setUint32(8, json.length, true);
      out.set(json, 12);
      out.set(bytes.subarray(12 + h), 12 + json.length);
      return out;
    };
    expect(() => decodeWeights(withHeader((x) => (x.version = 9)))).toThrow(/newer ModularGAN Studio \(format version 9/);
    expect(() => decodeWeights(withHeader((x) => delete x.tensors))).toThrow(/^Weights file: the header is malformed: tensors:/);
    // Unknown fields from a later minor writer are kept, not rejected.
    expect(decodeWeights(withHeader((x) => (x.trainedOn = 'celeba'))).header).toMatchObject({ trainedOn: 'celeba' });
  });

  it('converts to and from half precision exactly where IEEE says', () => {
    const cases: [number, number][] = [
      [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [65504, 0x7bff], [65520, 0x7c00], [1e9, 0x7c00],
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -26, 0x0000], [0.1, 0x2e66], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
      [Infinity, 0x7c00], [-Infinity, 0xfc00],
    ];
    for (const [x, bits] of cases) expect(toHalfBits(x), String(x)).toBe(bits);
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
    // Every finite half value survives the round trip.
    for (let h = 0; h < 0x10000; h++) if ((h & 0x7c00) !== 0x7c00) expect(toHalfBits(fromHalfBits(h))).toBe(h === 0x8000 ? 0x8000 : h);
  });

  it('stores half-precision weights at half the size, within half-precision rounding, with the checksum of what loads', () => {
    const a = make('transformer', T_PARAMS, 3);
    const full = encodeWeights(a);
    const half = encodeWeights(a, { note: 'demo' }, 'float16');
    const decoded = decodeWeights(half);
    expect(decoded.header).toMatchObject({ version: 2, meta: { note: 'demo' } });
    expect(decoded.header.tensors.every((t) => t.dtype === 'float16')).toBe(true);
    expect(half.length).toBeLessThan(0.55 * full.length);
    const b = moduleFromWeights(decoded);
    made.push(b);
    for (const [name, v] of Object.entries(values(a))) {
      const got = values(b)[name]!;
      v.forEach((x, i) => expect(Math.abs(got[i]! - x), name).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25));
    }
    // Provenance names the weights by checksum: the loaded module must carry the file's.
    expect(weightsChecksum(b)).toBe(decoded.header.sha256);
    const bad = half.slice();
    bad[bad.length - 3]! ^= 0x01;
    expect(() => decodeWeights(bad)).toThrow(/checksum mismatch/);
  });

  it('writes and reads files on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mgw-'));
    try {
      const a = make('reconstructor', { imageSize: 16, baseChannels: 4 }, 5);
      const path = join(dir, 'r.mgw');
      await writeWeightsFile(path, a);
      const b = make('reconstructor', { imageSize: 16, baseChannels: 4 }, 6);
      loadWeightsInto(b, await readWeightsFile(path));
      expect(values(b)).toEqual(values(a));
      await expect(readWeightsFile(join(dir, 'missing.mgw'))).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('leaks no tensors', () => {
    const m = make('encoder', { imageSize: 16, baseChannels: 4 });
    const before = tf.memory().numTensors;
    loadWeightsInto(m, decodeWeights(encodeWeights(m)));
    expect(tf.memory().numTensors).toBe(before);
  });
});
