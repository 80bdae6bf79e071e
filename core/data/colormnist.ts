// ColorMNIST: the real digits of the `mnist` package (10,000 at 28×28) coloured the way the
// MNIST-Dialog family does: digit colour, flat or outlined stroke, background colour. Item i
// is always the same digit image with the same attributes for a given seed, so the set is a
// fixed dataset, not a stream; the split is fixed too (the last 15% of each digit's images
// are the test set), independent of the seed.

import { createRequire } from 'node:module';
import seedrandom from 'seedrandom';
import { COLOR_MNIST } from '../graph/attributes';
import { encodeCondition } from '../graph/conditions';
import type { AttributeGroup } from '../graph/ports';
import type { Dataset, Sample } from './dataset';
import { dilate, resizeGrey } from './raster';

const MNIST_SIDE = 28;

/** RGB in 0..255 of each colour value; digit colours stay distinct on every background. */
export const DIGIT_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [220, 30, 30],
  blue: [30, 60, 220],
  green: [20, 160, 50],
  purple: [140, 40, 170],
  brown: [130, 80, 30],
};
export const BACKGROUND_COLOURS: Readonly<Record<string, readonly [number, number, number]>> = {
  cyan: [140, 235, 240],
  yellow: [250, 240, 110],
  white: [255, 255, 255],
  silver: [192, 192, 192],
  salmon: [250, 150, 130],
};

export interface ColorMnistAttributes {
  digit: string;
  color: string;
  style: string;
  background: string;
}

interface Digits {
  /** Grey 28×28 images in [0, 1], by digit. */
  readonly byDigit: readonly (readonly number[])[];
  readonly counts: readonly number[];
}

let digitsCache: Digits | undefined;
/** The package's raw arrays, read directly: its own get()/set() draw from unseeded Math.random. */
function loadDigits(): Digits {
  if (digitsCache) return digitsCache;
  const require = createRequire(import.meta.url);
  const byDigit = Array.from({ length: 10 }, (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data);
  digitsCache = { byDigit, counts: byDigit.map((a) => Math.floor(a.length / (MNIST_SIDE * MNIST_SIDE))) };
  return digitsCache;
}

/**
 * Renders digit image `j` of digit `d` with the given colours at `size` px, values in [-1, 1].
 * Stroke style draws only the outline: a ring just outside the digit's stroke.
 */
export function renderColorMnist(d: number, j: number, a: ColorMnistAttributes, size: number): Float32Array {
  const { byDigit } = loadDigits();
  const start = j * MNIST_SIDE * MNIST_SIDE;
  const grey = resizeGrey(byDigit[d]!.slice(start, start + MNIST_SIDE * MNIST_SIDE), MNIST_SIDE, MNIST_SIDE, size);
  let alpha = grey;
  if (a.style === 'stroke') {
    const r = Math.max(1, Math.round(size / 32));
    const outer = dilate(grey, size, r);
    alpha = outer.map((v, i) => Math.min(1, Math.max(0, v - grey[i]!)));
  }
  const fg = DIGIT_COLOURS[a.color]!;
  const bg = BACKGROUND_COLOURS[a.background]!;
  const out = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const t = alpha[i]!;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = ((1 - t) * bg[c]! + t * fg[c]!) / 127.5 - 1;
  }
  return out;
}

export interface ColorMnistOptions {
  imageSize: number;
  seed?: number;
  /** Defaults to digit, color, style, background; any subset, in any order. */
  groups?: readonly AttributeGroup[];
}

export function colorMnist(opts: ColorMnistOptions): Dataset & { attributesOf(i: number): ColorMnistAttributes } {
  const { counts } = loadDigits();
  const seed = opts.seed ?? 0;
  const groups = opts.groups ?? [COLOR_MNIST.digit, COLOR_MNIST.color, COLOR_MNIST.style, COLOR_MNIST.background];
  const known = new Set(Object.keys(COLOR_MNIST));
  for (const g of groups) if (!known.has(g.name)) throw new Error(`ColorMNIST has no attribute '${g.name}' (it has ${[...known].join(', ')})`);
  // Item order: digit by digit; the test set is the tail of each digit's images.
  const items: [number, number][] = [];
  const train: number[] = [];
  const test: number[] = [];
  counts.forEach((n, d) => {
    const cut = Math.floor(n * 0.85);
    for (let j = 0; j < n; j++) {
      (j < cut ? train : test).push(items.length);
      items.push([d, j]);
    }
  });
  const attributesOf = (i: number): ColorMnistAttributes => {
    const rand = seedrandom.alea(`${seed}:colormnist:${i}`);
    const pick = (g: AttributeGroup) => {
      const vs = g.kind === 'onehot' ? g.values : ['0', '1'];
      return vs[Math.floor(rand() * vs.length)]!;
    };
    return {
      digit: String(items[i]![0]),
      color: pick(COLOR_MNIST.color),
      style: pick(COLOR_MNIST.style),
      background: pick(COLOR_MNIST.background),
    };
  };
  return {
    title: `ColorMNIST (${opts.imageSize} px)`,
    imageSize: opts.imageSize,
    groups,
    train,
    test,
    flip: false,
    notes: [],
    attributesOf,
    load(i: number): Promise<Sample> {
      const [d, j] = items[i]!;
      const a = attributesOf(i);
      const image = renderColorMnist(d, j, a, opts.imageSize);
      return Promise.resolve({ image, labels: Float32Array.from(encodeCondition(groups, { ...a })) });
    },
  };
}
