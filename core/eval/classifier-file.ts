// The trained classifier on disk, in the evaluation folder: `classifier.json` (format, the
// configuration, what it was trained on, its held-out accuracy, and the tensors' names and
// shapes in order) and `classifier.bin` (their float32 values, little-endian, concatenated in
// that order). `key` records the dataset and training settings, so eval reuses a classifier
// only when it would have trained the same one.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { groupsLength } from '../graph/ports';
import { AttributeClassifier, type ClassifierConfig } from './classifier';
import { classifierWeights } from './memory';

export const CLASSIFIER_FORMAT = 'modulargan-classifier';

const groupSchema = z.union([
  z.object({ name: z.string(), kind: z.literal('onehot'), values: z.array(z.string()) }),
  z.object({ name: z.string(), kind: z.literal('binary') }),
]);

const headerSchema = z.object({
  format: z.literal(CLASSIFIER_FORMAT),
  version: z.literal(1),
  key: z.string(),
  config: z.object({ imageSize: z.number().int(), width: z.number().int(), groups: z.array(groupSchema), seed: z.number() }),
  iterations: z.number().int(),
  /** Held-out accuracy per attribute group. */
  accuracy: z.record(z.string(), z.number()),
  testImages: z.number().int(),
  tensors: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()) })),
});

export type ClassifierHeader = z.infer<typeof headerSchema>;

export async function saveClassifier(dir: string, c: AttributeClassifier, info: Omit<ClassifierHeader, 'format' | 'version' | 'config' | 'tensors'>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors = [...c.variables].map(([name, v]) => ({ name, shape: v.shape }));
  const parts = [...c.variables.values()].map((v) => v.dataSync<'float32'>());
  const total = parts.reduce((n, p) => n + p.length, 0);
  const bin = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    bin.set(p, at);
    at += p.length;
  }
  const header: ClassifierHeader = { format: CLASSIFIER_FORMAT, version: 1, config: { ...c.config, groups: c.config.groups.map((g) => (g.kind === 'onehot' ? { ...g, values: [...g.values] } : { ...g })) }, tensors, ...info };
  // Both written aside first; the old header goes before the new values move in, and the new
  // header comes last: a save stopped anywhere leaves either the old pair, no header (nothing
  // is reused; eval trains again), or the new pair — never a header over another's values.
  await writeFile(join(dir, 'classifier.bin.tmp'), new Uint8Array(bin.buffer));
  await writeFile(join(dir, 'classifier.json.tmp'), JSON.stringify(header, null, 2));
  await rm(join(dir, 'classifier.json'), { force: true });
  await rename(join(dir, 'classifier.bin.tmp'), join(dir, 'classifier.bin'));
  await rename(join(dir, 'classifier.json.tmp'), join(dir, 'classifier.json'));
}

/** The saved classifier in `dir` if its key is `key`, else undefined. */
export async function loadClassifier(dir: string, key: string): Promise<{ classifier: AttributeClassifier; header: ClassifierHeader } | undefined> {
  let header: ClassifierHeader;
  try {
    header = headerSchema.parse(JSON.parse(await readFile(join(dir, 'classifier.json'), 'utf8')));
  } catch {
    return undefined;
  }
  if (header.key !== key) return undefined;
  const bytes = await readFile(join(dir, 'classifier.bin'));
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  // The configuration is read from the file: a network it describes that the values on disk
  // do not fill is not built (a damaged or edited header could ask for any width).
  const c = header.config as ClassifierConfig;
  if (!Number.isInteger(c.width) || c.width < 1 || classifierWeights({ imageSize: c.imageSize, width: c.width, slots: groupsLength(c.groups) }) !== data.length) return undefined;
  const classifier = new AttributeClassifier(c);
  let at = 0;
  for (const t of header.tensors) {
    const v = classifier.variables.get(t.name);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!v || v.size !== size || at + size > data.length) {
      classifier.dispose();
      return undefined;
    }
    tf.tidy(() => v.assign(tf.tensor(data.subarray(at, at + size), v.shape)));
    at += size;
  }
  return { classifier, header };
}
