import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA, SYNTHETIC_FACES, COLOR_MNIST } from '../../core/graph/attributes';
import type { Graph, GraphEdge, GraphNode } from '../../core/graph/graph';
import { type Batch, type EngineChoice, runGraph } from '../../core/runtime/executor';
import { useCpuBackend } from '../helpers/tf';

const dir = mkdtempSync(join(tmpdir(), 'mg-exec-'));
const faces = join(dir, 'faces');
const SIZE = 16;
const BASE = 4;

beforeAll(async () => {
  await useCpuBackend();
  mkdirSync(faces);
  for (let i = 0; i < 5; i++) {
    const px = Buffer.alloc(20 * 24 * 3).map((_, k) => (k * (i + 3) * 37) % 256);
    await sharp(px, { raw: { width: 20, height: 24, channels: 3 } }).png().toFile(join(faces, `face${i}.png`));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = [
  { id: 'Th', attrs: [CELEBA.hair], values: { hair: 'blond' } },
  // A mask gain other than 1, so the onnxruntime parity check covers it too.
  { id: 'Ts', attrs: [SYNTHETIC_FACES.smiling], values: { smiling: '1' }, extra: { maskGain: 0.3 } },
  { id: 'Tg', attrs: [SYNTHETIC_FACES.glasses], values: { glasses: '0' } },
  // Without a mask (f' replaces f, the mask port gives ones): the parity check covers that path too.
  { id: 'Tn', attrs: [SYNTHETIC_FACES.glasses], values: { glasses: '1' }, extra: { useMask: false } },
];

/** image -> E -> the transformers in `order` -> R -> output, masks summed into a preview. */
function chain(order: string[]): Graph {
  const nodes: GraphNode[] = [
    { id: 'img', kind: 'image-input', params: { path: faces } },
    { id: 'E', kind: 'encoder', params: { imageSize: SIZE, baseChannels: BASE, resBlocks: 1 } },
    { id: 'R', kind: 'reconstructor', params: { imageSize: SIZE, baseChannels: BASE, resBlocks: 1 } },
    { id: 'out', kind: 'image-output', params: {} },
  ];
  const edges: GraphEdge[] = [{ id: 'a', from: { node: 'img', port: 'image' }, to: { node: 'E', port: 'image' } }];
  let prev = 'E';
  for (const id of order) {
    const t = T.find((x) => x.id === id)!;
    nodes.push({ id, kind: 'transformer', params: { baseChannels: BASE, resBlocks: 1, attributes: t.attrs, ...t.extra } });
    nodes.push({ id: `c_${id}`, kind: 'condition-input', params: { attributes: t.attrs, values: t.values } });
    edges.push({ id: `f_${id}`, from: { node: prev, port: 'feature' }, to: { node: id, port: 'feature' } });
    edges.push({ id: `k_${id}`, from: { node: `c_${id}`, port: 'condition' }, to: { node: id, port: 'condition' } });
    prev = id;
  }
  edges.push({ id: 'r', from: { node: prev, port: 'feature' }, to: { node: 'R', port: 'feature' } });
  edges.push({ id: 'o', from: { node: 'R', port: 'image' }, to: { node: 'out', port: 'image' } });
  if (order.length) {
    nodes.push({ id: 'sum', kind: 'mask-sum', params: {} }, { id: 'view', kind: 'mask-preview', params: {} });
    order.forEach((id) => edges.push({ id: `m_${id}`, from: { node: id, port: 'mask' }, to: { node: 'sum', port: 'masks' } }));
    edges.push({ id: 'v', from: { node: 'sum', port: 'mask' }, to: { node: 'view', port: 'mask' } });
  }
  return { nodes, edges };
}

async function collect(graph: Graph, engine: EngineChoice, extra: Parameters<typeof runGraph>[1] = {}) {
  const batches: Batch[] = [];
  const result = await runGraph(graph, { engine, seed: 3, batchSize: 2, masks: true, ...extra }, (b) => void batches.push(b));
  const all = (key: string) => batches.flatMap((b) => Array.from(b.values.get(key)?.data ?? []));
  return { result, batches, all };
}

const maxDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('executor', () => {
  it('runs a chain in every order, giving one mask per transformer and their sum', async () => {
    const orders = [['Th', 'Ts', 'Tg'], ['Th', 'Tg', 'Ts'], ['Ts', 'Th', 'Tg'], ['Ts', 'Tg', 'Th'], ['Tg', 'Th', 'Ts'], ['Tg', 'Ts', 'Th']];
    const images: number[][] = [];
    for (const order of orders) {
      const { result, all } = await collect(chain(order), 'tfjs');
      expect(result.processed).toBe(5);
      expect(result.outputs.map((o) => o.key).sort()).toEqual(['mask:Tg', 'mask:Th', 'mask:Ts', 'mask:sum', 'out', 'view'].sort());
      const masks = ['mask:Th', 'mask:Ts', 'mask:Tg'].map(all);
      for (const m of masks) {
        expect(m).toHaveLength(5 * (SIZE / 4) ** 2);
        expect(Math.min(...m)).toBeGreaterThan(0);
        expect(Math.max(...m)).toBeLessThan(1);
      }
      const sum = masks[0]!.map((_, i) => masks[0]![i]! + masks[1]![i]! + masks[2]![i]!);
      expect(maxDiff(all('mask:sum'), sum)).toBeLessThan(1e-5);
      expect(maxDiff(all('view'), sum)).toBeLessThan(1e-5);
      images.push(all('out'));
    }
    // Order matters: composing transformers differently gives different images.
    expect(maxDiff(images[0]!, images[5]!)).toBeGreaterThan(1e-4);
  });

  it('with no transformer reproduces R(E(x))', async () => {
    const { all } = await collect(chain([]), 'tfjs');
    const { all: withOne } = await collect(chain(['Th']), 'tfjs');
    expect(all('out')).toHaveLength(5 * SIZE * SIZE * 3);
    expect(maxDiff(all('out'), withOne('out'))).toBeGreaterThan(1e-5);
    // Same E and R weights (seeded by node id) without a transformer: R(E(x)) computed by hand.
    const { createModule } = await import('../../core/modules/create');
    const { hashSeed } = await import('../../core/modules/random');
    const { readImage } = await import('../../core/data/images');
    const E = createModule('encoder', { imageSize: SIZE, baseChannels: BASE, resBlocks: 1 }, hashSeed(3, 'E'));
    const R = createModule('reconstructor', { imageSize: SIZE, baseChannels: BASE, resBlocks: 1 }, hashSeed(3, 'R'));
    const x = tf.tensor4d((await readImage(join(faces, 'face0.png'), SIZE)).data, [1, SIZE, SIZE, 3]);
    const { applyModule } = await import('../../core/modules/create');
    const ref = tf.tidy(() => applyModule(R, { feature: applyModule(E, { image: x }).feature! }).image!.dataSync());
    expect(maxDiff(all('out').slice(0, SIZE * SIZE * 3), Array.from(ref))).toBeLessThan(1e-5);
    tf.dispose([x]);
    E.dispose();
    R.dispose();
  });

  it('gives the same images through onnxruntime as through tfjs', async () => {
    const a = await collect(chain(['Th', 'Ts', 'Tn']), 'tfjs');
    const b = await collect(chain(['Th', 'Ts', 'Tn']), 'onnxruntime');
    expect(b.result.engine).toMatch(/^onnxruntime/);
    expect(maxDiff(a.all('out'), b.all('out'))).toBeLessThan(1e-4);
    expect(maxDiff(a.all('mask:sum'), b.all('mask:sum'))).toBeLessThan(1e-4);
  });

  it('is deterministic for a seed and differs for another', async () => {
    const a = await collect(chain(['Th']), 'tfjs');
    const b = await collect(chain(['Th']), 'tfjs');
    const c = await collect(chain(['Th']), 'tfjs', { seed: 4 });
    expect(a.all('out')).toEqual(b.all('out'));
    expect(maxDiff(a.all('out'), c.all('out'))).toBeGreaterThan(1e-4);
  });

  it('leaks no tensors over 100 runs', async () => {
    const g = chain(['Th']);
    await collect(g, 'tfjs', { masks: false });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await runGraph(g, { engine: 'tfjs', batchSize: 8 }, () => undefined);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports progress, can be cancelled between batches, and skips unreadable files', async () => {
    const broken = join(dir, 'with-broken');
    mkdirSync(broken);
    for (let i = 0; i < 4; i++) writeFileSync(join(broken, `ok${i}.png`), await sharp(Buffer.alloc(16 * 16 * 3, 90), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer());
    writeFileSync(join(broken, 'bad.png'), 'not an image');
    const progress: number[] = [];
    const r = await runGraph(chain(['Th']), { engine: 'onnxruntime', images: { img: broken }, batchSize: 2, onProgress: (p) => progress.push(p.done) }, () => undefined);
    expect(r.processed).toBe(4);
    expect(r.skipped).toEqual([{ file: join(broken, 'bad.png'), reason: expect.stringMatching(/cannot decode it as an image/) }]);
    expect(progress).toEqual([2, 4, 5]);

    const ctrl = new AbortController();
    const seen: number[] = [];
    const c = await runGraph(chain(['Th']), { engine: 'tfjs', batchSize: 2, signal: ctrl.signal }, (b) => {
      seen.push(b.items.length);
      ctrl.abort();
    });
    expect(c).toMatchObject({ cancelled: true, processed: 2 });
    expect(seen).toEqual([2]);
  });

  it('generates from noise and conditions, reproducibly whatever the batch size', async () => {
    const g: Graph = {
      nodes: [
        { id: 'z', kind: 'noise-input', params: { length: 8, seed: 1 } },
        { id: 'd', kind: 'condition-input', params: { attributes: [COLOR_MNIST.digit], values: { digit: '7' } } },
        { id: 'G', kind: 'generator', params: { imageSize: 16, baseChannels: BASE, noiseLength: 8, attributes: [COLOR_MNIST.digit] } },
        { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: BASE } },
        { id: 'o', kind: 'image-output', params: {} },
      ],
      edges: [
        { id: '1', from: { node: 'z', port: 'noise' }, to: { node: 'G', port: 'noise' } },
        { id: '2', from: { node: 'd', port: 'condition' }, to: { node: 'G', port: 'condition' } },
        { id: '3', from: { node: 'G', port: 'feature' }, to: { node: 'R', port: 'feature' } },
        { id: '4', from: { node: 'R', port: 'image' }, to: { node: 'o', port: 'image' } },
      ],
    };
    const a = await collect(g, 'tfjs', { count: 5, batchSize: 2 });
    const b = await collect(g, 'onnxruntime', { count: 5, batchSize: 5 });
    expect(a.result.processed).toBe(5);
    expect(a.all('o')).toHaveLength(5 * 16 * 16 * 3);
    expect(maxDiff(a.all('o'), b.all('o'))).toBeLessThan(1e-4);
  });

  it('refuses an invalid graph and a training-only node, naming them', async () => {
    await expect(runGraph({ nodes: [{ id: 'E', kind: 'encoder', params: {} }], edges: [] }, {}, () => undefined)).rejects.toThrow(/Encoder 'E' needs its input 'Image' connected/);
    const g = chain([]);
    const withD: Graph = {
      nodes: [...g.nodes, { id: 'D', kind: 'discriminator', params: { imageSize: SIZE, depth: 2, baseChannels: BASE } }],
      edges: [...g.edges, { id: 'd', from: { node: 'R', port: 'image' }, to: { node: 'D', port: 'image' } }],
    };
    await expect(runGraph(withD, {}, () => undefined)).rejects.toThrow(/Discriminator 'D' is a discriminator, used only in training/);
  });
});
