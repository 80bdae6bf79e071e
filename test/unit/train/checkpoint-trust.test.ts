// A checkpoint's manifest and the run's index.json are files on disk, and their names become
// paths that are copied (freeze), loaded (resume, checkpoint into the graph) or deleted
// (pruning): anything but the checkpoint's own files by their own names is refused, naming
// the file and the entry, and nothing outside the run folder is ever read, copied or removed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainingService } from '../../../core/engine/training-service';
import { writeWeightsFile } from '../../../core/files/weights-file';
import { CELEBA } from '../../../core/graph/attributes';
import { createModule } from '../../../core/modules/create';
import { CHECKPOINT_FORMAT, dropCheckpointsAfter, latestCheckpoint, readCheckpointManifest, readIndex } from '../../../core/train/checkpoint';
import { exportTrainedModules } from '../../../core/train/export';
import { writeTinyProject } from '../../helpers/projects';
import { useCpuBackend } from '../../helpers/tf';

const dir = mkdtempSync(join(tmpdir(), 'mg-ckpt-trust-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const service = createTrainingService(() => undefined);
const project = writeTinyProject(dir, join(dir, 'in'));
const root = join(dir, 'tiny.train', 'checkpoints');
const ckpt = join(root, 'iter-000002');
const secret = join(dir, 'secret.mgw');
const manifest = {
  format: CHECKPOINT_FORMAT,
  version: 1,
  iteration: 2,
  createdAt: '2026-01-01T00:00:00Z',
  rng: { kind: 'counter', seed: 0, next: 2 },
  modules: { E: 'E.mgw', T: 'T.mgw', R: 'R.mgw', D_T: 'D_T.mgw' },
  optimizers: { d: 'optimizer-d', g: 'optimizer-g' },
  losses: {},
  window: [],
  score: null,
};
const writeManifest = (change: (m: Record<string, unknown> & typeof manifest) => void = () => undefined) => {
  const m = structuredClone(manifest) as Record<string, unknown> & typeof manifest;
  change(m);
  writeFileSync(join(ckpt, 'manifest.json'), JSON.stringify(m));
};

beforeAll(async () => {
  await useCpuBackend();
  mkdirSync(ckpt, { recursive: true });
  const modules = {
    E: createModule('encoder', { imageSize: 16, baseChannels: 4 }, 1),
    T: createModule('transformer', { baseChannels: 4, resBlocks: 1, attributes: [CELEBA.hair] }, 2),
    R: createModule('reconstructor', { imageSize: 16, baseChannels: 4 }, 3),
    D_T: createModule('discriminator', { imageSize: 16, baseChannels: 4, depth: 2, attributes: [CELEBA.hair] }, 4),
  };
  for (const [id, m] of Object.entries(modules)) {
    await writeWeightsFile(join(ckpt, `${id}.mgw`), m);
    m.dispose();
  }
  writeFileSync(join(root, 'index.json'), JSON.stringify({ checkpoints: [{ iteration: 2, path: 'iter-000002', createdAt: '', score: null }], best: null }));
  // A file outside the run that a hostile manifest would like copied: weights, so only the name check stops it.
  await writeWeightsFile(secret, createModule('transformer', { baseChannels: 4, resBlocks: 1, attributes: [CELEBA.hair] }, 9));
});

describe('freezing a checkpoint', () => {
  it('copies the checkpoint own files and points the graph at the copies', async () => {
    writeManifest();
    const graph = await service.freezeCheckpoint(project, 'iter-000002', join(dir, 'ok.mgproj.json'));
    expect(graph.nodes.find((n) => n.id === 'T')!.params.weights).toBe('ok.frozen/T.mgw');
    expect(readdirSync(join(dir, 'ok.frozen')).sort()).toEqual(['D_T.mgw', 'E.mgw', 'R.mgw', 'T.mgw']);
    expect(readFileSync(join(dir, 'ok.frozen', 'T.mgw'))).toEqual(readFileSync(join(ckpt, 'T.mgw')));
    const exported = await exportTrainedModules(project, { out: join(dir, 'exported') });
    expect(exported.iteration).toBe(2);
    expect(readdirSync(join(dir, 'exported')).sort()).toEqual(['E.mgw', 'R.mgw', 'T.mgw', 'tiny.mgproj.json']);
  });

  const hostile: [string, (m: Record<string, unknown> & typeof manifest) => void, RegExp][] = [
    ['a ../ path out of the run', (m) => void (m.modules.T = '../../../secret.mgw'), /module 'T' names "\.\.\/\.\.\/\.\.\/secret\.mgw" as its weights; a checkpoint holds them in its own folder as 'T\.mgw'/],
    ['an absolute path', (m) => void (m.modules.T = secret), /module 'T' names ".*secret\.mgw" as its weights/],
    ['a path into a subfolder', (m) => void (m.modules.T = 'sub/T.mgw'), /module 'T' names "sub\/T\.mgw"/],
    ['another module file', (m) => void (m.modules.T = 'E.mgw'), /module 'T' names "E\.mgw"/],
    ['a discriminator named by path', (m) => void (m.modules.D_T = '/etc/hostname'), /module 'D_T' names "\/etc\/hostname"/],
    ['a non-string name', (m) => void ((m.modules as Record<string, unknown>).T = { path: 'T.mgw' }), /module 'T' names \{"path":"T\.mgw"\}/],
    ['modules not a map', (m) => void ((m as Record<string, unknown>).modules = ['T.mgw']), /"modules" must map each module to its weights file/],
    ['an optimiser state by path', (m) => void (m.optimizers.d = '../../optimizer-d'), /optimizer 'd' names "\.\.\/\.\.\/optimizer-d"/],
  ];
  it.each(hostile)('refuses a manifest naming %s, naming the manifest and the entry; copies nothing', async (what, change, message) => {
    writeManifest(change);
    const target = join(dir, `${what.replace(/\W+/g, '-')}.mgproj.json`);
    const refusal = service.freezeCheckpoint(project, 'iter-000002', target);
    await expect(refusal).rejects.toThrow(message);
    await expect(refusal).rejects.toThrow(new RegExp(`^${join(ckpt, 'manifest.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(existsSync(target.replace('.mgproj.json', '.frozen'))).toBe(false);
    // Loading it into the graph (whose paths a run would read) and exporting it are refused the same way.
    await expect(service.loadCheckpointIntoGraph(project, 'iter-000002')).rejects.toThrow(message);
    const out = join(dir, `export-${what.replace(/\W+/g, '-')}`);
    await expect(exportTrainedModules(project, { out, checkpoint: '2' })).rejects.toThrow(message);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('refuses a weights file in the checkpoint that is a symbolic link out of it', async () => {
    writeManifest();
    rmSync(join(ckpt, 'R.mgw'));
    symlinkSync(secret, join(ckpt, 'R.mgw'));
    try {
      await expect(service.freezeCheckpoint(project, 'iter-000002', join(dir, 'link.mgproj.json'))).rejects.toThrow(/module 'R': 'R\.mgw' in the checkpoint folder is a symbolic link/);
      expect(existsSync(join(dir, 'link.frozen'))).toBe(false);
    } finally {
      rmSync(join(ckpt, 'R.mgw'));
      await writeWeightsFile(join(ckpt, 'R.mgw'), createModule('reconstructor', { imageSize: 16, baseChannels: 4 }, 3));
    }
  });

  it('deeply nested or malformed manifests are refused with the file, not a crash', async () => {
    writeFileSync(join(ckpt, 'manifest.json'), `{"format":"${CHECKPOINT_FORMAT}","x":${'['.repeat(50_000)}`);
    await expect(readCheckpointManifest(ckpt)).rejects.toThrow(/manifest\.json:1:\d+: the JSON nests deeper than 256 levels/);
    writeFileSync(join(ckpt, 'manifest.json'), '{"format": "modulargan-checkpoint", "modules": {}, "optimizers": {"d": "optimizer-d", "g": "optimizer-g"}, "iteration": -1}');
    await expect(readCheckpointManifest(ckpt)).rejects.toThrow(/"iteration" must be a whole number, got -1/);
    writeManifest();
  });
});

describe('index.json', () => {
  it('naming folders outside the run is refused before anything is pruned or loaded', async () => {
    const victim = join(dir, 'victim');
    mkdirSync(victim, { recursive: true });
    writeFileSync(join(victim, 'precious.txt'), 'mine');
    for (const path of ['../../victim', victim, 'iter-000002/..', '.', 'iter-2x']) {
      writeFileSync(join(root, 'index.json'), JSON.stringify({ checkpoints: [{ iteration: 2, path: 'iter-000002', createdAt: '', score: null }, { iteration: 9, path, createdAt: '', score: null }], best: null }));
      await expect(readIndex(root), path).rejects.toThrow(/index\.json: refused: checkpoints\[1\] names .*, not a checkpoint folder of this run/);
      // Dropping the later entry would have removed it recursively.
      await expect(dropCheckpointsAfter(root, 2), path).rejects.toThrow(/refused/);
      await expect(latestCheckpoint(root), path).rejects.toThrow(/refused/);
    }
    writeFileSync(join(root, 'index.json'), JSON.stringify({ checkpoints: [], best: '../../victim' }));
    await expect(readIndex(root)).rejects.toThrow(/"best" names "\.\.\/\.\.\/victim"/);
    expect(readFileSync(join(victim, 'precious.txt'), 'utf8')).toBe('mine');
    rmSync(join(root, 'index.json'));
  });
});
