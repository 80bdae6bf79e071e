// The Training view's palette: the editor's palette limited to what the training graph can
// hold (transformers; the trainer makes the D, conditions and loss terms), a transformer
// ready-made for each dataset attribute without one, which attribute each transformer
// changes, and whether the training graph is valid. Every change is an edit of the training
// graph, so it is validated and carried into the project like any other.

import { type AttributeGroup, analyzeTrainingGraph, datasetGroupsOf, freeGroups, groupsOf, transformerFor } from '../../core/graph';
import { Palette, PaletteItem } from '../panels/Palette';
import { useEditor } from '../state/use-editor';
import type { TrainingController } from './training-controller';

export function TrainingPalette({ c }: { c: TrainingController }) {
  const graph = useEditor((s) => s.history.present.graph);
  const data = graph.nodes.find((n) => n.kind === 'dataset');
  const groups = data ? datasetGroupsOf(data) : [];
  const transformers = graph.nodes.filter((n) => n.kind === 'transformer');
  const errors = analyzeTrainingGraph(graph).diagnostics.filter((d) => d.severity === 'error').length;
  const pick = (id: string, name: string) => {
    const g = groups.find((x) => x.name === name);
    if (g) c.mapTransformer(id, g as AttributeGroup);
  };
  return (
    <Palette kinds={['transformer']}>
      <section>
        <h3>Transformer for an attribute</h3>
        {freeGroups(graph).map((g) => {
          const t = transformerFor(graph, g);
          return <PaletteItem key={g.name} kind="transformer" title={`T for ${g.name}`} help={`A transformer that changes '${g.name}', sized like the others; its D and loss terms follow.`} badge="T" category="module" testId={`palette-attr-${g.name}`} init={t} />;
        })}
        {data && !freeGroups(graph).length && <p className="muted small">Every attribute of the dataset has a transformer.</p>}
      </section>
      <section data-testid="attribute-map">
        <h3>Attribute of each transformer</h3>
        {transformers.map((t) => {
          const mine = groupsOf(t);
          const current = mine.length === 1 ? mine[0]!.name : '';
          const known = groups.some((g) => g.name === current);
          return (
            <label key={t.id} className="param">
              {t.label || t.id}
              <select value={current} onChange={(e) => pick(t.id, e.target.value)} data-testid={`map-${t.id}`}>
                {!known && <option value={current}>{`${mine.map((g) => g.name).join(', ') || 'none'} (not one group of the dataset)`}</option>}
                {groups.map((g) => (
                  <option key={g.name} value={g.name}>
                    {g.name}
                  </option>
                ))}
              </select>
            </label>
          );
        })}
      </section>
      <p className="muted small">Delete removes the selected transformer with its D and loss terms. Select a loss node to change its weight.</p>
      <p className={!data ? 'muted' : errors ? 'bad' : 'good'} data-testid="training-validity">
        {!data ? 'No training graph: the project has no training section' : errors ? `${errors} problem${errors > 1 ? 's' : ''}, marked in red` : '✓ the training graph is valid'}
      </p>
    </Palette>
  );
}
