// Schemas shared by the project and preset files. Objects are loose: fields this version
// does not know (written by a plugin, or a later minor change) survive a load and a save.

import { z } from 'zod';
import { DATASET_SOURCES } from '../attributes';

const id = z.string().min(1, 'must not be empty').max(200, 'is too long');

export const portRefSchema = z.looseObject({ node: id, port: id });

export const nodeSchema = z.looseObject({
  id,
  kind: id,
  label: z.string().max(200).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  /** Passes its value through instead of computing (see core/graph/bypass.ts); absent means false. */
  bypassed: z.boolean().optional(),
});

export const edgeSchema = z.looseObject({ id, from: portRefSchema, to: portRefSchema });

export const graphSchema = z.looseObject({
  nodes: z.array(nodeSchema).max(100_000),
  edges: z.array(edgeSchema).max(400_000),
});

const finite = z.number().finite();
export const layoutSchema = z.looseObject({
  nodes: z.record(z.string(), z.looseObject({ x: finite, y: finite })).default({}),
  viewport: z.looseObject({ x: finite, y: finite, zoom: finite.positive() }).optional(),
});

const groupSchema = z.union([
  z.looseObject({ name: id, kind: z.literal('onehot'), values: z.array(id).min(2) }),
  z.looseObject({ name: id, kind: z.literal('binary') }),
]);

export const datasetRefSchema = z.looseObject({
  id,
  source: z.enum(DATASET_SOURCES),
  /** CelebA root or image folder; relative paths are relative to the project file. */
  path: z.string().optional(),
  /** For an image folder: the CSV of attributes. */
  csv: z.string().optional(),
  imageSize: z.number().int().min(8).max(1024),
  attributes: z.array(groupSchema).optional(),
  seed: z.number().int().min(0).optional(),
});

const positive = z.number().positive().finite();
const weight = z.number().min(0).finite();
/** training.clsFakeBinary's values (core/train/trainer.ts says what each teaches D). */
export const CLS_FAKE_BINARY = ['absent', 'neither', 'skip'] as const;
export type ClsFakeBinary = (typeof CLS_FAKE_BINARY)[number];
const clsFakeBinaryMode = z.enum(CLS_FAKE_BINARY);
/** One mode for every binary attribute, or a mode per binary attribute by name (unnamed ones: absent). */
export const clsFakeBinarySchema = z.union([clsFakeBinaryMode, z.record(z.string(), clsFakeBinaryMode)]);
export type ClsFakeBinarySetting = z.infer<typeof clsFakeBinarySchema>;
/** The DiffAugment policies `training.augment` may list (core/train/augment.ts applies them). */
export const AUGMENT_KINDS = ['color', 'translation', 'cutout'] as const;

export const trainingSchema = z.looseObject({
  mode: z.enum(['translation', 'generation']),
  dataset: id,
  iterations: z.number().int().min(1).max(100_000_000).default(200_000),
  batchSize: z.number().int().min(1).max(1024).default(16),
  /** A GAN step above 1 only ever diverges: the bound tells the user at once. */
  learningRate: positive.max(1).default(1e-4),
  beta1: z.number().min(0).max(1).default(0.5),
  beta2: z.number().min(0).max(1).default(0.999),
  /** D updates per G update. */
  nCritic: z.number().int().min(1).max(100).default(5),
  /** Iteration from which the learning rate decays linearly to zero. */
  decayFrom: z.number().int().min(0).optional(),
  /** Weight of the adversarial terms (1 in the paper; optional so older files stay as they were). */
  lambdaAdv: weight.optional(),
  lambdaGp: weight.default(10),
  lambdaCls: weight.default(1),
  lambdaRec: weight.default(10),
  lambdaCyc: weight.default(10),
  /** Composition training: probability that each other transformer runs before T_i (0 = the paper). */
  chainProbability: z.number().min(0).max(1).optional(),
  /** Weight of the other Ds reading their attributes as kept in each transformer's image (generation: G's D reads G's condition) (0 = the paper). */
  lambdaKeep: weight.optional(),
  /** Weight of the whole-chain term: all transformers, every D judges the result (0 = the paper). */
  lambdaChain: weight.optional(),
  /** Weight of D's attribute heads learning that fakes show no attribute (0 = the paper). */
  lambdaClsFake: weight.optional(),
  /** With lambdaClsFake: each D's attribute head also learns that another transformer's images show none of its attributes (off = only its own). */
  clsFakeOthers: z.boolean().optional(),
  /** With lambdaClsFake: what a binary attribute of a fake is learned as — absent (0, the default), neither value (0.5), or nothing (skip: real images only); one mode, or one per attribute name. */
  clsFakeBinary: clsFakeBinarySchema.optional(),
  /** Translation: weight of T_i(E(T_i's image), own value) giving back T_i's input features, L1 (0 = the paper). */
  lambdaRoundTrip: weight.optional(),
  /** Translation: weight of R(T_i(E(x), own value)) giving back the image x, L1 (0 = the paper). */
  lambdaIdentity: weight.optional(),
  /** Weight of the mean of each transformer's mask in its own image (0 = the paper). */
  lambdaMask: weight.optional(),
  /** Weight of each masked transformer's f' judged as its image is, R(f') by its D: realism and the asked attribute (0 = the paper). */
  lambdaUnmasked: weight.optional(),
  /** DiffAugment policies applied to every image a discriminator sees, real and fake (none = the paper). */
  augment: z.array(z.enum(AUGMENT_KINDS)).max(AUGMENT_KINDS.length).optional(),
  /** Decay of the generator side's weight average, used for samples, evaluation and export (off = the paper). */
  ema: z.number().gt(0).lt(1).optional(),
  /**
   * Measured while training (not in the paper; off by default): every `every` iterations the eval
   * classifier reads `images` held-out items translated to every target, and the log gets the
   * FID and each attribute's accuracy, as \`modulargan eval\` computes them on that checkpoint.
   * `best: 'fid'` makes the lowest FID the "best" checkpoint.
   */
  monitor: z
    .looseObject({
      every: z.number().int().min(1),
      images: z.number().int().min(2).max(100_000).default(200),
      seed: z.number().int().min(0).default(0),
      best: z.enum(['losses', 'fid']).default('losses'),
      /** The eval classifier's settings (eval's --iterations-classifier and --classifier-width): the same classifier is reused by eval. */
      classifierIterations: z.number().int().min(1).optional(),
      classifierWidth: z.number().int().min(1).max(512).optional(),
    })
    .optional(),
  seed: z.number().int().min(0).default(0),
  checkpointEvery: z.number().int().min(1).default(1000),
  sampleEvery: z.number().int().min(1).default(500),
  /** Node ids of modules whose weights stay fixed. */
  frozen: z.array(id).default([]),
  backend: z.string().optional(),
  /** Discriminators (one per transformer, made by the trainer): stride-2 layers and base channels. */
  dDepth: z.number().int().min(1).max(8).optional(),
  dBaseChannels: z.number().int().min(4).max(512).optional(),
  /** One discriminator for every transformer (StarGAN's single D): its head reads all their attributes, each transformer's terms read its slice (off = the paper's D_i per transformer). */
  sharedDiscriminator: z.boolean().optional(),
  /** Starting weights of discriminators, by the id of the node each judges (.mgw paths). */
  discriminatorWeights: z.record(z.string(), z.string()).optional(),
});

export const checkpointRefSchema = z.looseObject({
  id,
  path: z.string().min(1),
  iteration: z.number().int().min(0),
  createdAt: z.string(),
  losses: z.record(z.string(), finite).optional(),
});

/**
 * A relative path that stays inside the folder it is relative to: no absolute paths, no
 * "..", no drive letters. Bundled files are unpacked with these, so they must not escape.
 */
export const containedPath = z
  .string()
  .min(1)
  .refine((p) => !/^([a-zA-Z]:|[\\/])/.test(p) && !p.split(/[\\/]/).some((s) => s === '..' || s === ''), {
    message: 'must be a relative path inside the preset (no "..", no absolute path)',
  });
