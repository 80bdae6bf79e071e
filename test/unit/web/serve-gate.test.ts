import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseListen, plainHttpRefusal } from '../../../web/listen';
import { checkRequest, hostNames, isLoopback, sameToken } from '../../../web/security';

// The gate of `modulargan serve`: tokens compared in constant time whatever their lengths,
// the names a host answers to (its address, every address when it listens on all, the names
// it is told, a tunnel's end with its own port), and the refusal of plain HTTP off this machine.

const req = (headers: Record<string, string>, url = '/'): IncomingMessage => ({ headers, url }) as unknown as IncomingMessage;
const TOKEN = 'abcdefghijklmnopqrstuvwxyz012345';

describe('the access token', () => {
  it('matches only itself, whatever the length of what is given', () => {
    expect(sameToken(TOKEN, TOKEN)).toBe(true);
    expect(sameToken(`${TOKEN.slice(0, -1)}6`, TOKEN)).toBe(false); // same length
    expect(sameToken(TOKEN.slice(0, 8), TOKEN)).toBe(false); // a prefix, shorter
    expect(sameToken(`${TOKEN}x`, TOKEN)).toBe(false); // longer
    expect(sameToken('x'.repeat(10_000), TOKEN)).toBe(false);
    expect(sameToken('', TOKEN)).toBe(false);
    expect(sameToken(undefined, TOKEN)).toBe(false);
  });
});

describe('the names a host answers to', () => {
  it('on loopback: the loopback names with its port', () => {
    const own = hostNames('127.0.0.1', 8470, { tls: false });
    expect([...own.hosts].sort()).toEqual(['127.0.0.1:8470', '[::1]:8470', 'localhost:8470']);
    expect(own.origins.has('http://localhost:8470')).toBe(true);
    expect(own.origins.has('https://localhost:8470')).toBe(false);
  });

  it('on every address: each of the machine’s addresses; on one address: that one; plus names it is told', () => {
    const all = hostNames('0.0.0.0', 8443, { tls: true, extra: ['studio.example.org', 'localhost:9443'] });
    for (const i of Object.values(networkInterfaces()).flat()) if (i && i.family === 'IPv4') expect(all.hosts.has(`${i.address}:8443`)).toBe(true);
    expect(all.hosts.has('studio.example.org:8443')).toBe(true);
    expect(all.hosts.has('localhost:9443')).toBe(true);
    expect(all.origins.has('https://studio.example.org:8443')).toBe(true);
    const one = hostNames('192.0.2.7', 8443, { tls: true });
    expect([...one.hosts]).toEqual(['192.0.2.7:8443']);
    // Port 443 is left out of Host by browsers.
    expect(hostNames('192.0.2.7', 443, { tls: true, extra: ['studio.example.org'] }).hosts).toEqual(new Set(['192.0.2.7:443', '192.0.2.7', 'studio.example.org:443', 'studio.example.org']));
    expect(() => hostNames('0.0.0.0', 1, { tls: true, extra: ['bad name:x'] })).toThrow(/--host-name 'bad name:x'/);
  });

  it('refuses another Host, another Origin and a missing or wrong token, each with its status', () => {
    const own = hostNames('0.0.0.0', 8443, { tls: true, extra: ['studio.example.org'] });
    const ok = { host: 'studio.example.org:8443', 'x-modulargan-token': TOKEN };
    expect(checkRequest(req(ok), TOKEN, own)).toEqual({ ok: true });
    expect(checkRequest(req({ ...ok, host: 'evil.example:8443' }), TOKEN, own)).toMatchObject({ ok: false, status: 403, reason: expect.stringMatching(/^wrong host 'evil\.example:8443'/) });
    expect(checkRequest(req({ ...ok, origin: 'http://studio.example.org:8443' }), TOKEN, own)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest(req({ ...ok, origin: 'https://studio.example.org:8443' }), TOKEN, own)).toEqual({ ok: true });
    expect(checkRequest(req({ host: ok.host }), TOKEN, own)).toMatchObject({ ok: false, status: 401 });
    expect(checkRequest(req({ ...ok, 'x-modulargan-token': TOKEN.slice(1) }), TOKEN, own)).toMatchObject({ ok: false, status: 401 });
  });
});

describe('the address to serve on', () => {
  it('reads --listen, and refuses plain HTTP off this machine unless TLS or --insecure', () => {
    expect(parseListen('0.0.0.0:8443')).toEqual({ ok: true, host: '0.0.0.0', port: 8443 });
    expect(parseListen('[::]:8443')).toEqual({ ok: true, host: '::', port: 8443 });
    expect(parseListen('9000')).toEqual({ ok: true, host: '127.0.0.1', port: 9000 });
    expect(parseListen('host:99999')).toMatchObject({ ok: false, message: expect.stringMatching(/^--listen must be HOST:PORT/) });
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && !isLoopback('0.0.0.0')).toBe(true);
    expect(plainHttpRefusal('0.0.0.0', 8470, { tls: false, insecure: false, loopback: false })).toMatch(/^refusing to serve on 0\.0\.0\.0:8470 without TLS.*\n.*--cert.*\n.*ssh -N -L 8470:127\.0\.0\.1:8470.*\n.*--insecure/s);
    expect(plainHttpRefusal('0.0.0.0', 8470, { tls: true, insecure: false, loopback: false })).toBeUndefined();
    expect(plainHttpRefusal('0.0.0.0', 8470, { tls: false, insecure: true, loopback: false })).toBeUndefined();
    expect(plainHttpRefusal('127.0.0.1', 8470, { tls: false, insecure: false, loopback: true })).toBeUndefined();
  });
});
