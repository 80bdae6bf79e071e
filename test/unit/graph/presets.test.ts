import { describe, expect, it } from 'vitest';
import { validateGraph } from '../../../core/graph/validate';
import { bumpVersion, makePreset, presetAsGraph } from '../../../core/graph/presets';
import { translationGraph } from '../../helpers/graphs';

describe('makePreset', () => {
  const g = translationGraph(64, 32);

  it('exposes the ports that cross the border of a selection', () => {
    const p = makePreset(g, { name: 'Hair then smile', nodes: ['T1', 'c1', 'T2', 'c2'], params: [{ node: 'T1', param: 'resBlocks', name: 'Hair blocks' }] });
    expect(p.graph.nodes.map((n) => n.id)).toEqual(['c1', 'T1', 'c2', 'T2']);
    expect(p.graph.edges.map((e) => e.id)).toEqual(['e3', 'e4', 'e5']);
    expect(p.exposed.inputs).toEqual([{ node: 'T1', port: 'feature' }]);
    expect(p.exposed.outputs).toEqual([{ node: 'T2', port: 'feature' }]);
    expect(p.exposed.params).toEqual([{ node: 'T1', param: 'resBlocks', name: 'Hair blocks' }]);
    expect(p).toMatchObject({ format: 'modulargan-preset', version: 1, presetVersion: '1.0.0' });
  });

  it('exposes open inputs and unused outputs of a whole graph, and refuses foreign nodes', () => {
    const p = makePreset({ nodes: g.nodes.filter((n) => n.id !== 'img' && n.id !== 'out'), edges: g.edges.filter((e) => e.from.node !== 'img' && e.to.node !== 'out') }, { name: 'E-T-T-R' });
    expect(p.exposed.inputs).toEqual([{ node: 'E', port: 'image' }]);
    expect(p.exposed.outputs).toEqual([{ node: 'R', port: 'image' }]);
    expect(() => makePreset(g, { name: 'x', nodes: ['T1', 'ghost'] })).toThrow('the selection names nodes that are not in the graph: ghost');
    expect(() => makePreset(g, { name: 'x', nodes: ['T1'], params: [{ node: 'E', param: 'imageSize' }] })).toThrow(/not in the preset/);
  });

  it('runs on its own once its image ports get input and output nodes', () => {
    const p = makePreset({ nodes: g.nodes.filter((n) => n.id !== 'img' && n.id !== 'out'), edges: g.edges.filter((e) => e.from.node !== 'img' && e.to.node !== 'out') }, { name: 'E-T-T-R' });
    const runnable = presetAsGraph(p);
    const a = validateGraph({ ...runnable, nodes: runnable.nodes.map((n) => (n.kind === 'image-input' ? { ...n, params: { path: 'x' } } : n)) });
    expect(a.diagnostics).toEqual([]);
  });

  it('bumps versions', () => {
    expect(bumpVersion('1.2.3')).toBe('1.2.4');
    expect(bumpVersion('1.2.3', 'minor')).toBe('1.3.0');
    expect(bumpVersion('1.2.3', 'major')).toBe('2.0.0');
  });
});
