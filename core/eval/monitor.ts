// training.monitor: what `modulargan eval` would say of the model, measured while it trains.
// Every `every` iterations the eval classifier (trained once, saved where eval keeps it, and
// reused by eval afterwards) reads held-out items translated to every target; the run logs
// the FID of those translations, with every transformer asked for a change the fraction of
// items where each attribute is read as asked, the worst target's fraction of other
// attributes kept and, where the dataset renders the exact answer (synthetic faces), the worst
// target's L1 distance to it: identity, which FID and the classifier do not see. The items,
// targets, seed and classifier are eval's, so eval of the checkpoint written at that iteration
// gives the same numbers.

import type { Dataset } from '../data/dataset';
import type { TrainModel } from '../train/model';
import { prepareClassifier } from './classifier-prepare';
import { runProtocol } from './protocol';

export interface MonitorSettings {
  readonly images: number;
  readonly seed: number;
  readonly classifierIterations?: number;
  readonly classifierWidth?: number;
}

export interface TrainingMonitor {
  /** The log's keys: eval_fid, eval_error (all attributes asked at once), eval_acc_<group>, eval_kept and eval_l1 (the worst target's). */
  measure(model: TrainModel): Promise<Record<string, number>>;
  dispose(): void;
}

export async function createTrainingMonitor(projectFile: string, dataset: Dataset, s: MonitorSettings, say: (line: string) => void): Promise<TrainingMonitor> {
  const { classifier } = await prepareClassifier(
    projectFile,
    dataset,
    { seed: s.seed, ...(s.classifierIterations ? { classifierIterations: s.classifierIterations } : {}), ...(s.classifierWidth ? { classifierWidth: s.classifierWidth } : {}) },
    say,
  );
  return {
    async measure(model) {
      const r = await runProtocol(dataset, classifier, model, [], { maxImages: s.images, seed: s.seed, ablations: false, counterfactuals: true, pictures: 0 });
      const m = r.methods[0]!;
      const all = r.targets.at(-1)!.code;
      return {
        ...(m.fid === undefined ? {} : { eval_fid: m.fid }),
        eval_error: m.error[all]!,
        ...Object.fromEntries(Object.entries(m.attributes).map(([g, v]) => [`eval_acc_${g}`, v])),
        // The target that disturbs what it should leave alone most: a transformer that flips
        // another attribute shows here long before the accuracies move.
        ...(Object.keys(m.kept).length ? { eval_kept: Math.min(...Object.values(m.kept)) } : {}),
        ...(m.counterfactual ? { eval_l1: Math.max(...Object.values(m.counterfactual).map((x) => x.l1)) } : {}),
      };
    },
    dispose: () => classifier.dispose(),
  };
}
