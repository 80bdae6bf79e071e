// `modulargan export`: a trained run's modules and a project that uses them, in one folder.

import { exportTrainedModules } from '../core/train/export';

export interface ExportCommandOptions {
  output: string;
  checkpoint?: string;
  half?: boolean;
  project?: string;
}

export async function exportCommand(file: string, opts: ExportCommandOptions, log: (line: string) => void): Promise<number> {
  try {
    const r = await exportTrainedModules(file, { out: opts.output, checkpoint: opts.checkpoint, storage: opts.half ? 'float16' : 'float32', project: opts.project });
    const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
    for (const m of r.modules) log(`${m.node} -> ${m.file} (${kb(m.bytes)})`);
    log(`wrote ${r.project}: iteration ${r.iteration}, ${r.modules.length} modules, ${kb(r.modules.reduce((a, m) => a + m.bytes, 0))}${opts.half ? ' in half precision' : ''}`);
    return 0;
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    return 1;
  }
}
