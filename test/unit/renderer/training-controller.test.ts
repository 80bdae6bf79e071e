// The training view's controller with a fake engine: training-graph edits reach the
// project (and undo), structural ones too (a transformer added, removed, remapped) and the
// graph follows; refused edits leave the project as it was and say why; events that overtake
// startTraining's reply are kept, losses become curve series, checkpoints load into the
// editor; the add-a-transformer flow copies the frozen weights; smoothing.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { CheckpointInfo, RunEvent, StudioBridge } from '../../../core/api';
import { COLOR_MNIST, type Project, analyze, analyzeTrainingGraph, loadProject, transformerFor } from '../../../core/graph';
import { StudioController } from '../../../renderer/app/controller';
import { EditorStore } from '../../../renderer/state/editor-store';
import { smooth } from '../../../renderer/training/smoothing';
import { TrainingController, withNewTransformer } from '../../../renderer/training/training-controller';
import { appendLosses, EMPTY_SERIES } from '../../../renderer/training/training-state';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';
import { TINY_PROJECT } from '../../helpers/training';

const tiny = (): Project => {
  const r = loadProject(readFileSync(TINY_PROJECT, 'utf8'));
  if (!r.ok) throw new Error('tiny project does not load');
  return r.value.value;
};
const ckpt: CheckpointInfo = { id: 'iter-000004', iteration: 4, createdAt: '2026-01-01T00:00:00Z', losses: { d_total: 1 }, best: true, path: '/p/tiny.train/checkpoints/iter-000004' };

function setup() {
  let emit: (e: RunEvent) => void = () => {};
  const api = {
    ...noPresetOrBatchCalls,
    info: async () => ({ version: '0', host: 'test' as const, nativeDialogs: false }),
    saveProject: vi.fn(async (path: string) => ({ path })),
    saveRecovery: async () => undefined,
    listRecent: async () => [],
    startTraining: vi.fn(async () => {
      emit({ type: 'training-progress', runId: 't1', iteration: 1, total: 8, iterationsPerSecond: 2, etaSeconds: 3.5, lr: 1e-3, losses: { d_total: 2 } });
      return { runId: 't1' };
    }),
    pauseTraining: vi.fn(async () => undefined),
    stopTraining: vi.fn(async () => undefined),
    listCheckpoints: vi.fn(async () => [ckpt]),
    loadCheckpointIntoGraph: vi.fn(async () => ({ ...tiny().graph, nodes: tiny().graph.nodes.map((n) => ({ ...n, params: { ...n.params, weights: `/ck/${n.id}.mgw` } })) })),
    freezeCheckpoint: vi.fn(async () => ({ ...tiny().graph, nodes: tiny().graph.nodes.map((n) => ({ ...n, params: { ...n.params, weights: `tiny-T_style.frozen/${n.id}.mgw` } })) })),
    onRunEvent: (l: (e: RunEvent) => void) => {
      emit = l;
      return () => {};
    },
  } as unknown as StudioBridge;
  const store = new EditorStore();
  store.load(tiny(), '/p/tiny.mgproj.json', '/p');
  const studio = new StudioController(store, api, { askPath: async () => null, confirmDiscard: () => true });
  const c = new TrainingController(studio);
  c.start();
  return { c, store, api, emit: (e: RunEvent) => emit(e) };
}

describe('TrainingController', () => {
  it('edits of the training graph go into the project, one undo step each', () => {
    const { c, store } = setup();
    c.show('training');
    expect(c.graphStore.project.graph.nodes.some((n) => n.id === 'D_T_color')).toBe(true);
    expect(analyze(c.graphStore.project.graph).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(store.dirty).toBe(false);
    c.graphStore.setParam('cls_T_color', 'weight', 3);
    expect(store.project.training!.lambdaCls).toBe(3);
    store.undo();
    expect(store.project.training!.lambdaCls).toBe(1);
  });

  it('a transformer added in the training graph goes into the project with its D and losses; undo takes it out', () => {
    const { c, store } = setup();
    c.show('training');
    const g = c.graphStore;
    g.addNode('transformer', { x: 0, y: 0 }, transformerFor(g.project.graph, COLOR_MNIST.style));
    expect(store.project.graph.nodes.find((n) => n.id === 'T_style')).toBeDefined();
    expect(store.project.graph.edges.find((e) => e.to.node === 'R')!.from.node).toBe('T_style');
    const ids = g.project.graph.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['T_style', 'D_T_style', 'cls_T_style', 'adv_T_style']));
    expect(g.getState().selectedNodes).toEqual(new Set(['T_style']));
    expect(analyzeTrainingGraph(g.project.graph).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    store.undo();
    expect(store.project.graph.nodes.some((n) => n.id === 'T_style')).toBe(false);
    expect(g.project.graph.nodes.some((n) => n.id === 'D_T_style')).toBe(false);
  });

  it('removing a transformer takes its D and losses; remapping one regenerates them', () => {
    const { c, store } = setup();
    c.show('training');
    const g = c.graphStore;
    g.select(['T_color'], []);
    g.removeSelection();
    expect(store.project.graph.nodes.some((n) => n.id === 'T_color')).toBe(false);
    expect(g.project.graph.nodes.filter((n) => n.id.includes('T_color'))).toEqual([]);
    c.mapTransformer('T_background', COLOR_MNIST.style);
    expect(store.project.graph.nodes.find((n) => n.id === 'T_background')!.params.attributes).toEqual([COLOR_MNIST.style]);
    expect(g.project.graph.nodes.find((n) => n.id === 'D_T_background')!.params.attributes).toEqual([COLOR_MNIST.style]);
  });

  it('an edit the project cannot hold is refused, naming the node; the graph shows the project again', () => {
    const { c, store } = setup();
    c.show('training');
    const before = store.project;
    c.graphStore.select(['D_T_color'], []);
    c.graphStore.removeSelection();
    expect(store.project).toBe(before);
    expect(c.store.getState().message).toMatch(/Not applied: Discriminator 'D_T_color' cannot be removed/);
    expect(store.getState().notice).toMatch(/D_T_color/);
    expect(c.graphStore.project.graph.nodes.some((n) => n.id === 'D_T_color')).toBe(true);
  });

  it('starts the saved project, keeps events that overtake the reply, builds curve series', async () => {
    const { c, api, emit } = setup();
    await c.startTraining();
    expect(api.startTraining).toHaveBeenCalledWith({ projectPath: '/p/tiny.mgproj.json' });
    expect(c.store.getState()).toMatchObject({ runId: 't1', status: 'running', iteration: 1, lr: 1e-3 });
    emit({ type: 'training-progress', runId: 't1', iteration: 2, total: 8, iterationsPerSecond: 2, etaSeconds: 3, lr: 1e-3, losses: { d_total: 1, g_total: 5 } });
    emit({ type: 'training-progress', runId: 'other', iteration: 9, total: 8, iterationsPerSecond: 2, etaSeconds: 3, lr: 1e-3, losses: { d_total: 1 } });
    expect(c.store.getState().series).toEqual({ x: [1, 2], terms: { d_total: [2, 1], g_total: [null, 5] } });
    emit({ type: 'training-state', runId: 't1', state: 'paused' });
    expect(c.store.getState().status).toBe('paused');
    emit({ type: 'training-sample', runId: 't1', iteration: 2, png: 'data:image/png;base64,AA==' });
    expect(c.store.getState().sample?.iteration).toBe(2);
    // The trainer's notes (a memory warning, skipped files) stay visible, the newest 20.
    for (let i = 0; i < 25; i++) emit({ type: 'training-note', runId: 't1', message: `note ${i}` });
    expect(c.store.getState().notes).toHaveLength(20);
    expect(c.store.getState().notes.at(-1)).toBe('note 24');
    emit({ type: 'training-finished', runId: 't1', status: 'stopped', completed: 2 });
    expect(c.store.getState().status).toBe('stopped');
  });

  it('offers PyTorch only where the engine found it, and starts it with its processes; its run has no pretend pause', async () => {
    const { c, api } = setup();
    const engines = vi.fn(async () => [
      { name: 'builtin' as const, available: true, reason: 'here', maxProcesses: 1 },
      { name: 'torch' as const, available: false, reason: 'no Python here imports torch', maxProcesses: 1, cannotPause: 'its own process' },
    ]);
    (api as unknown as { trainingEngines: typeof engines }).trainingEngines = engines;
    c.show('training');
    await vi.waitFor(() => expect(c.store.getState().engines).toHaveLength(2));
    expect(c.setEngine('torch')).toBe('Not available: no Python here imports torch');
    expect(c.store.getState().engine).toBe('builtin');
    expect(c.setProcesses(2)).toBe('This engine trains in one process here (here)');

    // Asked again when the view opens while PyTorch is missing: it was installed meanwhile.
    engines.mockResolvedValueOnce([
      { name: 'builtin', available: true, reason: 'here', maxProcesses: 1 },
      { name: 'torch', available: true, reason: 'PyTorch 2.5 in /usr/bin/python3', maxProcesses: 64, cannotPause: 'its own process' },
    ]);
    c.show('training');
    await vi.waitFor(() => expect(c.store.getState().engines[1]!.available).toBe(true));
    expect(c.setEngine('torch')).toBeNull();
    expect(c.setProcesses(0)).toBe('Processes must be a whole number from 1 to 64, not 0');
    expect(c.setProcesses(NaN)).toMatch(/not empty/);
    expect(c.setProcesses(4)).toBeNull();
    await c.startTraining();
    expect(api.startTraining).toHaveBeenCalledWith({ projectPath: '/p/tiny.mgproj.json', restart: true, engine: 'torch', nproc: 4 });
    expect(c.store.getState().cannotPause).toBe('its own process');
    c.show('training');
    expect(engines).toHaveBeenCalledTimes(2); // all found: not asked again
  });

  it('loads a checkpoint into the editor graph and shows the editor', async () => {
    const { c, store } = setup();
    c.show('training');
    await c.loadCheckpoint('iter-000004');
    expect(store.project.graph.nodes.find((n) => n.id === 'G')!.params.weights).toBe('/ck/G.mgw');
    expect(c.store.getState().view).toBe('editor');
    store.undo();
    expect(store.project.graph.nodes.find((n) => n.id === 'G')!.params.weights).toBeUndefined();
  });

  it('adds a transformer before R, freezes the rest on copied weights, and saves a new project beside this one', async () => {
    const { c, store, api } = setup();
    await c.addTransformer({ name: 'style', kind: 'onehot', values: ['flat', 'stroke'] }, 'iter-000004');
    expect(api.freezeCheckpoint).toHaveBeenCalledWith('/p/tiny.mgproj.json', 'iter-000004', '/p/tiny-T_style.mgproj.json');
    expect(api.saveProject).toHaveBeenCalledWith('/p/tiny-T_style.mgproj.json', expect.anything());
    const p = store.project;
    expect(store.getState().path).toBe('/p/tiny-T_style.mgproj.json');
    expect(p.training!.frozen.sort()).toEqual(['G', 'R', 'T_background', 'T_color']);
    expect(p.graph.edges.find((e) => e.to.node === 'R')!.from.node).toBe('T_style');
    expect(p.graph.edges.find((e) => e.to.node === 'T_style' && e.to.port === 'feature')!.from.node).toBe('T_background');
    expect(p.graph.nodes.find((n) => n.id === 'T_color')!.params.weights).toBe('tiny-T_style.frozen/T_color.mgw');
  });

  it('withNewTransformer refuses a graph without a reconstructor', () => {
    const p = tiny();
    expect(() => withNewTransformer({ ...p, graph: { ...p.graph, nodes: p.graph.nodes.filter((n) => n.id !== 'R') } }, { name: 'x', kind: 'binary' })).toThrow(/no reconstructor/);
  });
});

describe('loss series and smoothing', () => {
  it('a term first seen later is padded with nulls', () => {
    const s = appendLosses(appendLosses(EMPTY_SERIES, 1, { a: 1 }), 2, { a: 2, b: 3 });
    expect(s.terms).toEqual({ a: [1, 2], b: [null, 3] });
  });
  it('smooths with a debiased moving average, skipping gaps', () => {
    expect(smooth([1, null, 1, 1], 0.9)).toEqual([1, null, expect.closeTo(1, 10), expect.closeTo(1, 10)]);
    const s = smooth([0, 10], 0.5) as number[];
    expect(s[1]).toBeCloseTo((0.5 * 0 * 0.5 + 0.5 * 10) / (1 - 0.25), 10);
    expect(smooth([3, 4], 0)).toEqual([3, 4]);
  });
});
