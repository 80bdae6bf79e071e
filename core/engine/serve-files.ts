// What `modulargan serve` reads before it listens: the access token (a file, the
// environment, or one made here and kept in a file only its user can read) and the TLS
// certificate with its key. Each refusal names the file and what to do.

import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Shorter tokens can be guessed; a generated one has 32 characters (24 random bytes). */
export const MIN_TOKEN_LENGTH = 16;
const MAX_TOKEN_FILE = 4096;

export const newToken = (): string => randomBytes(24).toString('base64url');

/** Why serve cannot start with the files it was given: one line, naming the file. */
export class ServeSetupError extends Error {}

export interface AccessToken {
  readonly token: string;
  /** Where it came from, for the start-up lines (never the token itself). */
  readonly source: string;
  /** Said once at start: a token file others may read, say. */
  readonly warning?: string;
}

function checkToken(token: string, where: string): string {
  if (!token) throw new ServeSetupError(`${where} is empty: put a long random token in it (e.g. openssl rand -base64 24)`);
  if (token.length < MIN_TOKEN_LENGTH) throw new ServeSetupError(`${where} holds a token of ${token.length} characters: use at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -base64 24)`);
  if (/\s/.test(token)) throw new ServeSetupError(`${where}: the token may not contain spaces or line breaks`);
  return token;
}

/** A token file given with --token-file: a small regular file; a warning when others may read it. */
export async function readTokenFile(file: string): Promise<AccessToken> {
  const st = await lstat(file).catch((e: NodeJS.ErrnoException) => {
    throw new ServeSetupError(`--token-file ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  if (!st.isFile()) throw new ServeSetupError(`--token-file ${file}: not a regular file`);
  if (st.size > MAX_TOKEN_FILE) throw new ServeSetupError(`--token-file ${file}: ${st.size} bytes is not a token (at most ${MAX_TOKEN_FILE})`);
  const token = checkToken((await readFile(file, 'utf8')).trim(), `--token-file ${file}`);
  const shared = process.platform !== 'win32' && (st.mode & 0o077) !== 0;
  return { token, source: `the file ${file}`, ...(shared ? { warning: `${file} may be read by other users of this machine (mode ${(st.mode & 0o777).toString(8)}): chmod 600 ${file}` } : {}) };
}

/** The token in MODULARGAN_TOKEN. */
export function tokenFromEnvironment(value: string): AccessToken {
  return { token: checkToken(value.trim(), 'MODULARGAN_TOKEN'), source: 'the environment (MODULARGAN_TOKEN)' };
}

/**
 * The token kept in `file` (the state folder's serve-token), made on first use: random,
 * written with mode 600 so only this user can read it, and the same on every later start,
 * so clients keep working across restarts.
 */
export async function ensureTokenFile(file: string): Promise<AccessToken> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${newToken()}\n`);
    } finally {
      await handle.close();
    }
    // The umask may have taken bits off, never added: set exactly.
    await chmod(file, 0o600);
    const t = await readTokenFile(file);
    return { token: t.token, source: `the file ${file} (made now, readable only by you)` };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new ServeSetupError(`${file}: the access token could not be written: ${(e as Error).message}`);
    return readTokenFile(file);
  }
}

export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 of the certificate, AB:CD:…: what a client checks a self-signed certificate by. */
  readonly fingerprint: string;
  /** The names and addresses the certificate is for. */
  readonly names: readonly string[];
  readonly validTo: string;
}

/** The certificate and key of --cert/--key, checked: both PEM, the key the certificate's, not expired. */
export async function readTlsFiles(certFile: string, keyFile: string): Promise<TlsFiles> {
  const read = (file: string, flag: string) =>
    readFile(file).catch((e: NodeJS.ErrnoException) => {
      throw new ServeSetupError(`${flag} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
  // One after the other: with both missing, Promise.all would name whichever read failed first.
  const cert = await read(certFile, '--cert');
  const key = await read(keyFile, '--key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new ServeSetupError(`--cert ${certFile}: not a PEM certificate (${(e as Error).message})`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new ServeSetupError(`--key ${keyFile}: not a PEM private key (or it is encrypted: give it without a passphrase) (${(e as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new ServeSetupError(`--key ${keyFile} is not the key of the certificate ${certFile}`);
  if (Date.parse(x509.validTo) < Date.now()) throw new ServeSetupError(`--cert ${certFile} expired on ${x509.validTo}: make a new one`);
  const names = (x509.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  return { cert, key, fingerprint: x509.fingerprint256, names, validTo: x509.validTo };
}
