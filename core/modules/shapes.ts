// The catalogue speaks in channel-first port types (feature C×H×W, as in the paper); tensors
// in tfjs are NHWC. These two functions are the one place where the layouts meet.

import type { Dim } from '../graph/dims';
import { type PortType, describeType, dimsOf } from '../graph/ports';

/** The tensor shape of a batch of `n` values of a port type whose sizes are all known. */
export function tensorShapeOf(t: PortType, n: number): number[] {
  const known = dimsOf(t).map(([name, d]: [string, Dim]) => {
    if (typeof d !== 'number') throw new Error(`the ${name} of ${describeType(t)} is not known yet`);
    return d;
  });
  switch (t.kind) {
    case 'image':
    case 'feature': {
      const [c, h, w] = known as [number, number, number];
      return [n, h, w, c];
    }
    case 'mask':
      return [n, known[0]!, known[1]!, 1];
    case 'condition':
    case 'noise':
      return [n, known[0]!];
  }
}

/** The port type of a tensor travelling as `kind` (the batch dimension is dropped). */
export function portTypeOf(kind: PortType['kind'], shape: readonly number[]): PortType {
  const [, h = 0, w = 0, c = 0] = shape;
  switch (kind) {
    case 'image':
      return { kind, channels: c, h, w };
    case 'feature':
      return { kind, c, h, w };
    case 'mask':
      return { kind, h, w };
    case 'condition':
    case 'noise':
      return { kind, length: shape[1] ?? 0 };
  }
}
