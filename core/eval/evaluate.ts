// `modulargan eval`, as a library call: trains (or reuses) the attribute classifier, loads the
// trained ModularGAN run and trains (or reuses) the StarGAN-style baseline and the no-cycle
// variant, runs the protocol, and writes report.json, index.html and the PNGs into a folder.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { encodePng } from '../data/images';
import { type TrainModel, disposeModel } from '../train/model';
import type { AttributeClassifier } from './classifier';
import { type ClassifierSettings, DEFAULT_CLASSIFIER_WIDTH, describeAccuracy, prepareClassifier, requireMemory } from './classifier-prepare';
import { CLASSIFIER_BATCH } from './classifier-train';
import { checkEvalMemory } from './memory';
import type { Project } from '../graph/format/project';
import { groupsLength } from '../graph/ports';
import { memoryBudget } from '../runtime/memory-budget';
import { type TrainingMonitor, createTrainingMonitor } from './monitor';
import { type MethodSpec, PROTOCOL_CHUNK, type Pictures, type ProtocolResult, runProtocol } from './protocol';
import { type LossSeries, reportHtml } from './report-html';
import { type EvalReport, REPORT_FORMAT, reportSchema } from './report-schema';
import { type CheckpointChoice, type LoadedRun, type Variant, bestIfNamed, ensureVariant, loadRun, planRun, projectDataset, readProject, variantFile } from './runs';
import { defaultRunDir } from '../train/run';

export const MINIMUM_ACCURACY = 0.95;
export const BASELINE = 'StarGAN baseline';
export const NO_CYCLE = 'ModularGAN, λ_cyc = 0';
export const NO_MASK = 'ModularGAN, no mask at test';

const BEST_BY = { fid: 'the monitored FID', losses: 'the reconstruction and cycle losses' } as const;

/** The classifier's settings (ClassifierSettings: its `seed` is also the seed of the targets and noise), and the rest. */
export interface EvalOptions extends ClassifierSettings {
  reportDir: string;
  retrainClassifier?: boolean;
  maxImages?: number;
  /** The ModularGAN run's checkpoint to evaluate: by iteration, or the run's best (default: the newest). */
  checkpoint?: CheckpointChoice;
  /** 'train' (default): reuse the derived baseline's run or train it; 'skip'; or a trained project file. */
  baseline?: 'train' | 'skip' | { project: string };
  /** Iterations for a baseline or variant trained here (default: the ModularGAN run's). */
  variantIterations?: number;
  /**
   * The λ_cyc = 0 run of the cycle ablation (translation only): 'reuse' (default) the derived
   * variant's run when it has one, else report it as not trained; 'train' it when it has none;
   * or a trained project file (trained with λ_cyc = 0, as many transformers as the project).
   */
  noCycle?: 'reuse' | 'train' | { project: string };
  log?: (line: string) => void;
}

/** Refuses, naming the file and the setting, a project given as the cycle ablation that is not one. */
function checkNoCycleProject(file: string, project: Project, run: LoadedRun, modular: LoadedRun): void {
  const t = project.training!;
  const on = [t.lambdaCyc && `lambdaCyc ${t.lambdaCyc}`, t.lambdaRoundTrip && `lambdaRoundTrip ${t.lambdaRoundTrip}`].filter(Boolean);
  if (on.length) throw new Error(`${file}: the cycle ablation is a project trained without the cycle loss, this one trains with ${on.join(' and ')}`);
  const n = run.model.transformers.length;
  const want = modular.model.transformers.length;
  if (n !== want) throw new Error(`${file}: the cycle ablation has the project's ${want} transformers, this one has ${n}`);
}

/** Tiles n rows of images (each column an n×S×S×3 array) into one PNG. */
async function grid(columns: readonly Float32Array[], n: number, size: number): Promise<Buffer> {
  const w = columns.length * size;
  const out = new Float32Array(n * size * w * 3);
  columns.forEach((col, c) => {
    for (let i = 0; i < n; i++)
      for (let y = 0; y < size; y++) {
        const src = ((i * size + y) * size) * 3;
        const dst = ((i * size + y) * w + c * size) * 3;
        out.set(col.subarray(src, src + size * 3), dst);
      }
  });
  return encodePng(out, w, n * size, 3);
}

/** Mask sums (n×side×side, values ≥ 0) as grey images in [-1, 1], clipped at 1 and enlarged to the image size. */
function maskImages(m: Float32Array, n: number, side: number, size: number): Float32Array {
  const out = new Float32Array(n * size * size * 3);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const v = Math.min(1, m[(i * side + Math.floor((y * side) / size)) * side + Math.floor((x * side) / size)]!);
        out.fill(2 * v - 1, ((i * size + y) * size + x) * 3, ((i * size + y) * size + x) * 3 + 3);
      }
  return out;
}

async function writePictures(dir: string, p: Pictures, result: ProtocolResult, size: number, mode: string): Promise<EvalReport['images']> {
  const images: EvalReport['images'] = [];
  const first = mode === 'translation' ? 'input' : 'real item (labels used)';
  for (const [method, byT] of p.outputs) {
    const file = `samples-${method.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.png`;
    const codes = result.targets.map((t) => t.code);
    await writeFile(join(dir, file), await grid([p.inputs, ...codes.map((c) => byT.get(c)!)], p.n, size));
    images.push({ title: `${method}: translations per target`, file, columns: [first, ...codes] });
  }
  if (p.masks.size) {
    const codes = result.targets.map((t) => t.code);
    await writeFile(join(dir, 'masks.png'), await grid([p.inputs, ...codes.map((c) => maskImages(p.masks.get(c)!, p.n, p.maskSide, size))], p.n, size));
    images.push({ title: 'ModularGAN: sum of the chain\'s masks (white = changed; clipped at 1)', file: 'masks.png', columns: [first, ...codes] });
  }
  return images;
}

async function readLosses(method: string, runDir: string, maxPoints = 1500): Promise<LossSeries | undefined> {
  const text = await readFile(join(runDir, 'log.jsonl'), 'utf8').catch(() => '');
  const rows = text.split('\n').filter(Boolean).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, number>];
    } catch {
      return [];
    }
  });
  if (!rows.length) return undefined;
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'iteration' && k !== 'lr');
  const step = Math.max(1, Math.ceil(rows.length / maxPoints));
  const kept = rows.filter((_, i) => i % step === 0);
  return {
    method,
    columns: ['iteration', ...keys],
    data: [kept.map((r) => r.iteration!), ...keys.map((k) => kept.map((r) => (Number.isFinite(r[k]) ? r[k]! : null)))],
  };
}

export async function evaluateProject(projectFile: string, opts: EvalOptions): Promise<{ report: EvalReport; reportDir: string }> {
  const say = opts.log ?? (() => {});
  const seed = opts.seed ?? 0;
  const project = await readProject(projectFile);
  const mode = project.training!.mode;
  const dataset = await projectDataset(project, projectFile);
  // Everything the evaluation will hold, from parameters, before any run or classifier is loaded.
  const held = 1 + (opts.baseline === 'skip' ? 0 : 1) + (mode === 'translation' ? 1 : 0);
  const classifierShape = { imageSize: dataset.imageSize, width: opts.classifierWidth ?? DEFAULT_CLASSIFIER_WIDTH, slots: groupsLength(dataset.groups) };
  requireMemory(checkEvalMemory(await planRun(project, projectFile, dataset), dataset.imageSize, { classifier: classifierShape, classifierBatch: CLASSIFIER_BATCH, chunk: PROTOCOL_CHUNK, runs: held }, memoryBudget()), say);
  const modular = await loadRun(projectFile, dataset, opts.checkpoint);
  if (!modular) throw new Error(`${projectFile} has no trained run (no checkpoint in its .train folder): train it first with 'modulargan train ${projectFile}'`);
  const loaded: LoadedRun[] = [modular];
  let classifier: AttributeClassifier | undefined;
  let monitor: TrainingMonitor | undefined;
  try {
    const cls = await prepareClassifier(projectFile, dataset, opts, say);
    classifier = cls.classifier;
    say(describeAccuracy(cls.accuracy));
    // The budget is how far the ModularGAN run trained, whichever of its checkpoints is compared.
    const budget = opts.variantIterations ?? modular.trainedTo;

    const runs: EvalReport['runs'] = [{ method: 'ModularGAN', status: 'ok', projectFile: resolve(projectFile), iteration: modular.iteration }];
    // A variant's run is reused as soon as it has a checkpoint, so one stopped early would be
    // compared as if it had the same budget: said on the console and in the report.
    const variantRun = (method: string, r: LoadedRun): EvalReport['runs'][number] => {
      const fromRun = r.checkpoint !== resolve(r.projectFile);
      const notes = [
        ...(fromRun && r.trainedTo < budget ? [`its run has ${r.trainedTo} iterations, fewer than the ${budget} it is compared at; continue it with 'modulargan train ${r.projectFile} --resume'`] : []),
        ...(fromRun && modular.best && !r.best ? [`its run names no best checkpoint, so its newest is compared with the ModularGAN run's best`] : []),
        ...(fromRun && modular.best && r.best && r.bestBy !== modular.bestBy ? [`its best checkpoint is chosen by ${BEST_BY[r.bestBy]}, the ModularGAN run's by ${BEST_BY[modular.bestBy]}: give both projects the same training.monitor`] : []),
      ];
      for (const n of notes) say(`warning: ${method}: ${n}`);
      return { method, status: 'ok', projectFile: r.projectFile, iteration: r.iteration, ...(notes.length ? { note: notes.join('; ') } : {}) };
    };
    // Asked for the ModularGAN run's best checkpoint, each variant is compared at its own best
    // too: one rule of selection for every method (a difference in criterion is noted above).
    const variantChoice = async (file: string) => (opts.checkpoint === 'best' ? bestIfNamed(defaultRunDir(file)) : undefined);
    // A variant trained here is monitored as the project asks, with the project's classifier.
    const monitorSettings = project.training!.monitor;
    const measure = async (model: TrainModel) => {
      monitor ??= await createTrainingMonitor(projectFile, dataset, monitorSettings!, say);
      return monitor.measure(model);
    };
    const train = (v: Variant) => ensureVariant(projectFile, v, budget, say, monitorSettings ? measure : undefined);
    let baseline: LoadedRun | undefined;
    const b = opts.baseline ?? 'train';
    if (b !== 'skip') {
      const file = typeof b === 'object' ? b.project : await train('stargan');
      baseline = await loadRun(file, dataset, await variantChoice(file));
      if (baseline) {
        loaded.push(baseline);
        if (baseline.model.transformers.length !== 1) throw new Error(`${file}: a StarGAN-style baseline has exactly one transformer, this one has ${baseline.model.transformers.length}`);
      }
    }
    runs.push(baseline ? variantRun(BASELINE, baseline) : { method: BASELINE, status: 'not trained', note: b === 'skip' ? 'skipped (--no-baseline)' : 'no checkpoint' });

    let noCycle: LoadedRun | undefined;
    if (mode === 'translation') {
      const c = opts.noCycle ?? 'reuse';
      if (typeof c === 'object') {
        noCycle = await loadRun(c.project, dataset, await variantChoice(c.project));
        if (!noCycle) throw new Error(`${c.project} has no trained run (no checkpoint in its .train folder): train it first with 'modulargan train ${c.project}'`);
        checkNoCycleProject(c.project, await readProject(c.project), noCycle, modular);
      } else {
        const file = c === 'train' ? await train('nocycle') : variantFile(projectFile, 'nocycle');
        noCycle = await loadRun(file, dataset, await variantChoice(file)).catch(() => undefined);
      }
      if (noCycle) loaded.push(noCycle);
      runs.push(noCycle ? variantRun(NO_CYCLE, noCycle) : { method: NO_CYCLE, status: 'not trained', note: 'run eval with --train-no-cycle to train it' });
    } else runs.push({ method: NO_CYCLE, status: 'not applicable', note: 'generation mode has no encoder, so no cycle loss' });

    const others: MethodSpec[] = [
      ...(baseline ? [{ name: BASELINE, model: baseline.model, single: true, full: true }] : []),
      ...(noCycle ? [{ name: NO_CYCLE, model: noCycle.model, single: false, full: true }] : []),
      { name: NO_MASK, model: modular.model, single: false, useMask: false, full: false },
    ];
    const result = await runProtocol(dataset, classifier, modular.model, others, { maxImages: opts.maxImages ?? 200, seed, log: say });

    const columns = result.targets.map((t) => t.code);
    const byName = new Map(result.methods.map((m) => [m.name, m]));
    const row = (method: string, pick: 'error' | 'kept' | 'attributes' | 'keptByValue' | 'errorByAsked' | 'counterfactualByChange', label = method): EvalReport['classificationError']['rows'][number] => {
      const m = byName.get(method);
      if (m) return { method: label, status: 'ok', values: m[pick] ?? {} };
      const run = runs.find((r) => r.method === method);
      return { method: label, status: run?.status === 'ok' || !run ? 'not trained' : run.status, ...(run?.note ? { note: run.note } : {}), values: {} };
    };
    await mkdir(opts.reportDir, { recursive: true });
    const images = await writePictures(opts.reportDir, result.pictures, result, dataset.imageSize, mode);
    const losses = (await Promise.all(loaded.map((r) => readLosses(r === modular ? 'ModularGAN' : r === baseline ? BASELINE : NO_CYCLE, r.runDir)))).filter((s): s is LossSeries => !!s);
    const faces = result.methods.some((m) => m.counterfactual);
    const report: EvalReport = {
      format: REPORT_FORMAT,
      version: 1,
      createdAt: new Date().toISOString(),
      project: basename(projectFile),
      mode,
      dataset: { title: dataset.title, imageSize: dataset.imageSize, groups: dataset.groups.map((g) => g.name), testImages: result.items },
      definitions: {
        target: 'a set of attribute groups to change, named by their initials (H hair, S smiling, G glasses, C colour, ...). Each test item asks for a value other than its own, drawn from (seed, item, group): the same request for every method and target.',
        'classification error': 'the fraction of test items whose translation the classifier reads as missing at least one of the target\'s attributes (the paper\'s Table 2 protocol).',
        'attribute accuracy': 'with every transformer asked for a change at once (the last target), the fraction of test items whose translation the classifier reads as having each asked-for attribute.',
        kept:
          mode === 'translation'
            ? 'the fraction of the attributes outside the target that the classifier reads as unchanged from the input\'s labels (– where the target changes every attribute).'
            : 'the fraction of items whose digit the classifier reads as the digit G was asked for (digit identity); other attributes of a generated image are not fixed, so not counted.',
        ...(mode === 'generation'
          ? { 'kept per value': 'with every transformer asked for a change at once, per value of G\'s condition (each digit): the fraction of the items asked for that value that the classifier reads as it (about a tenth of the test items each).' }
          : {}),
        'StarGAN baseline': 'one transformer conditioned on all attribute groups at once (the whole target label vector) between the same kind of E/G and R, trained by the same trainer on the same data for the same number of iterations.',
        'no mask at test': 'each transformer\'s f\' replaces f outright instead of g\'·f\' + (1 − g\')·f; same weights.',
        FID: 'the Fréchet distance |μr − μt|² + tr(Σr + Σt − 2(Σr^½ Σt Σr^½)^½) between Gaussian fits of the classifier\'s penultimate (global-average-pooled) features of the real test images and of all the method\'s translations over all targets. Not comparable with Inception FIDs.',
        ...(faces
          ? {
              counterfactual:
                'the same face rendered with the target attributes is the exact answer. L1 = mean |a − b|, PSNR = 10·log10(1/MSE) (≤ 100 dB), SSIM = mean over all 8×8 windows (stride 1) and channels of the SSIM formula with C1 = 0.01², C2 = 0.03², all on the [0, 1] scale.',
              'counterfactual per change':
                'each attribute changed alone, the L1 to the exact answer over the test items asked for that change (from the input\'s value to the asked one): which change of a transformer leaves the most behind.',
            }
          : {}),
        ...(mode === 'translation'
          ? {
              identity:
                'the output against the input when nothing is asked to change: "none" is R(E(x)), no transformer; a target\'s code, its transformers asked for the input\'s own values (the baseline\'s one transformer for all). It bounds how close any translation can come to the exact answer. Same L1, PSNR and SSIM as the counterfactual.',
            }
          : {}),
        'mask sums': 'the chain\'s masks g\' added up at feature resolution, shown clipped at 1 and enlarged (the paper\'s Figure 6).',
        classifier: `ResNet-18-style (stem conv3, 4 stages × 2 basic blocks, widths w·(1, 2, 4, 8), no normalisation), softmax cross-entropy per one-hot group and BCE per binary one, Adam 1e-3 decaying linearly to 0 over the second half, trained on the dataset's training split; accuracy on its test split. Wanted: at least ${MINIMUM_ACCURACY * 100}% per attribute.`,
      },
      classifier: {
        width: cls.width,
        iterations: cls.iterations,
        seed: cls.seed,
        testImages: cls.testImages,
        accuracy: cls.accuracy,
        minimumAccuracy: MINIMUM_ACCURACY,
        meetsMinimum: Object.values(cls.accuracy).every((v) => v >= MINIMUM_ACCURACY),
        reused: cls.reused,
      },
      runs,
      targets: result.targets.map((t) => ({ code: t.code, groups: [...t.groups] })),
      classificationError: { columns, rows: [row('ModularGAN', 'error'), row(BASELINE, 'error')] },
      preservation: { columns, rows: [row('ModularGAN', 'kept'), row(BASELINE, 'kept')] },
      attributeAccuracy: { columns: [...result.targets.at(-1)!.groups], rows: [row('ModularGAN', 'attributes'), row(BASELINE, 'attributes')] },
      errorByAsked: { columns: [...result.askedColumns], rows: [row('ModularGAN', 'errorByAsked'), row(BASELINE, 'errorByAsked')] },
      ...(faces ? { counterfactualByChange: { columns: [...result.changeColumns], rows: [row('ModularGAN', 'counterfactualByChange'), row(BASELINE, 'counterfactualByChange')] } } : {}),
      ...(result.valueColumns.length ? { keptByValue: { columns: [...result.valueColumns], rows: [row('ModularGAN', 'keptByValue'), row(BASELINE, 'keptByValue')] } } : {}),
      fid: ['ModularGAN', BASELINE, ...(mode === 'translation' ? [NO_CYCLE] : [])].map((name) => {
        const m = byName.get(name);
        return { method: name, status: m ? 'ok' : (runs.find((r) => r.method === name)?.status ?? 'not trained'), value: m?.fid ?? null, ...(m?.fidByTarget ? { byTarget: m.fidByTarget } : {}) };
      }),
      counterfactual: faces
        ? result.methods.flatMap((m) => (m.counterfactual ? Object.entries(m.counterfactual).map(([target, scores]) => ({ method: m.name, target, scores })) : []))
        : null,
      ...(mode === 'translation' ? { identity: result.methods.flatMap((m) => (m.identity ? Object.entries(m.identity).map(([target, scores]) => ({ method: m.name, target, scores })) : [])) } : {}),
      orderAblation: result.orders.map((o) => ({ order: o.order, error: o.error, ...(o.kept === undefined ? {} : { kept: o.kept }), ...(o.counterfactual ? { counterfactual: o.counterfactual } : {}) })),
      maskAblation: { columns, rows: [row('ModularGAN', 'error', 'with mask'), row(NO_MASK, 'error', 'without mask (f\' replaces f)')] },
      cycleAblation: { columns, rows: [row('ModularGAN', 'error', 'with cycle loss'), row(NO_CYCLE, 'error', 'without cycle loss (λ_cyc = 0)')] },
      images,
      losses: losses.map((s) => ({ method: s.method, file: `${s.method === 'ModularGAN' ? modular.runDir : s.method === BASELINE ? baseline!.runDir : noCycle!.runDir}/log.jsonl`, points: s.data[0]!.length })),
    };
    const checked = reportSchema.parse(report);
    await writeFile(join(opts.reportDir, 'report.json'), `${JSON.stringify(checked, null, 2)}\n`);
    await writeFile(join(opts.reportDir, 'index.html'), await reportHtml(checked, losses));
    return { report: checked, reportDir: opts.reportDir };
  } finally {
    classifier?.dispose();
    monitor?.dispose();
    for (const r of loaded) disposeModel(r.model);
  }
}
