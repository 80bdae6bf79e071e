// The Training view: the training graph (the editor's own palette, canvas and inspector over
// a second store, so it is edited and validated like any graph; its edits go into the
// project), the dataset set-up and the run's settings, run controls, loss curves, the newest
// samples and the checkpoints. The graph has the middle to itself, drawn compact, so it fits.

import { ReactFlowProvider } from '@xyflow/react';
import { type ReactNode, useMemo } from 'react';
import { analyzeTrainingGraph } from '../../core/graph';
import { GraphCanvas } from '../canvas/GraphCanvas';
import { Inspector } from '../panels/Inspector';
import { StoreContext } from '../state/use-editor';
import { AddTransformerFlow } from './AddTransformerFlow';
import { CheckpointList } from './CheckpointList';
import { DatasetPanel } from './DatasetPanel';
import { LossChart } from './LossChart';
import { RunControls } from './RunControls';
import { SampleGrid } from './SampleGrid';
import { TrainingPalette } from './TrainingPalette';
import { TrainingSettings } from './TrainingSettings';
import type { TrainingController } from './training-controller';
import { measuredAxis, splitMeasured } from './training-state';
import { useTraining } from './use-training';

/** What the training graph's quick add offers: what its palette offers. */
const TRAINING_KINDS = ['transformer'];

function Curves({ c }: { c: TrainingController }) {
  const series = useTraining(c, (s) => s.series);
  const { losses, measured } = useMemo(() => splitMeasured(series), [series]);
  return (
    <>
      <LossChart series={losses} />
      {measured.x.length > 0 && <LossChart series={measured} title="Measured (training.monitor): FID (right axis), error, accuracy, kept, L1" smoothable={false} testId="measured-chart" axisOf={measuredAxis} />}
    </>
  );
}

export function TrainingView({ c }: { c: TrainingController }) {
  const status = useTraining(c, (s) => s.status);
  const live = status === 'starting' || status === 'running' || status === 'paused' || status === 'stopping';
  // The training graph's palette (left), canvas (middle) and inspector (right) share its
  // store and React Flow instance; the side panels around them read the project.
  const graph = (children: ReactNode) => <StoreContext.Provider value={c.graphStore}>{children}</StoreContext.Provider>;
  return (
    <ReactFlowProvider>
      <div className="training-view" data-testid="training-view">
        <aside className="training-side">
          <DatasetPanel c={c} />
          <TrainingSettings c={c} locked={live} />
          {graph(<TrainingPalette c={c} />)}
        </aside>
        <div className="training-main">
          <div className="training-graph" data-testid="training-graph">
            {graph(<GraphCanvas analyze={analyzeTrainingGraph} kinds={TRAINING_KINDS} minimap={false} untrainedBadges={false} compact />)}
          </div>
          <div className="training-live">
            <div className="training-live-left">
              <RunControls c={c} />
              <Curves c={c} />
            </div>
            <SampleGrid c={c} />
          </div>
        </div>
        <aside className="training-side">
          {graph(<Inspector />)}
          <CheckpointList c={c} />
          <AddTransformerFlow c={c} />
        </aside>
      </div>
    </ReactFlowProvider>
  );
}

/** The Editor / Training switch, with the run's progress visible from the editor too. */
export function ViewTabs({ c }: { c: TrainingController }) {
  const { view, status, iteration, total } = useTraining(c, (s) => s);
  const live = status === 'running' || status === 'paused' || status === 'stopping' || status === 'starting';
  return (
    <nav className="view-tabs" role="tablist">
      <button role="tab" aria-selected={view === 'editor'} className={view === 'editor' ? 'active' : ''} onClick={() => c.show('editor')} data-testid="tab-editor">
        Editor
      </button>
      <button role="tab" aria-selected={view === 'training'} className={view === 'training' ? 'active' : ''} onClick={() => c.show('training')} data-testid="tab-training">
        Training
      </button>
      {live && (
        <span className="muted" data-testid="tab-training-status">
          training {status === 'paused' ? '(paused) ' : ''}
          {iteration}/{total}
        </span>
      )}
      <button className="link help-button" onClick={() => c.studio.store.showHelp(true)} title="Keyboard shortcuts and mouse gestures (?)" data-testid="show-shortcuts">
        Shortcuts ?
      </button>
    </nav>
  );
}
