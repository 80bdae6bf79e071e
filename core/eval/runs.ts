// The trained models an evaluation compares, each a training run of a project: the user's
// ModularGAN project, and projects derived from it with the same dataset, modules' sizes
// and training settings: the StarGAN-style baseline (one transformer conditioned on every
// attribute group at once, between the same E/G and R) and the ModularGAN variant trained
// without the cycle loss (λ_cyc = 0). Derived projects are written beside the user's as
// `<name>.stargan.mgproj.json` and `<name>.nocycle.mgproj.json` and trained by the same
// trainer (runTraining), into their own `.train/` folders.

import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Dataset } from '../data/dataset';
import { openDataset } from '../data/open';
import { formatFileError, readProjectFile, saveProjectFile } from '../files/documents';
import { readWeightsFile } from '../files/weights-file';
import type { Project } from '../graph/format/project';
import type { Graph, GraphEdge, GraphNode } from '../graph/graph';
import type { AttributeGroup } from '../graph/ports';
import { MODULE_KINDS } from '../graph/training-graph';
import { inferenceWeights, readCheckpointManifest, readIndex } from '../train/checkpoint';
import { type TrainModel, type TrainModelPlan, buildPlannedModel, planTrainModel } from '../train/model';
import { defaultRunDir, runTraining, trainModelOptions } from '../train/run';

export type Variant = 'stargan' | 'nocycle';

export const BASELINE_TRANSFORMER_ID = 'T_all';

export async function readProject(file: string): Promise<Project> {
  const read = await readProjectFile(file);
  if (!read.ok) throw new Error(read.errors.map((e) => formatFileError(file, e)).join('\n'));
  if (!read.value.value.training) throw new Error(`${file}: the project has no "training" section, so there is no trained model to evaluate`);
  return read.value.value;
}

export async function projectDataset(project: Project, projectFile: string): Promise<Dataset> {
  const t = project.training!;
  const ref = project.datasets.find((d) => d.id === t.dataset);
  if (!ref) throw new Error(`training.dataset '${t.dataset}' is not one of the project's datasets`);
  return openDataset(ref, dirname(resolve(projectFile)));
}

export const variantFile = (projectFile: string, v: Variant): string =>
  join(dirname(resolve(projectFile)), `${basename(projectFile).replace(/(\.mgproj)?\.json$/, '')}.${v}.mgproj.json`);

const MASK_VIEWS = new Set(['mask-sum', 'mask-preview']);

/** The StarGAN-style graph: every transformer (and the conditions and mask views around them) replaced by one conditioned on all their groups. */
export function baselineGraph(graph: Graph): Graph {
  const ts = graph.nodes.filter((n) => n.kind === 'transformer');
  if (ts.length === 0) throw new Error('the graph has no transformer');
  const feeding = (id: string) => graph.edges.filter((e) => e.from.node === id);
  const condOnlyForT = (n: GraphNode) =>
    n.kind === 'condition-input' && feeding(n.id).length > 0 && feeding(n.id).every((e) => ts.some((t) => t.id === e.to.node));
  const drop = new Set(graph.nodes.filter((n) => n.kind === 'transformer' || MASK_VIEWS.has(n.kind) || condOnlyForT(n)).map((n) => n.id));
  const groups: AttributeGroup[] = ts.flatMap((t) => (t.params.attributes as AttributeGroup[] | undefined) ?? []);
  const first = ts[0]!;
  const base = graph.nodes.find((n) => n.kind === 'encoder' || n.kind === 'generator');
  const rec = graph.nodes.find((n) => n.kind === 'reconstructor');
  if (!base || !rec) throw new Error('the graph needs an encoder or generator and a reconstructor');
  const tAll: GraphNode = {
    id: BASELINE_TRANSFORMER_ID,
    kind: 'transformer',
    label: 'all attributes (StarGAN-style)',
    params: { ...first.params, attributes: groups, weights: '' },
  };
  const cond: GraphNode = {
    id: 'c_all',
    kind: 'condition-input',
    label: 'all attributes',
    params: { attributes: groups, values: Object.fromEntries(groups.map((g) => [g.name, g.kind === 'onehot' ? g.values[0]! : '0'])) },
  };
  const edges: GraphEdge[] = graph.edges.filter((e) => !drop.has(e.from.node) && !drop.has(e.to.node) && e.to.node !== rec.id);
  edges.push(
    { id: 'eval_e1', from: { node: base.id, port: 'feature' }, to: { node: tAll.id, port: 'feature' } },
    { id: 'eval_e2', from: { node: cond.id, port: 'condition' }, to: { node: tAll.id, port: 'condition' } },
    { id: 'eval_e3', from: { node: tAll.id, port: 'feature' }, to: { node: rec.id, port: 'feature' } },
  );
  return { nodes: [...graph.nodes.filter((n) => !drop.has(n.id)), cond, tAll], edges };
}

/**
 * Writes the derived project of a variant beside the user's (same dataset paths: they are
 * resolved against the same folder). The user's project is read as every reader reads it
 * (checked, upgraded to the current version), so the variant is a current, valid project that
 * keeps the fields this version does not know.
 */
export async function writeVariantProject(projectFile: string, v: Variant): Promise<string> {
  const project = await readProject(projectFile);
  const out: Project =
    v === 'stargan'
      ? // Its layout lists nodes it no longer has; the editor places new nodes itself.
        { ...project, checkpoints: [], graph: baselineGraph(project.graph) as Project['graph'], name: `${project.name || 'project'} (StarGAN-style baseline)`, layout: { nodes: {} } }
      : // The round trip through the image is StarGAN's cycle loss; an ablation of cycle
        // consistency that kept it would still have one.
        { ...project, checkpoints: [], training: { ...project.training!, lambdaCyc: 0, lambdaRoundTrip: 0 }, name: `${project.name || 'project'} (no cycle loss)` };
  const file = variantFile(projectFile, v);
  await saveProjectFile(file, out);
  return file;
}

/** The checkpoints a run folder keeps, oldest first, each with its folder, and the one it names best. */
async function keptCheckpoints(runDir: string) {
  const folder = join(runDir, 'checkpoints');
  const index = await readIndex(folder);
  const kept = [...index.checkpoints].sort((a, b) => a.iteration - b.iteration).map((c) => ({ path: c.path, dir: resolve(folder, c.path), iteration: c.iteration }));
  return { kept, best: index.best };
}

/** The newest checkpoint of a run folder, or undefined when it has none. */
export async function newestCheckpoint(runDir: string): Promise<{ dir: string; iteration: number } | undefined> {
  const last = (await keptCheckpoints(runDir)).kept.at(-1);
  return last ? { dir: last.dir, iteration: last.iteration } : undefined;
}

/** Which checkpoint of a run to evaluate: one by its iteration, or the one the run names best. */
export type CheckpointChoice = number | 'best';

/** The checkpoint `which` names in a run folder; refuses, listing what the run kept, when it has none such. */
export async function chosenCheckpoint(runDir: string, which: CheckpointChoice): Promise<{ dir: string; iteration: number }> {
  const { kept, best } = await keptCheckpoints(runDir);
  const entry = which === 'best' ? kept.find((c) => c.path === best) : kept.find((c) => c.iteration === which);
  if (!entry) {
    const have = kept.length ? `it keeps ${kept.map((c) => c.iteration).join(', ')}${best ? ` (best: ${best})` : ''}` : 'the folder holds no checkpoint';
    throw new Error(`${runDir}: no checkpoint ${which === 'best' ? 'is named best' : `of iteration ${which}`}; ${have}`);
  }
  return { dir: entry.dir, iteration: entry.iteration };
}

/** 'best' when the run in `runDir` names a best checkpoint (by its monitor's FID or by its losses), else undefined (its newest). */
export async function bestIfNamed(runDir: string): Promise<'best' | undefined> {
  return (await keptCheckpoints(runDir).catch(() => undefined))?.best ? 'best' : undefined;
}

export interface LoadedRun {
  readonly projectFile: string;
  readonly runDir: string;
  /** The checkpoint folder, or, for a project whose modules name their weights files (a shipped demo), the project file. */
  readonly checkpoint: string;
  /** The checkpoint's iteration; for weights files, the iteration they record (0 when they record none). */
  readonly iteration: number;
  /** How far the run was trained: its newest checkpoint's iteration (for weights files, `iteration`). */
  readonly trainedTo: number;
  /** Whether the checkpoint is the one the run names best (shipped weights asked for best: taken as they are, as exported from their run's best). */
  readonly best: boolean;
  /** What the run's "best" is chosen by: the monitor's FID, or the reconstruction and cycle losses (training.monitor.best). */
  readonly bestBy: 'fid' | 'losses';
  readonly model: TrainModel;
}

/**
 * The run's modules as its trainer built them (a shared D included), every D's weights from
 * beside the chosen checkpoint's: the project's `discriminatorWeights` name where a training
 * started, not what it reached.
 */
async function runPlan(project: Project, projectFile: string, dataset: Dataset, graph: Graph): Promise<TrainModelPlan> {
  const { discriminatorWeights: _start, ...opts } = trainModelOptions(project, dataset, dirname(resolve(projectFile)));
  return planTrainModel(graph, opts);
}

/** The modules a project's run holds, planned from its parameters: nothing is allocated (for the memory estimate). */
export async function planRun(project: Project, projectFile: string, dataset: Dataset): Promise<TrainModelPlan> {
  return runPlan(project, projectFile, dataset, project.graph);
}

const weightsOf = (n: GraphNode): string => (typeof n.params.weights === 'string' ? n.params.weights.trim() : '');

/**
 * Whether a project's modules all name their weights files (as the shipped demos do): then it
 * is a trained model without a run folder, and evaluation takes those files.
 */
export function namesAllWeights(project: Project): boolean {
  const modules = project.graph.nodes.filter((n) => MODULE_KINDS.has(n.kind));
  return modules.length > 0 && modules.every((n) => weightsOf(n) !== '');
}

/**
 * The trained modules of a project: its run's newest checkpoint, or the one `which` names (the averaged weights where the
 * run kept an average), else the weights files its module nodes name; undefined when it has neither.
 */
export async function loadRun(projectFile: string, dataset: Dataset, which?: CheckpointChoice): Promise<LoadedRun | undefined> {
  const project = await readProject(projectFile);
  const runDir = defaultRunDir(projectFile);
  const bestBy = project.training!.monitor?.best ?? 'losses';
  const baseDir = dirname(resolve(projectFile));
  const newest = await newestCheckpoint(runDir);
  // Shipped weights with no run folder are taken as they are, for 'best' too: the demos export
  // their run's best checkpoint (scripts/make-demos.ts).
  const shipped = !newest && namesAllWeights(project);
  const ck = which === undefined || shipped ? newest : await chosenCheckpoint(runDir, which);
  if (!ck) {
    if (!shipped) return undefined;
    const plan = await runPlan(project, projectFile, dataset, project.graph);
    const model = await buildPlannedModel(plan, { seed: project.training!.seed, baseDir });
    // What the files say of the iteration they were trained to (the demo export writes it).
    const first = project.graph.nodes.find((n) => MODULE_KINDS.has(n.kind))!;
    const recorded = (await readWeightsFile(resolve(baseDir, weightsOf(first)))).header.meta?.iteration;
    const iteration = Number.isInteger(recorded) && (recorded as number) >= 0 ? (recorded as number) : 0;
    return { projectFile, runDir, checkpoint: resolve(projectFile), iteration, trainedTo: iteration, best: which === 'best', bestBy, model };
  }
  const files = inferenceWeights(await readCheckpointManifest(ck.dir));
  const nodes = project.graph.nodes.map((n) => (MODULE_KINDS.has(n.kind) ? { ...n, params: { ...n.params, weights: join(ck.dir, files[n.id] ?? `${n.id}.mgw`) } } : n));
  const plan = await runPlan(project, projectFile, dataset, { nodes, edges: project.graph.edges });
  const model = await buildPlannedModel(plan, { seed: project.training!.seed, baseDir });
  return { projectFile, runDir, checkpoint: ck.dir, iteration: ck.iteration, trainedTo: newest!.iteration, best: which === 'best', bestBy, model };
}

/**
 * Makes sure a variant has been trained: reuses its run when it has a checkpoint, else
 * writes its project and trains it for `iterations` (the main run's budget by default),
 * measured by `measure` where the project has a training.monitor (so its best checkpoint is
 * chosen as the main run's is).
 */
export async function ensureVariant(
  projectFile: string,
  v: Variant,
  iterations: number,
  log: (l: string) => void,
  measure?: (model: TrainModel) => Promise<Record<string, number>>,
): Promise<string> {
  const file = variantFile(projectFile, v);
  if (await newestCheckpoint(defaultRunDir(file))) {
    log(`reusing the trained ${v} variant in ${defaultRunDir(file)}`);
    return file;
  }
  // A variant shipped with its weights files (the demos' baselines) is as trained as a run.
  if (await stat(file).catch(() => undefined) && namesAllWeights(await readProject(file))) {
    log(`using the ${v} variant's weights files named in ${file}`);
    return file;
  }
  await writeVariantProject(projectFile, v);
  log(`training the ${v} variant (${file}) for ${iterations} iterations`);
  const r = await runTraining(file, { iterations, restart: true, log, command: `evaluation of ${basename(projectFile)} (training its ${v} variant)`, ...(measure ? { measure } : {}) });
  if (r.status !== 'done') throw new Error(`training the ${v} variant ended with '${r.status}'${r.message ? `: ${r.message}` : ''}`);
  return file;
}
