// The studio's commands (new, open, save, run, autosave, recovery) over the engine API.
// UI-free, so it runs the same in Electron and the browser, and in unit tests with a fake API.

import type { EngineInfo, MenuCommand, RecoveryRecord, RunEvent, StudioBridge } from '../../core/api';
import { analyze, emptyProject } from '../../core/graph';
import type { EditorStore } from '../state/editor-store';

export type AskPath = (mode: 'open' | 'save', suggested: string | null, recent: readonly string[]) => Promise<string | null>;

export interface ControllerUi {
  /** Asks for a project path in the page (when the host has no native dialogs). */
  readonly askPath: AskPath;
  /** "Discard unsaved changes?" */
  readonly confirmDiscard: () => boolean;
}

export const AUTOSAVE_MS = 2000;

export class StudioController {
  info: EngineInfo | null = null;
  private early: RunEvent[] = [];
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
    const suggested = s.path ?? `${s.history.present.name.replace(/[^\w.-]+/g, '-').toLowerCase() || 'untitled'}.mgproj.json`;
    const path = await this.choose('save', suggested);
    return path ? this.saveTo(path) : false;
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
      s.setRun({ id: null, status: 'failed', error: { message: problem.message, node: problem.node }, summary: `Cannot run: ${problem.message}` });
      return;
    }
    s.setRun({ id: null, status: 'running', done: 0, total: 0, previews: {}, error: null, summary: 'Starting…' });
    try {
      const { runId } = await this.api.startRun({ graph, baseDir: s.getState().baseDir, previews: 4 });
      s.resetRun(runId);
      const early = this.early.filter((e) => e.runId === runId);
      this.early = [];
      for (const e of early) this.onRunEvent(e);
    } catch (e) {
      s.setRun({ status: 'failed', error: { message: (e as Error).message }, summary: (e as Error).message });
    }
  }
  async cancel(): Promise<void> {
    const id = this.store.getState().run.id;
    if (id) await this.api.cancelRun(id);
  }

  onRunEvent(e: RunEvent): void {
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
        s.setRun({ previews: { ...run.previews, [e.node]: list } });
        break;
      }
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

