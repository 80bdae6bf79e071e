// What the trainer needs from any source of labelled images: a fixed train/test split of
// item indices and a way to load one item. Every source (ColorMNIST, synthetic faces, a
// CelebA folder, an image folder with a CSV) implements this; the batch loader does the rest.

import type { AttributeGroup } from '../graph/ports';

/** One training item: HxWx3 floats in [-1, 1] and its label vector (encodeCondition order). */
export interface Sample {
  readonly image: Float32Array;
  readonly labels: Float32Array;
}

export interface Dataset {
  /** For messages: "ColorMNIST (32 px)", "CelebA at /data/celeba". */
  readonly title: string;
  readonly imageSize: number;
  /** The attribute groups of `labels`, in order. */
  readonly groups: readonly AttributeGroup[];
  readonly train: readonly number[];
  readonly test: readonly number[];
  /** Whether a horizontal flip keeps the labels true (faces yes, digits no). */
  readonly flip: boolean;
  /** Loads one item; throws ImageFileError when its file cannot be used. */
  load(index: number): Promise<Sample>;
  /** Problems met while opening (rows skipped, ...), for the user to see. */
  readonly notes: readonly string[];
}

/** An error in a dataset file, naming the file and line. */
export class DatasetFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`);
  }
}

/** A value from a file, quoted for a message; long ones are cut so the message stays readable. */
export const quote = (s: string, max = 40): string => `'${s.length > max ? `${s.slice(0, max)}…` : s}'`;

/** A deterministic split when a source has none: every `every`-th item goes to the test set. */
export function splitEvery(count: number, every: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < count; i++) (i % every === every - 1 ? test : train).push(i);
  return { train, test };
}
