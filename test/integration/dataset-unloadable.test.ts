// A dataset none of whose images can be loaded (an image folder of corrupt files): the command
// line says so — the dataset's id and folder, the first reasons — with no stack trace; the
// engine reports a failed training and lives on: the next calls work; eval's classifier says
// the same.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalCommand } from '../../cli/eval';
import { createEngineService } from '../../core/engine/service';
import type { RunEvent } from '../../core/api/types';
import { tinyProject } from '../helpers/training';

const root = new URL('../../', import.meta.url).pathname;
const cli = join(root, 'bin/modulargan.mjs');

type Json = Record<string, unknown>;
type Node = { id: string; params: { attributes?: unknown[] } };

/** The tiny project reading an image folder of 20 files, none of them an image. */
function corruptFolderProject(): { file: string; images: string } {
  const file = tinyProject((p) => {
    const nodes = (p.graph as { nodes: Node[] }).nodes;
    const groups = ['G', 'T_color', 'T_background'].map((id) => nodes.find((n) => n.id === id)!.params.attributes![0]);
    p.datasets = [{ id: 'faces', source: 'image-folder', path: 'imgs', imageSize: 32, attributes: groups }];
    Object.assign(p.training as Json, { dataset: 'faces' });
  }, 'corrupt');
  const images = join(dirname(file), 'imgs');
  mkdirSync(images);
  let csv = 'file,digit,color,background\n';
  for (let i = 0; i < 20; i++) {
    writeFileSync(join(images, `img${i}.png`), `not a png ${i}`);
    csv += `img${i}.png,${i % 10},red,white\n`;
  }
  writeFileSync(join(images, 'attributes.csv'), csv);
  return { file, images };
}

const refusal = (images: string) =>
  new RegExp(`dataset 'faces' \\(image folder ${images}\\): no image could be loaded \\(18 of the 18 in its train split failed\\): ${images}/img\\d+\\.png: cannot decode it as an image`);

describe('a dataset with no loadable image', () => {
  it('is a clear message from `modulargan train`, not a stack trace', async () => {
    const { file, images } = corruptFolderProject();
    const child = spawn(process.execPath, [cli, 'train', file], { cwd: dirname(file), stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, text).toBe(1);
    expect(text).toMatch(new RegExp(`^error: ${refusal(images).source}`, 'm'));
    expect(text).not.toMatch(/\n\s+at |Unhandled|node:internal/);
  });

  it('fails the training in the engine, which lives on: the next calls work', async () => {
    const { file, images } = corruptFolderProject();
    const service = createEngineService({ stateDir: mkdtempSync(join(tmpdir(), 'mg-unloadable-')), demoPath: join(root, 'test/fixtures/demo/demo.mgproj.json'), host: 'test' });
    const events: RunEvent[] = [];
    service.onRunEvent((e) => events.push(e));
    const ended = async (runId: string) => {
      const t0 = Date.now();
      for (;;) {
        const e = events.find((x) => 'runId' in x && x.runId === runId && (x.type === 'training-failed' || x.type === 'training-finished'));
        if (e) return e;
        if (Date.now() - t0 > 60_000) throw new Error(`no end; events: ${events.map((x) => x.type).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    for (let i = 0; i < 2; i++) {
      const { runId } = await service.startTraining({ projectPath: file });
      expect(await ended(runId)).toMatchObject({ type: 'training-failed', message: expect.stringMatching(refusal(images)) });
    }
    // A good project trains in the same engine.
    const good = tinyProject((p) => {
      for (const n of (p.graph as { nodes: { kind: string; params: Json }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = 16;
      (p.datasets as Json[])[0]!.imageSize = 16;
      Object.assign(p.training as Json, { iterations: 2, decayFrom: 1, batchSize: 2, nCritic: 1, dDepth: 2, checkpointEvery: 2, sampleEvery: 2 });
    }, 'good');
    const { runId } = await service.startTraining({ projectPath: good });
    expect(await ended(runId)).toMatchObject({ type: 'training-finished', status: 'done', completed: 2 });
    await service.close();

    // Eval's classifier reads the same dataset: the same message.
    const lines: string[] = [];
    expect(await evalCommand(file, { classifierOnly: true, iterationsClassifier: '2', backend: 'cpu' }, (l) => lines.push(l))).toBe(1);
    expect(lines.at(-1)).toMatch(new RegExp(`^error: ${refusal(images).source.replace('18 of the 18', '\\d+ of the 18')}`));
  });
});
