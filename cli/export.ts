// `modulargan export`: a trained run's modules and a project that uses them, in one folder, or
// with --torch a folder to train the project with PyTorch elsewhere; flags in, lines out, the
// work in core/engine/export.ts.

import { exportModules, exportTorchBundle } from '../core/engine/export';
import { errorLine } from './flags';

export interface ExportCommandOptions {
  output?: string;
  checkpoint?: string;
  half?: boolean;
  project?: string;
  /** Instead: a folder to train the project with PyTorch elsewhere (core/engine/export-torch.ts). */
  torch?: string;
}

export async function exportCommand(file: string, opts: ExportCommandOptions, log: (line: string) => void): Promise<number> {
  try {
    if (opts.torch) {
      const b = await exportTorchBundle(file, opts.torch, log);
      for (const n of b.notes) log(`note: ${n}`);
      log(`wrote ${b.folder}: ${b.project}, dataset.json, python/, train.sh (torchrun), train.slurm; see README.txt there`);
      return 0;
    }
    if (!opts.output) throw new Error('--output is required (or --torch DIR for a PyTorch training folder)');
    const r = await exportModules({ file, output: opts.output, checkpoint: opts.checkpoint, storage: opts.half ? 'float16' : 'float32', project: opts.project });
    const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
    for (const m of r.modules) log(`${m.node} -> ${m.file} (${kb(m.bytes)})`);
    log(`wrote ${r.project}: iteration ${r.iteration}, ${r.modules.length} modules, ${kb(r.modules.reduce((a, m) => a + m.bytes, 0))}${opts.half ? ' in half precision' : ''}`);
    return 0;
  } catch (e) {
    return errorLine(e, log);
  }
}
