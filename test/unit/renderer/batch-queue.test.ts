import { describe, expect, it, vi } from 'vitest';
import type { BatchRequest, StudioBridge } from '../../../core/api';
import { emptyProject } from '../../../core/graph';
import { StudioController } from '../../../renderer/app/controller';
import { EditorStore } from '../../../renderer/state/editor-store';
import { noPresetOrBatchCalls } from '../../helpers/fake-engine';

// The Batch panel's queue: the URL goes out with the request, and each worker's part and the
// latest notice come back with the progress events into the panel's state.

describe('batch sent to a queue, in the studio', () => {
  it('sends the queue URL and keeps per-worker progress and notices', async () => {
    const sent: BatchRequest[] = [];
    const api = {
      ...noPresetOrBatchCalls,
      startBatch: vi.fn(async (r: BatchRequest) => {
        sent.push(r);
        return { runId: 'b1' };
      }),
    } as unknown as StudioBridge;
    const store = new EditorStore();
    store.replaceUntitled(emptyProject('q'), 'new');
    const c = new StudioController(store, api, { askPath: async () => null, confirmDiscard: () => true });
    await c.startBatch({ input: '/in', output: '/out', queue: 'redis://fleet:6379/0' });
    expect(sent[0]).toMatchObject({ input: '/in', output: '/out', queue: 'redis://fleet:6379/0' });
    const workers = [
      { worker: 'gpu1:40', done: 12, shares: 3, running: 1, imagesPerSecond: 30.5 },
      { worker: 'gpu2:41', done: 8, shares: 2, running: 0, imagesPerSecond: 0 },
    ];
    c.onRunEvent({ type: 'batch-progress', runId: 'b1', done: 20, total: 64, imagesPerSecond: 25, etaSeconds: 2, workers, notice: 'lost the connection to Redis' });
    expect(store.getState().batch).toMatchObject({ status: 'running', done: 20, total: 64, workers, notice: 'lost the connection to Redis' });
    c.onRunEvent({ type: 'batch-progress', runId: 'b1', done: 30, total: 64, imagesPerSecond: 25, etaSeconds: 1 });
    expect(store.getState().batch).toMatchObject({ workers: [], notice: null });
  });
});
