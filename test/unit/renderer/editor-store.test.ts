import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Project, analyze, loadProject } from '../../../core/graph';
import { autoLayout } from '../../../renderer/state/auto-layout';
import { EditorStore, handleKey } from '../../../renderer/state/editor-store';

const demo = (): Project => {
  const r = loadProject(readFileSync(join(import.meta.dirname, '../../../test/fixtures/demo/demo.mgproj.json'), 'utf8'));
  if (!r.ok) throw new Error('demo does not load');
  return r.value.value;
};

describe('editor store', () => {
  it('adds, connects and undoes every edit, and knows when it is dirty', () => {
    const s = new EditorStore(demo());
    const original = s.project;
    const t = s.addNode('transformer', { x: 10, y: 20 });
    expect(t).toBe('T1');
    expect(s.dirty).toBe(true);
    expect(s.connect({ node: 'E', port: 'feature' }, { node: t, port: 'feature' }).ok).toBe(true);
    // R's input is single: a new edge into it replaces the old one.
    expect(s.connect({ node: t, port: 'feature' }, { node: 'R', port: 'feature' }).ok).toBe(true);
    expect(s.project.graph.edges.filter((e) => e.to.node === 'R')).toHaveLength(1);
    s.undo();
    s.undo();
    s.undo();
    expect(s.project).toBe(original);
    expect(s.dirty).toBe(false);
    s.redo();
    expect(s.project.graph.nodes.some((n) => n.id === 'T1')).toBe(true);
  });

  it('refuses a connection that does not fit, with its reason, and changes nothing', () => {
    const s = new EditorStore(demo());
    const before = s.project;
    const r = s.connect({ node: 'T_hair', port: 'mask' }, { node: 'out', port: 'image' });
    expect(r.ok).toBe(false);
    expect(s.project).toBe(before);
    expect(s.getState().notice).toMatch(/^Not connected: .*takes an image.*gives a mask/);
  });

  it('lights up exactly the handles that accept a dragged connection', () => {
    const s = new EditorStore(demo());
    s.startConnecting('T_hair', 'output', 'mask');
    const accepting = s.getState().accepting!;
    expect(accepting.has(handleKey('mask_view', 'input', 'mask'))).toBe(false); // already connected from there
    expect(accepting.has(handleKey('out', 'input', 'image'))).toBe(false);
    s.startConnecting('E', 'output', 'feature');
    expect(s.getState().accepting!.has(handleKey('R', 'input', 'feature'))).toBe(true);
    expect(s.getState().accepting!.has(handleKey('E', 'input', 'image'))).toBe(false); // a cycle
    s.stopConnecting();
    expect(s.getState().accepting).toBeNull();
  });

  it('groups a drag into one undo step and keeps the graph object when only layout changes', () => {
    const s = new EditorStore(demo());
    const graph = s.project.graph;
    for (let x = 0; x < 20; x++) s.moveNodes({ E: { x, y: 0 } });
    s.endGroup();
    expect(s.project.graph).toBe(graph); // canConnect's cache stays valid
    s.undo();
    expect(s.project.layout.nodes.E).toEqual(demo().layout.nodes.E);
  });

  it('copies and pastes nodes with the edges among them under new ids, and deletes the selection', () => {
    const s = new EditorStore(demo());
    s.select(['c_hair', 'T_hair'], []);
    expect(s.copySelection()).toBe(2);
    const pasted = s.pasteClip();
    expect(pasted).toEqual(['condition-input1', 'T1']);
    expect(s.project.graph.edges.some((e) => e.from.node === 'condition-input1' && e.to.node === 'T1')).toBe(true);
    expect(s.project.layout.nodes.T1).toEqual({ x: demo().layout.nodes.T_hair!.x + 40, y: demo().layout.nodes.T_hair!.y + 40 });
    s.select(['T_hair'], []);
    s.removeSelection();
    expect(s.project.graph.edges.some((e) => e.from.node === 'T_hair' || e.to.node === 'T_hair')).toBe(false);
    expect(analyze(s.project.graph).diagnostics.some((d) => d.node === 'R' && d.code === 'missing-input')).toBe(true);
    s.undo();
    expect(s.project.graph.edges.some((e) => e.from.node === 'T_hair' && e.to.node === 'R')).toBe(true);
  });

  it('merges typing in a parameter field into one step', () => {
    const s = new EditorStore(demo());
    s.setParam('T_hair', 'resBlocks', 1);
    s.setParam('T_hair', 'resBlocks', 12);
    s.endGroup();
    s.setParam('T_hair', 'resBlocks', 3);
    s.undo();
    expect(s.project.graph.nodes.find((n) => n.id === 'T_hair')!.params.resBlocks).toBe(12);
    s.undo();
    expect(s.project.graph.nodes.find((n) => n.id === 'T_hair')!.params.resBlocks).toBe(2);
  });
});

describe('automatic layout', () => {
  it('puts every node right of the nodes it reads from, without overlaps', () => {
    const p = autoLayout(demo());
    const at = p.layout.nodes;
    for (const e of p.graph.edges) expect(at[e.to.node]!.x).toBeGreaterThan(at[e.from.node]!.x);
    const spots = new Set(Object.values(at).map((xy) => `${xy.x},${xy.y}`));
    expect(spots.size).toBe(p.graph.nodes.length);
  });
});
