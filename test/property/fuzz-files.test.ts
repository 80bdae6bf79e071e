import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readAnyDocument } from '../../core/files/documents';
import { loadPreset } from '../../core/graph/format/preset';
import { loadProject } from '../../core/graph/format/project';
import { validateGraph } from '../../core/graph/validate';
import { textMutation, valueMutation } from '../helpers/fuzz';

// Thousands of mutated project files: each must either load or give structured errors;
// none may throw, and reading never changes the file on disk.

const seeds = [
  '../../assets/samples/colormnist-generation.mgproj.json',
  '../../assets/samples/celeba-translation.mgproj.json',
  '../fixtures/projects/v1-translation.mgproj.json',
].map((p) => readFileSync(new URL(p, import.meta.url), 'utf8'));

// Text-level damage to the seed files, and structure-level damage to their parsed documents.
const textDamage = textMutation(seeds);
const valueDamage = valueMutation(seeds.map((t) => JSON.parse(t) as unknown)).map((doc) => JSON.stringify(doc, null, 2));

function checkLoad(text: string) {
  const r = loadProject(text);
  if (r.ok) {
    // Whatever loads must also validate without throwing.
    const a = validateGraph(r.value.value.graph);
    expect(Array.isArray(a.diagnostics)).toBe(true);
  } else {
    expect(r.errors.length).toBeGreaterThan(0);
    for (const e of r.errors) {
      expect(typeof e.message).toBe('string');
      expect(e.message.length).toBeGreaterThan(5);
      if (e.line !== undefined) expect(e.line).toBeGreaterThanOrEqual(1);
    }
  }
  return r.ok;
}

describe('project loader under fuzzing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('text mutations: loads or gives structured errors, never throws', () => {
    fc.assert(fc.property(textDamage, (t) => void checkLoad(t)), { numRuns: 2500 });
  });

  it('value mutations: loads or gives structured errors, never throws', () => {
    let loaded = 0;
    fc.assert(fc.property(valueDamage, (t) => void (checkLoad(t) && loaded++)), { numRuns: 2500 });
    // Both outcomes occur, so the test exercises the loader's acceptance as well as refusal.
    expect(loaded).toBeGreaterThan(50);
    expect(loaded).toBeLessThan(2500);
  });

  it('arbitrary JSON: presets and projects never throw', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('modulargan-project', 'modulargan-preset'), fc.integer({ min: -1, max: 3 }), (v, format, version) => {
        const doc = typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...v, format, version } : v;
        const text = JSON.stringify(doc);
        expect(() => loadProject(text)).not.toThrow();
        expect(() => loadPreset(text)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it('reading files from disk never changes them', async () => {
    const samples = fc.sample(fc.oneof(textDamage, valueDamage), 300);
    for (const [i, text] of samples.entries()) {
      const f = join(dir, `f${i}.mgproj.json`);
      writeFileSync(f, text);
      const before = { hash: createHash('sha256').update(readFileSync(f)).digest('hex'), mtime: statSync(f).mtimeMs };
      const r = await readAnyDocument(f);
      expect(typeof r.ok).toBe('boolean');
      expect(createHash('sha256').update(readFileSync(f)).digest('hex')).toBe(before.hash);
      expect(statSync(f).mtimeMs).toBe(before.mtime);
    }
  });
});
