// `modulargan eval <project> --report <dir>`: the evaluation report of a trained project
// (classification error per target, the StarGAN-style baseline, ablations, FID, pictures):
// flags in, lines out; the work is core/engine's evaluate.

import { type EvalReport, evaluate } from '../core/engine/eval';
import { errorLine, optionalCount } from './flags';

export interface EvalCommandOptions {
  report?: string;
  classifierOnly?: boolean;
  iterationsClassifier?: string;
  classifierWidth?: string;
  classifierSeed?: string;
  retrainClassifier?: boolean;
  maxImages?: string;
  checkpoint?: string;
  backend?: string;
  /** commander's --no-baseline sets this false. */
  baseline?: boolean | string;
  trainBaseline?: string;
  trainNoCycle?: boolean;
  cycleAblation?: string;
  seed?: string;
}

/** The report's tables as the command prints them: one title line, then a line per method. */
export function summaryLines(r: EvalReport): string[] {
  const lines: string[] = [];
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const print = (title: string, t: NonNullable<typeof r.attributeAccuracy>, fmt = pct) => {
    lines.push(`${title} (${t.columns.join(', ')}):`);
    // A target that changes every attribute has nothing to keep: '–', as in the report.
    for (const row of t.rows) lines.push(`  ${row.method}: ${row.status === 'ok' ? t.columns.map((c) => (row.values[c] === undefined ? '–' : fmt(row.values[c]))).join(', ') : row.status}`);
  };
  // Rows of (method, target, scores) as one line per method, targets in the report's order.
  const perTarget = <T extends { method: string; target: string }>(title: string, rows: readonly T[], fmt: (row: T) => string) => {
    const methods = [...new Set(rows.map((c) => c.method))];
    const of = (m: string) => rows.filter((c) => c.method === m);
    lines.push(`${title} (${of(methods[0]!).map((c) => c.target).join(', ')}):`);
    for (const m of methods) lines.push(`  ${m}: ${of(m).map(fmt).join(', ')}`);
  };
  print('classification error', r.classificationError);
  print(r.mode === 'generation' ? 'digit kept' : 'other attributes kept', r.preservation);
  if (r.attributeAccuracy) print('each asked-for attribute read as asked, whole chain', r.attributeAccuracy);
  if (r.keptByValue) print("G's condition read as asked per value, whole chain", r.keptByValue);
  if (r.errorByAsked) print('classification error per value asked for, each attribute alone', r.errorByAsked);
  if (r.counterfactual?.length) perTarget('L1 / SSIM to the exact answer', r.counterfactual, (c) => `${c.scores.l1.toFixed(4)} / ${c.scores.ssim.toFixed(3)}`);
  if (r.counterfactualByChange) print('L1 to the exact answer per change asked for, each attribute alone', r.counterfactualByChange, (v) => v.toFixed(4));
  if (r.identity?.length) perTarget('L1 to the input, nothing asked to change', r.identity, (c) => c.scores.l1.toFixed(4));
  if (r.fid.length) {
    const targets = Object.keys(r.fid.find((f) => f.byTarget)?.byTarget ?? {});
    lines.push(`FID on the classifier's features (all targets${targets.length ? `, ${targets.join(', ')}` : ''}):`);
    for (const f of r.fid) {
      const values = [f.value ?? undefined, ...targets.map((t) => f.byTarget?.[t])];
      lines.push(`  ${f.method}: ${f.status === 'ok' ? values.map((v) => (v === undefined ? '–' : v.toFixed(1))).join(', ') : f.status}`);
    }
  }
  return lines;
}

/** Returns the exit code: 0 report written, 1 it could not be made (the message says why). */
export async function evalCommand(file: string, opts: EvalCommandOptions, log: (line: string) => void): Promise<number> {
  try {
    const classifierIterations = optionalCount(opts.iterationsClassifier, 'iterations-classifier', 0);
    const classifierWidth = optionalCount(opts.classifierWidth, 'classifier-width');
    const maxImages = optionalCount(opts.maxImages, 'max-images', 2);
    const variantIterations = optionalCount(opts.trainBaseline, 'train-baseline');
    const seed = optionalCount(opts.seed, 'seed', 0);
    const classifierSeed = optionalCount(opts.classifierSeed, 'classifier-seed', 0);
    const checkpoint = opts.checkpoint === 'best' ? 'best' : opts.checkpoint === undefined ? undefined : Number(opts.checkpoint);
    if (checkpoint !== undefined && checkpoint !== 'best' && !(Number.isInteger(checkpoint) && checkpoint >= 0))
      throw new Error(`--checkpoint must be an iteration (a whole number) or best, got '${opts.checkpoint}'`);
    if (opts.trainNoCycle && opts.cycleAblation) throw new Error('--train-no-cycle trains the derived λ_cyc = 0 variant and --cycle-ablation names another run: give one of them');
    const outcome = await evaluate(
      {
        file,
        ...(opts.report ? { reportDir: opts.report } : {}),
        classifierOnly: !!opts.classifierOnly,
        ...(opts.backend ? { backend: opts.backend } : {}),
        ...(classifierIterations === undefined ? {} : { classifierIterations }),
        ...(classifierWidth === undefined ? {} : { classifierWidth }),
        ...(seed === undefined ? {} : { seed }),
        ...(classifierSeed === undefined ? {} : { classifierSeed }),
        retrainClassifier: !!opts.retrainClassifier,
        ...(maxImages === undefined ? {} : { maxImages }),
        ...(checkpoint === undefined ? {} : { checkpoint }),
        ...(variantIterations === undefined ? {} : { variantIterations }),
        noCycle: opts.cycleAblation ? { project: opts.cycleAblation } : opts.trainNoCycle ? 'train' : 'reuse',
        baseline: opts.baseline === false ? 'skip' : typeof opts.baseline === 'string' ? { project: opts.baseline } : 'train',
      },
      log,
    );
    if (outcome.kind === 'classifier') {
      log(outcome.summary);
      return 0;
    }
    const { report: r, reportDir } = outcome;
    for (const line of summaryLines(r)) log(line);
    log(`report written to ${reportDir}/report.json and index.html`);
    return 0;
  } catch (e) {
    return errorLine(e, log);
  }
}
