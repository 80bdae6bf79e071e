"""Sample grids as the studio draws them (core/train/samples.ts): one row per fixed test
item; columns are the input (or G's image), its reconstruction, each transformer alone, all
chained, each mask and the mask mean. Targets are the next row's labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .images import encode_png, to_bytes
from .model import TrainModel


@dataclass
class SampleInputs:
    images: np.ndarray  # n x H x W x 3
    labels: np.ndarray  # n x label length
    noise: Optional[np.ndarray] = None  # n x noise length (generation)

    @property
    def n(self) -> int:
        return int(self.images.shape[0])


@torch.no_grad()
def sample_grid(model: TrainModel, s: SampleInputs, size: int, device: torch.device) -> Tuple[bytes, List[str], List[Tuple[str, float]]]:
    """The grid's PNG bytes, its column names, and each transformer's mean mask."""
    n = s.n
    x = torch.from_numpy(np.ascontiguousarray(s.images)).permute(0, 3, 1, 2).to(device)
    labels = torch.from_numpy(np.ascontiguousarray(s.labels)).to(device)
    roll = torch.tensor([(i + 1) % n for i in range(n)], device=device, dtype=torch.long)

    def target(idx: List[int]) -> Tensor:
        return labels[:, idx][roll] if idx else labels.new_zeros(n, 0)

    columns: List[str] = []
    tiles: List[Tensor] = []

    def add(name: str, t: Tensor) -> None:
        columns.append(name)
        tiles.append(t)

    R = model.reconstructor.module
    if model.base.module.kind == "E":
        add("input", x)
        f = model.base.module(x)
        add("reconstruction", R(f))
    else:
        cond = labels[:, model.base.label_index] if model.base.label_index else labels.new_zeros(n, 0)
        assert s.noise is not None
        f = model.base.module(torch.from_numpy(s.noise).to(device), cond)
        add("generated", R(f))
    masks: List[Tensor] = []
    chain = f
    for t in model.transformers:
        c = target(t.label_index)
        out, mask = t.module(f, c)
        add(t.id, R(out))
        masks.append(mask)
        chain = t.module(chain, c)[0]
    if len(model.transformers) > 1:
        add("chain", R(chain))

    def grey(m: Tensor) -> Tensor:
        return (F.interpolate(m, size=(size, size), mode="nearest") * 2 - 1).repeat(1, 3, 1, 1)

    for t, m in zip(model.transformers, masks):
        add(f"mask {t.id}", grey(m))
    means = [(t.id, float(m.float().mean().item())) for t, m in zip(model.transformers, masks)]
    if len(masks) > 1:
        add("mask sum", grey(torch.stack(masks).sum(0) / len(masks)))
    grid = torch.cat([t.float().clamp(-1, 1) for t in tiles], 3)  # n x 3 x H x (W * columns)
    pixels = grid.permute(0, 2, 3, 1).reshape(n * size, -1, 3).cpu().numpy()
    return encode_png(to_bytes(pixels)), columns, means
