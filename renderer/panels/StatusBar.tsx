import { analyzeWithPresets as analyze } from '../../core/graph';
import { useEditor } from '../state/use-editor';

/** Validation summary, run summary and the last notice (e.g. why a connection was refused). */
export function StatusBar() {
  const graph = useEditor((s) => s.history.present.graph);
  const notice = useEditor((s) => s.notice);
  const run = useEditor((s) => s.run);
  const errors = analyze(graph).diagnostics.filter((d) => d.severity === 'error').length;
  // A summary of another graph than the one on screen (edited since; a move keeps the graph).
  const stale = run.status !== 'running' && run.graph !== null && run.graph !== graph;
  const summary = !stale ? run.summary : run.status === 'idle' ? '' : 'The graph changed since the last run: Run again to see what it makes now';
  return (
    <footer className="statusbar">
      <span className={errors ? 'bad' : 'good'} data-testid="validity">
        {errors ? `${errors} problem${errors > 1 ? 's' : ''}, marked in red` : '✓ the graph is valid'}
      </span>
      <span className={`run-summary ${stale ? 'stale' : run.status}`} data-testid="run-status" data-status={run.status} data-stale={stale} title={stale ? `Last run: ${run.summary}` : undefined}>
        {summary}
      </span>
      <span className="notice" data-testid="notice">
        {notice}
      </span>
    </footer>
  );
}
