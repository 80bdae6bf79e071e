// `modulargan export-dataset <project>`: a project's dataset as an image folder + CSV (with
// dataset.json), for the PyTorch trainer (python/) and other tools. ColorMNIST and the
// synthetic faces are rendered here only, so the PyTorch engine reads them this way.

import { dirname, resolve } from 'node:path';
import { type DatasetExportSummary, defaultExportFolder, exportDatasetRef } from '../core/data/export-folder';
import { formatFileError, readProjectFile } from '../core/files/documents';

export interface ExportDatasetOptions {
  /** Dataset id (default: the one the training section uses, else the project's only one). */
  dataset?: string;
  output?: string;
  quiet?: boolean;
}

/** Exports a project's dataset; throws with a message naming the file or dataset at fault. */
export async function exportProjectDataset(file: string, opts: ExportDatasetOptions, log: (line: string) => void = () => {}): Promise<DatasetExportSummary> {
  const read = await readProjectFile(file);
  if (!read.ok) throw new Error(read.errors.map((e) => formatFileError(file, e)).join('\n'));
  const project = read.value.value;
  const id = opts.dataset ?? project.training?.dataset ?? (project.datasets.length === 1 ? project.datasets[0]!.id : undefined);
  if (!id) throw new Error(`${file}: the project has ${project.datasets.length} datasets and no training section: choose one with --dataset (${project.datasets.map((d) => d.id).join(', ') || 'none'})`);
  const ref = project.datasets.find((d) => d.id === id);
  if (!ref) throw new Error(`${file}: the project has no dataset '${id}' (it has ${project.datasets.map((d) => d.id).join(', ') || 'none'})`);
  const out = resolve(opts.output ?? defaultExportFolder(file, id));
  let last = 0;
  return exportDatasetRef(ref, dirname(resolve(file)), out, (done, total) => {
    if (opts.quiet || (Date.now() - last < 5000 && done !== total)) return;
    last = Date.now();
    log(`exporting dataset '${id}': ${done}/${total}`);
  });
}

export async function exportDatasetCommand(file: string, opts: ExportDatasetOptions, log: (line: string) => void): Promise<number> {
  try {
    const r = await exportProjectDataset(file, opts, log);
    for (const s of r.skipped) log(`skipped ${s}`);
    log(`wrote ${r.folder}: ${r.count} images (${r.train} train, ${r.test} test)${r.exactPixels ? ', exact pixels in pixels.f32' : ''}`);
    return 0;
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    return 1;
  }
}
