"""`python -m modulargan_torch bench`: images/s of this trainer on the studio's bench
iteration (bench/trainer.ts): E, three transformers (one 3-value group each), R, three
discriminators, one D and one G update per iteration (n_critic 1), WGAN-GP; median of the
timed iterations after one warm-up, with peak memory. Prints one JSON object."""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from .distributed import DistContext
from .model import build_train_model
from .project import Node, Project
from .rng import gaussian
from .trainer import Trainer

GROUPS = [
    {"name": "hair", "kind": "onehot", "values": ["black", "blond", "brown"]},
    {"name": "age", "kind": "onehot", "values": ["young", "adult", "old"]},
    {"name": "light", "kind": "onehot", "values": ["left", "front", "right"]},
]


def bench(size: int, base: int, res_blocks: int, d_depth: int, batch: int, iterations: int, device: str = "auto", amp: bool = True) -> Dict[str, Any]:
    dev = torch.device("cuda" if device == "cuda" or (device == "auto" and torch.cuda.is_available()) else "cpu")
    ctx = DistContext(0, 1, 0, dev, None)
    training = {
        "mode": "translation", "dataset": "d", "iterations": 1000, "batchSize": batch, "learningRate": 1e-4, "beta1": 0.5, "beta2": 0.999,
        "nCritic": 1, "lambdaGp": 10, "lambdaCls": 1, "lambdaRec": 10, "lambdaCyc": 10, "seed": 0, "frozen": [], "dDepth": d_depth,
    }
    nodes = [Node("E", "encoder", None, {"imageSize": size, "baseChannels": base})]
    nodes += [Node(f"T{i}", "transformer", None, {"baseChannels": base, "resBlocks": res_blocks, "attributes": [g]}) for i, g in enumerate(GROUPS)]
    nodes.append(Node("R", "reconstructor", None, {"imageSize": size, "baseChannels": base}))
    project = Project(file="bench.mgproj.json", name="bench", nodes=nodes, training=training, datasets=[], raw={})
    model = build_train_model(project, size, GROUPS)
    trainer = Trainer(model, training, ctx, amp=amp)
    images = np.tanh(gaussian("bench-train", batch * size * size * 3)).astype(np.float32).reshape(batch, size, size, 3)
    labels = np.zeros((batch, 9), dtype=np.float32)
    for i in range(batch):
        for g in range(3):
            labels[i, g * 3 + (i + g) % 3] = 1
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times: List[float] = []
    for k in range(iterations + 1):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        trainer.step(k, images, labels)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        if k > 0:
            times.append(time.perf_counter() - t0)
    median = sorted(times)[len(times) // 2]
    out: Dict[str, Any] = {
        "engine": "pytorch",
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "amp": bool(trainer.amp),
        "config": {"size": size, "base": base, "resBlocks": res_blocks, "transformers": 3, "dDepth": d_depth, "batch": batch},
        "imagesPerSecond": round(batch / median, 2),
        "secondsPerIteration": [round(t, 3) for t in times],
        "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if dev.type == "cuda":
        out["peakCudaMiB"] = round(torch.cuda.max_memory_allocated(dev) / 2**20)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m modulargan_torch bench")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--base", type=int, default=32)
    p.add_argument("--res-blocks", type=int, default=3)
    p.add_argument("--d-depth", type=int, default=5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--no-amp", dest="amp", action="store_false")
    a = p.parse_args(argv)
    print(json.dumps(bench(a.size, a.base, a.res_blocks, a.d_depth, a.batch, a.iterations, a.device, a.amp)), flush=True)
    return 0
