// Writes what the PyTorch engine's parity tests (python/tests) compare against: modules run
// by the studio from .mgw files, and short training runs of tiny projects by the studio's
// trainer (`runTraining`, exactly as `modulargan train`). Run as
//   npx tsx test/helpers/torch-parity-fixtures.ts OUT [modules|training]...
// OUT/modules/index.json lists each module case: its weights, inputs and outputs (raw
// little-endian float32, NHWC); OUT/<project>/ holds each project, its dataset and the
// studio's run folder (ts.train).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { defaultExportFolder, exportDatasetRef } from '../../core/files/dataset-export';
import { CLS_FAKE_BINARY, trainingSchema } from '../../core/graph/format/schemas';
import { encodePng } from '../../core/data/images';
import { openCeleba } from '../../core/data/celeba';
import sharp from 'sharp';
import { writeWeightsFile } from '../../core/files/weights-file';
import { type GanModule, applyModule, createModule } from '../../core/modules/create';
import { initBackend } from '../../core/runtime/backends';
import { runTraining } from '../../core/train/run';

type Json = Record<string, unknown>;

const out = resolve(process.argv[2] ?? 'parity-fixtures');
const parts = process.argv.slice(3);
const want = (p: string) => !parts.length || parts.includes(p);

function uniform(seed: string, n: number): Float32Array {
  const r = seedrandom.alea(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

const f32 = (file: string, v: Float32Array) => writeFileSync(file, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));

const HAIR = { name: 'hair', kind: 'onehot', values: ['black', 'blond', 'brown'] };
const SMILING = { name: 'smiling', kind: 'binary' };

/** Module cases: every kind, with and without the optional parts, at 16 px and base 8. */
const MODULE_CASES: { name: string; kind: string; params: Json; seed: number; inputs: Record<string, number[]> }[] = [
  { name: 'encoder', kind: 'encoder', params: { imageSize: 16, baseChannels: 8, resBlocks: 1 }, seed: 11, inputs: { image: [3, 16, 16, 3] } },
  { name: 'encoder-any-size', kind: 'encoder', params: { imageSize: 0, baseChannels: 4, resBlocks: 0 }, seed: 12, inputs: { image: [2, 12, 20, 3] } },
  { name: 'generator', kind: 'generator', params: { imageSize: 32, baseChannels: 8, noiseLength: 6, attributes: [HAIR] }, seed: 13, inputs: { noise: [3, 6], condition: [3, 3] } },
  { name: 'transformer-mask-gain', kind: 'transformer', params: { baseChannels: 8, resBlocks: 2, attributes: [HAIR, SMILING], maskGain: 0.37 }, seed: 14, inputs: { feature: [3, 4, 4, 32], condition: [3, 4] } },
  { name: 'transformer-no-mask', kind: 'transformer', params: { baseChannels: 8, resBlocks: 1, attributes: [SMILING], useMask: false }, seed: 15, inputs: { feature: [2, 4, 4, 32], condition: [2, 1] } },
  { name: 'reconstructor', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 8 }, seed: 16, inputs: { feature: [3, 4, 4, 32] } },
  { name: 'reconstructor-res', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 8, resBlocks: 2 }, seed: 19, inputs: { feature: [2, 4, 4, 32] } },
  { name: 'discriminator', kind: 'discriminator', params: { imageSize: 16, baseChannels: 8, depth: 3, attributes: [HAIR, SMILING] }, seed: 17, inputs: { image: [3, 16, 16, 3] } },
  { name: 'discriminator-no-attributes', kind: 'discriminator', params: { imageSize: 16, baseChannels: 4, depth: 2, attributes: [] }, seed: 18, inputs: { image: [2, 16, 16, 3] } },
];

async function moduleCases(): Promise<void> {
  const dir = join(out, 'modules');
  mkdirSync(dir, { recursive: true });
  const index: Json[] = [];
  for (const c of MODULE_CASES) {
    const m: GanModule = createModule(c.kind, c.params, c.seed);
    // Trained-looking weights: norms away from 1 and 0, so a wrong gamma/beta shows.
    tf.tidy(() => {
      for (const [name, v] of Object.entries(m.variables))
        if (!name.endsWith('.weight')) v.assign(tf.add(tf.mul(tf.tensor(uniform(`${c.name}:${name}`, v.size), v.shape), 0.5), name.endsWith('gamma') ? 1 : 0));
    });
    await writeWeightsFile(join(dir, `${c.name}.mgw`), m);
    const inputs: Record<string, tf.Tensor> = {};
    const entry: Json = { name: c.name, weights: `${c.name}.mgw`, inputs: {}, outputs: {} };
    for (const [port, shape] of Object.entries(c.inputs)) {
      const n = shape.reduce((a, b) => a * b, 1);
      // Conditions as the trainer feeds them: 0/1.
      const v = port === 'condition' ? uniform(`${c.name}:${port}`, n).map((x) => (x > 0 ? 1 : 0)) : uniform(`${c.name}:${port}`, n);
      inputs[port] = tf.tensor(v, shape);
      f32(join(dir, `${c.name}.in.${port}.f32`), v);
      (entry.inputs as Json)[port] = { file: `${c.name}.in.${port}.f32`, shape };
    }
    const outs = applyModule(m, inputs);
    for (const [port, t] of Object.entries(outs)) {
      f32(join(dir, `${c.name}.out.${port}.f32`), (await t.data()) as Float32Array);
      (entry.outputs as Json)[port] = { file: `${c.name}.out.${port}.f32`, shape: t.shape };
    }
    tf.dispose([...Object.values(inputs), ...Object.values(outs)]);
    m.dispose();
    index.push(entry);
  }
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ backend: tf.getBackend(), cases: index }, null, 1));
}

/** 24 smooth 16 px pictures with hair and smiling labels, as an image folder + CSV. */
async function faceFolder(dir: string): Promise<void> {
  mkdirSync(join(dir, 'images'), { recursive: true });
  const lines = ['file,hair,smiling'];
  for (let i = 0; i < 24; i++) {
    const r = seedrandom.alea(`face:${i}`);
    const [a, b, c, d] = [r(), r(), r(), r()];
    const img = new Float32Array(16 * 16 * 3);
    for (let y = 0; y < 16; y++)
      for (let x = 0; x < 16; x++)
        for (let ch = 0; ch < 3; ch++) img[(y * 16 + x) * 3 + ch] = Math.sin(a * 6 + x * b * 0.8 + ch) * Math.cos(c * 5 + y * d * 0.7) * 0.9;
    writeFileSync(join(dir, 'images', `f${i}.png`), await encodePng(img, 16, 16, 3));
    lines.push(`images/f${i}.png,${HAIR.values[i % 3]},${i % 2}`);
  }
  writeFileSync(join(dir, 'attributes.csv'), `${lines.join('\n')}\n`);
}

const node = (id: string, kind: string, params: Json, label?: string) => ({ id, kind, ...(label ? { label } : {}), params });
const edge = (id: string, from: string, fp: string, to: string, tp: string) => ({ id, from: { node: from, port: fp }, to: { node: to, port: tp } });

/** Translation: E, two transformers (one with a mask gain), R, every extra term on (lambdaKeep keeping the other attribute); runnable in the editor too. */
function translationProject(): Json {
  return {
    format: 'modulargan-project',
    version: 2,
    name: 'parity translation',
    graph: {
      nodes: [
        node('img', 'image-input', { path: 'faces/images' }),
        node('E', 'encoder', { imageSize: 16, baseChannels: 8, resBlocks: 1 }),
        node('c_hair', 'condition-input', { attributes: [HAIR], values: { hair: 'blond' } }),
        node('T_hair', 'transformer', { baseChannels: 8, resBlocks: 1, attributes: [HAIR], maskGain: 0.5 }, 'hair'),
        node('c_smile', 'condition-input', { attributes: [SMILING], values: { smiling: '1' } }),
        node('T_smile', 'transformer', { baseChannels: 8, resBlocks: 1, attributes: [SMILING] }, 'smile'),
        node('R', 'reconstructor', { imageSize: 16, baseChannels: 8 }),
        node('out', 'image-output', {}),
      ],
      edges: [
        edge('e1', 'img', 'image', 'E', 'image'),
        edge('e2', 'E', 'feature', 'T_hair', 'feature'),
        edge('e3', 'c_hair', 'condition', 'T_hair', 'condition'),
        edge('e4', 'T_hair', 'feature', 'T_smile', 'feature'),
        edge('e5', 'c_smile', 'condition', 'T_smile', 'condition'),
        edge('e6', 'T_smile', 'feature', 'R', 'feature'),
        edge('e7', 'R', 'image', 'out', 'image'),
      ],
    },
    training: {
      mode: 'translation',
      dataset: 'faces',
      iterations: 4,
      batchSize: 4,
      learningRate: 0.0001,
      beta1: 0.5,
      beta2: 0.999,
      nCritic: 2,
      decayFrom: 2,
      lambdaGp: 10,
      lambdaCls: 1,
      lambdaRec: 10,
      lambdaCyc: 10,
      lambdaAdv: 1.5,
      chainProbability: 0.6,
      lambdaKeep: 0.75,
      lambdaChain: 0.5,
      lambdaClsFake: 0.25,
      clsFakeOthers: true,
      clsFakeBinary: 'neither',
      lambdaMask: 0.5,
      seed: 5,
      checkpointEvery: 2,
      sampleEvery: 2,
      frozen: [],
      dBaseChannels: 8,
    },
    datasets: [{ id: 'faces', source: 'image-folder', path: 'faces', imageSize: 16, attributes: [HAIR, SMILING] }],
  };
}

/** Generation on ColorMNIST (exported for PyTorch): G, two transformers, R; lambdaKeep and the whole chain. */
function generationProject(): Json {
  const group = (name: string, values: string[]) => ({ name, kind: 'onehot', values });
  const digit = group('digit', ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  return {
    format: 'modulargan-project',
    version: 2,
    name: 'parity generation',
    graph: {
      nodes: [
        node('G', 'generator', { imageSize: 16, baseChannels: 8, noiseLength: 8, attributes: [digit] }),
        node('T_color', 'transformer', { baseChannels: 8, resBlocks: 1, attributes: [group('color', ['red', 'blue', 'green', 'purple', 'brown'])] }),
        node('T_bg', 'transformer', { baseChannels: 8, resBlocks: 0, attributes: [group('background', ['cyan', 'yellow', 'white', 'silver', 'salmon'])], maskGain: 0.2 }),
        node('R', 'reconstructor', { imageSize: 16, baseChannels: 8 }),
      ],
      edges: [edge('e1', 'G', 'feature', 'T_color', 'feature'), edge('e2', 'T_color', 'feature', 'T_bg', 'feature'), edge('e3', 'T_bg', 'feature', 'R', 'feature')],
    },
    training: {
      mode: 'generation',
      dataset: 'cm',
      iterations: 3,
      batchSize: 4,
      // 1e-4 at most: where a gradient is zero by construction (the centre taps of a
      // transformer's condition channels, which instance norm cancels) the studio's float32
      // sums leave rounding noise, and Adam's first step moves such a weight by up to the
      // learning rate; weights then agree within the learning rate, not closer.
      learningRate: 0.0001,
      beta1: 0.5,
      beta2: 0.99,
      nCritic: 1,
      lambdaGp: 10,
      lambdaCls: 1,
      lambdaRec: 10,
      lambdaCyc: 10,
      lambdaKeep: 1,
      lambdaChain: 0.5,
      seed: 9,
      checkpointEvery: 1,
      sampleEvery: 3,
      frozen: [],
      dBaseChannels: 8,
      dDepth: 2,
    },
    datasets: [{ id: 'cm', source: 'colormnist', imageSize: 16, seed: 2 }],
  };
}

async function trainingCase(name: string, project: Json, prepare: (dir: string) => Promise<void>): Promise<void> {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  await prepare(dir);
  const file = join(dir, `${name}.mgproj.json`);
  writeFileSync(file, JSON.stringify(project, null, 2));
  const ref = (project.datasets as Json[])[0] as Parameters<typeof exportDatasetRef>[0];
  if (ref.source === 'colormnist' || ref.source === 'synthetic-faces') await exportDatasetRef(ref, dir, defaultExportFolder(file, ref.id));
  const r = await runTraining(file, { runDir: join(dir, 'ts.train'), window: 50, restart: true });
  if (r.status !== 'done') throw new Error(`${name}: training ended ${r.status}: ${r.message ?? ''}`);
}

/**
 * A CelebA folder of 12 aligned-size (178×218) JPEGs, as the studio reads it at 32 px: the
 * split, labels and pixels it loads (celeba/loaded.f32, item order), for the reader's parity.
 */
async function celebaCase(): Promise<void> {
  const dir = join(out, 'celeba');
  mkdirSync(join(dir, 'img_align_celeba'), { recursive: true });
  const names = ['Black_Hair', 'Blond_Hair', 'Brown_Hair', 'Male', 'Smiling', 'Young'];
  const rows: string[] = [];
  const parts: string[] = [];
  for (let i = 0; i < 12; i++) {
    const r = seedrandom.alea(`celeba:${i}`);
    const raw = Buffer.alloc(178 * 218 * 3);
    const [a, b, c] = [r() * 6, r() * 0.2, r() * 0.2];
    for (let y = 0; y < 218; y++) for (let x = 0; x < 178; x++) for (let ch = 0; ch < 3; ch++) raw[(y * 178 + x) * 3 + ch] = Math.round(127.5 + 120 * Math.sin(a + ch + x * b) * Math.cos(y * c));
    const file = `${String(i + 1).padStart(6, '0')}.jpg`;
    await sharp(raw, { raw: { width: 178, height: 218, channels: 3 } }).jpeg({ quality: 90 }).toFile(join(dir, 'img_align_celeba', file));
    // Row 3 has two hair colours set, as some CelebA rows do.
    rows.push(`${file} ${names.map((_, j) => ((j === i % 3 || (i === 3 && j === 1) || (j >= 3 && (i + j) % 2)) ? ' 1' : '-1')).join(' ')}`);
    parts.push(`${file} ${i % 4 === 3 ? 2 : i % 4 === 2 ? 1 : 0}`);
  }
  writeFileSync(join(dir, 'list_attr_celeba.txt'), `12\n${names.join(' ')}\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'list_eval_partition.txt'), `${parts.join('\n')}\n`);
  const ds = await openCeleba({ root: dir, imageSize: 32 });
  const items = [...ds.train, ...ds.test];
  const pixels = new Float32Array(items.length * 32 * 32 * 3);
  const labels: number[][] = [];
  for (const [n, i] of items.entries()) {
    const smp = await ds.load(i);
    pixels.set(smp.image, n * 32 * 32 * 3);
    labels.push([...smp.labels]);
  }
  f32(join(dir, 'loaded.f32'), pixels);
  writeFileSync(join(dir, 'loaded.json'), JSON.stringify({ train: ds.train, test: ds.test, items, labels, notes: ds.notes }));
}

const backend = process.env.MODULARGAN_PARITY_BACKEND ?? 'native';
try {
  await initBackend(backend as 'native', { probeAll: false });
} catch {
  await initBackend('cpu', { probeAll: false });
}
mkdirSync(out, { recursive: true });
if (want('modules')) await moduleCases();
if (want('celeba')) await celebaCase();
if (want('training')) {
  await trainingCase('translation', translationProject(), (dir) => faceFolder(join(dir, 'faces')));
  await trainingCase('generation', generationProject(), async () => {});
  // DiffAugment on every image a D sees (R(f') too: lambdaUnmasked gives each D a third batch,
  // augmented by its own rows), and the weight average (which nothing written uses yet).
  const augmented = translationProject();
  Object.assign(augmented.training as Json, { augment: ['color', 'translation', 'cutout'], ema: 0.99, lambdaUnmasked: 0.6, iterations: 3, nCritic: 1, checkpointEvery: 1, sampleEvery: 3 });
  // The keep term is compared in the translation case. Here, with it, one weight of E gets a
  // gradient at float32 noise level in the first step (≈1e-6 of its neighbours'), Adam moves it
  // by ±lr on that noise, and the next steps' gradients then differ by 1-3%. The same happens
  // with clsFakeBinary 'neither' (R's moments 0.2% apart by the third step); both are compared
  // in the translation case, without augmentation ('skip', named per attribute, in the round-trip case).
  delete (augmented.training as Json).lambdaKeep;
  delete (augmented.training as Json).clsFakeBinary;
  await trainingCase('augmented', augmented, (dir) => faceFolder(join(dir, 'faces')));
  // The round trip through a transformer, the identity term and each f' judged (lambdaUnmasked),
  // to the first G update: as with
  // the keep term above, a few of E's weights get float32-noise gradients there that Adam turns
  // into ±lr steps, and the second update's moments then differ by a few percent in ~2% of E's
  // first layer.
  const roundTrip = translationProject();
  Object.assign(roundTrip.training as Json, { lambdaRoundTrip: 2, lambdaIdentity: 1.5, lambdaUnmasked: 0.8, clsFakeBinary: { smiling: 'skip' }, iterations: 2, checkpointEvery: 2, sampleEvery: 2 });
  await trainingCase('round-trip', roundTrip, (dir) => faceFolder(join(dir, 'faces')));
  // One D shared by both transformers (sharedDiscriminator), with every term the translation
  // case has and each f' judged by it; and in generation mode, where G's condition is one more
  // module it judges.
  const shared = translationProject();
  Object.assign(shared.training as Json, { sharedDiscriminator: true, lambdaUnmasked: 0.5 });
  await trainingCase('shared', shared, (dir) => faceFolder(join(dir, 'faces')));
  const sharedGeneration = generationProject();
  Object.assign(sharedGeneration.training as Json, { sharedDiscriminator: true });
  await trainingCase('shared-generation', sharedGeneration, async () => {});
}
// The studio's training settings, which the PyTorch engine must each know (python/tests).
writeFileSync(join(out, 'training-keys.json'), JSON.stringify(Object.keys(trainingSchema.shape).sort()));
writeFileSync(join(out, 'cls-fake-binary.json'), JSON.stringify(CLS_FAKE_BINARY));
writeFileSync(join(out, 'backend.txt'), `${tf.getBackend()}\n`);
