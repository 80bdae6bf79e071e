import { analyzeWithPresets as analyze } from '../../core/graph';
import { useEditor } from '../state/use-editor';

/** Validation summary, run summary and the last notice (e.g. why a connection was refused). */
export function StatusBar() {
  const graph = useEditor((s) => s.history.present.graph);
  const notice = useEditor((s) => s.notice);
  const run = useEditor((s) => s.run);
  const errors = analyze(graph).diagnostics.filter((d) => d.severity === 'error').length;
  return (
    <footer className="statusbar">
      <span className={errors ? 'bad' : 'good'} data-testid="validity">
        {errors ? `${errors} problem${errors > 1 ? 's' : ''}, marked in red` : '✓ the graph is valid'}
      </span>
      <span className={`run-summary ${run.status}`} data-testid="run-status" data-status={run.status}>
        {run.summary}
      </span>
      <span className="notice" data-testid="notice">
        {notice}
      </span>
    </footer>
  );
}
