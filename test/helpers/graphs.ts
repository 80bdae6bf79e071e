import { CELEBA } from '../../core/graph/attributes';
import type { Graph, GraphEdge, GraphNode } from '../../core/graph/graph';

/** Builds a graph from nodes and "node.port -> node.port" links. */
export function graph(nodes: GraphNode[], links: string[]): Graph {
  const edges: GraphEdge[] = links.map((l, i) => {
    const [a, b] = l.split('->').map((s) => s.trim());
    const [fn, fp] = a!.split('.');
    const [tn, tp] = b!.split('.');
    return { id: `e${i + 1}`, from: { node: fn!, port: fp! }, to: { node: tn!, port: tp! } };
  });
  return { nodes, edges };
}

export const node = (id: string, kind: string, params: Record<string, unknown> = {}, label?: string): GraphNode => ({
  id,
  kind,
  params,
  ...(label ? { label } : {}),
});

/** image -> E -> T_hair -> T_smile -> R -> output, with conditions; valid at the given size. */
export function translationGraph(size = 64, base = 32): Graph {
  return graph(
    [
      node('img', 'image-input', { path: 'faces/' }),
      node('E', 'encoder', { imageSize: size, baseChannels: base }),
      node('c1', 'condition-input', { attributes: [CELEBA.hair], values: { hair: 'blond' } }),
      node('T1', 'transformer', { baseChannels: base, attributes: [CELEBA.hair] }, 'hair'),
      node('c2', 'condition-input', { attributes: [CELEBA.smiling], values: { smiling: '1' } }),
      node('T2', 'transformer', { baseChannels: base, attributes: [CELEBA.smiling] }, 'smile'),
      node('R', 'reconstructor', { imageSize: size, baseChannels: base }),
      node('out', 'image-output'),
    ],
    [
      'img.image -> E.image',
      'E.feature -> T1.feature',
      'c1.condition -> T1.condition',
      'T1.feature -> T2.feature',
      'c2.condition -> T2.condition',
      'T2.feature -> R.feature',
      'R.image -> out.image',
    ],
  );
}
