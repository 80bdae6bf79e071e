// The newest sample grid: one row per fixed test image; columns: input (or G's image),
// reconstruction, each transformer alone, the chain, each mask, the mask sum. The trainer
// writes one at iteration 0 and every "sample every" iterations; "Sample now" makes one at
// once, from the running training, else the latest checkpoint, else the untrained model.

import { useState } from 'react';
import type { TrainingController } from './training-controller';
import { useTraining } from './use-training';

const FROM = { training: 'the running training', checkpoint: 'the latest checkpoint', untrained: 'the untrained model' } as const;

export function SampleGrid({ c }: { c: TrainingController }) {
  const sample = useTraining(c, (s) => s.sample);
  const sampling = useTraining(c, (s) => s.sampling);
  const trainable = useTraining(c, () => !!c.dataset());
  const [big, setBig] = useState(false);
  return (
    <section className="sample-grid">
      <div className="row">
        <h3>Samples {sample ? `(iteration ${sample.iteration})` : ''}</h3>
        <button onClick={() => void c.sampleNow()} disabled={sampling || !trainable} data-testid="sample-now" title="Make a sample grid now: from the running training, else the latest checkpoint, else the untrained model">
          {sampling ? 'Sampling…' : 'Sample now'}
        </button>
      </div>
      <p className="muted small">Columns: input, reconstruction, each transformer alone, all in a chain, each mask, the mask sum.</p>
      {sample ? (
        <>
          <img src={sample.png} alt={`samples at iteration ${sample.iteration}`} data-testid="sample-grid" data-iteration={sample.iteration} onClick={() => setBig(true)} title="Click for full size" />
          {sample.source && (
            <p className="muted small" data-testid="sample-source">
              From {FROM[sample.source]} at iteration {sample.iteration}.
            </p>
          )}
        </>
      ) : (
        <p className="muted">A grid comes at iteration 0 of a run, then every “sample every” iterations; Sample now makes one at once.</p>
      )}
      {big && sample && (
        <div className="modal-backdrop" onClick={() => setBig(false)}>
          <div className="modal viewer" role="dialog" aria-label="Sample grid" onClick={() => setBig(false)}>
            <img src={sample.png} alt={`samples at iteration ${sample.iteration}`} className="full-preview big-grid" />
          </div>
        </div>
      )}
    </section>
  );
}
