// BatchMatMul on oneDNN's sgemm. Batch broadcasting is handled where one side has a single
// matrix (the common case); other broadcasts go to the cpu kernel.

import { type NativeKernel, alloc, floats, output, sizeOf } from './kernel-utils';

export const batchMatMul: NativeKernel = (args, addon) => {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const av = floats(args, a);
  const bv = floats(args, b);
  if (!av || !bv || a!.shape.length < 2 || b!.shape.length < 2) return undefined;
  const ra = a!.shape.length;
  const rb = b!.shape.length;
  const m = transposeA ? a!.shape[ra - 1]! : a!.shape[ra - 2]!;
  const k = transposeA ? a!.shape[ra - 2]! : a!.shape[ra - 1]!;
  const n = transposeB ? b!.shape[rb - 2]! : b!.shape[rb - 1]!;
  const batchA = a!.shape.slice(0, -2);
  const batchB = b!.shape.slice(0, -2);
  const na = sizeOf(batchA);
  const nb = sizeOf(batchB);
  const same = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
  if (!(same || na === 1 || nb === 1) || m * n * k === 0) return undefined;
  const batchShape = na >= nb ? (batchA.length >= batchB.length ? batchA : batchB) : batchB;
  if (!same && sizeOf(batchShape) !== Math.max(na, nb)) return undefined;
  const batch = Math.max(na, nb);
  const c = alloc(args, batch * m * n);
  addon.sgemm(av, bv, c, Int32Array.from([batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, na === 1 ? 0 : m * k, nb === 1 ? 0 : k * n]));
  return output(args, [...batchShape, m, n], c);
};
