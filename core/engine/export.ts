// Exports, for every front door: a trained run's modules with a project that uses them
// (core/train/export.ts), a folder to train the project with PyTorch elsewhere
// (export-torch.ts), and a project's dataset as an image folder + CSV (core/files's
// dataset-export.ts), each from a project file read through the checked reader.

import { dirname, resolve } from 'node:path';
import { type DatasetExportSummary, defaultExportFolder, exportDatasetRef } from '../files/dataset-export';
import type { WeightsStorage } from '../modules/weights';
import { type ExportResult, exportTrainedModules } from '../train/export';
import { readProject } from './documents';
import { RunError } from './errors';

export { type TorchBundle, exportTorchBundle } from './export-torch';
export type { DatasetExportSummary, ExportResult };

export interface ModulesExportJob {
  readonly file: string;
  /** Folder for the project and its .mgw files (created if missing). */
  readonly output: string;
  /** 'latest', 'best', or an iteration. */
  readonly checkpoint?: string;
  readonly storage?: WeightsStorage;
  /** Where the project goes (default: <output>/<project file name>). */
  readonly project?: string;
}

/** A trained run's modules (E/G, transformers, R) and a project that uses them, ready to run or share. */
export const exportModules = (job: ModulesExportJob): Promise<ExportResult> =>
  exportTrainedModules(job.file, { out: job.output, checkpoint: job.checkpoint, storage: job.storage ?? 'float32', project: job.project });

export interface DatasetExportJob {
  readonly file: string;
  /** Dataset id (default: the one the training section uses, else the project's only one). */
  readonly dataset?: string;
  /** Default <project>.data/<dataset id> beside the project; replaced if it exists. */
  readonly output?: string;
}

/** Exports a project's dataset; throws with a message naming the file or dataset at fault. */
export async function exportProjectDataset(job: DatasetExportJob, onProgress: (id: string, done: number, total: number) => void = () => {}): Promise<DatasetExportSummary> {
  const { file } = job;
  const project = await readProject(file);
  const id = job.dataset ?? project.training?.dataset ?? (project.datasets.length === 1 ? project.datasets[0]!.id : undefined);
  if (!id) throw new RunError(`${file}: the project has ${project.datasets.length} datasets and no training section: choose one with --dataset (${project.datasets.map((d) => d.id).join(', ') || 'none'})`);
  const ref = project.datasets.find((d) => d.id === id);
  if (!ref) throw new RunError(`${file}: the project has no dataset '${id}' (it has ${project.datasets.map((d) => d.id).join(', ') || 'none'})`);
  const out = resolve(job.output ?? defaultExportFolder(file, id));
  return exportDatasetRef(ref, dirname(resolve(file)), out, (done, total) => onProgress(id, done, total));
}
