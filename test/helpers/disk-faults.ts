// Real disk faults for tests: a tiny tmpfs that fills up, a read-only one, an immutable
// folder. They need root (CI and these machines run as root); where the kernel refuses,
// the helper says so and the caller skips with that reason, instead of faking the fault.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

function run(cmd: string, args: string[]): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `${cmd} ${args.join(' ')}: ${((e as { stderr?: Buffer }).stderr?.toString() || (e as Error).message).trim()}`;
  }
}

export interface Fault {
  /** Undoes the fault; safe to call twice. */
  readonly undo: () => void;
}

/** Mounts a tmpfs of `kib` KiB on `dir` (created), read-only if asked; a reason string when not possible. */
export function tinyDisk(dir: string, kib: number, opts: { readOnly?: boolean } = {}): Fault | string {
  mkdirSync(dir, { recursive: true });
  const why = run('mount', ['-t', 'tmpfs', '-o', `size=${kib}k${opts.readOnly ? ',ro' : ''}`, 'tmpfs', dir]);
  if (why) return why;
  let mounted = true;
  return {
    undo: () => {
      if (mounted) run('umount', ['-l', dir]);
      mounted = false;
    },
  };
}

/** Makes a folder immutable (chattr +i: not even root may add files); a reason string when not possible. */
export function immutableFolder(dir: string): Fault | string {
  const why = run('chattr', ['+i', dir]);
  if (why) return why;
  return { undo: () => void run('chattr', ['-i', dir]) };
}
