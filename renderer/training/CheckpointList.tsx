// The run's checkpoints (iteration, time, mean losses), each loadable into the editor's graph.

import type { TrainingController } from './training-controller';
import { useTraining } from './use-training';

const MAIN_TERMS = ['d_total', 'g_total', 'g_rec', 'g_cyc', 'g_cls'];

export function CheckpointList({ c }: { c: TrainingController }) {
  const list = useTraining(c, (s) => s.checkpoints);
  return (
    <section className="checkpoints">
      <h3>
        Checkpoints{' '}
        <button className="link" onClick={() => void c.refreshCheckpoints()}>
          refresh
        </button>
      </h3>
      {!list.length && <p className="muted">None yet.</p>}
      <ul data-testid="checkpoint-list">
        {[...list].reverse().map((k) => (
          <li key={k.id} data-testid={`checkpoint-${k.id}`}>
            <div>
              <strong>{k.iteration}</strong> {k.best && <span className="badge">best</span>} <span className="muted">{new Date(k.createdAt).toLocaleTimeString()}</span>
            </div>
            <div className="muted small">
              {MAIN_TERMS.filter((t) => k.losses[t] !== undefined)
                .map((t) => `${t} ${k.losses[t]!.toFixed(3)}`)
                .join(' · ')}
            </div>
            <button onClick={() => void c.loadCheckpoint(k.id)} data-testid={`load-${k.id}`}>
              Load into editor
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
