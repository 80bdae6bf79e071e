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
 * Reads a file's bytes; a missing or unreadable file is a FileError, not a throw. Only a
 * regular file of at most `maxBytes` is read: a FIFO would wait for a writer for ever, a
 * device never end, and a huge file would be held in memory whole. `what` names what the
 * file was taken for in the refusal ("document", "preset bundle").
 */
export async function readRegularFile(path: string, maxBytes: number, what: string): Promise<Parsed<Buffer>> {
  const refuse = (message: string): Parsed<Buffer> => ({ ok: false, errors: [{ code: 'format', message }] });
  try {
    const fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    try {
      const st = await fh.stat();
      if (st.isDirectory()) return refuse('this is a folder, not a file');
      if (!st.isFile()) return refuse(`this is not a regular file (a pipe, socket or device), so not a ${what}`);
      if (st.size > maxBytes) return refuse(`it is ${Math.ceil(st.size / 1024 ** 2)} MiB, far larger than any ${what} (at most ${Math.floor(maxBytes / 1024 ** 2)} MiB); not read`);
      return { ok: true, value: await fh.readFile() };
    } finally {
      await fh.close();
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why: Record<string, string> = {
      ENOENT: 'the file does not exist',
      EISDIR: 'this is a folder, not a file',
      EACCES: 'permission denied',
      EPERM: 'permission denied',
    };
    return refuse(why[err.code ?? ''] ?? `cannot read it (${err.message})`);
  }
}

/** The first `n` bytes of a regular file (fewer when it is shorter); null for anything else or a file that cannot be read. */
export async function readFileHead(path: string, n: number): Promise<Buffer | null> {
  try {
    const fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
    try {
      if (!(await fh.stat()).isFile()) return null;
      const head = Buffer.alloc(n);
      const { bytesRead } = await fh.read(head, 0, n, 0);
      return head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

/** Reads a document file as UTF-8 text (see readRegularFile for what is refused). */
export async function readText(path: string): Promise<Parsed<string>> {
  const bytes = await readRegularFile(path, MAX_DOCUMENT_FILE_BYTES, 'document');
  // A byte-order mark is common from Windows editors; it is not part of the JSON.
  return bytes.ok ? { ok: true, value: bytes.value.toString('utf8').replace(/^\uFEFF/, '') } : bytes;
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
