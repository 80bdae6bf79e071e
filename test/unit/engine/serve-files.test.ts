import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServeSetupError, ensureTokenFile, readTlsFiles, readTokenFile, tokenFromEnvironment } from '../../../core/engine/serve-files';
import { selfSignedCertificate } from '../../helpers/serve';

// What `modulargan serve` reads before it listens: a token made once (mode 600) and the same
// on every later start; token files and variables that are empty, short, or readable by
// others; a certificate and key that are not PEM, do not belong together.

const dir = mkdtempSync(join(tmpdir(), 'mg-serve-files-'));

describe('the access token', () => {
  it('is made once, mode 600, and read again on every later start', async () => {
    const file = join(dir, 'state', 'serve-token');
    const first = await ensureTokenFile(file);
    expect(first.token).toMatch(/^[\w-]{32}$/);
    expect(first.source).toBe(`the file ${file} (made now, readable only by you)`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await ensureTokenFile(file);
    expect(again).toEqual({ token: first.token, source: `the file ${file}` });
  });

  it('refuses a token file that is missing, empty, short or not a file, and warns when others may read it', async () => {
    await expect(readTokenFile(join(dir, 'nope'))).rejects.toThrow(`--token-file ${join(dir, 'nope')}: no such file`);
    await expect(readTokenFile(dir)).rejects.toThrow(/not a regular file/);
    const f = join(dir, 'token');
    writeFileSync(f, '\n', { mode: 0o600 });
    await expect(readTokenFile(f)).rejects.toThrow(ServeSetupError);
    await expect(readTokenFile(f)).rejects.toThrow(/is empty: put a long random token in it/);
    writeFileSync(f, 'short');
    await expect(readTokenFile(f)).rejects.toThrow(/holds a token of 5 characters: use at least 16/);
    writeFileSync(f, 'a-long-enough-token-here\n');
    expect(await readTokenFile(f)).toEqual({ token: 'a-long-enough-token-here', source: `the file ${f}` });
    chmodSync(f, 0o644);
    expect((await readTokenFile(f)).warning).toBe(`${f} may be read by other users of this machine (mode 644): chmod 600 ${f}`);
    expect(() => tokenFromEnvironment('  ')).toThrow(/MODULARGAN_TOKEN is empty/);
    expect(tokenFromEnvironment('from-the-environment-0123')).toEqual({ token: 'from-the-environment-0123', source: 'the environment (MODULARGAN_TOKEN)' });
  });
});

describe('the certificate', () => {
  it('is read with its names and fingerprint; a file that is not PEM, or a key of another certificate, is refused by name', async () => {
    const a = selfSignedCertificate(mkdtempSync(join(dir, 'a-')));
    const b = selfSignedCertificate(mkdtempSync(join(dir, 'b-')));
    const tls = await readTlsFiles(a.cert, a.key);
    expect(tls.names).toEqual(['localhost', '127.0.0.1']);
    expect(tls.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await expect(readTlsFiles(a.cert, b.key)).rejects.toThrow(`--key ${b.key} is not the key of the certificate ${a.cert}`);
    await expect(readTlsFiles(a.key, a.key)).rejects.toThrow(new RegExp(`^--cert ${a.key}: not a PEM certificate`));
    await expect(readTlsFiles(a.cert, a.cert)).rejects.toThrow(new RegExp(`^--key ${a.cert}: not a PEM private key`));
    await expect(readTlsFiles(join(dir, 'none.pem'), a.key)).rejects.toThrow(`--cert ${join(dir, 'none.pem')}: no such file`);
    expect(readFileSync(a.cert, 'utf8')).toMatch(/BEGIN CERTIFICATE/);
  });
});
