// The editor's state: the document with its undo history, the selection, live connection
// feedback and the run. One small external store (read with useSyncExternalStore); the
// project stays immutable so core/graph's per-graph caches (canConnect) stay valid.

import type { BatchReportInfo, BatchWorkerInfo, EngineExitInfo, FolderInfo, PresetEntry } from '../../core/api';
import type { Graph, GraphNode, PortRef, Preset, Project } from '../../core/graph';
import { canBypass, canConnectWithPresets as canConnect, emptyProject, nodeDefOf } from '../../core/graph';
import { type Size, autoLayout, estimateSize, freeSpot } from './auto-layout';
import * as edits from './graph-edits';
import { type History, createHistory, record, redo, seal, undo } from './history';

export type Side = 'input' | 'output';
/** "node\0side\0port": one handle on the canvas. */
export const handleKey = (node: string, side: Side, port: string): string => `${node}\u0000${side}\u0000${port}`;

export interface PreviewInfo {
  readonly file?: string;
  readonly range?: { readonly min: number; readonly max: number };
}

export interface RunState {
  readonly id: string | null;
  readonly status: 'idle' | 'running' | 'finished' | 'failed' | 'cancelled';
  readonly done: number;
  readonly total: number;
  /** Preview images (data URLs) per output node, by item index. */
  readonly previews: Readonly<Record<string, readonly string[]>>;
  /** Beside each preview: the input file it came from, and for a mask the values its grey levels span. */
  readonly previewInfo: Readonly<Record<string, readonly (PreviewInfo | undefined)[]>>;
  /** What the run warned about (a module trained at another size, or on other images), by node. */
  readonly warnings: Readonly<Record<string, readonly string[]>>;
  readonly error: { readonly message: string; readonly node?: string } | null;
  readonly summary: string;
  /** The graph this run ran (or refused): once the document's graph is another, the summary is stale. */
  readonly graph: Graph | null;
}

export interface BatchState {
  readonly id: string | null;
  readonly status: 'idle' | 'running' | 'finished' | 'failed' | 'cancelled';
  readonly done: number;
  readonly total: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
  readonly report: BatchReportInfo | null;
  readonly error: string | null;
  /** A batch sent to a queue: each worker's part, and the latest notice (Redis lost, no worker yet). */
  readonly workers: readonly BatchWorkerInfo[];
  readonly notice: string | null;
}

export interface EditorState {
  readonly history: History<Project>;
  readonly path: string | null;
  readonly baseDir: string;
  /** The project as last opened or saved: the document is dirty when it differs. */
  readonly saved: Project;
  readonly selectedNodes: ReadonlySet<string>;
  readonly selectedEdges: ReadonlySet<string>;
  /** While a connection is dragged: the handles that would accept it. */
  readonly accepting: ReadonlySet<string> | null;
  /** The reason the connection under the cursor is refused, and where to show it. */
  readonly refusal: { readonly reason: string; readonly x: number; readonly y: number } | null;
  readonly run: RunState;
  /** A one-line message for the status bar. */
  readonly notice: string;
  /** Counts documents loaded, so the canvas fits a newly opened graph into view. */
  readonly loads: number;
  /** The preset library, for the palette. */
  readonly presets: readonly PresetEntry[];
  readonly batch: BatchState;
  /** Why the engine process is not running (it died), or null while it runs. */
  readonly engineExit: EngineExitInfo | null;
  /** The link to an engine on another machine dropped and is being made again: what to show meanwhile; null while linked. */
  readonly reconnecting: string | null;
  /** Counts requests to fit the graph into view (F, the canvas menu). */
  readonly fits: number;
  /** The keyboard shortcut overlay (?) is open. */
  readonly help: boolean;
  /** The preview shown enlarged: which node's, which item. */
  readonly viewer: { readonly node: string; readonly index: number } | null;
  /** A folder the host could not open itself (a browser cannot): its path, to copy. */
  readonly folder: FolderInfo | null;
}

const IDLE_RUN: RunState = { id: null, status: 'idle', done: 0, total: 0, previews: {}, previewInfo: {}, warnings: {}, error: null, summary: '', graph: null };
const EMPTY: ReadonlySet<string> = new Set();
export const IDLE_BATCH: BatchState = { id: null, status: 'idle', done: 0, total: 0, imagesPerSecond: 0, etaSeconds: 0, report: null, error: null, workers: [], notice: null };

export class EditorStore {
  private state: EditorState;
  private readonly listeners = new Set<() => void>();
  private clip: edits.Clip | null = null;
  private pastes = 0;
  /** The notice says why a connection was refused: the next connection made clears it. */
  private refusalShown = false;
  /** Node sizes as the canvas measured them, for layout and for placing new nodes. */
  readonly sizes = new Map<string, Size>();
  private readonly sizeOf = (id: string): Size | undefined => this.sizes.get(id);

  constructor(project: Project = emptyProject('Untitled'), path: string | null = null, baseDir = '') {
    this.state = {
      history: createHistory(project),
      path,
      baseDir,
      saved: project,
      selectedNodes: EMPTY,
      selectedEdges: EMPTY,
      accepting: null,
      refusal: null,
      run: IDLE_RUN,
      notice: '',
      loads: 0,
      presets: [],
      batch: IDLE_BATCH,
      engineExit: null,
      reconnecting: null,
      fits: 0,
      help: false,
      viewer: null,
      folder: null,
    };
  }

  getState = (): EditorState => this.state;
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  protected set(patch: Partial<EditorState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  get project(): Project {
    return this.state.history.present;
  }
  get dirty(): boolean {
    return this.state.history.present !== this.state.saved;
  }
  get canUndo(): boolean {
    return this.state.history.past.length > 0;
  }
  get canRedo(): boolean {
    return this.state.history.future.length > 0;
  }

  /** Applies a new project as one undoable step (merged with the last if `group` matches). */
  commit(next: Project, group: string | null = null): void {
    const history = record(this.state.history, next, group);
    if (history !== this.state.history) this.set({ history });
  }
  /** Ends a gesture (drag stop, field blur): the next edit is a new step. */
  endGroup(): void {
    this.state = { ...this.state, history: seal(this.state.history) };
  }
  undo(): void {
    if (this.canUndo) this.showStep(undo(this.state.history), 'Undone');
  }
  redo(): void {
    if (this.canRedo) this.showStep(redo(this.state.history), 'Redone');
  }
  /** Another step of the history; nodes and edges it does not have leave the selection. */
  private showStep(history: History<Project>, notice: string): void {
    const g = history.present.graph;
    this.set({
      history,
      notice,
      selectedNodes: existing(this.state.selectedNodes, new Set(g.nodes.map((n) => n.id))),
      selectedEdges: existing(this.state.selectedEdges, new Set(g.edges.map((e) => e.id))),
    });
  }

  /** Replaces the document (open, new, recover); the history starts afresh. */
  load(project: Project, path: string | null, baseDir: string, opts: { dirty?: boolean } = {}): void {
    this.set({
      history: createHistory(project),
      path,
      baseDir,
      saved: opts.dirty ? ({ ...project } as Project) : project,
      selectedNodes: EMPTY,
      selectedEdges: EMPTY,
      run: IDLE_RUN,
      notice: path ? `Opened ${path}` : `Opened ${project.name}`,
      loads: this.state.loads + 1,
    });
  }
  /**
   * Shows a regenerated document in place of this one without the fuss of opening it: the
   * view stays where it is and nodes that remain stay selected (the training graph, built
   * again from the project after each edit). `fit`: it was laid out anew, fit it into view.
   */
  replaceDocument(project: Project, opts: { fit?: boolean } = {}): void {
    const ids = new Set(project.graph.nodes.map((n) => n.id));
    const edgeIds = new Set(project.graph.edges.map((e) => e.id));
    this.set({
      history: createHistory(project),
      saved: project,
      selectedNodes: new Set([...this.state.selectedNodes].filter((id) => ids.has(id))),
      selectedEdges: new Set([...this.state.selectedEdges].filter((id) => edgeIds.has(id))),
      ...(opts.fit ? { loads: this.state.loads + 1 } : {}),
    });
  }
  markSaved(path: string, baseDir: string): void {
    this.set({ saved: this.project, path, baseDir, notice: `Saved ${path}` });
  }
  notify(notice: string): void {
    this.refusalShown = false;
    this.set({ notice });
  }
  /** Says why a connection was not made; stays until another notice or a connection that is. */
  refuse(reason: string): void {
    this.notify(`Not connected: ${reason}`);
    this.refusalShown = true;
  }

  addNode(kind: string, at: edits.XY, init?: edits.NodeInit): string {
    const { project, id } = edits.addNode(this.project, kind, at, init);
    this.commit(project);
    this.select([id], []);
    return id;
  }
  addPreset(preset: Preset, at: edits.XY): string {
    const { project, id } = edits.addPresetNode(this.project, preset, at);
    this.commit(project);
    this.select([id], []);
    return id;
  }
  /**
   * Adds a node near `at` where it covers no other (a palette entry double-clicked again and
   * again lands beside the last one, not on it); a dropped node goes exactly where dropped.
   */
  addNodeNear(kind: string, at: edits.XY, init?: edits.NodeInit): string {
    const trial = edits.addNode(this.project, kind, at, init);
    const node = trial.project.graph.nodes.find((n) => n.id === trial.id)!;
    return this.addNode(kind, freeSpot(this.project, at, this.sizeOfKind(node), this.sizeOf), init);
  }
  addPresetNear(preset: Preset, at: edits.XY): string {
    const trial = edits.addPresetNode(this.project, preset, at);
    const node = trial.project.graph.nodes.find((n) => n.id === trial.id)!;
    return this.addPreset(preset, freeSpot(this.project, at, this.sizeOfKind(node), this.sizeOf));
  }
  /** A new node's size: as a node of its kind measured on the canvas, else estimated. */
  private sizeOfKind(node: GraphNode): Size {
    const twin = node.kind === 'preset' ? undefined : this.project.graph.nodes.find((n) => n.kind === node.kind && this.sizes.has(n.id));
    return (twin && this.sizes.get(twin.id)) ?? estimateSize(node);
  }
  /** Replaces a preset node by its nodes, as one undoable step. */
  openUp(node: string): string[] {
    const r = edits.openUpPreset(this.project, node);
    if (!r) return [];
    this.commit(r.project);
    this.select(r.nodes, []);
    this.notify(`Opened up into ${r.nodes.length} nodes`);
    return r.nodes;
  }
  /**
   * Shows another project in place of this one as an undoable step (Undo brings the previous
   * one back): the graph restored from a PNG's provenance arrives this way, untitled.
   */
  replaceUntitled(project: Project, notice: string): void {
    this.commit(project);
    this.set({ path: null, selectedNodes: EMPTY, selectedEdges: EMPTY, notice, loads: this.state.loads + 1 });
  }
  setPresets(presets: readonly PresetEntry[]): void {
    this.set({ presets });
  }
  setBatch(batch: Partial<BatchState>): void {
    this.set({ batch: { ...this.state.batch, ...batch } });
  }
  /** The engine died (or is back, with null). The document and its history are not touched. */
  setEngineExit(engineExit: EngineExitInfo | null): void {
    this.set({ engineExit });
  }
  /** The link to the engine dropped (what to say), or is back (null). */
  setReconnecting(reconnecting: string | null): void {
    if (reconnecting !== this.state.reconnecting) this.set({ reconnecting });
  }

  connect(from: PortRef, to: PortRef): edits.ConnectOutcome {
    const r = edits.connect(this.project, from, to);
    if (!r.ok) {
      this.refuse(r.reason);
      return r;
    }
    this.commit(r.project);
    if (this.refusalShown) this.notify('');
    return r;
  }
  removeSelection(): void {
    const { selectedNodes, selectedEdges } = this.state;
    const next = edits.removeElements(this.project, selectedNodes, selectedEdges);
    if (next === this.project) return;
    this.commit(next);
    this.set({ selectedNodes: EMPTY, selectedEdges: EMPTY });
  }
  moveNodes(positions: Readonly<Record<string, edits.XY>>): void {
    this.commit(edits.moveNodes(this.project, positions), `move:${Object.keys(positions).sort().join(',')}`);
  }
  setParam(node: string, key: string, value: unknown): void {
    this.commit(edits.setParam(this.project, node, key, value), `param:${node}:${key}`);
  }
  setLabel(node: string, label: string): void {
    this.commit(edits.setLabel(this.project, node, label), `label:${node}`);
  }
  /** Arranges the graph left to right and fits it into view. */
  layout(): void {
    this.commit(autoLayout(this.project, this.sizeOf));
    this.fitView();
  }
  /** Asks the canvas to fit the whole graph into view. */
  fitView(): void {
    this.set({ fits: this.state.fits + 1 });
  }
  showHelp(help = !this.state.help): void {
    if (help !== this.state.help) this.set({ help });
  }
  /** Shows where a folder is, when the host could not open it (null closes the note). */
  showFolder(folder: FolderInfo | null): void {
    this.set({ folder });
  }
  /** Shows a preview enlarged (null closes it). */
  showPreview(viewer: EditorState['viewer']): void {
    this.set({ viewer });
  }

  /** Bypasses (or brings back) nodes, as one undoable step; kinds that cannot be bypassed are left alone. */
  setBypassed(nodes: Iterable<string>, on: boolean): number {
    const { project, changed } = edits.setBypassed(this.project, new Set(nodes), on);
    if (!changed) return 0;
    this.commit(project);
    this.notify(`${on ? 'Bypassed' : 'Brought back'} ${changed} node${changed > 1 ? 's' : ''}${on ? ' (its input passes through unchanged; Ctrl+B again brings it back)' : ''}`);
    return changed;
  }
  /** Ctrl+B: bypasses the selected nodes, or brings them back when all of them are bypassed. */
  toggleBypassSelection(): number {
    const ids = [...this.state.selectedNodes].filter((id) => this.project.graph.nodes.some((n) => n.id === id && canBypass(n)));
    if (!ids.length) {
      if (this.state.selectedNodes.size) this.notify('Only a transformer can be bypassed: it passes its feature map through');
      return 0;
    }
    const all = ids.every((id) => this.project.graph.nodes.find((n) => n.id === id)?.bypassed === true);
    return this.setBypassed(ids, !all);
  }
  /** Copies of the given nodes (and the edges among them) beside them, selected; the clipboard is left alone. */
  duplicate(nodes: Iterable<string> = this.state.selectedNodes): string[] {
    const ids = new Set(nodes);
    if (!ids.size) return [];
    const { project, nodes: added } = edits.paste(this.project, edits.copy(this.project, ids), { x: 40, y: 40 });
    this.commit(project);
    this.select(added, []);
    return added;
  }

  select(nodes: Iterable<string>, edges: Iterable<string>): void {
    this.set({ selectedNodes: new Set(nodes), selectedEdges: new Set(edges) });
  }
  /** Escape, or a click on the empty canvas. */
  clearSelection(): void {
    if (this.state.selectedNodes.size || this.state.selectedEdges.size) this.set({ selectedNodes: EMPTY, selectedEdges: EMPTY });
  }
  selectAll(): void {
    this.select(
      this.project.graph.nodes.map((n) => n.id),
      this.project.graph.edges.map((e) => e.id),
    );
  }
  copySelection(): number {
    if (!this.state.selectedNodes.size) return 0;
    this.clip = edits.copy(this.project, this.state.selectedNodes);
    this.pastes = 0;
    return this.clip.nodes.length;
  }
  pasteClip(): string[] {
    if (!this.clip) return [];
    this.pastes += 1;
    const { project, nodes } = edits.paste(this.project, this.clip, { x: 40 * this.pastes, y: 40 * this.pastes });
    this.commit(project);
    this.select(nodes, []);
    return nodes;
  }

  /** A connection drag started at a handle: light up every handle that would accept it. */
  startConnecting(node: string, side: Side, port: string): void {
    const g = this.project.graph;
    const accepting = new Set<string>();
    for (const n of g.nodes) {
      for (const p of portsOf(n, side === 'output' ? 'input' : 'output')) {
        const ok = side === 'output' ? canConnect(g, { node, port }, { node: n.id, port: p }) : canConnect(g, { node: n.id, port: p }, { node, port });
        if (ok.ok) accepting.add(handleKey(n.id, side === 'output' ? 'input' : 'output', p));
      }
    }
    this.set({ accepting, refusal: null });
  }
  showRefusal(refusal: EditorState['refusal']): void {
    const r = this.state.refusal;
    if (r === refusal || (r && refusal && r.reason === refusal.reason && r.x === refusal.x && r.y === refusal.y)) return;
    this.set({ refusal });
  }
  stopConnecting(): void {
    if (this.state.accepting || this.state.refusal) this.set({ accepting: null, refusal: null });
  }

  setRun(run: Partial<RunState>): void {
    this.set({ run: { ...this.state.run, ...run } });
  }
  resetRun(id: string): void {
    this.set({ run: { ...IDLE_RUN, id, status: 'running', graph: this.state.run.graph } });
  }
}

/** `ids` less those not in `keep`; the same set when none goes (so nothing re-renders). */
function existing(ids: ReadonlySet<string>, keep: ReadonlySet<string>): ReadonlySet<string> {
  if ([...ids].every((id) => keep.has(id))) return ids;
  return new Set([...ids].filter((id) => keep.has(id)));
}

function portsOf(node: GraphNode, side: Side): string[] {
  const def = nodeDefOf(node);
  return ((side === 'input' ? def?.inputs : def?.outputs) ?? []).map((p) => p.name);
}
