"""One process or many: the rank, the device and the few collectives the trainer needs.

Under torchrun (RANK / WORLD_SIZE / LOCAL_RANK set) the process group starts with NCCL on
CUDA and gloo on CPU; alone, nothing starts and the collectives are identities."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from typing import List, Optional

import torch
import torch.distributed as dist
from torch import Tensor


@dataclass
class DistContext:
    rank: int
    world: int
    local_rank: int
    device: torch.device
    backend: Optional[str]

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    def all_gather_rows(self, t: Tensor) -> Tensor:
        """Concatenates every process's rows, in rank order (all shares are the same size)."""
        if not self.distributed:
            return t
        parts: List[Tensor] = [torch.empty_like(t) for _ in range(self.world)]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts, 0)

    def mean(self, t: Tensor) -> Tensor:
        if not self.distributed:
            return t
        out = t.clone()
        dist.all_reduce(out, op=dist.ReduceOp.SUM)
        return out / self.world

    def any_flag(self, flag: bool) -> bool:
        if not self.distributed:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def barrier(self) -> None:
        if self.distributed:
            if self.backend == "nccl":
                dist.barrier(device_ids=[self.local_rank])
            else:
                dist.barrier()

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def _no_nnpack_where_it_cannot_start() -> None:
    """On a CPU NNPACK does not support, PyTorch 2 warns "Could not initialize NNPACK" each time
    a convolution considers it (the gradient penalty's double backward: 52 lines in six
    iterations of a tiny project), and the studio's notes keep only the newest lines. Asking
    once (one warning) and switching it off ends the flood; where NNPACK runs, it stays on."""
    try:
        import torch.backends.nnpack as nnpack
    except ImportError:  # older PyTorch builds have no switch for it
        return
    if not nnpack.is_available():
        nnpack.set_flags(False)


def start(device: str = "auto") -> DistContext:
    """The process group torchrun asked for (if any) and this process's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    want_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: no CUDA device is visible to PyTorch here")
    if want_cuda:
        torch.cuda.set_device(local_rank % max(1, torch.cuda.device_count()))
        dev = torch.device("cuda", torch.cuda.current_device())
    else:
        dev = torch.device("cpu")
        _no_nnpack_where_it_cannot_start()
    backend: Optional[str] = None
    if world > 1:
        backend = "nccl" if want_cuda else "gloo"
        # A lost node makes the others wait in a collective; the timeout ends the wait so torchrun can restart the group.
        timeout = datetime.timedelta(seconds=int(os.environ.get("MODULARGAN_DIST_TIMEOUT", "1800")))
        kwargs = {"backend": backend, "timeout": timeout}
        if want_cuda and _accepts_device_id():
            kwargs["device_id"] = dev
        restart = os.environ.get("TORCHELASTIC_RESTART_COUNT")
        if restart is not None and os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True":
            # After torchrun restarted the group (a process was lost), a new round could read
            # the last round's addresses from the agent's store and fail to connect: each
            # round gets keys of its own.
            base = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), world, False, timeout=timeout)
            store = dist.PrefixStore(f"modulargan/round-{restart}/", base)
            dist.init_process_group(store=store, rank=rank, world_size=world, **kwargs)  # type: ignore[arg-type]
        else:
            dist.init_process_group(**kwargs)  # type: ignore[arg-type]
    return DistContext(rank, world, local_rank, dev, backend)


def _accepts_device_id() -> bool:
    import inspect

    return "device_id" in inspect.signature(dist.init_process_group).parameters
