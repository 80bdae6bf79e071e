import { describe, expect, it } from 'vitest';
import { analyze } from '../../../core/graph/connect';
import type { Graph } from '../../../core/graph/graph';
import { makePreset } from '../../../core/graph/presets';
import {
  PRESET_NODE_KIND,
  analyzeWithPresets,
  canConnectWithPresets,
  expandPresetNodes,
  makePresetNode,
  nodeDefOf,
} from '../../../core/graph/preset-node';
import { translationGraph } from '../../helpers/graphs';

const g = translationGraph(64, 32);
// The two transformers and their conditions as one preset, the hair one's blocks exposed.
const preset = makePreset(g, { name: 'Hair then smile', nodes: ['c1', 'T1', 'c2', 'T2'], params: [{ node: 'T1', param: 'resBlocks', name: 'Hair blocks' }] });

/** The translation graph with T1, T2 and their conditions replaced by one preset node 'P'. */
function withPresetNode(): Graph {
  const kept = g.nodes.filter((n) => !['c1', 'T1', 'c2', 'T2'].includes(n.id));
  return {
    nodes: [...kept, makePresetNode(preset, 'P', 'chain')],
    edges: [
      { id: 'a', from: { node: 'img', port: 'image' }, to: { node: 'E', port: 'image' } },
      { id: 'b', from: { node: 'E', port: 'feature' }, to: { node: 'P', port: 'T1.feature' } },
      { id: 'c', from: { node: 'P', port: 'T2.feature' }, to: { node: 'R', port: 'feature' } },
      { id: 'd', from: { node: 'R', port: 'image' }, to: { node: 'out', port: 'image' } },
    ],
  };
}

describe('preset nodes', () => {
  it('behave as a node with the preset’s exposed ports and parameters', () => {
    const node = makePresetNode(preset, 'P');
    const def = nodeDefOf(node)!;
    expect(node.kind).toBe(PRESET_NODE_KIND);
    expect(def.inputs.map((p) => [p.name, p.kind])).toEqual([['T1.feature', 'feature']]);
    expect(def.outputs.map((p) => [p.name, p.kind])).toEqual([['T2.feature', 'feature']]);
    expect(Object.keys(def.params)).toEqual(['T1.resBlocks']);
    expect(def.params['T1.resBlocks']!.title).toBe('Hair blocks');
    expect(node.params['T1.resBlocks']).toBe(def.params['T1.resBlocks']!.default);
  });

  it('expand into their subgraph with prefixed ids, edges rewired and exposed values applied', () => {
    const graph = withPresetNode();
    const changed = { ...graph, nodes: graph.nodes.map((n) => (n.id === 'P' ? { ...n, params: { ...n.params, 'T1.resBlocks': 2 } } : n)) };
    const x = expandPresetNodes(changed);
    expect(x.graph.nodes.map((n) => n.id).sort()).toEqual(['E', 'P/T1', 'P/T2', 'P/c1', 'P/c2', 'R', 'img', 'out'].sort());
    expect(x.graph.edges.find((e) => e.id === 'b')!.to).toEqual({ node: 'P/T1', port: 'feature' });
    expect(x.graph.edges.find((e) => e.id === 'c')!.from).toEqual({ node: 'P/T2', port: 'feature' });
    expect(x.graph.nodes.find((n) => n.id === 'P/T1')!.params.resBlocks).toBe(2);
    expect(x.owner.get('P/T2')).toBe('P');
    // Pure and cached: the input is untouched, the same graph gives the same expansion.
    expect(changed.nodes.some((n) => n.id === 'P')).toBe(true);
    expect(expandPresetNodes(changed)).toBe(x);
    // The expansion validates exactly like the graph it was made from.
    expect(analyze(x.graph).diagnostics).toEqual(analyze(g).diagnostics);
  });

  it('validate in the graph’s own terms: shapes on the preset’s ports, inner problems on the preset node', () => {
    const a = analyzeWithPresets(withPresetNode());
    expect(a.ok).toBe(true);
    expect(a.shapes.get('P')!.inputs['T1.feature']).toBeDefined();
    expect(a.shapes.get('P')!.outputs['T2.feature']).toBeDefined();
    // A reconstructor of another size no longer fits what the preset gives.
    const bad = withPresetNode();
    const broken = { ...bad, nodes: bad.nodes.map((n) => (n.id === 'E' ? { ...n, params: { ...n.params, baseChannels: 16 } } : n)) };
    const b = analyzeWithPresets(broken);
    expect(b.ok).toBe(false);
    expect(b.diagnostics.every((d) => !d.node || broken.nodes.some((n) => n.id === d.node))).toBe(true);
  });

  it('check connections through the preset’s ports', () => {
    const full = withPresetNode();
    const graph = { ...full, edges: full.edges.filter((e) => e.id !== 'b') };
    expect(canConnectWithPresets(graph, { node: 'E', port: 'feature' }, { node: 'P', port: 'T1.feature' }).ok).toBe(true);
    expect(canConnectWithPresets(full, { node: 'E', port: 'feature' }, { node: 'P', port: 'T1.feature' })).toMatchObject({ ok: false, reason: expect.stringMatching(/already connected/) });
    const r = canConnectWithPresets(graph, { node: 'img', port: 'image' }, { node: 'P', port: 'T1.feature' });
    expect(r.ok).toBe(false);
  });

  it('report a preset node that carries no valid preset', () => {
    const graph: Graph = { nodes: [{ id: 'P', kind: PRESET_NODE_KIND, params: { preset: { name: 'broken' } } }], edges: [] };
    expect(nodeDefOf(graph.nodes[0]!)).toBeUndefined();
    expect(analyzeWithPresets(graph).diagnostics.map((d) => d.code)).toContain('unknown-kind');
  });

  it('expand presets nested in presets', () => {
    const outer = makePreset(withPresetNode(), { name: 'outer', nodes: ['E', 'P', 'R'] });
    const graph: Graph = {
      nodes: [g.nodes.find((n) => n.id === 'img')!, makePresetNode(outer, 'Q'), g.nodes.find((n) => n.id === 'out')!],
      edges: [
        { id: 'i', from: { node: 'img', port: 'image' }, to: { node: 'Q', port: 'E.image' } },
        { id: 'o', from: { node: 'Q', port: 'R.image' }, to: { node: 'out', port: 'image' } },
      ],
    };
    const x = expandPresetNodes(graph);
    expect(x.graph.nodes.map((n) => n.id)).toContain('Q/P/T1');
    expect(analyzeWithPresets(graph).ok).toBe(true);
  });
});
