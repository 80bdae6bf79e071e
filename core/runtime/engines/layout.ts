// NHWC (tfjs, images in the engine) <-> NCHW (ONNX) for float32 arrays.

export function nhwcToNchw(src: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(src.length);
  const hw = h * w;
  for (let b = 0; b < n; b++)
    for (let p = 0; p < hw; p++)
      for (let k = 0; k < c; k++) out[(b * c + k) * hw + p] = src[(b * hw + p) * c + k]!;
  return out;
}

export function nchwToNhwc(src: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(src.length);
  const hw = h * w;
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let p = 0; p < hw; p++) out[(b * hw + p) * c + k] = src[(b * c + k) * hw + p]!;
  return out;
}
