// Which training engines can train on this machine, and why not: what the Training tab
// offers. The built-in engine always can; PyTorch needs a Python that imports torch and this
// checkout's modulargan_torch (core/train/torch-engine.ts finds it as a run would).

import { type TorchPython, probeTorchPython } from '../train/torch-engine';
import { MAX_LOCAL_PROCESSES, TRAINING_ENGINES, type TrainingEngine } from '../api/training-engines';
import type { TrainingEngineInfo } from '../api/types';

/** Why a PyTorch run in the studio has no Pause (the Training tab shows it on the disabled button). */
export const TORCH_CANNOT_PAUSE =
  'A PyTorch run trains in a process of its own, which does not wait between iterations: Stop writes a checkpoint, and "Resume from it" continues exactly where it stopped.';

// A Python found stays found for the engine's life (importing torch to ask again takes
// seconds); one not found is looked for again, so installing PyTorch needs no restart.
let known: Promise<TorchPython> | undefined;

function torchPython(): Promise<TorchPython> {
  known ??= probeTorchPython().catch((e: unknown) => {
    known = undefined;
    throw e;
  });
  return known;
}

const REPORTS: { readonly [E in TrainingEngine]: () => Promise<Omit<TrainingEngineInfo, 'name'>> } = {
  builtin: async () => ({ available: true, reason: "trains in the studio's engine, on the project's training backend", maxProcesses: 1 }),
  torch: async () => {
    try {
      const py = await torchPython();
      const one = py.torchrun ? '' : `; one process only: torchrun of PyTorch ${py.torchVersion} does not run on this Python (PyTorch 2 does)`;
      return { available: true, reason: `PyTorch ${py.torchVersion} in ${py.python}${one}`, maxProcesses: py.torchrun ? MAX_LOCAL_PROCESSES : 1, cannotPause: TORCH_CANNOT_PAUSE };
    } catch (e) {
      return { available: false, reason: (e as Error).message.slice(0, 2000), maxProcesses: 1, cannotPause: TORCH_CANNOT_PAUSE };
    }
  },
};

/** Every training engine, in TRAINING_ENGINES's order, with whether it can train here. */
export async function trainingEngineReport(): Promise<TrainingEngineInfo[]> {
  return Promise.all(TRAINING_ENGINES.map(async (name) => ({ name, ...(await REPORTS[name]()) })));
}
