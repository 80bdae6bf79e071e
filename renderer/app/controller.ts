// The studio's commands (new, open, save, run, autosave, recovery, presets, batch runs,
// graphs from PNGs) over the engine API.
// UI-free, so it runs the same in Electron and the browser, and in unit tests with a fake API.

import type { BatchRequest, DemoName, EngineEvent, FolderEntry, EngineInfo, MenuCommand, RecoveryRecord, RunEvent, StudioBridge } from '../../core/api';
import { type Graph, analyzeWithPresets as analyze, emptyProject, expandPresetNodes, nodeKind, selectionWarning } from '../../core/graph';
import { autoLayout } from '../state/auto-layout';
import { type EditorStore, IDLE_BATCH } from '../state/editor-store';
import { absoluteIn, folderOf, joinPath } from './paths';

/** The events of runs (everything on the event channel but the engine's own). */
type RunOnlyEvent = Exclude<RunEvent, EngineEvent>;

/** What the in-page path dialog asks for: a project by default, or e.g. a preset file. */
export interface PathPurpose {
  readonly title: string;
  readonly label: string;
  /** The files the folder browser offers (default: projects). */
  readonly kinds?: readonly FolderEntry['kind'][];
}
export type AskPath = (mode: 'open' | 'save', suggested: string | null, recent: readonly string[], purpose?: PathPurpose) => Promise<string | null>;

export interface ControllerUi {
  /** Asks for a project path in the page (when the host has no native dialogs). */
  readonly askPath: AskPath;
  /** "Discard unsaved changes?" */
  readonly confirmDiscard: () => boolean;
}

export const AUTOSAVE_MS = 2000;
/** Previews asked of a run: every item of an ordinary folder (each is a few kB). */
export const PREVIEWS = 500;

/** Why running `graph` would make nothing to see, or null when it makes something. */
export function nothingToRun(graph: Graph): string | null {
  if (!graph.nodes.length) return 'Nothing to run: the graph is empty. Add nodes from the palette, or open a demo';
  const outputs = expandPresetNodes(graph).graph.nodes.some((n) => nodeKind(n.kind)?.category === 'output');
  return outputs ? null : 'Nothing to run: no output node shows what the graph makes. Add an Image output (or a Mask preview) and connect it';
}

export class StudioController {
  info: EngineInfo | null = null;
  private early: RunOnlyEvent[] = [];
  private earlyBatch: RunOnlyEvent[] = [];
  private lastAutosaved: unknown = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly store: EditorStore,
    readonly api: StudioBridge,
    private readonly ui: ControllerUi,
  ) {}

  /** Subscribes to run events and menus, opens the demo; returns unsaved work to offer back, if any. */
  async start(): Promise<RecoveryRecord | null> {
    this.api.onRunEvent((e) => this.onRunEvent(e));
    this.api.onMenuCommand?.((c, arg) => void this.menu(c, arg));
    this.info = await this.api.info();
    const recovery = await this.api.loadRecovery().catch(() => null);
    const demo = await this.api.openDemo();
    this.store.load(demo.project, demo.path, demo.baseDir);
    this.timer = setInterval(() => void this.autosave(), AUTOSAVE_MS);
    await this.loadPresets();
    return recovery;
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async menu(command: MenuCommand, arg?: string): Promise<void> {
    const s = this.store;
    const actions: Record<MenuCommand, () => unknown> = {
      new: () => this.newProject(),
      open: () => this.open(),
      openRecent: () => this.open(arg),
      openDemo: () => this.openDemo(arg === 'generation' ? 'generation' : 'translation'),
      save: () => this.save(),
      saveAs: () => this.saveAs(),
      undo: () => s.undo(),
      redo: () => s.redo(),
      run: () => this.run(),
      layout: () => s.layout(),
    };
    await actions[command]();
  }

  private guard(): boolean {
    return !this.store.dirty || this.ui.confirmDiscard();
  }
  private async attempt(what: string, f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.store.notify(`${what}: ${(e as Error).message}`);
    }
  }

  newProject(): void {
    if (this.guard()) this.store.load(emptyProject('Untitled'), null, this.store.getState().baseDir);
  }

  /** A bundled demo, untitled, so saving it asks where (the shipped file stays as it is). */
  async openDemo(which: DemoName): Promise<void> {
    if (!this.guard()) return;
    await this.attempt('Could not open the demo', async () => {
      const demo = await this.api.openDemo(which);
      this.store.load(demo.project, demo.path, demo.baseDir);
    });
  }

  async open(path?: string): Promise<void> {
    if (!this.guard()) return;
    await this.attempt('Could not open', async () => {
      const target = path ?? (await this.choose('open', null));
      if (!target) return;
      const opened = await this.api.openProject(target);
      this.store.load(opened.project, opened.path, opened.baseDir);
      if (opened.notes.length) this.store.notify(opened.notes.join('; '));
    });
  }

  async save(): Promise<boolean> {
    const path = this.store.getState().path;
    return path ? this.saveTo(path) : this.saveAs();
  }
  async saveAs(): Promise<boolean> {
    const s = this.store.getState();
    const folder = this.saveFolder();
    const name = `${s.history.present.name.replace(/[^\w.-]+/g, '-').toLowerCase() || 'untitled'}.mgproj.json`;
    const suggested = s.path ?? (folder ? joinPath(folder, name) : name);
    const path = await this.choose('save', suggested);
    // A bare name goes beside the proposal, not into whatever folder the engine runs from.
    return path ? this.saveTo(absoluteIn(folder, path)) : false;
  }
  /**
   * The folder Save as proposes: the project's own, or for an untitled one (a demo, a new
   * project) the user's documents folder, never the studio's install folder.
   */
  private saveFolder(): string | null {
    const path = this.store.getState().path;
    return path ? folderOf(path) : (this.info?.documentsDir ?? null);
  }
  private async saveTo(path: string): Promise<boolean> {
    let ok = false;
    await this.attempt('Could not save', async () => {
      const project = this.store.project;
      const saved = await this.api.saveProject(path, project);
      const dir = saved.path.replace(/[\\/][^\\/]*$/, '');
      // Only mark saved if nothing was edited while the save was in flight.
      if (this.store.project === project) this.store.markSaved(saved.path, dir);
      await this.api.saveRecovery(null);
      this.lastAutosaved = null;
      ok = true;
    });
    return ok;
  }

  private async choose(mode: 'open' | 'save', suggested: string | null): Promise<string | null> {
    if (this.info?.nativeDialogs) return this.api.chooseProjectPath(mode, suggested);
    return this.ui.askPath(mode, suggested, await this.api.listRecent().catch(() => []));
  }

  /** Writes unsaved work to the recovery file; clears it once the work is saved. */
  async autosave(): Promise<void> {
    const s = this.store.getState();
    const project = s.history.present;
    if (!this.store.dirty || project === this.lastAutosaved) return;
    this.lastAutosaved = project;
    await this.api.saveRecovery({ path: s.path, baseDir: s.baseDir, project, savedAt: new Date().toISOString() }).catch(() => undefined);
  }
  recover(r: RecoveryRecord): void {
    this.store.load(r.project, r.path, r.baseDir, { dirty: true });
    this.store.notify(`Recovered unsaved work from ${new Date(r.savedAt).toLocaleString()}`);
  }
  async discardRecovery(): Promise<void> {
    await this.api.saveRecovery(null).catch(() => undefined);
  }

  async run(): Promise<void> {
    const s = this.store;
    if (s.getState().run.status === 'running') return;
    const graph = s.project.graph;
    const problem = analyze(graph).diagnostics.find((d) => d.severity === 'error');
    if (problem) {
      s.setRun({ id: null, status: 'failed', error: { message: problem.message, node: problem.node }, summary: `Cannot run: ${problem.message}`, graph });
      return;
    }
    const nothing = nothingToRun(graph);
    if (nothing) {
      s.setRun({ id: null, status: 'idle', error: null, previews: {}, summary: nothing, graph });
      return;
    }
    s.setRun({ id: null, status: 'running', done: 0, total: 0, previews: {}, error: null, summary: 'Starting…', graph });
    try {
      const { runId } = await this.api.startRun({ graph, baseDir: s.getState().baseDir, previews: PREVIEWS });
      s.resetRun(runId);
      const early = this.early.filter((e) => e.runId === runId);
      this.early = [];
      for (const e of early) this.onRunEvent(e);
    } catch (e) {
      s.setRun({ status: 'failed', error: { message: (e as Error).message }, summary: (e as Error).message });
    }
  }
  /**
   * Opens an image output's folder where the host can (Electron); elsewhere shows its path to
   * copy, since a page cannot open a folder on the machine.
   */
  async openOutputFolder(node: string): Promise<void> {
    const n = this.store.project.graph.nodes.find((x) => x.id === node);
    const folder = typeof n?.params.folder === 'string' ? n.params.folder.trim() : '';
    if (!n || !folder) {
      this.store.notify(`${n?.label || node} has no Folder: set one in the inspector and run again to write its images as PNG files`);
      return;
    }
    await this.attempt('Could not open the folder', async () => {
      const info = await this.api.openFolder(folder, this.store.getState().baseDir);
      if (info.opened) this.store.notify(`Opened ${info.path}`);
      else this.store.showFolder(info);
    });
  }

  async cancel(): Promise<void> {
    const id = this.store.getState().run.id;
    if (id) await this.api.cancelRun(id);
  }

  async loadPresets(): Promise<void> {
    await this.attempt('Could not list presets', async () => this.store.setPresets(await this.api.listPresets()));
  }

  /** Exports the graph (or the selection) as a preset into the library, and to `path` if given. */
  async exportPreset(opts: { name: string; params: { node: string; param: string }[]; withWeights: boolean; selectionOnly: boolean; path?: string }): Promise<boolean> {
    const s = this.store.getState();
    const project = this.store.project;
    let ok = false;
    await this.attempt('Could not export the preset', async () => {
      const r = await this.api.exportPreset({
        graph: project.graph,
        layout: project.layout.nodes,
        baseDir: s.baseDir,
        ...(opts.selectionOnly ? { nodes: [...s.selectedNodes] } : {}),
        name: opts.name,
        description: project.description,
        params: opts.params,
        withWeights: opts.withWeights,
        ...(opts.path ? { path: opts.path } : {}),
      });
      await this.loadPresets();
      const warning = opts.selectionOnly ? selectionWarning(project.graph, [...s.selectedNodes]) : null;
      this.store.notify(`Preset '${r.entry.preset.name}' ${r.entry.preset.presetVersion} is in the palette${r.path ? ` and in ${r.path}` : ''}${warning ? `. Note: ${warning}` : ''}`);
      ok = true;
    });
    return ok;
  }

  async importPreset(path?: string): Promise<void> {
    await this.attempt('Preset not imported', async () => {
      const ask = () =>
        this.info?.nativeDialogs
          ? this.api.choosePresetPath()
          : this.ui.askPath('open', null, [], { title: 'Import preset', label: 'Path of the preset (…/name.mgpreset or …/name.mgpreset.json), on the machine running the studio', kinds: ['preset'] });
      const target = path ?? (await ask());
      if (!target) return;
      const entry = await this.api.importPreset({ path: target });
      await this.loadPresets();
      this.store.notify(`Imported preset '${entry.preset.name}' ${entry.preset.presetVersion}`);
    });
  }
  async renamePreset(id: string, name: string): Promise<void> {
    await this.attempt('Could not rename the preset', async () => {
      const e = await this.api.renamePreset(id, name);
      await this.loadPresets();
      this.store.notify(`Renamed to '${e.preset.name}' (version ${e.preset.presetVersion})`);
    });
  }
  async bumpPreset(id: string, part: 'major' | 'minor' | 'patch'): Promise<void> {
    await this.attempt('Could not change the version', async () => {
      const e = await this.api.setPresetVersion(id, part);
      await this.loadPresets();
      this.store.notify(`'${e.preset.name}' is now version ${e.preset.presetVersion}`);
    });
  }

  /** Opens the graph a studio PNG (base64) carries as an untitled project, or says why it cannot. */
  async openFromPng(png: string, fileName: string): Promise<void> {
    try {
      const info = await this.api.readProvenance(png);
      const base = emptyProject(`From ${info.input ?? fileName}`);
      const project = autoLayout({ ...base, description: `Restored from ${fileName} (made ${info.createdAt}, seed ${info.seed})`, graph: info.graph as typeof base.graph });
      this.store.replaceUntitled(project, `Restored the graph of ${fileName} (Undo brings the previous one back)`);
    } catch (e) {
      this.store.notify(`${fileName}: no graph to restore: ${(e as Error).message}`);
    }
  }

  async startBatch(opts: Omit<BatchRequest, 'graph' | 'baseDir'>): Promise<void> {
    const s = this.store;
    if (s.getState().batch.status === 'running') return;
    s.setBatch({ ...IDLE_BATCH, status: 'running' });
    try {
      const { runId } = await this.api.startBatch({ ...opts, graph: s.project.graph, baseDir: s.getState().baseDir });
      s.setBatch({ id: runId });
      const early = this.earlyBatch.filter((e) => e.runId === runId);
      this.earlyBatch = [];
      for (const e of early) this.onRunEvent(e);
    } catch (e) {
      s.setBatch({ status: 'failed', error: (e as Error).message });
    }
  }
  async cancelBatch(): Promise<void> {
    const id = this.store.getState().batch.id;
    if (id) await this.api.cancelBatch(id);
  }

  /** Starts a fresh engine after the last one died; the graph being edited stays as it is. */
  async restartEngine(): Promise<boolean> {
    try {
      await this.api.restartEngine();
      this.store.setEngineExit(null);
      this.store.notify('The engine was restarted');
      return true;
    } catch (e) {
      this.store.notify(`Could not restart the engine: ${(e as Error).message}`);
      return false;
    }
  }

  /** The engine died: say so, and end what it was doing here (its events will never come). */
  private onEngineEvent(e: EngineEvent): void {
    const s = this.store;
    if (e.type === 'engine-restarted') return s.setEngineExit(null);
    // Runs go on over there; the transport re-attaches to them once the link is back.
    if (e.type === 'engine-connection') return s.setReconnecting(e.state === 'reconnecting' ? e.message : null);
    const { type: _type, ...info } = e;
    s.setEngineExit(info);
    const message = `the engine stopped (${info.signal ?? `exit code ${info.code}`})`;
    if (s.getState().run.status === 'running') s.setRun({ status: 'failed', error: { message }, summary: `Run failed: ${message}` });
    if (s.getState().batch.status === 'running') s.setBatch({ status: 'failed', error: message });
  }

  private onBatchEvent(e: RunOnlyEvent): void {
    const s = this.store;
    const b = s.getState().batch;
    if (e.runId !== b.id) {
      if (b.status === 'running' && b.id === null) this.earlyBatch.push(e);
      return;
    }
    if (e.type === 'batch-progress')
      s.setBatch({ done: e.done, total: e.total, imagesPerSecond: e.imagesPerSecond, etaSeconds: e.etaSeconds, workers: e.workers ?? [], notice: e.notice ?? null });
    else if (e.type === 'batch-finished') s.setBatch({ status: e.report.cancelled ? 'cancelled' : 'finished', report: e.report, done: e.report.processed });
    else if (e.type === 'batch-failed') s.setBatch({ status: 'failed', error: e.message });
  }

  onRunEvent(e: RunEvent): void {
    if (e.type === 'engine-exited' || e.type === 'engine-restarted' || e.type === 'engine-connection') return this.onEngineEvent(e);
    if (e.type.startsWith('batch-')) return this.onBatchEvent(e);
    // Training events belong to the training view's controller.
    if (e.type.startsWith('training-')) return;
    const s = this.store;
    const run = s.getState().run;
    if (e.runId !== run.id) {
      // The events of a run can overtake the reply that names it.
      if (run.status === 'running' && run.id === null) this.early.push(e);
      return;
    }
    switch (e.type) {
      case 'progress':
        s.setRun({ done: e.done, total: e.total, summary: `Running ${e.done}/${e.total}` });
        break;
      case 'preview': {
        const list = [...(run.previews[e.node] ?? [])];
        list[e.index] = e.png;
        const info = [...(run.previewInfo[e.node] ?? [])];
        info[e.index] = { ...(e.file ? { file: e.file } : {}), ...(e.range ? { range: e.range } : {}) };
        s.setRun({ previews: { ...run.previews, [e.node]: list }, previewInfo: { ...run.previewInfo, [e.node]: info } });
        break;
      }
      case 'warning':
        s.setRun({ warnings: { ...run.warnings, [e.node]: [...(run.warnings[e.node] ?? []), e.message] } });
        break;
      case 'finished':
        s.setRun({
          status: e.cancelled ? 'cancelled' : 'finished',
          summary: `${e.cancelled ? 'Cancelled after' : 'Ran'} ${e.processed} item(s) in ${e.seconds.toFixed(1)} s with ${e.engine}${e.skipped.length ? `; skipped ${e.skipped.length}` : ''}`,
        });
        break;
      case 'failed':
        s.setRun({ status: 'failed', error: { message: e.message, node: e.node }, summary: `Run failed: ${e.message}` });
        break;
    }
  }
}

