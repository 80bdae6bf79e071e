// "Batch": runs the current graph over a folder of images into another folder, with the
// options of `modulargan batch`, a progress bar with images/s and ETA, Cancel, and the report
// of every file skipped or not written, with its reason.

import { useState } from 'react';
import type { StudioController } from '../app/controller';
import { useEditor } from '../state/use-editor';
import { useEscape } from './use-escape';
import { BrowseButton } from './FolderBrowser';

const eta = (s: number) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`);

export function BatchDialog({ controller, onClose }: { controller: StudioController; onClose: () => void }) {
  const graph = useEditor((s) => s.history.present.graph);
  const batch = useEditor((s) => s.batch);
  const source = graph.nodes.find((n) => n.kind === 'image-input')?.params.path;
  const [input, setInput] = useState(typeof source === 'string' ? source : '');
  const [output, setOutput] = useState('');
  const [glob, setGlob] = useState('');
  // A Redis URL sends the batch to queue workers (`modulargan worker`) instead of running it here.
  const [queue, setQueue] = useState('');
  const [flags, setFlags] = useState({ recursive: false, skipExisting: true, stopOnError: false, overwrite: false });
  const running = batch.status === 'running';
  const r = batch.report;
  // While it runs the dialog stays: Cancel is the way out (as the disabled Close says).
  useEscape(onClose, !running);
  const flag = (k: keyof typeof flags, label: string) => (
    <label className="check">
      <input type="checkbox" data-testid={`batch-${k}`} checked={flags[k]} disabled={running} onChange={(e) => setFlags({ ...flags, [k]: e.target.checked })} /> {label}
    </label>
  );
  return (
    <div className="modal-backdrop">
      <form
        className="modal wide"
        role="dialog"
        aria-label="Batch run"
        data-testid="batch-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void controller.startBatch({ input: input.trim(), output: output.trim(), ...flags, ...(glob.trim() ? { glob: glob.trim() } : {}), ...(queue.trim() ? { queue: queue.trim() } : {}) });
        }}
      >
        <h2>Batch run</h2>
        <label htmlFor="batch-input">Input folder (only read, never changed)</label>
        <div className="row path-row">
          <input id="batch-input" data-testid="batch-input" autoFocus type="text" value={input} disabled={running} onChange={(e) => setInput(e.target.value)} />
          <BrowseButton api={controller.api} testId="batch-input-browse" title="Input folder" pick={['folder']} start={() => input.trim() || null} onPick={setInput} disabled={running} />
        </div>
        <label htmlFor="batch-output">Output folder (one PNG per input, with the graph in its metadata)</label>
        <div className="row path-row">
          <input id="batch-output" data-testid="batch-output" type="text" value={output} disabled={running} onChange={(e) => setOutput(e.target.value)} />
          <BrowseButton api={controller.api} testId="batch-output-browse" title="Output folder" pick={['folder']} start={() => output.trim() || input.trim() || null} onPick={setOutput} disabled={running} />
        </div>
        <label htmlFor="batch-glob">Only files matching (optional, e.g. *.jpg)</label>
        <input id="batch-glob" data-testid="batch-glob" type="text" value={glob} disabled={running} onChange={(e) => setGlob(e.target.value)} />
        <label htmlFor="batch-queue">Queue (optional: redis://host:port, run by `modulargan worker` on other machines)</label>
        <input id="batch-queue" data-testid="batch-queue" type="text" placeholder="run here" value={queue} disabled={running} onChange={(e) => setQueue(e.target.value)} />
        {flag('recursive', 'Include subfolders')}
        {flag('skipExisting', 'Skip inputs whose outputs exist (resume)')}
        {flag('stopOnError', 'Stop at the first file that fails')}
        {flag('overwrite', 'Overwrite existing outputs')}
        <p className="muted">Images of another size are centre-cropped to a square and resized to the model’s size; images smaller than half of it are skipped.</p>
        {running && (
          <div className="batch-progress" data-testid="batch-progress">
            <progress max={batch.total || 1} value={batch.done} />
            <span>
              {batch.done}/{batch.total || '?'} · {batch.imagesPerSecond.toFixed(1)} images/s · ETA {eta(batch.etaSeconds)}
            </span>
            {batch.workers.length > 0 && (
              <ul data-testid="batch-workers">
                {batch.workers.map((w) => (
                  <li key={w.worker}>
                    {w.worker}: {w.done} images, {w.shares} shares done{w.running ? `, ${w.running} running at ${w.imagesPerSecond.toFixed(1)} images/s` : ''}
                  </li>
                ))}
              </ul>
            )}
            {batch.notice && <p className="muted" data-testid="batch-notice">{batch.notice}</p>}
          </div>
        )}
        {batch.status === 'failed' && (
          <p className="bad" role="alert" data-testid="batch-error">
            {batch.error}
          </p>
        )}
        {r && (
          <div className="batch-report" data-testid="batch-report">
            <p>
              {r.cancelled ? 'Cancelled' : 'Done'}: {r.processed} processed, {r.alreadyDone} already done, {r.skipped.length} skipped, {r.failed.length} not written ·{' '}
              {r.imagesPerSecond} images/s with {r.engine}. Report: {r.reportPath}
            </p>
            <ul>
              {r.skipped.map((s) => (
                <li key={`s:${s.file}`} data-testid="batch-skipped">
                  skipped <code>{s.file}</code>: {s.reason}
                </li>
              ))}
              {r.failed.map((f) => (
                <li key={`f:${f.path}`} data-testid="batch-failed">
                  not written <code>{f.path}</code>: {f.reason}
                </li>
              ))}
            </ul>
          </div>
        )}
        <div className="modal-buttons">
          <button type="button" onClick={onClose} disabled={running}>
            Close
          </button>
          {running ? (
            <button type="button" className="danger" data-testid="batch-cancel" onClick={() => void controller.cancelBatch()}>
              Cancel
            </button>
          ) : (
            <button type="submit" className="primary" data-testid="batch-start" disabled={!input.trim() || !output.trim()}>
              {r ? 'Run again' : 'Start'}
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
