// R: feature map → image. Optional residual blocks, then two k4 s2 transposed convs (IN + ReLU)
// undo the encoder's two halvings, then conv7 to RGB and tanh into [-1, 1]. The blocks give the
// decoder depth at the feature map's resolution: with masked transformers most of a face reaches
// R straight from E, where a single conditional transformer's residual blocks see every pixel.

import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedParams } from '../graph/catalogue';
import { conv2d, instanceNormRelu, resBlockStack, upsample2x } from './layers';
import { ModuleBase, type Shape, type VariableSpec, convSpec, convTransposeSpec, normSpecs, resBlockStackSpecs } from './module';

/** The weights a reconstructor with resolved parameters `p` declares (names, shapes, initialisers). */
export function reconstructorWeights(p: ResolvedParams): VariableSpec[] {
  const b = p.baseChannels as number;
  return [
    ...resBlockStackSpecs('R.res', p.resBlocks as number, 4 * b),
    convTransposeSpec('R.up0', 4, 4 * b, 2 * b),
    ...normSpecs('R.norm0', 2 * b),
    convTransposeSpec('R.up1', 4, 2 * b, b),
    ...normSpecs('R.norm1', b),
    convSpec('R.conv2', 7, b, 3),
  ];
}

export class Reconstructor extends ModuleBase {
  readonly kind = 'R' as const;

  constructor(params: Readonly<Record<string, unknown>> = {}, seed = 0) {
    super('reconstructor', params, seed, reconstructorWeights);
  }

  describe(): string {
    const size = this.int('imageSize');
    return `base channels ${this.int('baseChannels')}, ${this.int('resBlocks')} residual blocks, image size ${size || 'any'}`;
  }

  outputShapes(inputs: { feature: Shape }): { image: Shape } {
    const b = this.int('baseChannels');
    const size = this.int('imageSize');
    if (size) this.expectShape('feature', inputs.feature, ['N', size / 4, size / 4, 4 * b], `a quarter of its ${size} px image size, 4 × its base channels ${b}`);
    else this.expectShape('feature', inputs.feature, ['N', 'H', 'W', 4 * b], `4 × its base channels ${b}`);
    const [n = 0, h = 0, w = 0] = inputs.feature;
    return { image: [n, 4 * h, 4 * w, 3] };
  }

  apply(inputs: { feature: tf.Tensor4D }): { image: tf.Tensor4D } {
    this.outputShapes({ feature: inputs.feature.shape });
    return tf.tidy(() => {
      let x = inputs.feature;
      x = resBlockStack(x, this.get, 'R.res', this.int('resBlocks'));
      for (const i of [0, 1]) {
        x = upsample2x(x, this.get(`R.up${i}.weight`) as tf.Tensor4D);
        x = instanceNormRelu(x, this.get(`R.norm${i}.gamma`), this.get(`R.norm${i}.beta`), true);
      }
      return { image: tf.tanh(conv2d(x, this.get('R.conv2.weight') as tf.Tensor4D, 1, 3)) };
    });
  }
}
