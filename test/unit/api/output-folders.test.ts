// An image output with a Folder: Run in the studio writes its images there as PNG files with
// provenance, as the node's help says; a later run replaces them; a folder inside the input
// folder is never read back as input; a folder that cannot take files fails the run on the node.

import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../core/api';
import { createEngineService } from '../../../core/engine/service';
import { readXmp } from '../../../core/data/images';
import type { Graph } from '../../../core/graph';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'modulargan-outfolder-'));
const service = createEngineService({ stateDir: join(dir, 'state'), demoPath: join(root, 'test', 'fixtures', 'demo', 'demo.mgproj.json'), host: 'test' });
afterAll(() => service.close());

async function run(graph: Graph): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  const off = service.onRunEvent((e) => events.push(e));
  await service.startRun({ graph, baseDir: dir, previews: 0 });
  await new Promise<void>((ok) => {
    const t = setInterval(() => events.some((e) => e.type === 'finished' || e.type === 'failed') && (clearInterval(t), ok()), 20);
  });
  off();
  return events;
}

const withParams = (g: Graph, node: string, params: Record<string, unknown>): Graph => ({ ...g, nodes: g.nodes.map((n) => (n.id === node ? { ...n, params: { ...n.params, ...params } } : n)) });

describe('image output folders', () => {
  it('a run writes the images of an output with a folder, and a later run replaces them', async () => {
    const demo = (await service.openDemo()).project.graph;
    const graph = withParams(demo, 'out', { folder: 'written' });
    const first = await run(graph);
    expect(first.at(-1)).toMatchObject({ type: 'finished', processed: 4 });
    const files = readdirSync(join(dir, 'written')).sort();
    expect(files).toEqual(['face-1.png', 'face-2.png', 'face-3.png', 'face-4.png']);
    expect(await readXmp(readFileSync(join(dir, 'written', 'face-1.png')))).toMatch(/modulargan-provenance/);
    const again = await run(graph);
    expect(again.at(-1)).toMatchObject({ type: 'finished', processed: 4 });
    expect(again.filter((e) => e.type === 'warning')).toEqual([]);
  });

  it('a folder inside the input folder is not read as input the next time', async () => {
    const inputs = join(dir, 'in');
    cpSync(join(root, 'test', 'fixtures', 'demo', 'images'), inputs, { recursive: true });
    const demo = (await service.openDemo()).project.graph;
    const graph = withParams(withParams(demo, 'photos', { path: inputs }), 'out', { folder: join(inputs, 'out') });
    await run(graph);
    const second = await run(graph);
    expect(second.at(-1)).toMatchObject({ type: 'finished', processed: 4 });
  });

  it('a folder that cannot take files fails the run, naming it', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    const demo = (await service.openDemo()).project.graph;
    const events = await run(withParams(demo, 'out', { folder: file }));
    expect(events.at(-1)).toMatchObject({ type: 'failed', node: 'out' });
    expect((events.at(-1) as { message: string }).message).toContain(file);
  });
});
