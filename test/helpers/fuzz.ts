// Shared pieces of the fuzz tests: damage to text and bytes, and a fingerprint of the files
// a loader is given, so every test can check that reading never changes anything on disk.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';

/** sha256 and mtime of every file under the given files and folders, by path. */
export function diskState(...paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (p: string) => {
    const s = statSync(p);
    if (s.isDirectory()) for (const n of readdirSync(p)) visit(join(p, n));
    else out.set(p, `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${s.mtimeMs}`);
  };
  paths.forEach(visit);
  return out;
}

/** Text damage: inserted junk, cut ranges, changed characters, truncation. */
export function textMutation(seeds: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 6 }), fc.nat({ max: 3 }));
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
    let t = text;
    for (const [pos, len, junk, op] of edits) {
      const i = pos % Math.max(1, t.length);
      if (op === 0) t = t.slice(0, i) + junk + t.slice(i);
      else if (op === 1) t = t.slice(0, i) + t.slice(i + len);
      else if (op === 2) t = t.slice(0, i) + String.fromCharCode((t.charCodeAt(i) + 1 + len) % 128) + t.slice(i + 1);
      else t = t.slice(0, i);
    }
    return t;
  });
}

/** Byte damage: flipped bits, overwritten runs, truncation, inserted junk, or all random. */
export function byteMutation(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat({ max: 3 }), fc.uint8Array({ minLength: 1, maxLength: 16 }));
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 6 })).map(([seed, edits]) => {
    let b = Uint8Array.from(seed);
    for (const [pos, x, op, junk] of edits) {
      const i = pos % Math.max(1, b.length);
      if (op === 0) b[i]! ^= x;
      else if (op === 1) b.set(junk.subarray(0, b.length - i), i);
      else if (op === 2) b = b.slice(0, i);
      else b = Uint8Array.from([...b.subarray(0, i), ...junk, ...b.subarray(i)]);
    }
    return b;
  });
  return fc.oneof({ weight: 8, arbitrary: mutated }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }) });
}

/**
 * A refusal meant for a person: a real sentence, with no leaked "undefined", "NaN" or
 * "[object Object]" (unless the input itself held those words).
 */
export function expectReadable(message: string, input = ''): void {
  expect(message.length).toBeGreaterThan(5);
  for (const junk of ['undefined', 'NaN', '[object ']) if (!input.includes(junk)) expect(message, message).not.toContain(junk);
}

/** Structure damage: one value somewhere inside a valid seed replaced by random JSON, or removed. */
export function valueMutation<T>(seeds: readonly T[]): fc.Arbitrary<T> {
  return fc.tuple(fc.constantFrom(...seeds), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), fc.boolean()).map(([seed, path, value, remove]) => {
    const doc = structuredClone(seed) as unknown;
    let cur = doc;
    for (let d = 0; d < path.length; d++) {
      if (typeof cur !== 'object' || cur === null) break;
      const o = cur as Record<string, unknown>;
      const keys = Object.keys(o);
      if (!keys.length) break;
      const k = keys[path[d]! % keys.length]!;
      if (d === path.length - 1 || typeof o[k] !== 'object' || o[k] === null) {
        if (remove && !Array.isArray(o)) delete o[k];
        else o[k] = value;
        break;
      }
      cur = o[k];
    }
    return doc as T;
  });
}
