// Small ColorMNIST translation set-ups for checking a trainer's loss terms against their
// definitions: E, transformers on colour and background, R at 16 px, a batch of two images.
import type * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../core/data/loader';
import { COLOR_MNIST } from '../../core/graph/attributes';
import type { Graph } from '../../core/graph/graph';
import { type TrainModel, buildTrainModel } from '../../core/train/model';
import type { TrainSettings } from '../../core/train/trainer';

const groups = [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.background];

export const transformer = (id: string, g: 'color' | 'background', resBlocks = 0) => ({ id, kind: 'transformer', params: { baseChannels: 4, resBlocks, attributes: [COLOR_MNIST[g]] } });

const graphOf = (...ts: ReturnType<typeof transformer>[]): Graph => ({
  nodes: [{ id: 'E', kind: 'encoder', params: { imageSize: 16, baseChannels: 4 } }, ...ts, { id: 'R', kind: 'reconstructor', params: { imageSize: 16, baseChannels: 4 } }],
  edges: [],
});

/** The training model of E, these transformers and R, built from seed 0 (a fresh one per call: a step changes the weights). */
export const modelOf = (...ts: ReturnType<typeof transformer>[]): Promise<TrainModel> =>
  buildTrainModel(graphOf(...ts), { mode: 'translation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.' });

/** The same with one discriminator shared by every transformer (training.sharedDiscriminator). */
export const sharedModelOf = (...ts: ReturnType<typeof transformer>[]): Promise<TrainModel> =>
  buildTrainModel(graphOf(...ts), { mode: 'translation', imageSize: 16, datasetGroups: groups, seed: 0, baseDir: '.', sharedDiscriminator: true });

/** One update per iteration at a small learning rate; callers add the terms under test and which Ds are frozen. */
export const settings = (more: Partial<TrainSettings> = {}): TrainSettings => ({ iterations: 10, batchSize: 2, learningRate: 1e-3, beta1: 0.5, beta2: 0.999, nCritic: 1, lambdaGp: 10, lambdaCls: 1, lambdaRec: 10, lambdaCyc: 10, seed: 3, frozen: [], ...more });

/** The trainer's private steps a test recomputes a term from. */
export interface TrainerInternals {
  inputs(k: number, b: Batch): { x: tf.Tensor[]; real: tf.Tensor2D[]; target: tf.Tensor2D[] };
  baseFeature(inp: unknown): tf.Tensor4D;
  fakes(k: number, f: tf.Tensor4D, inp: unknown, which: number[]): Map<number, { image: tf.Tensor4D; mask?: tf.Tensor4D; unmasked?: tf.Tensor4D }>;
}

/** Two images drawn by `pixel`; image 0: digit 3, colour 1, background 2; image 1: digit 8, colour 4, background 0. */
export function batchOf(pixel: (i: number) => number): Batch {
  const images = new Float32Array(2 * 16 * 16 * 3).map((_, i) => pixel(i));
  const labels = new Float32Array(2 * 20);
  for (const [s, on] of [[0, [3, 11, 17]], [1, [8, 14, 15]]] as const) for (const j of on) labels[s * 20 + j] = 1;
  return { index: 0, size: 2, images, labels };
}
