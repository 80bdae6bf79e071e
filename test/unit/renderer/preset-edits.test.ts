import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { RunEvent, StudioBridge } from '../../../core/api';
import { type Project, analyze, analyzeWithPresets, loadProject, makePreset } from '../../../core/graph';
import { StudioController } from '../../../renderer/app/controller';
import { EditorStore } from '../../../renderer/state/editor-store';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';

const demo = (): Project => {
  const r = loadProject(readFileSync(join(import.meta.dirname, '../../../test/fixtures/demo/demo.mgproj.json'), 'utf8'));
  if (!r.ok) throw new Error('demo does not load');
  return r.value.value;
};

describe('preset nodes in the editor', () => {
  it('a selection becomes one preset node, wired in its place; opening it up gives the same graph back, undoably', () => {
    const p = demo();
    const preset = makePreset(p.graph, { name: 'Hair', nodes: ['c_hair', 'T_hair'], params: [{ node: 'T_hair', param: 'resBlocks' }], layout: p.layout.nodes });
    const s = new EditorStore(p);
    s.select(['c_hair', 'T_hair'], []);
    s.removeSelection();
    const id = s.addPreset(preset, { x: 300, y: 100 });
    expect(id).toBe('P1');
    expect(s.connect({ node: 'E', port: 'feature' }, { node: id, port: 'T_hair.feature' }).ok).toBe(true);
    expect(s.connect({ node: id, port: 'T_hair.feature' }, { node: 'R', port: 'feature' }).ok).toBe(true);
    expect(s.connect({ node: id, port: 'T_hair.mask' }, { node: 'mask_view', port: 'mask' }).ok).toBe(true);
    // A refused connection through the preset's port still says why.
    const refused = s.connect({ node: 'photos', port: 'image' }, { node: id, port: 'T_hair.feature' });
    expect(refused.ok).toBe(false);
    expect(analyzeWithPresets(s.project.graph).ok).toBe(true);
    s.setParam(id, 'T_hair.resBlocks', 3);
    const withNode = s.project;

    const inner = s.openUp(id);
    expect(inner.sort()).toEqual(['T_hair', 'c_hair']);
    const g = s.project.graph;
    expect(g.nodes.some((n) => n.kind === 'preset')).toBe(false);
    expect(g.nodes.find((n) => n.id === 'T_hair')!.params.resBlocks).toBe(3);
    expect(analyze(g).ok).toBe(true);
    const ends = (e: { from: { node: string }; to: { node: string } }) => `${e.from.node}->${e.to.node}`;
    expect(g.edges.map(ends).sort()).toEqual(p.graph.edges.map(ends).sort());
    s.undo();
    expect(s.project).toBe(withNode);
  });

  it('opens up under fresh ids when the inner ids are taken', () => {
    const p = demo();
    const preset = makePreset(p.graph, { name: 'All', layout: p.layout.nodes });
    const s = new EditorStore(p);
    const id = s.addPreset(preset, { x: 0, y: 0 });
    const ids = s.openUp(id);
    expect(ids).toHaveLength(7);
    expect(new Set(s.project.graph.nodes.map((n) => n.id)).size).toBe(14);
    expect(ids.every((x) => s.project.layout.nodes[x])).toBe(true);
  });
});

describe('controller: batch runs and PNG drops', () => {
  function started() {
    let emit: (e: RunEvent) => void = () => {};
    const api = {
      ...noPresetOrBatchCalls,
      info: async () => ({ version: '0', host: 'test' as const, nativeDialogs: false }),
      loadRecovery: async () => null,
      openDemo: async () => ({ path: null, project: demo(), baseDir: '/demo', notes: [] }),
      startBatch: vi.fn(async () => {
        emit({ type: 'batch-progress', runId: 'b1', done: 1, total: 4, imagesPerSecond: 2, etaSeconds: 1.5 });
        return { runId: 'b1' };
      }),
      cancelBatch: vi.fn(async () => undefined),
      readProvenance: vi.fn(async (png: string) => {
        if (png !== 'R09PRA==') throw new Error('the image carries no ModularGAN provenance');
        return { graph: demo().graph, seed: 3, createdAt: '2026-01-01T00:00:00Z', app: 'ModularGAN Studio', input: 'face-1.png' };
      }),
      onRunEvent: (l: (e: RunEvent) => void) => {
        emit = l;
        return () => {};
      },
    };
    const store = new EditorStore();
    const c = new StudioController(store, api as unknown as StudioBridge, { askPath: async () => null, confirmDiscard: () => true });
    return { c, store, api, emit: (e: RunEvent) => emit(e) };
  }

  it('follows a batch: early progress, images/s and ETA, cancel, and the final report', async () => {
    const { c, store, api, emit } = started();
    await c.start();
    c.stop();
    await c.startBatch({ input: '/in', output: '/out', skipExisting: true });
    expect(api.startBatch).toHaveBeenCalledWith(expect.objectContaining({ input: '/in', output: '/out', skipExisting: true, baseDir: '/demo' }));
    expect(store.getState().batch).toMatchObject({ id: 'b1', status: 'running', done: 1, total: 4, imagesPerSecond: 2, etaSeconds: 1.5 });
    await c.cancelBatch();
    expect(api.cancelBatch).toHaveBeenCalledWith('b1');
    const report = { input: '/in', output: '/out', finished: false, cancelled: true, processed: 1, alreadyDone: 0, written: 1, skipped: [{ file: 'x.png', reason: 'not an image file' }], failed: [], engine: 'cpu', seconds: 1, imagesPerSecond: 1, reportPath: '/out/batch-report.json' };
    emit({ type: 'batch-finished', runId: 'other', report });
    expect(store.getState().batch.status).toBe('running');
    emit({ type: 'batch-finished', runId: 'b1', report });
    expect(store.getState().batch).toMatchObject({ status: 'cancelled', report });
  });

  it('opens the graph a dropped PNG carries as an untitled project, undoably, or says why not', async () => {
    const { c, store } = started();
    await c.start();
    c.stop();
    store.addNode('noise-input', { x: 0, y: 0 });
    const before = store.project;
    await c.openFromPng('R09PRA==', 'face-1.png');
    expect(store.project.name).toBe('From face-1.png');
    expect(store.project.graph).toEqual(demo().graph);
    expect(store.getState().path).toBeNull();
    store.undo();
    expect(store.project).toBe(before);
    await c.openFromPng('QkFE', 'plain.png');
    expect(store.getState().notice).toBe('plain.png: no graph to restore: the image carries no ModularGAN provenance');
    expect(store.project).toBe(before);
  });
});
