// An exponential moving average of the generator side's weights (E or G, every T, R): after
// each generator update, shadow ← β·shadow + (1 − β)·weight. GAN weights oscillate around
// what the adversarial game settles on; the average sits nearer its middle, so samples,
// evaluation and exported modules use it when `training.ema` is on. The shadow starts as a
// copy of the weights at the first update, and is saved in checkpoints beside them so a
// resumed run continues the same average.
//
// Warm-up: the n-th update uses min(β, (1 + n)/(10 + n)), as TensorFlow's moving averages do.
// With β = 0.999 alone, the untrained starting weights would still weigh 72% after 333 updates
// (1,000 iterations at n_critic 3): the early sample grids would show noise, not the model.

import * as tf from '@tensorflow/tfjs-core';

export class WeightAverage {
  private readonly shadow = new Map<string, tf.Variable>();

  /** `vars`: the averaged variables by stable key; `decay`: β in (0, 1). */
  constructor(
    readonly vars: ReadonlyMap<string, tf.Variable>,
    readonly decay: number,
  ) {
    if (!(decay > 0 && decay < 1)) throw new Error(`training.ema must be between 0 and 1 (exclusive), got ${decay}`);
    // A copy of the data, not a clone (which would share it): a variable whose data is shared
    // cannot be updated in place by the native backend's Adam.
    tf.tidy(() => {
      for (const [k, v] of vars) this.shadow.set(k, tf.variable(tf.tensor(v.dataSync().slice(), v.shape), false));
    });
  }

  /** The decay of the n-th update (1-based): β, lower while the average warms up. */
  decayAt(n: number): number {
    return Math.min(this.decay, (1 + n) / (10 + n));
  }

  /** The n-th step of the average (1-based; it follows from the iteration, so a resume continues it), after a generator update. */
  update(n: number): void {
    const beta = this.decayAt(n);
    tf.tidy(() => {
      for (const [k, v] of this.vars) {
        const s = this.shadow.get(k)!;
        s.assign(tf.add(tf.mul(s, beta), tf.mul(v, 1 - beta)));
      }
    });
  }

  /** Starts the average afresh at the current weights (a resumed run that had none). */
  reset(): void {
    tf.tidy(() => {
      for (const [k, v] of this.vars) this.shadow.get(k)!.assign(tf.tensor(v.dataSync().slice(), v.shape));
    });
  }

  /** The averaged values, by key (checkpoints write these). */
  values(): Map<string, Float32Array> {
    return new Map([...this.shadow].map(([k, s]) => [k, s.dataSync<'float32'>().slice()]));
  }

  /** Restores a saved average; every key must be there with the variable's size. */
  setValues(values: ReadonlyMap<string, Float32Array>): void {
    for (const [k, s] of this.shadow) {
      const v = values.get(k);
      if (!v) throw new Error(`the saved weight average has no values for '${k}'`);
      if (v.length !== s.size) throw new Error(`the saved weight average for '${k}' has ${v.length} values, the variable ${s.size}`);
      tf.tidy(() => s.assign(tf.tensor(v, s.shape)));
    }
  }

  /**
   * Runs `f` with the averaged weights in the variables, then puts the trained weights back,
   * so sampling and export see the average without a second copy of the model.
   */
  async withAverage<T>(f: () => T | Promise<T>): Promise<T> {
    const saved = new Map([...this.vars].map(([k, v]) => [k, tf.keep(v.clone())]));
    try {
      for (const [k, v] of this.vars) v.assign(this.shadow.get(k)!);
      return await f();
    } finally {
      for (const [k, v] of this.vars) v.assign(saved.get(k)!);
      tf.dispose([...saved.values()]);
    }
  }

  dispose(): void {
    tf.dispose([...this.shadow.values()]);
  }
}
