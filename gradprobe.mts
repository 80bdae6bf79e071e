// What holds a transformer's mask where it is: for FROM faces asked for TO through the hair
// transformer alone, scale its mask by a_in where the exact answer differs from the input (the
// hair, at feature resolution) and by a_out elsewhere, and take each generator-side term's
// derivative (weighted as the project trains it) at a = 1. Positive: the term grows if the mask
// opens there, so it holds the mask shut. Terms: adversarial, classification (TO), keep (the
// other Ds read their own value), feature cycle, round trip, mask mean.
// Usage (copied into /work/main): node --import tsx gradprobe.mts PROJECT [ITER|best] [FROM] [TO]
import * as tf from '@tensorflow/tfjs-core';
import { readProject, projectDataset, loadRun } from './core/eval/runs.ts';
import { bceWithLogits, criticScore, l1 } from './core/train/losses.ts';
import { initBackend } from './core/runtime/backends.ts';
await initBackend('auto');
const [file, which, from = 'blond', to = 'black'] = process.argv.slice(2);
const HC = ['black', 'blond', 'brown'];
const project = await readProject(file!);
const t = project.training as any;
const ds = (await projectDataset(project, file!)) as any;
const run = (await loadRun(file!, ds, which === undefined ? undefined : which === 'best' ? 'best' : Number(which)))!;
const S = ds.imageSize, P = S * S * 3;
const items = (ds.test as number[]).filter((i) => ds.attributesOf(i).hair === from).slice(0, 64);
const n = items.length;
const imgs = new Float32Array(n * P), cfs = new Float32Array(n * P);
const labels: number[] = [], targets: number[] = [];
for (let k = 0; k < n; k++) {
  const it = await ds.load(items[k]); imgs.set(it.image, k * P);
  cfs.set(await ds.counterfactual(items[k], { hair: to }), k * P);
  const lab = Array.from(it.labels as Float32Array); labels.push(...lab);
  const tt = lab.slice(); tt[0] = 0; tt[1] = 0; tt[2] = 0; tt[HC.indexOf(to!)] = 1; targets.push(...tt);
}
const m = run.model;
const L = labels.length / n;
const T = m.transformers[0]!;
const E = m.base.module as any, R = m.reconstructor!.module as any;
const cond = (rows: number[], idx: readonly number[]) => tf.gather(tf.tensor2d(rows, [n, L]), idx as number[], 1) as tf.Tensor2D;
const x = tf.tensor4d(imgs, [n, S, S, 3]), cf = tf.tensor4d(cfs, [n, S, S, 3]);
const regionPx = tf.cast(tf.greater(tf.max(tf.abs(tf.sub(cf, x)), 3, true), 0.05), 'float32') as tf.Tensor4D;
const f = E.apply({ image: x }).feature as tf.Tensor4D;
const fs = f.shape[1]!;
const region = tf.cast(tf.greater(tf.avgPool(regionPx, S / fs, S / fs, 'valid'), 0.5), 'float32');
const want = cond(targets, T.labelIndex), own = cond(labels, T.labelIndex);
const { mask } = T.module.apply({ feature: f, condition: want });
const fp = T.module.unmasked(f, want);
console.log(`region: ${(tf.mean(region).dataSync()[0]! * 100).toFixed(1)}% of the feature map; mask inside ${(tf.sum(tf.mul(mask, region)).dataSync()[0]! / tf.sum(region).dataSync()[0]!).toFixed(3)}, outside ${(tf.sum(tf.mul(mask, tf.sub(1, region))).dataSync()[0]! / tf.sum(tf.sub(1, region)).dataSync()[0]!).toFixed(3)}`);
const blend = (a: tf.Tensor1D) => {
  const scale = tf.add(tf.mul(region, tf.slice(a, [0], [1])), tf.mul(tf.sub(1, region), tf.slice(a, [1], [1])));
  const me = tf.mul(mask, scale);
  return { ft: tf.add(f, tf.mul(me, tf.sub(fp, f))) as tf.Tensor4D, me };
};
const terms: Record<string, (a: tf.Tensor1D) => tf.Scalar> = {
  adversarial: (a) => tf.mul(tf.neg(tf.mean(criticScore(m.discriminators[0]!.module.apply({ image: R.apply({ feature: blend(a).ft }).image }).patch))), t.lambdaAdv ?? 1),
  classification: (a) => tf.mul(bceWithLogits(m.discriminators[0]!.module.apply({ image: R.apply({ feature: blend(a).ft }).image }).logits, want), t.lambdaCls),
  keep: (a) => {
    const img = R.apply({ feature: blend(a).ft }).image;
    let s: tf.Scalar = tf.scalar(0);
    m.discriminators.forEach((d, j) => { if (j > 0) s = tf.add(s, bceWithLogits(d.module.apply({ image: img }).logits, cond(labels, d.labelIndex))); });
    return tf.mul(s, t.lambdaKeep ?? 0);
  },
  cycle: (a) => { const { ft } = blend(a); return tf.mul(l1(ft, E.apply({ image: R.apply({ feature: ft }).image }).feature), t.lambdaCyc); },
  roundTrip: (a) => { const { ft } = blend(a); return tf.mul(l1(T.module.apply({ feature: E.apply({ image: R.apply({ feature: ft }).image }).feature, condition: own }).feature, f), t.lambdaRoundTrip ?? 0); },
  mask: (a) => tf.mul(tf.mean(blend(a).me), t.lambdaMask ?? 0),
  pixelL1ToExact: (a) => l1(R.apply({ feature: blend(a).ft }).image, cf),
};
const one = tf.tensor1d([1, 1]);
for (const [name, fn] of Object.entries(terms)) {
  if (name === 'keep' && m.discriminators.length < 2) continue;
  const value = tf.tidy(() => fn(one).dataSync()[0]!);
  const g = tf.tidy(() => Array.from(tf.grad(fn)(one).dataSync()));
  console.log(`${name.padEnd(15)} value ${value.toFixed(4).padStart(9)}  d/d(mask inside) ${g[0]!.toFixed(4).padStart(9)}  d/d(mask outside) ${g[1]!.toFixed(4).padStart(9)}`);
}
console.log(`iteration ${run.iteration}, ${m.transformers.length === 1 ? 'baseline' : 'T_hair'}, ${from} -> ${to}, ${n} faces`);
