// The attribute classifier of the evaluation: a ResNet-18-style network (stem conv3, four
// stages of two basic blocks with stride-2 transitions and 1×1 projection shortcuts, global
// average pooling, one linear head with one logit per label slot). No normalisation layers:
// instance norm would erase exactly what ColorMNIST asks about (colours are per-channel
// means), and batch norm would make a prediction depend on its batch. Training stays stable
// without them because each block's second conv starts at a tenth of He's scale, so every
// block begins close to the identity.

import * as tf from '@tensorflow/tfjs-core';
import type { AttributeGroup } from '../graph/ports';
import { groupLength, groupsLength } from '../graph/ports';
import { normalValues, hashSeed } from '../modules/random';

export interface ClassifierConfig {
  imageSize: number;
  /** Channels of the first stage; the stages have width, 2·width, 4·width, 8·width. */
  width: number;
  groups: readonly AttributeGroup[];
  seed: number;
}

interface Spec {
  name: string;
  shape: number[];
  std: number;
}

const RESIDUAL_INIT_SCALE = 0.1;

function specsOf(cfg: ClassifierConfig): Spec[] {
  const he = (k: number, cin: number) => Math.sqrt(2 / (k * k * cin));
  const conv = (name: string, k: number, cin: number, cout: number, scale = 1): Spec => ({ name, shape: [k, k, cin, cout], std: he(k, cin) * scale });
  const specs: Spec[] = [conv('stem', 3, 3, cfg.width), { name: 'stem.bias', shape: [cfg.width], std: 0 }];
  let cin = cfg.width;
  for (let s = 0; s < 4; s++) {
    const cout = cfg.width * 2 ** s;
    for (let b = 0; b < 2; b++) {
      const p = `s${s}.b${b}`;
      specs.push(conv(`${p}.conv0`, 3, cin, cout), { name: `${p}.bias0`, shape: [cout], std: 0 });
      specs.push(conv(`${p}.conv1`, 3, cout, cout, RESIDUAL_INIT_SCALE), { name: `${p}.bias1`, shape: [cout], std: 0 });
      if (cin !== cout) specs.push(conv(`${p}.proj`, 1, cin, cout));
      cin = cout;
    }
  }
  const len = groupsLength(cfg.groups);
  specs.push({ name: 'head.weight', shape: [cin, len], std: Math.sqrt(1 / cin) }, { name: 'head.bias', shape: [len], std: 0 });
  return specs;
}

export class AttributeClassifier {
  readonly variables: ReadonlyMap<string, tf.Variable>;

  constructor(readonly config: ClassifierConfig) {
    if (!Number.isInteger(config.width) || config.width < 1) throw new Error(`classifier width must be a whole number of at least 1, got ${config.width}`);
    const vars = new Map<string, tf.Variable>();
    for (const s of specsOf(config)) {
      const size = s.shape.reduce((a, b) => a * b, 1);
      const init = s.std === 0 ? new Float32Array(size) : normalValues(hashSeed(config.seed, `classifier.${s.name}`), size, s.std);
      vars.set(s.name, tf.tidy(() => tf.variable(tf.tensor(init, s.shape, 'float32'), true)));
    }
    this.variables = vars;
  }

  /** Length of the penultimate feature vector (the FID features). */
  get featureLength(): number {
    return this.config.width * 8;
  }

  private w(name: string): tf.Tensor {
    const v = this.variables.get(name);
    if (!v) throw new Error(`classifier: no weight '${name}'`);
    return v;
  }

  /** x: N×S×S×3 in [-1, 1] → logits N×slots and pooled features N×(8·width). */
  apply(x: tf.Tensor4D): { logits: tf.Tensor2D; features: tf.Tensor2D } {
    return tf.tidy(() => {
      const conv = (t: tf.Tensor4D, name: string, stride: number, bias?: string) => {
        const k = this.w(name).shape[0]!;
        const y = tf.conv2d(t, this.w(name) as tf.Tensor4D, stride, k === 1 ? 0 : 1);
        return bias ? tf.add(y, this.w(bias)) as tf.Tensor4D : y;
      };
      let h = tf.relu(conv(x, 'stem', 1, 'stem.bias'));
      for (let s = 0; s < 4; s++)
        for (let b = 0; b < 2; b++) {
          const p = `s${s}.b${b}`;
          const stride = s > 0 && b === 0 ? 2 : 1;
          const y = conv(tf.relu(conv(h, `${p}.conv0`, stride, `${p}.bias0`)), `${p}.conv1`, 1, `${p}.bias1`);
          const skip = this.variables.has(`${p}.proj`) ? conv(h, `${p}.proj`, stride) : h;
          h = tf.relu(tf.add(skip, y)) as tf.Tensor4D;
        }
      const features = tf.mean(h, [1, 2]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(features, this.w('head.weight') as tf.Tensor2D), this.w('head.bias')) as tf.Tensor2D;
      return { logits, features };
    });
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}

/**
 * The classification loss: softmax cross-entropy over each one-hot group's slots, BCE with
 * logits for each binary slot, averaged over groups.
 */
export function classifierLoss(groups: readonly AttributeGroup[], logits: tf.Tensor2D, labels: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const parts: tf.Scalar[] = [];
    let at = 0;
    for (const g of groups) {
      const len = groupLength(g);
      const lg = tf.slice(logits, [0, at], [-1, len]);
      const lb = tf.slice(labels, [0, at], [-1, len]);
      if (g.kind === 'onehot') parts.push(tf.mean(tf.neg(tf.sum(tf.mul(lb, tf.logSoftmax(lg)), 1))));
      // max(x, 0) − x·z + log(1 + e^−|x|), the stable BCE with logits.
      else parts.push(tf.mean(tf.add(tf.sub(tf.relu(lg), tf.mul(lg, lb)), tf.log1p(tf.exp(tf.neg(tf.abs(lg)))))));
      at += len;
    }
    return tf.div(tf.addN(parts), parts.length) as tf.Scalar;
  });
}

/** The index of the predicted value of every group (binary: 1 when the logit is positive), one row per image. */
export function predictGroups(groups: readonly AttributeGroup[], logits: Float32Array, n: number): number[][] {
  return decodeGroups(groups, logits, n, (v) => v > 0);
}

/** The value index of every group in label vectors (one-hot: argmax; binary: 1 when > 0.5). */
export function labelGroups(groups: readonly AttributeGroup[], labels: Float32Array, n: number): number[][] {
  return decodeGroups(groups, labels, n, (v) => v > 0.5);
}

function decodeGroups(groups: readonly AttributeGroup[], values: Float32Array, n: number, on: (v: number) => boolean): number[][] {
  const len = groupsLength(groups);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    let at = i * len;
    for (const g of groups) {
      const k = groupLength(g);
      if (g.kind === 'binary') row.push(on(values[at]!) ? 1 : 0);
      else {
        let best = 0;
        for (let j = 1; j < k; j++) if (values[at + j]! > values[at + best]!) best = j;
        row.push(best);
      }
      at += k;
    }
    out.push(row);
  }
  return out;
}
