// The training view's commands over the engine API, UI-free (unit-tested with a fake API):
// the training graph as an editable document whose edits go back into the project, dataset
// set-up, run control, checkpoints, and the "add a transformer, train only it" flow.
// Training runs in the engine, so the editor stays usable while it goes on.

import { MAX_LOCAL_PROCESSES, QUEUE_CANNOT_PAUSE, type RunEvent, type TrainingEngine, type TrainingEvent, queueUrlSchema } from '../../core/api';
import { type AttributeGroup, MODULE_KINDS, type Project, type TrainingSettingKey, analyzeTrainingGraph, trainingSettingProblem, applyTrainingGraph, buildTrainingGraph, emptyProject, transformerFor } from '../../core/graph';
import type { StudioController } from '../app/controller';
import { autoLayout } from '../state/auto-layout';
import { compactLayout } from './compact-layout';
import { EditorStore } from '../state/editor-store';
import { EMPTY_SERIES, INITIAL_TRAINING, TrainingStore, type TrainingStatus, appendLosses } from './training-state';

const isLive = (s: TrainingStatus): boolean => s === 'starting' || s === 'running' || s === 'paused' || s === 'stopping';

/** How many of the trainer's notes the view keeps (a folder of bad images would otherwise flood it). */
const NOTES_KEPT = 20;
type DatasetRef = Project['datasets'][number];

export class TrainingController {
  readonly store = new TrainingStore();
  /**
   * The training graph as a document: the editor's canvas and inspector work on it unchanged.
   * The project is the one source of truth: each edit here goes into the project, and the
   * graph is then built again from the project, so what it shows is what the trainer trains.
   */
  readonly graphStore = new EditorStore();
  private loaded: unknown = null;
  private loading = false;
  private early: TrainingEvent[] = [];
  /** The project the training graph was last built from, and the editor's document count then. */
  private shownFor: Project | null = null;
  private shownLoads = -1;
  /** The editor's document count the run shown belongs to: another document has not had it. */
  private runLoads = -1;

  constructor(
    readonly studio: StudioController,
    private readonly confirm: (question: string) => boolean = () => true,
  ) {}

  private get editor() {
    return this.studio.store;
  }
  private get api() {
    return this.studio.api;
  }

  start(): () => void {
    this.runLoads = this.editor.getState().loads;
    const offEvents = this.api.onRunEvent((e) => this.onEvent(e));
    void this.attach();
    const offGraph = this.graphStore.subscribe(() => this.onGraphEdit());
    // Undo, redo and edits in the editor change the project: the training graph follows.
    const offProject = this.editor.subscribe(() => {
      if (this.editor.getState().loads !== this.runLoads) this.forgetRun();
      if (this.store.getState().view === 'training' && this.editor.project !== this.shownFor) this.refreshGraph();
    });
    return () => {
      offEvents();
      offGraph();
      offProject();
    };
  }

  /**
   * A training the engine was already running when this page opened (it was reloaded, or
   * opened on another machine): shown, with its latest progress, so it can be followed,
   * paused and stopped here.
   */
  async attach(): Promise<void> {
    let jobs: Awaited<ReturnType<typeof this.api.listJobs>> = [];
    try {
      jobs = await this.api.listJobs();
    } catch {
      return; // an engine that cannot say has nothing to attach to
    }
    const job = jobs.find((j) => j.kind === 'training' && j.running);
    if (!job || isLive(this.store.getState().status)) return;
    this.store.set({ runId: job.runId, status: 'running' });
    for (const e of job.events) this.onEvent(e);
    // Said after the replay, whose first progress clears the message.
    if (job.subject) this.store.set({ message: `Training ${job.subject} (started before this page opened)` });
  }

  show(view: 'editor' | 'training'): void {
    this.store.set({ view });
    if (view === 'training') {
      this.refreshGraph();
      void this.refreshCheckpoints();
      void this.refreshEngines();
    }
  }

  /**
   * Which training engines the engine's machine has. Asked again each time the view opens
   * while PyTorch is missing: installing it needs no restart.
   */
  async refreshEngines(): Promise<void> {
    const known = this.store.getState().engines;
    if (known.length && known.every((e) => e.available)) return;
    try {
      const engines = await this.api.trainingEngines();
      const { engine, runOn } = this.store.getState();
      // An engine chosen earlier that is gone (PyTorch uninstalled) falls back to the built-in one; a queue worker's machine has its own.
      this.store.set({ engines, ...(runOn === 'queue' || engines.some((e) => e.name === engine && e.available) ? {} : { engine: 'builtin' as const, nproc: 1 }) });
    } catch {
      // An engine that cannot say offers its built-in trainer only.
    }
  }

  /** Chooses who trains the next start; an engine not available here is refused with its reason (a queue worker's machine has its own). */
  setEngine(name: TrainingEngine): string | null {
    const { engines, runOn } = this.store.getState();
    const info = engines.find((e) => e.name === name);
    if (runOn === 'here' && name !== 'builtin' && !info?.available) return info ? `Not available: ${info.reason}` : 'The engine has not said whether it can train with this';
    this.store.set({ engine: name, nproc: 1 });
    return null;
  }

  /** The most processes the next start may ask for: this machine's launcher's, or any on a queue worker's machine. */
  maxProcesses(): number {
    const { engines, engine, runOn } = this.store.getState();
    if (runOn === 'queue') return engine === 'torch' ? MAX_LOCAL_PROCESSES : 1;
    return engines.find((e) => e.name === engine)?.maxProcesses ?? 1;
  }

  /** Data-parallel processes for a PyTorch run; a number it cannot run is refused with the reason. */
  setProcesses(n: number): string | null {
    const info = this.store.getState().engines.find((e) => e.name === this.store.getState().engine);
    const max = this.maxProcesses();
    if (!Number.isInteger(n) || n < 1 || n > max) return max === 1 ? `This engine trains in one process here${info ? ` (${info.reason})` : ''}` : `Processes must be a whole number from 1 to ${max}, not ${Number.isNaN(n) ? 'empty' : n}`;
    this.store.set({ nproc: n });
    return null;
  }

  /** Why the next start cannot train there with the engine chosen, or null when it can. */
  cannotRunOn(where: 'here' | 'queue'): string | null {
    const { engines, engine } = this.store.getState();
    const info = engines.find((e) => e.name === engine);
    if (where === 'here' && engine !== 'builtin' && !info?.available) return `${engine === 'torch' ? 'PyTorch' : engine} cannot train on the engine’s machine${info ? ` (${info.reason})` : ''}: choose the built-in engine first`;
    return null;
  }

  /** Trains the next start on the engine's machine, or on a queue worker; refused with the reason where it cannot apply. */
  setRunOn(where: 'here' | 'queue'): string | null {
    const problem = this.cannotRunOn(where);
    if (problem) return problem;
    const { nproc } = this.store.getState();
    this.store.set({ runOn: where });
    // Processes asked of a worker's machine may be more than this one runs.
    if (nproc > this.maxProcesses()) this.store.set({ nproc: 1 });
    return null;
  }

  /** The queue's Redis (redis://host:port[/db]); what is wrong with it is said by Start until mended. */
  setQueue(url: string): void {
    this.store.set({ queue: url });
  }

  private queueProblem(): string | null {
    const { runOn, queue } = this.store.getState();
    if (runOn !== 'queue') return null;
    if (!queue.trim()) return 'Give the queue’s address (redis://host:6379/0) to train on a worker started with `modulargan worker --queue … --train`';
    const r = queueUrlSchema.safeParse(queue.trim());
    return r.success ? null : `The queue’s address ${r.error.issues[0]?.message ?? 'is not valid'}, e.g. redis://host:6379/0`;
  }

  private say(message: string): void {
    this.store.set({ message });
  }

  /**
   * Another document was opened: the last one's run (its curves, samples, checkpoints,
   * messages) is not this one's. A run still going on stays on show: its controls are
   * the only way to pause or stop it.
   */
  private forgetRun(): void {
    this.runLoads = this.editor.getState().loads;
    if (isLive(this.store.getState().status)) return;
    // The engines and the choice among them are the machine's and the user's, not the document's.
    const { view, engines, engine, nproc, runOn, queue } = this.store.getState();
    this.store.set({ ...INITIAL_TRAINING, view, engines, engine, nproc, runOn, queue });
    this.early = [];
    void this.refreshCheckpoints();
  }

  /** Why Start cannot train the project as it is, or null when it can. */
  cannotStart(): string | null {
    const p = this.editor.project;
    if (!p.training) return 'This project has no training section: open or make a training project (Demos…, or one of assets/projects)';
    if (!this.dataset()) return `The training dataset '${p.training.dataset}' is not one of the project's datasets`;
    let graph;
    try {
      graph = buildTrainingGraph(p);
    } catch (e) {
      return `No training graph: ${(e as Error).message}`;
    }
    const problems = analyzeTrainingGraph(graph).diagnostics.filter((d) => d.severity === 'error');
    if (problems.length) return `Fix the training graph first (${problems.length} problem${problems.length > 1 ? 's' : ''}, marked in red): ${problems[0]!.message}`;
    return this.queueProblem();
  }

  /**
   * Builds the training graph from the editor's project. Nodes keep where the user put them;
   * when nodes appear (a transformer's D and losses) the graph is laid out again, and a
   * newly opened project is fitted into view.
   */
  refreshGraph(): void {
    const project = this.editor.project;
    const loads = this.editor.getState().loads;
    this.loading = true;
    try {
      const graph = buildTrainingGraph(project);
      const current = this.graphStore.project.layout.nodes;
      const doc = { ...emptyProject(`Training of ${project.name}`), graph: graph as Project['graph'] };
      if (loads === this.shownLoads && graph.nodes.every((n) => current[n.id])) this.graphStore.replaceDocument({ ...doc, layout: { nodes: current } });
      else if (loads === this.shownLoads) this.graphStore.replaceDocument(compactLayout(autoLayout(doc)), { fit: true });
      else this.graphStore.load(compactLayout(autoLayout(doc)), null, this.editor.getState().baseDir);
    } catch (e) {
      this.graphStore.load(emptyProject('No training graph'), null, '');
      this.say(`No training graph: ${(e as Error).message}`);
    } finally {
      this.shownFor = project;
      this.shownLoads = loads;
      this.loaded = this.graphStore.project.graph;
      this.loading = false;
    }
  }

  /**
   * An edit of the training graph (a loss weight, a transformer added or removed, its
   * attributes...) goes into the project as one undo step; one the project cannot hold is
   * refused with the reason, and the graph shows the project again.
   */
  private onGraphEdit(): void {
    const graph = this.graphStore.project.graph;
    if (this.loading || graph === this.loaded) return;
    this.loaded = graph;
    const project = this.editor.project;
    if (!project.training) return;
    let next: Project;
    try {
      next = applyTrainingGraph(project, graph);
    } catch (e) {
      this.refreshGraph();
      const message = `Not applied: ${(e as Error).message}`;
      this.say(message);
      this.editor.notify(message);
      return;
    }
    // Typing in one field is one step, as in the editor.
    const group = this.graphStore.getState().history.group;
    this.editor.commit(next, group ? `training:${group}` : null);
    if (this.shownFor !== this.editor.project) this.refreshGraph();
  }

  /** The transformers' attributes as the Training palette maps them: one dataset group each. */
  mapTransformer(id: string, group: AttributeGroup): void {
    this.graphStore.setParam(id, 'attributes', [group]);
    this.graphStore.endGroup();
  }

  // --- dataset set-up ---

  dataset(): DatasetRef | undefined {
    const p = this.editor.project;
    return p.datasets.find((d) => d.id === p.training?.dataset);
  }

  /** Changes the training dataset entry (source, folder, CSV, size, attributes). */
  setDataset(patch: Partial<DatasetRef>): void {
    const p = this.editor.project;
    const ds = this.dataset();
    if (!ds) return this.say('The project has no training dataset');
    const next: DatasetRef = { ...ds, ...patch };
    for (const k of Object.keys(patch) as (keyof DatasetRef)[]) if (patch[k] === undefined || patch[k] === '') delete (next as Record<string, unknown>)[k as string];
    this.editor.commit({ ...p, datasets: p.datasets.map((d) => (d === ds ? next : d)) });
    this.store.set({ preview: null, columns: [], suggestions: [] });
    this.refreshGraph();
  }

  async loadColumns(): Promise<void> {
    const ds = this.dataset();
    if (!ds) return;
    try {
      const columns = await this.api.datasetColumns(ds, this.editor.getState().baseDir);
      const suggestions = await this.api.suggestMapping(columns);
      this.store.set({ columns, suggestions });
    } catch (e) {
      this.say(`Could not read the dataset's attributes: ${(e as Error).message}`);
    }
  }

  /** Uses these suggested groups as the dataset's attributes (one transformer each). */
  useGroups(groups: readonly AttributeGroup[]): void {
    this.setDataset({ attributes: groups.map((g) => ({ ...g, ...(g.kind === 'onehot' ? { values: [...g.values] } : {}) })) as DatasetRef['attributes'] });
  }

  async preview(count = 8): Promise<void> {
    const ds = this.dataset();
    if (!ds) return;
    try {
      this.store.set({ preview: await this.api.datasetPreview(ds, this.editor.getState().baseDir, count) });
    } catch (e) {
      this.say(`No preview: ${(e as Error).message}`);
    }
  }

  // --- run control ---

  private path(): string | null {
    return this.editor.getState().path;
  }

  /** Starts training the saved project: from scratch, or from a checkpoint ('latest' or its id). */
  async startTraining(resume?: string): Promise<void> {
    const st = this.store.getState().status;
    if (isLive(st)) return;
    const blocked = this.cannotStart();
    if (blocked) return this.say(blocked);
    // The engine trains the file on disk, as `modulargan train` does: save first.
    if (this.editor.dirty || !this.path()) {
      if (!(await this.studio.save())) return this.say('Save the project to train it');
    }
    const projectPath = this.path()!;
    let restart = false;
    if (!resume && this.store.getState().checkpoints.length) {
      if (!this.confirm('Start over? The earlier run of this project (its checkpoints, samples and log) will be discarded.')) return;
      restart = true;
    }
    const { engine, nproc, engines, runOn, queue } = this.store.getState();
    const onQueue = runOn === 'queue';
    const cannotPause = onQueue ? QUEUE_CANNOT_PAUSE : (engines.find((e) => e.name === engine)?.cannotPause ?? null);
    this.store.set({ status: 'starting', runId: null, series: EMPTY_SERIES, sample: null, iteration: 0, lr: null, notes: [], cannotPause, message: resume ? `Resuming from ${resume}…` : 'Starting…' });
    try {
      const { runId } = await this.api.startTraining({
        projectPath,
        ...(resume ? { resume } : {}),
        ...(restart ? { restart } : {}),
        ...(engine !== 'builtin' ? { engine } : {}),
        ...(engine === 'torch' && nproc > 1 ? { nproc } : {}),
        ...(onQueue ? { queue: queue.trim() } : {}),
      });
      this.store.set({ runId, status: 'running' });
      const early = this.early.filter((e) => e.runId === runId);
      this.early = [];
      for (const e of early) this.onEvent(e);
    } catch (e) {
      this.store.set({ status: 'failed', message: (e as Error).message });
    }
  }

  async pause(): Promise<void> {
    const { runId } = this.store.getState();
    if (runId) await this.api.pauseTraining(runId).catch((e: Error) => this.say(e.message));
  }
  async resume(): Promise<void> {
    const { runId } = this.store.getState();
    if (runId) await this.api.resumeTraining(runId).catch((e: Error) => this.say(e.message));
  }
  async stop(): Promise<void> {
    const { runId } = this.store.getState();
    if (!runId) return;
    this.store.set({ status: 'stopping', message: 'Stopping: writing a checkpoint…' });
    await this.api.stopTraining(runId).catch((e: Error) => this.say(e.message));
  }

  /**
   * Changes one training setting in the project (one undo step per field edit); a value the
   * project format does not allow is refused with the reason, and nothing changes.
   */
  setSetting(key: TrainingSettingKey, value: number): string | null {
    const p = this.editor.project;
    if (!p.training) return 'The project has no training section';
    const problem = trainingSettingProblem(key, value);
    if (problem) return problem;
    if (p.training[key] !== value) this.editor.commit({ ...p, training: { ...p.training, [key]: value } }, `training-setting:${key}`);
    return null;
  }

  /**
   * A sample grid now: of the running training (between two iterations), else of the run's
   * latest checkpoint, else of the untrained model. The engine reads the saved project, so
   * unsaved edits are saved first, as Start does.
   */
  async sampleNow(): Promise<void> {
    if (this.editor.dirty || !this.path()) {
      if (!(await this.studio.save())) return this.say('Save the project to sample it');
    }
    this.store.set({ sampling: true });
    try {
      const s = await this.api.sampleNow(this.path()!);
      this.store.set({ sample: { png: s.png, iteration: s.iteration, source: s.source } });
    } catch (e) {
      this.say(`No sample: ${(e as Error).message}`);
    } finally {
      this.store.set({ sampling: false });
    }
  }

  private onEvent(e: RunEvent): void {
    if (e.type === 'engine-exited') {
      // The training died with the engine; its last checkpoint is on disk to resume from.
      const live = ['starting', 'running', 'paused', 'stopping'].includes(this.store.getState().status);
      if (live) this.store.set({ status: 'failed', message: `${e.message} Resume from the last checkpoint once it runs again.` });
      return;
    }
    if (!e.type.startsWith('training-')) return;
    const t = e as TrainingEvent;
    const s = this.store.getState();
    if (t.runId !== s.runId) {
      // Events can overtake the reply that names the run.
      if (s.status === 'starting') this.early.push(t);
      return;
    }
    switch (t.type) {
      case 'training-progress':
        this.store.set({
          iteration: t.iteration,
          total: t.total,
          iterationsPerSecond: t.iterationsPerSecond,
          etaSeconds: t.etaSeconds,
          lr: t.lr,
          // A page that reconnects is sent the latest progress again: one point per iteration.
          series: s.series.x.length && t.iteration <= s.series.x.at(-1)! ? s.series : appendLosses(s.series, t.iteration, t.losses),
          ...(s.status === 'starting' ? { status: 'running' as const } : {}),
          ...(s.series.x.length === 0 ? { message: '' } : {}),
        });
        break;
      case 'training-sample':
        this.store.set({ sample: { png: t.png, iteration: t.iteration, source: 'training' } });
        break;
      case 'training-checkpoint':
        this.store.set({ checkpoints: [...s.checkpoints.filter((c) => c.id !== t.checkpoint.id), t.checkpoint].sort((a, b) => a.iteration - b.iteration) });
        void this.refreshCheckpoints();
        break;
      case 'training-state':
        this.store.set({ status: t.state === 'running' ? 'running' : t.state, message: t.state === 'paused' ? `Paused at iteration ${s.iteration}` : '' });
        break;
      case 'training-finished':
        this.store.set({
          status: t.status === 'done' ? 'done' : t.status === 'stopped' ? 'stopped' : 'failed',
          message: t.message ?? `${t.status === 'done' ? 'Finished' : 'Stopped'} at iteration ${t.completed}${t.lastCheckpoint ? '; checkpoint written' : ''}`,
        });
        void this.refreshCheckpoints();
        break;
      case 'training-failed':
        this.store.set({ status: 'failed', message: t.message });
        break;
      case 'training-note':
        this.store.set({ notes: [...s.notes, t.message].slice(-NOTES_KEPT) });
        break;
    }
  }

  // --- checkpoints ---

  async refreshCheckpoints(): Promise<void> {
    const path = this.path();
    if (!path) return this.store.set({ checkpoints: [] });
    try {
      this.store.set({ checkpoints: await this.api.listCheckpoints(path) });
    } catch (e) {
      this.say(`Could not list checkpoints: ${(e as Error).message}`);
    }
  }

  /** Puts the checkpoint's module weights into the editor's graph (one undo step) and shows the editor. */
  async loadCheckpoint(id: string): Promise<void> {
    const path = this.path();
    if (!path) return;
    try {
      const graph = await this.api.loadCheckpointIntoGraph(path, id);
      this.editor.commit({ ...this.editor.project, graph: graph as Project['graph'] });
      this.editor.notify(`Loaded the modules of checkpoint ${id} (Undo takes them out)`);
      this.show('editor');
    } catch (e) {
      this.say(`Could not load ${id}: ${(e as Error).message}`);
    }
  }

  /**
   * The guided flow: a new transformer for `group` goes before R, with its condition; every
   * other module takes its weights from the checkpoint and is frozen. Saved as a new project
   * beside this one, so its run folder is new; the frozen weights are copied beside it, so
   * pruning the original run's checkpoints cannot take them away.
   */
  async addTransformer(group: AttributeGroup, checkpointId: string): Promise<void> {
    const path = this.path();
    if (!path) return this.say('Save the project first');
    try {
      const { added } = withNewTransformer(this.editor.project, group);
      const target = path.replace(/(\.mgproj)?\.json$/, `-${added}.mgproj.json`);
      const graph = await this.api.freezeCheckpoint(path, checkpointId, target);
      const next = withNewTransformer({ ...this.editor.project, graph: graph as Project['graph'] }, group);
      const saved = await this.api.saveProject(target, next.project);
      this.editor.load(next.project, saved.path, saved.path.replace(/[\\/][^\\/]*$/, ''));
      this.editor.notify(`Added ${next.added}; the other modules are frozen with the weights of ${checkpointId} (copied beside the new project). Saved as ${saved.path}: Start trains only ${next.added}.`);
      this.store.set({ checkpoints: [], series: EMPTY_SERIES, sample: null, status: 'idle', runId: null });
      this.refreshGraph();
    } catch (e) {
      this.say(`Could not add the transformer: ${(e as Error).message}`);
    }
  }
}

/** Adds T_<group> (and its condition) before R, freezes every other module; pure, for tests. */
export function withNewTransformer(project: Project, group: AttributeGroup): { project: Project; added: string } {
  const nodes = project.graph.nodes;
  const r = nodes.find((n) => n.kind === 'reconstructor');
  if (!r) throw new Error('the graph has no reconstructor to put the transformer before');
  const into = project.graph.edges.find((e) => e.to.node === r.id && e.to.port === 'feature');
  if (!into) throw new Error(`the reconstructor '${r.id}' has no input`);
  const { id, label, params } = transformerFor(project.graph, group);
  const t: Project['graph']['nodes'][number] = { id, kind: 'transformer', label, params };
  const cond: Project['graph']['nodes'][number] = {
    id: `c_${id}`,
    kind: 'condition-input',
    label: `target ${group.name}`,
    params: { attributes: [group], values: { [group.name]: group.kind === 'onehot' ? group.values[0]! : '1' } },
  };
  const edges = [
    ...project.graph.edges.filter((e) => e !== into),
    { id: `f_${id}`, from: into.from, to: { node: id, port: 'feature' } },
    { id: `k_${id}`, from: { node: cond.id, port: 'condition' }, to: { node: id, port: 'condition' } },
    { id: `r_${id}`, from: { node: id, port: 'feature' }, to: { node: r.id, port: 'feature' } },
  ];
  const frozen = nodes.filter((n) => MODULE_KINDS.has(n.kind)).map((n) => n.id);
  const ds = project.datasets.find((d) => d.id === project.training?.dataset);
  const datasets = project.datasets.map((d) =>
    d === ds && d.attributes?.length && !d.attributes.some((g) => g.name === group.name) ? { ...d, attributes: [...d.attributes, group as NonNullable<DatasetRef['attributes']>[number]] } : d,
  );
  const layout = project.layout.nodes[r.id];
  const next: Project = {
    ...project,
    graph: { ...project.graph, nodes: [...nodes, t, cond], edges },
    datasets,
    training: project.training ? { ...project.training, frozen } : project.training,
    layout: { ...project.layout, nodes: { ...project.layout.nodes, ...(layout ? { [id]: { x: layout.x, y: layout.y + 240 }, [cond.id]: { x: layout.x - 300, y: layout.y + 240 } } : {}) } },
  };
  return { project: next, added: id };
}
