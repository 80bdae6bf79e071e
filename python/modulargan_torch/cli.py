"""`python -m modulargan_torch train PROJECT` (alone, or under torchrun): the same run
folder, log and checkpoints as `modulargan train PROJECT`, trained by PyTorch.

Exit codes as the studio's: 0 finished (or stopped as asked), 1 could not start, 3 a loss
became NaN/Inf, 130 interrupted (after a checkpoint)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import List, Optional

from . import __version__


def _positive(name: str):  # type: ignore[no-untyped-def]
    def parse(v: str) -> int:
        try:
            n = int(v)
        except ValueError:
            n = 0
        if n < 1:
            raise argparse.ArgumentTypeError(f"--{name} must be a whole number of at least 1, got '{v}'")
        return n

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m modulargan_torch", description="Train ModularGAN Studio projects with PyTorch (one process, or many under torchrun).")
    p.add_argument("--version", action="version", version=f"modulargan_torch {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train all modules of a project jointly, as `modulargan train` does")
    t.add_argument("project", help="a .mgproj.json project with a training section")
    t.add_argument("--iterations", type=_positive("iterations"), help="total iterations (overrides training.iterations; also moves the learning-rate decay end)")
    t.add_argument("--resume", action="store_true", help="continue from the latest checkpoint (starts fresh when there is none: right for torchrun restarts)")
    t.add_argument("--restart", action="store_true", help="discard an earlier run's checkpoints, samples and log")
    t.add_argument("--from", dest="from_checkpoint", help="continue from this checkpoint folder (later checkpoints are dropped)")
    t.add_argument("--stop-after", type=_positive("stop-after"), help="stop after this many iterations, with a checkpoint, as if interrupted")
    t.add_argument("--run-dir", help="run folder (default <project>.train beside the project)")
    t.add_argument("--keep", type=_positive("keep"), default=3, help="latest checkpoints kept besides the best (default 3)")
    t.add_argument("--data", dest="data_folder", help="a folder written by `modulargan export-dataset` (default for ColorMNIST and synthetic faces: <project>.data/<dataset id>)")
    t.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="auto: CUDA when PyTorch sees a GPU, else CPU")
    t.add_argument("--no-amp", dest="amp", action="store_false", help="train in float32 on CUDA too (default: automatic mixed precision, bfloat16)")
    t.add_argument("--threads", type=_positive("threads"), help="CPU threads per process (default: PyTorch's choice)")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    sub.add_parser("bench", help="images/s of the studio's bench iteration (see python -m modulargan_torch bench --help)", add_help=False)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["bench"]:
        from .bench import main as bench_main

        return bench_main(given[1:])
    args = build_parser().parse_args(argv)
    from .distributed import start
    from .run import RunOptions, TrainSetupError, run_training

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        ctx = start(args.device)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    log = (lambda line: print(line, flush=True)) if ctx.is_main else (lambda line: None)
    if ctx.is_main:
        where = f"{ctx.world} processes ({ctx.backend})" if ctx.distributed else "1 process"
        amp = (" with AMP (bfloat16)" if torch.cuda.is_bf16_supported() else " in float32 (this GPU has no bfloat16)") if args.amp and ctx.device.type == "cuda" else ""
        log(f"engine: PyTorch {torch.__version__} on {ctx.device.type}{amp}, {where}")
    command = "python -m modulargan_torch " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    opts = RunOptions(
        iterations=args.iterations,
        resume=args.resume or bool(args.from_checkpoint),
        restart=args.restart,
        stop_after=args.stop_after,
        run_dir=args.run_dir,
        keep=args.keep,
        from_checkpoint=args.from_checkpoint,
        data_folder=args.data_folder,
        amp=args.amp,
        command=command,
        log=log,
        progress=not args.quiet,
    )
    try:
        result = run_training(args.project, ctx, opts)
    except (TrainSetupError, ValueError, OSError) as e:
        if ctx.is_main:
            print(f"error: {e}", file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # noqa: BLE001 - project, dataset and weights errors carry messages for the user
        from .data import DatasetFileError
        from .mgw import WeightsFileError
        from .project import ProjectError

        if isinstance(e, (ProjectError, DatasetFileError, WeightsFileError)):
            if ctx.is_main:
                print(f"error: {e}", file=sys.stderr, flush=True)
            return 1
        raise
    finally:
        ctx.close()
    if result.status == "non-finite":
        log(f"error: {result.message}")
        return 3
    if result.status == "aborted":
        more = f"; --resume continues from {result.last_checkpoint}" if result.last_checkpoint else ""
        log(f"interrupted at iteration {result.completed}{more}")
        return 130
    log(f"{'finished' if result.status == 'done' else 'stopped'} at iteration {result.completed}; log, samples and checkpoints in {result.run_dir}")
    return 0
