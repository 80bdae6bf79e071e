import type { AttributeGroup } from './ports';

/** Typed node parameters: each says its range, default and help, for the UI and the checks. */
export type ParamSpec =
  | { type: 'int'; title: string; help: string; default: number; min: number; max: number; multipleOf?: number }
  | {
      type: 'float';
      title: string;
      help: string;
      default: number;
      min: number;
      max: number;
      /** Changes what a module's weights compute without changing a shape: weights saved with another value are refused. */
      mustMatchWeights?: boolean;
    }
  | { type: 'enum'; title: string; help: string; default: string; options: readonly string[] }
  | { type: 'bool'; title: string; help: string; default: boolean }
  | { type: 'string'; title: string; help: string; default: string }
  | {
      type: 'path';
      title: string;
      help: string;
      default: string;
      mode: 'file' | 'folder' | 'file-or-folder';
      required: boolean;
      extensions?: readonly string[];
    }
  /** Attribute groups, e.g. hair ∈ {black, blond, brown} and smiling. */
  | { type: 'attributes'; title: string; help: string; default: readonly AttributeGroup[] }
  /** Chosen values per attribute, e.g. { hair: 'blond', smiling: '1' }. */
  | { type: 'values'; title: string; help: string; default: Readonly<Record<string, string>> };

export type ParamValue = number | string | boolean | readonly AttributeGroup[] | Readonly<Record<string, string>>;
export type Params = Readonly<Record<string, unknown>>;
export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks attribute groups; returns a reason, or null when well formed. */
export function attributeGroupsProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return 'must be a list of attribute groups';
  const names = new Set<string>();
  for (const [i, g] of v.entries()) {
    if (!isRecord(g) || typeof g.name !== 'string' || g.name.trim() === '') return `group ${i + 1} needs a name`;
    if (names.has(g.name)) return `attribute '${g.name}' is listed twice`;
    names.add(g.name);
    if (g.kind === 'binary') continue;
    if (g.kind !== 'onehot') return `attribute '${g.name}' must be 'onehot' or 'binary'`;
    if (!Array.isArray(g.values) || g.values.length < 2 || !g.values.every((x) => typeof x === 'string' && x !== ''))
      return `attribute '${g.name}' needs at least two named values`;
    if (new Set(g.values).size !== g.values.length) return `attribute '${g.name}' lists a value twice`;
  }
  return null;
}

/** Why a value does not fit its spec, in words; null when it fits. */
export function paramProblem(spec: ParamSpec, v: unknown): string | null {
  switch (spec.type) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `must be a whole number, got ${JSON.stringify(v)}`;
      if (v < spec.min || v > spec.max) return `must be from ${spec.min} to ${spec.max}, got ${v}`;
      if (spec.multipleOf && v % spec.multipleOf !== 0) return `must be a multiple of ${spec.multipleOf}, got ${v}`;
      return null;
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be a number, got ${JSON.stringify(v)}`;
      if (v < spec.min || v > spec.max) return `must be from ${spec.min} to ${spec.max}, got ${v}`;
      return null;
    case 'enum':
      return typeof v === 'string' && spec.options.includes(v)
        ? null
        : `must be one of ${spec.options.join(', ')}, got ${JSON.stringify(v)}`;
    case 'bool':
      return typeof v === 'boolean' ? null : `must be true or false, got ${JSON.stringify(v)}`;
    case 'string':
      return typeof v === 'string' ? null : `must be text, got ${JSON.stringify(v)}`;
    case 'path':
      if (typeof v !== 'string') return `must be a path, got ${JSON.stringify(v)}`;
      if (spec.required && v.trim() === '') return `needs a ${spec.mode === 'file-or-folder' ? 'file or folder' : spec.mode}`;
      return null;
    case 'attributes':
      return attributeGroupsProblem(v);
    case 'values':
      if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string'))
        return 'must map each attribute to a value';
      return null;
  }
}

/** Parameters with defaults filled in for anything missing. Unknown keys are kept. */
export function withDefaults(specs: ParamSpecs, params: Params | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(params ?? {}) };
  for (const [k, s] of Object.entries(specs)) if (out[k] === undefined) out[k] = s.default;
  return out;
}
