import { describe, expect, it } from 'vitest';
import { type SocketHandlers, reconnectingEvents } from '../../../core/api/reconnect';
import type { JobInfo, RunEvent } from '../../../core/api/types';
import { ENDED_KEPT, createJobJournal } from '../../../core/engine/jobs';

// A dropped event socket is opened again with growing waits; once back, the engine's jobs are
// replayed (newer events wait for the replay), jobs the engine forgot are ended with a reason,
// and the page is told "reconnecting" once per drop and "connected" once back. The engine's
// journal keeps each job's latest events, and the end of the last few that ended.

const progress = (runId: string, iteration: number): RunEvent => ({ type: 'training-progress', runId, iteration, total: 10, iterationsPerSecond: 1, etaSeconds: 1, lr: 0.001, losses: {} });

function harness(jobs: () => Promise<JobInfo[]>) {
  const sockets: SocketHandlers[] = [];
  const waits: { f: () => void; ms: number }[] = [];
  const got: RunEvent[] = [];
  const events = reconnectingEvents({
    where: 'https://gpu:8470',
    connect: (h) => (sockets.push(h), { close: () => h.closed() }),
    listJobs: jobs,
    deliver: (e) => got.push(e),
    timers: { set: (f, ms) => waits.push({ f, ms }), clear: () => undefined },
    warn: () => undefined,
  });
  const send = (e: RunEvent) => sockets.at(-1)!.message(JSON.stringify(e));
  const tick = () => waits.shift()!.f();
  return { sockets, waits, got, events, send, tick };
}

describe('reconnecting events', () => {
  it('reopens with growing waits, replays the jobs, and says so once per drop', async () => {
    let reply: JobInfo[] = [];
    let answer!: () => void;
    const h = harness(() => new Promise((ok) => (answer = () => ok(reply))));
    h.sockets[0]!.open();
    await h.events.ready;
    h.send(progress('t1', 3));
    h.sockets[0]!.closed();
    expect(h.got.at(-1)).toMatchObject({ type: 'engine-connection', state: 'reconnecting', message: expect.stringMatching(/https:\/\/gpu:8470 dropped; runs go on there/) });
    // Two failed attempts: one message in all, waits growing.
    h.tick();
    h.sockets[1]!.closed();
    h.tick();
    h.sockets[2]!.closed();
    expect(h.got.filter((e) => e.type === 'engine-connection')).toHaveLength(1);
    expect(h.waits.map((w) => w.ms)).toEqual([1000]);
    h.tick();
    h.sockets[3]!.open();
    // A live event during the replay waits for it: nothing goes backwards.
    h.send(progress('t1', 9));
    reply = [{ runId: 't1', kind: 'training', running: true, events: [progress('t1', 7)] }];
    answer();
    await new Promise((ok) => setTimeout(ok, 0));
    expect(h.got.slice(-3)).toEqual([progress('t1', 7), progress('t1', 9), { type: 'engine-connection', state: 'connected', message: 'connected again to the engine at https://gpu:8470' }]);
    // The waits start over after a success.
    h.sockets[3]!.closed();
    expect(h.waits.map((w) => w.ms)).toEqual([250]);
  });

  it('ends a job the engine no longer knows (restarted meanwhile), with the reason', async () => {
    const h = harness(async () => []);
    h.sockets[0]!.open();
    h.send(progress('t1', 3));
    h.send({ type: 'batch-progress', runId: 'b1', done: 1, total: 4, imagesPerSecond: 1, etaSeconds: 3 });
    h.send({ type: 'finished', runId: 'r1', processed: 1, seconds: 1, cancelled: false, engine: 'x', skipped: [] });
    h.sockets[0]!.closed();
    h.tick();
    h.sockets[1]!.open();
    await new Promise((ok) => setTimeout(ok, 0));
    const ends = h.got.filter((e) => e.type === 'training-failed' || e.type === 'batch-failed' || (e.type === 'failed' && e.runId === 'r1'));
    expect(ends).toEqual([
      { type: 'training-failed', runId: 't1', message: expect.stringMatching(/no longer knows this training .*resume from its last checkpoint/) },
      { type: 'batch-failed', runId: 'b1', message: expect.stringMatching(/no longer knows this batch/) },
    ]);
  });

  it('stays closed once closed', () => {
    const h = harness(async () => []);
    h.sockets[0]!.open();
    h.events.close();
    expect(h.waits).toEqual([]);
    expect(h.got).toEqual([]);
  });
});

describe('the engine’s job journal', () => {
  it('keeps the latest event of each kind per job, in the order last sent, and the last ended jobs', () => {
    const j = createJobJournal();
    j.started('t1', 'training', '/p/a.mgproj.json');
    j.record(progress('t1', 1));
    j.record({ type: 'training-state', runId: 't1', state: 'paused' });
    j.record(progress('t1', 2));
    j.record({ type: 'training-note', runId: 't1', message: 'not kept' });
    j.record({ type: 'preview', runId: 'r1', node: 'out', index: 0, png: 'data:image/png;base64,' });
    expect(j.list()).toEqual([
      { runId: 't1', kind: 'training', running: true, subject: '/p/a.mgproj.json', events: [{ type: 'training-state', runId: 't1', state: 'paused' }, progress('t1', 2)] },
    ]);
    for (let i = 0; i < ENDED_KEPT + 3; i++) j.record({ type: 'failed', runId: `r${i}`, message: 'x' });
    j.record({ type: 'training-finished', runId: 't1', status: 'done', completed: 2 });
    const list = j.list();
    expect(list).toHaveLength(ENDED_KEPT);
    expect(list.find((x) => x.runId === 't1')).toMatchObject({ running: false, events: [expect.anything(), expect.anything(), { type: 'training-finished' }] });
  });
});
