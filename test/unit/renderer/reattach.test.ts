// A page opened (or reloaded) while the engine trains finds the training and follows it:
// its latest progress and state, and Pause and Stop work on it. A progress event sent again
// by a reconnecting link adds no second point to the curves. The studio's controller shows
// "reconnecting" while the link is down and clears it once back.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { JobInfo, RunEvent, StudioBridge } from '../../../core/api';
import { type Project, loadProject } from '../../../core/graph';
import { StudioController } from '../../../renderer/app/controller';
import { EditorStore } from '../../../renderer/state/editor-store';
import { TrainingController } from '../../../renderer/training/training-controller';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';
import { TINY_PROJECT } from '../../helpers/training';

const tiny = (): Project => {
  const r = loadProject(readFileSync(TINY_PROJECT, 'utf8'));
  if (!r.ok) throw new Error('tiny project does not load');
  return r.value.value;
};
const progress = (iteration: number): RunEvent => ({ type: 'training-progress', runId: 't9', iteration, total: 100, iterationsPerSecond: 2, etaSeconds: 40, lr: 1e-3, losses: { d_total: iteration } });

function setup(jobs: JobInfo[]) {
  let emit: (e: RunEvent) => void = () => {};
  const api = {
    ...noPresetOrBatchCalls,
    listJobs: vi.fn(async () => jobs),
    pauseTraining: vi.fn(async () => undefined),
    onRunEvent: (l: (e: RunEvent) => void) => {
      emit = l;
      return () => {};
    },
  } as unknown as StudioBridge;
  const store = new EditorStore();
  store.load(tiny(), '/p/tiny.mgproj.json', '/p');
  const studio = new StudioController(store, api, { askPath: async () => null, confirmDiscard: () => true });
  const c = new TrainingController(studio);
  c.start();
  return { c, api, store, studio, emit: (e: RunEvent) => emit(e) };
}

describe('a page that opens while the engine trains', () => {
  it('follows the training it finds, and controls it', async () => {
    const { c, api } = setup([
      { runId: 'r1', kind: 'run', running: false, events: [] },
      { runId: 't9', kind: 'training', running: true, subject: '/srv/p/a.mgproj.json', events: [{ type: 'training-state', runId: 't9', state: 'running' }, progress(40)] },
    ]);
    await vi.waitFor(() => expect(c.store.getState().runId).toBe('t9'));
    expect(c.store.getState()).toMatchObject({ status: 'running', iteration: 40, total: 100, message: 'Training /srv/p/a.mgproj.json (started before this page opened)' });
    await c.pause();
    expect(api.pauseTraining).toHaveBeenCalledWith('t9');
  });

  it('adds one curve point per iteration, whatever is sent again', async () => {
    const { c, emit } = setup([{ runId: 't9', kind: 'training', running: true, events: [progress(40)] }]);
    await vi.waitFor(() => expect(c.store.getState().runId).toBe('t9'));
    emit(progress(41));
    emit(progress(41)); // replayed after a reconnection
    emit(progress(42));
    expect(c.store.getState().series.x).toEqual([40, 41, 42]);
  });

  it('follows nothing when the engine runs no training', async () => {
    const { c, api } = setup([{ runId: 't0', kind: 'training', running: false, events: [] }]);
    await vi.waitFor(() => expect(api.listJobs).toHaveBeenCalled());
    expect(c.store.getState()).toMatchObject({ runId: null, status: 'idle' });
  });
});

describe('the studio while the link to the engine is down', () => {
  it('says so, and stops saying so once it is back', () => {
    const { studio, store } = setup([]);
    studio.onRunEvent({ type: 'engine-connection', state: 'reconnecting', message: 'the link dropped' });
    expect(store.getState().reconnecting).toBe('the link dropped');
    expect(store.getState().engineExit).toBeNull();
    studio.onRunEvent({ type: 'engine-connection', state: 'connected', message: 'back' });
    expect(store.getState().reconnecting).toBeNull();
  });
});
