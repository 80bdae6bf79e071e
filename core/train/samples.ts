// Sample grids: one row per fixed test item; columns are the input (or G's image), its
// reconstruction, each transformer alone, all transformers chained, each mask and the mask
// sum. Targets are the labels of the next row's item, so every row shows a real change.

import * as tf from '@tensorflow/tfjs-core';
import { encodePng } from '../data/images';
import type { Generator } from '../modules/generator';
import type { TrainModel } from './model';

export interface SampleInputs {
  /** n × H × W × 3 */
  readonly images: Float32Array;
  /** n × label length */
  readonly labels: Float32Array;
  readonly n: number;
  /** For generation: n × noise length. */
  readonly noise?: Float32Array;
}

export interface SampleGrid {
  readonly png: Buffer;
  readonly columns: readonly string[];
  /** Each transformer's mask, averaged over the sample rows (0: acts nowhere, 1: everywhere). */
  readonly maskMeans: readonly { readonly id: string; readonly mean: number }[];
}

export async function sampleGrid(model: TrainModel, s: SampleInputs, size: number): Promise<SampleGrid> {
  const columns: string[] = [];
  let means: tf.Tensor1D | undefined;
  const tiles = tf.tidy(() => {
    const x = tf.tensor4d(s.images, [s.n, size, size, 3]);
    const labels = tf.tensor2d(s.labels, [s.n, s.labels.length / s.n]);
    const roll = tf.tensor1d(Array.from({ length: s.n }, (_, i) => (i + 1) % s.n), 'int32');
    const target = (idx: readonly number[]) => tf.gather(tf.gather(labels, tf.tensor1d(idx as number[], 'int32'), 1), roll, 0) as tf.Tensor2D;
    const out: tf.Tensor4D[] = [];
    const add = (name: string, t: tf.Tensor4D) => (columns.push(name), out.push(t));
    let f: tf.Tensor4D;
    const R = model.reconstructor.module;
    if (model.base.module.kind === 'E') {
      add('input', x);
      f = model.base.module.apply({ image: x }).feature;
      add('reconstruction', R.apply({ feature: f }).image);
    } else {
      const g = model.base.module as Generator;
      const len = g.params.noiseLength as number;
      const cond = tf.gather(labels, tf.tensor1d(model.base.labelIndex as number[], 'int32'), 1) as tf.Tensor2D;
      f = g.apply({ noise: tf.tensor2d(s.noise!, [s.n, len]), condition: cond }).feature;
      add('generated', R.apply({ feature: f }).image);
    }
    const masks: tf.Tensor4D[] = [];
    let chain = f;
    for (const t of model.transformers) {
      const c = target(t.labelIndex);
      const alone = t.module.apply({ feature: f, condition: c });
      add(t.id, R.apply({ feature: alone.feature }).image);
      masks.push(alone.mask);
      chain = t.module.apply({ feature: chain, condition: c }).feature;
    }
    if (model.transformers.length > 1) add('chain', R.apply({ feature: chain }).image);
    // Masks are at feature resolution and in (0, 1): upscale and map to grey in [-1, 1].
    const grey = (m: tf.Tensor4D) => tf.tile(tf.sub(tf.mul(tf.image.resizeNearestNeighbor(m, [size, size]), 2), 1), [1, 1, 1, 3]) as tf.Tensor4D;
    model.transformers.forEach((t, i) => add(`mask ${t.id}`, grey(masks[i]!)));
    if (masks.length) means = tf.keep(tf.stack(masks.map((m) => tf.mean(m))) as tf.Tensor1D);
    if (masks.length > 1) add('mask sum', grey(tf.div(tf.addN(masks), masks.length) as tf.Tensor4D));
    // n rows × columns: stack along width, then rows along height.
    return tf.concat(out.map((t) => tf.clipByValue(t, -1, 1)), 2);
  });
  const data = (await tiles.data()) as Float32Array;
  const [n, h, w] = tiles.shape as [number, number, number, number];
  tiles.dispose();
  const meanValues = means ? Array.from(await means.data()) : [];
  means?.dispose();
  const maskMeans = model.transformers.map((t, i) => ({ id: t.id, mean: meanValues[i]! }));
  return { png: await encodePng(data, w, n * h, 3), columns, maskMeans };
}
