// `tsx scripts/stamp-trained-on.ts <project.mgproj.json> <weights.mgw>...`: writes into
// weights files what they were trained on (meta.trainedOn: the project's training dataset,
// its image size and its images' statistics), for files exported before the trainer
// recorded it. Runs then warn when such a module is fed images of another size or kind
// (core/runtime/training-fit.ts). Only the header changes: the values, their precision and
// the checksum stay as they were.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../core/files/atomic';
import { readProjectFile } from '../core/files/documents';
import { decodeWeights, reencodeWeights } from '../core/modules/weights';
import { trainedOnOfProject } from '../core/train/export';

const [projectFile, ...files] = process.argv.slice(2);
if (!projectFile || !files.length) {
  console.error('usage: tsx scripts/stamp-trained-on.ts <project.mgproj.json> <weights.mgw>...');
  process.exit(2);
}
const read = await readProjectFile(resolve(projectFile));
if (!read.ok) throw new Error(`${projectFile}: ${read.errors.map((e) => e.message).join('; ')}`);
const trainedOn = await trainedOnOfProject(read.value.value, dirname(resolve(projectFile)));
if (!trainedOn) throw new Error(`${projectFile}: the project names no training dataset`);
for (const file of files) {
  const before = await readFile(file);
  const decoded = decodeWeights(new Uint8Array(before.buffer, before.byteOffset, before.byteLength));
  const storage = decoded.header.tensors.some((t) => t.dtype === 'float16') ? 'float16' : 'float32';
  const after = reencodeWeights(decoded, storage, { ...decoded.header.meta, trainedOn });
  if (decodeWeights(after).header.sha256 !== decoded.header.sha256) throw new Error(`${file}: re-encoding changed the values; nothing written`);
  await writeFileAtomic(file, after, { backup: false });
  console.log(`${file}: trained on ${trainedOn.dataset}, ${trainedOn.imageSize} px (${trainedOn.images.count} images' statistics)`);
}
