// A bypassed transformer in a real run, on both inference engines: the images are exactly
// those of the graph without it, its weights file is never read, and the preview that showed
// only its mask is not produced.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CELEBA, SYNTHETIC_FACES } from '../../core/graph/attributes';
import type { Graph, GraphEdge, GraphNode } from '../../core/graph/graph';
import { type Batch, type EngineChoice, runGraph } from '../../core/runtime/executor';
import { useCpuBackend } from '../helpers/tf';

const dir = mkdtempSync(join(tmpdir(), 'mg-bypass-'));
const faces = join(dir, 'faces');
const SIZE = 16;
const BASE = 4;

beforeAll(async () => {
  await useCpuBackend();
  mkdirSync(faces);
  for (let i = 0; i < 3; i++) {
    const px = Buffer.alloc(SIZE * SIZE * 3).map((_, k) => (k * (i + 5) * 31) % 256);
    await sharp(px, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toFile(join(faces, `f${i}.png`));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** image -> E -> Th -> Ts -> R -> out, each mask on a preview; `bypassed` marks nodes, `drop` leaves one out. */
function chain(opts: { bypassed?: string[]; drop?: string } = {}): Graph {
  const ts = [
    { id: 'Th', attrs: [CELEBA.hair], values: { hair: 'blond' } },
    { id: 'Ts', attrs: [SYNTHETIC_FACES.smiling], values: { smiling: '1' } },
  ].filter((t) => t.id !== opts.drop);
  const nodes: GraphNode[] = [
    { id: 'img', kind: 'image-input', params: { path: faces } },
    { id: 'E', kind: 'encoder', params: { imageSize: SIZE, baseChannels: BASE } },
    { id: 'R', kind: 'reconstructor', params: { imageSize: SIZE, baseChannels: BASE } },
    { id: 'out', kind: 'image-output', params: {} },
  ];
  const edges: GraphEdge[] = [
    { id: 'a', from: { node: 'img', port: 'image' }, to: { node: 'E', port: 'image' } },
    { id: 'o', from: { node: 'R', port: 'image' }, to: { node: 'out', port: 'image' } },
  ];
  let prev = 'E';
  for (const t of ts) {
    // A weights file that does not exist: a bypassed module must not even try to read it.
    const weights = opts.bypassed?.includes(t.id) ? { weights: join(dir, 'missing.mgw') } : {};
    nodes.push({ id: t.id, kind: 'transformer', params: { baseChannels: BASE, resBlocks: 1, attributes: t.attrs, ...weights }, ...(opts.bypassed?.includes(t.id) ? { bypassed: true } : {}) });
    nodes.push({ id: `c_${t.id}`, kind: 'condition-input', params: { attributes: t.attrs, values: t.values } });
    nodes.push({ id: `m_${t.id}`, kind: 'mask-preview', params: {} });
    edges.push({ id: `f_${t.id}`, from: { node: prev, port: 'feature' }, to: { node: t.id, port: 'feature' } });
    edges.push({ id: `k_${t.id}`, from: { node: `c_${t.id}`, port: 'condition' }, to: { node: t.id, port: 'condition' } });
    edges.push({ id: `v_${t.id}`, from: { node: t.id, port: 'mask' }, to: { node: `m_${t.id}`, port: 'mask' } });
    prev = t.id;
  }
  edges.push({ id: 'r', from: { node: prev, port: 'feature' }, to: { node: 'R', port: 'feature' } });
  return { nodes, edges };
}

async function run(graph: Graph, engine: EngineChoice) {
  const batches: Batch[] = [];
  const result = await runGraph(graph, { engine, seed: 5, batchSize: 2 }, (b) => void batches.push(b));
  return { result, out: batches.flatMap((b) => Array.from(b.values.get('out')!.data)) };
}

describe('a bypassed transformer in a run', () => {
  for (const engine of ['tfjs', 'onnxruntime'] as const)
    it(`passes its feature through unchanged (${engine})`, async () => {
      const bypassed = await run(chain({ bypassed: ['Th'] }), engine);
      const without = await run(chain({ drop: 'Th' }), engine);
      const full = await run(chain(), engine);
      expect(bypassed.result.processed).toBe(3);
      expect(bypassed.out).toEqual(without.out);
      expect(bypassed.out).not.toEqual(full.out);
      // Its mask preview is not made; the other transformer's is; no module ran for it.
      expect(bypassed.result.outputs.map((o) => o.key).sort()).toEqual(['m_Ts', 'out']);
      expect(Object.keys(bypassed.result.modules).sort()).toEqual(['E', 'R', 'Ts']);
    });
});
