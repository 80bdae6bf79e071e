// `modulargan preset export|import`: presets from projects, bundles in and out.

import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { formatFileError, readProjectFile, savePresetFile } from '../core/files/documents';
import { BUNDLE_EXTENSION, exportPresetBundle, importPresetBundle } from '../core/files/preset-bundle';
import { makePreset } from '../core/graph/presets';

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
  const doc = await readProjectFile(file);
  if (!doc.ok) {
    for (const e of doc.errors) log(formatFileError(file, { ...e, message: `error: ${e.message}` }));
    return 1;
  }
  const project = doc.value.value;
  try {
    const preset = makePreset(project.graph, {
      name: opts.name ?? project.name,
      description: project.description,
      nodes: opts.nodes?.split(',').map((s) => s.trim()).filter(Boolean),
      params: (opts.param ?? []).map(parseParam),
      layout: project.layout.nodes,
    });
    const out = resolve(opts.output);
    if (out.endsWith(BUNDLE_EXTENSION)) await exportPresetBundle(preset, { baseDir: dirname(resolve(file)), outPath: out, withWeights: opts.withWeights ?? false });
    else if (opts.withWeights) throw new Error(`weights can only be bundled into a ${BUNDLE_EXTENSION} file`);
    else await savePresetFile(out, preset);
    log(`preset '${preset.name}' (${preset.graph.nodes.length} nodes; exposes ${preset.exposed.inputs.length} inputs, ${preset.exposed.outputs.length} outputs, ${preset.exposed.params.length} parameters) written to ${out}`);
    return 0;
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    return 1;
  }
}

export async function presetImportCommand(file: string, opts: { into: string }, log: (line: string) => void): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    log(`${file}: error: cannot read it (${(e as Error).message})`);
    return 1;
  }
  const r = await importPresetBundle(bytes, opts.into);
  if (!r.ok) {
    for (const e of r.errors) log(`${basename(file)}: error: ${e.message}`);
    return 1;
  }
  log(`preset '${r.value.preset.name}' ${r.value.preset.presetVersion} unpacked into ${r.value.dir}`);
  return 0;
}
