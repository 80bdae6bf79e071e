// The side panel for the selected node: its name, help and parameter widgets.

import { nodeDefOf, valuesGroupsOf, withDefaults } from '../../core/graph';
import { useEditor, useStore } from '../state/use-editor';
import { ParamField } from './ParamField';

export function Inspector() {
  const store = useStore();
  const project = useEditor((s) => s.history.present);
  const selectedIds = useEditor((s) => s.selectedNodes);
  // Only nodes that exist count: a selection never outlives its nodes (an undone paste, say).
  const selected = [...selectedIds].filter((id) => project.graph.nodes.some((n) => n.id === id));
  if (selected.length !== 1) {
    return (
      <aside className="inspector" aria-label="Inspector">
        <h2>{project.name}</h2>
        <p className="muted">{project.description || 'Select a node to edit its parameters.'}</p>
        <p className="muted">
          {project.graph.nodes.length} nodes, {project.graph.edges.length} edges
          {selected.length > 1 ? `, ${selected.length} selected` : ''}
        </p>
      </aside>
    );
  }
  const id = selected[0]!;
  const node = project.graph.nodes.find((n) => n.id === id);
  const def = node && nodeDefOf(node);
  if (!node || !def) return <aside className="inspector" aria-label="Inspector" />;
  const params = withDefaults(def.params, node.params);
  return (
    <aside className="inspector" aria-label="Inspector" data-testid="inspector">
      <h2>{def.title}</h2>
      <p className="muted">{def.help}</p>
      <div className="param">
        <label htmlFor="node-label">Name</label>
        <input id="node-label" type="text" value={node.label ?? ''} onChange={(e) => store.setLabel(id, e.target.value)} onBlur={() => store.endGroup()} />
      </div>
      {Object.entries(def.params).map(([k, spec]) => (
        <ParamField
          key={`${id}:${k}`}
          name={k}
          spec={spec}
          value={params[k]}
          groups={spec.type === 'values' ? valuesGroupsOf(node, k) : []}
          onChange={(v) => store.setParam(id, k, v)}
          onDone={() => store.endGroup()}
        />
      ))}
    </aside>
  );
}
