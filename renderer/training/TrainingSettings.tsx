// The run's settings: iterations, batch size, learning rate, n_critic, how often to sample and
// checkpoint. Each is checked as it is typed against the project format's own ranges (core's
// TRAINING_SETTINGS); a value outside them is shown with the reason and not put in the
// project. Valid values go into the project (one undo step per field), which Save writes
// and Start trains.

import { useState } from 'react';
import { TRAINING_SETTINGS, type TrainingSetting, describeRange } from '../../core/graph';
import { useEditor } from '../state/use-editor';
import type { TrainingController } from './training-controller';

function SettingField({ c, setting, value, disabled }: { c: TrainingController; setting: TrainingSetting; value: number; disabled: boolean }) {
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const id = `training-${setting.key}`;
  return (
    <div className={`param${problem ? ' invalid' : ''}`}>
      <label htmlFor={id} title={setting.help}>
        {setting.title}
      </label>
      <input
        id={id}
        type="number"
        data-testid={id}
        disabled={disabled}
        title={`${setting.help} Allowed: ${describeRange(setting)}.`}
        min={Number.isFinite(setting.min) ? setting.min : undefined}
        max={Number.isFinite(setting.max) ? setting.max : undefined}
        step={setting.integer ? 1 : 'any'}
        value={draft ?? String(value)}
        onChange={(e) => {
          setDraft(e.target.value);
          const v = e.target.value.trim() === '' ? NaN : Number(e.target.value);
          setProblem(c.setSetting(setting.key, v));
        }}
        onBlur={() => {
          c.studio.store.endGroup();
          // A refused value stays on show, with its reason, until it is mended.
          if (!problem) setDraft(null);
        }}
      />
      {problem && (
        <div className="field-problem" role="alert" data-testid={`${id}-problem`}>
          {problem} (not saved)
        </div>
      )}
    </div>
  );
}

export function TrainingSettings({ c, locked }: { c: TrainingController; locked: boolean }) {
  const training = useEditor((s) => s.history.present.training);
  const loads = useEditor((s) => s.loads);
  if (!training) return null;
  return (
    <section className="training-settings" data-testid="training-settings">
      <h3>Training settings</h3>
      {locked && <p className="muted small">Fixed while a run goes on; they apply to the next start.</p>}
      <div className="settings-grid">
        {TRAINING_SETTINGS.map((s) => (
          // Keyed by document, so another project's values replace a draft of this one.
          <SettingField key={`${loads}:${s.key}`} c={c} setting={s} value={training[s.key]} disabled={locked} />
        ))}
      </div>
    </section>
  );
}
