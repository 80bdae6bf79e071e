// Evaluating a trained project, for every front door: the backend chosen by name, the
// project read through the checked reader (core/eval/runs.ts), then either the attribute
// classifier alone or the whole report (core/eval/evaluate.ts).

import { describeAccuracy, prepareClassifier } from '../eval/classifier-prepare';
import { type EvalOptions, evaluateProject } from '../eval/evaluate';
import type { EvalReport } from '../eval/report-schema';
import { projectDataset, readProject } from '../eval/runs';
import { startTrainingBackend } from './backends';
import { RunError } from './errors';

export type { EvalReport };

export interface EvalJob extends Omit<EvalOptions, 'reportDir' | 'log'> {
  readonly file: string;
  /** Folder for report.json, index.html and the PNGs; not needed with classifierOnly. */
  readonly reportDir?: string;
  /** Only train (or reuse) the attribute classifier and measure it; needs no trained run. */
  readonly classifierOnly?: boolean;
  /** A training backend by name (default auto). */
  readonly backend?: string;
}

export type EvalOutcome =
  | { readonly kind: 'classifier'; readonly accuracy: Readonly<Record<string, number>>; readonly summary: string }
  | { readonly kind: 'report'; readonly report: EvalReport; readonly reportDir: string };

/** Evaluates a project; throws with a message for the user when it cannot. */
export async function evaluate(job: EvalJob, log: (line: string) => void = () => {}): Promise<EvalOutcome> {
  const { file, reportDir, classifierOnly, backend, ...settings } = job;
  if (!reportDir && !classifierOnly) throw new RunError('--report <dir> is needed (or --classifier-only)');
  const active = await startTrainingBackend(backend ?? 'auto');
  log(`backend: ${active.active}`);
  if (classifierOnly) {
    // The classifier needs only the dataset: it can be trained (and checked) before the GAN is.
    const project = await readProject(file);
    const c = await prepareClassifier(file, await projectDataset(project, file), settings, log);
    return { kind: 'classifier', accuracy: c.accuracy, summary: describeAccuracy(c.accuracy) };
  }
  const r = await evaluateProject(file, { ...settings, reportDir: reportDir!, log });
  return { kind: 'report', report: r.report, reportDir: r.reportDir };
}
