import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { PRESET_ENTRY, importPresetBundle, openPresetBundle } from '../../core/files/preset-bundle';
import { PROVENANCE_FORMAT, parseProvenanceXmp, provenanceXmp } from '../../core/graph/format/provenance';
import { tinyProject } from '../helpers/projects';

// Untrusted inputs that arrive with images and presets: each either loads or yields
// structured errors, and a bundle that is refused writes nothing.

const good = provenanceXmp({
  format: PROVENANCE_FORMAT,
  version: 1,
  app: 'test',
  createdAt: '2026-01-01T00:00:00Z',
  graph: tinyProject('in').graph,
  seed: 1,
  modules: { E: { sha256: 'a'.repeat(64), source: 'seeded' } },
});

const mutate = (text: string) =>
  fc.tuple(fc.nat(), fc.nat({ max: 30 }), fc.string({ maxLength: 8 })).map(([pos, len, junk]) => {
    const i = pos % text.length;
    return text.slice(0, i) + junk + text.slice(i + len);
  });

describe('provenance and preset bundles under fuzzing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-fuzz-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('provenance XMP: mutated packets load or give errors, never throw', () => {
    expect(parseProvenanceXmp(good).ok).toBe(true);
    fc.assert(
      fc.property(fc.oneof(mutate(good), fc.string()), (x) => {
        const r = parseProvenanceXmp(x);
        if (!r.ok) expect(r.errors[0]!.message.length).toBeGreaterThan(5);
      }),
      { numRuns: 3000 },
    );
  });

  it('bundles: random and mutated zips are refused cleanly', async () => {
    const doc = new TextEncoder().encode(JSON.stringify({ format: 'modulargan-preset', version: 1, name: 'x', graph: tinyProject('in').graph }));
    const zip = zipSync({ [PRESET_ENTRY]: doc });
    expect(openPresetBundle(zip).ok).toBe(true);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const b = zip.slice();
        b[i % b.length]! ^= x;
        return b;
      })), (bytes) => {
        const r = openPresetBundle(bytes);
        if (!r.ok) expect(r.errors[0]!.message.length).toBeGreaterThan(5);
      }),
      { numRuns: 2000 },
    );
    // And through the importer, which must leave the target folder untouched when it refuses.
    for (const bytes of fc.sample(fc.uint8Array({ maxLength: 200 }), 50)) {
      const r = await importPresetBundle(bytes, join(dir, 'target'));
      expect(r.ok).toBe(false);
    }
  });
});
