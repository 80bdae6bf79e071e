// Weights files as they may arrive: a header whose tensors alias the same bytes (each would
// be decoded into its own array), a path naming a FIFO, a device or a folder, and a file of
// the wrong kind or shape: refused at once, naming the file (and, in a run, the node).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeightsFile, writeWeightsFile } from '../../../core/files/weights-file';
import { CELEBA } from '../../../core/graph/attributes';
import { createModule } from '../../../core/modules/create';
import { decodeWeights, encodeWeights, loadWeightsInto } from '../../../core/modules/weights';
import { runGraph } from '../../../core/runtime/executor';
import { tinyProject } from '../../helpers/projects';
import { useCpuBackend } from '../../helpers/tf';

const dir = mkdtempSync(join(tmpdir(), 'mg-weights-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(useCpuBackend);

const T_PARAMS = { baseChannels: 4, resBlocks: 1, attributes: [CELEBA.hair] };

/** A file's bytes with its header rewritten (same data, header re-padded). */
function withHeader(bytes: Uint8Array, change: (h: { tensors: { name: string; shape: number[]; dtype: string; offset: number }[] }) => void): Uint8Array {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len)));
  change(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((12 + json.length) / 8) * 8 - 12;
  const data = bytes.subarray(12 + len);
  const out = new Uint8Array(12 + padded + data.length).fill(0x20, 12, 12 + padded);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, padded, true);
  out.set(json, 12);
  out.set(data, 12 + padded);
  return out;
}

describe('weights files that lie about their data', () => {
  it('refuses tensors that alias the same bytes, before decoding any of them', () => {
    const m = createModule('encoder', { imageSize: 16, baseChannels: 4 }, 1);
    const bytes = encodeWeights(m);
    m.dispose();
    // Each alias of the largest tensor would be a copy of it: 1,000 of them from a few kB of header.
    const aliased = withHeader(bytes, (h) => {
      const big = h.tensors.reduce((a, t) => (t.shape.reduce((x, y) => x * y, 1) > a.shape.reduce((x, y) => x * y, 1) ? t : a));
      for (let i = 0; i < 1000; i++) h.tensors.push({ ...big, name: `copy${i}` });
    });
    expect(() => decodeWeights(aliased)).toThrow(/^Encoder weights: tensors '.+' and 'copy0' overlap in the data/);
    // A tensor reaching past the data is refused as before.
    const past = withHeader(bytes, (h) => void (h.tensors[0]!.shape = [1e6, 1e6, 1e6]));
    expect(() => decodeWeights(past)).toThrow(/lies outside the data/);
  });

  it('refuses a path to a FIFO, a device or a folder at once, naming it', async () => {
    const fifo = join(dir, 'pipe.mgw');
    execFileSync('mkfifo', [fifo]);
    mkdirSync(join(dir, 'folder.mgw'));
    await expect(readWeightsFile(fifo)).rejects.toThrow(`${fifo}: not a regular file, so not a weights file`);
    await expect(readWeightsFile('/dev/zero')).rejects.toThrow('/dev/zero: not a regular file, so not a weights file');
    await expect(readWeightsFile(join(dir, 'folder.mgw'))).rejects.toThrow(`${join(dir, 'folder.mgw')}: this is a folder, not a weights file`);
    await expect(readWeightsFile(join(dir, 'none.mgw'))).rejects.toThrow(`${join(dir, 'none.mgw')}: not found`);
  }, 10_000);
});

describe('weights of the wrong kind or shape', () => {
  it('name the file, what it holds and what the module needs', async () => {
    const enc = join(dir, 'encoder.mgw');
    const small = join(dir, 'small-T.mgw');
    const e = createModule('encoder', { imageSize: 16, baseChannels: 4 }, 1);
    const t = createModule('transformer', { ...T_PARAMS, baseChannels: 8 }, 1);
    await writeWeightsFile(enc, e);
    await writeWeightsFile(small, t);
    e.dispose();
    t.dispose();
    const target = createModule('transformer', T_PARAMS, 2);
    expect(() => loadWeightsInto(target, decodeWeights(encodeWeights(target)))).not.toThrow();
    await expect(readWeightsFile(enc).then((w) => loadWeightsInto(target, w))).rejects.toThrow(
      `Transformer weights from ${enc}: the file holds encoder weights (module E), not transformer weights`,
    );
    await expect(readWeightsFile(small).then((w) => loadWeightsInto(target, w))).rejects.toThrow(
      new RegExp(`^Transformer weights from ${small.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tensor 'T\\.conv0\\.weight' has shape 3x3x35x32 but this transformer \\(base channels 4, .*\\) needs 3x3x19x16$`),
    );
    target.dispose();
  });

  it('in a run: the message names the node and the file', async () => {
    const enc = join(dir, 'encoder.mgw');
    const img = join(dir, 'img');
    mkdirSync(img, { recursive: true });
    const g = tinyProject(img).graph;
    const graph = { ...g, nodes: g.nodes.map((n) => (n.id === 'T' ? { ...n, params: { ...n.params, weights: 'encoder.mgw' } } : n)) };
    writeFileSync(join(img, 'a.png'), Buffer.alloc(0));
    const run = runGraph(graph, { baseDir: dir, engine: 'tfjs' }, () => undefined);
    await expect(run).rejects.toThrow(`Transformer 'hair': Transformer weights from ${enc}: the file holds encoder weights (module E), not transformer weights`);
    await expect(run).rejects.toMatchObject({ node: 'T' });
  });
});
