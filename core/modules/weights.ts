// One module's weights as one self-describing file, so a transformer trained in one project
// can be dropped into another, and a wrong file fails loudly, naming the module and tensor.
//
// Layout (all integers little-endian; extension .mgw):
//   bytes 0..7      magic, the ASCII text "MGWEIGHT"
//   bytes 8..11     uint32 H, the byte length of the header
//   bytes 12..12+H  header: UTF-8 JSON, padded with spaces so the data starts at a multiple of 8
//   then            data: little-endian values, each tensor row-major in tfjs's layout
//                   (conv filters [k, k, in, out]; transposed conv filters [k, k, out, in]),
//                   float32, or IEEE half precision (float16) where the header says so
// Header fields:
//   format 'modulargan-weights', version (1; 2 when a tensor is float16), module
//   ('E'|'G'|'T'|'R'|'D'), nodeKind ('transformer'), params (every catalogue parameter the
//   module was built from), seed (of its initialisation), tensors [{ name, shape, dtype:
//   'float32'|'float16', offset }] with offset in bytes from the start of the data,
//   dataBytes, sha256 (hex digest of the values as float32 little-endian: the data bytes
//   themselves in a float32 file, so a module loaded from a half-precision file has the
//   file's checksum), meta (free-form, e.g. training step or project name). Unknown fields
//   are kept on read.

import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { MODULES, nodeKind } from '../graph/catalogue';
import { MAX_JSON_DEPTH, tooDeepAt } from '../graph/format/json';
import { withDefaults } from '../graph/params';
import { describeGroups, type AttributeGroup } from '../graph/ports';
import { type GanModule, createModule } from './create';
import { formatShape } from './module';
import { createHash } from 'node:crypto';

export const WEIGHTS_FORMAT = 'modulargan-weights';
/** The newest version this code reads; float32 files are still written as version 1. */
export const WEIGHTS_VERSION = 2;
export const WEIGHTS_EXTENSION = '.mgw';
const MAGIC = 'MGWEIGHT';
const PREFIX_BYTES = MAGIC.length + 4;

const TensorEntry = z.object({
  name: z.string().min(1),
  shape: z.array(z.int().nonnegative()),
  dtype: z.enum(['float32', 'float16']),
  offset: z.int().nonnegative(),
});

const Header = z.looseObject({
  format: z.literal(WEIGHTS_FORMAT),
  version: z.int().positive(),
  module: z.enum(MODULES),
  nodeKind: z.string(),
  params: z.record(z.string(), z.unknown()),
  seed: z.number(),
  tensors: z.array(TensorEntry),
  dataBytes: z.int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  meta: z.record(z.string(), z.unknown()).optional(),
});

export type WeightsHeader = z.infer<typeof Header>;

export interface DecodedWeights {
  readonly header: WeightsHeader;
  /** Values by tensor name, in the header's order. */
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly values: Float32Array }>;
  /** The file they were read from, when they came from one: refusals name it. */
  readonly file?: string;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function floatsToBytes(values: Float32Array, out: Uint8Array, at: number): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset);
  values.forEach((v, i) => view.setFloat32(at + 4 * i, v, true));
}

function bytesToFloats(bytes: Uint8Array, at: number, count: number): Float32Array {
  // A copy, aligned, so the result never aliases (or pins) the file's buffer.
  const out = new Float32Array(count);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(at, at + 4 * count));
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
  }
  return out;
}

// IEEE 754 half precision, by bit manipulation (Node 20 has no Float16Array).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The half-precision bits nearest to x (round to nearest even; overflow becomes infinity). */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // infinity, NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: zero
    // Subnormal: shift the mantissa (with its hidden bit) into place, rounding to even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/** The value of half-precision bits. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const roundToHalf = (values: Float32Array): Float32Array => values.map((v) => fromHalfBits(toHalfBits(v)));

function halfBytes(values: readonly Float32Array[], byteLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const v of values)
    for (let i = 0; i < v.length; i++, at += 2) view.setUint16(at, toHalfBits(v[i]!), true);
  return out;
}

function halfToFloats(bytes: Uint8Array, at: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = fromHalfBits(view.getUint16(at + 2 * i, true));
  return out;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const titleOf = (kind: string): string => nodeKind(kind)?.title ?? kind;

/** How values are stored: float32 (exact), or float16 (half the size; for shipping trained modules). */
export type WeightsStorage = 'float32' | 'float16';

/** Each variable's values as the file will hold them (float16 storage rounds them first). */
function storedValues(m: GanModule, storage: WeightsStorage): [string, readonly number[], Float32Array][] {
  return Object.entries(m.variables).map(([name, v]) => {
    const values = v.dataSync() as Float32Array;
    return [name, v.shape, storage === 'float16' ? roundToHalf(values) : values];
  });
}

/** The float32 bytes of all values in order: what the checksum covers, whatever the storage. */
function float32Bytes(values: readonly Float32Array[]): Uint8Array {
  const out = new Uint8Array(4 * values.reduce((a, v) => a + v.length, 0));
  let at = 0;
  for (const v of values) {
    floatsToBytes(v, out, at);
    at += 4 * v.length;
  }
  return out;
}

/**
 * The checksum a weights file of this module would carry: the same for the module in
 * memory and for the file it was loaded from, so outputs can name the exact weights used.
 */
export const weightsChecksum = (m: GanModule): string => sha256Hex(float32Bytes(storedValues(m, 'float32').map(([, , v]) => v)));

/** The module's weights as one file's bytes. `meta` travels along untouched. */
export function encodeWeights(m: GanModule, meta?: Readonly<Record<string, unknown>>, storage: WeightsStorage = 'float32'): Uint8Array {
  const about = { module: m.kind, nodeKind: m.nodeKind, params: { ...m.params }, seed: m.seed };
  return encodeFile(about, storedValues(m, storage), storage, meta);
}

/** A decoded file written again, e.g. in half precision to ship it; meta replaced by `meta`. */
export function reencodeWeights(decoded: DecodedWeights, storage: WeightsStorage, meta?: Readonly<Record<string, unknown>>): Uint8Array {
  const { module, nodeKind, params, seed } = decoded.header;
  const stored = [...decoded.tensors].map(([name, t]): [string, readonly number[], Float32Array] => [name, t.shape, storage === 'float16' ? roundToHalf(t.values) : t.values]);
  return encodeFile({ module, nodeKind, params, seed }, stored, storage, meta);
}

function encodeFile(
  about: Pick<WeightsHeader, 'module' | 'nodeKind' | 'params' | 'seed'>,
  stored: readonly [string, readonly number[], Float32Array][],
  storage: WeightsStorage,
  meta: Readonly<Record<string, unknown>> | undefined,
): Uint8Array {
  const width = storage === 'float16' ? 2 : 4;
  const tensors: z.infer<typeof TensorEntry>[] = [];
  let offset = 0;
  for (const [name, shape, values] of stored) {
    tensors.push({ name, shape: [...shape], dtype: storage, offset });
    offset += width * values.length;
  }
  const exact = float32Bytes(stored.map(([, , v]) => v));
  const data = storage === 'float16' ? halfBytes(stored.map(([, , v]) => v), offset) : exact;
  const header: WeightsHeader = {
    format: WEIGHTS_FORMAT,
    version: storage === 'float16' ? 2 : 1,
    ...about,
    tensors,
    dataBytes: data.length,
    sha256: sha256Hex(exact),
    ...(meta ? { meta: { ...meta } } : {}),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil((PREFIX_BYTES + json.length) / 8) * 8 - PREFIX_BYTES;
  const out = new Uint8Array(PREFIX_BYTES + headerBytes + data.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, headerBytes, true);
  out.fill(0x20, PREFIX_BYTES, PREFIX_BYTES + headerBytes); // JSON allows trailing spaces
  out.set(json, PREFIX_BYTES);
  out.set(data, PREFIX_BYTES + headerBytes);
  return out;
}

/** Reads and checks a weights file's bytes: format, version, layout and checksum. */
export function decodeWeights(bytes: Uint8Array): DecodedWeights {
  const fail = (why: string): never => {
    throw new Error(`Weights file: ${why}`);
  };
  if (bytes.length < PREFIX_BYTES || new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC)
    fail(`not a ModularGAN weights file (it does not start with '${MAGIC}')`);
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (PREFIX_BYTES + headerBytes > bytes.length) fail('the file is cut short inside its header');
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes));
  } catch (e) {
    fail(`the header is not valid UTF-8 text (${(e as Error).message})`);
  }
  if (tooDeepAt(text) !== undefined) fail(`the header nests deeper than ${MAX_JSON_DEPTH} levels (damaged, or not a weights file)`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > WEIGHTS_VERSION)
    fail(`it was written by a newer ModularGAN Studio (format version ${version}; this one reads up to ${WEIGHTS_VERSION})`);
  const parsed = Header.safeParse(raw);
  if (!parsed.success)
    fail(`the header is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'header'}: ${i.message}`).join('; ')}`);
  const header = parsed.data!;
  const title = `${titleOf(header.nodeKind)} weights`;
  const data = bytes.subarray(PREFIX_BYTES + headerBytes);
  if (data.length !== header.dataBytes)
    throw new Error(`${title}: the data is ${data.length} bytes but the header says ${header.dataBytes} — the file is truncated or has trailing bytes`);
  const names = new Set<string>();
  for (const t of header.tensors) {
    const width = t.dtype === 'float16' ? 2 : 4;
    if (t.offset % width || t.offset + width * sizeOf(t.shape) > data.length)
      throw new Error(`${title}: tensor '${t.name}' (${formatShape(t.shape)} at byte ${t.offset}) lies outside the data`);
    if (names.has(t.name)) throw new Error(`${title}: tensor '${t.name}' is listed twice`);
    names.add(t.name);
  }
  // Tensors that overlap would let a small file name many copies of the same bytes, each
  // decoded into its own array: every byte of data belongs to at most one tensor.
  const spans = header.tensors.map((t) => ({ t, start: t.offset, end: t.offset + (t.dtype === 'float16' ? 2 : 4) * sizeOf(t.shape) })).sort((a, b) => a.start - b.start);
  let last: (typeof spans)[number] | undefined;
  for (const span of spans) {
    if (span.end === span.start) continue;
    if (last && span.start < last.end) throw new Error(`${title}: tensors '${last.t.name}' and '${span.t.name}' overlap in the data (from byte ${span.start}); the file is damaged`);
    last = span;
  }
  const tensors = new Map<string, { shape: readonly number[]; values: Float32Array }>();
  for (const t of header.tensors) {
    const count = sizeOf(t.shape);
    tensors.set(t.name, { shape: t.shape, values: t.dtype === 'float16' ? halfToFloats(data, t.offset, count) : bytesToFloats(data, t.offset, count) });
  }
  const half = header.tensors.some((t) => t.dtype === 'float16');
  const digest = sha256Hex(half ? float32Bytes([...tensors.values()].map((t) => t.values)) : data);
  if (digest !== header.sha256)
    throw new Error(`${title}: checksum mismatch, the data is corrupted (sha256 ${digest.slice(0, 12)}…, header says ${header.sha256.slice(0, 12)}…)`);
  return { header, tensors };
}

const describeParam = (v: unknown): string =>
  Array.isArray(v) ? describeGroups(v as AttributeGroup[]) : typeof v === 'object' ? JSON.stringify(v) : String(v);

/**
 * "residual blocks 2 in the file, 6 here" for each catalogue parameter that differs, and the
 * one a parameter marked `mustMatchWeights` makes fatal (undefined when none does).
 */
function paramDifferences(m: GanModule, fileParams: Readonly<Record<string, unknown>>): { notes: string[]; refusal?: string } {
  const def = nodeKind(m.nodeKind)!;
  // A file from before a parameter existed was made with its default.
  const file = withDefaults(def.params, fileParams);
  let refusal: string | undefined;
  const notes = Object.entries(def.params).flatMap(([k, spec]) => {
    const [a, b] = [describeParam(file[k]), describeParam(m.params[k])];
    if (a === b) return [];
    if (spec.type === 'float' && spec.mustMatchWeights)
      refusal ??= `the file was trained with ${spec.title.toLowerCase()} ${a}, but this ${m.title.toLowerCase()}'s is ${b}: set its ${spec.title} to ${a}`;
    return [`${spec.title.toLowerCase()} ${a} in the file, ${b} here`];
  });
  return { notes, ...(refusal ? { refusal } : {}) };
}

/**
 * Copies decoded weights into a module, after checking everything first, so a failed load
 * changes nothing. Returns notes on parameters that differ without changing any shape (e.g.
 * the same number of attribute values under other names), which the caller should show.
 */
export function loadWeightsInto(m: GanModule, decoded: DecodedWeights): { notes: string[] } {
  const { header } = decoded;
  const title = decoded.file ? `${m.title} weights from ${decoded.file}` : `${m.title} weights`;
  const self = `this ${m.title.toLowerCase()} (${m.describe()})`;
  if (header.module !== m.kind || header.nodeKind !== m.nodeKind)
    throw new Error(`${title}: the file holds ${titleOf(header.nodeKind).toLowerCase()} weights (module ${header.module}), not ${m.title.toLowerCase()} weights`);
  const { notes: differences, refusal } = paramDifferences(m, header.params);
  const because = differences.length ? ` (${differences.join('; ')})` : '';
  // Such a mismatch (the mask gain) would run silently wrong: refused, with the fix.
  if (refusal) throw new Error(`${title}: ${refusal}`);
  for (const [name, v] of Object.entries(m.variables)) {
    const t = decoded.tensors.get(name);
    if (!t) throw new Error(`${title}: tensor '${name}' is missing from the file, but ${self} needs it${because}`);
    if (formatShape(t.shape) !== formatShape(v.shape))
      throw new Error(`${title}: tensor '${name}' has shape ${formatShape(t.shape)} but ${self} needs ${formatShape(v.shape)}`);
  }
  for (const name of decoded.tensors.keys())
    if (!(name in m.variables)) throw new Error(`${title}: the file has tensor '${name}', which ${self} does not have${because}`);
  for (const [name, v] of Object.entries(m.variables)) {
    const t = decoded.tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.values, [...t.shape], 'float32')));
  }
  return { notes: differences };
}

/** Rebuilds the module a weights file was saved from, with those weights. */
export function moduleFromWeights(decoded: DecodedWeights): GanModule {
  const m = createModule(decoded.header.nodeKind, decoded.header.params, decoded.header.seed);
  try {
    loadWeightsInto(m, decoded);
  } catch (e) {
    m.dispose();
    throw e;
  }
  return m;
}

/** The checksum of the weight data, from Node's crypto (weights are read by the engine only). */
function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
