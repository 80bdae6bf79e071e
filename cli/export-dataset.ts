// `modulargan export-dataset <project>`: a project's dataset as an image folder + CSV (with
// dataset.json), for the PyTorch trainer (python/) and other tools; flags in, lines out, the
// work in core/engine/export.ts.

import { exportProjectDataset } from '../core/engine/export';
import { errorLine } from './flags';

export interface ExportDatasetOptions {
  /** Dataset id (default: the one the training section uses, else the project's only one). */
  dataset?: string;
  output?: string;
  quiet?: boolean;
}

export async function exportDatasetCommand(file: string, opts: ExportDatasetOptions, log: (line: string) => void): Promise<number> {
  try {
    let last = 0;
    const r = await exportProjectDataset({ file, dataset: opts.dataset, output: opts.output }, (id, done, total) => {
      if (opts.quiet || (Date.now() - last < 5000 && done !== total)) return;
      last = Date.now();
      log(`exporting dataset '${id}': ${done}/${total}`);
    });
    for (const s of r.skipped) log(`skipped ${s}`);
    log(`wrote ${r.folder}: ${r.count} images (${r.train} train, ${r.test} test)${r.exactPixels ? ', exact pixels in pixels.f32' : ''}`);
    return 0;
  } catch (e) {
    return errorLine(e, log);
  }
}
