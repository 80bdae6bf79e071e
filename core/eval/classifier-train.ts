// Training the attribute classifier on a dataset's real training images, and measuring it
// on held-out real images: Adam (lr 1e-3, betas 0.9/0.999, linear decay to 0 over the
// second half), batches from the same loader as GAN training, then per-group accuracy on
// the test split.

import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/dataset';
import { BatchLoader } from '../data/loader';
import { Adam, learningRateAt } from '../train/adam';
import { AttributeClassifier, classifierLoss, labelGroups, predictGroups } from './classifier';

/** Images per training step unless told otherwise. */
export const CLASSIFIER_BATCH = 32;

export interface ClassifierTrainOptions {
  iterations: number;
  width: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** At most this many test images for the accuracy (default: all). */
  maxTestImages?: number;
  onProgress?: (done: number, loss: number) => void;
  /** The dataset as messages name it ("dataset 'faces' (image folder /data/faces)"). */
  datasetName?: string;
}

export interface TrainedClassifier {
  readonly classifier: AttributeClassifier;
  readonly losses: number[];
  readonly accuracy: Record<string, number>;
  readonly testImages: number;
}

export async function trainClassifier(dataset: Dataset, opts: ClassifierTrainOptions): Promise<TrainedClassifier> {
  const seed = opts.seed ?? 0;
  const classifier = new AttributeClassifier({ imageSize: dataset.imageSize, width: opts.width, groups: dataset.groups, seed });
  const adam = new Adam(classifier.variables, 0.9, 0.999);
  const loader = new BatchLoader(dataset, { batchSize: opts.batchSize ?? CLASSIFIER_BATCH, seed: seed + 7919, ...(opts.datasetName ? { name: opts.datasetName } : {}) });
  const s = dataset.imageSize;
  const losses: number[] = [];
  try {
    for (let k = 0; k < opts.iterations; k++) {
      const batch = await loader.get(k);
      const loss = tf.tidy(() => {
        const x = tf.tensor4d(batch.images, [batch.size, s, s, 3]);
        const y = tf.tensor2d(batch.labels, [batch.size, batch.labels.length / batch.size]);
        const { value, grads } = tf.variableGrads(() => classifierLoss(dataset.groups, classifier.apply(x).logits, y), [...classifier.variables.values()]);
        const byKey = new Map<string, tf.Tensor>();
        for (const [key, v] of classifier.variables) if (grads[v.name]) byKey.set(key, grads[v.name]!);
        // Linear decay to zero over the second half: the last epochs settle instead of hopping.
        adam.apply(byKey, learningRateAt(k, opts.learningRate ?? 1e-3, opts.iterations, Math.floor(opts.iterations / 2)));
        return value.dataSync()[0]!;
      });
      if (!Number.isFinite(loss)) throw new Error(`classifier loss is ${loss} at iteration ${k}`);
      losses.push(loss);
      opts.onProgress?.(k + 1, loss);
    }
  } catch (e) {
    classifier.dispose();
    throw e;
  } finally {
    adam.dispose();
  }
  const { accuracy, testImages } = await classifierAccuracy(classifier, dataset, opts.maxTestImages);
  return { classifier, losses, accuracy, testImages };
}

/** Loads `indices` of a dataset as one N×S×S×3 array and the label rows. */
export async function loadItems(dataset: Dataset, indices: readonly number[]): Promise<{ images: Float32Array; labels: Float32Array; n: number }> {
  const s = dataset.imageSize;
  const samples = await Promise.all(indices.map((i) => dataset.load(i)));
  const len = samples[0]?.labels.length ?? 0;
  const images = new Float32Array(samples.length * s * s * 3);
  const labels = new Float32Array(samples.length * len);
  samples.forEach((smp, j) => (images.set(smp.image, j * s * s * 3), labels.set(smp.labels, j * len)));
  return { images, labels, n: samples.length };
}

/** Logits and features of N images, computed in chunks to bound memory. */
export async function classify(c: AttributeClassifier, images: Float32Array, n: number, chunk = 64): Promise<{ logits: Float32Array; features: Float32Array[] }> {
  const s = c.config.imageSize;
  const per = s * s * 3;
  const logits: number[] = [];
  const features: Float32Array[] = [];
  for (let at = 0; at < n; at += chunk) {
    const m = Math.min(chunk, n - at);
    const x = tf.tensor4d(images.subarray(at * per, (at + m) * per), [m, s, s, 3]);
    const out = c.apply(x);
    x.dispose();
    logits.push(...(await out.logits.data()));
    const f = (await out.features.data()) as Float32Array;
    const d = c.featureLength;
    for (let i = 0; i < m; i++) features.push(f.slice(i * d, (i + 1) * d));
    out.logits.dispose();
    out.features.dispose();
  }
  return { logits: Float32Array.from(logits), features };
}

export async function classifierAccuracy(c: AttributeClassifier, dataset: Dataset, max?: number, chunk = 64): Promise<{ accuracy: Record<string, number>; testImages: number }> {
  const items = dataset.test.slice(0, max ?? dataset.test.length);
  const right = dataset.groups.map(() => 0);
  // Chunk by chunk: the whole test split as one array would grow with its size and the image size.
  for (let at = 0; at < items.length; at += chunk) {
    const { images, labels, n } = await loadItems(dataset, items.slice(at, at + chunk));
    const { logits } = await classify(c, images, n);
    const pred = predictGroups(dataset.groups, logits, n);
    const truth = labelGroups(dataset.groups, labels, n);
    dataset.groups.forEach((_, j) => {
      for (let i = 0; i < n; i++) if (pred[i]![j] === truth[i]![j]) right[j]!++;
    });
  }
  const n = items.length;
  const accuracy: Record<string, number> = {};
  dataset.groups.forEach((g, j) => (accuracy[g.name] = n ? right[j]! / n : 0));
  return { accuracy, testImages: n };
}
