// Dataset set-up: the source (built-in ColorMNIST or synthetic faces, a CelebA folder, an
// image folder with a CSV), paths typed as on the machine running the studio, the attribute
// groups (suggested from the dataset's column names: one transformer per group), and a
// preview of a few items with their labels.

import { useState } from 'react';
import { DATASET_SOURCES, DEFAULT_DATASET_GROUPS, type DatasetSource } from '../../core/graph';
import { useEditor } from '../state/use-editor';
import { BrowseButton, type BrowseFor } from '../panels/FolderBrowser';
import { absoluteIn } from '../app/paths';
import type { TrainingController } from './training-controller';
import { useTraining } from './use-training';

const SOURCE_NAMES: Record<DatasetSource, string> = {
  colormnist: 'ColorMNIST (built in)',
  'synthetic-faces': 'Synthetic faces (built in)',
  celeba: 'CelebA folder',
  'image-folder': 'Image folder + CSV',
};

/**
 * A text field that commits on blur or Enter (one undo step per edit, not per key), with a
 * Browse… button over the engine's folders (relative values start from the project's folder).
 */
function PathField({ label, value, onCommit, testId, c, pick }: { label: string; value: string; onCommit: (v: string) => void; testId: string; c: TrainingController; pick: readonly BrowseFor[] }) {
  const [draft, setDraft] = useState(value);
  const baseDir = useEditor((s) => s.baseDir);
  return (
    <label className="param">
      {label}
      <span className="row path-row">
        <input
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => draft !== value && onCommit(draft.trim())}
          onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
          data-testid={testId}
        />
        <BrowseButton
          api={c.studio.api}
          testId={`${testId}-browse`}
          title={label}
          pick={pick}
          start={() => (draft.trim() ? absoluteIn(baseDir || null, draft.trim()) : baseDir || null)}
          onPick={(p) => {
            setDraft(p);
            if (p !== value) onCommit(p);
          }}
        />
      </span>
    </label>
  );
}

export function DatasetPanel({ c }: { c: TrainingController }) {
  useEditor((s) => s.history.present.datasets);
  const ds = c.dataset();
  const { preview, suggestions, columns } = useTraining(c, (s) => s);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  if (!ds) return <section className="dataset-panel muted">The project has no training section or dataset.</section>;
  const groups = ds.attributes?.length ? ds.attributes : DEFAULT_DATASET_GROUPS[ds.source as DatasetSource];
  const external = ds.source === 'celeba' || ds.source === 'image-folder';
  return (
    <section className="dataset-panel" data-testid="dataset-panel">
      <h3>Dataset</h3>
      <label className="param">
        Source
        <select value={ds.source} onChange={(e) => c.setDataset({ source: e.target.value as DatasetSource })} data-testid="dataset-source">
          {DATASET_SOURCES.map((s) => (
            <option key={s} value={s}>
              {SOURCE_NAMES[s]}
            </option>
          ))}
        </select>
      </label>
      {external && <PathField key={`p-${ds.path}`} label="Folder" value={ds.path ?? ''} onCommit={(v) => c.setDataset({ path: v })} testId="dataset-path" c={c} pick={['folder']} />}
      {ds.source === 'image-folder' && (
        <PathField key={`c-${ds.csv}`} label="CSV (default: attributes.csv in the folder)" value={ds.csv ?? ''} onCommit={(v) => c.setDataset({ csv: v })} testId="dataset-csv" c={c} pick={['table']} />
      )}
      <label className="param">
        Image size
        <input type="number" min={8} max={1024} value={ds.imageSize} onChange={(e) => Number(e.target.value) >= 8 && c.setDataset({ imageSize: Number(e.target.value) })} />
      </label>
      <div className="param">
        Attribute groups (one transformer each):
        <ul className="groups" data-testid="dataset-groups">
          {groups.map((g) => (
            <li key={g.name}>
              <strong>{g.name}</strong> <span className="muted">{g.kind === 'onehot' ? g.values.join(' / ') : 'yes / no'}</span>
            </li>
          ))}
        </ul>
      </div>
      <div className="row">
        <button onClick={() => void c.loadColumns()} data-testid="dataset-suggest">
          Suggest from columns
        </button>
        <button onClick={() => void c.preview(8)} data-testid="dataset-preview">
          Preview
        </button>
      </div>
      {suggestions.length > 0 && (
        <div className="suggestions" data-testid="suggestions">
          <p className="muted small">{columns.length} columns; suggested groups:</p>
          {suggestions.map((g) => (
            <label key={g.name} className="check">
              <input
                type="checkbox"
                checked={chosen.has(g.name)}
                onChange={(e) => {
                  const next = new Set(chosen);
                  if (e.target.checked) next.add(g.name);
                  else next.delete(g.name);
                  setChosen(next);
                }}
              />
              {g.name} <span className="muted">({Object.values(g.columns).join(', ')})</span>
            </label>
          ))}
          <button disabled={!chosen.size} onClick={() => c.useGroups(suggestions.filter((g) => chosen.has(g.name)).map((g) => g.attributes))}>
            Use the ticked groups
          </button>
        </div>
      )}
      {preview && (
        <div className="dataset-preview" data-testid="dataset-preview-items">
          <p className="muted small">{preview.title}</p>
          {preview.samples.map((s, i) => (
            <figure key={i}>
              <img src={s.png} alt={`item ${i}`} />
              <figcaption>
                {Object.entries(s.labels)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(', ')}
              </figcaption>
            </figure>
          ))}
          {preview.notes.map((n) => (
            <p key={n} className="muted small">
              {n}
            </p>
          ))}
        </div>
      )}
    </section>
  );
}
