"""DiffAugment as the studio applies it (core/train/augment.ts): colour (brightness,
saturation, contrast), translation with zeros coming in, cutout; drawn per image from a key
(seed, iteration, D), in the studio's order, so both engines augment alike. Images NCHW.

With several processes a draw covers the whole global batch and each process takes its rows
(`rows`: the global positions of its images), so augmentation does not depend on how the
batch is split."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np
import torch
from torch import Tensor

from .rng import Alea

KINDS = ("color", "translation", "cutout")
SHIFT_RATIO = 1 / 8
CUTOUT_RATIO = 1 / 2


def _js_round(x: float) -> int:
    return math.floor(x + 0.5)


@dataclass
class AugmentDraw:
    kinds: Sequence[str]
    size: int
    brightness: np.ndarray
    saturation: np.ndarray
    contrast: np.ndarray
    shift_y: np.ndarray
    shift_x: np.ndarray
    cut_y: np.ndarray
    cut_x: np.ndarray


def draw_augment(kinds: Sequence[str], n: int, size: int, key: str) -> AugmentDraw:
    rand = Alea(key)

    def floats(f: "object") -> np.ndarray:
        return np.array([f() for _ in range(n)], dtype=np.float32)  # type: ignore[operator]

    def ints(lo: int, hi: int) -> np.ndarray:
        return np.array([lo + math.floor(rand() * (hi - lo + 1)) for _ in range(n)], dtype=np.int64)

    shift = math.floor(size * SHIFT_RATIO)
    cut = _js_round(size * CUTOUT_RATIO)
    # Drawn whether used or not, in the studio's fixed order.
    brightness = floats(lambda: rand() - 0.5)
    saturation = floats(lambda: rand() * 2)
    contrast = floats(lambda: rand() + 0.5)
    shift_y = ints(-shift, shift)
    shift_x = ints(-shift, shift)
    cut_y = ints(0, size - 1) - cut // 2
    cut_x = ints(0, size - 1) - cut // 2
    return AugmentDraw(kinds, size, brightness, saturation, contrast, shift_y, shift_x, cut_y, cut_x)


def _shift(x: Tensor, shifts: np.ndarray, dim: int) -> Tensor:
    """Moves image i by shifts[i] along `dim` (2 rows, 3 columns), zeros coming in."""
    size = x.shape[dim]
    out = []
    for i, s in enumerate(shifts.tolist()):
        img = x[i]
        d = dim - 1
        if s == 0:
            out.append(img)
        elif abs(s) >= size:
            out.append(torch.zeros_like(img))
        elif s > 0:
            pad = torch.zeros_like(img.narrow(d, 0, s))
            out.append(torch.cat([pad, img.narrow(d, 0, size - s)], d))
        else:
            pad = torch.zeros_like(img.narrow(d, 0, -s))
            out.append(torch.cat([img.narrow(d, -s, size + s), pad], d))
    return torch.stack(out)


def apply_augment(x: Tensor, d: AugmentDraw, rows: Sequence[int]) -> Tensor:
    idx = np.asarray(rows, dtype=np.int64)
    n = x.shape[0]
    y = x
    if "color" in d.kinds:
        def per(v: np.ndarray) -> Tensor:
            return torch.from_numpy(v[idx]).to(x.device, x.dtype).reshape(n, 1, 1, 1)

        y = y + per(d.brightness)
        grey = y.mean(dim=1, keepdim=True)
        y = (y - grey) * per(d.saturation) + grey
        mean = y.mean(dim=(1, 2, 3), keepdim=True)
        y = (y - mean) * per(d.contrast) + mean
    if "translation" in d.kinds:
        y = _shift(y, d.shift_y[idx], 2)
        y = _shift(y, d.shift_x[idx], 3)
    if "cutout" in d.kinds:
        side = _js_round(d.size * CUTOUT_RATIO)
        h, w = y.shape[2], y.shape[3]
        mask = np.ones((n, 1, h, w), dtype=np.float32)
        for j, i in enumerate(idx.tolist()):
            r0, q0 = int(d.cut_y[i]), int(d.cut_x[i])
            mask[j, :, max(0, r0) : min(h, r0 + side), max(0, q0) : min(w, q0 + side)] = 0
        y = y * torch.from_numpy(mask).to(x.device, x.dtype)
    return y


def augment(x: Tensor, kinds: Sequence[str], key: str, total: int, rows: List[int]) -> Tensor:
    """x's rows are images `rows` of a batch of `total`, augmented as the studio's augment() would the whole batch."""
    if not kinds:
        return x
    return apply_augment(x, draw_augment(kinds, total, x.shape[2], key), rows)
