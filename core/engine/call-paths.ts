// Every engine call's files, one entry per method: which paths it reads or writes. With
// roots (modulargan serve --root) the service checks them before the call runs, so no front
// door can reach a file outside. The table is typed over the whole method map: a method
// added to the contract does not compile until it says which paths it touches.

import { dirname, resolve } from 'node:path';
import type { ApiMethod, ApiParams, DatasetRefInfo } from '../api/types';
import { nodeKind } from '../graph/catalogue';
import type { Project } from '../graph/format/project';
import type { Graph } from '../graph/graph';
import { expandPresetNodes } from '../graph/preset-node';
import { defaultRunDir } from '../train/run';
import { readProject } from './documents';
import type { PathAccess, PathGuard } from './path-guard';

/** One path a call uses: what it is (for the refusal), and whether it is read or written. */
export interface CallPath {
  readonly path: string;
  readonly access: PathAccess;
  readonly what: string;
  /** Where a relative path resolves. */
  readonly baseDir?: string;
}

/** A path, or paths found by reading a file named earlier in the list (checked by then). */
type CallPathStep = CallPath | (() => Promise<readonly CallPath[]>);
type PathsOf<M extends ApiMethod> = (...params: ApiParams<M>) => readonly CallPathStep[];

const none = () => [];
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * A graph's files: every path parameter of every node (presets expanded), as the catalogue
 * declares them; output nodes write theirs, the others read.
 */
export function graphPaths(graph: Graph, baseDir: string): CallPath[] {
  const out: CallPath[] = [];
  for (const n of expandPresetNodes(graph).graph.nodes) {
    const def = nodeKind(n.kind);
    for (const [name, spec] of Object.entries(def?.params ?? {})) {
      const value = n.params[name];
      if (spec.type !== 'path' || !nonEmpty(value)) continue;
      out.push({ path: value, baseDir, access: def!.category === 'output' ? 'write' : 'read', what: `the ${spec.title.toLowerCase()} of node '${n.id}'` });
    }
  }
  return out;
}

const datasetPaths = (ref: DatasetRefInfo, baseDir: string): CallPath[] => [
  ...(nonEmpty(ref.path) ? [{ path: ref.path, baseDir, access: 'read' as const, what: `the folder of dataset '${ref.id}'` }] : []),
  ...(nonEmpty(ref.csv) ? [{ path: ref.csv, baseDir, access: 'read' as const, what: `the attribute table of dataset '${ref.id}'` }] : []),
];

/** Everything a training of `project` (saved at `file`) reads, and its run folder, which it writes. */
export function projectPaths(file: string, project: Project): CallPath[] {
  const dir = dirname(resolve(file));
  return [
    { path: defaultRunDir(file), access: 'write', what: 'the run folder' },
    ...graphPaths(project.graph, dir),
    ...project.datasets.flatMap((d) => datasetPaths(d, dir)),
    ...Object.entries(project.training?.discriminatorWeights ?? {}).map(([node, w]) => ({ path: w, baseDir: dir, access: 'read' as const, what: `the discriminator weights for '${node}'` })),
  ];
}

const project = (path: string, access: PathAccess = 'read'): CallPath => ({ path, access, what: 'the project file' });
/** A project the engine will train or sample: its file, then (read only once the file is allowed) what the file points at. */
const trainedProject = (path: string): CallPathStep[] => [project(path), async () => projectPaths(path, await readProject(resolve(path)))];

export const CALL_PATHS: { readonly [M in ApiMethod]: PathsOf<M> } = {
  info: none,
  openDemo: none,
  openProject: (path) => [project(path)],
  saveProject: (path) => [project(path, 'write')],
  listRecent: none,
  // The recovery record is kept in the engine's own state folder, whatever paths it names.
  saveRecovery: none,
  loadRecovery: none,
  chooseProjectPath: none,
  startRun: (req) => [{ path: req.baseDir, access: 'read', what: "the project's folder" }, ...graphPaths(req.graph, req.baseDir)],
  cancelRun: none,
  choosePresetPath: none,
  listPresets: none,
  exportPreset: (req) => [
    ...graphPaths(req.graph, req.baseDir).filter((p) => p.access === 'read'),
    ...(req.path ? [{ path: req.path, access: 'write' as const, what: 'the preset file' }] : []),
  ],
  importPreset: (source) => ('path' in source ? [{ path: source.path, access: 'read', what: 'the preset file' }] : []),
  renamePreset: none,
  setPresetVersion: none,
  readProvenance: none,
  startBatch: (req) => [
    { path: req.input, baseDir: req.baseDir, access: 'read', what: 'the input folder' },
    { path: req.output, baseDir: req.baseDir, access: 'write', what: 'the output folder' },
    ...graphPaths(req.graph, req.baseDir).filter((p) => p.access === 'read'),
  ],
  cancelBatch: none,
  trainingGraph: none,
  applyTrainingGraph: none,
  datasetColumns: (ref, baseDir) => [{ path: baseDir, access: 'read', what: "the project's folder" }, ...datasetPaths(ref, baseDir)],
  datasetPreview: (ref, baseDir) => [{ path: baseDir, access: 'read', what: "the project's folder" }, ...datasetPaths(ref, baseDir)],
  suggestMapping: none,
  trainingEngines: none,
  startTraining: (req) => trainedProject(req.projectPath),
  pauseTraining: none,
  resumeTraining: none,
  stopTraining: none,
  stopAllTraining: none,
  listCheckpoints: (path) => [project(path), { path: defaultRunDir(path), access: 'read', what: 'the run folder' }],
  loadCheckpointIntoGraph: (path) => [project(path), { path: defaultRunDir(path), access: 'read', what: 'the run folder' }],
  freezeCheckpoint: (path, _id, target) => [
    project(path),
    { path: defaultRunDir(path), access: 'read', what: 'the run folder' },
    { path: target, access: 'write', what: 'the new project' },
  ],
  restartEngine: none,
  // A sample of the run in memory is also written into its samples folder.
  sampleNow: (path) => trainedProject(path),
  openFolder: (path, baseDir) => [{ path, baseDir: baseDir || undefined, access: 'read', what: 'the folder' }],
  // The listing itself keeps to the roots (null lists them).
  listFolder: (path) => (path === null ? [] : [{ path, access: 'read', what: 'the folder' }]),
  listJobs: none,
};

/** Throws PathRefusedError (naming the path and the roots) unless every path of the call is allowed. */
export async function checkCallPaths(guard: PathGuard, method: ApiMethod, params: readonly unknown[]): Promise<void> {
  const steps = (CALL_PATHS[method] as (...p: readonly unknown[]) => readonly CallPathStep[])(...params);
  for (const step of steps)
    // A relative path without a folder resolves where the engine runs, and is checked there.
    for (const p of typeof step === 'function' ? await step() : [step]) await guard.check(p.path, p.access, p.what, p.baseDir);
}
