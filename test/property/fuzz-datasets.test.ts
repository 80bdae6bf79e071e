import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCeleba, parseAttributeList, parsePartition } from '../../core/data/celeba';
import { type Dataset, DatasetFileError } from '../../core/data/dataset';
import { openImageFolder } from '../../core/data/image-folder';
import { ImageFileError } from '../../core/data/images';
import { CELEBA } from '../../core/graph/attributes';
import { diskState, expectReadable, textMutation } from '../helpers/fuzz';

// Dataset files as users get them: hand-edited, cut short by a download, saved by Excel.
// Each generated or damaged file either opens into a usable dataset or is refused with a
// DatasetFileError naming the file (and the line, where there is one); nothing else is
// thrown and the files are never changed. The counts are in the test names for the notes.

const PARSE_RUNS = 3000;
const OPEN_RUNS = 250;
const SIZE = 8;

const fixture = new URL('../fixtures/celeba/', import.meta.url).pathname;
const IMAGES = readdirSync(join(fixture, 'img_align_celeba')).sort();
const REQUIRED = ['Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Male', 'Smiling'];
const OTHER = ['Young', 'Eyeglasses', 'Bald', 'Male', 'x', '1'];

/** A plausible token, or anything at all. */
const junk = fc.oneof(fc.constantFrom('', '2', '+1', '1.0', '0x1', '-', 'NaN', 'undefined', '\u0661', '"1"'), fc.string({ maxLength: 5 }));
const sep = fc.constantFrom(' ', '  ', '\t', ' \t ');
const eol = fc.constantFrom('\n', '\n', '\r\n', '\r');

/** list_attr_celeba.txt built from parts, mostly right so the loader's acceptance is exercised too. */
const attrList = fc
  .record({
    count: fc.oneof({ weight: 6, arbitrary: fc.constant('right') }, { weight: 1, arbitrary: junk }),
    names: fc
      .tuple(fc.oneof({ weight: 8, arbitrary: fc.shuffledSubarray(REQUIRED, { minLength: REQUIRED.length }) }, { weight: 1, arbitrary: fc.shuffledSubarray(REQUIRED) }), fc.subarray(OTHER))
      .map(([a, b]) => [...a, ...b]),
    rows: fc.array(
      fc.tuple(
        fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...IMAGES) }, { weight: 1, arbitrary: fc.constantFrom('missing.jpg', '../list_attr_celeba.txt', '.', 'img_align_celeba') }),
        fc.array(fc.oneof({ weight: 200, arbitrary: fc.constantFrom('1', '-1') }, { weight: 1, arbitrary: junk }), { maxLength: 12 }),
        // Now and then a row with one value too many or too few.
        fc.oneof({ weight: 40, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) }),
      ),
      { maxLength: 8 },
    ),
    sep,
    eol,
    bom: fc.boolean(),
  })
  .map(({ count, names, rows, sep: s, eol: e, bom }) => {
    const lines = rows.map(([file, vals, off]) => {
      const v = Array.from({ length: Math.max(0, names.length + off) }, (_, j) => vals[j % Math.max(1, vals.length)] ?? '1');
      return [file, ...v].join(s);
    });
    const head = count === 'right' ? String(rows.length) : count;
    return `${bom ? '\uFEFF' : ''}${[head, names.join(s), ...lines].join(e)}${e}`;
  });

/** list_eval_partition.txt for the fixture's images, with gaps and junk. */
const partition = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...IMAGES, 'other.jpg'), fc.oneof({ weight: 30, arbitrary: fc.constantFrom('0', '1', '2') }, { weight: 1, arbitrary: junk })), { maxLength: 9 }), sep, eol, fc.nat({ max: 5 }).map((n) => n > 0))
  .map(([rows, s, e, full]) => {
    const listed = full ? [...IMAGES.map((f, i) => [f, String(i % 3)] as const), ...rows] : rows;
    return listed.map(([f, p]) => `${f}${s}${p}`).join(e);
  });

/** Generated, damaged and random files, weighted so that about half of the folders open. */
const mix = (made: fc.Arbitrary<string>, seed: string, randomLength: number) =>
  fc.oneof({ weight: 6, arbitrary: made }, { weight: 2, arbitrary: textMutation([seed]) }, { weight: 1, arbitrary: fc.string({ maxLength: randomLength }) });
const anyAttrText = mix(attrList, readFileSync(join(fixture, 'list_attr_celeba.txt'), 'utf8'), 200);
const anyPartText = mix(partition, readFileSync(join(fixture, 'list_eval_partition.txt'), 'utf8'), 100);

/** A refusal of a dataset file: names one of `files`, a line inside it, in words. */
function expectFileError(e: unknown, files: Record<string, string | undefined>): void {
  if (!(e instanceof DatasetFileError)) throw e;
  expect(Object.keys(files)).toContain(e.file);
  const text = files[e.file];
  if (e.line !== undefined) {
    expect(e.line).toBeGreaterThanOrEqual(1);
    // Lines end at \n, \r\n or \r, as the loaders (and csv-parse) count them.
    if (text !== undefined) expect(e.line).toBeLessThanOrEqual(text.split(/\r\n?|\n/).length);
  }
  expect(e.message.startsWith(e.file)).toBe(true);
  expectReadable(e.reason, Object.values(files).join('\n'));
}

/** An opened dataset must load each item, or refuse it with an ImageFileError naming the file. */
async function expectUsable(ds: Dataset, labelLength: number, root: string): Promise<void> {
  for (const i of [...ds.train, ...ds.test]) expect(Number.isInteger(i)).toBe(true);
  // A list with no rows is refused as the list's fault, never opened as an empty dataset.
  expect(ds.train.length + ds.test.length).toBeGreaterThan(0);
  // Loaded all at once, as the loader's prefetch does: libvips then loses its own messages.
  const loads = await Promise.allSettled([...ds.train.slice(0, 2), ...ds.test.slice(0, 1)].map((i) => ds.load(i)));
  for (const loaded of loads) {
    try {
      if (loaded.status === 'rejected') throw loaded.reason;
      const s = loaded.value;
      expect(s.image.length).toBe(SIZE * SIZE * 3);
      expect(s.image.every((v) => v >= -1 && v <= 1)).toBe(true);
      expect(s.labels.length).toBe(labelLength);
      expect(s.labels.every((v) => v === 0 || v === 1)).toBe(true);
    } catch (e) {
      if (!(e instanceof ImageFileError)) throw e;
      expect(e.file.startsWith(root)).toBe(true);
      expectReadable(e.reason, e.file); // the file name itself may be any word the CSV gives
      expect(e.reason).not.toMatch(/unknown error/i);
    }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mg-fuzz-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CelebA files under fuzzing', () => {
  it(`list_attr_celeba.txt: ${PARSE_RUNS} generated, damaged and random files parse or name file and line`, () => {
    let parsed = 0;
    fc.assert(
      fc.property(anyAttrText, (text) => {
        try {
          const t = parseAttributeList(text, 'list_attr_celeba.txt');
          for (const r of t.rows) expect(r.values.length).toBe(t.names.length);
          parsed++;
        } catch (e) {
          expectFileError(e, { 'list_attr_celeba.txt': text });
        }
      }),
      { numRuns: PARSE_RUNS },
    );
    // Both outcomes occur, so acceptance is tested as well as refusal.
    expect(parsed).toBeGreaterThan(PARSE_RUNS / 10);
    expect(parsed).toBeLessThan(PARSE_RUNS);
  });

  it(`list_eval_partition.txt: ${PARSE_RUNS} generated, damaged and random files parse or name file and line`, () => {
    fc.assert(
      fc.property(anyPartText, (text) => {
        try {
          for (const p of parsePartition(text, 'list_eval_partition.txt').values()) expect([0, 1, 2]).toContain(p);
        } catch (e) {
          expectFileError(e, { 'list_eval_partition.txt': text });
        }
      }),
      { numRuns: PARSE_RUNS },
    );
  });

  it(`opening a CelebA folder: ${OPEN_RUNS} folders open and load, or refuse naming file and line; no file changes`, async () => {
    const root = join(dir, 'celeba');
    mkdirSync(join(root, 'img_align_celeba'), { recursive: true });
    for (const f of IMAGES) copyFileSync(join(fixture, 'img_align_celeba', f), join(root, 'img_align_celeba', f));
    const attrFile = join(root, 'list_attr_celeba.txt');
    const partFile = join(root, 'list_eval_partition.txt');
    let opened = 0;
    await fc.assert(
      fc.asyncProperty(anyAttrText, fc.option(anyPartText, { freq: 3 }), async (attr, part) => {
        writeFileSync(attrFile, attr);
        if (part === null) rmSync(partFile, { force: true });
        else writeFileSync(partFile, part);
        const before = diskState(root);
        try {
          await expectUsable(await openCeleba({ root, imageSize: SIZE }), 5, root);
          opened++;
        } catch (e) {
          expectFileError(e, { [attrFile]: attr, [partFile]: part ?? undefined, [join(root, 'img_align_celeba')]: undefined });
        }
        expect(diskState(root)).toEqual(before);
      }),
      { numRuns: OPEN_RUNS },
    );
    expect(opened).toBeGreaterThan(OPEN_RUNS / 10);
  }, 60_000);
});

describe('image folder CSV under fuzzing', () => {
  const groups = [CELEBA.hair, CELEBA.smiling];
  const root = join(dir, 'folder');
  const csvFile = join(root, 'attributes.csv');

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    for (const [i, f] of ['a.png', 'b.jpg', 'c.png'].entries())
      await sharp({ create: { width: 12 + i, height: 10, channels: 3, background: '#3366cc' } }).toFile(join(root, f));
    writeFileSync(join(root, 'bad.png'), 'not an image');
  });

  const cell = (v: fc.Arbitrary<string>) =>
    fc.tuple(v, fc.nat({ max: 6 })).map(([s, q]) => (q === 0 ? `"${s.replace(/"/g, '""')}"` : q === 1 ? ` ${s} ` : s));
  const csv = fc
    .record({
      // Usually a file column, the two attribute columns in any order, maybe extras, any case.
      header: fc
        .tuple(fc.oneof({ weight: 12, arbitrary: fc.shuffledSubarray(['hair', 'smiling', 'Extra'], { minLength: 2 }).filter((c) => c.includes('hair') && c.includes('smiling')) }, { weight: 1, arbitrary: fc.shuffledSubarray(['hair', 'smiling', 'Extra']) }), fc.oneof({ weight: 9, arbitrary: fc.constantFrom('file', 'Filename', 'IMAGE', 'path') }, { weight: 1, arbitrary: fc.constant('name') }), fc.nat(), fc.boolean())
        .map(([cols, file, at, upper]) => [...cols.slice(0, at % (cols.length + 1)), file, ...cols.slice(at % (cols.length + 1))].map((h) => (upper ? h.toUpperCase() : h))),
      rows: fc.array(
        fc.tuple(
          cell(fc.oneof({ weight: 8, arbitrary: fc.constantFrom('a.png', 'b.jpg', 'c.png', 'bad.png', 'missing.png', '') }, { weight: 1, arbitrary: junk })),
          cell(fc.oneof({ weight: 8, arbitrary: fc.constantFrom('black', 'blond', 'brown') }, { weight: 1, arbitrary: junk })),
          cell(fc.oneof({ weight: 8, arbitrary: fc.constantFrom('1', '0', '-1', 'yes', 'No', 'TRUE', 'false') }, { weight: 1, arbitrary: junk })),
          fc.nat({ max: 100 }),
        ),
        { maxLength: 12 },
      ),
      eol,
      bom: fc.boolean(),
    })
    .map(({ header, rows, eol: e, bom }) => {
      const byName = (h: string, [file, hair, smiling]: readonly string[]) =>
        ({ file, filename: file, image: file, path: file, hair, smiling })[h.toLowerCase()] ?? '';
      // A short row (a missing cell) now and then.
      const lines = rows.map(([f, h, s, short]) => header.map((col) => byName(col, [f, h, s])).slice(0, short === 0 && header.length > 2 ? -1 : undefined).join(','));
      return `${bom ? '\uFEFF' : ''}${[header.join(','), ...lines].join(e)}${e}`;
    });
  const anyCsv = mix(csv, 'file,hair,smiling\na.png,blond,1\n"b.jpg",brown,no\nc.png,black,-1\n', 120);

  it(`attributes.csv: ${OPEN_RUNS * 2} generated, damaged and random files open and load, or refuse naming file and line; no file changes`, async () => {
    let opened = 0;
    await fc.assert(
      fc.asyncProperty(anyCsv, async (text) => {
        writeFileSync(csvFile, text);
        const before = diskState(root);
        try {
          await expectUsable(await openImageFolder({ root, csv: csvFile, imageSize: SIZE, groups }), 4, root);
          opened++;
        } catch (e) {
          expectFileError(e, { [csvFile]: text });
        }
        expect(diskState(root)).toEqual(before);
      }),
      { numRuns: OPEN_RUNS * 2 },
    );
    expect(opened).toBeGreaterThan(OPEN_RUNS / 10);
  }, 60_000);

  it('a CSV saved with a byte-order mark (as Excel does) opens', async () => {
    writeFileSync(csvFile, '\uFEFFfile,hair,smiling\r\na.png,blond,1\r\n');
    const ds = await openImageFolder({ root, csv: csvFile, imageSize: SIZE, groups });
    expect(Array.from((await ds.load(0)).labels)).toEqual([0, 1, 0, 1]);
  });
});
