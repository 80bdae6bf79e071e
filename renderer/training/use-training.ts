import { useSyncExternalStore } from 'react';
import type { TrainingController } from './training-controller';
import type { TrainingState } from './training-state';

/** Re-renders when the selected slice of the training state changes (by identity). */
export function useTraining<T>(c: TrainingController, select: (s: TrainingState) => T): T {
  return useSyncExternalStore(c.store.subscribe, () => select(c.store.getState()));
}
