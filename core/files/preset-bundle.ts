// A preset bundle (.mgpreset): one zip file holding the preset document and the weights of
// the modules it uses, each with its SHA-256 in the document. Reading one only parses data —
// nothing in it ever runs — and unpacking refuses any entry that would land outside its folder.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { zipSync } from 'fflate';
import type { FileError, Parsed } from '../graph/format/json';
import { serializeDocument } from '../graph/format/migrate';
import { type Preset, loadPreset, weightsOutsidePreset } from '../graph/format/preset';
import { nodeKind } from '../graph/catalogue';
import { decodeWeights } from '../modules/weights';
import { writeFileAtomic } from './atomic';
import { readRegularFile } from './documents';
import { type ZipEntry, listZip, readZipEntry } from './zip-reader';

export const BUNDLE_EXTENSION = '.mgpreset';
/** The document's name inside a bundle. */
export const PRESET_ENTRY = 'preset.mgpreset.json';
/**
 * What a bundle may unpack to, checked against the sizes its zip declares before anything is
 * inflated (and held to while inflating): a module's weights at the paper's sizes are tens of
 * MiB, so these leave room for far larger modules and none for a zip bomb.
 */
export const MAX_ENTRY_BYTES = 512 * 1024 ** 2;
export const MAX_DOCUMENT_BYTES = 64 * 1024 ** 2;
export const MAX_UNPACKED_BYTES = 1024 ** 3;
/**
 * A bundle file on disk, at most: a zip is never much larger than what it unpacks to (stored
 * entries add a few dozen bytes each), so anything larger is refused before it is read.
 */
export const MAX_BUNDLE_FILE_BYTES = MAX_UNPACKED_BYTES + 16 * 1024 ** 2;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const entryFor = (node: string) => `weights/${node.replace(/[^\w.-]+/g, '_')}.mgw`;

/** An entry name that stays inside the folder it is unpacked into. */
export function isContainedEntry(name: string): boolean {
  return name !== '' && !name.startsWith('/') && !name.includes('\\') && !/^[a-zA-Z]:/.test(name) && !name.split('/').some((s) => s === '..' || s === '.' || s === '');
}

/** Reads a bundle file's bytes: a regular file of at most MAX_BUNDLE_FILE_BYTES, else a refusal saying why. */
export const readPresetBundleFile = (path: string): Promise<Parsed<Buffer>> => readRegularFile(path, MAX_BUNDLE_FILE_BYTES, 'preset bundle');

/**
 * The preset with every weights path cleared: what a preset without its weights holds. The
 * paths it had were the project's (absolute, or relative to the project's folder, `../`
 * included): kept, they would point into someone else's disk, or at nothing, wherever the
 * preset goes. Its modules start from seeded random weights until given a file.
 */
export function presetWithoutWeights(preset: Preset): Preset {
  const nodes = preset.graph.nodes.map((n) => (typeof n.params.weights === 'string' && n.params.weights !== '' ? { ...n, params: { ...n.params, weights: '' } } : n));
  const { weights: _bundled, ...rest } = preset;
  return { ...rest, graph: { ...preset.graph, nodes } };
}

/**
 * Writes a preset as a bundle. With `withWeights`, every module whose Weights parameter names a
 * file (relative to `baseDir`) gets that file bundled and its parameter pointed at the copy.
 */
export async function exportPresetBundle(preset: Preset, opts: { baseDir: string; outPath: string; withWeights: boolean }): Promise<void> {
  const entries: Record<string, Uint8Array> = {};
  const modules: { node: string; file: string; sha256: string }[] = [];
  const nodes = [];
  for (const n of (opts.withWeights ? preset : presetWithoutWeights(preset)).graph.nodes) {
    const file = typeof n.params.weights === 'string' ? n.params.weights : '';
    if (!file || !nodeKind(n.kind)?.module) {
      nodes.push(n);
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

const MiB = 1024 ** 2;
const size = (bytes: number) => `${Math.ceil(bytes / MiB)} MiB`;

/**
 * Reads and checks a bundle without writing anything. Never throws for bad input. Every name
 * and declared size is checked before anything is inflated, and nothing inflates past what it
 * declares, so a hostile zip costs no more memory than the limits above.
 */
export function openPresetBundle(bytes: Uint8Array): Parsed<OpenedBundle> {
  const fail = (message: string, code: FileError['code'] = 'format'): Parsed<OpenedBundle> => ({ ok: false, errors: [{ code, message }] });
  let entries: ZipEntry[];
  try {
    entries = listZip(bytes);
  } catch (e) {
    return fail(`not a preset bundle (cannot read it as a zip: ${(e as Error).message})`);
  }
  // Folder entries ("weights/"), as zip tools add when re-zipping, are harmless: their names
  // are held to the same rule, and nothing is unpacked for them.
  const unsafe = entries.find((e) => !isContainedEntry(e.directory ? e.name.slice(0, -1) : e.name));
  if (unsafe) return fail(`refused: entry '${unsafe.name}' would be written outside the preset's folder`, 'reference');
  const folder = entries.find((e) => e.directory && e.size > 0);
  if (folder) return fail(`refused: folder entry '${folder.name}' claims ${folder.size} bytes of content`, 'reference');
  const files = entries.filter((e) => !e.directory);
  const big = files.find((e) => e.size > (e.name === PRESET_ENTRY ? MAX_DOCUMENT_BYTES : MAX_ENTRY_BYTES));
  if (big)
    return fail(`refused: entry '${big.name}' would unpack to ${size(big.size)}, more than a bundle's ${big.name === PRESET_ENTRY ? 'document' : 'file'} may (${size(big.name === PRESET_ENTRY ? MAX_DOCUMENT_BYTES : MAX_ENTRY_BYTES)}); nothing was unpacked`);
  const total = files.reduce((a, e) => a + e.size, 0);
  if (total > MAX_UNPACKED_BYTES) return fail(`refused: it would unpack to ${size(total)}, more than a bundle may (${size(MAX_UNPACKED_BYTES)}); nothing was unpacked`);
  const read = (e: ZipEntry): Uint8Array | string => {
    try {
      return readZipEntry(bytes, e);
    } catch (err) {
      return (err as Error).message;
    }
  };

  const docEntry = files.find((e) => e.name === PRESET_ENTRY);
  if (!docEntry) return fail(`not a preset bundle: it has no ${PRESET_ENTRY}`);
  const doc = read(docEntry);
  if (typeof doc === 'string') return fail(`refused: ${doc}`);
  const loaded = loadPreset(new TextDecoder().decode(doc));
  if (!loaded.ok) return loaded;
  const preset = loaded.value.value;

  const unknown = preset.graph.nodes.filter((n) => !nodeKind(n.kind));
  if (unknown.length) return fail(`refused: node '${unknown[0]!.id}' has an unknown kind '${unknown[0]!.kind}' (made by a newer studio, or damaged)`, 'reference');
  const outside = weightsOutsidePreset(preset);
  if (outside.length) return fail(`refused: ${outside[0]!.message}`, 'reference');
  const listed = new Map((preset.weights?.modules ?? []).map((m) => [m.file, m]));
  for (const e of files) if (e.name !== PRESET_ENTRY && !listed.has(e.name)) return fail(`refused: unexpected file '${e.name}' in the bundle`, 'reference');
  const unpacked = new Map<string, Uint8Array>([[PRESET_ENTRY, doc]]);
  for (const [file, m] of listed) {
    const entry = files.find((e) => e.name === file);
    if (!entry) return fail(`the bundle lists '${file}' for node '${m.node}' but does not contain it`, 'reference');
    const data = read(entry);
    if (typeof data === 'string') return fail(`refused: ${data}`, 'reference');
    if (sha256(data) !== m.sha256) return fail(`refused: '${file}' does not match its checksum (damaged or altered)`, 'reference');
    const node = preset.graph.nodes.find((n) => n.id === m.node)!;
    try {
      const header = decodeWeights(data).header;
      if (header.nodeKind !== node.kind) return fail(`refused: '${file}' holds ${header.nodeKind} weights but node '${node.id}' is a ${node.kind}`, 'reference');
    } catch (err) {
      return fail(`refused: '${file}': ${(err as Error).message}`, 'reference');
    }
    unpacked.set(file, data);
  }
  return { ok: true, value: { preset, files: unpacked } };
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
