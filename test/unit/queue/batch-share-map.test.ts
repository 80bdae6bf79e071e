import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchJobData, fileIdentity } from '../../../core/engine/queue/batch-job';
import { ShareUnreachableError, createBundleCache, runShare } from '../../../core/engine/queue/batch-share';
import { parsePathMaps } from '../../../core/engine/queue/path-map';
import { initBackend } from '../../../core/runtime/backends';
import { tinyProject } from '../../helpers/projects';

// A worker that mounts the storage elsewhere (--map): a share names the submitter's paths,
// which do not exist here; the worker reads and writes its own, and reports in the submitter's.

const local = mkdtempSync(join(tmpdir(), 'mg-map-'));
const remote = '/mnt/nowhere-on-this-machine/share';
const png = (v: number) => sharp(Buffer.alloc(16 * 16 * 3, v), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
const share = (over: Partial<BatchJobData> = {}): BatchJobData => ({
  kind: 'batch',
  runId: 'r1',
  index: 0,
  shares: 1,
  graph: tinyProject('').graph as BatchJobData['graph'],
  baseDir: remote,
  input: `${remote}/in`,
  output: `${remote}/out`,
  masks: false,
  seed: 0,
  batchSize: 2,
  existing: 'refuse',
  stopOnError: false,
  files: ['a.png', 'b.png', 'c.png'],
  before: {},
  queuedAt: 0,
  ...over,
});

beforeAll(async () => {
  mkdirSync(join(local, 'in'));
  mkdirSync(join(local, 'out'));
  writeFileSync(join(local, 'in', 'a.png'), await png(10));
  writeFileSync(join(local, 'in', 'b.png'), await png(90));
  writeFileSync(join(local, 'in', 'c.png'), Buffer.from('not a png'));
  writeFileSync(join(local, 'out', 'b.png'), 'the user\'s file, there before the batch');
  await initBackend('auto', { gradients: false });
});
afterAll(() => rmSync(local, { recursive: true, force: true }));

describe('a share on a worker that maps paths', () => {
  it('reads and writes its own paths and reports in the submitter\'s', async () => {
    const bundles = createBundleCache();
    // The submitter recorded what was there when it planned the batch.
    const before = { 'b.png': fileIdentity(lstatSync(join(local, 'out', 'b.png'))) };
    const r = await runShare(share({ before }), { map: parsePathMaps([`${remote}=${local}`]), engine: 'auto', worker: 'w', bundles });
    expect(r).toMatchObject({ processed: 2, written: 1, cancelled: false });
    expect(r.skipped).toEqual([{ file: 'c.png', reason: expect.stringMatching(/^cannot decode it as an image/) }]);
    expect(r.failed).toEqual([{ path: `${remote}/out/b.png`, reason: 'already exists, not overwritten (use --overwrite)' }]);
    expect(readdirSync(join(local, 'out')).sort()).toEqual(['a.png', 'b.png']);
    await bundles.dispose();
  });

  it('is retried elsewhere, not reported file by file, when its folders are not here', async () => {
    const run = runShare(share(), { map: parsePathMaps([]), engine: 'auto', worker: 'w', bundles: createBundleCache() });
    await expect(run).rejects.toBeInstanceOf(ShareUnreachableError);
    await expect(run).rejects.toThrow(/input folder \/mnt\/nowhere-on-this-machine\/share\/in is not a folder this worker can read; mount the shared storage or give --map/);
  });
});
