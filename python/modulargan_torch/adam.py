"""Adam with the studio's arithmetic and state (core/train/adam.ts, native/src/adam.cc):
every coefficient a float32 scalar, w -= (m1 * lr/c1) / (sqrt(v1 / c2) + eps), moments
keyed by "<part id>/<weight name>", readable and writable as the checkpoint's raw arrays."""

from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor


def _f32(x: float) -> float:
    return float(np.float32(x))


class Adam:
    def __init__(self, params: Sequence[Tuple[str, torch.nn.Parameter]], beta1: float, beta2: float, epsilon: float = 1e-8) -> None:
        self.params: Dict[str, torch.nn.Parameter] = dict(params)
        self.keys: List[str] = [k for k, _ in params]
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.step = 0
        self.m: Dict[str, Tensor] = {k: torch.zeros_like(p, dtype=torch.float32) for k, p in params}
        self.v: Dict[str, Tensor] = {k: torch.zeros_like(p, dtype=torch.float32) for k, p in params}

    def __len__(self) -> int:
        return len(self.params)

    @torch.no_grad()
    def apply(self, lr: float) -> None:
        """One update from each parameter's .grad; one without a gradient is left as it is."""
        self.step += 1
        c1 = 1 - self.beta1**self.step
        c2 = 1 - self.beta2**self.step
        b1, b2 = _f32(self.beta1), _f32(self.beta2)
        omb1, omb2 = _f32(1 - self.beta1), _f32(1 - self.beta2)
        step, c2f, eps = _f32(lr / c1), _f32(c2), _f32(self.epsilon)
        for k, w in self.params.items():
            g = w.grad
            if g is None:
                continue
            m, v = self.m[k], self.v[k]
            m.mul_(b1).add_(g * omb1)
            v.mul_(b2).add_((g * g) * omb2)
            w.sub_((m * step) / ((v / c2f).sqrt_() + eps))

    def get_state(self) -> Tuple[int, Dict[str, np.ndarray], Dict[str, np.ndarray]]:
        from .modules import to_file_layout

        def read(src: Mapping[str, Tensor]) -> Dict[str, np.ndarray]:
            return {k: to_file_layout(src[k].detach().cpu().float().numpy()).reshape(-1).copy() for k in self.keys}

        return self.step, read(self.m), read(self.v)

    def set_state(self, step: int, m: Mapping[str, np.ndarray], v: Mapping[str, np.ndarray], where: str = "optimiser state") -> None:
        for k, w in self.params.items():
            mk: Optional[np.ndarray] = m.get(k)
            vk: Optional[np.ndarray] = v.get(k)
            if mk is None or vk is None:
                raise ValueError(f"{where} has no moments for '{k}'")
            if mk.size != w.numel() or vk.size != w.numel():
                raise ValueError(f"{where} for '{k}' has {mk.size} values, the variable {w.numel()}")
        for k, w in self.params.items():
            self.m[k] = self._as_param_layout(m[k], w)
            self.v[k] = self._as_param_layout(v[k], w)
        self.step = step

    @staticmethod
    def _as_param_layout(flat: np.ndarray, w: Tensor) -> Tensor:
        # State files hold each moment in the studio's (file) layout, like the weights.
        from .modules import to_torch_layout, to_file_layout

        file_shape = to_file_layout(np.zeros(tuple(w.shape), dtype=np.float32)).shape
        return torch.from_numpy(to_torch_layout(np.asarray(flat, dtype=np.float32).reshape(file_shape))).to(w.device)


def learning_rate_at(k: int, base: float, iterations: int, decay_from: Optional[int]) -> float:
    """Constant, then linearly down to 0 from `decay_from` to the end (learningRateAt)."""
    if decay_from is None or k < decay_from or iterations <= decay_from:
        return base
    return base * max(0.0, (iterations - k) / (iterations - decay_from))
