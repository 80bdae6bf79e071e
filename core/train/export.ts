// Trained modules out of a run: a checkpoint's E/G/T/R weights copied into a folder with a
// project that uses them, ready to run or to ship (optionally in half precision, half the
// size). Discriminators and optimiser state stay behind: they matter only for training.

import { mkdir } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../files/atomic';
import { formatFileError, readProjectFile, saveProjectFile } from '../files/documents';
import { readWeightsFile } from '../files/weights-file';
import { nodeKind } from '../graph/catalogue';
import type { Project } from '../graph/format/project';
import { type WeightsStorage, reencodeWeights } from '../modules/weights';
import { checkpointName, inferenceWeights, readCheckpointManifest, readIndex } from './checkpoint';
import { openDataset } from '../data/open';
import { defaultRunDir, trainedOnSummary } from './run';

/** What a project's training trains on (see trainedOnSummary); undefined without a training dataset. */
export async function trainedOnOfProject(project: Project, baseDir: string): Promise<Awaited<ReturnType<typeof trainedOnSummary>> | undefined> {
  const ref = project.datasets.find((d) => d.id === project.training?.dataset);
  return ref && trainedOnSummary(await openDataset(ref, baseDir));
}

export interface ExportOptions {
  /** Folder for the weights (created if missing); the project goes there too unless `project` says otherwise. */
  readonly out: string;
  /** Where to write the project (default `<out>/<project's file name>`); weights paths are relative to it. */
  readonly project?: string;
  /** 'latest' (default), 'best', or an iteration number. */
  readonly checkpoint?: string;
  readonly storage?: WeightsStorage;
  /** Run folder (default `<project>.train` beside it). */
  readonly runDir?: string;
}

export interface ExportResult {
  readonly project: string;
  readonly iteration: number;
  readonly modules: readonly { node: string; file: string; bytes: number }[];
}

/** Which checkpoint folder `which` names in a run's index; errors list what there is. */
async function pickCheckpoint(root: string, which: string): Promise<{ dir: string; iteration: number }> {
  const index = await readIndex(root);
  const all = [...index.checkpoints].sort((a, b) => a.iteration - b.iteration);
  if (!all.length) throw new Error(`${root}: the run has no checkpoints yet (train the project first)`);
  const entry =
    which === 'latest' ? all.at(-1)
    : which === 'best' ? all.find((c) => c.path === index.best) ?? all.at(-1)
    : all.find((c) => c.path === which || c.path === checkpointName(Number(which)));
  if (!entry) throw new Error(`there is no checkpoint '${which}' in ${root}; there are: latest, best, ${all.map((c) => c.iteration).join(', ')}`);
  return { dir: join(root, entry.path), iteration: entry.iteration };
}

/** Paths in the project that were relative to its old folder, made relative to the new one. */
function rebase(path: string, from: string, to: string): string {
  return !path || isAbsolute(path) ? path : relative(to, resolve(from, path)) || '.';
}

export async function exportTrainedModules(projectFile: string, opts: ExportOptions): Promise<ExportResult> {
  const read = await readProjectFile(projectFile);
  if (!read.ok) throw new Error(read.errors.map((e) => formatFileError(projectFile, e)).join('\n'));
  const project = read.value.value;
  const runDir = opts.runDir ?? defaultRunDir(projectFile);
  const ckpt = await pickCheckpoint(join(runDir, 'checkpoints'), opts.checkpoint ?? 'latest');
  const manifestFile = join(ckpt.dir, 'manifest.json');
  // Its names are joined to the folder and read: checked to be the checkpoint's own files.
  const manifest = await readCheckpointManifest(ckpt.dir);
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });
  const projectOut = resolve(opts.project ?? join(out, basename(projectFile)));
  const to = dirname(projectOut);
  const from = dirname(resolve(projectFile));
  const modules: { node: string; file: string; bytes: number }[] = [];
  const nodes: Project['graph']['nodes'] = [];
  let trainedOn: Promise<unknown> | undefined;
  const summary = () => (trainedOn ??= trainedOnOfProject(project, from).catch(() => undefined));
  for (const n of project.graph.nodes) {
    if (!nodeKind(n.kind)?.module) {
      // Image inputs and output folders keep pointing where they pointed.
      const params = { ...n.params };
      for (const key of ['path', 'folder']) if (typeof params[key] === 'string') params[key] = rebase(params[key], from, to);
      nodes.push({ ...n, params });
      continue;
    }
    const file = inferenceWeights(manifest)[n.id];
    if (!file) throw new Error(`${manifestFile}: the checkpoint has no weights for node '${n.id}' (${n.kind}); was it added after this checkpoint?`);
    const decoded = await readWeightsFile(join(ckpt.dir, file));
    const name = `${n.id.replace(/[^\w.-]+/g, '_')}.mgw`;
    // Checkpoints from before weights said what they were trained on learn it from the project.
    const trainedOn = decoded.header.meta?.trainedOn ?? (await summary());
    const bytes = reencodeWeights(decoded, opts.storage ?? 'float32', { ...decoded.header.meta, ...(trainedOn ? { trainedOn } : {}), exportedFrom: basename(projectFile), iteration: ckpt.iteration });
    await writeFileAtomic(join(out, name), bytes, { backup: false }); // weights are regenerated from the run, not edited
    modules.push({ node: n.id, file: name, bytes: bytes.length });
    nodes.push({ ...n, params: { ...n.params, weights: relative(to, join(out, name)) } });
  }
  const datasets = project.datasets.map((d) => (typeof d.path === 'string' ? { ...d, path: rebase(d.path, from, to) } : d));
  await mkdir(to, { recursive: true });
  await saveProjectFile(projectOut, { ...project, graph: { ...project.graph, nodes }, datasets, checkpoints: [] });
  return { project: projectOut, iteration: ckpt.iteration, modules };
}
