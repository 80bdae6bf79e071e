// Small pixel helpers for datasets rendered in JavaScript (ColorMNIST): bilinear resizing
// of a grey map and morphological dilation, on plain Float32Arrays.

/** Resizes a w×h single-channel map to size×size, bilinear with pixel centres aligned. */
export function resizeGrey(src: Float32Array | readonly number[], w: number, h: number, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const sx = w / size;
  const sy = h / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const ty = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const tx = fx - x0;
      const a = src[y0 * w + x0]! * (1 - tx) + src[y0 * w + x1]! * tx;
      const b = src[y1 * w + x0]! * (1 - tx) + src[y1 * w + x1]! * tx;
      out[y * size + x] = a * (1 - ty) + b * ty;
    }
  }
  return out;
}

/** Grey dilation with a (2r+1)² square: each pixel becomes the maximum of its neighbourhood. */
export function dilate(src: Float32Array, size: number, r: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let m = 0;
      for (let dy = -r; dy <= r; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= size) continue;
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < size) m = Math.max(m, src[yy * size + xx]!);
        }
      }
      out[y * size + x] = m;
    }
  return out;
}

/** Flips an HxWx3 image left-right, in a new array. */
export function flipHorizontal(img: Float32Array, size: number): Float32Array {
  const out = new Float32Array(img.length);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      for (let c = 0; c < 3; c++) out[(y * size + x) * 3 + c] = img[(y * size + (size - 1 - x)) * 3 + c]!;
  return out;
}
