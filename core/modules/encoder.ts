// E: image → the feature map every transformer shares. conv7 s1, then two conv4 s2 halvings
// (each with instance norm and ReLU), then optional residual blocks: 3×H×W → 4b×H/4×W/4.

import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedParams } from '../graph/catalogue';
import { convNormRelu, resBlockStack } from './layers';
import { ModuleBase, type Shape, type VariableSpec, convSpec, normSpecs, resBlockStackSpecs } from './module';

/** The weights an encoder with resolved parameters `p` declares (names, shapes, initialisers). */
export function encoderWeights(p: ResolvedParams): VariableSpec[] {
  const b = p.baseChannels as number;
  return [
    convSpec('E.conv0', 7, 3, b),
    ...normSpecs('E.norm0', b),
    convSpec('E.conv1', 4, b, 2 * b),
    ...normSpecs('E.norm1', 2 * b),
    convSpec('E.conv2', 4, 2 * b, 4 * b),
    ...normSpecs('E.norm2', 4 * b),
    ...resBlockStackSpecs('E.res', p.resBlocks as number, 4 * b),
  ];
}

export class Encoder extends ModuleBase {
  readonly kind = 'E' as const;

  constructor(params: Readonly<Record<string, unknown>> = {}, seed = 0) {
    super('encoder', params, seed, encoderWeights);
  }

  describe(): string {
    const size = this.int('imageSize');
    return `base channels ${this.int('baseChannels')}, ${this.int('resBlocks')} residual blocks, image size ${size || 'any'}`;
  }

  outputShapes(inputs: { image: Shape }): { feature: Shape } {
    const size = this.int('imageSize');
    const [n = 0, h = 0, w = 0] = inputs.image;
    if (size) this.expectShape('image', inputs.image, ['N', size, size, 3], `this encoder is for ${size} px images`);
    else this.expectShape('image', inputs.image, ['N', 'H', 'W', 3], 'an RGB image');
    if (h % 4 || w % 4) throw new Error(`Encoder: image size ${h}x${w} must be divisible by 4 (two stride-2 layers)`);
    return { feature: [n, h / 4, w / 4, 4 * this.int('baseChannels')] };
  }

  apply(inputs: { image: tf.Tensor4D }): { feature: tf.Tensor4D } {
    this.outputShapes({ image: inputs.image.shape });
    return tf.tidy(() => {
      let x = convNormRelu(inputs.image, this.get, 'E.conv0', 'E.norm0', 1, 3);
      x = convNormRelu(x, this.get, 'E.conv1', 'E.norm1', 2, 1);
      x = convNormRelu(x, this.get, 'E.conv2', 'E.norm2', 2, 1);
      x = resBlockStack(x, this.get, 'E.res', this.int('resBlocks'));
      return { feature: x };
    });
  }
}
