// Whether the process a file names by its pid (a temporary's writer, a lock's holder) still
// runs. The pid alone can mislead: a killed child stays a zombie until its parent reaps it, and
// once a process has ended the kernel hands its number to a new one, soon where pids wrap on a
// busy machine (a CI run that spawns thousands of processes). Linux says when a process
// started; elsewhere the pid is all there is.

import { readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
export function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot. */
export const startTicks = (pid: number): string | undefined => procStat(pid)?.[19];

/** Clock ticks per second as /proc counts them: 100 on every Linux build in use. */
const TICKS_PER_SECOND = 100;

/** When the process started, in ms since the epoch (to about 10 ms), or undefined off Linux. */
function startedAtMs(stat: string[]): number | undefined {
  try {
    const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const ticks = Number(stat[19]);
    if (!Number.isFinite(uptimeSeconds) || !Number.isFinite(ticks)) return undefined;
    return Date.now() - uptimeSeconds * 1000 + (ticks / TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

/** Slack for comparing a start time with a file's time (clock ticks, file-system timestamps). */
const SLACK_MS = 1000;

/**
 * Whether process `pid` runs and can be the one that wrote a file last modified at `writtenAtMs`:
 * a process started after that is another one that got the number.
 */
export function writerRunning(pid: number, writtenAtMs?: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat?.[0] === 'Z') return false; // killed, not yet reaped by its parent
  if (stat && writtenAtMs !== undefined) {
    const started = startedAtMs(stat);
    if (started !== undefined && started > writtenAtMs + SLACK_MS) return false;
  }
  return true;
}
