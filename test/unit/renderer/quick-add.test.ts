// Quick add without a page: what it offers for a dropped wire (only kinds with a port of its
// type, those that connect as they are first, sized to the wire), ranking by name, and adding
// with the connection as one project.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Project, analyze, loadProject } from '../../../core/graph';
import { EditorStore } from '../../../renderer/state/editor-store';
import { addChoice, matchRank, quickAddChoices, rankChoices } from '../../../renderer/state/quick-add';

const demo = (): Project => {
  const r = loadProject(readFileSync(join(import.meta.dirname, '../../../test/fixtures/demo/demo.mgproj.json'), 'utf8'));
  if (!r.ok) throw new Error('demo does not load');
  return r.value.value;
};

describe('quick add', () => {
  it('on empty canvas offers every kind, or the kinds it is limited to', () => {
    expect(quickAddChoices(demo(), [], null).map((c) => c.kind)).toContain('dataset');
    expect(quickAddChoices(demo(), [], null, ['transformer']).map((c) => c.kind)).toEqual(['transformer']);
  });

  it('for a dropped wire offers the kinds with a port of its type on the other side', () => {
    const mask = quickAddChoices(demo(), [], { node: 'T_hair', port: 'mask', side: 'output' });
    expect(mask.map((c) => [c.kind, c.port])).toEqual([
      ['mask-preview', 'mask'],
      ['mask-sum', 'masks'],
    ]);
    // Into R's feature input: what gives a feature map, sized to the 256-channel, 16×16 map it needs.
    const feeding = quickAddChoices(demo(), [], { node: 'R', port: 'feature', side: 'input' });
    const fits = feeding.filter((c) => c.fits).map((c) => c.kind);
    expect(fits).toEqual(expect.arrayContaining(['encoder', 'transformer']));
    // A discriminator's patch map is a feature map too, but of one channel: offered last, as not fitting.
    expect(feeding.at(-1)).toMatchObject({ kind: 'discriminator', fits: false });
    expect(feeding.find((c) => c.kind === 'encoder')!.params).toEqual({ baseChannels: 64, imageSize: 64 });
  });

  it('ranks by name, never by help text', () => {
    const all = quickAddChoices(demo(), [], null);
    expect(rankChoices(all, 'transf').map((c) => c.kind)).toEqual(['transformer']);
    expect(rankChoices(all, 'mask').map((c) => c.kind)).toEqual(['mask-preview', 'mask-sum']);
    expect(rankChoices(all, 'loss')[0]!.kind).toBe('adversarial-loss');
    expect(matchRank({ title: 'Feature cycle loss', kind: 'cycle-loss' }, 'cyc')).toBe(1);
    expect(matchRank({ title: 'Image input', kind: 'image-input' }, 'zzz')).toBe(-1);
  });

  it('adds and connects in one project, valid at once', () => {
    const p = demo();
    const from = { node: 'c_hair', port: 'condition', side: 'output' } as const;
    const t = quickAddChoices(p, [], from).find((c) => c.kind === 'transformer')!;
    expect(t.fits).toBe(true);
    const r = addChoice(p, t, { x: 100, y: 50 }, from);
    expect(r.refused).toBeNull();
    expect(r.project.layout.nodes[r.id]).toEqual({ x: 100, y: 50 });
    expect(r.project.graph.edges.some((e) => e.from.node === 'c_hair' && e.to.node === r.id && e.to.port === 'condition')).toBe(true);
    expect(analyze(r.project.graph).diagnostics.filter((d) => d.node === r.id && d.code !== 'missing-input' && d.severity === 'error')).toEqual([]);
  });
});

describe('editor store: duplicate and bypass', () => {
  it('duplicates the selection beside it, with the edges among it, leaving the clipboard alone', () => {
    const s = new EditorStore(demo());
    s.select(['c_hair', 'T_hair'], []);
    const added = s.duplicate();
    expect(added).toHaveLength(2);
    expect(s.project.graph.edges.filter((e) => added.includes(e.from.node) && added.includes(e.to.node))).toHaveLength(1);
    expect(s.pasteClip()).toEqual([]);
    s.undo();
    expect(s.project).toEqual(demo());
  });

  it('bypasses transformers only, as one undoable step; Ctrl+B brings them back', () => {
    const s = new EditorStore(demo());
    s.select(['T_hair', 'E'], []);
    expect(s.toggleBypassSelection()).toBe(1);
    expect(s.project.graph.nodes.find((n) => n.id === 'T_hair')!.bypassed).toBe(true);
    expect(s.project.graph.nodes.find((n) => n.id === 'E')!.bypassed).toBeUndefined();
    expect(s.toggleBypassSelection()).toBe(1);
    expect('bypassed' in s.project.graph.nodes.find((n) => n.id === 'T_hair')!).toBe(false);
    s.undo();
    expect(s.project.graph.nodes.find((n) => n.id === 'T_hair')!.bypassed).toBe(true);
    s.select(['E'], []);
    expect(s.toggleBypassSelection()).toBe(0);
    expect(s.getState().notice).toMatch(/Only a transformer can be bypassed/);
  });
});
