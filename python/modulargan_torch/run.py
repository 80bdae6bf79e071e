"""A whole training run from a project file, as the studio's core/train/run.ts: open the
dataset, build the model, resume if asked, iterate, log every iteration as JSONL, write
sample grids and checkpoints. With several processes only rank 0 touches the run folder;
rank 0 reads a checkpoint and broadcasts it, so a resume needs no shared file system."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.distributed as dist

from .data import BatchLoader, Dataset, open_dataset
from .distributed import DistContext
from .files import remove_stale_temporaries, write_file_atomic
from .image_stats import image_features, image_stats
from .model import TrainModel, build_train_model
from .modules import Generator
from .project import Project, ProjectError, groups_length, read_project
from .rng import gaussian
from .runfolder import (
    LOCK_FILE,
    CheckpointContent,
    RunLock,
    append_log,
    default_run_dir,
    drop_checkpoints_after,
    json_line,
    latest_checkpoint,
    load_checkpoint_files,
    lock_run_folder,
    save_checkpoint,
    truncate_log,
)
from .samples import SampleInputs, sample_grid
from .trainer import Losses, NonFiniteLossError, Trainer

CLOSED_MASK = 0.01
# Settings of the studio's trainer that this engine does not reproduce yet: refused, not ignored.
UNSUPPORTED = ("monitor",)


class TrainSetupError(Exception):
    """A problem with the project or run folder the user must fix; the message says how."""


@dataclass
class RunOptions:
    iterations: Optional[int] = None
    resume: bool = False
    restart: bool = False
    stop_after: Optional[int] = None
    run_dir: Optional[str] = None
    keep: int = 3
    window: int = 50
    from_checkpoint: Optional[str] = None
    data_folder: Optional[str] = None
    amp: bool = True
    command: str = "python -m modulargan_torch train"
    log: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    progress: bool = True


@dataclass
class RunResult:
    status: str  # done | stopped | non-finite | aborted
    completed: int
    run_dir: str
    last_checkpoint: Optional[str] = None
    message: Optional[str] = None


def watch_parent(pid_text: Optional[str], every: float = 2.0) -> None:
    """Stops the run politely (SIGTERM to itself: a checkpoint, the run folder released) once
    the process that started it (the studio's engine, MODULARGAN_PARENT_PID) is gone: a run
    started detached would otherwise train on, holding the run folder, with no one to follow it."""
    if not pid_text or not pid_text.isdigit():
        return
    import threading

    parent = int(pid_text)

    def alive() -> bool:
        try:
            os.kill(parent, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    def watch() -> None:
        while alive():
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def train_settings(project: Project, iterations: Optional[int]) -> Dict[str, Any]:
    t = dict(project.require_training())
    for k in UNSUPPORTED:
        v = t.get(k)
        if v not in (None, False, 0, [], {}):
            raise TrainSetupError(f"{project.file}: training.{k} is set, which the PyTorch engine does not implement (the studio's evaluation measures it); train this project with the built-in engine (modulargan train without --engine torch), or remove training.{k}")
    if iterations is not None:
        t["iterations"] = iterations
    return t


def _closed_mask_note(part_id: str, mean: float, iteration: int) -> str:
    return (
        f"iteration {iteration}: the mask of transformer '{part_id}' is closed on every sample image (mean {mean:.4f}): "
        "it passes its input through unchanged, and a saturated mask gets almost no gradient to open again. "
        "If it stays closed, give it a mask gain below 1 (its 'maskGain' parameter) and train it again from a fresh start on a checkpoint of the others."
    )


def _dataset_image_stats(dataset: Dataset) -> Dict[str, Any]:
    """Statistics of up to 64 training images spread over the set (datasetImageStats)."""
    items = dataset.train or dataset.test
    step = max(1, len(items) // 64)
    features: List[List[float]] = []
    for i in range(0, len(items), step):
        if len(features) == 64:
            break
        try:
            features.append(image_features(dataset.load(items[i])[0]))
        except Exception:
            continue
    return image_stats(features)


def _fixed_samples(dataset: Dataset, model: TrainModel, seed: int) -> SampleInputs:
    s = dataset.image_size
    images: List[np.ndarray] = []
    labels: List[np.ndarray] = []
    # Test items first; past unreadable ones, training items.
    for i in [*dataset.test, *dataset.train]:
        if len(images) == 8:
            break
        try:
            img, lab = dataset.load(i)
        except Exception:
            continue
        images.append(img)
        labels.append(lab)
    n = len(images)
    imgs = np.stack(images) if n else np.zeros((0, s, s, 3), np.float32)
    labs = np.stack(labels) if n else np.zeros((0, groups_length(dataset.groups)), np.float32)
    noise = None
    if isinstance(model.base.module, Generator):
        length = model.base.module.int("noiseLength")
        noise = gaussian(f"{seed}:samples", n * length).reshape(n, length)
    return SampleInputs(imgs, labs, noise)


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {(s % 3600) // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def _fault_injection(k: int, ctx: DistContext) -> None:
    """MODULARGAN_FAIL_AT="<iteration>:<rank>:<marker file>" makes that process die at that
    iteration once (the marker records it): how the tests lose a node mid-run."""
    spec = os.environ.get("MODULARGAN_FAIL_AT")
    if not spec:
        return
    at, rank, marker = spec.split(":", 2)
    if k == int(at) and ctx.rank == int(rank) and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(17)


def _broadcast_state(trainer: Trainer, ctx: DistContext) -> None:
    """Rank 0's weights and optimiser state to every process (after rank 0 resumed)."""
    for p in trainer.model.all:
        for _, w in p.module.named_weights():
            with torch.no_grad():
                dist.broadcast(w.data, 0)
    for opt in (trainer.d_opt, trainer.g_opt):
        for k in opt.keys:
            dist.broadcast(opt.m[k], 0)
            dist.broadcast(opt.v[k], 0)
        step = torch.tensor([opt.step], device=ctx.device, dtype=torch.long)
        dist.broadcast(step, 0)
        opt.step = int(step.item())


def run_training(project_file: str, ctx: DistContext, opts: RunOptions) -> RunResult:
    say = opts.log if ctx.is_main else (lambda line: None)
    project = read_project(project_file)
    cfg = train_settings(project, opts.iterations)
    dataset = open_dataset(project, opts.data_folder)
    for n in dataset.notes:
        say(n)
    run_dir = opts.run_dir or default_run_dir(project_file)
    ckpt_root = os.path.join(run_dir, "checkpoints")
    log_file = os.path.join(run_dir, "log.jsonl")
    lock: Optional[RunLock] = None
    resume_from: Optional[str] = None
    setup_error: Optional[str] = None
    if ctx.is_main:
        try:
            if opts.from_checkpoint:
                resume_from = os.path.abspath(opts.from_checkpoint)
            elif opts.resume:
                resume_from = latest_checkpoint(ckpt_root)
                if not resume_from:
                    say(f"no checkpoint in {ckpt_root}: starting from iteration 0")
            os.makedirs(run_dir, exist_ok=True)
            # One writer per run folder (the studio's protocol): everything below writes it.
            lock = lock_run_folder(run_dir, opts.command)
            if not resume_from and not opts.resume and latest_checkpoint(ckpt_root):
                if not opts.restart:
                    raise TrainSetupError(f"{run_dir} already holds checkpoints of an earlier run: use --resume to continue it or --restart to discard it")
                for name in os.listdir(run_dir):
                    if name.startswith(LOCK_FILE) or name.startswith(f".{LOCK_FILE}"):
                        continue
                    p = os.path.join(run_dir, name)
                    shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
            os.makedirs(os.path.join(run_dir, "samples"), exist_ok=True)
            for d in (run_dir, ckpt_root, os.path.join(run_dir, "samples")):
                remove_stale_temporaries(d)
        except Exception as e:  # every rank must hear of it, or the others wait forever
            setup_error = str(e)
    if ctx.distributed:
        box: List[Any] = [setup_error]
        dist.broadcast_object_list(box, 0)
        setup_error = box[0]
    if setup_error:
        if lock:
            lock.release()
        raise TrainSetupError(setup_error)
    try:
        return _train(project, cfg, dataset, ctx, opts, run_dir, ckpt_root, log_file, resume_from, say)
    finally:
        if lock:
            lock.release()


def _train(project: Project, cfg: Dict[str, Any], dataset: Dataset, ctx: DistContext, opts: RunOptions, run_dir: str, ckpt_root: str, log_file: str, resume_from: Optional[str], say: Callable[[str], None]) -> RunResult:
    model = build_train_model(project, dataset.image_size, dataset.groups)
    for n in model.notes:
        say(n)
    trainer = Trainer(model, cfg, ctx, amp=opts.amp)
    seed = int(cfg["seed"])
    start = 0
    window: List[Losses] = []
    last_checkpoint: Optional[str] = None
    if ctx.is_main and resume_from:
        manifest, weights, optimizers = load_checkpoint_files(resume_from, [p.id for p in model.all])
        if manifest["rng"]["seed"] != seed:
            raise TrainSetupError(f"{resume_from}: was made with seed {manifest['rng']['seed']}, the project now says {seed}")
        for p in model.all:
            p.module.load_weights(weights[p.id], os.path.join(resume_from, manifest["modules"][p.id]))
        if trainer.ema is not None:
            if manifest.get("ema"):
                # The average goes through the modules (the file format is per module), then the trained weights go in.
                for p in model.all:
                    if f"ema:{p.id}" in weights:
                        p.module.load_weights(weights[f"ema:{p.id}"], os.path.join(resume_from, manifest["ema"][p.id]))
                trainer.ema.reset()
                for p in model.all:
                    p.module.load_weights(weights[p.id], os.path.join(resume_from, manifest["modules"][p.id]))
            else:
                # A run that turns the average on when resuming starts it from the weights it resumes.
                trainer.ema.reset()
        for which, opt in (("d", trainer.d_opt), ("g", trainer.g_opt)):
            step, m, v = optimizers[which]
            opt.set_state(step, m, v, os.path.join(resume_from, f"{manifest['optimizers'][which]}.json"))
        start = int(manifest["iteration"])
        window = list(manifest.get("window", []))
        if opts.from_checkpoint:
            drop_checkpoints_after(ckpt_root, start)
        last_checkpoint = resume_from
        say(f"resumed from {resume_from} at iteration {start}")
    if ctx.distributed:
        box: List[Any] = [start, window]
        dist.broadcast_object_list(box, 0)
        start, window = int(box[0]), list(box[1])
        _broadcast_state(trainer, ctx)
    if ctx.is_main:
        truncate_log(log_file, start)

    loader = BatchLoader(dataset, int(cfg["batchSize"]), seed, ctx.rank, ctx.world, on_skip=say)
    samples = _fixed_samples(dataset, model, seed) if ctx.is_main else None
    end = min(int(cfg["iterations"]), opts.stop_after if opts.stop_after is not None else int(cfg["iterations"]))
    stop_requested = [False]

    def on_signal(signum: int, frame: Any) -> None:
        if stop_requested[0]:
            sys.exit(130)
        stop_requested[0] = True
        if ctx.distributed:
            # torchrun also sends this when another process of the group died: then the
            # collectives that would agree on a checkpoint never complete. Give a polite stop
            # time to checkpoint, then leave, so the group restarts without waiting for SIGKILL.
            import threading

            timer = threading.Timer(float(os.environ.get("MODULARGAN_STOP_GRACE", "20")), lambda: os._exit(143))
            timer.daemon = True
            timer.start()

    old_handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    watch_parent(os.environ.get("MODULARGAN_PARENT_PID"))

    def checkpoint(done: int) -> None:
        nonlocal last_checkpoint
        if ctx.is_main:
            averaged = None
            if trainer.ema is not None:
                with trainer.ema.averaged():
                    averaged = [(p.id, p.module.to_weights()) for p in [model.base, *model.transformers, model.reconstructor]]
            content = CheckpointContent(
                modules=[(p.id, p.module.to_weights()) for p in model.all],
                optimizers={f"optimizer-{w}": (o.get_state()[0], o.keys, *o.get_state()[1:]) for w, o in (("d", trainer.d_opt), ("g", trainer.g_opt))},
                averaged=averaged,
                decay=trainer.ema.decay if trainer.ema is not None else None,
            )
            last_checkpoint = save_checkpoint(ckpt_root, done, seed, model.mode, window, content, opts.keep, {"trainedOn": trained_on})
            say(f"checkpoint {last_checkpoint}")

    def write_sample(done: int) -> List[Tuple[str, float]]:
        assert samples is not None
        # With training.ema the grid shows the averaged weights: what evaluation and export use.
        with trainer.ema.averaged() if trainer.ema is not None else contextlib.nullcontext():
            png, _, means = sample_grid(model, samples, dataset.image_size, ctx.device)
        write_file_atomic(os.path.join(run_dir, "samples", f"iter-{done:06d}.png"), png)
        return means

    # Before the first step: what the model makes untrained (or from the weights it starts with).
    if ctx.is_main and start == 0:
        write_sample(0)
    # Every weights file says what it was trained on (the studio warns when a module is fed something else).
    trained_on = {"dataset": dataset.title, "imageSize": dataset.image_size, "images": _dataset_image_stats(dataset)} if ctx.is_main else {}
    closed_noted: set = set()
    t0 = time.perf_counter()
    last_line = 0.0
    try:
        for k in range(start, end):
            if ctx.any_flag(stop_requested[0]):
                if k > start:
                    checkpoint(k)
                return RunResult("aborted", k, run_dir, last_checkpoint)
            _fault_injection(k, ctx)
            images, labels = loader.get(k)
            try:
                losses = trainer.step(k, images, labels)
            except NonFiniteLossError as e:
                keep = f"; the last good checkpoint is {last_checkpoint}" if last_checkpoint else "; no checkpoint was written yet"
                return RunResult("non-finite", k, run_dir, last_checkpoint, f"{e}{keep}")
            if ctx.is_main:
                append_log(log_file, json_line({"iteration": k, **losses}))
            window = (window + [losses])[-opts.window :]
            done = k + 1
            if ctx.is_main and samples is not None and (done % int(cfg["sampleEvery"]) == 0 or done == end):
                for part_id, mean in write_sample(done):
                    if mean >= CLOSED_MASK or part_id in trainer.frozen or part_id in closed_noted:
                        continue
                    closed_noted.add(part_id)
                    say(_closed_mask_note(part_id, mean, done))
            if done % int(cfg["checkpointEvery"]) == 0 or done == end:
                checkpoint(done)
            if ctx.is_main and opts.progress:
                seconds = time.perf_counter() - t0
                rate = (done - start) / seconds if seconds > 0 else 0.0
                if time.monotonic() - last_line > 10 or done == end:
                    last_line = time.monotonic()
                    eta = (int(cfg["iterations"]) - done) / rate if rate else float("inf")
                    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
                    say(
                        f"iteration {done}/{cfg['iterations']}, {rate:.2f} it/s, {rate * int(cfg['batchSize']):.1f} img/s, "
                        f"ETA {_duration(eta)}, D {fmt(losses.get('d_total'))}, G {fmt(losses.get('g_total'))}"
                    )
        status = "stopped" if end < int(cfg["iterations"]) else "done"
        return RunResult(status, end, run_dir, last_checkpoint)
    finally:
        loader.close()
        for s, h in old_handlers.items():
            signal.signal(s, h)
