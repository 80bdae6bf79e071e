// "Export preset": the graph or the selection becomes a preset in the library (and a file,
// if a path is given), with the parameters the user chose to expose and, optionally, the
// module weights bundled.

import { useMemo, useState } from 'react';
import { nodeDefOf, selectionWarning } from '../../core/graph';
import type { StudioController } from '../app/controller';
import { useEditor } from '../state/use-editor';
import { useEscape } from './use-escape';

const paramKey = (node: string, param: string) => `${node}\u0000${param}`;

export function ExportPresetDialog({ controller, onClose }: { controller: StudioController; onClose: () => void }) {
  const project = useEditor((s) => s.history.present);
  const selected = useEditor((s) => s.selectedNodes);
  const [name, setName] = useState(project.name);
  const [selectionOnly, setSelectionOnly] = useState(selected.size > 0);
  const [withWeights, setWithWeights] = useState(false);
  const [path, setPath] = useState('');
  const [exposed, setExposed] = useState<ReadonlySet<string>>(new Set());
  const nodes = project.graph.nodes.filter((n) => !selectionOnly || selected.has(n.id));
  const params = useMemo(
    () => nodes.flatMap((n) => Object.entries(nodeDefOf(n)?.params ?? {}).map(([param, spec]) => ({ node: n.id, label: n.label || n.id, param, title: spec.title }))),
    [nodes],
  );
  const warning = selectionOnly ? selectionWarning(project.graph, [...selected]) : null;
  useEscape(onClose);
  const toggle = (k: string) => setExposed((s) => (s.has(k) ? new Set([...s].filter((x) => x !== k)) : new Set([...s, k])));
  const submit = async () => {
    const chosen = params.filter((p) => exposed.has(paramKey(p.node, p.param))).map((p) => ({ node: p.node, param: p.param }));
    if (await controller.exportPreset({ name: name.trim(), params: chosen, withWeights, selectionOnly, ...(path.trim() ? { path: path.trim() } : {}) })) onClose();
  };
  return (
    <div className="modal-backdrop">
      <form
        className="modal wide"
        role="dialog"
        aria-label="Export preset"
        data-testid="export-preset-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h2>Export preset</h2>
        <label htmlFor="preset-name">Name</label>
        <input id="preset-name" data-testid="preset-name" autoFocus type="text" value={name} onChange={(e) => setName(e.target.value)} />
        <label className="check">
          <input type="checkbox" checked={selectionOnly} disabled={!selected.size} onChange={(e) => setSelectionOnly(e.target.checked)} /> Only the selected nodes ({selected.size})
        </label>
        {warning && (
          <p className="warning" role="alert" data-testid="export-preset-warning">
            {warning}
          </p>
        )}
        <fieldset className="param-choice">
          <legend>Parameters to expose on the preset node</legend>
          {params.map((p) => (
            <label key={paramKey(p.node, p.param)} className="check">
              <input type="checkbox" data-testid={`expose-${p.node}-${p.param}`} checked={exposed.has(paramKey(p.node, p.param))} onChange={() => toggle(paramKey(p.node, p.param))} /> {p.label}: {p.title}
            </label>
          ))}
        </fieldset>
        <label className="check">
          <input type="checkbox" data-testid="preset-with-weights" checked={withWeights} onChange={(e) => setWithWeights(e.target.checked)} /> Bundle the modules’ weights files
        </label>
        <label htmlFor="preset-path">Also save as a file (optional: …/name.mgpreset, or …/name.mgpreset.json without weights)</label>
        <input id="preset-path" data-testid="preset-path" type="text" value={path} onChange={(e) => setPath(e.target.value)} />
        <div className="modal-buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" data-testid="export-preset-ok" disabled={!name.trim() || !nodes.length}>
            Export
          </button>
        </div>
      </form>
    </div>
  );
}
