// The attribute classifier: shapes, losses per group kind, decoding, save/load, and a few
// training steps that reduce the loss.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttributeClassifier, classifierLoss, labelGroups, predictGroups } from '../../../core/eval/classifier';
import { loadClassifier, saveClassifier } from '../../../core/eval/classifier-file';
import { trainClassifier } from '../../../core/eval/classifier-train';
import { colorMnist } from '../../../core/data/colormnist';
import { COLOR_MNIST, SYNTHETIC_FACES } from '../../../core/graph/attributes';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

const groups = [SYNTHETIC_FACES.hair, SYNTHETIC_FACES.smiling];

describe('attribute classifier', () => {
  it('gives one logit per slot and 8·width features', () => {
    const c = new AttributeClassifier({ imageSize: 16, width: 2, groups, seed: 1 });
    const out = c.apply(tf.zeros([3, 16, 16, 3]));
    expect(out.logits.shape).toEqual([3, 4]);
    expect(out.features.shape).toEqual([3, 16]);
    expect(c.featureLength).toBe(16);
    c.dispose();
  });

  it('uses softmax cross-entropy for one-hot groups and BCE for binary ones', () => {
    const logits = tf.tensor2d([[0, 0, 0, 0]]);
    const labels = tf.tensor2d([[1, 0, 0, 1]]);
    // (log 3 + log 2) / 2
    expect(classifierLoss(groups, logits, labels).dataSync()[0]).toBeCloseTo((Math.log(3) + Math.log(2)) / 2, 5);
  });

  it('decodes predictions and labels per group', () => {
    expect(predictGroups(groups, Float32Array.from([0, 2, 1, -1, 5, 0, 0, 3]), 2)).toEqual([[1, 0], [0, 1]]);
    expect(labelGroups(groups, Float32Array.from([0, 0, 1, 1]), 1)).toEqual([[2, 1]]);
  });

  it('trains: the loss falls over a few steps, and it saves and loads exactly', async () => {
    const data = colorMnist({ imageSize: 16, seed: 0, groups: [COLOR_MNIST.color, COLOR_MNIST.background] });
    const t = await trainClassifier(data, { iterations: 12, width: 2, batchSize: 16, learningRate: 3e-3, maxTestImages: 16 });
    const first = t.losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = t.losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(last).toBeLessThan(first);
    expect(Object.keys(t.accuracy)).toEqual(['color', 'background']);
    const dir = mkdtempSync(join(tmpdir(), 'mg-cls-'));
    await saveClassifier(dir, t.classifier, { key: 'k1', iterations: 12, accuracy: t.accuracy, testImages: t.testImages });
    expect(await loadClassifier(dir, 'other')).toBeUndefined();
    const back = (await loadClassifier(dir, 'k1'))!;
    const x = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    expect(back.classifier.apply(x).logits.arraySync()).toEqual(t.classifier.apply(x).logits.arraySync());
    t.classifier.dispose();
    back.classifier.dispose();
    // A header edited to describe a wider network than its values fill is not built (it could ask for any width).
    const header = JSON.parse(readFileSync(join(dir, 'classifier.json'), 'utf8')) as { config: { width: number } };
    header.config.width = 4096;
    writeFileSync(join(dir, 'classifier.json'), JSON.stringify(header));
    const before = tf.memory().numBytes;
    expect(await loadClassifier(dir, 'k1')).toBeUndefined();
    expect(tf.memory().numBytes).toBe(before);
  });
});
