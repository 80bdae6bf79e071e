// Hooks for the browser tests and the editor benchmark, installed only when the page's URL
// has ?test: the store and controller, a synthetic large graph, and a timed edit.

import { CELEBA, type GraphEdge, type GraphNode, type Project, analyzeWithPresets as analyze, emptyProject } from '../core/graph';
import type { StudioController } from './app/controller';
import type { TrainingController } from './training/training-controller';

declare global {
  interface Window {
    __studio?: ReturnType<typeof testHooks>;
  }
}

/** image -> E -> (condition, T) × k -> R -> output: `size` nodes, laid out in a grid. */
export function syntheticProject(size: number): Project {
  const k = Math.max(1, Math.floor((size - 4) / 2));
  const hair = [CELEBA.hair];
  const nodes: GraphNode[] = [
    { id: 'img', kind: 'image-input', params: { path: 'faces', size: 0 } },
    { id: 'E', kind: 'encoder', params: { imageSize: 64, baseChannels: 64 } },
  ];
  const edges: GraphEdge[] = [{ id: 'e0', from: { node: 'img', port: 'image' }, to: { node: 'E', port: 'image' } }];
  let prev = 'E';
  for (let i = 0; i < k; i++) {
    nodes.push({ id: `c${i}`, kind: 'condition-input', params: { attributes: hair, values: { hair: 'blond' } } });
    nodes.push({ id: `T${i}`, kind: 'transformer', params: { baseChannels: 64, resBlocks: 1, attributes: hair } });
    edges.push({ id: `f${i}`, from: { node: prev, port: 'feature' }, to: { node: `T${i}`, port: 'feature' } });
    edges.push({ id: `k${i}`, from: { node: `c${i}`, port: 'condition' }, to: { node: `T${i}`, port: 'condition' } });
    prev = `T${i}`;
  }
  nodes.push({ id: 'R', kind: 'reconstructor', params: { imageSize: 64, baseChannels: 64 } }, { id: 'out', kind: 'image-output', params: {} });
  edges.push({ id: 'r', from: { node: prev, port: 'feature' }, to: { node: 'R', port: 'feature' } }, { id: 'o', from: { node: 'R', port: 'image' }, to: { node: 'out', port: 'image' } });
  const cols = Math.ceil(Math.sqrt(nodes.length));
  const layout = Object.fromEntries(nodes.map((n, i) => [n.id, { x: (i % cols) * 300, y: Math.floor(i / cols) * 260 }]));
  const p = emptyProject(`Synthetic ${nodes.length} nodes`);
  return { ...p, graph: { nodes, edges } as Project['graph'], layout: { nodes: layout } };
}

const frame = () => new Promise<void>((ok) => requestAnimationFrame(() => ok()));
/** Resolves after the next paint: a task queued from a frame callback runs after that frame. */
const painted = () => new Promise<void>((ok) => requestAnimationFrame(() => setTimeout(ok, 0)));

function testHooks(c: StudioController, training?: TrainingController) {
  const store = c.store;
  return {
    store,
    controller: c,
    training,
    project: () => store.project,
    loadSynthetic(size: number) {
      store.load(syntheticProject(size), null, '');
    },
    /**
     * One timed edit on the synthetic graph: a transformer's width changes, so the graph is
     * validated again and the changed nodes and edges re-render. Returns milliseconds.
     */
    async timeEdit(node: string, baseChannels: number) {
      await painted();
      const el = document.querySelector(`[data-testid="node-${node}"] .port-shape`);
      if (!el) throw new Error(`node ${node} is not on screen`);
      const before = el.textContent;
      let tDom = 0;
      const changed = new Promise<void>((ok) => {
        const watch = new MutationObserver(() => {
          if (el.textContent === before) return;
          tDom = performance.now();
          watch.disconnect();
          ok();
        });
        watch.observe(el, { characterData: true, childList: true, subtree: true });
      });
      const t0 = performance.now();
      store.setParam(node, 'baseChannels', baseChannels);
      store.endGroup();
      // What the canvas does first on a new graph: validate it (cached for the render).
      analyze(store.project.graph);
      const tValidated = performance.now();
      await changed;
      await painted();
      const tPaint = performance.now();
      return { validate: tValidated - t0, dom: tDom - t0, paint: tPaint - t0, changed: el.textContent !== before };
    },
    /** A move of one node, timed to the next paint. */
    async timeMove(node: string, dx: number) {
      await painted();
      const p = store.project.layout.nodes[node] ?? { x: 0, y: 0 };
      const t0 = performance.now();
      store.moveNodes({ [node]: { x: p.x + dx, y: p.y } });
      await painted();
      return performance.now() - t0;
    },
    validateMs() {
      const g = { ...store.project.graph };
      const t0 = performance.now();
      analyze(g);
      return performance.now() - t0;
    },
    frame,
  };
}

export function installTestHooks(c: StudioController, training?: TrainingController): void {
  window.__studio = testHooks(c, training);
}
