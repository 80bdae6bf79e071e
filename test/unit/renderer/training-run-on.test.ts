// The Training tab's "Run on" choice with a fake engine: this machine by default; a queue
// needs a redis:// address before Start trains (Start says what is missing), sends it with
// the request, and its run has no pretend pause; on a queue the worker's machine decides
// which engines exist, so PyTorch missing here is no refusal there, while "this machine" is
// refused with the reason until an engine this machine has is chosen; the choice outlives
// opening another document.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { MAX_LOCAL_PROCESSES, QUEUE_CANNOT_PAUSE, type RunEvent, type StudioBridge } from '../../../core/api';
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

function setup() {
  const api = {
    ...noPresetOrBatchCalls,
    info: async () => ({ version: '0', host: 'test' as const, nativeDialogs: false }),
    saveProject: vi.fn(async (path: string) => ({ path })),
    saveRecovery: async () => undefined,
    listRecent: async () => [],
    listJobs: async () => [],
    listCheckpoints: vi.fn(async () => []),
    trainingEngines: vi.fn(async () => [
      { name: 'builtin' as const, available: true, reason: 'here', maxProcesses: 1 },
      { name: 'torch' as const, available: false, reason: 'no Python here imports torch', maxProcesses: 1, cannotPause: 'its own process' },
    ]),
    startTraining: vi.fn(async () => ({ runId: 't1' })),
    onRunEvent: (_l: (e: RunEvent) => void) => () => {},
  } as unknown as StudioBridge;
  const store = new EditorStore();
  store.load(tiny(), '/p/tiny.mgproj.json', '/p');
  const c = new TrainingController(new StudioController(store, api, { askPath: async () => null, confirmDiscard: () => true }));
  c.start();
  return { c, store, api };
}

describe('Run on: this machine or a queue', () => {
  it('trains here unless a queue is chosen; a queue needs a redis:// address, which the request carries', async () => {
    const { c, api } = setup();
    expect(c.store.getState().runOn).toBe('here');
    await c.startTraining();
    expect(api.startTraining).toHaveBeenLastCalledWith({ projectPath: '/p/tiny.mgproj.json' });
    c.store.set({ status: 'idle' });

    expect(c.setRunOn('queue')).toBeNull();
    expect(c.cannotStart()).toMatch(/^Give the queue’s address \(redis:\/\/host:6379\/0\)/);
    c.setQueue('gpu-box:6379');
    expect(c.cannotStart()).toBe('The queue’s address must be a redis:// URL, e.g. redis://host:6379/0');
    await c.startTraining();
    expect(api.startTraining).toHaveBeenCalledTimes(1);
    expect(c.store.getState().message).toMatch(/must be a redis:\/\/ URL/);

    c.setQueue(' redis://gpu-box:6379/2 ');
    expect(c.cannotStart()).toBeNull();
    await c.startTraining();
    expect(api.startTraining).toHaveBeenLastCalledWith({ projectPath: '/p/tiny.mgproj.json', queue: 'redis://gpu-box:6379/2' });
    // The model is on the worker's machine: Pause shows why it is off.
    expect(c.store.getState()).toMatchObject({ runId: 't1', status: 'running', cannotPause: QUEUE_CANNOT_PAUSE });
  });

  it('on a queue offers engines this machine lacks; this machine is refused with the reason until its engine is one it has', async () => {
    const { c, api, store } = setup();
    c.show('training');
    await vi.waitFor(() => expect(c.store.getState().engines).toHaveLength(2));
    expect(c.setEngine('torch')).toBe('Not available: no Python here imports torch');
    expect(c.setRunOn('queue')).toBeNull();
    expect(c.setEngine('torch')).toBeNull();
    expect(c.maxProcesses()).toBe(MAX_LOCAL_PROCESSES);
    expect(c.setProcesses(8)).toBeNull();
    const why = 'PyTorch cannot train on the engine’s machine (no Python here imports torch): choose the built-in engine first';
    expect(c.cannotRunOn('here')).toBe(why);
    expect(c.setRunOn('here')).toBe(why);
    expect(c.store.getState().runOn).toBe('queue');

    c.setQueue('redis://gpu-box:6379/0');
    await c.startTraining();
    expect(api.startTraining).toHaveBeenLastCalledWith({ projectPath: '/p/tiny.mgproj.json', engine: 'torch', nproc: 8, queue: 'redis://gpu-box:6379/0' });
    c.store.set({ status: 'idle' });

    // Another document: the choice and the address stay (they are the user's, not the project's).
    store.load(tiny(), '/p/other.mgproj.json', '/p');
    expect(c.store.getState()).toMatchObject({ runOn: 'queue', queue: 'redis://gpu-box:6379/0', engine: 'torch' });

    expect(c.setEngine('builtin')).toBeNull();
    expect(c.setRunOn('here')).toBeNull();
    expect(c.store.getState()).toMatchObject({ runOn: 'here', nproc: 1 });
  });
});
