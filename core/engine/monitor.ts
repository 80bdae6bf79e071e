// training.monitor for every front door that trains: when a project asks for it, the eval
// classifier is prepared (trained once, or reused from <project>.eval/) before the run, and
// the run gets its measurement; the classifier is released when the run ends.

import type { Project } from '../graph/format/project';
import { createTrainingMonitor } from '../eval/monitor';
import { projectDataset } from '../eval/runs';
import type { TrainModel } from '../train/model';

type Measure = (model: TrainModel) => Promise<Record<string, number>>;

/** Runs `train` with the project's monitor, if it has one (`measure` undefined otherwise). */
export async function withTrainingMonitor<T>(file: string, project: Project, log: (line: string) => void, train: (measure: Measure | undefined) => Promise<T>): Promise<T> {
  const settings = project.training?.monitor;
  if (!settings) return train(undefined);
  log(`monitoring every ${settings.every} iterations: FID and attribute accuracy on ${settings.images} held-out items, with the eval classifier`);
  const monitor = await createTrainingMonitor(file, await projectDataset(project, file), settings, log);
  try {
    return await train((model) => monitor.measure(model));
  } finally {
    monitor.dispose();
  }
}
