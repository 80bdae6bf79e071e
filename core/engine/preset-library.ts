// The studio's preset library: one folder per preset in the engine's state folder (as
// importPresetBundle unpacks them), plus read-only bundled presets in assets/presets. Every
// preset enters through importPresetBundle, so the same checks guard exports, imports and
// files: data only, no paths outside its folder, checksums, known node kinds.

import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import { readPresetFile, savePresetFile } from '../files/documents';
import { BUNDLE_EXTENSION, PRESET_ENTRY, exportPresetBundle, importPresetBundle, readPresetBundleFile } from '../files/preset-bundle';
import type { Preset } from '../graph/format/preset';
import { type Graph, mapWeightsPaths } from '../graph/graph';
import { PRESET_NODE_KIND, expandPresetNodes } from '../graph/preset-node';
import { bumpVersion, makePreset } from '../graph/presets';
import type { ExportPresetRequest, PresetEntry, PresetSource } from '../api/types';
import { PRESET_DOCUMENT_SUFFIX, writePreset } from './presets';

const BUNDLED = 'bundled/';

/** Relative weights paths of a library preset made absolute: it then runs from any project. */
function withAbsoluteWeights(preset: Preset, dir: string): Preset {
  return { ...preset, graph: { ...preset.graph, nodes: mapWeightsPaths(preset.graph.nodes, (w) => resolve(dir, w)) } };
}

/**
 * A selection that may hold preset nodes, in terms of the expanded graph: a preset node
 * stands for all its inner nodes, and its exposed parameter "T.blocks" for "P/T".blocks.
 */
function expandSelection(graph: Graph, nodes: readonly string[] | undefined, params: ExportPresetRequest['params']) {
  const x = expandPresetNodes(graph);
  const inner = (id: string) => [...x.owner].filter(([, o]) => o === id).map(([i]) => i);
  const isPreset = (id: string) => graph.nodes.some((n) => n.id === id && n.kind === PRESET_NODE_KIND);
  return {
    graph: x.graph,
    nodes: nodes?.flatMap((id) => (isPreset(id) ? inner(id) : [id])),
    params: params.map((p) => {
      if (!isPreset(p.node)) return p;
      const dot = p.param.indexOf('.');
      return { ...p, node: `${p.node}/${p.param.slice(0, dot)}`, param: p.param.slice(dot + 1) };
    }),
  };
}

export function createPresetLibrary(dirs: { readonly user: string; readonly bundled?: string }) {
  const folderOf = (id: string) => (id.startsWith(BUNDLED) ? join(dirs.bundled ?? '', id.slice(BUNDLED.length)) : join(dirs.user, id));

  async function read(id: string): Promise<PresetEntry> {
    const dir = folderOf(id);
    const r = await readPresetFile(join(dir, PRESET_ENTRY));
    if (!r.ok) throw new Error(`preset '${id}': ${r.errors.map((e) => e.message).join('; ')}`);
    return { id, source: id.startsWith(BUNDLED) ? 'bundled' : 'user', preset: withAbsoluteWeights(r.value.value, dir) };
  }

  async function listIn(dir: string | undefined, prefix: string): Promise<PresetEntry[]> {
    if (!dir || !existsSync(dir)) return [];
    const out: PresetEntry[] = [];
    for (const e of await readdir(dir, { withFileTypes: true })) {
      // Hidden folders are imports in progress.
      if (!e.isDirectory() || e.name.startsWith('.') || !existsSync(join(dir, e.name, PRESET_ENTRY))) continue;
      try {
        out.push(await read(prefix + e.name));
      } catch {
        // A damaged preset is left out of the palette rather than blocking the others.
      }
    }
    return out.sort((a, b) => a.preset.name.localeCompare(b.preset.name));
  }

  async function install(bytes: Uint8Array): Promise<PresetEntry> {
    const r = await importPresetBundle(bytes, dirs.user);
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
    return read(basename(r.value.dir));
  }

  /** A user preset's document rewritten (atomically) by `change`. */
  async function rewrite(id: string, change: (p: Preset) => Preset): Promise<PresetEntry> {
    if (id.startsWith(BUNDLED)) throw new Error('bundled presets cannot be changed; import a copy to change it');
    const file = join(folderOf(id), PRESET_ENTRY);
    const r = await readPresetFile(file);
    if (!r.ok) throw new Error(`preset '${id}': ${r.errors.map((e) => e.message).join('; ')}`);
    await savePresetFile(file, change(r.value.value));
    return read(id);
  }

  return {
    async list(): Promise<PresetEntry[]> {
      return [...(await listIn(dirs.user, '')), ...(await listIn(dirs.bundled, BUNDLED))];
    },

    async export(req: ExportPresetRequest): Promise<{ entry: PresetEntry; path: string | null }> {
      const sel = expandSelection(req.graph, req.nodes, req.params);
      const preset = makePreset(sel.graph, { name: req.name, description: req.description, nodes: sel.nodes, params: sel.params, layout: req.layout });
      const out = req.path ? resolve(req.path) : null;
      if (out && !out.endsWith(BUNDLE_EXTENSION) && !out.endsWith(PRESET_DOCUMENT_SUFFIX)) throw new Error(`${out}: a preset file name ends with ${BUNDLE_EXTENSION} or ${PRESET_DOCUMENT_SUFFIX}`);
      if (out?.endsWith(PRESET_DOCUMENT_SUFFIX) && req.withWeights) throw new Error(`weights can only be bundled into a ${BUNDLE_EXTENSION} file`);
      // The library always gets a bundle: that is how presets enter it, checked.
      const tmp = await mkdtemp(join(tmpdir(), 'modulargan-export-'));
      try {
        const bundle = join(tmp, `preset${BUNDLE_EXTENSION}`);
        await exportPresetBundle(preset, { baseDir: req.baseDir, outPath: bundle, withWeights: req.withWeights });
        const bytes = new Uint8Array(await readFile(bundle));
        if (out) await writePreset(preset, out, { baseDir: req.baseDir, withWeights: req.withWeights });
        return { entry: await install(bytes), path: out };
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },

    async import(source: PresetSource): Promise<PresetEntry> {
      let bytes: Uint8Array;
      if ('path' in source) {
        // Checked before it is read: a regular file no larger than a bundle may be.
        const read = await readPresetBundleFile(resolve(source.path));
        if (!read.ok) throw new Error(`${source.path}: ${read.errors.map((e) => e.message).join('; ')}`);
        bytes = new Uint8Array(read.value);
      } else bytes = new Uint8Array(Buffer.from(source.bytes, 'base64'));
      // A bare preset document goes through the same checks as a bundle holding only it.
      const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b;
      return install(isZip ? bytes : zipSync({ [PRESET_ENTRY]: bytes }));
    },

    rename: (id: string, name: string) => rewrite(id, (p) => ({ ...p, name, presetVersion: bumpVersion(p.presetVersion) })),
    bump: (id: string, part: 'major' | 'minor' | 'patch') => rewrite(id, (p) => ({ ...p, presetVersion: bumpVersion(p.presetVersion, part) })),
  };
}
