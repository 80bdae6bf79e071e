// Opening documents, for every front door at once: a project, a preset, or a preset bundle,
// each read through core/files's checked readers (a regular file of sane size, migrated,
// schema-checked, bundles unpacked only after every entry is checked). No command, host
// or worker reads a project file itself; they call these.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { formatFileError, readAnyDocument, readFileHead, readProjectFile, readRegularFile } from '../files/documents';
import { BUNDLE_EXTENSION, MAX_BUNDLE_FILE_BYTES, importPresetBundle } from '../files/preset-bundle';
import type { OpenedProject } from '../api/types';
import type { FileError, Parsed } from '../graph/format/json';
import type { Project } from '../graph/format/project';
import type { Graph } from '../graph/graph';
import { presetAsGraph } from '../graph/presets';

export { formatFileError };
export type { FileError, Parsed };

export const PROJECT_SUFFIX = '.mgproj.json';

/** A document that could not be opened: its file and every problem found, each line "file:line:col: message". */
export class DocumentError extends Error {
  constructor(
    readonly file: string,
    readonly errors: readonly FileError[],
  ) {
    super(errors.map((e) => formatFileError(file, e)).join('\n'));
  }
}

/** A graph to run, from whatever a command was given, with the folder its relative paths resolve against. */
export interface OpenedDocument {
  readonly kind: 'project' | 'preset';
  readonly graph: Graph;
  readonly baseDir: string;
  /** The format version the file had when it was upgraded on load. */
  readonly migratedFrom?: number;
  /** A preset's open ports: inputs meant to be fed and outputs meant to be used from outside. */
  readonly exposed?: { readonly inputs: readonly { node: string; port: string }[]; readonly outputs: readonly { node: string; port: string }[] };
  /** Removes what opening made (a bundle's unpacked folder). */
  readonly cleanup: () => Promise<void>;
}

/** Is the file a zip (a preset bundle)? Read by its first bytes, not its name. */
async function isZip(path: string): Promise<boolean> {
  return (await readFileHead(path, 2))?.toString('latin1') === 'PK';
}

/** Opens a project, a preset or a preset bundle as a graph to run; never throws for bad input. */
export async function openDocument(file: string): Promise<Parsed<OpenedDocument>> {
  if (await isZip(file)) {
    // A bundle is unpacked (checked, inside a fresh folder) so its weights files can be read.
    const bytes = await readRegularFile(file, MAX_BUNDLE_FILE_BYTES, 'preset bundle');
    if (!bytes.ok) return bytes;
    const dir = await mkdtemp(join(tmpdir(), 'modulargan-preset-'));
    const r = await importPresetBundle(new Uint8Array(bytes.value), dir);
    if (!r.ok) {
      await rm(dir, { recursive: true, force: true });
      return r;
    }
    const preset = r.value.preset;
    return { ok: true, value: { kind: 'preset', graph: presetAsGraph(preset), exposed: preset.exposed, baseDir: r.value.dir, cleanup: () => rm(dir, { recursive: true, force: true }) } };
  }
  const doc = await readAnyDocument(file);
  if (!doc.ok) return doc;
  const baseDir = dirname(resolve(file));
  const graph = doc.value.kind === 'preset' ? presetAsGraph(doc.value.loaded.value) : doc.value.loaded.value.graph;
  const exposed = doc.value.kind === 'preset' ? doc.value.loaded.value.exposed : undefined;
  return { ok: true, value: { kind: doc.value.kind, graph, exposed, baseDir, migratedFrom: doc.value.loaded.migratedFrom, cleanup: async () => undefined } };
}

/** Opens a document or throws DocumentError. */
export async function requireDocument(file: string): Promise<OpenedDocument> {
  const r = await openDocument(file);
  if (!r.ok) throw new DocumentError(file, r.errors);
  return r.value;
}

/** A project file, checked and migrated; throws DocumentError naming the file and each problem. */
export async function readProject(file: string): Promise<Project> {
  const r = await readProjectFile(file);
  if (!r.ok) throw new DocumentError(file, r.errors);
  return r.value.value;
}

/** The path of a project file, absolute: a path that does not end in .mgproj.json is refused (the engine writes only project files there). */
export function projectPath(path: string): string {
  const abs = resolve(path);
  if (!abs.endsWith(PROJECT_SUFFIX)) throw new Error(`${path}: a project file name ends with ${PROJECT_SUFFIX}`);
  return abs;
}

/** A project as the studio opens it: absolute path, the folder its relative paths resolve against, and what the upgrade changed. */
export async function openProject(path: string): Promise<OpenedProject> {
  const abs = projectPath(path);
  const r = await readProjectFile(abs);
  if (!r.ok) throw new DocumentError(abs, r.errors);
  const notes = r.value.migratedFrom ? [`upgraded from version ${r.value.migratedFrom}; saving writes the current version`] : [];
  return { path: abs, project: r.value.value, baseDir: dirname(abs), notes };
}

/** Is this the name of a preset bundle (rather than a loose .mgpreset.json document)? */
export const isBundleName = (path: string): boolean => path.endsWith(BUNDLE_EXTENSION);
