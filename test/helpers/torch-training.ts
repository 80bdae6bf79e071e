// What the tests that train with the PyTorch engine share: whether this machine has a Python
// that imports torch (found as a run finds it; the tests skip with the reason when not), and
// a tiny project (16 px, base 4) on a folder of 20 images with a CSV, which PyTorch reads as
// it is: no dataset export to wait for.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodePng } from '../../core/data/images';
import { COLOR_MNIST } from '../../core/graph';
import { findTorchPython } from '../../core/train/torch-engine';
import { tinyProject } from './training';

type Json = Record<string, unknown>;

/** The Python a torch run would use, or why there is none. */
export function torchForTests(): { python?: string; why: string } {
  try {
    return { python: findTorchPython().python, why: '' };
  } catch (e) {
    return { why: (e as Error).message };
  }
}

const IMAGES = 20;
const SIZE = 16;

/** The tiny ColorMNIST project at 16 px on an image folder beside it; `training` changes its training section. */
export async function tinyTorchProject(training: Json = {}, name = 'torch'): Promise<string> {
  const groups = [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.background].flatMap((g) => (g.kind === 'onehot' ? [{ name: g.name, kind: g.kind, values: [...g.values] }] : []));
  const file = tinyProject((p) => {
    for (const n of (p.graph as { nodes: { kind: string; params: Json }[] }).nodes) if (n.kind !== 'transformer') n.params.imageSize = SIZE;
    p.datasets = [{ id: 'colormnist', source: 'image-folder', path: 'images', csv: 'images/attributes.csv', imageSize: SIZE, attributes: groups }];
    Object.assign(p.training as Json, { iterations: 4, batchSize: 2, nCritic: 1, decayFrom: 2, checkpointEvery: 2, sampleEvery: 2, backend: 'auto', ...training });
  }, name);
  const folder = join(dirname(file), 'images');
  mkdirSync(folder);
  const rows = [['file', ...groups.map((g) => g.name)].join(',')];
  for (let i = 0; i < IMAGES; i++) {
    // A digit-sized block of one colour on another: something for the modules to learn.
    const px = new Float32Array(SIZE * SIZE * 3);
    const fg = [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256];
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const inside = x > 3 + (i % 4) && x < 11 && y > 2 && y < 13;
        for (let c = 0; c < 3; c++) px[(y * SIZE + x) * 3 + c] = (inside ? fg[c]! : 255 - fg[c]!) / 127.5 - 1; // encodePng takes [-1, 1]
      }
    writeFileSync(join(folder, `${i}.png`), await encodePng(px, SIZE, SIZE, 3));
    rows.push([`${i}.png`, ...groups.map((g) => g.values[i % g.values.length])].join(','));
  }
  writeFileSync(join(folder, 'attributes.csv'), `${rows.join('\n')}\n`);
  return file;
}
