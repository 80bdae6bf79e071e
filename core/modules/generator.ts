// G(z, a0): noise and base condition → a feature map shaped like the encoder's, so the same
// transformers and reconstructor work after it. [z, a0] is a 1×1 map; a k4 s1 transposed conv
// makes it 4×4, then k4 s2 transposed convs double it up to a quarter of the image size.

import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedParams } from '../graph/catalogue';
import { groupsLength, type AttributeGroup } from '../graph/ports';
import { expandFromPoint, instanceNormRelu, upsample2x } from './layers';
import { ModuleBase, type Shape, type VariableSpec, convTransposeSpec, normSpecs } from './module';

/** Number of k4 s2 doublings after the 1→4 layer: 4·2^n = imageSize/4. */
const doublings = (imageSize: number): number => Math.round(Math.log2(imageSize / 16));

/**
 * Channels of layer i of n+1: 4b at the last, doubling towards the first but at most 16b, so
 * a 128 px generator (1→4→8→16→32) runs 16b, 16b, 8b, 4b instead of growing to 32b.
 */
const layerChannels = (b: number, n: number, i: number): number => 4 * b * 2 ** Math.min(n - i, 2);

/** The weights a generator with resolved parameters `p` declares (names, shapes, initialisers). */
export function generatorWeights(p: ResolvedParams): VariableSpec[] {
  const b = p.baseChannels as number;
  const n = doublings(p.imageSize as number);
  const inputLength = (p.noiseLength as number) + groupsLength(p.attributes as AttributeGroup[]);
  const specs: VariableSpec[] = [];
  for (let i = 0; i <= n; i++) {
    const cin = i === 0 ? inputLength : layerChannels(b, n, i - 1);
    specs.push(convTransposeSpec(`G.up${i}`, 4, cin, layerChannels(b, n, i)), ...normSpecs(`G.norm${i}`, layerChannels(b, n, i)));
  }
  return specs;
}

export class Generator extends ModuleBase {
  readonly kind = 'G' as const;

  constructor(params: Readonly<Record<string, unknown>> = {}, seed = 0) {
    super('generator', params, seed, generatorWeights);
  }

  get conditionLength(): number {
    return groupsLength(this.params.attributes as AttributeGroup[]);
  }

  describe(): string {
    return `base channels ${this.int('baseChannels')}, image size ${this.int('imageSize')}, noise length ${this.int('noiseLength')}, condition length ${this.conditionLength}`;
  }

  outputShapes(inputs: { noise: Shape; condition: Shape }): { feature: Shape } {
    this.expectShape('noise', inputs.noise, ['N', this.int('noiseLength')], 'its noise length');
    const n = inputs.noise[0]!;
    this.expectShape('condition', inputs.condition, [n, this.conditionLength], 'one row per noise row, one slot per attribute value');
    const s = this.int('imageSize') / 4;
    return { feature: [n, s, s, 4 * this.int('baseChannels')] };
  }

  apply(inputs: { noise: tf.Tensor2D; condition: tf.Tensor2D }): { feature: tf.Tensor4D } {
    this.outputShapes({ noise: inputs.noise.shape, condition: inputs.condition.shape });
    const n = doublings(this.int('imageSize'));
    return tf.tidy(() => {
      const zc = this.conditionLength ? tf.concat([inputs.noise, inputs.condition], 1) : inputs.noise;
      let x = tf.reshape(zc, [zc.shape[0], 1, 1, zc.shape[1]]) as tf.Tensor4D;
      for (let i = 0; i <= n; i++) {
        const w = this.get(`G.up${i}.weight`) as tf.Tensor4D;
        x = i === 0 ? expandFromPoint(x, w) : upsample2x(x, w);
        x = instanceNormRelu(x, this.get(`G.norm${i}.gamma`), this.get(`G.norm${i}.beta`), true);
      }
      return { feature: x };
    });
  }
}
