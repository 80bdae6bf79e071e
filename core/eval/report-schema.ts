// report.json: what `modulargan eval` writes, validated before it is written, so every
// number in it is finite and inside its range (rates in [0, 1], PSNR in [0, 100] dB, SSIM in
// [-1, 1], distances ≥ 0).

import { z } from 'zod';

export const REPORT_FORMAT = 'modulargan-eval-report';

const rate = z.number().finite().min(0).max(1);
const nonNegative = z.number().finite().min(0);
const status = z.enum(['ok', 'not trained', 'not applicable']);

const tableRow = z.object({ method: z.string(), status, note: z.string().optional(), values: z.record(z.string(), rate) });
const table = z.object({ columns: z.array(z.string()), rows: z.array(tableRow) });
const pixels = z.object({ l1: rate, psnr: z.number().finite().min(0).max(100), ssim: z.number().finite().min(-1).max(1) });

export const reportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.literal(1),
  createdAt: z.string(),
  project: z.string(),
  mode: z.enum(['translation', 'generation']),
  dataset: z.object({ title: z.string(), imageSize: z.number().int().positive(), groups: z.array(z.string()), testImages: z.number().int().positive() }),
  /** What every number means, in words. */
  definitions: z.record(z.string(), z.string()),
  classifier: z.object({
    width: z.number().int().positive(),
    iterations: z.number().int().nonnegative(),
    /** The seed it was trained with: FIDs measured by classifiers of different seeds are not comparable. */
    seed: z.number().int().nonnegative().optional(),
    testImages: z.number().int().positive(),
    accuracy: z.record(z.string(), rate),
    minimumAccuracy: rate,
    meetsMinimum: z.boolean(),
    reused: z.boolean(),
  }),
  runs: z.array(z.object({ method: z.string(), status, projectFile: z.string().optional(), iteration: z.number().int().nonnegative().optional(), note: z.string().optional() })),
  targets: z.array(z.object({ code: z.string(), groups: z.array(z.string()) })),
  classificationError: table,
  preservation: table,
  /** Per attribute, with the whole chain asked for a change (absent in reports of older versions). */
  attributeAccuracy: table.optional(),
  /** Generation: per value of G's condition, whole chain, read as asked (absent in translation and older reports). */
  keptByValue: table.optional(),
  /** Each group changed alone, per value asked for (absent in older reports). */
  errorByAsked: table.optional(),
  /** Synthetic faces: L1 to the exact answer per change asked for, each attribute alone. */
  counterfactualByChange: table.optional(),
  /** byTarget: each target's translations alone (absent in older reports). */
  fid: z.array(z.object({ method: z.string(), status, value: nonNegative.nullable(), byTarget: z.record(z.string(), nonNegative).optional() })),
  counterfactual: z.array(z.object({ method: z.string(), target: z.string(), scores: pixels })).nullable(),
  /** Translation: output against input when nothing is asked to change; target 'none' is R(E(x)) (absent in generation and older reports). */
  identity: z.array(z.object({ method: z.string(), target: z.string(), scores: pixels })).optional(),
  orderAblation: z.array(z.object({ order: z.string(), error: rate, kept: rate.optional(), counterfactual: pixels.optional() })),
  maskAblation: table,
  cycleAblation: table,
  images: z.array(z.object({ title: z.string(), file: z.string(), columns: z.array(z.string()) })),
  losses: z.array(z.object({ method: z.string(), file: z.string(), points: z.number().int().nonnegative() })),
});

export type EvalReport = z.infer<typeof reportSchema>;
