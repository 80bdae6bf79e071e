import type { EngineApi } from '../../core/api/types';

const absent = async (): Promise<never> => {
  throw new Error('not in this fake engine');
};

/** The preset, provenance and batch calls, for fake engines in tests that do not use them. */
export const noPresetOrBatchCalls: Pick<
  EngineApi,
  'choosePresetPath' | 'listPresets' | 'exportPreset' | 'importPreset' | 'renamePreset' | 'setPresetVersion' | 'readProvenance' | 'startBatch' | 'cancelBatch'
> = {
  choosePresetPath: async () => null,
  listPresets: async () => [],
  exportPreset: absent,
  importPreset: absent,
  renamePreset: absent,
  setPresetVersion: absent,
  readProvenance: absent,
  startBatch: absent,
  cancelBatch: async () => undefined,
};
