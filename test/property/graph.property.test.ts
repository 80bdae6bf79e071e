import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CELEBA, COLOR_MNIST } from '../../core/graph/attributes';
import { CATALOGUE, nodeKind } from '../../core/graph/catalogue';
import type { Graph, GraphEdge, GraphNode } from '../../core/graph/graph';
import { inferShapes } from '../../core/graph/infer';
import { type PortType, dimsOf } from '../../core/graph/ports';
import { validateGraph } from '../../core/graph/validate';

const groups = [[CELEBA.hair], [CELEBA.smiling], [COLOR_MNIST.color], [CELEBA.hair, CELEBA.male]];
const paramValue = fc.oneof(
  fc.constantFrom(0, 4, 8, 16, 32, 64, 63, -1, 2, 6),
  fc.constantFrom(...groups),
  fc.constantFrom('blond', 'colormnist', '', 'x.png', true),
  fc.constant({ hair: 'blond' }),
);
const paramNames = ['imageSize', 'baseChannels', 'resBlocks', 'depth', 'attributes', 'size', 'path', 'length', 'noiseLength', 'values', 'source'];

/** Any node: real kinds with random (often wrong) parameters, and sometimes an unknown kind. */
const anyNode = (id: string) =>
  fc.record({
    id: fc.constant(id),
    kind: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...CATALOGUE.map((d) => d.kind)) }, { weight: 1, arbitrary: fc.constant('bogus') }),
    params: fc.dictionary(fc.constantFrom(...paramNames), paramValue, { maxKeys: 4 }),
  });

/** Arbitrary graphs, including malformed ones: any port names, duplicate ids, dangling ends. */
const junkGraph = fc.integer({ min: 0, max: 14 }).chain((n) =>
  fc.record({
    nodes: fc.tuple(...Array.from({ length: n }, (_, i) => anyNode(`n${i % 12}`))),
    edges: fc.array(
      fc.record({
        id: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9'),
        from: fc.record({ node: fc.constantFrom(...Array.from({ length: 13 }, (_, i) => `n${i}`)), port: fc.constantFrom('image', 'feature', 'mask', 'condition', 'noise', 'patch', 'x') }),
        to: fc.record({ node: fc.constantFrom(...Array.from({ length: 13 }, (_, i) => `n${i}`)), port: fc.constantFrom('image', 'feature', 'masks', 'condition', 'noise', 'real', 'y') }),
      }),
      { maxLength: 25 },
    ),
  }),
);

/**
 * Structurally well-formed graphs (existing ports, one edge per single input), biased toward
 * modules whose sizes fit, so shapes are really exercised; cycles are allowed.
 */
const wellFormed = fc.integer({ min: 1, max: 16 }).chain((n) =>
  fc
    .tuple(
      fc.array(
        fc.record({
          kind: fc.constantFrom('encoder', 'transformer', 'transformer', 'transformer', 'reconstructor', 'image-input', 'condition-input', 'mask-sum', 'discriminator', 'image-output'),
          base: fc.constantFrom(8, 8, 8, 16),
          size: fc.constantFrom(32, 32, 0, 64),
          g: fc.integer({ min: 0, max: groups.length - 1 }),
        }),
        { minLength: n, maxLength: n },
      ),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { maxLength: 3 * n }),
    )
    .map(([specs, picks]): Graph => {
      const nodes: GraphNode[] = specs.map((s, i) => {
        const attrs = groups[s.g]!;
        const byKind: Record<string, Record<string, unknown>> = {
          encoder: { imageSize: s.size, baseChannels: s.base },
          transformer: { baseChannels: s.base, attributes: attrs },
          reconstructor: { imageSize: s.size, baseChannels: s.base },
          'image-input': { path: 'x', size: s.size },
          'condition-input': { attributes: attrs, values: Object.fromEntries(attrs.map((a) => [a.name, a.kind === 'onehot' ? a.values[0] : '1'])) },
          discriminator: { imageSize: s.size || 32, depth: 3, attributes: attrs },
        };
        const params = byKind[s.kind] ?? {};
        return { id: `n${i}`, kind: s.kind, params };
      });
      const edges: GraphEdge[] = [];
      const taken = new Set<string>();
      for (const [a, b, p, q] of picks) {
        const from = nodes[a % nodes.length]!;
        const to = nodes[b % nodes.length]!;
        const outs = nodeKind(from.kind)!.outputs;
        const ins = nodeKind(to.kind)!.inputs;
        if (!outs.length || !ins.length) continue;
        const out = outs[p % outs.length]!;
        const inp = ins[q % ins.length]!;
        const key = `${to.id}.${inp.name}`;
        if (!inp.multiple && taken.has(key)) continue;
        taken.add(key);
        edges.push({ id: `e${edges.length}`, from: { node: from.id, port: out.name }, to: { node: to.id, port: inp.name } });
      }
      return { nodes, edges };
    }),
);

/** Independent cycle check: depth-first search with three colours. */
function hasCycle(g: Graph): boolean {
  const adj = new Map(g.nodes.map((n) => [n.id, [] as string[]]));
  for (const e of g.edges) adj.get(e.from.node)!.push(e.to.node);
  const colour = new Map<string, number>();
  const visit = (v: string): boolean => {
    colour.set(v, 1);
    for (const w of adj.get(v)!) {
      if (colour.get(w) === 1) return true;
      if (!colour.get(w) && visit(w)) return true;
    }
    colour.set(v, 2);
    return false;
  };
  return g.nodes.some((n) => !colour.get(n.id) && visit(n.id));
}

const concrete = (t: PortType) => dimsOf(t).every(([, d]) => typeof d === 'number');
const dimsEqual = (a: PortType, b: PortType) => a.kind === b.kind && JSON.stringify(dimsOf(a).map(([, d]) => d)) === JSON.stringify(dimsOf(b).map(([, d]) => d));

describe('validator on random graphs', () => {
  it('never throws, whatever the graph', () => {
    fc.assert(
      fc.property(junkGraph, (g) => {
        const a = validateGraph(g as Graph);
        expect(Array.isArray(a.diagnostics)).toBe(true);
        for (const d of a.diagnostics) expect(d.message.length).toBeGreaterThan(10);
      }),
      { numRuns: 1500 },
    );
  });

  it('reports a cycle exactly when there is one', () => {
    let cyclic = 0;
    fc.assert(
      fc.property(wellFormed, (g) => {
        const a = validateGraph(g);
        const expected = hasCycle(g);
        if (expected) cyclic++;
        expect(a.diagnostics.some((d) => d.code === 'cycle')).toBe(expected);
        expect(a.order === null).toBe(expected);
      }),
      { numRuns: 1500 },
    );
    expect(cyclic).toBeGreaterThan(50); // the generator really makes cycles
  });

  it('agrees with the catalogue on every edge it accepts', () => {
    let checkedEdges = 0;
    let checkedNodes = 0;
    fc.assert(
      fc.property(wellFormed, (g) => {
        const a = validateGraph(g);
        const badEdges = new Set(a.diagnostics.map((d) => d.edge).filter(Boolean));
        for (const e of a.validEdges) {
          if (badEdges.has(e.id)) continue;
          const out = a.shapes.get(e.from.node)!.outputs[e.from.port]!;
          const inp = a.shapes.get(e.to.node)!.inputs[e.to.port]!;
          expect(dimsEqual(out, inp), `${e.id}: ${JSON.stringify(out)} vs ${JSON.stringify(inp)}`).toBe(true);
          checkedEdges++;
        }
        // Each error-free node whose inputs are all known: inferShapes gives what the validator found.
        const badNodes = new Set(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.node));
        for (const n of g.nodes) {
          const s = a.shapes.get(n.id);
          const def = nodeKind(n.kind)!;
          if (!s || badNodes.has(n.id) || !Object.values(s.inputs).every(concrete)) continue;
          if (def.inputs.some((p) => p.multiple)) continue;
          const r = inferShapes(def, n.params, s.inputs);
          expect(r.ok, JSON.stringify(r)).toBe(true);
          if (!r.ok) continue;
          for (const [port, t] of Object.entries(r.outputs)) {
            if (concrete(t)) expect(dimsEqual(t, s.outputs[port]!)).toBe(true);
          }
          checkedNodes++;
        }
      }),
      { numRuns: 3000 },
    );
    expect(checkedEdges).toBeGreaterThan(600);
    expect(checkedNodes).toBeGreaterThan(1500);
  });
});
