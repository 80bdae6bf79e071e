import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { backupPath, writeFileAtomic } from '../../core/files/atomic';
import { readAnyDocument } from '../../core/files/documents';
import { MAX_JSON_DEPTH } from '../../core/graph/format/json';
import { loadPreset } from '../../core/graph/format/preset';
import { loadProject } from '../../core/graph/format/project';
import { validateGraph } from '../../core/graph/validate';
import { CHECKPOINT_FORMAT, readCheckpointManifest, readIndex } from '../../core/train/checkpoint';
import { textMutation, valueMutation } from '../helpers/fuzz';

// Thousands of mutated project files: each must either load or give structured errors;
// none may throw, and reading never changes the file on disk. Hostile kinds beside them:
// JSON nested far too deep anywhere in a document, saves through chains of symbolic links
// (the links, modes and backups kept, no temporaries left), and checkpoint manifests and
// indexes that name paths out of their folder.

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

/** Deep nesting of arrays, objects or both, spliced in where a value may stand. */
const deepValue = fc.tuple(fc.integer({ min: MAX_JSON_DEPTH + 1, max: 30_000 }), fc.constantFrom('[', '{"k":', '[{"k":')).map(([n, open]) => {
  const close = open === '[' ? ']' : open === '{"k":' ? '}' : '}]';
  return { whole: `${open.repeat(n)}0${close.repeat(n)}`, opened: open.repeat(n) };
});

describe('deeply nested documents under fuzzing', () => {
  it('any document with a value nested too deep anywhere is refused with a line, never a stack overflow', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.nat(), deepValue, fc.boolean(), (seed, at, deep, cut) => {
        // After a key at the start of a line the spliced value is where a value belongs (never inside
        // a string); cut, it is unterminated too.
        const spots = [...seed.matchAll(/^\s*"[^"\n]*": /gm)].map((m) => m.index! + m[0].length);
        const i = spots[at % spots.length]!;
        const text = seed.slice(0, i) + (cut ? deep.opened : `${deep.whole},`) + seed.slice(i);
        for (const r of [loadProject(text), loadPreset(text)]) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.errors[0]).toMatchObject({ code: 'json', message: expect.stringMatching(/nests deeper than 256 levels/), line: expect.any(Number) });
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('saves through symbolic links under fuzzing', () => {
  const root = mkdtempSync(join(tmpdir(), 'mg-fuzz-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;

  it('a chain of relative and absolute links, in and across folders: the links, the mode and the backup stay where they belong', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'a/c'), fc.boolean()), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('a', 'b', 'a/c'),
        fc.constantFrom(0o600, 0o640, 0o644, 0o400, 0o660, 0o755),
        fc.boolean(),
        async (links, fileDir, mode, exists) => {
          const base = join(root, `case${n++}`);
          for (const d of ['a', 'b', 'a/c']) mkdirSync(join(base, d), { recursive: true });
          const file = join(base, fileDir, 'p.json');
          if (exists) {
            writeFileSync(file, 'old');
            chmodSync(file, mode);
          }
          // Each link points at the next (the last at the file), relatively or by absolute path.
          let next = file;
          const made: string[] = [];
          for (const [i, [d, absolute]] of links.entries()) {
            const link = join(base, d, `link${i}`);
            symlinkSync(absolute ? next : relative(dirname(link), next), link);
            made.push(link);
            next = link;
          }
          await writeFileAtomic(next, 'new');
          for (const l of made) expect(lstatSync(l).isSymbolicLink()).toBe(true);
          expect(readFileSync(file, 'utf8')).toBe('new');
          expect(realpathSync(next)).toBe(realpathSync(file));
          if (exists) {
            expect(statSync(file).mode & 0o7777).toBe(mode);
            expect(readFileSync(backupPath(file), 'utf8')).toBe('old');
          }
          // Nothing beside the links but the links; no temporary anywhere.
          for (const d of ['a', 'b', 'a/c']) {
            const names = readdirSync(join(base, d));
            expect(names.filter((x) => x.endsWith('.tmp') || x.endsWith('.tmp.bak'))).toEqual([]);
            expect(names.filter((x) => x.endsWith('.bak')).map((x) => join(base, d, x))).toEqual(exists ? [backupPath(file)].filter((b) => dirname(b) === join(base, d)) : []);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('leftover temporaries of a file: the next save removes exactly those of dead writers, of its own name', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const hex = fc.stringMatching(/^[0-9a-f]{12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('p.json', 'q.json', 'p.json.x'), fc.constantFrom(dead, process.pid, 1), hex, fc.constantFrom('.tmp', '.tmp.bak', '.tmpx', '')), { maxLength: 8 }),
        async (leftovers) => {
          const base = join(root, `left${n++}`);
          mkdirSync(base);
          const names = [...new Set(leftovers.map(([f, pid, h, ext]) => `.${f}.${pid}.${h}${ext}`))];
          for (const x of names) writeFileSync(join(base, x), '');
          await writeFileAtomic(join(base, 'p.json'), 'new');
          // pid 1 is always alive; our own pid is writing nothing now, so its leftovers are stale too.
          const stale = (x: string) => /^\.p\.json\.(\d+)\.[0-9a-f]{12}\.tmp(\.bak)?$/.exec(x)?.[1] !== undefined && Number(/^\.p\.json\.(\d+)/.exec(x)![1]) !== 1;
          expect(readdirSync(base).sort()).toEqual(['p.json', ...names.filter((x) => !stale(x))].sort());
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('checkpoint manifests and indexes naming paths', () => {
  const root = mkdtempSync(join(tmpdir(), 'mg-fuzz-ckpt-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const segment = fc.constantFrom('..', '.', '', 'T.mgw', 'E.mgw', 'iter-000002', 'etc', 'passwd', '~', 'C:', '\\..', 'T', '%2e%2e');
  const path = fc.oneof(fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/')), fc.constantFrom('/etc/passwd', 'T.mgw', 'E.mgw', 'T.mgw/', './T.mgw', 'T.MGW'), fc.string({ maxLength: 12 }));

  it('a manifest is accepted only when every module is named <id>.mgw and each optimiser by its own name', async () => {
    const dir = join(root, 'iter-000002');
    mkdirSync(dir, { recursive: true });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('E', 'T', 'R', 'D_T', 'a/b', '..'), path, { minKeys: 1, maxKeys: 4 }), fc.tuple(path, path), async (modules, [d, g]) => {
        const manifest = { format: CHECKPOINT_FORMAT, version: 1, iteration: 2, modules, optimizers: { d, g } };
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
        const named = Object.entries(modules).every(([id, f]) => f === `${id.replace(/[^\w.-]+/g, '_')}.mgw`) && d === 'optimizer-d' && g === 'optimizer-g';
        const r = await readCheckpointManifest(dir).then(
          () => 'ok',
          (e: Error) => e.message,
        );
        if (named) expect(r).toBe('ok');
        else expect(r).toMatch(new RegExp(`^${join(dir, 'manifest.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: refused: (module|optimizer) '`));
      }),
      { numRuns: 300 },
    );
  });

  it('an index is accepted only when every entry names an iter-NNNNNN folder of the run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(path, { maxLength: 4 }), async (paths) => {
        writeFileSync(join(root, 'index.json'), JSON.stringify({ checkpoints: paths.map((p, i) => ({ iteration: i, path: p, createdAt: '', score: null })), best: null }));
        const r = await readIndex(root).then(
          (x) => x.checkpoints.map((c) => c.path),
          (e: Error) => e.message,
        );
        if (paths.every((p) => /^iter-\d{6,12}$/.test(p))) expect(r).toEqual(paths);
        else expect(r).toMatch(/index\.json: refused: checkpoints\[\d+\] names /);
      }),
      { numRuns: 200 },
    );
  });
});
