// The ModularGAN modules written as ONNX operators (NCHW), mirroring core/modules layer for
// layer and reading the same named weights. Tests hold the two implementations together.

import type { OnnxGraph } from './builder';

/** A module's weight by its full name ("T.res0.conv1.weight"), in tfjs layout. */
export type WeightSource = (name: string) => { shape: readonly number[]; data: Float32Array };

/** Instance norm epsilon, as in core/modules/layers.ts. */
const EPSILON = 1e-5;

/**
 * tfjs filters are [kh, kw, in, out] (conv) and [kh, kw, out, in] (transposed conv); ONNX wants
 * [out, in, kh, kw] and [in, out, kh, kw]. Both are the axis permutation (3, 2, 0, 1).
 */
export function toOnnxFilter(shape: readonly number[], data: Float32Array): { dims: number[]; data: Float32Array } {
  const [kh, kw, a, b] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < a; i++)
        for (let o = 0; o < b; o++) out[((o * a + i) * kh + y) * kw + x] = data[((y * kw + x) * a + i) * b + o]!;
  return { dims: [b, a, kh, kw], data: out };
}

export class ModuleEmitter {
  constructor(
    private readonly g: OnnxGraph,
    private readonly w: WeightSource,
    /** Prefix for initializer names, so two modules of one kind can share a graph. */
    private readonly scope: string,
  ) {}

  private filter(name: string): string {
    const { shape, data } = this.w(name);
    const f = toOnnxFilter(shape, data);
    return this.g.floats(`${this.scope}/${name}`, f.dims, f.data);
  }

  private vector(name: string): string {
    const { shape, data } = this.w(name);
    return this.g.floats(`${this.scope}/${name}`, shape, data);
  }

  conv(x: string, name: string, stride: number, pad: number): string {
    const k = this.w(`${name}.weight`).shape[0]!;
    return this.g.op('Conv', [x, this.filter(`${name}.weight`)], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
  }

  convTranspose(x: string, name: string, stride: number, pad: number): string {
    const k = this.w(`${name}.weight`).shape[0]!;
    return this.g.op('ConvTranspose', [x, this.filter(`${name}.weight`)], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
  }

  normRelu(x: string, norm: string): string {
    const y = this.g.op('InstanceNormalization', [x, this.vector(`${norm}.gamma`), this.vector(`${norm}.beta`)], { epsilon: EPSILON });
    return this.g.op('Relu', [y]);
  }

  resBlock(x: string, name: string): string {
    const y = this.normRelu(this.conv(x, `${name}.conv0`, 1, 1), `${name}.norm0`);
    const z = this.conv(y, `${name}.conv1`, 1, 1);
    const n = this.g.op('InstanceNormalization', [z, this.vector(`${name}.norm1.gamma`), this.vector(`${name}.norm1.beta`)], { epsilon: EPSILON });
    return this.g.op('Add', [x, n]);
  }

  /** `n` residual blocks named `${prefix}0`, `${prefix}1`, … (core/modules/layers.ts resBlockStack). */
  resBlockStack(x: string, prefix: string, n: number): string {
    for (let i = 0; i < n; i++) x = this.resBlock(x, `${prefix}${i}`);
    return x;
  }

  encoder(image: string, resBlocks: number): string {
    let x = this.normRelu(this.conv(image, 'E.conv0', 1, 3), 'E.norm0');
    x = this.normRelu(this.conv(x, 'E.conv1', 2, 1), 'E.norm1');
    x = this.normRelu(this.conv(x, 'E.conv2', 2, 1), 'E.norm2');
    return this.resBlockStack(x, 'E.res', resBlocks);
  }

  /** Returns the transformed feature map and the mask g' (N×1×H×W). */
  transformer(f: string, condition: string, conditionLength: number, resBlocks: number, useMask: boolean, maskGain = 1): { feature: string; mask: string } {
    const g = this.g;
    const shape = g.op('Shape', [f]);
    const nhw = (c: number) => g.op('Concat', [g.op('Slice', [shape, g.ints([0]), g.ints([1])]), g.ints([c]), g.op('Slice', [shape, g.ints([2]), g.ints([4])])], { axis: 0 });
    let x = f;
    if (conditionLength) {
      const tiled = g.op('Expand', [g.op('Reshape', [condition, g.ints([0, conditionLength, 1, 1])]), nhw(conditionLength)]);
      x = g.op('Concat', [f, tiled], { axis: 1 });
    }
    x = this.normRelu(this.conv(x, 'T.conv0', 1, 1), 'T.norm0');
    x = this.resBlockStack(x, 'T.res', resBlocks);
    if (!useMask) return { feature: x, mask: g.op('Expand', [g.scalar(1), nhw(1)]) };
    const logits = this.conv(x, 'T.mask', 1, 3);
    const mask = g.op('Mul', [g.op('Add', [g.op('Tanh', [maskGain === 1 ? logits : g.op('Mul', [logits, g.scalar(maskGain)])]), g.scalar(1)]), g.scalar(0.5)]);
    // f + g'(f' − f) = g'f' + (1 − g')f
    return { feature: g.op('Add', [f, g.op('Mul', [mask, g.op('Sub', [x, f])])]), mask };
  }

  reconstructor(feature: string, resBlocks: number): string {
    let x = this.resBlockStack(feature, 'R.res', resBlocks);
    for (const i of [0, 1]) x = this.normRelu(this.convTranspose(x, `R.up${i}`, 2, 1), `R.norm${i}`);
    return this.g.op('Tanh', [this.conv(x, 'R.conv2', 1, 3)]);
  }

  generator(noise: string, condition: string | null, layers: number): string {
    const zc = condition ? this.g.op('Concat', [noise, condition], { axis: 1 }) : noise;
    let x = this.g.op('Unsqueeze', [zc, this.g.ints([2, 3])]);
    for (let i = 0; i < layers; i++) x = this.normRelu(this.convTranspose(x, `G.up${i}`, i === 0 ? 1 : 2, i === 0 ? 0 : 1), `G.norm${i}`);
    return x;
  }
}
