// Seeded random numbers for weight initialisation. Our own generator rather than
// tf.randomNormal so that the initial weights are the same on every backend and tfjs
// version, and each tensor's values depend only on (seed, tensor name): adding a layer to a
// module does not shift the initial values of the others.

/** 32-bit FNV-1a hash of a string, mixed with a seed. */
export function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Also fold in the seed's high bits, which the xor above only touched once.
  return Math.imul(h ^ Math.floor(seed / 2 ** 32), 0x9e3779b1) >>> 0;
}

/** mulberry32: small, fast and good enough for initial weights; returns a draw in [0, 1). */
export function uniformStream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` draws from N(0, std²) by Box–Muller, as float32. */
export function normalValues(seed: number, count: number, std: number): Float32Array {
  const next = uniformStream(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    // 1 - u keeps the logarithm's argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - next())) * std;
    const theta = 2 * Math.PI * next();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
