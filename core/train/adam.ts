// Adam over named variables, with state we own: first and second moments per variable and
// the step count, readable and writable as plain arrays, so a checkpoint can hold it and a
// resumed run continues with exactly the same update as an uninterrupted one.

import * as tf from '@tensorflow/tfjs-core';
import type { InPlaceAdamBackend } from '../runtime/in-place-adam';

export interface AdamState {
  readonly step: number;
  /** Moments by variable key, each as long as its variable. */
  readonly m: ReadonlyMap<string, Float32Array>;
  readonly v: ReadonlyMap<string, Float32Array>;
}

export class Adam {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  /** `vars`: the trainable variables by stable key ("T_hair/T.conv0.weight"). */
  constructor(
    readonly vars: ReadonlyMap<string, tf.Variable>,
    readonly beta1: number,
    readonly beta2: number,
    readonly epsilon = 1e-8,
  ) {
    // In a tidy, so the zeros go and each moment owns its data (which in-place updates need).
    tf.tidy(() => {
      for (const [k, w] of vars) {
        this.m.set(k, tf.variable(tf.zerosLike(w), false));
        this.v.set(k, tf.variable(tf.zerosLike(w), false));
      }
    });
  }

  get steps(): number {
    return this.step;
  }

  /** One update; `grads` keyed like `vars` (missing keys: no gradient, no update). */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step++;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    const backend = tf.backend() as Partial<InPlaceAdamBackend>;
    const coeffs = Float32Array.of(1 - this.beta1, 1 - this.beta2, this.beta1, this.beta2, lr / c1, c2, this.epsilon);
    tf.tidy(() => {
      for (const [k, g] of grads) {
        const w = this.vars.get(k)!;
        const m = this.m.get(k)!;
        const v = this.v.get(k)!;
        if (backend.adamUpdateInPlace?.(w, m, v, g, coeffs)) continue;
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(m1);
        v.assign(v1);
        const update = tf.div(tf.mul(m1, lr / c1), tf.add(tf.sqrt(tf.div(v1, c2)), this.epsilon));
        w.assign(tf.sub(w, update));
      }
    });
  }

  getState(): AdamState {
    const read = (src: Map<string, tf.Variable>) => new Map([...src].map(([k, t]) => [k, t.dataSync<'float32'>().slice()]));
    return { step: this.step, m: read(this.m), v: read(this.v) };
  }

  setState(s: AdamState): void {
    for (const [k, w] of this.vars) {
      const m = s.m.get(k);
      const v = s.v.get(k);
      if (!m || !v) throw new Error(`optimiser state has no moments for '${k}'`);
      if (m.length !== w.size || v.length !== w.size) throw new Error(`optimiser state for '${k}' has ${m.length} values, the variable ${w.size}`);
      tf.tidy(() => {
        this.m.get(k)!.assign(tf.tensor(m, w.shape));
        this.v.get(k)!.assign(tf.tensor(v, w.shape));
      });
    }
    this.step = s.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Learning rate at iteration k: constant, then linearly down to 0 from `decayFrom` to the end. */
export function learningRateAt(k: number, base: number, iterations: number, decayFrom: number | undefined): number {
  if (decayFrom === undefined || k < decayFrom || iterations <= decayFrom) return base;
  return base * Math.max(0, (iterations - k) / (iterations - decayFrom));
}
