// A process that takes a run folder's lock when told and holds it until told, for the race test:
//   node --import tsx test/helpers/lock-taker.ts <run folder> <go file> <release file>
// It prints "ready", waits for <go file> to exist, then prints "won" or "busy <holder pid>";
// a winner holds the lock until <release file> exists, then prints "released".
import { existsSync } from 'node:fs';
import { RunFolderBusyError, lockRunFolder } from '../../core/train/run-lock';

const [dir, go, release] = process.argv.slice(2) as [string, string, string];
process.stdout.write('ready\n');
// Polled every millisecond: the takers leave the line within a few of each other.
while (!existsSync(go)) await new Promise((ok) => setTimeout(ok, 1));
try {
  const lock = await lockRunFolder(dir, 'lock race');
  process.stdout.write('won\n');
  while (!existsSync(release)) await new Promise((ok) => setTimeout(ok, 10));
  await lock.release();
  process.stdout.write('released\n');
} catch (e) {
  if (!(e instanceof RunFolderBusyError)) throw e;
  process.stdout.write(`busy ${e.holder?.pid ?? '?'}\n`);
}
