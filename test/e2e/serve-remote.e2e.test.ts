// The studio on another machine: `modulargan serve` started as a real process with TLS (a
// self-signed certificate made here), a token file and a root folder, reached by Chromium
// through a TCP relay that plays the network (its end is given with --host-name, as an SSH
// tunnel's would be). The demo runs remotely; a request without the token, with another Host,
// or for a path outside the roots is refused with its status and reason; a project is opened
// through the folder browser; a training keeps going while every connection is cut, the page
// says it is reconnecting, and then follows the training again. Plain HTTP off this machine
// is refused at start, and a token made by serve is kept in a file only its user can read.
// The Engine dialog goes to an engine given by address and token and lists it after.

import { request } from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureRendererBuilt } from '../../web/renderer-build';
import { launchChromium } from '../helpers/browser';
import { type Relay, type ServeProcess, refusedServe, selfSignedCertificate, startServe, tcpRelay } from '../helpers/serve';
import { TINY_PROJECT } from '../helpers/training';

const SHOTS = join(REPO_ROOT, 'test-results', 'e2e');
const TOKEN = 'remote-test-token-0123456789abcdef';
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mg-serve-')));
const root = join(dir, 'root');
const project = join(root, 'projects', 'remote.mgproj.json');
let serve: ServeProcess;
let relay: Relay;
let browser: BrowserContext;
let page: Page;

/** One HTTPS request straight to serve (not through the relay), accepting its self-signed certificate. */
function https(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: serve.port, path, method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end(opts.body);
  });
}
const call = (method: string, params: unknown[], headers: Record<string, string> = {}) =>
  https(`/api/call/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', host: `127.0.0.1:${serve.port}`, 'x-modulargan-token': TOKEN, ...headers }, body: JSON.stringify({ params }) });
const iteration = async () => Number((await page.getByTestId('train-iteration').textContent())!.split('/')[0]);

beforeAll(async () => {
  mkdirSync(join(root, 'projects'), { recursive: true });
  mkdirSync(SHOTS, { recursive: true });
  const p = JSON.parse(readFileSync(TINY_PROJECT, 'utf8'));
  // Long enough to outlast the dropped connection; stopped by the test.
  Object.assign(p.training, { backend: 'wasm', iterations: 5000, sampleEvery: 50, checkpointEvery: 5000 });
  writeFileSync(project, JSON.stringify(p, null, 2));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const { cert, key } = selfSignedCertificate(dir);
  // Built here once, so the server finds the page current instead of building it.
  await ensureRendererBuilt();
  relay = await tcpRelay(() => serve.port);
  serve = await startServe(['--listen', '127.0.0.1:0', '--cert', cert, '--key', key, '--token-file', tokenFile, '--root', root, '--state', join(dir, 'state'), '--host-name', `localhost:${relay.port}`]);
  browser = await launchChromium({ width: 1400, height: 900 }, { ignoreHTTPSErrors: true });
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`https://localhost:${relay.port}/?token=${TOKEN}&test=1`);
  await page.getByTestId('node-E').waitFor();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await relay?.close();
});

describe('modulargan serve, driven from a browser on "another machine"', () => {
  it('says where it serves and how to get the token, without printing the token', () => {
    expect(serve.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(serve.output()).toMatch(/SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    expect(serve.output()).toContain(`the studio may read and write only under: ${root}`);
    expect(serve.output()).not.toContain(TOKEN);
  });

  it('refuses a request without the token, with another Host, and for a path outside the roots', async () => {
    expect(await https('/')).toEqual({ status: 401, body: 'refused: missing or wrong access token\n' });
    expect(await https(`/?token=${TOKEN.slice(0, -1)}`)).toMatchObject({ status: 401 });
    const noToken = await call('info', [], { 'x-modulargan-token': '' });
    expect(noToken.status).toBe(401);
    const rebound = await call('info', [], { host: `evil.example:${serve.port}` });
    expect(rebound).toEqual({ status: 403, body: `refused: wrong host 'evil.example:${serve.port}': use the studio's own address, or give it this name with --host-name\n` });
    const outside = await call('openProject', ['/etc/passwd.mgproj.json']);
    expect(outside.status).toBe(403);
    expect(JSON.parse(outside.body)).toEqual({ ok: false, refused: true, error: `refused: the project file /etc/passwd.mgproj.json is outside the folders this engine serves (modulargan serve --root): ${root}` });
    const batch = await call('startBatch', [{ graph: { nodes: [], edges: [] }, baseDir: root, input: join(root, 'in'), output: '/tmp/elsewhere' }]);
    expect(batch.status).toBe(403);
    expect(JSON.parse(batch.body).error).toMatch(/^refused: the output folder \/tmp\/elsewhere is outside/);
    expect((await call('info', [])).status).toBe(200);
    // The page says so too, in its own words.
    await page.evaluate(() => window.__studio!.controller.open('/etc/passwd.mgproj.json'));
    expect(await page.getByTestId('notice').textContent()).toBe(`Could not open: refused: the project file /etc/passwd.mgproj.json is outside the folders this engine serves (modulargan serve --root): ${root}`);
  });

  it('runs the demo on the remote engine and shows its previews', async () => {
    await page.getByTestId('run').click();
    await expect.poll(() => page.getByTestId('run-status').getAttribute('data-status'), { timeout: 30_000 }).toBe('finished');
    expect(await page.locator('[data-testid="node-out"] img.preview').count()).toBeGreaterThan(0);
  }, 40_000);

  it('opens a project picked in the folder browser, which starts at the roots', async () => {
    await page.getByTestId('open').click();
    await page.getByTestId('path-input').fill('');
    await page.getByTestId('path-browse').click();
    await expect.poll(() => page.getByTestId('folder-path').textContent()).toBe('The folders this studio may use');
    await page.getByTestId(`folder-entry-${root}`).click();
    await page.getByTestId('folder-entry-projects').click();
    await page.getByTestId('folder-entry-remote.mgproj.json').waitFor();
    await page.screenshot({ path: join(SHOTS, 'serve-remote-folder-browser.png') });
    await page.getByTestId('folder-entry-remote.mgproj.json').click();
    expect(await page.getByTestId('path-input').inputValue()).toBe(project);
    await page.getByTestId('path-ok').click();
    await page.getByTestId('node-T_color').waitFor();
    expect(await page.getByTestId('doc-title').getAttribute('title')).toBe(project);
  });

  it('keeps following a training through a dropped connection: reconnecting…, then its progress again', async () => {
    await page.getByTestId('tab-training').click();
    await page.getByTestId('train-start').click();
    await expect.poll(iteration, { timeout: 45_000 }).toBeGreaterThan(3);
    // Every connection through the relay is cut, and new ones refused for 2 s.
    relay.drop(2000);
    await page.getByTestId('reconnecting').waitFor({ timeout: 5000 });
    await page.screenshot({ path: join(SHOTS, 'serve-remote-reconnecting.png') });
    expect(await page.getByTestId('reconnecting').textContent()).toMatch(/^Reconnecting… the link to the engine at https:\/\/localhost:\d+ dropped; runs go on there, and the studio catches up once it is back$/);
    const before = await iteration();
    await page.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 15_000 });
    // Caught up at once (the replayed progress), and then still moving.
    const caughtUp = await iteration();
    expect(caughtUp).toBeGreaterThan(before);
    await expect.poll(iteration, { timeout: 15_000 }).toBeGreaterThan(caughtUp);
    expect(await page.getByTestId('train-status').getAttribute('data-status')).toBe('running');
    await page.getByTestId('train-stop').click();
    await expect.poll(() => page.getByTestId('train-status').getAttribute('data-status'), { timeout: 20_000 }).toBe('stopped');
  }, 90_000);
});

describe('the Engine dialog in the browser studio', () => {
  it('goes to an engine given by address and token, says which is in use, and offers it again', async () => {
    await page.getByTestId('engine').click();
    await page.getByTestId('engine-url').fill(`https://localhost:${relay.port}/`);
    await page.getByTestId('engine-token').fill(TOKEN);
    await Promise.all([page.waitForURL(`https://localhost:${relay.port}/?token=${TOKEN}`), page.getByTestId('engine-connect').click()]);
    await page.getByTestId('node-E').waitFor();
    await page.getByTestId('engine').click();
    expect(await page.getByTestId('engine-current').textContent()).toBe(`In use: https://localhost:${relay.port} (only under ${root})`);
    expect(await page.getByTestId('engine-recent').textContent()).toBe(`https://localhost:${relay.port}`);
    await page.getByTestId('engine-url').fill('gpu-box');
    await page.getByTestId('engine-token').fill(TOKEN);
    await page.getByTestId('engine-connect').click();
    expect(await page.getByTestId('engine-error').textContent()).toBe('must be the address modulargan serve printed, e.g. https://gpu-box:8470');
  });
});

describe('modulargan serve at start', () => {
  it('refuses plain HTTP on an address other machines can reach, saying why and what to do instead', async () => {
    const r = await refusedServe(['--listen', '0.0.0.0:0', '--state', join(dir, 'state-refused')]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^modulargan serve: refusing to serve on 0\.0\.0\.0:0 without TLS: the access token, and every project, image and path the studio sends, would cross the network/);
    expect(r.out).toMatch(/--cert cert\.pem --key key\.pem/);
    expect(r.out).toMatch(/ssh -N -L 8470:127\.0\.0\.1:8470/);
    expect(r.out).toMatch(/--insecure/);
  }, 30_000);

  it('makes a token when given none, keeps it in a file only its user can read, and prints it only when asked', async () => {
    const state = join(dir, 'state-made');
    const s = await startServe(['--listen', '127.0.0.1:0', '--state', state, '--print-url'], { MODULARGAN_TOKEN: undefined });
    try {
      const file = join(state, 'serve-token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const made = readFileSync(file, 'utf8').trim();
      expect(made).toMatch(/^[\w-]{32}$/);
      expect(s.output()).toContain(`access token: in the file ${file} (made now, readable only by you)`);
      expect(s.output()).toContain(`open: ${s.origin}/?token=${made}`);
    } finally {
      await s.stop();
    }
  }, 45_000);
});
