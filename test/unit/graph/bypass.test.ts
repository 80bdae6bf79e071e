// Bypass in the graph model: the flag survives the project file, a bypassed transformer needs
// only its feature, and the graph that runs passes its feature through, dropping the outputs
// that only showed its mask.

import { describe, expect, it } from 'vitest';
import { CELEBA } from '../../../core/graph/attributes';
import { withoutBypassed } from '../../../core/graph/bypass';
import type { Graph, GraphNode } from '../../../core/graph/graph';
import { PROJECT_FORMAT, PROJECT_VERSION, loadProject } from '../../../core/graph/format/project';
import { serializeDocument } from '../../../core/graph/format/migrate';
import { executionPlan } from '../../../core/graph/plan';
import { validateGraph } from '../../../core/graph/validate';
import { graph, node, translationGraph } from '../../helpers/graphs';

const bypass = (g: Graph, ...ids: string[]): Graph => ({ ...g, nodes: g.nodes.map((n): GraphNode => (ids.includes(n.id) ? { ...n, bypassed: true } : n)) });

/** The translation graph with a mask preview on T1 and a mask sum of T1 and T2. */
function withMasks(): Graph {
  const g = translationGraph(32, 8);
  return {
    nodes: [...g.nodes, node('view1', 'mask-preview'), node('sum', 'mask-sum'), node('viewSum', 'mask-preview')],
    edges: [
      ...g.edges,
      { id: 'm1', from: { node: 'T1', port: 'mask' }, to: { node: 'view1', port: 'mask' } },
      { id: 's1', from: { node: 'T1', port: 'mask' }, to: { node: 'sum', port: 'masks' } },
      { id: 's2', from: { node: 'T2', port: 'mask' }, to: { node: 'sum', port: 'masks' } },
      { id: 'vs', from: { node: 'sum', port: 'mask' }, to: { node: 'viewSum', port: 'mask' } },
    ],
  };
}

describe('bypass', () => {
  it('is kept by the project file, and absent means not bypassed', () => {
    const g = bypass(translationGraph(), 'T1');
    const text = serializeDocument({ format: PROJECT_FORMAT, version: PROJECT_VERSION, name: 'b', graph: g });
    const r = loadProject(text);
    if (!r.ok) throw new Error(r.errors[0]!.message);
    const nodes = r.value.value.graph.nodes;
    expect(nodes.find((n) => n.id === 'T1')!.bypassed).toBe(true);
    expect(nodes.find((n) => n.id === 'T2')!.bypassed).toBeUndefined();
    const bad = loadProject(text.replace('"bypassed": true', '"bypassed": "yes"'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]!.message).toMatch(/graph\.nodes\[3\]\.bypassed/);
  });

  it('a bypassed transformer needs only its feature, and says it is bypassed', () => {
    const g = translationGraph();
    const open = { ...g, edges: g.edges.filter((e) => e.id !== 'e3') }; // c1 -> T1 condition
    expect(validateGraph(open).diagnostics.some((d) => d.node === 'T1' && d.code === 'missing-input')).toBe(true);
    const a = validateGraph(bypass(open, 'T1'));
    expect(a.ok).toBe(true);
    expect(a.diagnostics.find((d) => d.node === 'T1' && d.code === 'bypassed')?.message).toMatch(/Transformer 'hair' is bypassed: its input 'Feature' passes through unchanged/);
    // Its feature input is still needed: there is nothing to pass through without it.
    const noFeature = bypass({ ...g, edges: g.edges.filter((e) => e.id !== 'e2') }, 'T1');
    expect(validateGraph(noFeature).diagnostics.some((d) => d.node === 'T1' && d.port === 'feature' && d.code === 'missing-input')).toBe(true);
  });

  it('on a kind that cannot pass a value through, it is a warning and the node runs', () => {
    const g = bypass(translationGraph(), 'E');
    const a = validateGraph(g);
    expect(a.ok).toBe(true);
    expect(a.diagnostics.find((d) => d.node === 'E' && d.code === 'bypassed')?.message).toMatch(/cannot be bypassed/);
    expect(withoutBypassed(g)).toBe(g);
  });

  it('runs the graph with the feature passed through and the bypassed mask outputs dropped', () => {
    const g = withMasks();
    expect(withoutBypassed(g)).toBe(g);
    const runs = withoutBypassed(bypass(g, 'T1'));
    const ids = runs.nodes.map((n) => n.id);
    expect(ids).not.toContain('T1');
    expect(ids).not.toContain('view1'); // it showed only T1's mask
    expect(ids).toEqual(expect.arrayContaining(['sum', 'viewSum', 'T2', 'c1']));
    const into = (n: string, p: string) => runs.edges.filter((e) => e.to.node === n && e.to.port === p).map((e) => `${e.from.node}.${e.from.port}`);
    expect(into('T2', 'feature')).toEqual(['E.feature']);
    expect(into('sum', 'masks')).toEqual(['T2.mask']);
    expect(validateGraph(runs).ok).toBe(true);
  });

  it('follows chains of bypassed nodes, and drops a mask sum left with nothing', () => {
    const runs = withoutBypassed(bypass(withMasks(), 'T1', 'T2'));
    expect(runs.nodes.map((n) => n.id).sort()).toEqual(['E', 'R', 'c1', 'c2', 'img', 'out']);
    expect(runs.edges.find((e) => e.to.node === 'R')!.from).toEqual({ node: 'E', port: 'feature' });
    expect(validateGraph(runs).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('the execution plan leaves the bypassed node out and reads what fed it', () => {
    const plan = executionPlan(bypass(withMasks(), 'T2'));
    if (!plan.ok) throw new Error(plan.diagnostics[0]!.message);
    expect(plan.steps.map((s) => s.node)).not.toContain('T2');
    expect(plan.steps.find((s) => s.node === 'R')!.inputs.feature).toEqual([{ node: 'T1', port: 'feature' }]);
    // A graph that is invalid as shown does not become runnable by bypassing.
    const broken = graph([node('E', 'encoder'), { ...node('T', 'transformer', { attributes: [CELEBA.hair] }), bypassed: true }], ['E.feature -> T.feature']);
    expect(executionPlan(broken).ok).toBe(false);
  });
});
