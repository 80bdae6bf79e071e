// `modulargan export <project> --torch DIR`: everything a GPU machine or a cluster needs to
// train the project with PyTorch, in one folder to copy over: the project (weights it starts
// from copied beside it), its dataset (rendered sources exported, others described and
// pointed at), the modulargan_torch package, train.sh (a ready torchrun command line for one
// machine or several) and train.slurm (a Slurm batch script around it). The run folder it
// makes there is the studio's: copy it back beside the project to watch, evaluate or export.

import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { exportDatasetRef, defaultExportFolder, refGroups } from '../files/dataset-export';
import { saveProjectFile } from '../files/documents';
import { describeGroups } from '../graph/ports';
import { TORCH_PACKAGE_DIR } from '../train/torch-engine';
import { SHARED_D } from '../graph/training-graph';
import { readProject } from './documents';

export interface TorchBundle {
  readonly folder: string;
  readonly project: string;
  readonly notes: readonly string[];
}

const stem = (file: string) => basename(file).replace(/(\.mgproj)?\.json$/, '');

async function copyPackage(to: string): Promise<void> {
  await mkdir(join(to, 'modulargan_torch'), { recursive: true });
  for (const f of ['pyproject.toml', 'README.md']) await copyFile(join(TORCH_PACKAGE_DIR, f), join(to, f)).catch(() => undefined);
  for (const f of await readdir(join(TORCH_PACKAGE_DIR, 'modulargan_torch')))
    if (f.endsWith('.py')) await copyFile(join(TORCH_PACKAGE_DIR, 'modulargan_torch', f), join(to, 'modulargan_torch', f));
}

const trainSh = (project: string) => `#!/usr/bin/env bash
# Trains ${project} with PyTorch, data-parallel (torchrun, DDP). Written by modulargan export --torch.
#   One machine:      bash train.sh                 (one process per visible GPU, else one on the CPU)
#   Several machines: on every machine, with the same MASTER_ADDR (the first machine's address):
#                     NNODES=2 MASTER_ADDR=node01 bash train.sh
# Settings: NPROC (processes per machine), NNODES, MASTER_ADDR, MASTER_PORT (29500), MAX_RESTARTS
# (3: a lost process or machine restarts the group, which resumes from the last checkpoint),
# PYTHON (python3). The global batch (training.batchSize) must divide by NNODES x NPROC.
# Extra arguments go to the trainer, e.g. --iterations 200000 or --no-amp.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=\${PYTHON:-python3}
export PYTHONPATH="$PWD/python\${PYTHONPATH:+:$PYTHONPATH}"
NPROC=\${NPROC:-$("$PYTHON" -c 'import torch; print(max(1, torch.cuda.device_count()))')}
NNODES=\${NNODES:-1}
if [ "$NNODES" = 1 ]; then
  RDZV=(--standalone)
else
  RDZV=(--rdzv_backend=c10d --rdzv_endpoint="\${MASTER_ADDR:?set MASTER_ADDR to the first machine}:\${MASTER_PORT:-29500}" --rdzv_id="\${RDZV_ID:-modulargan-${project.replace(/[^\w-]/g, '_')}}")
fi
exec "$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --nproc_per_node="$NPROC" --max_restarts="\${MAX_RESTARTS:-3}" "\${RDZV[@]}" \\
  -m modulargan_torch train ${project} --resume "$@"
`;

const trainSlurm = (project: string) => `#!/bin/bash
# Slurm batch script: sbatch train.slurm (adjust the #SBATCH lines to your cluster). One task per
# node runs train.sh, whose torchrun starts one process per GPU there. --requeue and --resume
# make a preempted or failed job continue from the last checkpoint.
#SBATCH --job-name=modulargan-${project.replace(/[^\w-]/g, '_').slice(0, 40)}
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=16
#SBATCH --time=48:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%j.out
set -euo pipefail
cd "$SLURM_SUBMIT_DIR"
export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_PORT=\${MASTER_PORT:-29500}
export NNODES=$SLURM_JOB_NUM_NODES
export RDZV_ID=$SLURM_JOB_ID
srun --kill-on-bad-exit=1 bash -c 'NPROC=\${SLURM_GPUS_ON_NODE:-1} bash train.sh'
`;

/** Writes the bundle for `projectFile` into `dir`; returns what it wrote and what the user must know. */
export async function exportTorchBundle(projectFile: string, dir: string, log: (line: string) => void = () => {}): Promise<TorchBundle> {
  const project = await readProject(projectFile);
  const t = project.training;
  if (!t) throw new Error(`${projectFile}: the project has no "training" section`);
  const ref = project.datasets.find((d) => d.id === t.dataset);
  if (!ref) throw new Error(`${projectFile}: training.dataset '${t.dataset}' is not one of the project's datasets`);
  const from = dirname(resolve(projectFile));
  const out = resolve(dir);
  await mkdir(join(out, 'weights'), { recursive: true });
  const notes: string[] = [];
  // Starting weights travel along (and D_<id>.mgw beside them, which the trainer looks for).
  const copied = new Map<string, string>();
  const bring = async (path: string): Promise<string> => {
    const src = resolve(from, path);
    let name = copied.get(src);
    if (!name) {
      name = `weights/${copied.size}-${basename(src)}`;
      await copyFile(src, join(out, name));
      copied.set(src, name);
    }
    return name;
  };
  const nodes = [];
  for (const n of project.graph.nodes) {
    const w = typeof n.params.weights === 'string' ? n.params.weights.trim() : '';
    if (!w) {
      nodes.push(n);
      continue;
    }
    const name = await bring(w);
    // Its critic comes along: D_<id>.mgw, or the shared D's D.mgw (training.sharedDiscriminator).
    for (const d of [`D_${n.id}.mgw`, `${SHARED_D}.mgw`]) await copyFile(join(dirname(resolve(from, w)), d), join(out, dirname(name), d)).catch(() => undefined);
    nodes.push({ ...n, params: { ...n.params, weights: name } });
  }
  const discriminatorWeights = t.discriminatorWeights
    ? Object.fromEntries(await Promise.all(Object.entries(t.discriminatorWeights).map(async ([k, v]) => [k, await bring(v)] as const)))
    : undefined;
  const file = join(out, basename(projectFile));
  let datasets = project.datasets;
  const rendered = ref.source === 'colormnist' || ref.source === 'synthetic-faces';
  const description: Record<string, unknown> = { id: ref.id, source: ref.source, imageSize: ref.imageSize, attributes: refGroups(ref) };
  if (rendered) {
    const r = await exportDatasetRef(ref, from, defaultExportFolder(file, ref.id), (done, total) => done === total && log(`exported dataset '${ref.id}': ${total} images`));
    Object.assign(description, { folder: `${stem(file)}.data/${ref.id}`, images: r.count, train: r.train, test: r.test });
  } else {
    // A CelebA folder or image folder is large: it stays where it is, and the project points
    // there by absolute path; on another machine, edit the path (or pass --data to the trainer).
    const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(from, p));
    datasets = project.datasets.map((d) => (d.id === ref.id ? { ...d, path: abs(d.path), ...(d.csv ? { csv: abs(d.csv) } : {}) } : d));
    Object.assign(description, { path: abs(ref.path), ...(ref.csv ? { csv: abs(ref.csv) } : {}) });
    notes.push(`the dataset stays at ${abs(ref.path)}: copy it to the training machine and edit datasets[].path in ${basename(file)} if it lives elsewhere there`);
  }
  await saveProjectFile(file, {
    ...project,
    graph: { ...project.graph, nodes },
    datasets,
    training: { ...t, ...(discriminatorWeights ? { discriminatorWeights } : {}) },
    checkpoints: [],
  });
  await writeFile(join(out, 'dataset.json'), `${JSON.stringify(description, null, 2)}\n`);
  await copyPackage(join(out, 'python'));
  const name = basename(file);
  await writeFile(join(out, 'train.sh'), trainSh(name), { mode: 0o755 });
  await writeFile(join(out, 'train.slurm'), trainSlurm(name), { mode: 0o755 });
  const runFolder = `${stem(file)}.train`;
  await writeFile(
    join(out, 'README.txt'),
    [
      `Training ${project.name || name} with PyTorch (written by modulargan export --torch).`,
      '',
      `  ${name}        the project (weights it starts from are in weights/)`,
      `  dataset.json   the dataset: ${ref.source}, ${ref.imageSize} px, ${describeGroups(refGroups(ref))}`,
      ...(rendered ? [`  ${stem(file)}.data/  the dataset, exported as images + CSV`] : [`                 at ${String(description.path)} (copy it over and edit the path if needed)`]),
      '  python/        the modulargan_torch package (needs PyTorch >= 1.13 and numpy; Pillow for JPEGs)',
      '  train.sh       torchrun command line: bash train.sh (one machine) or NNODES=.. MASTER_ADDR=.. bash train.sh on each',
      '  train.slurm    Slurm batch script around train.sh: sbatch train.slurm',
      '',
      `The run goes to ${runFolder}/ (log.jsonl, samples/, checkpoints/), laid out as the studio's own. To bring it back,`,
      `copy ${runFolder}/ beside the project in the studio: its Training view, modulargan eval, modulargan export and`,
      'modulargan train --resume read it as if the studio had trained it.',
      '',
    ].join('\n'),
  );
  return { folder: out, project: file, notes };
}
