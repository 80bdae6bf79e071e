// A compact stand-in for the joint trainer's iteration, for timing and for checking that
// backends agree: E, three transformers (one attribute group each), R and one discriminator
// per transformer, batch at a fixed size. One D update (WGAN loss + gradient penalty, which
// differentiates D twice, + BCE on the attribute logits of real images) and one G update
// (adversarial + BCE on the target attributes + L1 reconstruction + cycle L1), with the
// trainer's Adam (core/train/adam.ts, in place on the native backend). It is the kernel mix
// of the real trainer, not its schedule or its losses' weights.

import * as tf from '@tensorflow/tfjs-core';
import { SYNTHETIC_FACES } from '../core/graph/attributes';
import type { AttributeGroup } from '../core/graph/ports';
import { Discriminator } from '../core/modules/discriminator';
import { Encoder } from '../core/modules/encoder';
import { Reconstructor } from '../core/modules/reconstructor';
import { Transformer } from '../core/modules/transformer';
import { Adam } from '../core/train/adam';
import { leanVariableGrads } from '../core/runtime/lean-gradients';

export interface IterationConfig {
  readonly size: number;
  readonly base: number;
  /** Residual blocks per transformer. */
  readonly resBlocks: number;
  /** Stride-2 layers per discriminator. */
  readonly dDepth: number;
  readonly batch: number;
}

/**
 * The standard iteration and the paper's configuration. The paper's runs at batch 4:
 * there one iteration already peaks at 10-14 GB resident (each 128 px discriminator has ~45M
 * weights, channels up to 2048, with Adam's moments and gradients besides; tfjs keeps every
 * forward activation on its tape), so batch 16 does not fit a 24 GB machine.
 */
export const STANDARD: IterationConfig = { size: 64, base: 32, resBlocks: 3, dDepth: 5, batch: 16 };
export const PAPER: IterationConfig = { size: 128, base: 64, resBlocks: 6, dDepth: 6, batch: 4 };

const GROUPS: readonly AttributeGroup[] = [SYNTHETIC_FACES.hair, SYNTHETIC_FACES.smiling, SYNTHETIC_FACES.glasses];
const LAMBDA_GP = 10;
const LAMBDA_REC = 10;
const LAMBDA_CYC = 10;

const groupLength = (g: AttributeGroup): number => (g.kind === 'onehot' ? g.values.length : 1);

/** Deterministic labels for group `g`, row i: one-hot at (i + shift) mod length, or alternating. */
function labels(g: AttributeGroup, n: number, shift: number): tf.Tensor2D {
  const len = groupLength(g);
  const v = new Float32Array(n * len);
  for (let i = 0; i < n; i++) {
    if (len === 1) v[i] = (i + shift) % 2;
    else v[i * len + ((i + shift) % len)] = 1;
  }
  return tf.tensor2d(v, [n, len]);
}

const l1 = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.mean(tf.abs(tf.sub(a, b)));

export interface IterationLosses {
  d: number;
  g: number;
}

export class StandardIteration {
  readonly E: Encoder;
  readonly T: Transformer[];
  readonly R: Reconstructor;
  readonly D: Discriminator[];
  private readonly dOpt: Adam;
  private readonly gOpt: Adam;

  constructor(readonly config: IterationConfig, seed = 1) {
    const { size, base, resBlocks, dDepth } = config;
    this.E = new Encoder({ imageSize: size, baseChannels: base }, seed);
    this.T = GROUPS.map((g, i) => new Transformer({ baseChannels: base, resBlocks, attributes: [g] }, seed + 1 + i));
    this.R = new Reconstructor({ imageSize: size, baseChannels: base }, seed + 4);
    this.D = GROUPS.map((g, i) => new Discriminator({ imageSize: size, baseChannels: base, depth: dDepth, attributes: [g] }, seed + 5 + i));
    this.dOpt = this.adamOver(this.D);
    this.gOpt = this.adamOver([this.E, ...this.T, this.R]);
  }

  /** Adam over the modules' variables, keyed by the variables' (unique) names as tfjs's gradients are. */
  private adamOver(mods: readonly { variables: Readonly<Record<string, tf.Variable>> }[]): Adam {
    return new Adam(new Map(mods.flatMap((m) => Object.values(m.variables)).map((v) => [v.name, v])), 0.5, 0.999);
  }

  /** One optimiser step on the loss f; returns the loss. */
  private minimize(opt: Adam, f: () => tf.Scalar): number {
    // The trainer's backward pass (core/train/trainer.ts), which frees memory as it goes.
    const { value, grads } = leanVariableGrads(f, [...opt.vars.values()]);
    opt.apply(new Map(Object.entries(grads)), 1e-4);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  }

  /** Mean over the batch of (‖∇x D(x̂)‖ − 1)², x̂ between real and fake: twice through D. */
  private gradientPenalty(d: Discriminator, real: tf.Tensor4D, fake: tf.Tensor4D, alpha: tf.Tensor): tf.Scalar {
    const xHat = tf.add(fake, tf.mul(alpha, tf.sub(real, fake))) as tf.Tensor4D;
    const grad = tf.grad((x: tf.Tensor) => tf.sum(d.apply({ image: x as tf.Tensor4D }).patch))(xHat);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(grad), [1, 2, 3]), 1e-12));
    return tf.mean(tf.square(tf.sub(norm, 1)));
  }

  /** One D update then one G update on `images` (N×S×S×3 in [-1, 1]); returns both losses. */
  step(images: tf.Tensor4D, iteration = 0): IterationLosses {
    const n = images.shape[0];
    const real = GROUPS.map((g) => labels(g, n, iteration));
    const target = GROUPS.map((g) => labels(g, n, iteration + 1));
    const alpha = tf.tensor4d(Array.from({ length: n }, (_, i) => ((i * 37 + iteration * 11) % 100) / 100), [n, 1, 1, 1]);
    try {
      const fakes = tf.tidy(() => {
        const f = this.E.apply({ image: images }).feature;
        return this.T.map((t, i) => this.R.apply({ feature: t.apply({ feature: f, condition: target[i]! }).feature }).image);
      });
      const dLoss = this.minimize(this.dOpt, () =>
        tf.addN(
          this.D.map((d, i) => {
            // Real and fake through D as one batch, as the trainer does (core/train/trainer.ts).
            const both = d.apply({ image: tf.concat([images, fakes[i]!], 0) });
            const [onReal, onFake] = tf.split(both.patch, 2);
            const wgan = tf.sub(tf.mean(onFake!), tf.mean(onReal!));
            const cls = tf.losses.sigmoidCrossEntropy(real[i]!, tf.slice(both.logits, [0, 0], [n, -1]));
            return tf.add(tf.add(wgan, tf.mul(LAMBDA_GP, this.gradientPenalty(d, images, fakes[i]!, alpha))), cls);
          }),
        ) as tf.Scalar,
      );
      tf.dispose(fakes);
      const gLoss = this.minimize(this.gOpt, () => {
        const f = this.E.apply({ image: images }).feature;
        const terms: tf.Tensor[] = [tf.mul(LAMBDA_REC, l1(this.R.apply({ feature: f }).image, images))];
        this.T.forEach((t, i) => {
          const fi = t.apply({ feature: f, condition: target[i]! }).feature;
          const out = this.D[i]!.apply({ image: this.R.apply({ feature: fi }).image });
          terms.push(tf.neg(tf.mean(out.patch)), tf.losses.sigmoidCrossEntropy(target[i]!, out.logits));
          terms.push(tf.mul(LAMBDA_CYC, l1(t.apply({ feature: fi, condition: real[i]! }).feature, f)));
        });
        return tf.addN(terms) as tf.Scalar;
      });
      return { d: dLoss, g: gLoss };
    } finally {
      tf.dispose([...real, ...target, alpha]);
    }
  }

  dispose(): void {
    for (const m of [this.E, ...this.T, this.R, ...this.D]) m.dispose();
    this.dOpt.dispose();
    this.gOpt.dispose();
  }
}

/** A deterministic batch of images in [-1, 1]: smooth stripes that differ per sample. */
export function syntheticImages(n: number, size: number, seed = 0): tf.Tensor4D {
  const v = new Float32Array(n * size * size * 3);
  let k = 0;
  for (let i = 0; i < n; i++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) v[k++] = Math.sin((x * (c + 1) + y * (i + 1 + seed)) / size * 3);
  return tf.tensor4d(v, [n, size, size, 3]);
}
