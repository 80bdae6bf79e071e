// The newest sample grid the trainer wrote: one row per fixed test image; columns: input (or
// G's image), reconstruction, each transformer alone, the chain, each mask, the mask sum.

import type { TrainingController } from './training-controller';
import { useTraining } from './use-training';

export function SampleGrid({ c }: { c: TrainingController }) {
  const sample = useTraining(c, (s) => s.sample);
  return (
    <section className="sample-grid">
      <h3>Samples {sample ? `(iteration ${sample.iteration})` : ''}</h3>
      <p className="muted small">Columns: input, reconstruction, each transformer alone, all in a chain, each mask, the mask sum.</p>
      {sample ? <img src={sample.png} alt={`samples at iteration ${sample.iteration}`} data-testid="sample-grid" /> : <p className="muted">Written every “sample every” iterations.</p>}
    </section>
  );
}
