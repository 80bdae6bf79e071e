// What a killed run can leave in a checkpoints folder, and how the next run reads it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTemporaries } from '../../../core/files/atomic';
import { CHECKPOINT_FORMAT, latestCheckpoint } from '../../../core/train/checkpoint';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mg-ckpt-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A checkpoint folder; without `whole`, its manifest (written last) is missing, as after a crash. */
function folder(name: string, whole = true): void {
  mkdirSync(join(root, name));
  writeFileSync(join(root, name, 'G.mgw'), 'weights');
  if (whole) writeFileSync(join(root, name, 'manifest.json'), JSON.stringify({ format: CHECKPOINT_FORMAT }));
}
const index = (...names: string[]) =>
  writeFileSync(join(root, 'index.json'), JSON.stringify({ checkpoints: names.map((path) => ({ iteration: Number(path.slice(5)), path, createdAt: '', score: null })), best: null }));

describe('latestCheckpoint after a crash', () => {
  it('is the newest entry of the index, not a newer folder the index does not list yet', async () => {
    folder('iter-000002');
    folder('iter-000004');
    index('iter-000002');
    expect(await latestCheckpoint(root)).toBe(join(root, 'iter-000002'));
  });

  it('passes over an entry whose folder is gone or has no manifest (killed while it was replaced)', async () => {
    folder('iter-000002');
    folder('iter-000004', false);
    index('iter-000002', 'iter-000004', 'iter-000006');
    expect(await latestCheckpoint(root)).toBe(join(root, 'iter-000002'));
  });

  it('without an index, is the newest whole folder', async () => {
    folder('iter-000002');
    folder('iter-000004', false);
    mkdirSync(join(root, '.iter-000006.abcd.tmp'));
    expect(await latestCheckpoint(root)).toBe(join(root, 'iter-000002'));
    expect(await latestCheckpoint(join(root, 'none'))).toBeUndefined();
  });
});

describe('removeStaleTemporaries', () => {
  it("removes the hidden .tmp files and folders of interrupted writes, and nothing else", async () => {
    folder('iter-000002');
    mkdirSync(join(root, '.iter-000004.abcd.tmp'));
    writeFileSync(join(root, '.iter-000004.abcd.tmp', 'G.mgw'), 'half');
    writeFileSync(join(root, '.index.json.123.ab.tmp'), '{');
    writeFileSync(join(root, '.index.json.123.ab.tmp.bak'), '{');
    writeFileSync(join(root, 'notes.tmp'), 'a user file: not hidden, kept');
    index('iter-000002');
    await removeStaleTemporaries(root);
    expect(readdirSync(root).sort()).toEqual(['index.json', 'iter-000002', 'notes.tmp']);
    await removeStaleTemporaries(join(root, 'missing')); // a folder not made yet is fine
  });
});
