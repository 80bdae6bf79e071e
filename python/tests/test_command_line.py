"""The studio's command line drives this engine: `modulargan train --engine torch` trains a
project into its usual run folder (exporting a rendered dataset first), `modulargan export
--torch DIR` writes a folder whose train.sh runs torchrun, and the run folder's lock keeps a
second writer out, whichever engine it is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import PYTHON_DIR, modulargan, node_ready, read_log
from modulargan_torch.runfolder import RunFolderBusyError, lock_run_folder

needs_node = pytest.mark.skipif(not node_ready(), reason="needs the studio's command line (Node and node_modules)")


def copy_case(studio: Path, name: str, to: Path) -> Path:
    for item in (studio / name).iterdir():
        if item.name.endswith(".train") or item.name.endswith(".data"):
            continue
        (shutil.copytree if item.is_dir() else shutil.copy)(item, to / item.name)
    return to / f"{name}.mgproj.json"


@needs_node
def test_train_engine_torch_exports_the_dataset_and_fills_the_usual_run_folder(studio: Path, tmp_path: Path) -> None:
    project = copy_case(studio, "generation", tmp_path)
    r = modulargan("train", str(project), "--engine", "torch", "--iterations", "2", env_python=sys.executable)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "exported dataset 'cm' for PyTorch: 10000 images" in r.stdout
    assert "finished at iteration 2" in r.stdout
    run = tmp_path / "generation.train"
    assert [l["iteration"] for l in read_log(run / "log.jsonl")] == [0, 1]
    assert json.loads((run / "checkpoints" / "index.json").read_text())["checkpoints"][-1]["path"] == "iter-000002"
    assert not (run / "run.lock").exists(), "the lock is released at the end"


@needs_node
def test_train_engine_refuses_an_unknown_engine_and_nproc_without_torch(tmp_path: Path) -> None:
    r = modulargan("train", str(tmp_path / "x.mgproj.json"), "--engine", "tensorflow")
    assert r.returncode == 1 and "--engine must be builtin or torch, got 'tensorflow'" in r.stdout
    r = modulargan("train", str(tmp_path / "x.mgproj.json"), "--nproc", "2")
    assert r.returncode == 1 and "--nproc needs --engine torch" in r.stdout


@needs_node
@pytest.mark.skipif(int(torch.__version__.split(".")[0]) < 2, reason="torchrun needs PyTorch 2 on this Python")
def test_export_torch_writes_a_folder_that_trains_with_torchrun(studio: Path, tmp_path: Path) -> None:
    project = copy_case(studio, "translation", tmp_path)
    bundle = tmp_path / "bundle"
    r = modulargan("export", str(project), "--torch", str(bundle))
    assert r.returncode == 0, r.stdout + r.stderr
    for f in ("translation.mgproj.json", "dataset.json", "train.sh", "train.slurm", "README.txt", "python/modulargan_torch/trainer.py"):
        assert (bundle / f).exists(), f
    assert json.loads((bundle / "dataset.json").read_text())["path"] == str(tmp_path / "faces")
    assert subprocess.run(["bash", "-n", str(bundle / "train.slurm")]).returncode == 0
    # One process: train.sh's torchrun line is what is tested here; two processes are tested in test_distributed.py.
    env = {**os.environ, "PYTHON": sys.executable, "NPROC": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    t = subprocess.run(["bash", str(bundle / "train.sh"), "--iterations", "2", "-q"], capture_output=True, text=True, timeout=300, env=env)
    assert t.returncode == 0, t.stdout + t.stderr
    assert "engine: PyTorch" in t.stdout
    assert [l["iteration"] for l in read_log(bundle / "translation.train" / "log.jsonl")] == [0, 1]


def test_a_run_folder_has_one_writer(tmp_path: Path) -> None:
    lock = lock_run_folder(str(tmp_path), "first writer")
    with pytest.raises(RunFolderBusyError, match=r"is being written by pid \d+ \(first writer"):
        lock_run_folder(str(tmp_path), "second writer")
    lock.release()
    lock_run_folder(str(tmp_path), "after release").release()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    import socket

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    holder = {"pid": int(dead), "host": socket.gethostname(), "startedAt": "2026-01-01T00:00:00.000Z", "command": "killed", "token": "dead-1"}
    (tmp_path / "run.lock").write_text(json.dumps(holder))
    lock = lock_run_folder(str(tmp_path), "new writer")
    assert json.loads((tmp_path / "run.lock").read_text())["command"] == "new writer"
    lock.release()


@needs_node
def test_a_run_whose_starter_died_stops_itself_with_a_checkpoint(studio: Path, tmp_path: Path) -> None:
    """The studio starts runs detached: when its engine dies the run must not train on, holding
    the run folder, with no one to follow it (MODULARGAN_PARENT_PID names the starter)."""
    project = copy_case(studio, "translation", tmp_path)
    starter = subprocess.Popen(["sleep", "600"])
    env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR), "OMP_NUM_THREADS": "1", "MODULARGAN_PARENT_PID": str(starter.pid)}
    run = subprocess.Popen([sys.executable, "-m", "modulargan_torch", "train", project.name, "--iterations", "100000", "-q"],
                           cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    folder = tmp_path / "translation.train"
    # The starter dies once the run trains (a fixed delay lost the race on a loaded machine:
    # torch's import alone can take longer, and a run stopped before its first step keeps nothing).
    deadline = time.monotonic() + 120
    while not ((folder / "log.jsonl").exists() and (folder / "log.jsonl").read_text().strip()):
        assert run.poll() is None and time.monotonic() < deadline, "the run did not start training"
        time.sleep(0.2)
    starter.kill()
    starter.wait()
    out, _ = run.communicate(timeout=120)
    index = json.loads((folder / "checkpoints" / "index.json").read_text())
    done = index["checkpoints"][-1]["iteration"]
    assert 0 < done < 100000, out
    assert [l["iteration"] for l in read_log(folder / "log.jsonl")][-1] == done - 1
    assert not (folder / "run.lock").exists(), "the lock is released"
    # On a CPU NNPACK cannot run on, PyTorch 2 warned on every convolution that considered it
    # (24 lines in two iterations of this case), pushing everything else out of the studio's notes.
    assert out.count("Could not initialize NNPACK") <= 1, out
