import { describe, expect, it } from 'vitest';
import { connectionOptions, parseQueueAddress, reconnectDelay } from '../../../core/engine/queue/address';
import { batchJobSchema, batchResultSchema } from '../../../core/engine/queue/batch-job';
import { mergeBatchReport } from '../../../core/engine/queue/batch-merge';
import { parsePathMaps } from '../../../core/engine/queue/path-map';

describe('queue address', () => {
  it('reads host, port, database and credentials, and never shows the password', () => {
    expect(parseQueueAddress('redis://10.0.0.5:6380/2')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, tls: false, shown: 'redis://10.0.0.5:6380/2' });
    expect(parseQueueAddress('redis://box')).toMatchObject({ host: 'box', port: 6379, db: 0 });
    const secret = parseQueueAddress('rediss://fleet:s%40cret@queue.lan:6390/1');
    expect(secret).toMatchObject({ username: 'fleet', password: 's@cret', tls: true, shown: 'rediss://fleet:***@queue.lan:6390/1' });
    expect(parseQueueAddress('redis://:pw@[::1]:7000').shown).toBe('redis://:***@[::1]:7000');
    expect(parseQueueAddress('redis://[::1]:7000').host).toBe('::1');
  });

  it('refuses what is not a Redis URL, saying what is wrong', () => {
    expect(() => parseQueueAddress('localhost:6379')).toThrow(/--queue must start with redis:\/\//);
    expect(() => parseQueueAddress('http://h:1')).toThrow(/must start with redis:\/\//);
    expect(() => parseQueueAddress('redis://h:1/queue')).toThrow(/database after the port must be a number/);
    expect(() => parseQueueAddress('redis://h:1/0?x=1')).toThrow(/no \?options/);
    expect(() => parseQueueAddress('not a url', 'the queue URL')).toThrow(/^the queue URL must be a Redis URL/);
  });

  it('waits out a Redis that went away: commands wait, reconnects go on for ever', () => {
    const o = connectionOptions(parseQueueAddress('redis://h:1/3'), 'worker');
    expect(o).toMatchObject({ host: 'h', port: 1, db: 3, maxRetriesPerRequest: null, enableOfflineQueue: true });
    expect([1, 2, 4, 8, 100, 10_000].map(reconnectDelay)).toEqual([250, 500, 1000, 2000, 2000, 2000]);
  });
});

describe('path mapping', () => {
  const map = parsePathMaps(['/mnt/share=/data', '/mnt/share/models=/opt/models']);
  it('maps whole path components, the longest prefix first, both ways', () => {
    expect(map.toLocal('/mnt/share/in/a.png')).toBe('/data/in/a.png');
    expect(map.toLocal('/mnt/share/models/e.mgw')).toBe('/opt/models/e.mgw');
    expect(map.toLocal('/mnt/shared/x')).toBe('/mnt/shared/x');
    expect(map.toLocal('/mnt/share')).toBe('/data');
    expect(map.toRemote('/data/out/a.png')).toBe('/mnt/share/out/a.png');
    expect(map.toRemote('/opt/models')).toBe('/mnt/share/models');
    expect(map.toRemote('/database/x')).toBe('/database/x');
  });
  it('writes reasons that name this machine\'s paths in the submitter\'s, once', () => {
    expect(map.textToRemote('refused: /data/out/a.png would replace the input /data/in/a.png')).toBe(
      'refused: /mnt/share/out/a.png would replace the input /mnt/share/in/a.png',
    );
    expect(map.textToRemote("cannot write into '/data': permission denied; /database untouched")).toBe("cannot write into '/mnt/share': permission denied; /database untouched");
    expect(parsePathMaps([]).textToRemote('/data/x')).toBe('/data/x');
  });
  it('refuses maps that are not REMOTE=LOCAL with absolute paths', () => {
    expect(() => parsePathMaps(['/a'])).toThrow(/--map takes REMOTE=LOCAL/);
    expect(() => parsePathMaps(['a=/b'])).toThrow(/a is not an absolute path/);
    expect(() => parsePathMaps(['=/b'])).toThrow(/--map takes REMOTE=LOCAL/);
  });
});

describe('queued batch payloads', () => {
  const share = {
    kind: 'batch',
    runId: 'r1',
    index: 0,
    shares: 1,
    graph: { nodes: [], edges: [] },
    baseDir: '/p',
    input: '/in',
    output: '/out',
    masks: false,
    seed: 0,
    batchSize: 8,
    existing: 'refuse',
    stopOnError: false,
    files: ['a.png', 'sub/b.png'],
    before: {},
    queuedAt: 1,
  };
  it('accepts a share whose files stay inside their folder, and nothing else', () => {
    expect(batchJobSchema.safeParse(share).success).toBe(true);
    for (const bad of ['../etc/passwd', '/etc/passwd', 'sub/../../x', 'a\0b'])
      expect(batchJobSchema.safeParse({ ...share, files: [bad] }).success, bad).toBe(false);
    expect(batchJobSchema.safeParse({ ...share, before: { '../x.png': '1:2:3' } }).success).toBe(false);
    expect(batchJobSchema.safeParse({ ...share, input: 'in' }).success).toBe(false);
    expect(batchJobSchema.safeParse({ ...share, runId: 'a b' }).success).toBe(false);
  });
  it('checks a result before it is merged', () => {
    expect(batchResultSchema.safeParse({ kind: 'batch', worker: 'w', engine: 'e', processed: -1, written: 0, skipped: [], failed: [], cancelled: false, seconds: 0 }).success).toBe(false);
  });
});

describe('merging shares into one report', () => {
  const plan = { input: '/in', output: '/out', reportPath: '/out/batch-report.json', alreadyDone: 1, skipped: [{ file: 'n.txt', reason: 'not an image file' }] };
  const result = (worker: string, extra: object = {}) => ({ kind: 'batch' as const, worker, engine: 'onnx', processed: 2, written: 2, skipped: [], failed: [], cancelled: false, seconds: 1, ...extra });
  it('sums counts, sorts skips by file, keeps write failures in run order, and reports the files of a failed share', () => {
    const r = mergeBatchReport(
      plan,
      [
        { index: 2, files: ['z.png'], failure: { reason: 'job stalled more than allowable limit', worker: 'w2' } },
        { index: 1, files: ['c.png', 'd.png'], result: result('w2', { failed: [{ path: '/out/d.png', reason: 'permission denied (EACCES)' }], written: 1 }) },
        { index: 0, files: ['a.png', 'b.png', 'bad.png'], result: result('w1', { skipped: [{ file: 'bad.png', reason: 'cannot decode it' }], failed: [{ path: '/out/a.png', reason: 'x' }] }) },
      ],
      { aborted: false, seconds: 2 },
    );
    expect(r).toMatchObject({ finished: true, cancelled: false, processed: 4, written: 3, alreadyDone: 1, engine: 'onnx', seconds: 2, imagesPerSecond: 2 });
    expect(r.skipped).toEqual([
      { file: 'bad.png', reason: 'cannot decode it' },
      { file: 'n.txt', reason: 'not an image file' },
      { file: 'z.png', reason: 'not processed: the queued job holding it failed on w2: job stalled more than allowable limit' },
    ]);
    expect(r.failed.map((f) => f.path)).toEqual(['/out/a.png', '/out/d.png']);
  });
  it('says stopped by a full disk or cancelled as a local run does', () => {
    const full = mergeBatchReport(plan, [{ index: 0, files: ['a.png'], result: result('w', { stoppedBy: 'no space left on the disk (ENOSPC), writing /out/a.png' }) }], { aborted: true, seconds: 1 });
    expect(full).toMatchObject({ finished: false, cancelled: false, stoppedBy: 'no space left on the disk (ENOSPC), writing /out/a.png' });
    expect(mergeBatchReport(plan, [], { aborted: true, seconds: 1 })).toMatchObject({ finished: false, cancelled: true });
  });
});
