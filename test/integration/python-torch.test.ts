// The PyTorch engine's own suite (python/tests, pytest) as part of `npm test`: module, step
// and run parity with the studio, 2-process torchrun, the studio running its weights, the
// command-line bridge. It needs a Python with torch and pytest: python/.venv (what .ci/run
// makes from the machine image's PyTorch 2 wheel), $MODULARGAN_PYTHON, or Debian's python3
// with python3-torch (then the torchrun tests skip themselves). Without one it is skipped,
// saying why.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function findPython(): { python?: string; why: string } {
  const tried: string[] = [];
  for (const p of [process.env.MODULARGAN_PYTHON, join(root, 'python', '.venv', 'bin', 'python'), '/usr/bin/python3']) {
    if (!p || !existsSync(p)) continue;
    const r = spawnSync(p, ['-c', 'import torch, numpy, pytest'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: p, why: '' };
    tried.push(`${p}: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`}`);
  }
  return { why: `no Python with torch, numpy and pytest (${tried.join('; ') || 'none found'}); .ci/run sets one up in python/.venv` };
}

const found = findPython();

describe('PyTorch engine (python/tests)', () => {
  it.skipIf(!found.python)(`pytest passes${found.python ? '' : ` — skipped: ${found.why}`}`, () => {
    const r = spawnSync(found.python!, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', join(root, 'python', 'tests')], {
      cwd: join(root, 'python'),
      encoding: 'utf8',
      // One thread per PyTorch process: vitest runs other files beside this one on two cores.
      env: { ...process.env, OMP_NUM_THREADS: '1' },
      timeout: 900_000,
    });
    const tail = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-60).join('\n');
    expect(r.status, tail).toBe(0);
    expect(tail).toMatch(/\d+ passed/);
  }, 960_000);
});
