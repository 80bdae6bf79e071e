// `modulargan preset export|import`: flags in, one line out; the work is core/engine/presets.ts.

import { DocumentError } from '../core/engine/documents';
import { exportProjectPreset, unpackPresetBundle } from '../core/engine/presets';
import { printDocumentErrors } from './flags';

export interface PresetExportOptions {
  output: string;
  name?: string;
  nodes?: string;
  param?: string[];
  withWeights?: boolean;
}

/** node.param or node.param=Shown name */
function parseParam(spec: string): { node: string; param: string; name?: string } {
  const m = /^([^.=]+)\.([^=]+)(?:=(.+))?$/.exec(spec);
  if (!m) throw new Error(`--param '${spec}' must look like NODE.PARAM or NODE.PARAM=Name`);
  return { node: m[1]!, param: m[2]!, ...(m[3] ? { name: m[3] } : {}) };
}

export async function presetExportCommand(file: string, opts: PresetExportOptions, log: (line: string) => void): Promise<number> {
  try {
    const { preset, path } = await exportProjectPreset(file, {
      output: opts.output,
      name: opts.name,
      nodes: opts.nodes?.split(',').map((s) => s.trim()).filter(Boolean),
      params: (opts.param ?? []).map(parseParam),
      withWeights: opts.withWeights,
    });
    log(`preset '${preset.name}' (${preset.graph.nodes.length} nodes; exposes ${preset.exposed.inputs.length} inputs, ${preset.exposed.outputs.length} outputs, ${preset.exposed.params.length} parameters) written to ${path}`);
    return 0;
  } catch (e) {
    if (e instanceof DocumentError) return printDocumentErrors(e, log);
    log(`error: ${(e as Error).message}`);
    return 1;
  }
}

export async function presetImportCommand(file: string, opts: { into: string }, log: (line: string) => void): Promise<number> {
  try {
    const r = await unpackPresetBundle(file, opts.into);
    log(`preset '${r.preset.name}' ${r.preset.presetVersion} unpacked into ${r.dir}`);
    return 0;
  } catch (e) {
    if (e instanceof DocumentError) return printDocumentErrors(e, log);
    throw e;
  }
}
