// Versioned documents: a format name, an integer version that only goes up, and an ordered
// list of pure migrations, one per version step. Fields a migration does not know are kept.

import type { z } from 'zod';
import { type FileError, MAX_JSON_DEPTH, type Parsed, formatPath, locate, parseJson, valueTooDeep } from './json';

export type Doc = Record<string, unknown>;

export interface Migration {
  /** Turns a document of version `from` into version `from + 1`; must not mutate its input. */
  readonly from: number;
  readonly describe: string;
  readonly up: (doc: Doc) => Doc;
}

export interface DocumentSpec<T> {
  /** The value of the "format" field, e.g. "modulargan-project". */
  readonly format: string;
  /** What to call the document in messages, e.g. "project". */
  readonly noun: string;
  readonly version: number;
  readonly migrations: readonly Migration[];
  readonly schema: z.ZodType<T>;
  /** Checks beyond the schema (e.g. references between parts); messages with a path. */
  readonly check?: (value: T) => { path: (string | number)[]; message: string }[];
}

export interface Loaded<T> {
  readonly value: T;
  /** The version the file had, when it was migrated on load. */
  readonly migratedFrom?: number;
}

const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs the migrations from `version` up to the spec's version. */
export function migrate(doc: Doc, version: number, spec: Pick<DocumentSpec<unknown>, 'migrations' | 'version'>): Doc {
  let d = doc;
  for (let v = version; v < spec.version; v++) {
    const m = spec.migrations.find((x) => x.from === v);
    if (!m) throw new Error(`no migration from version ${v}`);
    d = { ...m.up(d), version: v + 1 };
  }
  return d;
}

/** Parses, migrates and checks a document. Never throws: any problem is a FileError. */
export function loadDocument<T>(text: string, spec: DocumentSpec<T>): Parsed<Loaded<T>> {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const raw = parsed.value;
  const fail = (e: FileError): Parsed<Loaded<T>> => ({ ok: false, errors: [e] });
  if (!isDoc(raw)) return fail({ code: 'format', message: `not a ModularGAN ${spec.noun}: the file holds no JSON object`, line: 1, column: 1 });
  if (raw.format !== spec.format)
    return fail({
      code: 'format',
      path: 'format',
      ...locate(text, ['format']),
      message:
        typeof raw.format === 'string'
          ? `not a ModularGAN ${spec.noun}: its format is '${raw.format}', expected '${spec.format}'`
          : `not a ModularGAN ${spec.noun}: it has no "format": "${spec.format}" field`,
    });
  const version = raw.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    return fail({ code: 'version', path: 'version', ...locate(text, ['version']), message: `"version" must be a whole number from 1, got ${JSON.stringify(version) ?? 'nothing'}` });
  if (version > spec.version)
    return fail({
      code: 'version',
      path: 'version',
      ...locate(text, ['version']),
      message: `this ${spec.noun} was saved by a newer ModularGAN Studio (format version ${version}); this version reads up to ${spec.version}. Update the studio to open it; nothing was changed.`,
    });

  let doc: Doc;
  try {
    doc = migrate(raw, version, spec);
  } catch (e) {
    return fail({ code: 'migration', message: `could not upgrade this ${spec.noun} from version ${version}: ${(e as Error).message}` });
  }

  const result = spec.schema.safeParse(doc);
  if (!result.success) {
    // Positions are only meaningful when the document was not rewritten by a migration.
    const where = (p: readonly PropertyKey[]) => (version === spec.version ? locate(text, p) : undefined);
    return {
      ok: false,
      errors: result.error.issues.slice(0, 20).map((i) => ({
        code: 'schema' as const,
        path: formatPath(i.path),
        message: `${formatPath(i.path) || 'document'}: ${i.message}`,
        ...where(i.path),
      })),
    };
  }
  const problems = spec.check?.(result.data) ?? [];
  if (problems.length)
    return {
      ok: false,
      errors: problems.map((p) => ({
        code: 'reference' as const,
        path: formatPath(p.path),
        message: `${formatPath(p.path)}: ${p.message}`,
        ...(version === spec.version ? locate(text, p.path) : undefined),
      })),
    };
  return { ok: true, value: { value: result.data, ...(version < spec.version ? { migratedFrom: version } : {}) } };
}

/**
 * The text a document is saved as: stable, indented, ending in a newline. A value nested
 * deeper than any reader accepts is refused, so nothing is saved that could not be opened again.
 */
export function serializeDocument(value: unknown): string {
  if (valueTooDeep(value)) throw new Error(`it nests deeper than ${MAX_JSON_DEPTH} levels, so it could not be opened again; nothing was saved`);
  return `${JSON.stringify(value, null, 2)}\n`;
}
