// The canvas: React Flow over the store. Connections are checked live with core/graph's
// canConnect (cached per graph object); handles that would accept light up while dragging,
// and a refused connection shows its reason next to the cursor.

import {
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MiniMap,
  type NodeChange,
  type OnConnectEnd,
  type OnConnectStart,
  ReactFlow,
  ViewportPortal,
  useConnection,
  useReactFlow,
} from '@xyflow/react';
import { type DragEvent, type MouseEvent as ReactMouseEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type Analysis, type Graph, analyzeWithPresets, canConnectWithPresets as canConnect } from '../../core/graph';
import type { NodeInit } from '../state/graph-edits';
import { useEditor, useStore } from '../state/use-editor';
import { type FlowNode, FlowView, type Size } from './flow-view';
import { ModuleNode } from './ModuleNode';
import { PRESET_MIME } from '../panels/PresetList';
import { addChoice } from '../state/quick-add';
import { CanvasMenu, type MenuRequest } from './CanvasMenu';
import { QuickAdd, type QuickAddRequest } from './QuickAdd';

const NODE_TYPES = { module: ModuleNode };
export const PALETTE_MIME = 'application/x-modulargan-kind';
/** With PALETTE_MIME: the id, label and parameters the palette entry presets (JSON of a NodeInit). */
export const NODE_INIT_MIME = 'application/x-modulargan-node-init';
const FIT_VIEW = { padding: 0.15, maxZoom: 1 };
/** A compact graph uses its panel to the edge: every pixel is legibility. */
const FIT_COMPACT = { padding: 0.04, maxZoom: 1.4 };

/** The reason a hovered connection is refused, shown beside the pointer while dragging. */
function ConnectionHint() {
  const graph = useEditor((s) => s.history.present.graph);
  const c = useConnection();
  if (!c.inProgress || !c.toHandle || c.isValid !== false) return null;
  const fromOutput = c.fromHandle.type === 'source';
  const out = fromOutput ? c.fromHandle : c.toHandle;
  const inp = fromOutput ? c.toHandle : c.fromHandle;
  const r = canConnect(graph, { node: out.nodeId, port: out.id ?? '' }, { node: inp.nodeId, port: inp.id ?? '' });
  const reason = r.ok ? (out.type === inp.type ? 'Connect an output to an input' : '') : r.reason;
  if (!reason) return null;
  return (
    <ViewportPortal>
      <div className="connection-hint" role="status" data-testid="connection-hint" style={{ transform: `translate(${c.to.x + 16}px, ${c.to.y + 16}px)` }}>
        {reason}
      </div>
    </ViewportPortal>
  );
}

/** The window position of a point inside the canvas (where the menu was opened). */
function menuClient(canvas: HTMLElement | null, at: { x: number; y: number }): { clientX: number; clientY: number } {
  const r = canvas?.getBoundingClientRect();
  return { clientX: at.x + (r?.left ?? 0), clientY: at.y + (r?.top ?? 0) };
}

/** A dropped file's bytes as base64, for the engine API (which carries JSON). */
async function fileBase64(f: File): Promise<string> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * `onImageDrop`: a PNG (or other image) dropped on the canvas, to restore the graph it carries.
 * `analyze`: the validation whose diagnostics the nodes show (the training view adds its own checks).
 */
export function GraphCanvas({
  onImageDrop,
  analyze = analyzeWithPresets,
  kinds,
  minimap = true,
  untrainedBadges = true,
  compact = false,
}: {
  onImageDrop?: (base64: string, name: string) => void;
  analyze?: (g: Graph) => Analysis;
  /** The kinds quick add offers (all, and the presets, when absent). */
  kinds?: readonly string[];
  minimap?: boolean;
  /** Mark modules that have no weights file as untrained (not in the training graph: there all start so). */
  untrainedBadges?: boolean;
  /**
   * Small nodes (titles and port dots; shapes in the ports' tooltips), refitted whenever the
   * panel changes size: a whole graph read at a glance in a panel, as the training graph is.
   */
  compact?: boolean;
}) {
  const store = useStore();
  const project = useEditor((s) => s.history.present);
  const selectedNodes = useEditor((s) => s.selectedNodes);
  const selectedEdges = useEditor((s) => s.selectedEdges);
  const loads = useEditor((s) => s.loads);
  const { screenToFlowPosition, fitView } = useReactFlow();
  // A newly opened graph is fitted into view (once its nodes are measured). Never an empty
  // one: React Flow would keep the fit queued and spring it on the first node dropped,
  // moving it away from where it was dropped.
  useEffect(() => {
    if (loads && store.project.graph.nodes.length) void fitView(compact ? FIT_COMPACT : FIT_VIEW);
  }, [loads, fitView, store, compact]);
  const fits = useEditor((s) => s.fits);
  useEffect(() => {
    if (fits && store.project.graph.nodes.length) void fitView({ ...(compact ? FIT_COMPACT : FIT_VIEW), duration: 200 });
  }, [fits, fitView, store, compact]);
  const presets = useEditor((s) => s.presets);
  const box = useRef<HTMLDivElement>(null);
  // A compact graph stays fitted to its panel as the panel changes size.
  useEffect(() => {
    const el = box.current;
    if (!compact || !el) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const seen = { w: 0, h: 0 };
    const watch = new ResizeObserver(([entry]) => {
      const { width: w, height: h } = entry!.contentRect;
      if (Math.abs(w - seen.w) < 2 && Math.abs(h - seen.h) < 2) return;
      Object.assign(seen, { w, h });
      clearTimeout(timer);
      timer = setTimeout(() => store.project.graph.nodes.length && void fitView(FIT_COMPACT), 80);
    });
    watch.observe(el);
    return () => {
      clearTimeout(timer);
      watch.disconnect();
    };
  }, [compact, fitView, store]);
  const [quickAdd, setQuickAdd] = useState<(QuickAddRequest & { project: typeof project }) | null>(null);
  const [menu, setMenu] = useState<MenuRequest | null>(null);
  /** Pixels inside the canvas, for boxes placed where the pointer was. */
  const local = useCallback((e: { clientX: number; clientY: number }) => {
    const r = box.current?.getBoundingClientRect();
    return { x: e.clientX - (r?.left ?? 0), y: e.clientY - (r?.top ?? 0) };
  }, []);
  const openQuickAdd = useCallback(
    (e: { clientX: number; clientY: number }, from: QuickAddRequest['from']) => {
      setMenu(null);
      setQuickAdd({ ...local(e), at: screenToFlowPosition({ x: e.clientX, y: e.clientY }), from, project: store.project });
    },
    [local, screenToFlowPosition, store],
  );
  const closeMenu = useCallback(() => setMenu(null), []);
  // Stable handlers: React Flow hands node handlers to every node, and a new function on each
  // render would re-render all of them on every edit (500 nodes: the edit bench doubles).
  const onPaneContextMenu = useCallback(
    (e: MouseEvent | ReactMouseEvent) => {
      e.preventDefault();
      setQuickAdd(null);
      setMenu({ ...local(e), node: null });
    },
    [local],
  );
  const onNodeContextMenu = useCallback(
    (e: ReactMouseEvent, n: FlowNode) => {
      e.preventDefault();
      setQuickAdd(null);
      // A node outside the selection is what the menu is about: select it, as a click would.
      if (!store.getState().selectedNodes.has(n.id)) store.select([n.id], []);
      setMenu({ ...local(e), node: n.id });
    },
    [local, store],
  );
  const onSelectionContextMenu = useCallback(
    (e: ReactMouseEvent) => {
      e.preventDefault();
      const first = [...store.getState().selectedNodes][0];
      if (first) setMenu({ ...local(e), node: first });
    },
    [local, store],
  );
  const view = useRef(new FlowView());
  // The store keeps what was measured: layout and placing new nodes need the real sizes.
  const measured = useRef<Map<string, Size>>(store.sizes);
  const [measureVersion, setMeasureVersion] = useState(0);

  const analysis = analyze(project.graph);
  const nodes = useMemo(
    () => view.current.flowNodes(project, analysis, selectedNodes, measured.current, { untrained: untrainedBadges, compact }),
    // measureVersion: React Flow measured a node; its size goes back into the node
    [project, analysis, selectedNodes, measureVersion, untrainedBadges, compact],
  );
  const edges = useMemo(() => view.current.flowEdges(project, analysis, selectedEdges), [project, analysis, selectedEdges]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      let sized = false;
      const moved: Record<string, { x: number; y: number }> = {};
      let dragEnded = false;
      let selection: Set<string> | null = null;
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) {
          const old = measured.current.get(c.id);
          if (old?.width !== c.dimensions.width || old?.height !== c.dimensions.height) {
            measured.current.set(c.id, c.dimensions);
            sized = true;
          }
        } else if (c.type === 'position') {
          if (c.position) moved[c.id] = c.position;
          if (c.dragging === false) dragEnded = true;
        } else if (c.type === 'select') {
          selection ??= new Set(store.getState().selectedNodes);
          if (c.selected) selection.add(c.id);
          else selection.delete(c.id);
        }
      }
      if (Object.keys(moved).length) store.moveNodes(moved);
      if (dragEnded) store.endGroup();
      if (selection) store.select(selection, store.getState().selectedEdges);
      if (sized) setMeasureVersion((v) => v + 1);
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let selection: Set<string> | null = null;
      for (const c of changes)
        if (c.type === 'select') {
          selection ??= new Set(store.getState().selectedEdges);
          if (c.selected) selection.add(c.id);
          else selection.delete(c.id);
        }
      if (selection) store.select(store.getState().selectedNodes, selection);
    },
    [store],
  );

  const isValidConnection = useCallback(
    (c: Connection | Edge) => canConnect(store.project.graph, { node: c.source, port: c.sourceHandle ?? '' }, { node: c.target, port: c.targetHandle ?? '' }).ok,
    [store],
  );
  const onConnect = useCallback(
    (c: Connection) => void store.connect({ node: c.source, port: c.sourceHandle ?? '' }, { node: c.target, port: c.targetHandle ?? '' }),
    [store],
  );
  const onConnectStart: OnConnectStart = useCallback(
    (_e, p) => {
      if (p.nodeId && p.handleId) store.startConnecting(p.nodeId, p.handleType === 'source' ? 'output' : 'input', p.handleId);
    },
    [store],
  );
  const onConnectEnd: OnConnectEnd = useCallback(
    (e, c) => {
      store.stopConnecting();
      // Dropped on empty canvas: offer the kinds that would take the wire, right there.
      if (!c.toHandle && !c.toNode && c.fromHandle?.id && (e.target as Element | null)?.closest?.('.react-flow__pane')) {
        const at = 'changedTouches' in e ? e.changedTouches[0]! : e;
        openQuickAdd(at, { node: c.fromHandle.nodeId, port: c.fromHandle.id, side: c.fromHandle.type === 'source' ? 'output' : 'input' });
        return;
      }
      // Dropped on a handle that refused: keep the reason in the status bar.
      if (c.toHandle && c.isValid === false) {
        const fromOutput = c.fromHandle?.type === 'source';
        const out = fromOutput ? c.fromHandle : c.toHandle;
        const inp = fromOutput ? c.toHandle : c.fromHandle;
        if (out && inp) {
          const r = canConnect(store.project.graph, { node: out.nodeId, port: out.id ?? '' }, { node: inp.nodeId, port: inp.id ?? '' });
          store.refuse(r.ok ? 'connect an output to an input' : r.reason);
        }
      }
    },
    [store, openQuickAdd],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(PALETTE_MIME) || e.dataTransfer.types.includes(PRESET_MIME) || e.dataTransfer.types.includes('Files')) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);
  const onDrop = useCallback(
    (e: DragEvent) => {
      const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      const kind = e.dataTransfer.getData(PALETTE_MIME);
      const presetId = e.dataTransfer.getData(PRESET_MIME);
      const file = e.dataTransfer.files[0];
      const init = e.dataTransfer.getData(NODE_INIT_MIME);
      if (kind) store.addNode(kind, at, init ? (JSON.parse(init) as NodeInit) : undefined);
      else if (presetId) {
        const entry = store.getState().presets.find((p) => p.id === presetId);
        if (entry) store.addPreset(entry.preset, at);
      } else if (file && onImageDrop) {
        void fileBase64(file).then((b) => onImageDrop(b, file.name));
      } else return;
      e.preventDefault();
    },
    [store, screenToFlowPosition, onImageDrop],
  );

  return (
    <div
      className={`canvas${compact ? ' compact' : ''}`}
      data-testid="canvas"
      ref={box}
      onDoubleClick={(e) => {
        if ((e.target as Element).classList.contains('react-flow__pane')) openQuickAdd(e, null);
      }}
    >
      <ReactFlow<FlowNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onDragOver={onDragOver}
        onDrop={onDrop}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        selectionKeyCode="Shift"
        connectionRadius={30}
        minZoom={0.05}
        zoomOnDoubleClick={false}
        onPaneContextMenu={onPaneContextMenu}
        onNodeContextMenu={onNodeContextMenu}
        onSelectionContextMenu={onSelectionContextMenu}
        onPaneClick={() => store.clearSelection()}
        onlyRenderVisibleElements
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} />
        {minimap && <MiniMap pannable zoomable nodeStrokeWidth={3} />}
        {/* A compact graph fills its panel to the edges: F, the menu and the wheel zoom it. */}
        {!compact && <Controls />}
        <ConnectionHint />
      </ReactFlow>
      {quickAdd && (
        <QuickAdd
          request={quickAdd}
          project={quickAdd.project}
          presets={presets}
          {...(kinds ? { kinds } : {})}
          onClose={() => setQuickAdd(null)}
          onChoose={(choice) => {
            setQuickAdd(null);
            const r = addChoice(store.project, choice, quickAdd.at, quickAdd.from);
            store.commit(r.project);
            store.select([r.id], []);
            if (r.refused) store.notify(`Added ${r.id}, not connected: ${r.refused}`);
          }}
        />
      )}
      {menu && <CanvasMenu request={menu} store={store} onClose={closeMenu} onAddNode={() => openQuickAdd(menuClient(box.current, menu), null)} />}
    </div>
  );
}
