// `modulargan serve`: the engine and the studio's page on an address other machines can
// reach, for a GPU box that is not the user's desk. Flags in, start-up lines out; the host is
// the one `npm run web` uses (web/serve.ts). Plain HTTP off this machine is refused unless
// asked for; the token is never printed unless asked (--print-url); --root limits every
// path the studio may name.

import { join } from 'node:path';
import { PathRefusedError, resolveRoots } from '../core/engine/path-guard';
import { type AccessToken, ServeSetupError, ensureTokenFile, readTlsFiles, readTokenFile, tokenFromEnvironment } from '../core/engine/serve-files';
import { DEFAULT_SERVE_PORT, parseListen, plainHttpRefusal } from '../web/listen';
import { hostNames, isLoopback } from '../web/security';
import { defaultStateDir, serveStudio, stopOnSignals } from '../web/serve';

export interface ServeCommandOptions {
  listen?: string;
  tokenFile?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  root?: string[];
  hostName?: string[];
  printUrl?: boolean;
  state?: string;
}

/** Where a token made by serve is kept (mode 600), in the state folder. */
export const TOKEN_FILE_NAME = 'serve-token';

class ServeRefusal extends Error {}

/** Exit codes: 2 could not start (each reason one line); otherwise it serves until Ctrl+C. */
export async function serveCommand(opts: ServeCommandOptions, out: (line: string) => void, err: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const listen = parseListen(opts.listen ?? `127.0.0.1:${DEFAULT_SERVE_PORT}`);
    if (!listen.ok) throw new ServeRefusal(listen.message);
    if (!!opts.cert !== !!opts.key) throw new ServeRefusal(opts.cert ? '--cert needs --key (the certificate\'s private key)' : '--key needs --cert (the certificate it belongs to)');
    const tls = opts.cert && opts.key ? await readTlsFiles(opts.cert, opts.key) : undefined;
    const refusal = plainHttpRefusal(listen.host, listen.port, { tls: !!tls, insecure: !!opts.insecure, loopback: isLoopback(listen.host) });
    if (refusal) throw new ServeRefusal(refusal);
    // Checked before anything starts: a malformed name is one line, not a half-started host.
    try {
      hostNames(listen.host, listen.port || 1, { tls: !!tls, extra: opts.hostName ?? [] });
    } catch (e) {
      throw new ServeRefusal((e as Error).message);
    }
    const roots = await resolveRoots(opts.root ?? []);
    const stateDir = opts.state || defaultStateDir();
    let token: AccessToken;
    if (opts.tokenFile) token = await readTokenFile(opts.tokenFile);
    else if (env.MODULARGAN_TOKEN !== undefined) token = tokenFromEnvironment(env.MODULARGAN_TOKEN);
    else token = await ensureTokenFile(join(stateDir, TOKEN_FILE_NAME));

    const served = await serveStudio({
      listen: listen.host,
      port: listen.port,
      token: token.token,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
      ...(opts.hostName?.length ? { hostNames: opts.hostName } : {}),
      ...(roots.length ? { roots } : {}),
      stateDir,
      flag: '--listen',
      log: out,
    });
    if ('failure' in served) throw new ServeRefusal(served.failure);
    const { origin } = served.host;
    out(`ModularGAN Studio is serving at ${origin}/ (${tls ? 'TLS' : isLoopback(listen.host) ? 'this machine only; reach it through an SSH tunnel' : 'plain HTTP, --insecure'})`);
    if (tls) out(`certificate for ${tls.names.join(', ') || 'no names'}, valid until ${tls.validTo}; SHA-256 fingerprint ${tls.fingerprint}`);
    out(`access token: in ${token.source}`);
    if (token.warning) out(`warning: ${token.warning}`);
    out(roots.length ? `the studio may read and write only under: ${roots.join(', ')}` : 'warning: no --root given: the studio may read and write every file this user can; give --root DIR (one or more) to limit it');
    if (opts.printUrl) out(`open: ${origin}/?token=${token.token}`);
    else out(`open ${origin}/?token=TOKEN in a browser (TOKEN from ${token.source}; --print-url prints the whole address)`);
    out('Press Ctrl+C to stop (a running training writes its checkpoint first).');
    stopOnSignals(served);
    return 0;
  } catch (e) {
    if (!(e instanceof ServeRefusal || e instanceof ServeSetupError || e instanceof PathRefusedError)) throw e;
    err(`modulargan serve: ${e.message}`);
    return 2;
  }
}
