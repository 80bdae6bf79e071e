// The executor decodes the next batch while the current one runs. A run that stops with an
// error must not leave that batch's failure as an unhandled rejection (it would end the
// engine process): the run's own error is what the caller gets.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../core/runtime/backends';
import { runGraph } from '../../../core/runtime/executor';
import { tinyProject } from '../../helpers/projects';

const dir = mkdtempSync(join(tmpdir(), 'mg-load-ahead-'));
const inputs = join(dir, 'in');
const graph = tinyProject('unused').graph;

beforeAll(async () => {
  mkdirSync(inputs, { recursive: true });
  const png = (v: number) => sharp(Buffer.alloc(16 * 16 * 3, v), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
  writeFileSync(join(inputs, 'a.png'), await png(10));
  // The second batch holds a file that does not decode: its skip handler fails there.
  writeFileSync(join(inputs, 'b.png'), Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  await initBackend('auto', { gradients: false });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the batch loaded ahead', () => {
  it('failing while the run stops with an error is no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const run = runGraph(
        graph,
        {
          baseDir: dir,
          images: { [graph.nodes.find((n) => n.kind === 'image-input')!.id]: inputs },
          batchSize: 1,
          onSkip: () => {
            throw new Error('skip handler failed');
          },
        },
        async () => {
          // The first batch's outputs cannot be written: the run ends here, with the next batch in flight.
          await new Promise((ok) => setTimeout(ok, 50));
          throw new Error('disk gone');
        },
      );
      await expect(run).rejects.toThrow('disk gone');
      await new Promise((ok) => setTimeout(ok, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
