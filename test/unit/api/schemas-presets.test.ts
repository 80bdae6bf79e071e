import { describe, expect, it } from 'vitest';
import { checkParams, checkResult, checkRunEvent, dispatchCall } from '../../../core/api';
import type { EngineApi } from '../../../core/api/types';

const graph = { nodes: [], edges: [] };

describe('schemas of the preset, provenance and batch calls', () => {
  it('refuse malformed requests before they reach the engine, saying where', () => {
    expect(() => checkParams('exportPreset', [{ graph, baseDir: '', name: ' ', params: [], withWeights: false }])).toThrow(/refused exportPreset call: 0.name/);
    expect(() => checkParams('exportPreset', [{ graph, baseDir: '', name: 'x', params: [], withWeights: 'yes' }])).toThrow(/withWeights/);
    expect(() => checkParams('importPreset', [{ path: '/a', bytes: 'AA==' }])).toThrow(/refused importPreset call/);
    expect(() => checkParams('importPreset', [{ bytes: 'not base64!' }])).toThrow(/refused importPreset call/);
    expect(() => checkParams('readProvenance', [''])).toThrow(/refused readProvenance call/);
    expect(() => checkParams('setPresetVersion', ['Hair', 'huge'])).toThrow(/refused setPresetVersion call/);
    expect(() => checkParams('startBatch', [{ graph, baseDir: '', input: '/a', output: '/b', batchSize: 0 }])).toThrow(/batchSize/);
    expect(checkParams('startBatch', [{ graph, baseDir: '', input: '/a', output: '/b', glob: '*.png', skipExisting: true }]).method).toBe('startBatch');
  });

  it('check replies and events on the receiving side', () => {
    expect(() => checkResult('listPresets', [{ id: 'x', source: 'user', preset: { name: 'no format' } }])).toThrow(/refused listPresets reply/);
    expect(() => checkResult('readProvenance', { graph, seed: 1.5, createdAt: '', app: '' })).toThrow(/seed/);
    expect(() => checkRunEvent({ type: 'batch-progress', runId: 'b', done: 1, total: 2, imagesPerSecond: 3 })).toThrow(/etaSeconds/);
    expect(() => checkRunEvent({ type: 'batch-finished', runId: 'b', report: { processed: 1 } })).toThrow(/refused run event/);
  });

  it('never pass an engine error through as anything but a message', async () => {
    const service = { readProvenance: async () => Promise.reject(new Error('the image carries no ModularGAN provenance')) } as unknown as EngineApi;
    expect(await dispatchCall(service, 'readProvenance', ['AA=='])).toEqual({ ok: false, error: 'the image carries no ModularGAN provenance' });
  });
});
