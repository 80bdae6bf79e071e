"""ModularGAN's loss terms (core/train/losses.ts), on NCHW tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from typing import Callable


def critic_score(patch: Tensor) -> Tensor:
    """Mean of the critic's patch map per sample: one WGAN score per image."""
    return patch.mean(dim=(1, 2, 3))


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, epsilon: Tensor) -> Tensor:
    """WGAN-GP: mean over samples of (||dD(x^)/dx^||_2 - 1)^2 at x^ = e*x + (1 - e)*x~, e per sample."""
    e = epsilon.reshape(-1, 1, 1, 1)
    mixed = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    scores = critic(mixed)
    (g,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    # The studio's tiny floor keeps sqrt's derivative finite where a gradient vanishes exactly.
    norms = torch.sqrt(g.float().pow(2).sum(dim=(1, 2, 3)) + 1e-12)
    return (norms - 1).pow(2).mean()


def bce_with_logits(logits: Tensor, targets: Tensor) -> Tensor:
    """BCE with logits summed over attribute slots, averaged over the batch (StarGAN's scaling)."""
    x = logits.float()
    per_slot = F.relu(x) - x * targets + torch.log1p(torch.exp(-x.abs()))
    return per_slot.sum() / logits.shape[0]


def l1(a: Tensor, b: Tensor) -> Tensor:
    return (a.float() - b.float()).abs().mean()
