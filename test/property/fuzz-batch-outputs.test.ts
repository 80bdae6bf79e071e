// Batches over random mixes of what an input folder holds in practice — names whose outputs
// clash (a.jpg, a.png, a.PNG), corrupt images, text files, FIFOs, sockets, links inside, out
// of and to nowhere, hard links, subfolders (one named like the mask folder) — written to an
// output folder beside, inside, around, or (through a link) the same as the input folder,
// with and without --overwrite, --skip-existing, --masks and --recursive. Whatever the mix:
// no run hangs, no input changes (content, mtime, inode), every file the listing found is
// processed, done already, or reported with its reason, and no temporary file is left.
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../core/runtime/backends';
import { type BatchReport, runBatch } from '../../core/runtime/batch';
import { RunError } from '../../core/runtime/executor';
import { fingerprint } from '../helpers/fingerprint';
import { tinyProject } from '../helpers/projects';

const RUNS = 60;
const graph = tinyProject('unused').graph;
const dir = mkdtempSync(join(tmpdir(), 'mg-fuzz-out-'));
const servers: Server[] = [];
let png: Buffer;
let jpg: Buffer;
beforeAll(async () => {
  await initBackend('auto', { gradients: false });
  png = await sharp(Buffer.alloc(16 * 16 * 3, 90), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
  jpg = await sharp(png).jpeg().toBuffer();
});
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const plain = fc.record({
  folder: fc.constantFrom('', '', 'sub', join('masks', 'hair')),
  stem: fc.constantFrom('a', 'b', 'c'),
  ext: fc.constantFrom('.png', '.jpg', '.PNG', '.jpeg', '.txt'),
  corrupt: fc.boolean(),
});
const special = fc.constantFrom('fifo', 'fifo.png', 'socket.png', 'dangling.png', 'link-inside.png', 'link-outside.png', 'hardlink.png', 'link-dir');
const scenario = fc.record({
  files: fc.array(plain, { minLength: 1, maxLength: 7 }),
  specials: fc.uniqueArray(special, { maxLength: 4 }),
  out: fc.constantFrom('beside', 'inside', 'around', 'same', 'link-to-input', 'inside-through-link', 'file-input'),
  outLinkedToInput: fc.boolean(), // out/<first output> made a hard link to an input beforehand
  overwrite: fc.boolean(),
  skipExisting: fc.boolean(),
  masks: fc.boolean(),
  recursive: fc.boolean(),
  twice: fc.boolean(), // run again into the same folder (resume or overwrite on existing outputs)
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** The files a batch must account for, by the listing's rules (links to folders only when recursive). */
function listed(root: string, recursive: boolean, skip?: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        if (recursive && p !== skip) walk(p);
      } else if (st.isSymbolicLink() && existsSync(p) && statSync(p).isDirectory()) {
        if (recursive) out.push(p);
      } else out.push(p);
    }
  };
  walk(root);
  return out.map((p) => relative(root, p));
}

async function setUp(s: Scenario, run: number) {
  const p = join(dir, `run${run}`);
  const input = join(p, 'in');
  mkdirSync(input, { recursive: true });
  const elsewhere = join(p, 'elsewhere.png');
  writeFileSync(elsewhere, png);
  for (const f of s.files) {
    const path = join(input, f.folder, f.stem + f.ext);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.ext === '.txt' ? 'notes' : f.corrupt ? Buffer.from('\x89PNG\r\n\x1a\nbroken') : f.ext.startsWith('.j') ? jpg : png);
  }
  const anImage = s.files.map((f) => join(input, f.folder, f.stem + f.ext)).find((f) => !f.endsWith('.txt'));
  for (const x of s.specials) {
    const path = join(input, x);
    if (x.startsWith('fifo')) execFileSync('mkfifo', [path]);
    else if (x === 'socket.png') {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(path, resolve));
    } else if (x === 'dangling.png') symlinkSync(join(input, 'nowhere.png'), path);
    else if (x === 'link-inside.png' && anImage) symlinkSync(anImage, path);
    else if (x === 'link-outside.png') symlinkSync(elsewhere, path);
    else if (x === 'hardlink.png' && anImage) linkSync(anImage, path);
    else if (x === 'link-dir') symlinkSync(input, path);
  }
  const link = join(p, 'link');
  symlinkSync(input, link);
  const outputs: Record<Scenario['out'], string> = {
    beside: join(p, 'out'),
    inside: join(input, 'out'),
    around: p,
    same: input,
    'link-to-input': link,
    'inside-through-link': join(link, 'out'),
    'file-input': input,
  };
  const output = outputs[s.out];
  const from = s.out === 'file-input' ? (anImage ?? join(input, s.files[0]!.folder, s.files[0]!.stem + s.files[0]!.ext)) : input;
  if (s.outLinkedToInput && anImage && s.out === 'beside') {
    const target = join(output, relative(input, anImage).replace(/\.[^.]+$/, '.png'));
    mkdirSync(dirname(target), { recursive: true });
    linkSync(anImage, target);
  }
  return { p, input, output, from, elsewhere };
}

/** A batch that does not end within this time has hung (on a FIFO, say). */
const withTimeout = <T,>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`hung for ${ms} ms`)), ms))]);

describe('batch outputs over random input folders (issue 18)', () => {
  it(`${RUNS} mixes: no input changes, every listed file is accounted for, nothing hangs, no temporary file stays`, async () => {
    let run = 0;
    let refused = 0;
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { p, input, output, from, elsewhere } = await setUp(s, run++);
        const insideOut = s.out === 'inside' || s.out === 'inside-through-link' ? join(input, 'out') : undefined;
        const keep = (fp: Record<string, string>) => Object.fromEntries(Object.entries(fp).filter(([k]) => !insideOut || !(k === 'out' || k.startsWith(`out/`))));
        const before = keep(fingerprint(input));
        const beforeElsewhere = fingerprint(elsewhere);
        const beforeFile = fingerprint(from);
        const opts = { baseDir: p, input: from, output, overwrite: s.overwrite, skipExisting: s.skipExisting, masks: s.masks, recursive: s.recursive, batchSize: 3 };
        const reports: BatchReport[] = [];
        for (let i = 0; i < (s.twice ? 2 : 1); i++) {
          try {
            reports.push(await withTimeout(runBatch(graph, opts), 15_000));
          } catch (e) {
            expect(e, String(e)).toBeInstanceOf(RunError);
            expect((e as Error).message).toMatch(/.{20}/);
            refused++;
            break;
          }
        }
        // The file-input case writes into the input's folder: only that one file is an input.
        if (s.out === 'file-input') expect(fingerprint(from)).toEqual(beforeFile);
        else expect(keep(fingerprint(input))).toEqual(before);
        expect(fingerprint(elsewhere)).toEqual(beforeElsewhere);
        if (s.out === 'same' || s.out === 'link-to-input') expect(reports).toEqual([]);

        for (const r of reports) {
          ran++;
          // A file given as the input is reported by its own path.
          const files = s.out === 'file-input' ? [from] : listed(input, s.recursive, insideOut);
          const reported = new Set(r.skipped.map((x) => x.file));
          // Each file found is processed, done already, or reported; never two of these.
          expect(r.processed + r.alreadyDone + r.skipped.length, JSON.stringify({ files, r })).toBe(files.length);
          for (const x of r.skipped) expect(x.reason.length).toBeGreaterThan(5);
          expect([...reported].every((f) => files.includes(f))).toBe(true);
          for (const f of r.failed) expect(f.reason).toMatch(/already exists, not overwritten/);
        }
        if (existsSync(output))
          for (const d of [output, join(output, 'masks', 'hair')])
            if (existsSync(d) && statSync(d).isDirectory()) expect(readdirSync(d).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    // The mixes must exercise both sides: runs refused up front and runs that went through.
    expect(refused).toBeGreaterThan(2);
    expect(ran).toBeGreaterThan(5);
  }, 120_000);
});
