// The attribute classifier that eval and training.monitor read translations with: trained
// once per project and settings, saved in <project>.eval/, and reused from there.

import { join, resolve } from 'node:path';
import type { Dataset } from '../data/dataset';
import { groupsLength } from '../graph/ports';
import { memoryBudget } from '../runtime/memory-budget';
import type { MemoryVerdict } from '../runtime/memory-estimate';
import { loadClassifier, saveClassifier } from './classifier-file';
import { CLASSIFIER_BATCH, trainClassifier } from './classifier-train';
import { checkClassifierMemory } from './memory';
import { readProject } from './runs';

export const evalDir = (projectFile: string): string => resolve(projectFile).replace(/(\.mgproj)?\.json$/, '') + '.eval';

export const describeAccuracy = (accuracy: Readonly<Record<string, number>>): string =>
  `classifier accuracy on held-out real images: ${Object.entries(accuracy).map(([g, v]) => `${g} ${(100 * v).toFixed(1)}%`).join(', ')}`;

/** Refuses, naming the numbers, what the backend cannot hold; passes a warning on. */
export function requireMemory(verdict: MemoryVerdict, say: (l: string) => void): void {
  if (!verdict.ok) throw new Error(verdict.message);
  if (verdict.warning) say(verdict.warning);
}

export const DEFAULT_CLASSIFIER_WIDTH = 16;

/** The settings a classifier is trained with (eval's --iterations-classifier, --classifier-width, --classifier-seed or else --seed). */
export interface ClassifierSettings {
  classifierIterations?: number;
  classifierWidth?: number;
  seed?: number;
  /** The classifier's own seed, when it is not `seed`: other targets and noise, measured by the same classifier. */
  classifierSeed?: number;
}

const DEFAULT_CLASSIFIER_ITERATIONS = 3000;

/**
 * The folder a classifier trained with these (resolved) settings lives in: `classifier` for the
 * defaults (the one the demos ship), `classifier-seed1`, `classifier-w32-i5000`… for others, so
 * an eval with another seed or width never replaces the classifier another one reuses.
 */
function classifierFolder(width: number, iterations: number, seed: number): string {
  const parts = [seed && `seed${seed}`, width !== DEFAULT_CLASSIFIER_WIDTH && `w${width}`, iterations !== DEFAULT_CLASSIFIER_ITERATIONS && `i${iterations}`];
  return ['classifier', ...parts.filter(Boolean)].join('-');
}

/** Where eval keeps a project's classifier, and the key a saved one must carry to be reused. */
async function classifierSlot(projectFile: string, opts: ClassifierSettings) {
  const width = opts.classifierWidth ?? DEFAULT_CLASSIFIER_WIDTH;
  const iterations = opts.classifierIterations ?? DEFAULT_CLASSIFIER_ITERATIONS;
  const seed = opts.classifierSeed ?? opts.seed ?? 0;
  const project = await readProject(projectFile);
  const ref = project.datasets.find((d) => d.id === project.training!.dataset);
  // The schedule is part of the key: a classifier trained by an older recipe is not reused.
  const key = JSON.stringify({ dataset: ref, width, iterations, seed, schedule: 'adam-1e-3-linear-decay-half' });
  return { dir: join(evalDir(projectFile), classifierFolder(width, iterations, seed)), key, ref, width, iterations, seed };
}

/**
 * The saved classifier eval would reuse for these settings, if there is one. The demos ship
 * theirs: a classifier trained anew on another machine or thread count is another classifier
 * (the native backend's sums run in another order), and FID moves with it.
 */
export async function savedClassifier(projectFile: string, opts: ClassifierSettings = {}) {
  const { dir, key } = await classifierSlot(projectFile, opts);
  return loadClassifier(dir, key);
}

/** The classifier eval uses: the saved one when it was trained with the same settings, else trained now and saved. */
export async function prepareClassifier(projectFile: string, dataset: Dataset, opts: ClassifierSettings & { retrainClassifier?: boolean }, say: (l: string) => void) {
  const { dir, key, ref, width, iterations, seed } = await classifierSlot(projectFile, opts);
  // Before the classifier is loaded or built: a width or image size the machine cannot hold is refused here.
  requireMemory(checkClassifierMemory({ imageSize: dataset.imageSize, width, slots: groupsLength(dataset.groups) }, CLASSIFIER_BATCH, memoryBudget()), say);
  if (!opts.retrainClassifier) {
    const got = await loadClassifier(dir, key);
    if (got) {
      say(`reusing the attribute classifier in ${dir}`);
      return { classifier: got.classifier, accuracy: got.header.accuracy, testImages: got.header.testImages, iterations, width, seed, reused: true };
    }
  }
  say(`training the attribute classifier (width ${width}, ${iterations} iterations)`);
  let last = 0;
  const t = await trainClassifier(dataset, {
    iterations,
    width,
    seed,
    ...(ref ? { datasetName: `dataset '${ref.id}' (${dataset.title})` } : {}),
    onProgress: (done, loss) => {
      if (Date.now() - last > 15_000 || done === iterations) {
        last = Date.now();
        say(`classifier iteration ${done}/${iterations}, loss ${loss.toFixed(4)}`);
      }
    },
  });
  await saveClassifier(dir, t.classifier, { key, iterations, accuracy: t.accuracy, testImages: t.testImages });
  return { classifier: t.classifier, accuracy: t.accuracy, testImages: t.testImages, iterations, width, seed, reused: false };
}
