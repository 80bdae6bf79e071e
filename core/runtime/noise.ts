import seedrandom from 'seedrandom';

/**
 * Standard normal samples from a seed (Alea generator, Box–Muller). Item i of a run gets
 * seed `${seed}:${i}`, so an image does not depend on the batch size it was made in.
 */
export function gaussian(seed: string | number, n: number): Float32Array {
  const rand = seedrandom.alea(String(seed));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // 1 - u keeps the logarithm finite.
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const t = 2 * Math.PI * rand();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}
