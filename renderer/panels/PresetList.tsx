// The palette's Presets section: the library's presets, each added as one node (drag, or
// double-click), with rename and version bump for the user's own; and Import.

import { useState } from 'react';
import type { PresetEntry } from '../../core/api';
import type { StudioController } from '../app/controller';
import { useEditor, useStore } from '../state/use-editor';
import { searchByName } from './search';

export const PRESET_MIME = 'application/x-modulargan-preset';

/** The presets that match `q`, by name first (as the palette's kinds are searched). */
export const searchPresets = (presets: readonly PresetEntry[], q: string): PresetEntry[] =>
  searchByName(presets, q, (e) => ({ title: e.preset.name, kind: 'preset', about: [e.preset.description] }));

function PresetItem({ entry, controller, add }: { entry: PresetEntry; controller: StudioController; add: () => void }) {
  const [renaming, setRenaming] = useState<string | null>(null);
  const p = entry.preset;
  const slug = entry.id.replace(/[^\w-]+/g, '_');
  if (renaming !== null)
    return (
      <form
        className="palette-item cat-preset"
        onSubmit={(e) => {
          e.preventDefault();
          if (renaming.trim()) void controller.renamePreset(entry.id, renaming.trim());
          setRenaming(null);
        }}
      >
        <input autoFocus aria-label="New name" data-testid={`preset-rename-input-${slug}`} value={renaming} onChange={(e) => setRenaming(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setRenaming(null)} />
      </form>
    );
  return (
    <div
      className="palette-item cat-preset"
      draggable
      tabIndex={0}
      title={`${p.description || p.name} — ${p.graph.nodes.length} nodes; ${p.exposed.params.length} parameters exposed`}
      data-testid={`preset-${slug}`}
      onDragStart={(e) => {
        e.dataTransfer.setData(PRESET_MIME, entry.id);
        e.dataTransfer.effectAllowed = 'copy';
      }}
      onDoubleClick={add}
      onKeyDown={(e) => e.key === 'Enter' && add()}
    >
      <strong>{p.name}</strong>
      <span className="badge" data-testid={`preset-version-${slug}`}>
        {p.presetVersion}
      </span>
      {entry.source === 'user' && (
        <span className="preset-actions" onDoubleClick={(e) => e.stopPropagation()}>
          <button type="button" className="link" title="Rename (bumps the patch version)" data-testid={`preset-rename-${slug}`} onClick={() => setRenaming(p.name)}>
            Rename
          </button>
          <button type="button" className="link" title="New minor version" data-testid={`preset-bump-${slug}`} onClick={() => void controller.bumpPreset(entry.id, 'minor')}>
            +version
          </button>
        </span>
      )}
    </div>
  );
}

export function PresetList({ controller, query, viewCenter }: { controller: StudioController; query: string; viewCenter: () => { x: number; y: number } }) {
  const store = useStore();
  const presets = useEditor((s) => s.presets);
  const shown = searchPresets(presets, query);
  return (
    <section data-testid="palette-presets">
      <h3>
        Presets
        <button type="button" className="link" data-testid="import-preset" title="Import a preset (.mgpreset bundle or .mgpreset.json)" onClick={() => void controller.importPreset()}>
          Import…
        </button>
      </h3>
      {shown.map((e) => (
        <PresetItem key={e.id} entry={e} controller={controller} add={() => store.addPresetNear(e.preset, viewCenter())} />
      ))}
      {!presets.length && <p className="muted">None yet: export one from the graph (Export preset).</p>}
    </section>
  );
}
