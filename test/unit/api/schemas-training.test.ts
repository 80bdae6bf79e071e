// The training calls' and events' schemas: what a page may send, what comes back.
import { describe, expect, it } from 'vitest';
import { PayloadError, checkParams, checkResult, checkRunEvent } from '../../../core/api/schemas';
import { MAX_LOCAL_PROCESSES, TRAINING_ENGINES } from '../../../core/api/training-engines';

describe('training call schemas', () => {
  it('accepts a training request and refuses checkpoint ids that are paths', () => {
    expect(checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', resume: 'iter-000012' }]).method).toBe('startTraining');
    expect(checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', resume: 'latest', iterations: 10 }]).params).toHaveLength(1);
    expect(() => checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', resume: '../../etc' }])).toThrow(PayloadError);
    expect(() => checkParams('startTraining', [{ projectPath: '', iterations: 0 }])).toThrow(/projectPath|iterations/);
    expect(() => checkParams('loadCheckpointIntoGraph', ['/p/a.mgproj.json', 'iter-1/../../x'])).toThrow(/checkpoint/);
    expect(() => checkParams('datasetPreview', [{ id: 'd', source: 'colormnist', imageSize: 32 }, '/', 500])).toThrow(PayloadError);
    expect(checkParams('suggestMapping', [['Black_Hair', 'Male']]).params).toEqual([['Black_Hair', 'Male']]);
  });

  it('takes the training engine from the one list, and processes only for PyTorch', () => {
    for (const engine of TRAINING_ENGINES) expect(checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', engine }]).params[0]).toMatchObject({ engine });
    expect(checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', engine: 'torch', nproc: 2 }]).params[0]).toMatchObject({ engine: 'torch', nproc: 2 });
    expect(() => checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', engine: 'tensorflow' }])).toThrow(/refused startTraining call: 0\.engine: .*"builtin"\|"torch"/);
    expect(() => checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', nproc: 2 }])).toThrow('refused startTraining call: 0.nproc: needs engine torch (the built-in engine trains in one process)');
    expect(() => checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', engine: 'builtin', nproc: 1 }])).toThrow(/0\.nproc: needs engine torch/);
    for (const nproc of [0, 1.5, MAX_LOCAL_PROCESSES + 1]) expect(() => checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', engine: 'torch', nproc }])).toThrow(/0\.nproc/);
    const torch = { name: 'torch', available: false, reason: 'no Python here imports torch', maxProcesses: 1, cannotPause: 'it runs in its own process' };
    expect(checkResult('trainingEngines', [{ name: 'builtin', available: true, reason: 'here', maxProcesses: 1 }, torch])).toHaveLength(2);
    expect(() => checkResult('trainingEngines', [{ ...torch, name: 'jax' }])).toThrow(PayloadError);
  });

  it('takes a queue as the batch does (a redis URL), and a queue name only with a queue', () => {
    const queued = { projectPath: '/p/a.mgproj.json', queue: 'redis://gpu-box:6379/2', queueName: 'gpu.pool-1' };
    expect(checkParams('startTraining', [queued]).params[0]).toMatchObject(queued);
    expect(checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', queue: 'rediss://u:p@h/0', engine: 'torch', nproc: 8 }]).params[0]).toMatchObject({ nproc: 8 });
    expect(() => checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', queue: 'http://h:6379' }])).toThrow('refused startTraining call: 0.queue: must be a redis:// URL');
    expect(() => checkParams('startBatch', [{ graph: { nodes: [], edges: [] }, baseDir: '/', input: '/i', output: '/o', queue: 'h:6379' }])).toThrow(/0\.queue: must be a redis:\/\/ URL/);
    expect(() => checkParams('startTraining', [{ projectPath: '/p/a.mgproj.json', queueName: 'gpu' }])).toThrow('refused startTraining call: 0.queueName: needs queue (the Redis the queue is on)');
    for (const queueName of ['', 'a b', 'x'.repeat(65), 'a:b'])
      expect(() => checkParams('startTraining', [{ ...queued, queueName }])).toThrow(/0\.queueName: must be 1-64 letters/);
  });

  it('checks checkpoint lists and dataset previews coming back', () => {
    const c = { id: 'iter-000004', iteration: 4, createdAt: 'now', losses: { d_total: 1 }, best: true, path: '/r/iter-000004' };
    expect(checkResult('listCheckpoints', [c])).toEqual([c]);
    expect(() => checkResult('listCheckpoints', [{ ...c, id: 'x' }])).toThrow(PayloadError);
    expect(() => checkResult('datasetPreview', { title: 't', groups: [], samples: [{ png: 'http://x', labels: {} }], notes: [] })).toThrow(PayloadError);
  });

  it('checks training events; an ETA of Infinity (null in JSON) survives', () => {
    const progress = JSON.parse(
      JSON.stringify({ type: 'training-progress', runId: 'r', iteration: 1, total: 8, iterationsPerSecond: 2, etaSeconds: Infinity, lr: 1e-3, losses: { d_total: 0.5 } }),
    );
    expect(checkRunEvent(progress)).toMatchObject({ etaSeconds: Infinity });
    expect(checkRunEvent({ type: 'training-state', runId: 'r', state: 'paused' }).type).toBe('training-state');
    expect(() => checkRunEvent({ type: 'training-state', runId: 'r', state: 'sleeping' })).toThrow(PayloadError);
    expect(() => checkRunEvent({ type: 'training-sample', runId: 'r', iteration: 2, png: 'javascript:1' })).toThrow(PayloadError);
    expect(checkRunEvent({ type: 'training-finished', runId: 'r', status: 'stopped', completed: 3 }).type).toBe('training-finished');
  });
});
