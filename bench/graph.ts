// Graph benchmarks: whole-graph validation of a 1,000-node graph, and live connection checks.

import { performance } from 'node:perf_hooks';
import { CELEBA, SYNTHETIC_FACES } from '../core/graph/attributes';
import { canConnect } from '../core/graph/connect';
import type { Graph, GraphEdge, GraphNode } from '../core/graph/graph';
import { validateGraph } from '../core/graph/validate';

/** image -> E -> (T_i with its condition) × n -> R -> output, one long chain. */
export function chainGraph(transformers: number): Graph {
  const nodes: GraphNode[] = [
    { id: 'img', kind: 'image-input', params: { path: 'faces' } },
    { id: 'E', kind: 'encoder', params: { imageSize: 128, baseChannels: 64 } },
  ];
  const edges: GraphEdge[] = [{ id: 'e0', from: { node: 'img', port: 'image' }, to: { node: 'E', port: 'image' } }];
  const groups = [[CELEBA.hair], [CELEBA.male], [SYNTHETIC_FACES.glasses]];
  let prev = 'E';
  for (let i = 0; i < transformers; i++) {
    const g = groups[i % groups.length]!;
    nodes.push({ id: `c${i}`, kind: 'condition-input', params: { attributes: g, values: { [g[0]!.name]: g[0]!.kind === 'onehot' ? 'blond' : '1' } } });
    nodes.push({ id: `T${i}`, kind: 'transformer', params: { baseChannels: 64, attributes: g } });
    edges.push({ id: `f${i}`, from: { node: prev, port: 'feature' }, to: { node: `T${i}`, port: 'feature' } });
    edges.push({ id: `k${i}`, from: { node: `c${i}`, port: 'condition' }, to: { node: `T${i}`, port: 'condition' } });
    prev = `T${i}`;
  }
  nodes.push({ id: 'R', kind: 'reconstructor', params: { imageSize: 128, baseChannels: 64 } }, { id: 'out', kind: 'image-output', params: {} });
  edges.push({ id: 'r', from: { node: prev, port: 'feature' }, to: { node: 'R', port: 'feature' } }, { id: 'o', from: { node: 'R', port: 'image' }, to: { node: 'out', port: 'image' } });
  return { nodes, edges };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;
const round = (x: number) => Math.round(x * 1000) / 1000;

export function benchGraph(): Record<string, unknown> {
  const g = chainGraph(499); // 1,002 nodes, 1,000 edges
  for (let i = 0; i < 20; i++) validateGraph(g); // warm up the JIT
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    const a = validateGraph(g);
    times.push(performance.now() - t0);
    if (!a.ok) throw new Error(`benchmark graph is invalid: ${a.diagnostics[0]?.message}`);
  }

  // canConnect: the first call on a new graph object analyses it; later calls reuse that.
  const fresh = { ...g };
  const t0 = performance.now();
  canConnect(fresh, { node: 'T10', port: 'feature' }, { node: 'R', port: 'feature' });
  const cold = performance.now() - t0;
  const pairs: [string, string][] = [];
  for (let i = 0; i < 200; i++) pairs.push([`T${(i * 37) % 499}`, `T${(i * 91 + 5) % 499}`]);
  for (const [a, b] of pairs) canConnect(fresh, { node: a, port: 'feature' }, { node: b, port: 'feature' });
  const warm: number[] = [];
  for (const [a, b] of pairs) {
    const s = performance.now();
    canConnect(fresh, { node: a, port: 'feature' }, { node: b, port: 'feature' });
    warm.push(performance.now() - s);
  }
  return {
    nodes: g.nodes.length,
    edges: g.edges.length,
    validateMs: { median: round(quantile(times, 0.5)), p95: round(quantile(times, 0.95)), target: 10 },
    canConnectMs: { median: round(quantile(warm, 0.5)), p95: round(quantile(warm, 0.95)), max: round(Math.max(...warm)), firstCallOnNewGraph: round(cold), target: 1 },
  };
}
