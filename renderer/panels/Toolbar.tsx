// File, edit and run commands, the document's name with its dirty marker, and run progress.

import { DEMOS, type DemoName } from '../../core/api';
import type { StudioController } from '../app/controller';
import { useEditor, useStore } from '../state/use-editor';

export function Toolbar({ controller, onDialog }: { controller: StudioController; onDialog: (d: 'export-preset' | 'batch' | 'engine') => void }) {
  const store = useStore();
  const name = useEditor((s) => s.history.present.name);
  const path = useEditor((s) => s.path);
  const dirty = useEditor((s) => s.history.present !== s.saved);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const run = useEditor((s) => s.run);
  const running = run.status === 'running';
  return (
    <header className="toolbar">
      <span className="brand">ModularGAN Studio</span>
      <button onClick={() => controller.newProject()} title="New project">
        New
      </button>
      <button onClick={() => void controller.open()} title="Open… (Ctrl+O)" data-testid="open">
        Open
      </button>
      <button onClick={() => void controller.save()} title="Save (Ctrl+S)" data-testid="save">
        Save
      </button>
      <button onClick={() => void controller.saveAs()} title="Save as… (Ctrl+Shift+S)" data-testid="save-as">
        Save as
      </button>
      <select
        value=""
        onChange={(e) => e.target.value && void controller.openDemo(e.target.value as DemoName)}
        title="Open a bundled demo with trained modules"
        data-testid="open-demo"
      >
        <option value="">Demos…</option>
        {Object.entries(DEMOS).map(([name, d]) => (
          <option key={name} value={name}>
            {d.title}
          </option>
        ))}
      </select>
      <span className="sep" />
      <button onClick={() => store.undo()} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
        Undo
      </button>
      <button onClick={() => store.redo()} disabled={!canRedo} title="Redo (Ctrl+Shift+Z or Ctrl+Y)" data-testid="redo">
        Redo
      </button>
      <button onClick={() => store.layout()} title="Arrange the graph left to right (Ctrl+Shift+L)" data-testid="layout">
        Layout
      </button>
      <span className="sep" />
      <button onClick={() => onDialog('export-preset')} title="Export the graph or the selection as a preset" data-testid="export-preset">
        Export preset
      </button>
      <button onClick={() => onDialog('engine')} title="The engine the studio uses: this computer's, or one on another machine (modulargan serve)" data-testid="engine">
        Engine…
      </button>
      <button onClick={() => onDialog('batch')} title="Run the graph over a folder of images" data-testid="batch">
        Batch
      </button>
      <span className="sep" />
      {running ? (
        <button onClick={() => void controller.cancel()} className="danger" data-testid="cancel">
          Cancel
        </button>
      ) : (
        <button onClick={() => void controller.run()} className="primary" title="Run the graph (Ctrl+Enter)" data-testid="run">
          ▶ Run
        </button>
      )}
      {running && <progress max={run.total || 1} value={run.done} data-testid="progress" />}
      <span className="doc-title" data-testid="doc-title" title={path ?? 'not saved yet'}>
        {dirty && <span className="dirty" data-testid="dirty" aria-label="unsaved changes">● </span>}
        {name}
        {path ? '' : ' (untitled)'}
      </span>
    </header>
  );
}
