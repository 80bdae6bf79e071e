// Batches for the trainer, loaded ahead of it. Batch k is a pure function of (seed, k): the
// item order is a seeded permutation per epoch and flips are drawn per batch, so a resumed
// run sees exactly the batches an uninterrupted one would, and batches can be prepared in
// any order, concurrently, while the trainer works on earlier ones.

import seedrandom from 'seedrandom';
import { groupsLength } from '../graph/ports';
import type { Dataset, Sample } from './dataset';
import { ImageFileError } from './images';
import { flipHorizontal } from './raster';

export interface Batch {
  readonly index: number;
  readonly size: number;
  /** size × H × W × 3, in [-1, 1] */
  readonly images: Float32Array;
  /** size × label length */
  readonly labels: Float32Array;
}

export interface BatchLoaderOptions {
  batchSize: number;
  seed: number;
  /** How many batches to prepare ahead of the one asked for (default 3). */
  ahead?: number;
  split?: 'train' | 'test';
  /** Called once per item that could not be loaded; that item is skipped from then on. */
  onSkip?: (message: string) => void;
  /** The dataset as messages name it ("dataset 'faces' (image folder /data/faces)"); default its title. */
  name?: string;
}

/** Every item of a split failed to load: the dataset cannot feed a run. */
export class NoLoadableItemError extends Error {}

/** How many of the reasons a NoLoadableItemError quotes. */
const REASONS_SHOWN = 3;

/** Reading a file failed (gone, unreadable, a disk error): a property of the item, not a bug. */
const isFileError = (e: unknown): boolean =>
  e instanceof ImageFileError || (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((e as NodeJS.ErrnoException).code!));

/** Fisher–Yates in place, drawing from `rand`; returns the list. */
export function shuffleWith<T>(list: T[], rand: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** Fisher–Yates with a seeded generator. */
export function seededPermutation(n: number, seed: string): number[] {
  return shuffleWith(Array.from({ length: n }, (_, i) => i), seedrandom.alea(seed));
}

export class BatchLoader {
  private readonly items: readonly number[];
  private readonly pending = new Map<number, Promise<Batch>>();
  private readonly perms = new Map<number, number[]>();
  private readonly bad = new Set<number>();
  /** The first few reasons items were skipped, for the message when none can be loaded. */
  private readonly reasons: string[] = [];
  private loadedAny = false;

  constructor(
    readonly dataset: Dataset,
    private readonly opts: BatchLoaderOptions,
  ) {
    this.items = opts.split === 'test' ? dataset.test : dataset.train;
    if (this.items.length === 0) throw new Error(`${dataset.title}: the ${opts.split ?? 'train'} split is empty`);
  }

  /** Batch k, and the next few started in the background. */
  get(k: number): Promise<Batch> {
    for (const old of this.pending.keys()) if (old < k) this.pending.delete(old);
    const ahead = this.opts.ahead ?? 3;
    for (let j = k; j <= k + ahead; j++)
      if (!this.pending.has(j)) {
        const p = this.build(j);
        // A batch loaded ahead may fail with nobody waiting for it yet (or ever, after the
        // run stops): its rejection is handled here, and reported to whoever asks for it.
        p.catch(() => undefined);
        this.pending.set(j, p);
      }
    const p = this.pending.get(k)!;
    this.pending.delete(k);
    return p;
  }

  /** Item at position p of the endless stream of epochs. */
  private itemAt(p: number): number {
    const n = this.items.length;
    const epoch = Math.floor(p / n);
    let perm = this.perms.get(epoch);
    if (!perm) {
      perm = seededPermutation(n, `${this.opts.seed}:epoch:${epoch}`);
      this.perms.set(epoch, perm);
      // Two epochs can be in flight at a boundary; older ones are not needed again.
      for (const e of this.perms.keys()) if (e < epoch - 1) this.perms.delete(e);
    }
    return this.items[perm[p % n]!]!;
  }

  /**
   * Loads the item at stream position p; an item that fails is reported once and replaced by
   * the next position's. Failures are properties of files, not of timing, so the
   * replacement is deterministic.
   */
  private async loadAt(p: number): Promise<Sample> {
    for (let tries = 0; tries < this.items.length; tries++, p++) {
      const i = this.itemAt(p);
      if (this.bad.has(i)) continue;
      try {
        const sample = await this.dataset.load(i);
        this.loadedAny = true;
        return sample;
      } catch (e) {
        if (!isFileError(e)) throw e;
        // Batches load concurrently: several may meet the same bad file; report it once.
        if (!this.bad.has(i)) {
          const reason = e instanceof ImageFileError ? e.message : `item ${i}: ${(e as Error).message}`;
          if (this.reasons.length < REASONS_SHOWN) this.reasons.push(reason);
          this.opts.onSkip?.(`skipped ${reason}`);
        }
        this.bad.add(i);
      }
    }
    const split = this.opts.split ?? 'train';
    const n = this.items.length;
    const more = this.bad.size > this.reasons.length ? `; and ${this.bad.size - this.reasons.length} more` : '';
    throw new NoLoadableItemError(
      `${this.opts.name ?? this.dataset.title}: ${this.loadedAny ? 'no image of its ' + split + ' split can be loaded any more' : 'no image could be loaded'} ` +
        `(${this.bad.size} of the ${n} in its ${split} split failed): ${this.reasons.join('; ')}${more}`,
    );
  }

  private async build(k: number): Promise<Batch> {
    const { batchSize: b, seed } = this.opts;
    const s = this.dataset.imageSize;
    const samples = await Promise.all(Array.from({ length: b }, (_, j) => this.loadAt(k * b + j)));
    const flips = seedrandom.alea(`${seed}:flip:${k}`);
    const len = groupsLength(this.dataset.groups);
    const images = new Float32Array(b * s * s * 3);
    const labels = new Float32Array(b * len);
    samples.forEach((smp, j) => {
      const flip = this.dataset.flip && flips() < 0.5;
      images.set(flip ? flipHorizontal(smp.image, s) : smp.image, j * s * s * 3);
      labels.set(smp.labels, j * len);
    });
    return { index: k, size: b, images, labels };
  }
}

/**
 * Throws NoLoadableItemError (naming the dataset and the first reasons) unless some item of
 * the split loads: a dataset whose images all fail is refused before a run is set up, not
 * after its model is built. Cheap for a healthy dataset: the first item that loads ends it.
 */
export async function requireLoadableItem(dataset: Dataset, opts: Pick<BatchLoaderOptions, 'name' | 'split'> = {}): Promise<void> {
  await new BatchLoader(dataset, { ...opts, batchSize: 1, seed: 0, ahead: 0 }).get(0);
}
