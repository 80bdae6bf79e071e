import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { emptyProject } from '../../core/graph';
import { startEngineProcess } from '../../web/engine';
import { type WebHost, startWebHost } from '../../web/host';

// The real web host with its real engine child process, attacked over real sockets by
// anyone on the machine (no token) and by a careless or hostile page (with it): URLs that
// do not parse, broken escapes, oversized and endless bodies, raw garbage, half requests,
// junk WebSocket frames, and the engine SIGKILLed just before and in the middle of a large
// call. Each must get a proper status or a clean close; the host stays up and a normal call
// is answered afterwards, by a restarted engine where it died.

const dir = mkdtempSync(join(tmpdir(), 'mg-web-hostile-'));
const staticDir = join(dir, 'static');
const stateDir = join(dir, 'state');
mkdirSync(staticDir);
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
const DEMO = join(import.meta.dirname, '../fixtures/demo/demo.mgproj.json');
const MiB = 1024 * 1024;

// What would end a host running in a process of its own: vitest's worker catches it and
// goes on, so each test checks that nothing of the kind happened while it ran.
const fatal: unknown[] = [];
const onFatal = (e: unknown) => void fatal.push(e);
process.on('uncaughtException', onFatal);
process.on('unhandledRejection', onFatal);
afterEach(() => {
  expect(fatal.splice(0), 'an error that would have ended the host process').toEqual([]);
});

const logged: string[] = [];
// Restarted only on request here: these tests follow each death to the page's restart.
const engine = startEngineProcess({ stateDir, demoPath: DEMO, log: (l) => logged.push(l), autoRestart: false });
let host: WebHost;
beforeAll(async () => {
  host = await startWebHost({ engine, stateDir, staticDir, log: (l) => logged.push(l) });
});
afterAll(async () => {
  process.off('uncaughtException', onFatal);
  process.off('unhandledRejection', onFatal);
  await engine.close();
  await host?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hostHeader = () => `Host: 127.0.0.1:${host.port}\r\n`;
const tokenHeader = () => `x-modulargan-token: ${host.token}\r\n`;

interface Raw {
  /** Everything the host sent back. */
  text: string;
  /** Did the host close the connection (rather than the test giving up waiting)? */
  closed: boolean;
}
/** Sends bytes on one fresh TCP connection and collects the answer until the host closes it or `waitMs` pass. */
function raw(chunks: (string | Buffer)[], waitMs = 500): Promise<Raw> {
  return new Promise((ok) => {
    const c = connect(host.port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.destroy();
      ok({ text, closed });
    };
    c.on('data', (d) => (text += d.toString('latin1')));
    c.on('close', () => finish(true));
    // A reset after the host's answer is a close too: what was answered is in `text`.
    c.on('error', () => finish(true));
    for (const x of chunks) c.write(x);
    const timer = setTimeout(() => finish(false), waitMs);
  });
}
const statuses = (text: string) => [...text.matchAll(/^HTTP\/1\.[01] (\d{3})/gm)].map((m) => Number(m[1]));
/** The body of the one response in `text`, chunked or not. */
function bodyOf(text: string): string {
  const at = text.indexOf('\r\n\r\n');
  let rest = text.slice(at + 4);
  if (!/^transfer-encoding: chunked/im.test(text.slice(0, at))) return rest;
  let body = '';
  for (let n = parseInt(rest, 16); n > 0; n = parseInt(rest, 16)) {
    const start = rest.indexOf('\r\n') + 2;
    body += rest.slice(start, start + n);
    rest = rest.slice(start + n + 2);
  }
  return body;
}

/** A call with the token, on a fresh connection. */
async function call(method: string, params: unknown[]): Promise<{ status: number; body: { ok: boolean; result?: unknown; error?: string } }> {
  const r = await fetch(`${host.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-modulargan-token': host.token, connection: 'close' },
    body: JSON.stringify({ params }),
  });
  return { status: r.status, body: (await r.json()) as never };
}
/** The host is up and its engine answers. */
async function expectServing(): Promise<void> {
  expect(await call('listRecent', [])).toEqual({ status: 200, body: { ok: true, result: [] } });
}

/** A POST to the call API written by hand: `body` is sent as given. */
const post = (method: string, body: string | Buffer, extra = '') =>
  Buffer.concat([
    Buffer.from(`POST /api/call/${method} HTTP/1.1\r\n${hostHeader()}${tokenHeader()}content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`),
    Buffer.from(body),
  ]);

describe('web host: malformed requests get a status, never a crash', () => {
  it('answers a request target that is not a URL with 400, for plain requests and WebSocket upgrades, with or without the token', async () => {
    await expectServing();
    for (const target of ['//[', 'http://[', '//:99999/', 'http://a:b@[::1/', '//[?token=x']) {
      for (const token of ['', tokenHeader()]) {
        const plain = await raw([`GET ${target} HTTP/1.1\r\n${hostHeader()}${token}Connection: close\r\n\r\n`]);
        expect(statuses(plain.text), `GET ${target}`).toEqual([400]);
        const upgrade = await raw([`GET ${target} HTTP/1.1\r\n${hostHeader()}${token}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`]);
        expect(statuses(upgrade.text), `upgrade ${target}`).toEqual([400]);
        expect(upgrade.closed).toBe(true);
      }
    }
    await expectServing();
  });

  it('answers a path whose %-escapes are not UTF-8 with 400 (401 without the token), and keeps the connection usable', async () => {
    for (const path of ['/%ZZ', '/%', '/%C3%28', '/%E0%A4%A', '/assets/%FF.js']) {
      const r = await raw([`GET ${path}?token=${host.token} HTTP/1.1\r\n${hostHeader()}\r\nGET /?token=${host.token} HTTP/1.1\r\n${hostHeader()}Connection: close\r\n\r\n`]);
      expect(statuses(r.text), path).toEqual([400, 200]);
      expect(r.text).toMatch(/malformed path/);
      expect(statuses((await raw([`GET ${path} HTTP/1.1\r\n${hostHeader()}Connection: close\r\n\r\n`])).text)).toEqual([401]);
    }
  });

  it('refuses an oversized body with 413 and closes the connection, so what follows is not read as a request', async () => {
    const big = Buffer.alloc(65 * MiB, 0x20);
    const next = `GET /?token=${host.token} HTTP/1.1\r\n${hostHeader()}\r\n`;
    // Declared too long, then sent in full, then another request on the same connection.
    const declared = await raw([post('info', big), next], 10_000);
    expect(statuses(declared.text)).toEqual([413]);
    expect(declared.text).toMatch(/^connection: close/im);
    expect(declared.text).toMatch(/request too large: a call's body may be at most 64 MiB/);
    expect(declared.closed).toBe(true);
    // No length given: chunked, over the limit.
    const head = `POST /api/call/info HTTP/1.1\r\n${hostHeader()}${tokenHeader()}content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const chunked = await raw([head, `${big.length.toString(16)}\r\n`, big, '\r\n0\r\n\r\n', next], 10_000);
    expect(statuses(chunked.text)).toEqual([413]);
    expect(chunked.closed).toBe(true);
    // A length no one will send is refused at once.
    const endless = await raw([`POST /api/call/info HTTP/1.1\r\n${hostHeader()}${tokenHeader()}content-type: application/json\r\ncontent-length: ${2 ** 40}\r\n\r\n{`], 5_000);
    expect(statuses(endless.text)).toEqual([413]);
    expect(endless.closed).toBe(true);
    // An ordinary client still sending its body gets the answer, not a reset.
    const r = await fetch(`${host.origin}/api/call/info`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-modulargan-token': host.token }, body: big });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: string }).error).toMatch(/too large/);
    await expectServing();
  }, 20_000);

  it('answers bodies that are not UTF-8, not an object, or JSON bombs with a structured reply', async () => {
    const badUtf8 = Buffer.concat([Buffer.from('{"params":["/tmp/'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('.mgproj.json"]}')]);
    const r1 = await raw([post('openProject', badUtf8, 'Connection: close\r\n')]);
    expect(statuses(r1.text)).toEqual([400]);
    expect(r1.text).toMatch(/malformed request: the body is not valid UTF-8/);
    for (const body of ['null', '[]', '"x"', '7', '{"params":', '']) {
      const r = await raw([post('listRecent', body, 'Connection: close\r\n')]);
      expect(statuses(r.text), body).toEqual([400]);
      expect(r.text).toMatch(/\{"ok":false,"error":"malformed request: /);
    }
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    const graph = (value: string) => `{"nodes":[{"id":"n","kind":"image-input","params":{"p":${value}}}],"edges":[]}`;
    const bombs: [string, string][] = [
      ['info', `{"params":[${deep(200_000)}]}`],
      ['openProject', `{"params":[${deepObject(200_000)}]}`],
      // Deep data where the schema takes any value (a node's parameter, a field it does not
      // know): it passes the check, cannot be sent to the engine, and that call alone fails
      // (not left pending: the engine's death below would list it as running).
      ['startRun', `{"params":[{"graph":${graph(deep(100_000))},"baseDir":"/"}]}`],
      ['saveProject', `{"params":["${join(dir, 'deep.mgproj.json')}",${JSON.stringify(emptyProject('deep')).slice(0, -1)},"extra":${deepObject(10_000)}}]}`],
      ['listRecent', `{"params":[${new Array(2_000_000).fill(0).join(',')}]}`],
      ['suggestMapping', `{"params":[[${new Array(500_000).fill('"x"').join(',')}]]}`],
    ];
    for (const [method, body] of bombs) {
      const r = await raw([post(method, body, 'Connection: close\r\n')], 10_000);
      expect(statuses(r.text), method).toEqual([200]);
      expect(r.text, method).toMatch(/\{"ok":false,"error":"[^"]+/);
      // And without the token they are not even read.
      const anon = await raw([Buffer.from(post(method, body, 'Connection: close\r\n').toString('latin1').replace(tokenHeader(), ''), 'latin1')], 10_000);
      expect(statuses(anon.text)).toEqual([401]);
    }
    await expectServing();
    expect(engine.exited).toBeNull();
    expect(existsSync(join(dir, 'deep.mgproj.json'))).toBe(false);
  }, 25_000);

  it('survives raw garbage, broken, huge, slow and abandoned requests', async () => {
    const answers: [string, (string | Buffer)[], number[]][] = [
      ['binary garbage', [Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 13, 10])], [400]],
      ['text garbage', ['hello there\r\n\r\n'], [400]],
      ['invalid method', [`FOO@BAR / HTTP/1.1\r\n${hostHeader()}\r\n`], [400]],
      ['HTTP/0.9', ['GET /\r\n\r\n'], [403]],
      ['HTTP/1.0 without Host', [`GET /?token=${host.token} HTTP/1.0\r\n\r\n`], [403]],
      ['HTTP/1.0', [`GET /?token=${host.token} HTTP/1.0\r\n${hostHeader()}\r\n`], [200]],
      ['huge header', [`GET / HTTP/1.1\r\n${hostHeader()}x-junk: ${'a'.repeat(200_000)}\r\n\r\n`], [431]],
      ['many headers', [`GET / HTTP/1.1\r\n${hostHeader()}${'a: b\r\n'.repeat(20_000)}\r\n`], [431]],
      ['bad content-length', [`POST /api/call/info HTTP/1.1\r\n${hostHeader()}${tokenHeader()}content-length: -1\r\n\r\n`], [400]],
      ['two content-lengths', [`POST /api/call/info HTTP/1.1\r\n${hostHeader()}${tokenHeader()}content-length: 1\r\ncontent-length: 2\r\n\r\n{}`], [400]],
      ['bad chunk', [`POST /api/call/info HTTP/1.1\r\n${hostHeader()}${tokenHeader()}content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n`], [400]],
      ['NUL in path', [`GET /%00?token=${host.token} HTTP/1.1\r\n${hostHeader()}Connection: close\r\n\r\n`], [404]],
      ['OPTIONS *', [`OPTIONS * HTTP/1.1\r\n${hostHeader()}${tokenHeader()}Connection: close\r\n\r\n`], [405]],
      ['CONNECT', [`CONNECT 127.0.0.1:22 HTTP/1.1\r\n${hostHeader()}${tokenHeader()}\r\n`], []],
    ];
    for (const [what, chunks, want] of answers) {
      const r = await raw(chunks);
      expect(statuses(r.text), what).toEqual(want);
    }
    // Half a request line, half the headers, half a body: then the client goes, politely or with a reset.
    const halves = ['GET /api/ev', `GET / HTTP/1.1\r\n${hostHeader()}x-a: `, post('listRecent', '{"params":[]}').subarray(0, -5)];
    for (const half of halves) {
      for (const reset of [false, true]) {
        const c = connect(host.port, '127.0.0.1');
        c.on('error', () => undefined);
        await new Promise((ok) => c.once('connect', ok));
        c.write(half);
        await new Promise((ok) => setTimeout(ok, 30));
        if (reset) c.resetAndDestroy();
        else c.end();
      }
    }
    // Slow: a body trickled a byte at a time, then abandoned; and many connections held open at once.
    const slow = connect(host.port, '127.0.0.1');
    slow.on('error', () => undefined);
    slow.write(post('listRecent', '{"params":[]}').subarray(0, -8));
    for (let i = 0; i < 5; i++) {
      await new Promise((ok) => setTimeout(ok, 20));
      slow.write(' ');
    }
    const held = Array.from({ length: 200 }, () => connect(host.port, '127.0.0.1').on('error', () => undefined));
    await Promise.all(held.map((s) => new Promise((ok) => (s.connecting ? s.once('connect', ok) : ok(null)))));
    held.forEach((s, i) => s.write(i % 2 ? `GET / HTTP/1.1\r\n` : `POST /api/call/info HTTP/1.1\r\n${hostHeader()}${tokenHeader()}content-length: 100\r\n\r\n{`));
    await expectServing();
    for (const s of held) s.resetAndDestroy();
    slow.resetAndDestroy();
    await expectServing();
  });

  it('survives hostile WebSocket upgrades and frames, and still streams to a good socket', async () => {
    const key = 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
    const upgrades: [string, string, number[]][] = [
      ['no token', `GET /api/events HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\n${key}\r\n`, [401]],
      ['other origin', `GET /api/events?token=${host.token} HTTP/1.1\r\n${hostHeader()}Origin: http://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${key}\r\n`, [403]],
      ['other path', `GET /api/other?token=${host.token} HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\n${key}\r\n`, [404]],
      ['bad key', `GET /api/events?token=${host.token} HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: !\r\n\r\n`, [400]],
      ['POST upgrade', `POST /api/events?token=${host.token} HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\n${key}\r\n`, [405]],
      ['escapes', `GET /api/%ZZ?token=${host.token} HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\n${key}\r\n`, [404]],
    ];
    for (const [what, text, want] of upgrades) {
      const r = await raw([text]);
      expect(statuses(r.text), what).toEqual(want);
      expect(r.closed, what).toBe(true);
    }
    // Reset in the middle of the handshake, before and after the host has answered.
    for (const [text, wait] of [
      [`GET //[ HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n`, 0],
      [`GET /api/events?token=${host.token} HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\n${key}\r\n`, 0],
      [`GET /api/events?token=${host.token} HTTP/1.1\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\n${key}\r\n`, 50],
    ] as const) {
      const c = connect(host.port, '127.0.0.1').on('error', () => undefined);
      c.write(text, () => setTimeout(() => c.resetAndDestroy(), wait));
    }
    // Frames: junk of every kind on open sockets, each ends only its own socket.
    const open = async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
      ws.on('error', () => undefined);
      await new Promise((ok, fail) => (ws.once('open', ok), ws.once('unexpected-response', fail)));
      return ws;
    };
    const junk: ((ws: WebSocket) => void)[] = [
      (ws) => ws.send(Buffer.alloc(4096)), // over the 1 KiB limit
      (ws) => ws.send(Buffer.from([0xff, 0xfe, 0xfd]), { binary: false }), // text that is not UTF-8
      (ws) => (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x8f, 0x80, 1, 2, 3, 4])), // unknown opcode
      (ws) => (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x81, 0x05, 104, 105, 33, 33, 33])), // unmasked from a client
      (ws) => (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), // a 2^63-byte length
      (ws) => (ws as unknown as { _socket: { destroy(): void } })._socket.destroy(), // gone without a close frame
    ];
    for (const send of junk) {
      const ws = await open();
      const closed = new Promise((ok) => ws.once('close', ok));
      send(ws);
      await closed;
    }
    const good = await open();
    for (let i = 0; i < 50; i++) good.send(`{"junk":${i}}`); // a page's stray text is ignored
    good.send(Buffer.from([1, 2, 3]));
    const heard = new Promise<unknown>((ok) => good.once('message', (m) => ok(JSON.parse(String(m)))));
    expect((await call('restartEngine', [])).body).toEqual({ ok: true });
    expect(await heard).toEqual({ type: 'engine-restarted' });
    good.close();
    await expectServing();
  });
});

/** Waits (blocking this process, so its event loop cannot see the death) until `pid` is a zombie: dead, not yet reaped. */
function blockUntilDead(pid: number): void {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    if (state === 'Z') return;
  }
  throw new Error(`process ${pid} did not die`);
}

describe('web host: the engine dies around a large call', () => {
  // 8 MiB of base64 (valid for readProvenance): the host checks it and writes it to the
  // engine, far more than the channel holds at once.
  const big = `{"params":["${'A'.repeat(8 * MiB)}"]}`;
  /**
   * The reply to the call: the engine's death, with the call as the one thing it was running
   * (nothing left over from calls that failed before). On a busy machine the host may see
   * the death before it gets to the call, which then fails with the same report.
   */
  const died = (pid: number) => new RegExp(`^The engine process \\(pid ${pid}\\) stopped( while it was running a call to readProvenance)?: killed by SIGKILL.*restart the engine to go on\\.$`);

  it('survives the engine dying just before a large call is written to it (EPIPE), reports it, and restarts it', async () => {
    await expectServing();
    const pid = engine.pid!;
    // All of the call but its last byte reaches the host; then the last byte, and the engine
    // dies before the host's event loop can notice: the host, reading the call's end first,
    // writes it into the dead engine's channel, which fails with EPIPE.
    const c = connect(host.port, '127.0.0.1');
    let text = '';
    c.on('data', (d) => (text += d));
    const answered = new Promise((ok) => c.on('close', ok));
    const request = post('readProvenance', big, 'Connection: close\r\n');
    await new Promise((ok) => c.write(request.subarray(0, -1), ok));
    await new Promise((ok) => setTimeout(ok, 300));
    c.write(request.subarray(-1));
    process.kill(pid, 'SIGKILL');
    blockUntilDead(pid);
    await answered;
    expect(statuses(text)).toEqual([200]);
    const reply = JSON.parse(bodyOf(text)) as { ok: boolean; error: string };
    expect(reply.ok).toBe(false);
    expect(reply.error).toMatch(died(pid));
    // Until restarted every call says so; the restart gives a fresh engine that answers.
    expect((await call('listRecent', [])).body.error).toBe(reply.error);
    expect((await call('restartEngine', [])).body).toEqual({ ok: true });
    expect(engine.pid).not.toBe(pid);
    await expectServing();
  });

  it('survives the engine dying with a large call half written (the channel full), reports it, and restarts it', async () => {
    await expectServing();
    const pid = engine.pid!;
    // A stopped engine reads nothing: the call fills the channel and the rest waits to be written.
    process.kill(pid, 'SIGSTOP');
    const reply = fetch(`${host.origin}/api/call/readProvenance`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-modulargan-token': host.token }, body: big }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as { ok: boolean; error: string } }),
    );
    await new Promise((ok) => setTimeout(ok, 1500));
    process.kill(pid, 'SIGKILL');
    const r = await reply;
    expect(r.status).toBe(200);
    expect(r.body.error).toMatch(died(pid));
    expect((await call('restartEngine', [])).body).toEqual({ ok: true });
    expect(engine.pid).not.toBe(pid);
    await expectServing();
    // Nothing the host could not handle was left to the process: no handler threw.
    expect(logged.filter((l) => l.startsWith('web host:'))).toEqual([]);
  });
});
