// Reading and saving project and preset files on disk.

import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileError, Parsed } from '../graph/format/json';
import { type DocumentSpec, type Loaded, loadDocument, serializeDocument } from '../graph/format/migrate';
import { PRESET_SPEC, type Preset } from '../graph/format/preset';
import { PROJECT_SPEC, type Project } from '../graph/format/project';
import { writeFileAtomic } from './atomic';

/** Far above any project or preset (the demo projects are a few kB), far below what would strain memory. */
export const MAX_DOCUMENT_FILE_BYTES = 256 * 1024 ** 2;

/**
 * Reads a file as UTF-8 text; a missing or unreadable file is a FileError, not a throw. Only a
 * regular file of sane size is read: a FIFO would wait for a writer for ever, a device never end.
 */
export async function readText(path: string): Promise<Parsed<string>> {
  const refuse = (message: string): Parsed<string> => ({ ok: false, errors: [{ code: 'format', message }] });
  try {
    const fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    let buf: Buffer;
    try {
      const st = await fh.stat();
      if (st.isDirectory()) return refuse('this is a folder, not a file');
      if (!st.isFile()) return refuse('this is not a regular file (a pipe, socket or device), so not a document');
      if (st.size > MAX_DOCUMENT_FILE_BYTES) return refuse(`it is ${Math.ceil(st.size / 1024 ** 2)} MiB, far larger than any document (at most ${MAX_DOCUMENT_FILE_BYTES / 1024 ** 2} MiB); not read`);
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
    // A byte-order mark is common from Windows editors; it is not part of the JSON.
    return { ok: true, value: buf.toString('utf8').replace(/^\uFEFF/, '') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why: Record<string, string> = {
      ENOENT: 'the file does not exist',
      EISDIR: 'this is a folder, not a file',
      EACCES: 'permission denied',
      EPERM: 'permission denied',
    };
    return { ok: false, errors: [{ code: 'format', message: why[err.code ?? ''] ?? `cannot read it (${err.message})` }] };
  }
}

export async function readDocumentFile<T>(path: string, spec: DocumentSpec<T>): Promise<Parsed<Loaded<T>>> {
  const text = await readText(path);
  return text.ok ? loadDocument(text.value, spec) : text;
}

export const readProjectFile = (path: string) => readDocumentFile(path, PROJECT_SPEC);
export const readPresetFile = (path: string) => readDocumentFile(path, PRESET_SPEC);

/** Saves a document atomically; one that could not be read back (nested too deep) is refused, naming the file. */
async function saveDocumentFile(path: string, value: unknown): Promise<void> {
  let text: string;
  try {
    text = serializeDocument(value);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  }
  await writeFileAtomic(path, text);
}

export const saveProjectFile = (path: string, project: Project) => saveDocumentFile(path, project);
export const savePresetFile = (path: string, preset: Preset) => saveDocumentFile(path, preset);

/** Reads either kind of file, telling which it was by its "format" field. */
export async function readAnyDocument(
  path: string,
): Promise<Parsed<{ kind: 'project'; loaded: Loaded<Project> } | { kind: 'preset'; loaded: Loaded<Preset> }>> {
  const text = await readText(path);
  if (!text.ok) return text;
  let format: unknown;
  try {
    format = (JSON.parse(text.value) as { format?: unknown } | null)?.format;
  } catch {
    // loadDocument below reports where the JSON is malformed
  }
  if (format === PRESET_SPEC.format) {
    const r = loadDocument(text.value, PRESET_SPEC);
    return r.ok ? { ok: true, value: { kind: 'preset', loaded: r.value } } : r;
  }
  const r = loadDocument(text.value, PROJECT_SPEC);
  return r.ok ? { ok: true, value: { kind: 'project', loaded: r.value } } : r;
}

/** "file.json:12:5: message" — the form editors and terminals link to. */
export function formatFileError(file: string, e: FileError): string {
  const where = e.line ? `:${e.line}:${e.column ?? 1}` : '';
  return `${file}${where}: ${e.message}`;
}
