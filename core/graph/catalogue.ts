// The node catalogue: one declarative definition per node kind. It is the single source of
// what a node is — its ports, parameters, help and shape rules — for the palette, the
// validator, the executor and the generated docs.

import { CELEBA, DATASET_SOURCES, DEFAULT_DATASET_GROUPS, DIGIT, type DatasetSource } from './attributes';
import { type Dim, scaleDim, sym } from './dims';
import { type ParamSpecs, withDefaults } from './params';
import { type AttributeGroup, type PortKind, type PortType, groupsLength } from './ports';

export interface PortDef {
  readonly name: string;
  readonly title: string;
  readonly kind: PortKind;
  readonly help: string;
  /** An input that may stay unconnected, or an output nobody needs to use. */
  readonly optional?: boolean;
  /** An input that takes any number of edges (e.g. the masks of a chain). */
  readonly multiple?: boolean;
}

/**
 * Port types of one node for given parameters. Symbols are local to the node ("H"); the
 * validator makes them unique per node and unifies them across edges.
 */
export interface Signature {
  readonly inputs: Readonly<Record<string, PortType>>;
  readonly outputs: Readonly<Record<string, PortType>>;
}

export type NodeCategory = 'input' | 'module' | 'output' | 'training';
/** The ModularGAN networks, the one list: a module node runs one, a weights file names its own. */
export const MODULES = ['E', 'G', 'T', 'R', 'D'] as const;
/** Which ModularGAN network a module node runs; the executor and trainer key on this. */
export type ModuleKind = (typeof MODULES)[number];

export interface NodeKindDef {
  readonly kind: string;
  readonly title: string;
  readonly category: NodeCategory;
  readonly help: string;
  readonly module?: ModuleKind;
  readonly params: ParamSpecs;
  readonly inputs: readonly PortDef[];
  readonly outputs: readonly PortDef[];
  /** Port types for valid, defaults-filled parameters. */
  signature(p: ResolvedParams): Signature;
  /** Problems that involve several parameters together, in words. */
  check?(p: ResolvedParams): string[];
  /**
   * Nodes of this kind can be bypassed: the value on `input` leaves unchanged on `output`
   * (ports of one type), and the kind's other outputs are not produced.
   */
  readonly bypass?: { readonly input: string; readonly output: string };
}

/** Parameters after defaults were filled and each was checked against its spec. */
export type ResolvedParams = Readonly<Record<string, unknown>>;

const int = (p: ResolvedParams, k: string): number => p[k] as number;
const str = (p: ResolvedParams, k: string): string => p[k] as string;
const groups = (p: ResolvedParams, k: string): readonly AttributeGroup[] => p[k] as readonly AttributeGroup[];

const image = (h: Dim, w: Dim = h, note?: string): PortType => ({ kind: 'image', channels: 3, h, w, note });
const feature = (c: Dim, h: Dim, w: Dim, note?: string): PortType => ({ kind: 'feature', c, h, w, note });
const condition = (gs: readonly AttributeGroup[], note?: string): PortType => ({
  kind: 'condition',
  length: groupsLength(gs),
  groups: gs,
  note,
});

// Shared parameter specs, so every module describes the same knob the same way.
const imageSizeParam = (def: number) =>
  ({
    type: 'int',
    title: 'Image size',
    help: 'Side of the square images in pixels. 0 takes the size from the connected input.',
    default: def,
    min: 0,
    max: 1024,
    multipleOf: 4,
  }) as const;
const baseChannelsParam = {
  type: 'int',
  title: 'Base channels',
  help: 'Width of the first layer; the feature map between modules has 4× this many channels.',
  default: 64,
  min: 4,
  max: 512,
} as const;
/** Every module node can load trained weights; without a file it starts from seeded random ones. */
const weightsParam = {
  type: 'path',
  title: 'Weights',
  help: 'A .mgw weights file of this module (from training, or from another project). Empty: untrained weights drawn from the run seed.',
  default: '',
  mode: 'file',
  required: false,
  extensions: ['mgw'],
} as const;
const resBlocksParam = (def: number, help: string) =>
  ({ type: 'int', title: 'Residual blocks', help, default: def, min: 0, max: 32 }) as const;
const attributesParam = (def: readonly AttributeGroup[], help: string) =>
  ({ type: 'attributes', title: 'Attributes', help, default: def }) as const;

/** Image side in pixels, or the node's own symbols when it takes the size from its input. */
function sides(p: ResolvedParams): { h: Dim; w: Dim; auto: boolean } {
  const s = int(p, 'imageSize');
  return s === 0 ? { h: sym('H'), w: sym('W'), auto: true } : { h: s, w: s, auto: false };
}

const featureNote = (p: ResolvedParams): string => {
  const size = int(p, 'imageSize');
  return `its base channels are ${int(p, 'baseChannels')}${size ? `, image size ${size}` : ''}`;
};

function valuesProblems(gs: readonly AttributeGroup[], values: Readonly<Record<string, string>>): string[] {
  const out: string[] = [];
  for (const g of gs) {
    const v = values[g.name];
    if (v === undefined) out.push(`no value chosen for '${g.name}'`);
    else if (g.kind === 'onehot' && !g.values.includes(v))
      out.push(`'${v}' is not a value of '${g.name}' (${g.values.join(', ')})`);
    else if (g.kind === 'binary' && v !== '0' && v !== '1') out.push(`'${g.name}' must be 0 or 1, got '${v}'`);
  }
  for (const k of Object.keys(values))
    if (!gs.some((g) => g.name === k)) out.push(`'${k}' is not one of the attributes`);
  return out;
}

const encoder: NodeKindDef = {
  kind: 'encoder',
  title: 'Encoder',
  category: 'module',
  module: 'E',
  help: 'E: encodes an image into the feature map all transformers share (conv7, two stride-2 conv4, optional residual blocks).',
  params: {
    imageSize: imageSizeParam(128),
    baseChannels: baseChannelsParam,
    resBlocks: resBlocksParam(0, 'Residual blocks after the downsampling convolutions.'),
    weights: weightsParam,
  },
  inputs: [{ name: 'image', title: 'Image', kind: 'image', help: 'RGB image with values in [-1, 1].' }],
  outputs: [{ name: 'feature', title: 'Feature', kind: 'feature', help: 'Feature map of 4×base channels at a quarter of the image size.' }],
  signature(p) {
    const { h, w } = sides(p);
    return {
      inputs: { image: image(h, w) },
      outputs: { feature: feature(4 * int(p, 'baseChannels'), scaleDim(h, 1, 4), scaleDim(w, 1, 4), featureNote(p)) },
    };
  },
};

const generator: NodeKindDef = {
  kind: 'generator',
  title: 'Generator',
  category: 'module',
  module: 'G',
  help: 'G(z, a0): turns noise and a base condition (e.g. the digit) into a feature map, by transposed convolutions from 1×1 up to a quarter of the image size.',
  params: {
    imageSize: { ...imageSizeParam(64), min: 16, help: 'Side of the images this generator is for, in pixels (a power of two).' },
    baseChannels: baseChannelsParam,
    noiseLength: { type: 'int', title: 'Noise length', help: 'Length of z.', default: 64, min: 1, max: 1024 },
    attributes: attributesParam([DIGIT], 'The base condition a0 (for ColorMNIST: the digit).'),
    weights: weightsParam,
  },
  inputs: [
    { name: 'noise', title: 'Noise z', kind: 'noise', help: 'Gaussian noise.' },
    { name: 'condition', title: 'Condition a0', kind: 'condition', help: 'The base attributes, one-hot.' },
  ],
  outputs: [{ name: 'feature', title: 'Feature', kind: 'feature', help: 'Feature map of 4×base channels at a quarter of the image size.' }],
  signature(p) {
    const s = int(p, 'imageSize') / 4;
    return {
      inputs: { noise: { kind: 'noise', length: int(p, 'noiseLength') }, condition: condition(groups(p, 'attributes')) },
      outputs: { feature: feature(4 * int(p, 'baseChannels'), s, s, featureNote(p)) },
    };
  },
  check(p) {
    const s = int(p, 'imageSize') / 4;
    return Number.isInteger(Math.log2(s)) ? [] : [`image size must be 4 × a power of two (e.g. 32, 64, 128), got ${s * 4}`];
  },
};

const transformer: NodeKindDef = {
  kind: 'transformer',
  title: 'Transformer',
  category: 'module',
  module: 'T',
  help: 'T_i: changes one attribute group in the feature map. The condition is tiled and concatenated, followed by conv3 and residual blocks; a learned mask keeps what should not change.',
  params: {
    baseChannels: baseChannelsParam,
    resBlocks: resBlocksParam(6, 'Residual blocks after the condition is mixed in.'),
    attributes: attributesParam([CELEBA.hair], 'The attribute group(s) this transformer changes.'),
    useMask: { type: 'bool', title: 'Use mask', help: 'Blend with a learned mask (the paper); off replaces the whole feature map.', default: true },
    maskGain: {
      type: 'float',
      title: 'Mask gain',
      help: 'Multiplies the mask logits before the tanh (1 in the paper). Adam moves every weight by about the learning rate per step, and the 7×7 mask conv sums 49·4c of them, so its logit can jump far enough to saturate the tanh and leave the transformer a no-op for good; below 1 slows it. 1/√(49·4c) (0.0126 at base 32) kept the ColorMNIST style mask open.',
      default: 1,
      min: 1e-4,
      max: 10,
      mustMatchWeights: true,
    },
    weights: weightsParam,
  },
  inputs: [
    { name: 'feature', title: 'Feature', kind: 'feature', help: 'Feature map from an encoder, generator or another transformer.' },
    { name: 'condition', title: 'Condition', kind: 'condition', help: 'Target attribute values.' },
  ],
  outputs: [
    { name: 'feature', title: 'Feature', kind: 'feature', help: 'The transformed feature map, same shape as the input.' },
    { name: 'mask', title: 'Mask', kind: 'mask', help: 'Where the transformer acted, in (0, 1).', optional: true },
  ],
  bypass: { input: 'feature', output: 'feature' },
  signature(p) {
    const c = 4 * int(p, 'baseChannels');
    const note = `its base channels are ${int(p, 'baseChannels')}`;
    return {
      inputs: { feature: feature(c, sym('H'), sym('W'), note), condition: condition(groups(p, 'attributes')) },
      outputs: { feature: feature(c, sym('H'), sym('W'), note), mask: { kind: 'mask', h: sym('H'), w: sym('W') } },
    };
  },
};

const reconstructor: NodeKindDef = {
  kind: 'reconstructor',
  title: 'Reconstructor',
  category: 'module',
  module: 'R',
  help: 'R: decodes a feature map back into an image (optional residual blocks, two stride-2 transposed conv4, conv7, tanh).',
  params: {
    imageSize: imageSizeParam(128),
    baseChannels: baseChannelsParam,
    resBlocks: resBlocksParam(0, 'Residual blocks before the upsampling convolutions: depth for decoding what no transformer changed.'),
    weights: weightsParam,
  },
  inputs: [{ name: 'feature', title: 'Feature', kind: 'feature', help: 'Feature map to decode.' }],
  outputs: [{ name: 'image', title: 'Image', kind: 'image', help: 'RGB image in [-1, 1].' }],
  signature(p) {
    const { h, w } = sides(p);
    return {
      inputs: { feature: feature(4 * int(p, 'baseChannels'), scaleDim(h, 1, 4), scaleDim(w, 1, 4), featureNote(p)) },
      outputs: { image: image(h, w) },
    };
  },
};

const discriminator: NodeKindDef = {
  kind: 'discriminator',
  title: 'Discriminator',
  category: 'module',
  module: 'D',
  help: 'D_i: stride-2 conv4 layers with leaky ReLU; a patch map says real or fake, a second head classifies the attribute group.',
  params: {
    imageSize: { ...imageSizeParam(128), min: 8 },
    baseChannels: baseChannelsParam,
    depth: { type: 'int', title: 'Depth', help: 'Number of stride-2 layers (6 at 128 px).', default: 6, min: 1, max: 8 },
    attributes: attributesParam([CELEBA.hair], 'The attribute group(s) the classification head predicts.'),
    weights: weightsParam,
  },
  inputs: [{ name: 'image', title: 'Image', kind: 'image', help: 'Real or generated image.' }],
  outputs: [
    { name: 'patch', title: 'Real/fake', kind: 'feature', help: 'One score per patch (WGAN critic).' },
    { name: 'logits', title: 'Attributes', kind: 'condition', help: 'Attribute logits.', optional: true },
  ],
  signature(p) {
    const s = int(p, 'imageSize');
    const patch = s / 2 ** int(p, 'depth');
    const note = `image size ${s}, depth ${int(p, 'depth')}`;
    return {
      inputs: { image: image(s) },
      outputs: { patch: feature(1, patch, patch, note), logits: condition(groups(p, 'attributes')) },
    };
  },
  check(p) {
    const s = int(p, 'imageSize');
    const d = int(p, 'depth');
    return s % 2 ** d === 0 ? [] : [`image size ${s} cannot be halved ${d} times; use a depth of at most ${Math.log2(s & -s)}`];
  },
};

const imageInput: NodeKindDef = {
  kind: 'image-input',
  title: 'Image input',
  category: 'input',
  help: 'Reads one image file or every image in a folder. Images are centre-cropped to a square and resized.',
  params: {
    path: { type: 'path', title: 'File or folder', help: 'A PNG/JPEG file, or a folder of them.', default: '', mode: 'file-or-folder', required: true, extensions: ['png', 'jpg', 'jpeg', 'webp'] },
    size: { type: 'int', title: 'Size', help: 'Resize to this side in pixels; 0 takes the size the connected module needs.', default: 0, min: 0, max: 1024 },
  },
  inputs: [],
  outputs: [{ name: 'image', title: 'Image', kind: 'image', help: 'RGB images in [-1, 1].' }],
  signature(p) {
    const s = int(p, 'size');
    return { inputs: {}, outputs: { image: s ? image(s, s, `resized to ${s}`) : image(sym('H'), sym('W')) } };
  },
};

const noiseInput: NodeKindDef = {
  kind: 'noise-input',
  title: 'Noise',
  category: 'input',
  help: 'Gaussian noise z, reproducible from its seed.',
  params: {
    length: { type: 'int', title: 'Length', help: 'Length of z.', default: 64, min: 1, max: 1024 },
    seed: { type: 'int', title: 'Seed', help: 'Same seed, same noise.', default: 0, min: 0, max: 2 ** 31 - 1 },
  },
  inputs: [],
  outputs: [{ name: 'noise', title: 'Noise', kind: 'noise', help: 'z ~ N(0, 1).' }],
  signature: (p) => ({ inputs: {}, outputs: { noise: { kind: 'noise', length: int(p, 'length') } } }),
};

const conditionInput: NodeKindDef = {
  kind: 'condition-input',
  title: 'Condition',
  category: 'input',
  help: 'A target attribute vector: the chosen value of each attribute group, encoded one-hot (or 0/1 for yes/no attributes).',
  params: {
    attributes: attributesParam([CELEBA.hair], 'The attribute groups this condition encodes.'),
    values: { type: 'values', title: 'Values', help: 'The chosen value of each attribute.', default: { hair: 'blond' } },
  },
  inputs: [],
  outputs: [{ name: 'condition', title: 'Condition', kind: 'condition', help: 'Encoded attribute vector.' }],
  signature: (p) => ({ inputs: {}, outputs: { condition: condition(groups(p, 'attributes')) } }),
  check: (p) => valuesProblems(groups(p, 'attributes'), p.values as Record<string, string>),
};

const imageOutput: NodeKindDef = {
  kind: 'image-output',
  title: 'Image output',
  category: 'output',
  help: 'Shows images and, when a folder is set, writes them there as PNG.',
  params: {
    folder: { type: 'path', title: 'Folder', help: 'Where to write PNGs; empty only previews.', default: '', mode: 'folder', required: false },
    prefix: { type: 'string', title: 'File prefix', help: 'Start of each file name.', default: '' },
  },
  inputs: [{ name: 'image', title: 'Image', kind: 'image', help: 'Images to show or save.' }],
  outputs: [],
  signature: () => ({ inputs: { image: image(sym('H'), sym('W')) }, outputs: {} }),
};

const maskPreview: NodeKindDef = {
  kind: 'mask-preview',
  title: 'Mask preview',
  category: 'output',
  help: 'Shows a transformer mask (or a sum of masks) as a grey image.',
  params: {},
  inputs: [{ name: 'mask', title: 'Mask', kind: 'mask', help: 'Mask in (0, 1), or a sum.' }],
  outputs: [],
  signature: () => ({ inputs: { mask: { kind: 'mask', h: sym('H'), w: sym('W') } }, outputs: {} }),
};

const maskSum: NodeKindDef = {
  kind: 'mask-sum',
  title: 'Mask sum',
  category: 'output',
  help: 'Adds the masks of a chain of transformers, as in the paper’s Figure 6.',
  params: {},
  inputs: [{ name: 'masks', title: 'Masks', kind: 'mask', help: 'Masks of the same size.', multiple: true }],
  outputs: [{ name: 'mask', title: 'Sum', kind: 'mask', help: 'Sum of the masks.' }],
  signature: () => {
    const m: PortType = { kind: 'mask', h: sym('H'), w: sym('W') };
    return { inputs: { masks: m }, outputs: { mask: m } };
  },
};

const dataset: NodeKindDef = {
  kind: 'dataset',
  title: 'Dataset',
  category: 'training',
  help: 'Training images with their attribute labels: built-in ColorMNIST or synthetic faces, a CelebA-format folder, or a folder of images with a CSV.',
  params: {
    source: { type: 'enum', title: 'Source', help: 'Where the images come from.', default: 'colormnist', options: DATASET_SOURCES },
    path: { type: 'path', title: 'Folder', help: 'CelebA root or image folder (not needed for built-in sets).', default: '', mode: 'folder', required: false },
    imageSize: { ...imageSizeParam(64), min: 8, help: 'Images are resized to this side in pixels.' },
    attributes: attributesParam([], 'Attribute groups to load; empty takes the source’s defaults.'),
  },
  inputs: [],
  outputs: [
    { name: 'image', title: 'Image', kind: 'image', help: 'Real images.' },
    { name: 'labels', title: 'Labels', kind: 'condition', help: 'Their attributes.' },
  ],
  signature(p) {
    const source = str(p, 'source') as DatasetSource;
    const chosen = groups(p, 'attributes');
    return {
      inputs: {},
      outputs: {
        image: image(int(p, 'imageSize'), int(p, 'imageSize'), `the dataset's image size is ${int(p, 'imageSize')}`),
        labels: condition(chosen.length ? chosen : DEFAULT_DATASET_GROUPS[source]),
      },
    };
  },
  check(p) {
    const source = str(p, 'source');
    const problems: string[] = [];
    if ((source === 'celeba' || source === 'image-folder') && str(p, 'path').trim() === '')
      problems.push(`a ${source} dataset needs a folder`);
    if (int(p, 'imageSize') === 0) problems.push('a dataset needs a fixed image size');
    return problems;
  },
};

const lossWeight = (def: number, help: string) =>
  ({ type: 'float', title: 'Weight', help, default: def, min: 0, max: 1000 }) as const;

const adversarialLoss: NodeKindDef = {
  kind: 'adversarial-loss',
  title: 'Adversarial loss',
  category: 'training',
  help: 'WGAN-GP: the critic scores real images up and generated ones down, with a gradient penalty on interpolates.',
  params: {
    weight: lossWeight(1, 'Weight of the adversarial term.'),
    gradientPenalty: { type: 'float', title: 'Gradient penalty λ', help: 'Weight of the gradient penalty (10 in the paper).', default: 10, min: 0, max: 1000 },
  },
  inputs: [
    { name: 'real', title: 'Real scores', kind: 'feature', help: 'D patch map on real images.' },
    { name: 'fake', title: 'Fake scores', kind: 'feature', help: 'D patch map on generated images.' },
  ],
  outputs: [],
  signature: () => {
    const m = feature(1, sym('P'), sym('P'));
    return { inputs: { real: m, fake: m }, outputs: {} };
  },
};

const classificationLoss: NodeKindDef = {
  kind: 'classification-loss',
  title: 'Classification loss',
  category: 'training',
  help: 'Binary cross-entropy between D’s attribute logits and the labels (real images) or targets (generated).',
  params: { weight: lossWeight(1, 'λ_cls (1 in the paper).') },
  inputs: [
    { name: 'logits', title: 'Logits', kind: 'condition', help: 'D attribute logits.' },
    { name: 'target', title: 'Target', kind: 'condition', help: 'Labels or target attributes.' },
  ],
  outputs: [],
  signature: () => {
    const c: PortType = { kind: 'condition', length: sym('N') };
    return { inputs: { logits: c, target: c }, outputs: {} };
  },
};

const reconstructionLoss: NodeKindDef = {
  kind: 'reconstruction-loss',
  title: 'Reconstruction loss',
  category: 'training',
  help: 'L1 distance between an image and its reconstruction R(E(x)).',
  params: { weight: lossWeight(10, 'λ_rec (10 in the paper).') },
  inputs: [
    { name: 'image', title: 'Image', kind: 'image', help: 'Original.' },
    { name: 'reconstruction', title: 'Reconstruction', kind: 'image', help: 'R(E(x)).' },
  ],
  outputs: [],
  signature: () => {
    const i = image(sym('H'), sym('W'));
    return { inputs: { image: i, reconstruction: i }, outputs: {} };
  },
};

const cycleLoss: NodeKindDef = {
  kind: 'cycle-loss',
  title: 'Feature cycle loss',
  category: 'training',
  help: 'L1 between a transformed feature map and the encoding of its reconstruction: |T(E(x)) − E(R(T(E(x))))|.',
  params: { weight: lossWeight(10, 'λ_cyc (10 in the paper).') },
  inputs: [
    { name: 'feature', title: 'Feature', kind: 'feature', help: 'T(E(x)).' },
    { name: 'reencoded', title: 'Re-encoded', kind: 'feature', help: 'E(R(T(E(x)))).' },
  ],
  outputs: [],
  signature: () => {
    const f = feature(sym('C'), sym('H'), sym('W'));
    return { inputs: { feature: f, reencoded: f }, outputs: {} };
  },
};

/** Every node kind, in palette order. */
export const CATALOGUE: readonly NodeKindDef[] = [
  imageInput,
  noiseInput,
  conditionInput,
  encoder,
  generator,
  transformer,
  reconstructor,
  discriminator,
  imageOutput,
  maskPreview,
  maskSum,
  dataset,
  adversarialLoss,
  classificationLoss,
  reconstructionLoss,
  cycleLoss,
];

const BY_KIND = new Map(CATALOGUE.map((d) => [d.kind, d]));
export const nodeKind = (kind: string): NodeKindDef | undefined => BY_KIND.get(kind);

// Lists of kinds, read off the catalogue rather than typed out again, so a kind added there
// is in each list it belongs to.
/** The node kind of each module ('T' -> 'transformer'). */
export const MODULE_NODE_KIND = Object.fromEntries(CATALOGUE.filter((d) => d.module).map((d) => [d.module!, d.kind])) as Readonly<Record<ModuleKind, string>>;
/** Node kinds of the modules a project's graph holds (every module but D, which exists only in training): what checkpoints save and load. */
export const GRAPH_MODULE_KINDS: ReadonlySet<string> = new Set(CATALOGUE.filter((d) => d.module && d.module !== 'D').map((d) => d.kind));
/** Node kinds that exist only in the training graph: datasets, discriminators and losses. */
export const TRAINING_NODE_KINDS: ReadonlySet<string> = new Set(CATALOGUE.filter((d) => d.category === 'training' || d.module === 'D').map((d) => d.kind));

/** Default parameters of a kind, e.g. for a node just dropped from the palette. */
export const defaultParams = (def: NodeKindDef): Record<string, unknown> => withDefaults(def.params, {});

