// The editor's side of issue 19, without a page: a Condition's values follow its attributes
// in one undo step; undo leaves no ghost selection; a refused connection's notice goes once
// one is made; layout keeps loose nodes apart; double-clicked nodes land beside each other;
// search ranks by name; an empty graph has nothing to run; Save as proposes a folder.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { RunEvent, StudioBridge } from '../../../core/api';
import { CATALOGUE, CELEBA, type Project, emptyProject, loadProject } from '../../../core/graph';
import { StudioController, nothingToRun } from '../../../renderer/app/controller';
import { absoluteIn, folderOf, isAbsolutePath, joinPath } from '../../../renderer/app/paths';
import { searchKinds } from '../../../renderer/panels/Palette';
import { autoLayout, estimateSize, freeSpot } from '../../../renderer/state/auto-layout';
import { EditorStore } from '../../../renderer/state/editor-store';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';

const demo = (): Project => {
  const r = loadProject(readFileSync(join(import.meta.dirname, '../../../test/fixtures/demo/demo.mgproj.json'), 'utf8'));
  if (!r.ok) throw new Error('demo does not load');
  return r.value.value;
};
const nodeOf = (s: EditorStore, id: string) => s.project.graph.nodes.find((n) => n.id === id)!;
type Box = { x: number; y: number; width: number; height: number };
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const boxes = (p: Project) => p.graph.nodes.map((n) => ({ ...p.layout.nodes[n.id]!, ...estimateSize(n) }));
const overlaps = (p: Project) => boxes(p).flatMap((a, i) => boxes(p).slice(i + 1).filter((b) => overlap(a, b))).length;

describe('a Condition whose attributes change', () => {
  it('keeps only the values that fit, in the same undo step', () => {
    const s = new EditorStore(demo());
    s.setParam('c_hair', 'attributes', [CELEBA.hair, CELEBA.smiling]);
    expect(nodeOf(s, 'c_hair').params.values).toEqual({ hair: 'blond' });
    s.endGroup();
    s.setParam('c_hair', 'attributes', [CELEBA.smiling]);
    expect(nodeOf(s, 'c_hair').params.values).toEqual({});
    s.undo();
    expect(nodeOf(s, 'c_hair').params).toMatchObject({ attributes: [CELEBA.hair, CELEBA.smiling], values: { hair: 'blond' } });
    // Other parameters leave the values alone, even stale ones.
    s.setParam('c_hair', 'values', { hair: 'blond', gone: 'x' });
    s.setParam('T_hair', 'resBlocks', 3);
    expect(nodeOf(s, 'c_hair').params.values).toEqual({ hair: 'blond', gone: 'x' });
  });
});

describe('the selection', () => {
  it('loses nodes and edges an undo or redo takes away, and Escape clears it', () => {
    const s = new EditorStore(demo());
    s.addNode('transformer', { x: 0, y: 0 });
    expect([...s.getState().selectedNodes]).toEqual(['T1']);
    s.undo();
    expect(s.getState().selectedNodes.size).toBe(0);
    s.select(['E', 'R'], ['e1']);
    s.copySelection();
    const pasted = s.pasteClip();
    s.select([...pasted, 'E'], ['e1']);
    s.undo();
    expect([...s.getState().selectedNodes]).toEqual(['E']);
    expect([...s.getState().selectedEdges]).toEqual(['e1']);
    const kept = s.getState().selectedNodes;
    s.redo();
    expect(s.getState().selectedNodes).toBe(kept);
    s.clearSelection();
    expect(s.getState().selectedNodes.size + s.getState().selectedEdges.size).toBe(0);
  });
});

describe('the notice of a refused connection', () => {
  it('goes once a connection is made, and only then', () => {
    const s = new EditorStore(demo());
    s.select([], ['e5']);
    s.removeSelection();
    expect(s.connect({ node: 'T_hair', port: 'mask' }, { node: 'out', port: 'image' }).ok).toBe(false);
    expect(s.getState().notice).toMatch(/^Not connected: /);
    s.moveNodes({ E: { x: 5, y: 5 } });
    expect(s.getState().notice).toMatch(/^Not connected: /);
    expect(s.connect({ node: 'R', port: 'image' }, { node: 'out', port: 'image' }).ok).toBe(true);
    expect(s.getState().notice).toBe('');
    // Another notice is not the connection's to clear.
    s.notify('Saved /x.mgproj.json');
    s.select([], [s.project.graph.edges.at(-1)!.id]);
    s.removeSelection();
    s.connect({ node: 'R', port: 'image' }, { node: 'out', port: 'image' });
    expect(s.getState().notice).toBe('Saved /x.mgproj.json');
  });
});

describe('layout and placement', () => {
  it('lays loose nodes out in a grid, nothing overlapping, wired ones left to right', () => {
    let p = demo();
    const loose = ['transformer', 'transformer', 'discriminator', 'mask-sum', 'noise-input', 'generator', 'dataset', 'encoder', 'condition-input'];
    const s = new EditorStore(p);
    for (const k of loose) s.addNode(k, { x: 0, y: 0 });
    p = autoLayout(s.project);
    expect(overlaps(p)).toBe(0);
    for (const e of p.graph.edges) expect(p.layout.nodes[e.to.node]!.x).toBeGreaterThan(p.layout.nodes[e.from.node]!.x);
    const xs = new Set(s.project.graph.nodes.filter((n) => !demo().graph.nodes.some((d) => d.id === n.id)).map((n) => p.layout.nodes[n.id]!.x));
    expect(xs.size).toBeGreaterThan(1);
    // Measured sizes count: a tall node pushes the next one down.
    const tall = autoLayout(s.project, (id) => (id === 'T1' ? { width: 240, height: 900 } : undefined));
    const below = tall.graph.nodes.filter((n) => tall.layout.nodes[n.id]!.y > tall.layout.nodes.T1!.y && tall.layout.nodes[n.id]!.x === tall.layout.nodes.T1!.x);
    for (const n of below) expect(tall.layout.nodes[n.id]!.y).toBeGreaterThanOrEqual(tall.layout.nodes.T1!.y + 900);
  });

  it('puts a node added again and again at the same spot beside the others, and a drop exactly where it was dropped', () => {
    const s = new EditorStore(emptyProject('t'));
    for (let i = 0; i < 6; i++) s.addNodeNear('transformer', { x: 100, y: 100 });
    expect(s.project.layout.nodes.T1).toEqual({ x: 100, y: 100 });
    expect(overlaps(s.project)).toBe(0);
    s.addNode('encoder', { x: 103, y: 107 });
    expect(s.project.layout.nodes.E1).toEqual({ x: 103, y: 107 });
    expect(freeSpot(emptyProject('e'), { x: 7, y: 9 }, { width: 240, height: 200 })).toEqual({ x: 7, y: 9 });
  });
});

describe('palette search', () => {
  const titles = (q: string) => searchKinds(CATALOGUE, q).map((d) => d.kind);
  it('ranks by name: start, word start, inside; help only when no name matches', () => {
    expect(titles('transf')).toEqual(['transformer']);
    expect(titles('ma').slice(0, 2)).toEqual(['mask-preview', 'mask-sum']);
    expect(titles('ma')).toContain('image-input');
    expect(titles('loss')).toEqual(['adversarial-loss', 'classification-loss', 'reconstruction-loss', 'cycle-loss']);
    expect(titles('gaussian')).toEqual(['noise-input']);
    expect(titles('')).toHaveLength(CATALOGUE.length);
    expect(titles('zzz')).toEqual([]);
  });
});

describe('Run', () => {
  it('says when there is nothing to run', () => {
    expect(nothingToRun(emptyProject('e').graph)).toMatch(/^Nothing to run: the graph is empty/);
    const g = demo().graph;
    expect(nothingToRun(g)).toBeNull();
    const outputs = new Set(['out', 'mask_view']);
    expect(nothingToRun({ nodes: g.nodes.filter((n) => !outputs.has(n.id)), edges: g.edges.filter((e) => !outputs.has(e.to.node)) })).toMatch(/no output node/);
  });
});

describe('Save as', () => {
  function controller(documentsDir?: string) {
    const askPath = vi.fn(async (_m: string, suggested: string | null) => suggested);
    const api = {
      ...noPresetOrBatchCalls,
      info: async () => ({ version: '0', host: 'test' as const, nativeDialogs: false, ...(documentsDir ? { documentsDir } : {}) }),
      openDemo: async () => ({ path: null, project: demo(), baseDir: '/install/assets/demo', notes: [] }),
      loadRecovery: async () => null,
      saveRecovery: async () => undefined,
      listRecent: async () => [],
      listPresets: async () => [],
      saveProject: vi.fn(async (path: string) => ({ path })),
      onRunEvent: (_l: (e: RunEvent) => void) => () => {},
    } as unknown as StudioBridge;
    const store = new EditorStore();
    return { c: new StudioController(store, api, { askPath, confirmDiscard: () => true }), askPath, store, api };
  }

  it("proposes the user's documents folder for an untitled project, and its own folder once saved", async () => {
    const { c, askPath, store } = controller('/home/ada/Documents');
    await c.start();
    c.stop();
    await c.saveAs();
    expect(askPath).toHaveBeenLastCalledWith('save', '/home/ada/Documents/demo-hair-translation.mgproj.json', []);
    expect(store.getState().path).toBe('/home/ada/Documents/demo-hair-translation.mgproj.json');
    await c.saveAs();
    expect(askPath).toHaveBeenLastCalledWith('save', '/home/ada/Documents/demo-hair-translation.mgproj.json', []);
  });

  it('puts a bare name typed in the dialog into the proposed folder', async () => {
    const { c, askPath, api } = controller('/home/ada');
    await c.start();
    c.stop();
    askPath.mockResolvedValueOnce('mine.mgproj.json');
    await c.saveAs();
    expect(api.saveProject).toHaveBeenCalledWith('/home/ada/mine.mgproj.json', expect.anything());
  });

  it('joins and splits paths of either kind', () => {
    expect(folderOf('/a/b/c.json')).toBe('/a/b');
    expect(folderOf('/c.json')).toBe('/');
    expect(folderOf('C:\\Users\\ada\\x.json')).toBe('C:\\Users\\ada');
    expect(joinPath('C:\\Users\\ada', 'x.json')).toBe('C:\\Users\\ada\\x.json');
    expect(joinPath('/', 'x.json')).toBe('/x.json');
    expect(isAbsolutePath('D:/x')).toBe(true);
    expect(absoluteIn('/home', 'sub/x.json')).toBe('/home/sub/x.json');
    expect(absoluteIn('/home', '/tmp/x.json')).toBe('/tmp/x.json');
    expect(absoluteIn(null, 'x.json')).toBe('x.json');
  });
});
