import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveCommand } from '../../../cli/serve';

// modulargan serve's refusals before anything starts: each one line naming the flag at fault
// and what to do, exit 2 (the ones that start a server are in test/e2e/serve-remote).

const state = mkdtempSync(join(tmpdir(), 'mg-serve-cli-'));
async function refused(opts: Parameters<typeof serveCommand>[0]): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  expect(await serveCommand({ state, ...opts }, (l) => out.push(l), (l) => err.push(l), {})).toBe(2);
  expect(out).toEqual([]);
  return err.join('\n');
}

describe('modulargan serve refuses, in one line each', () => {
  it('a malformed address, half a certificate, an unknown root, a malformed host name', async () => {
    expect(await refused({ listen: 'gpu-box' })).toBe("modulargan serve: --listen must be HOST:PORT (e.g. 0.0.0.0:8470, [::]:8470, or a port alone for 127.0.0.1), got 'gpu-box'");
    expect(await refused({ cert: 'c.pem' })).toBe("modulargan serve: --cert needs --key (the certificate's private key)");
    expect(await refused({ key: 'k.pem' })).toBe('modulargan serve: --key needs --cert (the certificate it belongs to)');
    expect(await refused({ cert: join(state, 'none.pem'), key: join(state, 'none.key') })).toBe(`modulargan serve: --cert ${join(state, 'none.pem')}: no such file`);
    expect(await refused({ root: [join(state, 'missing')] })).toBe(`modulargan serve: --root ${join(state, 'missing')}: no such folder`);
    expect(await refused({ hostName: ['two words'] })).toBe("modulargan serve: --host-name 'two words': give a host name or address, or NAME:PORT (a tunnel's end)");
    expect(await refused({ tokenFile: join(state, 'none') })).toBe(`modulargan serve: --token-file ${join(state, 'none')}: no such file`);
  });

  it('plain HTTP on an address other machines reach, unless --insecure', async () => {
    expect(await refused({ listen: '[::]:9000' })).toMatch(/^modulargan serve: refusing to serve on \[::\]:9000 without TLS/);
  });
});
