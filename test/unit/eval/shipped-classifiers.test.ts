// The demos ship the attribute classifier their documented numbers were measured with, so
// `modulargan eval` of the shipped weights reuses it instead of training another (which on
// another machine or thread count differs, and FID with it: docs/evaluation.md).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { savedClassifier } from '../../../core/eval/classifier-prepare';
import { useCpuBackend } from '../../helpers/tf';

beforeAll(useCpuBackend);

/** Held-out accuracy per attribute, as docs/results.md gives it (to its rounding). */
const QUOTED: Record<string, Record<string, unknown>> = {
  demo: { hair: 1, smiling: 1, glasses: 1 },
  generation: { digit: expect.closeTo(0.949, 3), color: 1, style: 1, background: 1 },
};

const DEMO = join(import.meta.dirname, '..', '..', '..', 'assets', 'demo');

describe('the demos’ shipped classifiers', () => {
  for (const name of ['demo', 'generation']) {
    it(`${name}: eval's default settings find and reuse it, with the accuracy docs/results.md quotes`, async () => {
      const got = await savedClassifier(join(DEMO, `${name}.mgproj.json`));
      expect(got, `${name}.eval/classifier is missing or was trained with other settings`).toBeDefined();
      try {
        expect(got!.header.accuracy).toEqual(QUOTED[name]);
      } finally {
        got!.classifier.dispose();
      }
    });
  }
});
