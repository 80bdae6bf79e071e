// The quick-add search box: opened by a double-click on empty canvas, or by dropping a wire
// there. Type to filter by name, arrows to move, Enter adds the highlighted (top) match
// where the box was opened and connects it to the dropped wire; Escape or a click elsewhere
// closes it.

import { useMemo, useState } from 'react';
import type { PresetEntry } from '../../core/api';
import type { Project } from '../../core/graph';
import { type DraggedEnd, type QuickAddChoice, quickAddChoices, rankChoices } from '../state/quick-add';

export interface QuickAddRequest {
  /** Where the box shows, in pixels inside the canvas. */
  readonly x: number;
  readonly y: number;
  /** Where the node goes, in graph coordinates. */
  readonly at: { readonly x: number; readonly y: number };
  readonly from: DraggedEnd | null;
}

const SHOWN = 12;

export function QuickAdd({
  request,
  project,
  presets,
  kinds,
  onChoose,
  onClose,
}: {
  request: QuickAddRequest;
  project: Project;
  presets: readonly PresetEntry[];
  kinds?: readonly string[];
  onChoose: (c: QuickAddChoice) => void;
  onClose: () => void;
}) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  // The project is the one the box opened on: choices stay put while it is open.
  const choices = useMemo(() => quickAddChoices(project, presets, request.from, kinds), [project, presets, request.from, kinds]);
  const shown = rankChoices(choices, query).slice(0, SHOWN);
  const pick = shown[Math.min(active, shown.length - 1)];
  const wire = request.from ? project.graph.nodes.find((n) => n.id === request.from!.node) : undefined;
  return (
    <div className="quick-add nodrag nowheel" style={{ left: request.x, top: request.y }} data-testid="quick-add" role="dialog" aria-label="Add a node" onMouseDown={(e) => e.stopPropagation()}>
      <input
        autoFocus
        value={query}
        placeholder={request.from ? 'Add a node that takes this wire…' : 'Add a node…'}
        aria-label="Search node kinds"
        data-testid="quick-add-search"
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, shown.length - 1));
          else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
          else if (e.key === 'Enter' && pick) onChoose(pick);
          else if (e.key === 'Escape') onClose();
          else return;
          e.preventDefault();
          e.stopPropagation();
        }}
        onBlur={(e) => {
          if (!e.currentTarget.parentElement?.contains(e.relatedTarget as Node | null)) onClose();
        }}
      />
      {wire && (
        <p className="muted small" data-testid="quick-add-filter">
          Kinds that take {wire.label || wire.id}’s {request.from!.side} ‘{request.from!.port}’
        </p>
      )}
      <ul role="listbox">
        {shown.map((c) => (
          <li
            key={c.key}
            role="option"
            aria-selected={c === pick}
            className={`cat-${c.category}${c === pick ? ' active' : ''}${c.fits ? '' : ' misfit'}`}
            data-testid={`quick-add-${c.key}`}
            tabIndex={-1}
            title={c.fits ? undefined : 'Its port is of the right type, but its parameters must change before the wire fits'}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => onChoose(c)}
          >
            <strong>{c.title}</strong> <span className="muted">{c.detail}</span>
          </li>
        ))}
        {!shown.length && <li className="muted">{choices.length ? `No kind matches “${query}”` : 'No kind takes this wire'}</li>}
      </ul>
    </div>
  );
}
