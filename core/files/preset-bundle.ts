// A preset bundle (.mgpreset): one zip file holding the preset document and the weights of
// the modules it uses, each with its SHA-256 in the document. Reading one only parses data —
// nothing in it ever runs — and unpacking refuses any entry that would land outside its folder.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { FileError, Parsed } from '../graph/format/json';
import { serializeDocument } from '../graph/format/migrate';
import { type Preset, loadPreset } from '../graph/format/preset';
import { nodeKind } from '../graph/catalogue';
import { decodeWeights } from '../modules/weights';
import { writeFileAtomic } from './atomic';

export const BUNDLE_EXTENSION = '.mgpreset';
/** The document's name inside a bundle. */
export const PRESET_ENTRY = 'preset.mgpreset.json';
/** Refuse bundles that would unpack to more than this (a zip bomb, or a mistake). */
const MAX_UNPACKED_BYTES = 4 * 1024 ** 3;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const entryFor = (node: string) => `weights/${node.replace(/[^\w.-]+/g, '_')}.mgw`;

/** An entry name that stays inside the folder it is unpacked into. */
export function isContainedEntry(name: string): boolean {
  return name !== '' && !name.startsWith('/') && !name.includes('\\') && !/^[a-zA-Z]:/.test(name) && !name.split('/').some((s) => s === '..' || s === '.' || s === '');
}

/**
 * Writes a preset as a bundle. With `withWeights`, every module whose Weights parameter names a
 * file (relative to `baseDir`) gets that file bundled and its parameter pointed at the copy.
 */
export async function exportPresetBundle(preset: Preset, opts: { baseDir: string; outPath: string; withWeights: boolean }): Promise<void> {
  const entries: Record<string, Uint8Array> = {};
  const modules: { node: string; file: string; sha256: string }[] = [];
  const nodes = [];
  for (const n of preset.graph.nodes) {
    const file = typeof n.params.weights === 'string' ? n.params.weights : '';
    if (!opts.withWeights || !file || !nodeKind(n.kind)?.module) {
      nodes.push(opts.withWeights ? n : { ...n, params: { ...n.params, ...(file ? { weights: '' } : {}) } });
      continue;
    }
    const bytes = new Uint8Array(await readFile(isAbsolute(file) ? file : resolve(opts.baseDir, file)));
    decodeWeights(bytes); // refuse to bundle a damaged file
    const entry = entryFor(n.id);
    entries[entry] = bytes;
    modules.push({ node: n.id, file: entry, sha256: sha256(bytes) });
    nodes.push({ ...n, params: { ...n.params, weights: entry } });
  }
  const doc: Preset = { ...preset, graph: { ...preset.graph, nodes }, ...(modules.length ? { weights: { modules } } : {}) };
  entries[PRESET_ENTRY] = new TextEncoder().encode(serializeDocument(doc));
  // Weights barely compress; the document does.
  const zip = zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level: k.endsWith('.mgw') ? 0 : 6 }]])));
  await mkdir(dirname(opts.outPath), { recursive: true });
  await writeFileAtomic(opts.outPath, zip, { backup: false });
}

export interface OpenedBundle {
  readonly preset: Preset;
  /** Every entry, checked: the document and the weights it lists. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** Reads and checks a bundle without writing anything. Never throws for bad input. */
export function openPresetBundle(bytes: Uint8Array): Parsed<OpenedBundle> {
  const fail = (message: string, code: FileError['code'] = 'format'): Parsed<OpenedBundle> => ({ ok: false, errors: [{ code, message }] });
  let unpacked: Record<string, Uint8Array>;
  let total = 0;
  const unsafe: string[] = [];
  try {
    unpacked = unzipSync(bytes, {
      filter: (f) => {
        if (!isContainedEntry(f.name)) unsafe.push(f.name);
        total += f.originalSize;
        return total <= MAX_UNPACKED_BYTES && isContainedEntry(f.name);
      },
    });
  } catch (e) {
    return fail(`not a preset bundle (cannot read it as a zip: ${(e as Error).message})`);
  }
  if (unsafe.length) return fail(`refused: entry '${unsafe[0]}' would be written outside the preset's folder`, 'reference');
  if (total > MAX_UNPACKED_BYTES) return fail(`refused: it would unpack to more than ${MAX_UNPACKED_BYTES / 1024 ** 3} GiB`);
  const doc = unpacked[PRESET_ENTRY];
  if (!doc) return fail(`not a preset bundle: it has no ${PRESET_ENTRY}`);
  const loaded = loadPreset(new TextDecoder().decode(doc));
  if (!loaded.ok) return loaded;
  const preset = loaded.value.value;

  const unknown = preset.graph.nodes.filter((n) => !nodeKind(n.kind));
  if (unknown.length) return fail(`refused: node '${unknown[0]!.id}' has an unknown kind '${unknown[0]!.kind}' (made by a newer studio, or damaged)`, 'reference');
  const listed = new Map((preset.weights?.modules ?? []).map((m) => [m.file, m]));
  for (const name of Object.keys(unpacked))
    if (name !== PRESET_ENTRY && !listed.has(name) && !name.endsWith('/')) return fail(`refused: unexpected file '${name}' in the bundle`, 'reference');
  for (const [file, m] of listed) {
    const bytes = unpacked[file];
    if (!bytes) return fail(`the bundle lists '${file}' for node '${m.node}' but does not contain it`, 'reference');
    if (sha256(bytes) !== m.sha256) return fail(`refused: '${file}' does not match its checksum (damaged or altered)`, 'reference');
    const node = preset.graph.nodes.find((n) => n.id === m.node)!;
    try {
      const header = decodeWeights(bytes).header;
      if (header.nodeKind !== node.kind) return fail(`refused: '${file}' holds ${header.nodeKind} weights but node '${node.id}' is a ${node.kind}`, 'reference');
    } catch (e) {
      return fail(`refused: '${file}': ${(e as Error).message}`, 'reference');
    }
  }
  const files = new Map(Object.entries(unpacked).filter(([k]) => !k.endsWith('/')));
  return { ok: true, value: { preset, files } };
}

/** A folder name for a preset: its name, made safe, and unique among `taken`. */
export function presetFolderName(name: string, taken: (n: string) => boolean): string {
  const base = name.replace(/[^\w .-]+/g, '_').replace(/^[.\s]+|\s+$/g, '').slice(0, 80) || 'preset';
  let n = base;
  for (let i = 2; taken(n); i++) n = `${base} (${i})`;
  return n;
}

/**
 * Unpacks a checked bundle into a new folder inside `targetDir` (never over anything that is
 * there), by way of a temporary folder renamed into place. Returns the folder.
 */
export async function importPresetBundle(bytes: Uint8Array, targetDir: string): Promise<Parsed<{ dir: string; preset: Preset }>> {
  const opened = openPresetBundle(bytes);
  if (!opened.ok) return opened;
  const root = resolve(targetDir);
  await mkdir(root, { recursive: true });
  const { existsSync } = await import('node:fs');
  const dir = join(root, presetFolderName(opened.value.preset.name, (n) => existsSync(join(root, n))));
  const tmp = join(root, `.import-${randomBytes(6).toString('hex')}`);
  try {
    for (const [name, data] of opened.value.files) {
      const path = resolve(tmp, name);
      // Checked when opened; checked again here, where it matters.
      if (!path.startsWith(tmp + sep)) throw new Error(`entry '${name}' would be written outside the preset's folder`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, data, { flag: 'wx' });
    }
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    return { ok: false, errors: [{ code: 'format', message: `could not unpack the preset: ${(e as Error).message}` }] };
  }
  return { ok: true, value: { dir, preset: opened.value.preset } };
}
