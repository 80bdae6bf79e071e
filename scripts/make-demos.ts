// `npm run demos`: the studio's bundled demos, made from the two committed quality runs
// (train them first: docs/results.md gives the commands):
//   assets/projects/faces-32.mgproj.json      -> assets/demo/demo.mgproj.json (translation, opened by npm start)
//   assets/projects/colormnist-32.style.mgproj.json -> assets/demo/generation.mgproj.json
//     (the ColorMNIST run's second stage, on the first stage's final checkpoint)
//   and their StarGAN-style baselines (<project>.stargan.mgproj.json) -> <demo>.stargan.mgproj.json,
//   and the faces run's λ_cyc = 0 ablation (faces-32.nocycle.mgproj.json) -> demo.nocycle.mgproj.json
// Each run's best checkpoint (the one its `training.monitor` named; without a monitor, the
// latest) is exported in half precision (assets/demo/faces/,
// assets/demo/colormnist/), a few held-out synthetic faces become the translation demo's
// inputs, and each demo is also written as a preset in assets/presets/ (the palette's
// bundled presets), using the same weights files.

import { mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import sharp from 'sharp';
import { readProjectFile, savePresetFile, saveProjectFile } from '../core/files/documents';
import { PRESET_ENTRY } from '../core/files/preset-bundle';
import { type Graph, mapWeightsPaths } from '../core/graph/graph';
import type { Project } from '../core/graph/format/project';
import { type ExposedParam, makePreset } from '../core/graph/presets';
import { faceAttributes, faceIdentity, faceSvg } from '../core/data/synthetic-faces';
import { exportTrainedModules } from '../core/train/export';
import { type Variant, variantFile } from '../core/eval/runs';

const root = resolve(import.meta.dirname, '..');
const at = (...p: string[]) => join(root, ...p);
const FACES_SEED = 1; // the faces project's dataset seed
const SAMPLE_FACES = [3, 13, 23, 33, 43, 53]; // items of its test split (every 10th item is held out)

async function readProject(file: string) {
  const r = await readProjectFile(file);
  if (!r.ok) throw new Error(`${file}: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.value.value;
}

/** The graph with module weights relative to `to` instead of `from`. */
function weightsRelativeTo(graph: Graph, from: string, to: string): Graph {
  return { ...graph, nodes: mapWeightsPaths(graph.nodes, (w) => (isAbsolute(w) ? w : relative(to, resolve(from, w)))) };
}

async function demo(opts: {
  run: string;
  weights: string;
  project: string;
  name: string;
  description: string;
  edit?: (g: Project['graph']) => Project['graph'];
  /** The palette preset made of it; baselines have none. */
  preset?: { folder: string; name: string; description: string; params: ExposedParam[] };
}): Promise<void> {
  const r = await exportTrainedModules(at(opts.run), { out: at(opts.weights), project: at(opts.project), storage: 'float16', checkpoint: 'best' });
  const project = await readProject(r.project);
  const graph = opts.edit ? opts.edit(project.graph) : project.graph;
  await saveProjectFile(r.project, { ...project, name: opts.name, description: opts.description, graph });
  await rm(`${r.project}.bak`, { force: true });
  const size = `${(r.modules.reduce((a, m) => a + m.bytes, 0) / 2 ** 20).toFixed(1)} MB`;
  if (!opts.preset) {
    console.log(`${opts.project}: iteration ${r.iteration}, ${r.modules.length} modules, ${size}`);
    return;
  }
  // The preset is the graph without its image input and output: those become its ports.
  const dir = at('assets', 'presets', opts.preset.folder);
  await mkdir(dir, { recursive: true });
  const inner = weightsRelativeTo(graph, dirname(r.project), dir);
  const keep = inner.nodes.filter((n) => n.kind !== 'image-input' && n.kind !== 'image-output').map((n) => n.id);
  const preset = makePreset(inner, { ...opts.preset, nodes: keep, layout: project.layout.nodes });
  await savePresetFile(join(dir, PRESET_ENTRY), preset);
  // Saves keep the previous version as .bak; shipped assets need none.
  await rm(`${join(dir, PRESET_ENTRY)}.bak`, { force: true });
  console.log(`${opts.project}: iteration ${r.iteration}, ${r.modules.length} modules, ${size}; preset in assets/presets/${opts.preset.folder}`);
}

/** The graph with its image input reading the demo's held-out faces (assets/demo/images). */
const withDemoImages = (g: Project['graph']): Project['graph'] => ({ ...g, nodes: g.nodes.map((n) => (n.kind === 'image-input' ? { ...n, params: { ...n.params, path: 'images' } } : n)) });

// `--only translation,generation-baseline` (any of translation, translation-baseline,
// translation-nocycle, generation, generation-baseline) remakes those.
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : undefined;
const wanted = (key: string) => !only || only.includes(key);

// Held-out faces at 64 px (the encoder resizes them to its 32): the translation demo's inputs.
if (wanted('translation')) {
const images = at('assets', 'demo', 'images');
await rm(images, { recursive: true, force: true });
await mkdir(images, { recursive: true });
for (const i of SAMPLE_FACES)
  await sharp(Buffer.from(faceSvg(faceIdentity(FACES_SEED, i), faceAttributes(FACES_SEED, i), 64)))
    .removeAlpha()
    .png()
    .toFile(join(images, `face-${String(i).padStart(2, '0')}.png`));

await demo({
  run: 'assets/projects/faces-32.mgproj.json',
  weights: 'assets/demo/faces',
  project: 'assets/demo/demo.mgproj.json',
  name: 'Demo: face translation',
  description:
    'Trained modules, ready to run: six held-out synthetic faces in images/ go through E, then the hair, smile and glasses transformers, then R. Change the targets on the condition nodes, reorder or remove transformers, and Run again; the mask sum shows where they acted. Trained by `modulargan train assets/projects/faces-32.mgproj.json`.',
  edit: withDemoImages,
  preset: {
    folder: 'face-translation',
    name: 'Face translation (hair, smile, glasses)',
    description: 'The trained synthetic-faces chain as one node: an image in, the translated image out; the targets are its parameters.',
    params: [
      { node: 'c_hair', param: 'values', name: 'Hair' },
      { node: 'c_smiling', param: 'values', name: 'Smiling' },
      { node: 'c_glasses', param: 'values', name: 'Glasses' },
    ],
  },
});
}

/**
 * A variant of the face demo (eval looks for it beside the demo, named by `variantFile`),
 * exported from the variant of the faces project named the same way; its description ends
 * with the command that trains it.
 */
const faceVariant = (v: Variant, name: string, description: string) => {
  const run = relative(root, variantFile(at('assets/projects/faces-32.mgproj.json'), v));
  return demo({
    run,
    weights: `assets/demo/faces-${v}`,
    project: relative(root, variantFile(at('assets/demo/demo.mgproj.json'), v)),
    name,
    description: `${description} Trained by \`modulargan train ${run}\`.`,
    edit: withDemoImages,
  });
};

// Its StarGAN-style baseline and its cycle-loss ablation, so the shipped comparison and the
// ablation table can be checked without training.
if (wanted('translation-baseline'))
  await faceVariant(
    'stargan',
    'Baseline: StarGAN-style face translation',
    'One transformer conditioned on hair, smile and glasses at once, trained with the same settings, data and number of iterations as the face demo; `modulargan eval assets/demo/demo.mgproj.json` compares the two.',
  );

if (wanted('translation-nocycle'))
  await faceVariant(
    'nocycle',
    'Ablation: face translation without the cycle loss',
    'The face demo trained with λ_cyc = 0 and the round trip through the image off, otherwise with the same settings, data and number of iterations; `modulargan eval assets/demo/demo.mgproj.json` reports it as the cycle-loss ablation.',
  );

if (wanted('generation'))
await demo({
  run: 'assets/projects/colormnist-32.style.mgproj.json',
  weights: 'assets/demo/colormnist',
  project: 'assets/demo/generation.mgproj.json',
  name: 'Demo: ColorMNIST generation',
  description:
    'Trained modules, ready to run: G draws a digit from noise, then the colour, style and background transformers restyle it and R renders it. Pick the digit and the targets on the condition nodes and Run. Trained by `modulargan train assets/projects/colormnist-32.mgproj.json`, then `modulargan train assets/projects/colormnist-32.style.mgproj.json` (a fresh style transformer, the colour and background transformers fine-tuned, G and R frozen).',
  preset: {
    folder: 'colormnist-generation',
    name: 'ColorMNIST generation (digit, colour, style, background)',
    description: 'The trained ColorMNIST chain as one node: images out; the digit, the targets and the noise seed are its parameters.',
    params: [
      { node: 'digit', param: 'values', name: 'Digit' },
      { node: 'c_color', param: 'values', name: 'Colour' },
      { node: 'c_style', param: 'values', name: 'Style' },
      { node: 'c_bg', param: 'values', name: 'Background' },
      { node: 'z', param: 'seed', name: 'Seed' },
    ],
  },
});

if (wanted('generation-baseline'))
await demo({
  run: 'assets/projects/colormnist-32.stargan.mgproj.json',
  weights: 'assets/demo/colormnist-stargan',
  project: 'assets/demo/generation.stargan.mgproj.json',
  name: 'Baseline: StarGAN-style ColorMNIST generation',
  description:
    'G and R with one transformer conditioned on colour, style and background at once, trained with the ColorMNIST demo\'s settings for as many iterations as its two stages together; `modulargan eval assets/demo/generation.mgproj.json` compares the two. Trained by `modulargan train assets/projects/colormnist-32.stargan.mgproj.json`.',
});
