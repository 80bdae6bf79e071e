// Presets from projects and bundles into folders, for every front door (`modulargan preset`
// and the studio's library, preset-library.ts): where a preset is written, what it keeps of
// the project's weights, and how a bundle file is read.

import { basename, dirname, resolve } from 'node:path';
import { savePresetFile } from '../files/documents';
import { BUNDLE_EXTENSION, exportPresetBundle, importPresetBundle, presetWithoutWeights, readPresetBundleFile } from '../files/preset-bundle';
import type { Preset } from '../graph/format/preset';
import { makePreset } from '../graph/presets';
import { DocumentError, readProject } from './documents';

export const PRESET_DOCUMENT_SUFFIX = '.mgpreset.json';

/**
 * Writes a preset to `out`: a .mgpreset bundle (with the modules' weights files when asked), or
 * a loose .mgpreset.json document, which never holds weights: its weights paths are cleared, as
 * a bundle's without weights are, so no path into the project's folders (absolute, or `../`)
 * goes with it. `baseDir`: where the preset's relative weights paths resolve.
 */
export async function writePreset(preset: Preset, out: string, opts: { readonly baseDir: string; readonly withWeights: boolean }): Promise<void> {
  if (out.endsWith(BUNDLE_EXTENSION)) return exportPresetBundle(preset, { baseDir: opts.baseDir, outPath: out, withWeights: opts.withWeights });
  if (!out.endsWith(PRESET_DOCUMENT_SUFFIX)) throw new Error(`${out}: a preset file name ends with ${BUNDLE_EXTENSION} or ${PRESET_DOCUMENT_SUFFIX}`);
  if (opts.withWeights) throw new Error(`weights can only be bundled into a ${BUNDLE_EXTENSION} file`);
  await savePresetFile(out, presetWithoutWeights(preset));
}

export interface ProjectPresetOptions {
  readonly output: string;
  /** Default: the project's name. */
  readonly name?: string;
  /** Node ids to keep (default: all). */
  readonly nodes?: readonly string[];
  /** Parameters to expose, by node and parameter, with the name shown for them. */
  readonly params?: readonly { node: string; param: string; name?: string }[];
  readonly withWeights?: boolean;
}

/** A project (or a selection of its nodes) saved as a preset; returns it and where it went. Throws DocumentError or Error with a message for the user. */
export async function exportProjectPreset(file: string, opts: ProjectPresetOptions): Promise<{ preset: Preset; path: string }> {
  const project = await readProject(file);
  const preset = makePreset(project.graph, {
    name: opts.name ?? project.name,
    description: project.description,
    nodes: opts.nodes,
    params: opts.params ?? [],
    layout: project.layout.nodes,
  });
  const out = resolve(opts.output);
  await writePreset(preset, out, { baseDir: dirname(resolve(file)), withWeights: opts.withWeights ?? false });
  return { preset, path: out };
}

/** Checks a bundle file and unpacks it into a new folder inside `into`; nothing in it is ever run. Throws DocumentError naming the file. */
export async function unpackPresetBundle(file: string, into: string): Promise<{ dir: string; preset: Preset }> {
  const bytes = await readPresetBundleFile(file);
  if (!bytes.ok) throw new DocumentError(file, bytes.errors);
  const r = await importPresetBundle(new Uint8Array(bytes.value), into);
  // Lines and columns would point into the document inside the zip, not into the file named.
  if (!r.ok) throw new DocumentError(basename(file), r.errors.map(({ line: _l, column: _c, ...e }) => e));
  return r.value;
}
