// The guided flow "add a transformer for a new attribute and train only it": choose an
// attribute group the model has no transformer for and a checkpoint of the trained model;
// the new transformer and its condition go before R, every other module loads its weights
// from the checkpoint and is frozen, and the result is saved as a new project.

import { useState } from 'react';
import { type AttributeGroup, DEFAULT_DATASET_GROUPS, type DatasetSource } from '../../core/graph';
import { useEditor } from '../state/use-editor';
import type { TrainingController } from './training-controller';
import { useTraining } from './use-training';

export function AddTransformerFlow({ c }: { c: TrainingController }) {
  const project = useEditor((s) => s.history.present);
  const { checkpoints, suggestions } = useTraining(c, (s) => s);
  const [group, setGroup] = useState('');
  const [ckpt, setCkpt] = useState('');
  const ds = c.dataset();
  const used = new Set(project.graph.nodes.filter((n) => n.kind === 'transformer' || n.kind === 'generator').flatMap((n) => ((n.params.attributes ?? []) as AttributeGroup[]).map((g) => g.name)));
  const offered = new Map<string, AttributeGroup>();
  if (ds) for (const g of ds.attributes?.length ? ds.attributes : DEFAULT_DATASET_GROUPS[ds.source as DatasetSource]) offered.set(g.name, g as AttributeGroup);
  for (const s of suggestions) if (!offered.has(s.attributes.name)) offered.set(s.attributes.name, s.attributes as AttributeGroup);
  const free = [...offered.values()].filter((g) => !used.has(g.name));
  const chosenGroup = offered.get(group) ?? free[0];
  const chosenCkpt = ckpt || checkpoints.at(-1)?.id || '';
  return (
    <section className="add-transformer" data-testid="add-transformer">
      <h3>Add a transformer for a new attribute</h3>
      <p className="muted small">Trains only the new transformer (and its D); the other modules keep the checkpoint’s weights, frozen.</p>
      <label className="param">
        1. Attribute group
        <select value={chosenGroup?.name ?? ''} onChange={(e) => setGroup(e.target.value)} data-testid="add-group">
          {free.map((g) => (
            <option key={g.name} value={g.name}>
              {g.name}
            </option>
          ))}
        </select>
      </label>
      <label className="param">
        2. Trained model (checkpoint)
        <select value={chosenCkpt} onChange={(e) => setCkpt(e.target.value)} data-testid="add-checkpoint">
          {checkpoints.map((k) => (
            <option key={k.id} value={k.id}>
              {k.id}
            </option>
          ))}
        </select>
      </label>
      <button disabled={!chosenGroup || !chosenCkpt} onClick={() => chosenGroup && void c.addTransformer(chosenGroup, chosenCkpt)} data-testid="add-transformer-go">
        3. Add it and freeze the rest
      </button>
      {!free.length && <p className="muted small">Every attribute group of the dataset has a transformer; “Suggest from columns” may offer more.</p>}
    </section>
  );
}
