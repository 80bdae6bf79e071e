// Start, pause, resume, stop; resume from a checkpoint; who trains (the built-in engine, or
// PyTorch where the engine's machine has it, with its processes) and where (the engine's
// machine, or a queue worker through Redis); iterations/s, ETA, learning rate.

import { useState, useSyncExternalStore } from 'react';
import { TRAINING_ENGINES, type TrainingEngine } from '../../core/api';
import type { TrainingController } from './training-controller';
import type { TrainingState } from './training-state';
import { useTraining } from './use-training';

const ENGINE_TITLES: { readonly [E in TrainingEngine]: string } = { builtin: 'Built-in', torch: 'PyTorch' };

/** Who trains the next start: the engines the machine has (the others shown, greyed, with why not), and PyTorch's processes. */
function EngineChoice({ c, s }: { c: TrainingController; s: TrainingState }) {
  const [problem, setProblem] = useState<string | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const info = (name: TrainingEngine) => s.engines.find((e) => e.name === name);
  const chosen = info(s.engine);
  const max = c.maxProcesses();
  return (
    <>
      <label className="train-engine">
        Engine{' '}
        <select
          value={s.engine}
          onChange={(e) => setProblem(c.setEngine(e.target.value as TrainingEngine))}
          data-testid="train-engine"
          aria-label="Training engine"
          title={chosen?.reason ?? 'The built-in trainer'}
        >
          {TRAINING_ENGINES.map((name) => {
            const e = info(name);
            // A queue worker's machine has its own engines: what this one lacks is not refused.
            const off = name !== 'builtin' && !e?.available && s.runOn === 'here';
            return (
              <option key={name} value={name} disabled={off} title={e?.reason ?? (name === 'builtin' ? '' : 'looking for it…')} data-testid={`train-engine-${name}`}>
                {ENGINE_TITLES[name]}
                {off ? (e ? ' (not found)' : ' (looking…)') : ''}
              </option>
            );
          })}
        </select>
      </label>
      {s.engine === 'torch' && (
        <label className="train-nproc" title={max > 1 ? `Data-parallel processes on the ${s.runOn === 'queue' ? 'worker’s' : 'engine’s'} machine (torchrun): one per GPU, or a few on CPUs` : chosen?.reason}>
          processes{' '}
          <input
            type="number"
            min={1}
            max={max}
            step={1}
            value={draft ?? String(s.nproc)}
            disabled={max === 1}
            style={{ width: '4.5em' }}
            data-testid="train-nproc"
            onChange={(e) => {
              setDraft(e.target.value);
              setProblem(c.setProcesses(e.target.value.trim() === '' ? NaN : Number(e.target.value)));
            }}
            onBlur={() => {
              if (!problem) setDraft(null);
            }}
          />
        </label>
      )}
      {problem && (
        <span className="field-problem" role="alert" data-testid="train-engine-problem">
          {problem}
        </span>
      )}
    </>
  );
}

/** Where the next start trains: here, or on a queue worker (`modulargan worker --queue … --train`) through a Redis URL. */
function RunOnChoice({ c, s }: { c: TrainingController; s: TrainingState }) {
  const [problem, setProblem] = useState<string | null>(null);
  const here = c.cannotRunOn('here');
  return (
    <>
      <label className="train-run-on">
        Run on{' '}
        <select value={s.runOn} onChange={(e) => setProblem(c.setRunOn(e.target.value as 'here' | 'queue'))} data-testid="train-run-on" aria-label="Where the training runs">
          <option value="here" disabled={!!here} title={here ?? 'The engine’s machine'}>
            this machine
          </option>
          <option value="queue" title="A worker started with: modulargan worker --queue redis://… --train (a GPU machine that sees the project’s folder)">
            a queue
          </option>
        </select>
      </label>
      {s.runOn === 'queue' && (
        <input
          type="text"
          value={s.queue}
          placeholder="redis://host:6379/0"
          aria-label="Queue address"
          title="The Redis the workers listen on; the run folder is written beside the project on shared storage"
          data-testid="train-queue"
          style={{ width: '16em', maxWidth: '100%' }}
          onChange={(e) => c.setQueue(e.target.value)}
        />
      )}
      {problem && (
        <span className="field-problem" role="alert" data-testid="train-run-on-problem">
          {problem}
        </span>
      )}
    </>
  );
}

/** "1 h 05 min", "3 min 20 s", "12 s". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

export function RunControls({ c }: { c: TrainingController }) {
  const s = useTraining(c, (x) => x);
  const [from, setFrom] = useState('latest');
  const active = s.status === 'starting' || s.status === 'running' || s.status === 'paused' || s.status === 'stopping';
  // Whether Start can train follows the project (its training section, dataset, training graph).
  useSyncExternalStore(c.studio.store.subscribe, () => c.studio.store.project);
  const blocked = active ? null : c.cannotStart();
  return (
    <section className="run-controls" data-testid="run-controls">
      <div className="row">
        {!active && (
          <button className="primary" onClick={() => void c.startTraining()} disabled={!!blocked} title={blocked ?? 'Train the project (saved first)'} data-testid="train-start">
            ▶ Start
          </button>
        )}
        {!active && (
          <>
            <select value={from} onChange={(e) => setFrom(e.target.value)} data-testid="resume-from" aria-label="Checkpoint to resume from">
              <option value="latest">latest checkpoint</option>
              {s.checkpoints.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.id}
                </option>
              ))}
            </select>
            <button onClick={() => void c.startTraining(from)} disabled={!!blocked || !s.checkpoints.length} data-testid="train-resume-from">
              Resume from it
            </button>
            <EngineChoice c={c} s={s} />
            <RunOnChoice c={c} s={s} />
          </>
        )}
        {s.status === 'running' && (
          // A run whose engine cannot wait between iterations gets no pretend pause: the button says why.
          <button onClick={() => void c.pause()} disabled={!!s.cannotPause} title={s.cannotPause ?? 'Waits after this iteration; the model stays in memory'} data-testid="train-pause">
            ❚❚ Pause
          </button>
        )}
        {s.status === 'paused' && (
          <button className="primary" onClick={() => void c.resume()} data-testid="train-resume">
            ▶ Resume
          </button>
        )}
        {(s.status === 'running' || s.status === 'paused') && (
          <button className="danger" onClick={() => void c.stop()} data-testid="train-stop" title="Stops after this iteration and writes a checkpoint">
            ■ Stop
          </button>
        )}
      </div>
      <div className="row stats" data-testid="train-stats">
        <span data-testid="train-status" data-status={s.status}>
          {s.status}
        </span>
        {s.total > 0 && <progress max={s.total} value={s.iteration} />}
        <span data-testid="train-iteration">
          {s.iteration}/{s.total || '?'} it
        </span>
        <span>{s.iterationsPerSecond ? `${s.iterationsPerSecond.toFixed(2)} it/s` : ''}</span>
        <span>{s.status === 'running' && s.iterationsPerSecond ? `ETA ${duration(s.etaSeconds)}` : ''}</span>
        <span data-testid="train-lr">{s.lr === null ? '' : `lr ${s.lr.toExponential(2)}`}</span>
      </div>
      {blocked && (
        <p className="muted" data-testid="train-blocked">
          {blocked}
        </p>
      )}
      {s.message && (
        <p className={s.status === 'failed' ? 'bad' : 'muted'} data-testid="train-message">
          {s.message}
        </p>
      )}
      {s.notes.length > 0 && (
        <ul className="train-notes" data-testid="train-notes">
          {s.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
