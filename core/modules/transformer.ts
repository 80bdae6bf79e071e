// T_i: changes one attribute group in the shared feature map. The condition is tiled over
// the map and concatenated, conv3 mixes it in, residual blocks give f'. A conv7 + tanh mask
// branch on f' says where to act; the output keeps f wherever the mask is near 0, which is
// what lets transformers be chained in any order at test time.

import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedParams } from '../graph/catalogue';
import { groupsLength, type AttributeGroup } from '../graph/ports';
import { conv2d, convNormRelu, resBlockStack } from './layers';
import { ModuleBase, type Shape, type VariableSpec, convSpec, normSpecs, resBlockStackSpecs } from './module';

/** f_t = g'·f' + (1 − g')·f, with the mask g' (N×H×W×1) broadcast over channels. */
export function maskedBlend(f: tf.Tensor4D, fPrime: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  return tf.add(f, tf.mul(mask, tf.sub(fPrime, f)));
}

/** g' = (1 + tanh(m)) / 2, in (0, 1). Only on G's path: tanh has no correct double backprop in tfjs. */
export const maskFromLogits = (m: tf.Tensor4D): tf.Tensor4D => tf.div(tf.add(1, tf.tanh(m)), 2);

/** The weights a transformer with resolved parameters `p` declares (names, shapes, initialisers). */
export function transformerWeights(p: ResolvedParams): VariableSpec[] {
  const c = 4 * (p.baseChannels as number);
  const specs: VariableSpec[] = [
    convSpec('T.conv0', 3, c + groupsLength(p.attributes as AttributeGroup[]), c),
    ...normSpecs('T.norm0', c),
    ...resBlockStackSpecs('T.res', p.resBlocks as number, c),
  ];
  if (p.useMask) specs.push(convSpec('T.mask', 7, c, 1));
  return specs;
}

export class Transformer extends ModuleBase {
  readonly kind = 'T' as const;

  constructor(params: Readonly<Record<string, unknown>> = {}, seed = 0) {
    super('transformer', params, seed, transformerWeights);
  }

  get conditionLength(): number {
    return groupsLength(this.params.attributes as AttributeGroup[]);
  }

  get useMask(): boolean {
    return this.params.useMask as boolean;
  }

  describe(): string {
    return `base channels ${this.int('baseChannels')}, ${this.int('resBlocks')} residual blocks, condition length ${this.conditionLength}, ${this.useMask ? 'with' : 'without'} mask`;
  }

  outputShapes(inputs: { feature: Shape; condition: Shape }): { feature: Shape; mask: Shape } {
    const c = 4 * this.int('baseChannels');
    this.expectShape('feature', inputs.feature, ['N', 'H', 'W', c], `4 × its base channels ${this.int('baseChannels')}`);
    const [n = 0, h = 0, w = 0] = inputs.feature;
    this.expectShape('condition', inputs.condition, [n, this.conditionLength], 'one row per feature map, one slot per attribute value');
    return { feature: [n, h, w, c], mask: [n, h, w, 1] };
  }

  /** f': what T computes before its mask blends it with f (the eval's "mask off" reads it too). */
  unmasked(f: tf.Tensor4D, condition: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      const [n, h, w] = f.shape;
      const len = this.conditionLength;
      const tiled = tf.tile(tf.reshape(condition, [n, 1, 1, len]), [1, h, w, 1]);
      const x = convNormRelu(len ? tf.concat([f, tiled], 3) as tf.Tensor4D : f, this.get, 'T.conv0', 'T.norm0', 1, 1);
      return resBlockStack(x, this.get, 'T.res', this.int('resBlocks'));
    });
  }

  apply(inputs: { feature: tf.Tensor4D; condition: tf.Tensor2D }): { feature: tf.Tensor4D; mask: tf.Tensor4D } {
    return tf.tidy(() => {
      const { feature, mask } = this.parts(inputs);
      return { feature, mask };
    });
  }

  /** apply's outputs and f' from one pass (training.lambdaUnmasked judges R(f') too). */
  parts(inputs: { feature: tf.Tensor4D; condition: tf.Tensor2D }): { feature: tf.Tensor4D; mask: tf.Tensor4D; unmasked: tf.Tensor4D } {
    this.outputShapes({ feature: inputs.feature.shape, condition: inputs.condition.shape });
    return tf.tidy(() => {
      const f = inputs.feature;
      const [n, h, w] = f.shape;
      const x = this.unmasked(f, inputs.condition);
      if (!this.useMask) return { feature: x, mask: tf.ones([n, h, w, 1]) as tf.Tensor4D, unmasked: x };
      const logits = conv2d(x, this.get('T.mask.weight') as tf.Tensor4D, 1, 3);
      const gain = this.params.maskGain as number;
      const mask = maskFromLogits(gain === 1 ? logits : tf.mul(logits, gain));
      return { feature: maskedBlend(f, x, mask), mask, unmasked: x };
    });
  }
}
