import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { listenFailure, parsePort } from '../../../web/listen';

// `npm run web` with a port it cannot have says so in one line and exits 2, before building
// the page: a malformed --port, and a port another program holds. It printed a stack trace.

const root = new URL('../../../', import.meta.url).pathname;
const state = mkdtempSync(join(tmpdir(), 'mg-web-port-'));
afterAll(() => rmSync(state, { recursive: true, force: true }));
const web = (...args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, 'web', 'main.ts'), '--state', state, ...args], { cwd: root, timeout: 60_000 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

describe('npm run web refuses a port it cannot have, in one line', () => {
  it('a --port that is not a port', async () => {
    for (const given of ['abc', '-1', '70000', '80.5', '']) {
      const r = await web('--port', given);
      expect(r, given).toEqual({ code: 2, out: `modulargan web: --port must be a whole number from 0 to 65535 (0: any free port), got '${given}'\n` });
    }
  }, 60_000);

  it('a port already in use', async () => {
    const taken = createServer();
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await web('--port', String(port));
      expect(r).toEqual({
        code: 2,
        out: `modulargan web: port ${port} on 127.0.0.1 is already in use (another studio, or another program): choose another with --port N, or --port 0 for any free port\n`,
      });
    } finally {
      taken.close();
    }
  }, 60_000);

  it('reads ports and words listen failures as the command line shows them', () => {
    expect(parsePort(undefined)).toEqual({ ok: true, port: 0 });
    expect(parsePort('5173')).toEqual({ ok: true, port: 5173 });
    expect(parsePort('0x10')).toMatchObject({ ok: false });
    expect(listenFailure(Object.assign(new Error('x'), { code: 'EACCES' }), '127.0.0.1', 80)).toMatch(/^127\.0\.0\.1:80: this user may not listen on port 80/);
    expect(listenFailure(new Error('a bug'), '127.0.0.1', 80)).toBeUndefined();
  });
});
