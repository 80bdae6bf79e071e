import type { EngineApi } from '../../core/api/types';

const absent = async (): Promise<never> => {
  throw new Error('not in this fake engine');
};

type TrainingCall =
  | 'trainingGraph'
  | 'applyTrainingGraph'
  | 'datasetColumns'
  | 'datasetPreview'
  | 'suggestMapping'
  | 'trainingEngines'
  | 'startTraining'
  | 'pauseTraining'
  | 'resumeTraining'
  | 'stopTraining'
  | 'stopAllTraining'
  | 'listCheckpoints'
  | 'loadCheckpointIntoGraph'
  | 'freezeCheckpoint'
  | 'sampleNow';

/** The training calls, for fake engines in tests that do not use them. */
export const noTrainingCalls: Pick<EngineApi, TrainingCall> = {
  trainingGraph: absent,
  applyTrainingGraph: absent,
  datasetColumns: absent,
  datasetPreview: absent,
  suggestMapping: absent,
  trainingEngines: async () => [{ name: 'builtin', available: true, reason: 'trains in this fake engine', maxProcesses: 1 }],
  startTraining: absent,
  pauseTraining: absent,
  resumeTraining: absent,
  stopTraining: absent,
  stopAllTraining: async () => undefined,
  listCheckpoints: async () => [],
  loadCheckpointIntoGraph: absent,
  freezeCheckpoint: absent,
  sampleNow: absent,
};

/** The preset, provenance, batch and training calls, for fake engines in tests that do not use them. */
export const noPresetOrBatchCalls: Pick<
  EngineApi,
  'choosePresetPath' | 'listPresets' | 'exportPreset' | 'importPreset' | 'renamePreset' | 'setPresetVersion' | 'readProvenance' | 'startBatch' | 'cancelBatch' | 'restartEngine' | 'openFolder' | 'listFolder' | 'listJobs' | TrainingCall
> = {
  ...noTrainingCalls,
  restartEngine: async () => undefined,
  choosePresetPath: async () => null,
  listPresets: async () => [],
  exportPreset: absent,
  importPreset: absent,
  renamePreset: absent,
  setPresetVersion: absent,
  readProvenance: absent,
  startBatch: absent,
  cancelBatch: async () => undefined,
  openFolder: async (path) => ({ path, exists: true, opened: false }),
  listFolder: absent,
  listJobs: async () => [],
};
