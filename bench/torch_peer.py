"""The PyTorch 2.x peer of `npm run bench -- training` (bench/peer-section.ts): the studio's
training iteration written the way a PyTorch user writes it, on the studio's own modules
(python/modulargan_torch: the same weights, names and initialisation), so the two engines do
the same arithmetic and only the engine differs.

One iteration is what core/train/trainer.ts runs with n_critic 1 (--iteration trainer): a D
update (WGAN loss on real and fake in one batch, gradient penalty, BCE on the real images'
attribute logits) and a G update (adversarial, BCE on the targets, L1 reconstruction, feature
cycle through R and E), Adam on both; or bench/train-step.ts's harness of the same kernel mix
(--iteration harness: the penalty on D's summed patch map, mean BCE, the cycle back through T).
The ops are PyTorch's own (F.conv2d, F.instance_norm, F.leaky_relu, torch.optim.Adam), not
the engine's bit-compatibility forms, so the peer is PyTorch at its ordinary best.

    python bench/torch_peer.py train --size 64 --base 32 --res-blocks 3 --d-depth 5 --batch 16 [--iteration harness]
    python bench/torch_peer.py infer --size 128 --base 64 --res-blocks 6 --batch 8

Prints one JSON object: images/s (median of the timed runs after one warm-up), the times,
and the process's peak resident memory."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from modulargan_torch.modules import DISCRIMINATOR_SLOPE, NORM_EPSILON, Discriminator, Encoder, GanModule, Reconstructor, Transformer

GROUPS = [
    {"name": "hair", "kind": "onehot", "values": ["black", "blond", "brown"]},
    {"name": "age", "kind": "onehot", "values": ["young", "adult", "old"]},
    {"name": "light", "kind": "onehot", "values": ["left", "front", "right"]},
]
LAMBDA_GP, LAMBDA_CLS, LAMBDA_REC, LAMBDA_CYC = 10.0, 1.0, 10.0, 10.0


def norm_relu(m: GanModule, x: Tensor, norm: str, relu: bool) -> Tensor:
    y = F.instance_norm(x, weight=m.w(f"{norm}.gamma"), bias=m.w(f"{norm}.beta"), eps=NORM_EPSILON)
    return F.relu(y) if relu else y


def conv_norm_relu(m: GanModule, x: Tensor, conv: str, norm: str, stride: int, pad: int) -> Tensor:
    return norm_relu(m, F.conv2d(x, m.w(f"{conv}.weight"), stride=stride, padding=pad), norm, True)


def res_block(m: GanModule, x: Tensor, name: str) -> Tensor:
    y = conv_norm_relu(m, x, f"{name}.conv0", f"{name}.norm0", 1, 1)
    return x + norm_relu(m, F.conv2d(y, m.w(f"{name}.conv1.weight"), padding=1), f"{name}.norm1", False)


def encode(e: Encoder, image: Tensor) -> Tensor:
    x = conv_norm_relu(e, image, "E.conv0", "E.norm0", 1, 3)
    x = conv_norm_relu(e, x, "E.conv1", "E.norm1", 2, 1)
    x = conv_norm_relu(e, x, "E.conv2", "E.norm2", 2, 1)
    for i in range(e.int("resBlocks")):
        x = res_block(e, x, f"E.res{i}")
    return x


def transform(t: Transformer, f: Tensor, condition: Tensor) -> Tensor:
    n, _, h, w = f.shape
    tiled = condition.reshape(n, -1, 1, 1).expand(n, condition.shape[1], h, w)
    x = conv_norm_relu(t, torch.cat([f, tiled], 1), "T.conv0", "T.norm0", 1, 1)
    for i in range(t.int("resBlocks")):
        x = res_block(t, x, f"T.res{i}")
    mask = (1 + torch.tanh(F.conv2d(x, t.w("T.mask.weight"), padding=3))) / 2
    return f + mask * (x - f)


def reconstruct(r: Reconstructor, f: Tensor) -> Tensor:
    x = f
    for i in (0, 1):
        x = norm_relu(r, F.conv_transpose2d(x, r.w(f"R.up{i}.weight"), stride=2, padding=1), f"R.norm{i}", True)
    return torch.tanh(F.conv2d(x, r.w("R.conv2.weight"), padding=3))


def discriminate(d: Discriminator, image: Tensor) -> Tuple[Tensor, Tensor]:
    x = image
    for i in range(d.int("depth")):
        x = F.leaky_relu(F.conv2d(x, d.w(f"D.conv{i}.weight"), stride=2, padding=1), DISCRIMINATOR_SLOPE)
    patch = F.conv2d(x, d.w("D.src.weight"), padding=1)
    logits = F.conv2d(x, d.w("D.cls.weight")).reshape(x.shape[0], -1)
    return patch, logits


def critic(patch: Tensor) -> Tensor:
    return patch.mean(dim=(1, 2, 3))


def bce(logits: Tensor, targets: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, targets, reduction="sum") / logits.shape[0]


class Iteration:
    def __init__(self, size: int, base: int, res_blocks: int, d_depth: int) -> None:
        self.E = Encoder({"imageSize": size, "baseChannels": base}, 1)
        self.T = [Transformer({"baseChannels": base, "resBlocks": res_blocks, "attributes": [g]}, 2 + i) for i, g in enumerate(GROUPS)]
        self.R = Reconstructor({"imageSize": size, "baseChannels": base}, 5)
        self.D = [Discriminator({"imageSize": size, "baseChannels": base, "depth": d_depth, "attributes": [g]}, 6 + i) for i, g in enumerate(GROUPS)]
        self.g_params = [p for m in [self.E, *self.T, self.R] for p in m.parameters()]
        self.d_params = [p for m in self.D for p in m.parameters()]
        self.g_opt = torch.optim.Adam(self.g_params, lr=1e-4, betas=(0.5, 0.999))
        self.d_opt = torch.optim.Adam(self.d_params, lr=1e-4, betas=(0.5, 0.999))

    def fakes(self, x: Tensor, targets: Sequence[Tensor]) -> List[Tuple[Tensor, Tensor]]:
        f = encode(self.E, x)
        out = []
        for t, c in zip(self.T, targets):
            ft = transform(t, f, c)
            out.append((reconstruct(self.R, ft), ft))
        return out

    def step(self, x: Tensor, real: Sequence[Tensor], target: Sequence[Tensor], eps: Tensor) -> Dict[str, float]:
        n = x.shape[0]
        with torch.no_grad():
            fakes = [img for img, _ in self.fakes(x, target)]
        d_loss = x.new_zeros(())
        for d, fake, r in zip(self.D, fakes, real):
            patch, logits = discriminate(d, torch.cat([x, fake], 0))
            scores = critic(patch)
            mixed = (eps * x + (1 - eps) * fake).requires_grad_(True)
            (g,) = torch.autograd.grad(critic(discriminate(d, mixed)[0]).sum(), mixed, create_graph=True)
            gp = ((g.pow(2).sum(dim=(1, 2, 3)) + 1e-12).sqrt() - 1).pow(2).mean()
            d_loss = d_loss + scores[n:].mean() - scores[:n].mean() + LAMBDA_GP * gp + LAMBDA_CLS * bce(logits[:n], r)
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        for p in self.d_params:
            p.requires_grad_(False)
        f = encode(self.E, x)
        g_loss = LAMBDA_REC * (reconstruct(self.R, f) - x).abs().mean()
        for d, t, c in zip(self.D, self.T, target):
            ft = transform(t, f, c)
            img = reconstruct(self.R, ft)
            patch, logits = discriminate(d, img)
            g_loss = g_loss - critic(patch).mean() + LAMBDA_CLS * bce(logits, c) + LAMBDA_CYC * (ft - encode(self.E, img)).abs().mean()
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        for p in self.d_params:
            p.requires_grad_(True)
        return {"d": d_loss.item(), "g": g_loss.item()}

    def step_harness(self, x: Tensor, real: Sequence[Tensor], target: Sequence[Tensor], eps: Tensor) -> Dict[str, float]:
        """bench/train-step.ts's StandardIteration.step."""
        n = x.shape[0]
        with torch.no_grad():
            fakes = [img for img, _ in self.fakes(x, target)]
        d_loss = x.new_zeros(())
        for d, fake, r in zip(self.D, fakes, real):
            patch, logits = discriminate(d, torch.cat([x, fake], 0))
            wgan = patch[n:].mean() - patch[:n].mean()
            x_hat = (fake + eps * (x - fake)).requires_grad_(True)
            (g,) = torch.autograd.grad(discriminate(d, x_hat)[0].sum(), x_hat, create_graph=True)
            gp = ((g.pow(2).sum(dim=(1, 2, 3)) + 1e-12).sqrt() - 1).pow(2).mean()
            d_loss = d_loss + wgan + LAMBDA_GP * gp + F.binary_cross_entropy_with_logits(logits[:n], r)
        self.d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_opt.step()
        for p in self.d_params:
            p.requires_grad_(False)
        f = encode(self.E, x)
        g_loss = LAMBDA_REC * (reconstruct(self.R, f) - x).abs().mean()
        for d, t, c, r in zip(self.D, self.T, target, real):
            fi = transform(t, f, c)
            patch, logits = discriminate(d, reconstruct(self.R, fi))
            g_loss = g_loss - patch.mean() + F.binary_cross_entropy_with_logits(logits, c) + LAMBDA_CYC * (transform(t, fi, r) - f).abs().mean()
        self.g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        self.g_opt.step()
        for p in self.d_params:
            p.requires_grad_(True)
        return {"d": d_loss.item(), "g": g_loss.item()}


def labels(n: int, shift: int) -> Tensor:
    v = np.zeros((n, 3), dtype=np.float32)
    for i in range(n):
        v[i, (i + shift) % 3] = 1
    return torch.from_numpy(v)


def images(n: int, size: int) -> Tensor:
    rng = np.random.default_rng(0)
    return torch.from_numpy(np.tanh(rng.standard_normal((n, 3, size, size))).astype(np.float32))


def peak_rss_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def train(a: argparse.Namespace) -> Dict[str, Any]:
    it = Iteration(a.size, a.base, a.res_blocks, a.d_depth)
    x = images(a.batch, a.size)
    times: List[float] = []
    for k in range(a.iterations + 1):
        real = [labels(a.batch, k + i) for i in range(3)]
        target = [labels(a.batch, k + i + 1) for i in range(3)]
        eps = torch.from_numpy(((np.arange(a.batch) * 37 + k * 11) % 100 / 100).astype(np.float32)).reshape(-1, 1, 1, 1)
        t0 = time.perf_counter()
        (it.step_harness if a.iteration == "harness" else it.step)(x, real, target, eps)
        if k > 0:
            times.append(time.perf_counter() - t0)
    median = sorted(times)[len(times) // 2]
    return {"iteration": a.iteration, "imagesPerSecond": round(a.batch / median, 3), "secondsPerIteration": [round(t, 3) for t in times]}


def infer(a: argparse.Namespace) -> Dict[str, Any]:
    e = Encoder({"imageSize": a.size, "baseChannels": a.base}, 1)
    ts = [Transformer({"baseChannels": a.base, "resBlocks": a.res_blocks, "attributes": [g]}, 2 + i) for i, g in enumerate(GROUPS)]
    r = Reconstructor({"imageSize": a.size, "baseChannels": a.base}, 5)
    x = images(a.batch, a.size)
    conds = [labels(a.batch, i) for i in range(3)]
    times: List[float] = []
    with torch.inference_mode():
        for k in range(a.iterations + 1):
            t0 = time.perf_counter()
            f = encode(e, x)
            for t, c in zip(ts, conds):
                f = transform(t, f, c)
            reconstruct(r, f)
            if k > 0:
                times.append(time.perf_counter() - t0)
    median = sorted(times)[len(times) // 2]
    return {"msPerImage": round(median * 1000 / a.batch, 2), "bestMsPerImage": round(min(times) * 1000 / a.batch, 2), "runs": len(times)}


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python bench/torch_peer.py")
    p.add_argument("mode", choices=["train", "infer"])
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--base", type=int, default=32)
    p.add_argument("--res-blocks", type=int, default=3)
    p.add_argument("--d-depth", type=int, default=5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--iteration", choices=["trainer", "harness"], default="trainer")
    a = p.parse_args(argv)
    if int(torch.__version__.split(".")[0]) < 2:
        print(json.dumps({"skipped": f"PyTorch {torch.__version__} is not 2.x"}))
        return 0
    out = train(a) if a.mode == "train" else infer(a)
    print(json.dumps({"engine": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(), **out, "peakRssMiB": peak_rss_mib()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
