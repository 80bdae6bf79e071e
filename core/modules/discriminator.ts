// D_i: image → (patch real/fake map, attribute logits). `depth` conv4 s2 layers with leaky
// ReLU 0.01 and no normalisation (the gradient penalty is per sample), then two heads: conv3
// to one channel (the WGAN critic per patch) and a conv covering the whole remaining map to
// the attribute logits. Everything here must have a correct second derivative in tfjs, so
// only convs, relu and linear ops: no tanh, sigmoid, exp or tf.leakyRelu.

import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedParams } from '../graph/catalogue';
import { groupsLength, type AttributeGroup } from '../graph/ports';
import { conv2d, convLeakyRelu } from './layers';
import { ModuleBase, type Shape, type VariableSpec, convSpec } from './module';

export const DISCRIMINATOR_SLOPE = 0.01;

/** Channels of stride-2 layer i: b, 2b, 4b, … */
const layerChannels = (b: number, i: number): number => b * 2 ** i;

/** The weights a discriminator with resolved parameters `p` declares (names, shapes, initialisers). */
export function discriminatorWeights(p: ResolvedParams): VariableSpec[] {
  const b = p.baseChannels as number;
  const depth = p.depth as number;
  const specs: VariableSpec[] = [];
  for (let i = 0; i < depth; i++) specs.push(convSpec(`D.conv${i}`, 4, i ? layerChannels(b, i - 1) : 3, layerChannels(b, i)));
  const top = layerChannels(b, depth - 1);
  specs.push(convSpec('D.src', 3, top, 1));
  const len = groupsLength(p.attributes as AttributeGroup[]);
  if (len) specs.push(convSpec('D.cls', (p.imageSize as number) / 2 ** depth, top, len));
  return specs;
}

export class Discriminator extends ModuleBase {
  readonly kind = 'D' as const;

  constructor(params: Readonly<Record<string, unknown>> = {}, seed = 0) {
    super('discriminator', params, seed, discriminatorWeights);
  }

  get conditionLength(): number {
    return groupsLength(this.params.attributes as AttributeGroup[]);
  }

  /** Side of the patch map: the image size halved `depth` times. */
  get patchSize(): number {
    return this.int('imageSize') / 2 ** this.int('depth');
  }

  describe(): string {
    return `base channels ${this.int('baseChannels')}, image size ${this.int('imageSize')}, depth ${this.int('depth')}, condition length ${this.conditionLength}`;
  }

  outputShapes(inputs: { image: Shape }): { patch: Shape; logits: Shape } {
    const s = this.int('imageSize');
    this.expectShape('image', inputs.image, ['N', s, s, 3], `this discriminator is for ${s} px images`);
    const n = inputs.image[0]!;
    return { patch: [n, this.patchSize, this.patchSize, 1], logits: [n, this.conditionLength] };
  }

  apply(inputs: { image: tf.Tensor4D }): { patch: tf.Tensor4D; logits: tf.Tensor2D } {
    this.outputShapes({ image: inputs.image.shape });
    return tf.tidy(() => {
      let x = inputs.image;
      for (let i = 0; i < this.int('depth'); i++)
        x = convLeakyRelu(x, this.get(`D.conv${i}.weight`) as tf.Tensor4D, 2, 1, DISCRIMINATOR_SLOPE);
      const n = x.shape[0];
      const patch = conv2d(x, this.get('D.src.weight') as tf.Tensor4D, 1, 1);
      const logits = this.conditionLength
        ? tf.reshape(conv2d(x, this.get('D.cls.weight') as tf.Tensor4D, 1, 0), [n, this.conditionLength])
        : tf.zeros([n, 0]);
      return { patch, logits: logits as tf.Tensor2D };
    });
  }
}
