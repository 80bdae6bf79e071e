import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEngineService, type EngineService } from '../../core/engine/service';
import { API_METHODS, type Reply, checkParams, checkResult, replySchema, runEventSchema } from '../../core/api/schemas';
import type { ApiMethod, EngineApi, RunEvent } from '../../core/api/types';
import { encodePng } from '../../core/data/images';
import { PROVENANCE_FORMAT, provenanceXmp } from '../../core/graph/format/provenance';
import { type Project, projectSchema } from '../../core/graph/format/project';
import { type EngineChild, serveEngine, superviseEngine } from '../../core/engine/engine-process';
import { registerMainIpc } from '../../electron/main-ipc';
import { CALL_CHANNEL, MENU_CHANNEL, RUN_EVENT_CHANNEL } from '../../electron/messages';
import { createPreloadBridge } from '../../electron/preload-bridge';
import { type WebHost, startWebHost } from '../../web/host';
import { diskState, expectReadable, textMutation, valueMutation } from '../helpers/fuzz';
import { tinyProject, writeTinyProject } from '../helpers/projects';
import { TINY_PROJECT } from '../helpers/training';

/** Main's supervised link to an engine, over a fake child port that exits only when killed (a fuzzed restartEngine). */
function linkOver(port: { on: (event: string, listener: (m: unknown) => void) => void; postMessage: EngineChild['postMessage'] }, log: (line: string) => void) {
  return superviseEngine(() => {
    let exit: ((code: number | null) => void) | undefined;
    const on = (event: string, listener: (...a: never[]) => void) => (event === 'exit' ? (exit = listener as never) : port.on(event, listener as never));
    return { on: on as EngineChild['on'], postMessage: port.postMessage, kill: () => queueMicrotask(() => exit?.(0)) };
  }, { log });
}

// Every message that crosses a process boundary, from a sender that may be broken or
// hostile: HTTP bodies to the web host (with the token), the page's calls into Electron
// main, main's requests into the engine process, the engine's replies and events back to
// main, and events reaching the preload. Each receiver answers with a structured reply or
// drops the message with a log line; it never throws, the real engine only ever sees calls
// that passed their schema, and the files the calls name never change.

const HTTP_RUNS = 1200;
const HOP_RUNS = 1500;

const dir = mkdtempSync(join(tmpdir(), 'mg-fuzz-msg-'));
const inDir = join(dir, 'in'); // files the calls read: must never change
const outDir = join(dir, 'out'); // the only place fuzzed calls may write
const stateDir = join(dir, 'state');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Calls that run for long (runs, batches, training) are answered here once they pass the schema: their work is tested elsewhere. */
const LONG = new Set<ApiMethod>(['startRun', 'startBatch', 'startTraining']);

/**
 * The real engine behind a fence: it records each call that reaches it, answers the long
 * ones itself, and refuses writes outside `out/` (a mutated path could otherwise name any
 * folder on this machine; the engine would rightly write there).
 */
function fenced(real: EngineService): EngineApi & { calls: [ApiMethod, unknown[]][] } {
  const calls: [ApiMethod, unknown[]][] = [];
  const inside = (p: unknown) => typeof p !== 'string' || resolve(p).startsWith(outDir + sep);
  const api = { calls, onRunEvent: real.onRunEvent.bind(real) } as EngineApi & { calls: typeof calls };
  for (const m of API_METHODS)
    (api as unknown as Record<string, unknown>)[m] = async (...args: unknown[]) => {
      calls.push([m, args]);
      if (LONG.has(m)) return { runId: 'fuzz' };
      if (m === 'saveProject' && !inside(args[0])) throw new Error('fuzz fence: writes go to out/ only');
      if (m === 'exportPreset' && !inside((args[0] as { path?: string }).path)) throw new Error('fuzz fence: writes go to out/ only');
      return (real[m] as (...a: unknown[]) => Promise<unknown>).apply(real, args);
    };
  return api;
}

let service: EngineService;
let engine: ReturnType<typeof fenced>;
let seeds: [ApiMethod, unknown[]][] = [];
/** A valid result per method, from the real engine answering the seeds: what fuzzed replies start from. */
const results = new Map<ApiMethod, unknown>();
let events: RunEvent[] = [];

beforeAll(async () => {
  mkdirSync(inDir);
  mkdirSync(outDir);
  cpSync(new URL('../fixtures/celeba', import.meta.url).pathname, join(inDir, 'celeba'), { recursive: true });
  const projectFile = writeTinyProject(inDir, join(inDir, 'celeba', 'img_align_celeba'));
  const project = tinyProject(join(inDir, 'celeba', 'img_align_celeba'));
  const training: Project = projectSchema.parse(JSON.parse(readFileSync(TINY_PROJECT, 'utf8')));
  service = createEngineService({ stateDir, demoPath: projectFile, host: 'test' });
  const exported = await service.exportPreset({ graph: project.graph, baseDir: inDir, name: 'fuzz', params: [], withWeights: false, path: join(inDir, 'fuzz.mgpreset.json') });
  const png = await encodePng(new Float32Array(4 * 4 * 3), 4, 4, 3, provenanceXmp({ format: PROVENANCE_FORMAT, version: 1, app: 'test', createdAt: '2026-01-01T00:00:00Z', graph: project.graph, seed: 1, modules: {} }));
  const celeba = { id: 'celeba', source: 'celeba' as const, path: 'celeba', imageSize: 8 };
  seeds = [
    ['info', []],
    ['openDemo', []],
    ['openProject', [projectFile]],
    ['saveProject', [join(outDir, 'saved.mgproj.json'), project]],
    ['listRecent', []],
    ['saveRecovery', [{ path: null, baseDir: inDir, project, savedAt: '2026-01-01T00:00:00Z' }]],
    ['loadRecovery', []],
    ['chooseProjectPath', ['save', null]],
    ['startRun', [{ graph: project.graph, baseDir: inDir, seed: 1, count: 2 }]],
    ['cancelRun', ['fuzz']],
    ['choosePresetPath', []],
    ['listPresets', []],
    ['exportPreset', [{ graph: project.graph, baseDir: inDir, name: 'again', params: [{ node: 'T', param: 'baseChannels' }], withWeights: false, path: join(outDir, 'p.mgpreset.json') }]],
    ['importPreset', [{ path: join(inDir, 'fuzz.mgpreset.json') }]],
    ['importPreset', [{ bytes: readFileSync(join(inDir, 'fuzz.mgpreset.json')).toString('base64') }]],
    ['renamePreset', [exported.entry.id, 'renamed']],
    ['setPresetVersion', [exported.entry.id, 'minor']],
    ['readProvenance', [png.toString('base64')]],
    ['startBatch', [{ graph: project.graph, baseDir: inDir, input: join(inDir, 'celeba'), output: join(outDir, 'batch') }]],
    ['cancelBatch', ['fuzz']],
    ['trainingGraph', [training]],
    ['applyTrainingGraph', [training, training.graph]],
    ['datasetColumns', [celeba, inDir]],
    ['datasetPreview', [celeba, inDir, 2]],
    ['suggestMapping', [['Black_Hair', 'Blond_Hair', 'Male', 'Smiling']]],
    ['startTraining', [{ projectPath: join(outDir, 'saved.mgproj.json'), iterations: 2 }]],
    ['pauseTraining', ['fuzz']],
    ['resumeTraining', ['fuzz']],
    ['stopTraining', ['fuzz']],
    ['stopAllTraining', []],
    ['listCheckpoints', [projectFile]],
    ['loadCheckpointIntoGraph', [projectFile, 'iter-000002']],
  ];
  // The seeds are valid calls (else the fuzz would only ever test refusals), and their answers seed the replies.
  for (const [m, p] of seeds) {
    expect(() => checkParams(m, p), m).not.toThrow();
    if (LONG.has(m)) results.set(m, { runId: 'fuzz' });
    else await (service[m] as (...a: unknown[]) => Promise<unknown>)(...p).then((r) => results.set(m, r), () => undefined);
  }
  const report = { input: inDir, output: outDir, finished: true, cancelled: false, processed: 1, alreadyDone: 0, written: 1, skipped: [{ file: 'a.png', reason: 'too small' }], failed: [], engine: 'tfjs', seconds: 1, imagesPerSecond: 1, reportPath: join(outDir, 'r.json') };
  events = [
    { type: 'progress', runId: 'r', done: 1, total: 2 },
    { type: 'preview', runId: 'r', node: 'out', index: 0, png: `data:image/png;base64,${png.toString('base64')}` },
    { type: 'finished', runId: 'r', processed: 2, seconds: 1, cancelled: false, engine: 'tfjs', skipped: [] },
    { type: 'failed', runId: 'r', message: 'no', node: 'E' },
    { type: 'batch-progress', runId: 'b', done: 1, total: 3, imagesPerSecond: 2, etaSeconds: 1 },
    { type: 'batch-finished', runId: 'b', report },
    { type: 'training-progress', runId: 't', iteration: 3, total: 10, iterationsPerSecond: 1, etaSeconds: 7, lr: 1e-4, losses: { d_total: 1 } },
    { type: 'training-checkpoint', runId: 't', checkpoint: { id: 'iter-000002', iteration: 2, createdAt: 'now', losses: {}, best: true, path: outDir } },
    { type: 'training-finished', runId: 't', status: 'done', completed: 10 },
  ];
  engine = fenced(service);
}, 60_000);

afterAll(() => service?.close());

/** Method names: the real ones, and names a hostile page would try. */
const methodName = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...API_METHODS) }, { weight: 1, arbitrary: fc.constantFrom('constructor', 'toString', 'close', 'onRunEvent', 'hasOwnProperty', 'Info', '') });

/** A call: a seed, its parameters damaged, someone else's parameters, or random JSON. */
const call = () =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...seeds) },
    { weight: 6, arbitrary: valueMutation(seeds) },
    { weight: 2, arbitrary: fc.tuple(methodName, fc.constantFrom(...seeds).map(([, p]) => p)) },
    { weight: 1, arbitrary: fc.tuple(methodName, fc.jsonValue({ maxDepth: 3 })) },
  ) as fc.Arbitrary<[string, unknown]>;

/** A fuzzed method name as text (it may be any JSON value, even { toString: null }). */
const nameOf = (m: unknown): string => (typeof m === 'string' ? m : JSON.stringify(m) ?? '');

/** A refusal says which call and which field, in words. */
function expectRefusal(error: string): void {
  expectReadable(error, /^refused (\w+ )?call:/.test(error) ? '' : error);
  if (/^refused (\w+ )?call:/.test(error)) expect(error).toMatch(/^refused (\w+ )?call: [^:]+: ./);
}

/** What reached the engine passed its schema; what the host sends back passes its own. */
function expectOnlyValidCallsReached(before: number): void {
  for (const [m, p] of engine.calls.slice(before)) expect(() => checkParams(m, p), m).not.toThrow();
}

describe('web host HTTP API under fuzzing', () => {
  let host: WebHost;
  const staticDir = join(dir, 'static');
  beforeAll(async () => {
    mkdirSync(staticDir);
    host = await startWebHost({ service: engine, staticDir });
  });
  afterAll(() => host?.close());

  const post = (path: string, text: string | Uint8Array, headers: Record<string, string>, method = 'POST') =>
    new Promise<{ status: number; body: string }>((ok, fail) => {
      // A fresh connection each time (agent: false): a kept-alive socket the host closed after an early 405 would fail the next request.
      // A length on every request, GET too: Node sends a GET's body unframed, which the host would rightly read as a broken request.
      const body = Buffer.from(text);
      const req = request({ host: '127.0.0.1', port: host.port, path, method, agent: false, headers: { 'x-modulargan-token': host.token, 'content-length': String(body.length), ...headers } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => ok({ status: res.statusCode!, body: text }));
      });
      req.on('error', fail);
      req.end(body);
    });

  it(`${HTTP_RUNS} random and damaged request bodies to every endpoint: structured replies, the host stays up, no file changes`, async () => {
    const before = diskState(inDir);
    const calls0 = engine.calls.length;
    const statuses = new Map<number, number>();
    const body = fc.oneof(
      { weight: 8, arbitrary: call().map(([m, p]) => ({ m, text: JSON.stringify({ params: p }) })) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...seeds)).chain(([[m, p]]) => textMutation([JSON.stringify({ params: p })]).map((text) => ({ m, text }))) },
      { weight: 1, arbitrary: fc.tuple(methodName, fc.jsonValue({ maxDepth: 3 })).map(([m, v]) => ({ m, text: JSON.stringify(v) })) },
      { weight: 1, arbitrary: fc.tuple(methodName, fc.uint8Array({ maxLength: 200 })).map(([m, text]) => ({ m, text })) },
    );
    const verb = fc.oneof({ weight: 20, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE') });
    const type = fc.oneof({ weight: 20, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=latin1', '') });
    await fc.assert(
      fc.asyncProperty(body, verb, type, async ({ m, text }, method, contentType) => {
        const res = await post(`/api/call/${encodeURIComponent(nameOf(m))}`, text, contentType ? { 'content-type': contentType } : {}, method);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // 500 would mean a handler threw: the host answers everything itself.
        expect([200, 400, 404, 405, 415]).toContain(res.status);
        if (res.status === 200 || res.status === 400) {
          const reply = replySchema.parse(JSON.parse(res.body)) as Reply;
          if (reply.ok) expect(() => checkResult(m as ApiMethod, reply.result)).not.toThrow();
          else expectRefusal(reply.error);
        }
      }),
      { numRuns: HTTP_RUNS },
    );
    expectOnlyValidCallsReached(calls0);
    // The fuzz reached the engine as well as being refused at the door.
    expect(engine.calls.length - calls0).toBeGreaterThan(HTTP_RUNS / 10);
    // About half the fuzzed calls are answered 200 (49-54% in seven runs, one on CI): below a third would not be chance.
    expect(statuses.get(200)).toBeGreaterThan(HTTP_RUNS / 3);
    // Still up and answering.
    expect(JSON.parse((await post('/api/call/info', '{"params":[]}', { 'content-type': 'application/json' })).body)).toMatchObject({ ok: true });
    expect(diskState(inDir)).toEqual(before);
  }, 120_000);

  it('random WebSocket frames from the page are ignored or end that socket, not the host', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
    await new Promise((ok, fail) => (ws.once('open', ok), ws.once('error', fail)));
    const closed = new Promise((ok) => ws.once('close', ok));
    for (const b of fc.sample(fc.uint8Array({ maxLength: 300 }), 100)) ws.send(b);
    ws.send(Buffer.alloc(4096)); // over the 1 KiB limit: the socket is closed
    await closed;
    expect(JSON.parse((await post('/api/call/info', '{"params":[]}', { 'content-type': 'application/json' })).body)).toMatchObject({ ok: true });
  });
});

describe('Electron IPC handlers under fuzzing (without Electron)', () => {
  /** A reply from the engine: a real answer, damaged, or junk. */
  const engineReply = (m: string) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(results.has(m as ApiMethod) ? { ok: true, result: results.get(m as ApiMethod) } : { ok: false, error: 'the engine could not do that' }) },
      { weight: 4, arbitrary: valueMutation([{ ok: true, result: results.get(m as ApiMethod) ?? null }]) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );

  it(`main: ${HOP_RUNS} page calls (trusted or not) with fuzzed engine replies get a checked reply`, async () => {
    let handler: ((e: { senderFrame?: { url: string } | null }, ...a: unknown[]) => Promise<unknown>) | undefined;
    const forwarded: [string, unknown[]][] = [];
    let nextReply: unknown;
    // The real link to the engine, over a fake port whose engine answers with the fuzzed reply.
    let toMain: ((m: unknown) => void) | undefined;
    const link = linkOver(
      {
        on: ((ev: string, l: (m: unknown) => void) => void (ev === 'message' && (toMain = l))) as never,
        postMessage: ({ id, method, params }) => {
          forwarded.push([method, params]);
          queueMicrotask(() => toMain!({ id, reply: nextReply }));
        },
      },
      () => {},
    );
    const PAGE = 'file:///app/dist/renderer/index.html';
    registerMainIpc(
      { handle: (_c, l) => void (handler = l) },
      { engine: link, dialogs: { chooseProjectPath: async () => null, choosePresetPath: async () => null }, trusted: (u) => u === PAGE, toPage: () => {}, version: 'fuzz' },
    );
    const frame = fc.oneof({ weight: 10, arbitrary: fc.constant({ senderFrame: { url: PAGE } }) }, { weight: 1, arbitrary: fc.constantFrom({ senderFrame: null }, {}, { senderFrame: { url: 'https://evil.example/' } }) });
    const payload = fc.oneof({ weight: 6, arbitrary: call().map(([method, params]) => ({ method, params })) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
    await fc.assert(
      fc.asyncProperty(frame, payload, fc.nat(), async (event, p, pick) => {
        const method = typeof p === 'object' && p && 'method' in p ? nameOf(p.method) : 'info';
        nextReply = fc.sample(engineReply(method), { numRuns: 1, seed: pick })[0];
        const n = forwarded.length;
        const reply = replySchema.parse(await handler!(event, p));
        if (event.senderFrame?.url !== PAGE) {
          expect(reply).toMatchObject({ ok: false, error: expect.stringMatching(/^refused/) });
          expect(forwarded.length).toBe(n);
        }
        if (reply.ok) expect(() => checkResult(method as ApiMethod, reply.result)).not.toThrow();
        else expectReadable(reply.error);
      }),
      { numRuns: HOP_RUNS },
    );
    for (const [m, p] of forwarded) expect(() => checkParams(m, p)).not.toThrow();
    expect(forwarded.length).toBeGreaterThan(HOP_RUNS / 10);
  }, 60_000);

  it(`engine process: ${HOP_RUNS} requests from main reach the real engine only when valid; no file changes`, async () => {
    const before = diskState(inDir);
    const calls0 = engine.calls.length;
    let listener: ((e: { data: unknown }) => void) | undefined;
    const posted: unknown[] = [];
    const logged: string[] = [];
    serveEngine({ on: (_e, l) => void (listener = l), postMessage: (m) => void posted.push(m) }, engine, (l) => void logged.push(l));
    const request = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.nat(), call()).map(([id, [method, params]]) => ({ id, method, params })) },
      { weight: 1, arbitrary: valueMutation([{ id: 1, method: 'info', params: [] }]) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(request, async (data) => {
        const n = posted.length + logged.length;
        expect(() => listener!({ data })).not.toThrow();
        sent++;
        // One at a time, so a slow call cannot pile up behind the fuzz.
        for (let i = 0; i < 10_000 && posted.length + logged.length === n; i++) await new Promise((r) => setTimeout(r, 1));
      }),
      { numRuns: HOP_RUNS },
    );
    // Each request was answered or logged as refused, once: none lost, none doubled.
    for (let i = 0; i < 10_000 && posted.length + logged.length < sent; i++) await new Promise((r) => setTimeout(r, 1));
    expect(posted.length + logged.length).toBe(sent);
    for (const m of posted) {
      const { id, reply } = m as { id: number; reply: unknown };
      expect(Number.isInteger(id)).toBe(true);
      const r = replySchema.parse(reply);
      if (!r.ok) expectRefusal(r.error);
    }
    expect(sent).toBe(HOP_RUNS);
    for (const l of logged) expectReadable(l);
    expectOnlyValidCallsReached(calls0);
    expect(diskState(inDir)).toEqual(before);
  }, 120_000);

  it(`main from the engine: ${HOP_RUNS} fuzzed replies and events are checked before anyone sees them`, async () => {
    let onMessage: ((m: unknown) => void) | undefined;
    const logged: string[] = [];
    const link = linkOver({ on: ((ev: string, l: (m: unknown) => void) => void (ev === 'message' && (onMessage = l))) as never, postMessage: () => {} }, (l) => void logged.push(l));
    const seen: RunEvent[] = [];
    link.onRunEvent((e) => void seen.push(e));
    const replies: Reply[] = [];
    const message = fc.oneof(
      { weight: 3, arbitrary: valueMutation(events.map((event) => ({ event }))) },
      { weight: 1, arbitrary: fc.constantFrom(...events).map((event) => ({ event })) },
      { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 50 }), fc.constantFrom(...seeds)).chain(([id, [m]]) => engineReply(m).map((reply) => ({ id, reply }))) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    for (let i = 0; i < 60; i++) void link.call('info', []).then((r) => replies.push(r));
    let valid = 0;
    fc.assert(
      fc.property(message, (m) => {
        const isEvent = typeof m === 'object' && m !== null && !Array.isArray(m) && 'event' in m && !('id' in m);
        if (isEvent && runEventSchema.safeParse(m.event).success) valid++;
        expect(() => onMessage!(m)).not.toThrow();
      }),
      { numRuns: HOP_RUNS },
    );
    await new Promise((r) => setTimeout(r, 10));
    // Exactly the events that pass their schema reach the listeners.
    expect(seen.length).toBe(valid);
    for (const r of replies) {
      expect(() => replySchema.parse(r)).not.toThrow();
      if (!r.ok) expectReadable(r.error, r.error);
    }
    expect(seen.length).toBeGreaterThan(HOP_RUNS / 20);
    for (const l of logged) expectReadable(l);
  });

  // Found by the fuzz above on CI: a start call answered with a run id that is an object, or a
  // call named like an Object property, threw in main. Kept as fixed cases.
  it('main from the engine: a start reply whose run id is not text, or a call named like an Object property, throws nothing', async () => {
    let onMessage: ((m: unknown) => void) | undefined;
    const posted: { id: number }[] = [];
    const link = linkOver({ on: ((ev: string, l: (m: unknown) => void) => void (ev === 'message' && (onMessage = l))) as never, postMessage: (m) => void posted.push(m as { id: number }) }, () => {});
    const cases: [string, unknown][] = [['startRun', { toString: 1 }], ['startTraining', ['x']], ['constructor', 'r1'], ['__proto__', 'r2'], ['startBatch', 'b1']];
    for (const [method, runId] of cases) {
      const reply = link.call(method, []);
      const { id } = posted.at(-1)!;
      expect(() => onMessage!({ id, reply: { ok: true, result: { runId } } }), method).not.toThrow();
      expect(await reply).toMatchObject({ ok: true });
    }
  });

  it(`preload: ${HOP_RUNS} fuzzed events and replies reach the page only when valid`, async () => {
    const on = new Map<string, (e: unknown, ...a: unknown[]) => void>();
    let nextReply: unknown;
    const bridge = createPreloadBridge({ invoke: async () => nextReply, on: (c, l) => void on.set(c, l), removeListener: () => {} });
    const seen: RunEvent[] = [];
    const commands: unknown[] = [];
    bridge.onRunEvent((e) => void seen.push(e));
    bridge.onMenuCommand!((c, arg) => void commands.push([c, arg]));
    const message = fc.oneof(
      { weight: 3, arbitrary: fc.tuple(fc.constant(RUN_EVENT_CHANNEL), valueMutation(events)) },
      { weight: 1, arbitrary: fc.tuple(fc.constant(MENU_CHANNEL), fc.oneof(fc.constantFrom('open', 'save', 'openRecent', 'rm -rf'), fc.jsonValue())) },
      { weight: 2, arbitrary: fc.tuple(fc.constant(CALL_CHANNEL), fc.constantFrom(...seeds).chain(([m]) => engineReply(m).map((r) => [m, r] as const))) },
    );
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(message, fc.jsonValue({ maxDepth: 1 }), async ([channel, value], extra) => {
        if (channel === RUN_EVENT_CHANNEL && runEventSchema.safeParse(value).success) valid++;
        if (channel === CALL_CHANNEL) {
          const [m, reply] = value as readonly [ApiMethod, unknown];
          nextReply = reply;
          await (bridge[m] as (...a: unknown[]) => Promise<unknown>)().then(
            (r) => expect(() => checkResult(m, r)).not.toThrow(),
            (e: Error) => expectReadable(e.message, e.message),
          );
        } else expect(() => on.get(channel)!(null, value, extra)).not.toThrow();
      }),
      { numRuns: HOP_RUNS },
    );
    expect(seen.length).toBe(valid);
    for (const [c, arg] of commands as [string, unknown][]) {
      expect(['new', 'open', 'save', 'saveAs', 'undo', 'redo', 'run', 'layout', 'openRecent']).toContain(c);
      expect(arg === undefined || typeof arg === 'string').toBe(true);
    }
    expect(seen.length).toBeGreaterThan(0);
  });
});
