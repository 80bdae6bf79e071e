// Ctrl+C handling of long commands: the first signal aborts, the second exits 130, and the
// signal never goes without a listener in between (Node would put back its default action,
// terminate, and a second Ctrl+C in that gap would kill the process past its exit handlers).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { interruptible } from '../../../cli/interrupt';

const SIG = 'SIGUSR2';
const delivered = () => new Promise((r) => setTimeout(r, 50));

afterEach(() => {
  process.removeAllListeners(SIG);
  vi.restoreAllMocks();
});

describe('interruptible', () => {
  it('aborts on the first signal and exits 130 on the second, never leaving the signal without a listener', async () => {
    const removed: string[] = [];
    const onRemove = (name: string | symbol) => removed.push(String(name));
    process.on('removeListener', onRemove);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      const ctrl = interruptible([SIG]);
      process.kill(process.pid, SIG);
      await delivered();
      expect(ctrl.signal.aborted).toBe(true);
      expect(exit).not.toHaveBeenCalled();
      expect(process.listenerCount(SIG)).toBe(1);
      process.kill(process.pid, SIG);
      await delivered();
      expect(exit).toHaveBeenCalledWith(130);
      expect(removed.filter((n) => n === SIG)).toEqual([]);
    } finally {
      process.removeListener('removeListener', onRemove);
    }
  });
});
