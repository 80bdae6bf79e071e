import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupPath, writeFileAtomic } from '../../../core/files/atomic';
import { readProjectFile, saveProjectFile } from '../../../core/files/documents';
import { emptyProject } from '../../../core/graph/format/project';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mg-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes a new file without a backup and leaves no temporary files', async () => {
    const f = join(dir, 'a.json');
    await writeFileAtomic(f, 'one');
    expect(readFileSync(f, 'utf8')).toBe('one');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('keeps the previous version as .bak', async () => {
    const f = join(dir, 'a.json');
    await writeFileAtomic(f, 'one');
    await writeFileAtomic(f, 'two');
    await writeFileAtomic(f, 'three');
    expect(readFileSync(f, 'utf8')).toBe('three');
    expect(readFileSync(backupPath(f), 'utf8')).toBe('two');
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'a.json.bak']);
  });

  it('cleans up and leaves what was there when the save fails', async () => {
    // A folder where the file should go: the temporary file is written, then the rename
    // over the folder fails; the folder and its content must survive and no temp file remain.
    const target = join(dir, 'project.json');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'precious');
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow();
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('precious');
    expect(readdirSync(dir)).toEqual(['project.json']);
  });
});

describe('project files on disk', () => {
  it('save and read back', async () => {
    const f = join(dir, 'p.mgproj.json');
    await saveProjectFile(f, emptyProject('Mine'));
    expect(await readProjectFile(f)).toMatchObject({ ok: true, value: { value: { name: 'Mine' } } });
  });

  it('report a missing file and a folder as errors, not throws', async () => {
    expect(await readProjectFile(join(dir, 'none.json'))).toMatchObject({ ok: false, errors: [{ message: 'the file does not exist' }] });
    expect(await readProjectFile(dir)).toMatchObject({ ok: false, errors: [{ message: 'this is a folder, not a file' }] });
  });

  it('accept a byte-order mark', async () => {
    const f = join(dir, 'bom.json');
    writeFileSync(f, `\uFEFF${JSON.stringify(emptyProject('B'))}`);
    expect(await readProjectFile(f)).toMatchObject({ ok: true });
  });
});
