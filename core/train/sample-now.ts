// "Sample now" with no training holding the model: the project's model is built as its
// training builds it, the run's latest checkpoint (if any) loaded into it, and one sample
// grid made, the same grid the trainer writes. Nothing is written: the run folder belongs to
// whoever trains it.

import { dirname, join, resolve } from 'node:path';
import { openDataset } from '../data/open';
import { readWeightsFile } from '../files/weights-file';
import { formatFileError, readProjectFile } from '../files/documents';
import { loadWeightsInto } from '../modules/weights';
import { checkpointWeightsFiles, latestCheckpoint, readCheckpointManifest } from './checkpoint';
import { hasFusedInstanceNorm } from '../modules/fused-norm';
import { memoryBudget } from '../runtime/memory-budget';
import { checkSampleMemory } from './memory';
import { buildPlannedModel, disposeModel, planTrainModel } from './model';
import { SAMPLE_ITEMS, TrainSetupError, defaultRunDir, fixedSamples, trainModelOptions } from './run';
import { sampleGrid } from './samples';

export interface RunSample {
  readonly png: Uint8Array;
  /** Iterations the weights had trained for (0: untrained). */
  readonly iteration: number;
  /** The checkpoint folder it came from; null when the run has none yet. */
  readonly checkpoint: string | null;
}

export async function sampleLatest(projectFile: string, opts: { runDir?: string } = {}): Promise<RunSample> {
  const read = await readProjectFile(projectFile);
  if (!read.ok) throw new TrainSetupError(read.errors.map((e) => formatFileError(projectFile, e)).join('\n'));
  const project = read.value.value;
  const t = project.training;
  if (!t) throw new TrainSetupError('the project has no "training" section');
  const baseDir = dirname(resolve(projectFile));
  const ref = project.datasets.find((d) => d.id === t.dataset);
  if (!ref) throw new TrainSetupError(`training.dataset '${t.dataset}' is not one of the project's datasets`);
  const dataset = await openDataset(ref, baseDir);
  const checkpoint = (await latestCheckpoint(join(opts.runDir ?? defaultRunDir(projectFile), 'checkpoints'))) ?? null;
  // Refused with the numbers before a weight is allocated, as a training of it would be.
  const plan = await planTrainModel(project.graph, trainModelOptions(project, dataset, baseDir));
  const memory = checkSampleMemory(plan, SAMPLE_ITEMS, dataset.imageSize, memoryBudget(), hasFusedInstanceNorm());
  if (!memory.ok) throw new TrainSetupError(memory.message);
  const model = await buildPlannedModel(plan, { seed: t.seed, baseDir });
  try {
    let iteration = 0;
    if (checkpoint) {
      const manifest = await readCheckpointManifest(checkpoint);
      const files = await checkpointWeightsFiles(checkpoint, manifest);
      for (const p of model.all) {
        const f = files.get(p.id);
        if (!f) throw new Error(`${join(checkpoint, 'manifest.json')}: the checkpoint has no weights for module '${p.id}'`);
        loadWeightsInto(p.module, await readWeightsFile(f));
      }
      iteration = manifest.iteration;
    }
    const grid = await sampleGrid(model, await fixedSamples(dataset, model, t.seed), dataset.imageSize);
    return { png: grid.png, iteration, checkpoint };
  } finally {
    disposeModel(model);
  }
}
