"""One ModularGAN training iteration, as the studio's core/train/trainer.ts runs it: a
discriminator update every iteration and a generator-side update (E or G, every T, R) every
n_critic-th, with WGAN-GP, classification, reconstruction and feature-cycle losses and the
studio's extra terms (chainProbability, lambdaKeep, lambdaChain, lambdaClsFake with
clsFakeOthers and clsFakeBinary, lambdaRoundTrip, lambdaIdentity, lambdaMask,
lambdaUnmasked). Every random draw is a function of (seed, iteration), so optimiser state is
all a resume needs.

Data-parallel: the D side (every trained D) and the G side (E or G, the transformers, R) are
two modules, each wrapped in its own DistributedDataParallel when there are several
processes. Each process holds a share of the global batch; every loss is a mean over
samples, so averaging gradients over processes gives the global batch's gradient, and the
targets (a permutation of the global batch's labels) come from all shares gathered."""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from .adam import Adam, learning_rate_at
from .augment import augment
from .distributed import DistContext
from .losses import bce_with_logits, critic_score, gradient_penalty, l1
from .model import Judge, Part, SharedJudge, TrainModel
from .project import group_length
from .modules import Discriminator, Generator, Reconstructor, Transformer
from .rng import Alea, gaussian, seeded_permutation, shuffle_with

Losses = Dict[str, float]


class NonFiniteLossError(Exception):
    def __init__(self, loss: str, iteration: int, value: float) -> None:
        super().__init__(f"loss '{loss}' is {_js_float(value)} at iteration {iteration}; training stopped before applying that update")
        self.loss = loss
        self.iteration = iteration
        self.value = value


def _js_float(v: float) -> str:
    return "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity") if math.isinf(v) else str(v)


def variable_key(part_id: str, name: str) -> str:
    return f"{part_id}/{name}"


def _trainable(parts: Sequence[Part], frozen: set) -> List[Tuple[str, nn.Parameter]]:
    out: List[Tuple[str, nn.Parameter]] = []
    for p in parts:
        if p.id not in frozen:
            out.extend((variable_key(p.id, n), w) for n, w in p.module.named_weights())
    return out


def _f32(x: float) -> float:
    return float(np.float32(x))


class WeightAverage:
    """shadow <- b * shadow + (1 - b) * weight over the G optimiser's weights, in float32, with
    b = min(decay, (1 + n) / (10 + n)) at the n-th update: the warm-up of core/train/ema.ts."""

    def __init__(self, opt: Adam, decay: float) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"training.ema must be between 0 and 1 (exclusive), got {decay}")
        self.opt = opt
        self.decay = decay
        self.shadow: Dict[str, Tensor] = {k: w.detach().clone() for k, w in opt.params.items()}

    def decay_at(self, n: int) -> float:
        return min(self.decay, (1 + n) / (10 + n))

    @torch.no_grad()
    def update(self, n: int) -> None:
        b = self.decay_at(n)
        d, rest = _f32(b), _f32(1 - b)
        for k, w in self.opt.params.items():
            self.shadow[k] = self.shadow[k] * d + w.detach() * rest

    @torch.no_grad()
    def reset(self) -> None:
        self.shadow = {k: w.detach().clone() for k, w in self.opt.params.items()}

    @contextlib.contextmanager
    def averaged(self) -> Iterator[None]:
        """The averaged values in the weights meanwhile (samples, checkpoints' ema files)."""
        saved = {k: w.detach().clone() for k, w in self.opt.params.items()}
        try:
            with torch.no_grad():
                for k, w in self.opt.params.items():
                    w.copy_(self.shadow[k])
            yield
        finally:
            with torch.no_grad():
                for k, w in self.opt.params.items():
                    w.copy_(saved[k])


class _Inputs:
    """One iteration's tensors for this process: its images, and per D its real and target labels."""

    def __init__(self, x: Tensor, real: List[Tensor], target: List[Tensor], z: Optional[Tensor]) -> None:
        self.x = x
        self.real = real
        self.target = target
        self.z = z


class _Fake(NamedTuple):
    """One D's image to judge, with what made it: T_i's output features and mask, and its input."""

    image: Tensor
    feature: Optional[Tensor]
    mask: Optional[Tensor]
    given: Optional[Tensor]
    unmasked: Optional[Tensor] = None


class _DSide(nn.Module):
    def __init__(self, trainer: "Trainer") -> None:
        super().__init__()
        self.ds = nn.ModuleList(trainer.trained_discriminators())
        self._trainer = [trainer]  # a list, so the trainer is not registered as a submodule

    def forward(self, k: int, inp: _Inputs, fakes: List[Tensor], us: List[Optional[Tensor]]) -> Dict[str, Tensor]:
        t = self._trainer[0]
        return t.d_losses_shared(k, inp, fakes, us) if t.model.shared_d is not None else t.d_losses(k, inp, fakes, us)


class _GSide(nn.Module):
    def __init__(self, trainer: "Trainer", parts: Sequence[Part]) -> None:
        super().__init__()
        self.parts = nn.ModuleList([p.module for p in parts])
        self._trainer = [trainer]

    def forward(self, k: int, inp: _Inputs) -> Dict[str, Tensor]:
        return self._trainer[0].g_losses(k, inp)


class Trainer:
    def __init__(self, model: TrainModel, cfg: Dict[str, Any], ctx: DistContext, amp: bool = False) -> None:
        self.model = model
        self.cfg = cfg
        self.ctx = ctx
        self.device = ctx.device
        # bfloat16 autocast only: float16 would need loss scaling through the gradient penalty's
        # double backward; on GPUs without bfloat16 the run stays in float32.
        self.amp = amp and ctx.device.type == "cuda" and torch.cuda.is_bf16_supported()
        ids = {p.id for p in model.all}
        for f in cfg.get("frozen", []):
            if f not in ids:
                raise ValueError(f"frozen: no module '{f}' in the training model ({', '.join(ids)})")
        frozen = set(cfg.get("frozen", []))
        # A discriminator is frozen with the module it judges: it has nothing new to learn.
        for i, d in enumerate(model.discriminators):
            judged = model.transformers[i].id if i < len(model.transformers) else model.base.id
            if judged in frozen:
                frozen.add(d.id)
        # A shared D is frozen when everything it judges is (or when named itself).
        if model.shared_d is not None and all(d.id in frozen for d in model.discriminators):
            frozen.add(model.shared_d.id)
        self.frozen = frozen
        per_attribute = cfg.get("clsFakeBinary")
        if isinstance(per_attribute, dict):
            binary = [g["name"] for d in model.discriminators for g in d.module.params["attributes"] if g["kind"] == "binary"]
            for name in per_attribute:
                if name not in binary:
                    raise ValueError(f"training.clsFakeBinary: '{name}' is not a binary attribute of any discriminator (binary attributes: {', '.join(dict.fromkeys(binary)) or 'none'})")
        # A shared D learns from every module's images while it is trained at all.
        shared_id = model.shared_d.id if model.shared_d is not None else None
        self.active_d = [i for i, d in enumerate(model.discriminators) if (shared_id or d.id) not in frozen]
        self.augment_kinds: List[str] = list(cfg.get("augment") or [])
        for a in self.augment_kinds:
            if a not in ("color", "translation", "cutout"):
                raise ValueError(f"training.augment: '{a}' is not a DiffAugment policy (color, translation, cutout)")
        for p in model.all:
            p.module.to(self.device)
            for _, w in p.module.named_weights():
                w.requires_grad_(p.id not in frozen)
        g_parts = [model.base, *model.transformers, model.reconstructor]
        d_parts = [model.shared_d] if model.shared_d is not None else [d for d in model.discriminators if isinstance(d, Part)]
        self.d_opt = Adam(_trainable(d_parts, frozen), cfg["beta1"], cfg["beta2"])
        self.g_opt = Adam(_trainable(g_parts, frozen), cfg["beta1"], cfg["beta2"])
        # training.ema: the generator side's average, updated after every G update (core/train/ema.ts).
        self.ema = WeightAverage(self.g_opt, float(cfg["ema"])) if cfg.get("ema") is not None else None
        self.d_side: nn.Module = _DSide(self)
        self.g_side: nn.Module = _GSide(self, [p for p in g_parts if p.id not in frozen])
        if ctx.distributed:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids_arg = [self.device.index] if self.device.type == "cuda" else None
            # Every weight of each side is used in every update (the chain draws change only the order).
            if len(self.d_opt):
                self.d_side = DDP(self.d_side, device_ids=ids_arg)
            if len(self.g_opt):
                self.g_side = DDP(self.g_side, device_ids=ids_arg)

    # --- schedule -------------------------------------------------------------------------
    def updates_g(self, k: int) -> bool:
        return (k + 1) % int(self.cfg["nCritic"]) == 0

    def chain_before(self, k: int, i: int) -> List[int]:
        p = float(self.cfg.get("chainProbability") or 0)
        if p <= 0:
            return []
        rand = Alea(f"{self.cfg['seed']}:chain:{k}:{i}")
        others = [j for j in range(len(self.model.transformers)) if j != i and rand() < p]
        return list(shuffle_with(others, rand))

    def whole_chain(self, k: int) -> List[int]:
        return seeded_permutation(len(self.model.transformers), f"{self.cfg['seed']}:whole-chain:{k}")

    # --- one iteration --------------------------------------------------------------------
    def step(self, k: int, images: np.ndarray, labels: np.ndarray) -> Losses:
        """Iteration k on this process's share (images n x H x W x 3, labels n x L). Raises NonFiniteLossError."""
        lr = learning_rate_at(k, self.cfg["learningRate"], self.cfg["iterations"], self.cfg.get("decayFrom"))
        inp = self.inputs(k, images, labels)
        losses: Losses = {"lr": lr}
        if len(self.d_opt):
            with torch.no_grad(), self._autocast():
                f = self.base_feature(inp)
                made = self.fakes(k, f, inp, self.active_d)
                fakes = [made[i][0].detach() for i in self.active_d]
                # R(f') of each judged transformer with a mask (lambdaUnmasked), at its D's place.
                R = self.model.reconstructor.module
                us = [None if made[i].unmasked is None else R(made[i].unmasked).detach() for i in self.active_d]
            losses.update(self._update(k, self.d_opt, lr, lambda: self.d_side(k, inp, fakes, us)))
        if self.updates_g(k) and len(self.g_opt):
            with self._discriminators_fixed():
                losses.update(self._update(k, self.g_opt, lr, lambda: self.g_side(k, inp)))
            if self.ema is not None:
                # The count of generator updates so far, this one included.
                self.ema.update((k + 1) // int(self.cfg["nCritic"]))
        return losses

    def inputs(self, k: int, images: np.ndarray, labels: np.ndarray) -> _Inputs:
        cfg, model, ctx = self.cfg, self.model, self.ctx
        x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).contiguous().to(self.device)
        local = torch.from_numpy(np.ascontiguousarray(labels)).to(self.device)
        everyone = ctx.all_gather_rows(local)
        n = local.shape[0]
        start = ctx.rank * n
        real: List[Tensor] = []
        target: List[Tensor] = []
        for i, d in enumerate(model.discriminators):
            r = everyone[:, d.label_index]
            # Targets: the labels of other images of the same (global) batch.
            perm = torch.tensor(seeded_permutation(everyone.shape[0], f"{cfg['seed']}:target:{k}:{i}"), device=self.device)
            real.append(r[start : start + n])
            target.append(r[perm][start : start + n])
        z = None
        if model.mode == "generation":
            g = model.base.module
            assert isinstance(g, Generator)
            length = g.int("noiseLength")
            total = everyone.shape[0]
            z = torch.from_numpy(gaussian(f"{cfg['seed']}:z:{k}", total * length).reshape(total, length)[start : start + n]).to(self.device)
        return _Inputs(x, real, target, z)

    def base_feature(self, inp: _Inputs) -> Tensor:
        base = self.model.base
        if base.module.kind == "E":
            out: Tensor = base.module(inp.x)
            return out
        nt = len(self.model.transformers)
        cond = inp.target[nt] if nt < len(inp.target) else inp.x.new_zeros(inp.x.shape[0], 0)
        assert inp.z is not None
        out = base.module(inp.z, cond)
        return out

    def judges_unmasked(self, i: int) -> bool:
        """Whether D_i also judges T_i's f' (lambdaUnmasked): only a transformer with a mask has an f' of its own."""
        ts = self.model.transformers
        return bool(self.cfg.get("lambdaUnmasked")) and i < len(ts) and bool(ts[i].module.use_mask)

    def fakes(self, k: int, f: Tensor, inp: _Inputs, which: Sequence[int]) -> Dict[int, _Fake]:
        """Images each D judges: R(T_i(chain(f), target_i)) with T_i's features, mask and input, and R(f) for the generator's own D."""
        ts = self.model.transformers
        R = self.model.reconstructor.module
        out: Dict[int, _Fake] = {}
        for i in which:
            if i < len(ts):
                g = f
                for j in self.chain_before(k, i):
                    g = ts[j].module(g, inp.target[j])[0]
                ft, mask, unmasked = ts[i].module.parts(g, inp.target[i])
                out[i] = _Fake(R(ft), ft, mask, g, unmasked if self.judges_unmasked(i) else None)
            else:
                out[i] = _Fake(R(f), None, None, None)
        return out

    def _weighted(self, x: Tensor, w: Optional[float]) -> Tensor:
        return x if w is None or w == 1 else x * w

    def trained_discriminators(self) -> List[Discriminator]:
        """The D modules the D step updates: the shared one, or each active D."""
        shared = self.model.shared_d
        if shared is not None:
            assert isinstance(shared.module, Discriminator)
            return [shared.module] if self.active_d else []
        return [d for d in (self.model.discriminators[i].module for i in self.active_d) if isinstance(d, Discriminator)]

    def _fake_cls(self, d: Judge, logits: Tensor) -> Tensor:
        """D's head reading fakes, BCE towards 0 in one-hot slots; in a binary slot what its
        attribute's clsFakeBinary mode says: 0 ('absent'), 0.5 ('neither'), left out ('skip')."""
        setting = self.cfg.get("clsFakeBinary", "absent")
        logits = logits.float()
        row: List[Optional[float]] = []
        for g in d.params["attributes"]:
            mode = None if g["kind"] != "binary" else setting if isinstance(setting, str) else setting.get(g["name"], "absent")
            row += [None if mode == "skip" else 0.5 if mode == "neither" else 0.0] * group_length(g)
        kept = [j for j, t in enumerate(row) if t is not None]
        if not kept:
            return logits.new_zeros(())
        part = logits if len(kept) == len(row) else logits[:, kept]
        want = torch.tensor([row[j] for j in kept], dtype=torch.float32, device=logits.device)
        return bce_with_logits(part, want.expand_as(part))

    def d_losses(self, k: int, inp: _Inputs, fakes: Sequence[Tensor], us: Sequence[Optional[Tensor]]) -> Dict[str, Tensor]:
        cfg, model = self.cfg, self.model
        x = inp.x
        zero = x.new_zeros(())
        adv, gp, cls, cls_fake = zero, zero, zero, zero
        fake_weight = float(cfg.get("lambdaClsFake") or 0)
        unmasked_weight = float(cfg.get("lambdaUnmasked") or 0)
        n = x.shape[0]
        total_n = n * self.ctx.world
        start = self.ctx.rank * n
        for j, i in enumerate(self.active_d):
            d = model.discriminators[i].module
            assert isinstance(d, Discriminator)
            fake = fakes[j]
            u = us[j]
            blocks = [x, fake.to(x.dtype)] + ([] if u is None else [u.to(x.dtype)])
            nb = len(blocks)
            both = torch.cat(blocks, 0)
            # Real share, then fake share (and R(f') share), at their places in the global batch.
            rows = [b * total_n + start + s for b in range(nb) for s in range(n)]
            seen = self._seen_by_d(both, f"d:{k}:{i}", nb * total_n, rows)
            patch, logits = d(seen)
            scores = critic_score(patch).float()
            on_real, on_fake = scores[:n], scores[n : 2 * n]
            adv = adv + (on_fake.mean() - on_real.mean())
            if u is not None:
                adv = adv + (scores[2 * n :].mean() - on_real.mean()) * unmasked_weight
            rand = Alea(f"{cfg['seed']}:gp:{k}:{i}")
            eps_all = np.array([rand() for _ in range(total_n)], dtype=np.float32)
            eps = torch.from_numpy(eps_all[start : start + n]).to(self.device)

            def critic(img: Tensor, d: Discriminator = d) -> Tensor:
                return critic_score(d(img)[0])

            # With augmentation the penalty holds D to 1-Lipschitz between the images it sees.
            real_seen, fake_seen = (seen[:n], seen[n : 2 * n]) if self.augment_kinds else (x, fake)
            if u is not None:
                # Each real image's interpolate is drawn towards its fake or its R(f').
                towards_u = [rand() < 0.5 for _ in range(total_n)][start : start + n]
                u_seen = seen[2 * n :] if self.augment_kinds else u
                pick = torch.tensor(towards_u, dtype=fake_seen.dtype, device=self.device).reshape(n, 1, 1, 1)
                fake_seen = fake_seen * (1 - pick) + u_seen * pick
            gp = gp + gradient_penalty(critic, real_seen, fake_seen, eps)
            if d.condition_length:
                cls = cls + bce_with_logits(logits[:n], inp.real[i])
                if fake_weight:
                    cls_fake = cls_fake + self._fake_cls(d, logits[n : 2 * n])
                    if u is not None:
                        cls_fake = cls_fake + self._fake_cls(d, logits[2 * n :]) * unmasked_weight
        if fake_weight and cfg.get("clsFakeOthers"):
            # Each transformer's D also reads one other transformer's image, drawn per iteration, as
            # a fake (the studio's clsFakeOthers).
            nt = len(model.transformers)
            for i in self.active_d:
                d = model.discriminators[i].module
                assert isinstance(d, Discriminator)
                others = [(o, p) for p, o in enumerate(self.active_d) if o != i and o < nt]
                if i >= nt or not d.condition_length or not others:
                    continue
                o, p = others[int(Alea(f"{cfg['seed']}:cls-fake:{k}:{i}")() * len(others))]
                logits = d(self._seen_by_d(fakes[p].to(x.dtype), f"d:{k}:{i}:of:{o}"))[1]
                cls_fake = cls_fake + self._fake_cls(d, logits)
        return self._d_terms(adv, gp, cls, cls_fake)

    def _d_terms(self, adv: Tensor, gp: Tensor, cls: Tensor, cls_fake: Tensor) -> Dict[str, Tensor]:
        """D's terms by name and their weighted total (the fake-image term only when on)."""
        cfg = self.cfg
        fake_weight = float(cfg.get("lambdaClsFake") or 0)
        total = self._weighted(adv, cfg.get("lambdaAdv")) + gp * cfg["lambdaGp"] + cls * cfg["lambdaCls"]
        if fake_weight:
            total = total + cls_fake * fake_weight
        out = {"d_adv": adv, "d_gp": gp, "d_cls": cls}
        if fake_weight:
            out["d_cls_fake"] = cls_fake
        out["d_total"] = total
        return out

    def d_losses_shared(self, k: int, inp: _Inputs, fakes: Sequence[Tensor], us: Sequence[Optional[Tensor]]) -> Dict[str, Tensor]:
        """D's losses with one D shared by every transformer (the studio's dLossesShared): the real
        batch and every transformer's fakes in one pass, one penalty between each real image and a
        fake drawn for it among them, every module's slots on real images and (lambdaClsFake) on
        every module's fakes."""
        cfg, model = self.cfg, self.model
        assert model.shared_d is not None
        d = model.shared_d.module
        assert isinstance(d, Discriminator)
        x = inp.x
        unmasked = [u for u in us if u is not None]
        unmasked_weight = float(cfg.get("lambdaUnmasked") or 0)
        n, nf, nu = x.shape[0], len(fakes), len(unmasked)
        total_n = n * self.ctx.world
        start = self.ctx.rank * n
        every = torch.cat([x, *[f.to(x.dtype) for f in fakes], *[u.to(x.dtype) for u in unmasked]], 0)
        # Each block (real, then each transformer's fakes, then each R(f')) at its place in the global batch.
        rows = [b * total_n + start + s for b in range(1 + nf + nu) for s in range(n)]
        seen = self._seen_by_d(every, f"d:{k}:shared", (1 + nf + nu) * total_n, rows)
        patch, logits = d(seen)
        scores = critic_score(patch).float()
        end_f = n * (1 + nf)
        adv = scores[n:end_f].mean() - scores[:n].mean()
        if nu:
            adv = adv + (scores[end_f:].mean() - scores[:n].mean()) * unmasked_weight
        rand = Alea(f"{cfg['seed']}:gp:{k}:shared")
        eps_all = np.array([rand() for _ in range(total_n)], dtype=np.float32)
        # Each real image's interpolate goes towards a fake drawn for it (or an R(f'), lambdaUnmasked).
        picks = [int(rand() * (nf + nu)) for _ in range(total_n)]
        eps = torch.from_numpy(eps_all[start : start + n]).to(self.device)
        real_seen, fakes_seen = (seen[:n], seen[n:]) if self.augment_kinds else (x, every[n:])
        fake_seen = fakes_seen[[picks[start + s] * n + s for s in range(n)]]

        def critic(img: Tensor) -> Tensor:
            return critic_score(d(img)[0])

        gp = gradient_penalty(critic, real_seen, fake_seen, eps)
        zero = x.new_zeros((), dtype=torch.float32)
        cls, cls_fake = zero, zero
        fake_weight = float(cfg.get("lambdaClsFake") or 0)
        for i in self.active_d:
            view = model.discriminators[i].module
            assert isinstance(view, SharedJudge)
            if not view.condition_length:
                continue
            cls = cls + bce_with_logits(view.slice(logits[:n]), inp.real[i])
            if fake_weight:
                cls_fake = cls_fake + self._fake_cls(view, view.slice(logits[n:end_f]))
                if nu:
                    cls_fake = cls_fake + self._fake_cls(view, view.slice(logits[end_f:])) * unmasked_weight
        return self._d_terms(adv, gp, cls, cls_fake)

    def _reader(self, image: Tensor, shared_key: str) -> Callable[[int, str], Tuple[Tensor, Tensor]]:
        """How D_j reads `image`: its own pass as augmented by `key` (one D per module), or its
        slots of one pass of the shared D (augmented by `shared_key`), made at the first read."""
        model = self.model
        shared = model.shared_d
        if shared is None:

            def own(j: int, key: str) -> Tuple[Tensor, Tensor]:
                dj = model.discriminators[j].module
                assert isinstance(dj, Discriminator)
                return dj(self._seen_by_d(image, key))

            return own
        d = shared.module
        assert isinstance(d, Discriminator)
        full: List[Tuple[Tensor, Tensor]] = []

        def sliced(j: int, key: str) -> Tuple[Tensor, Tensor]:
            if not full:
                full.append(d(self._seen_by_d(image, shared_key)))
            view = model.discriminators[j].module
            assert isinstance(view, SharedJudge)
            return full[0][0], view.slice(full[0][1])

        return sliced

    def g_losses(self, k: int, inp: _Inputs) -> Dict[str, Tensor]:
        cfg, model = self.cfg, self.model
        x = inp.x
        f = self.base_feature(inp)
        every = list(range(len(model.discriminators)))
        fakes = self.fakes(k, f, inp, every)
        nt = len(model.transformers)
        base_d = model.discriminators[nt].module if nt < len(model.discriminators) else None
        keep_weight = float(cfg.get("lambdaKeep") or 0) if model.mode == "generation" and base_d is not None and base_d.condition_length else 0.0
        # Translation: every other D reads its attribute in T_i's image as it should be there (the
        # input's value, or the target of a transformer chained before T_i). One T has no others.
        keep_others = float(cfg.get("lambdaKeep") or 0) if model.mode == "translation" and nt > 1 else 0.0
        zero = x.new_zeros((), dtype=torch.float32)
        adv, cls, cyc, rec, keep = zero, zero, zero, zero, zero
        encoder = model.base.module if model.base.module.kind == "E" else None
        round_trip_weight = float(cfg.get("lambdaRoundTrip") or 0) if encoder is not None else 0.0
        mask_weight = float(cfg.get("lambdaMask") or 0)
        identity_weight = float(cfg.get("lambdaIdentity") or 0) if encoder is not None else 0.0
        unmasked_weight = float(cfg.get("lambdaUnmasked") or 0)
        round_trip, mask_mean, identity, unmasked_term = zero, zero, zero, zero
        for i in every:
            image, feature, mask, given, unmasked = fakes[i]
            if mask_weight and mask is not None:
                mask_mean = mask_mean + mask.float().mean()
            d = model.discriminators[i].module
            # A shared D reads T_i's image once; every D_j's reading of it is its slots of that pass.
            read = self._reader(image, f"g:{k}:{i}")
            patch, logits = read(i, f"g:{k}:{i}")
            adv = adv - critic_score(patch).float().mean()
            if d.condition_length:
                cls = cls + bce_with_logits(logits, inp.target[i])
            if keep_weight and i < nt:
                keep = keep + bce_with_logits(read(nt, f"keep:{k}:{i}")[1], inp.target[nt])
            if keep_others and i < nt:
                before = self.chain_before(k, i)
                for j in range(nt):
                    if j == i or not model.discriminators[j].module.condition_length:
                        continue
                    label = inp.target[j] if j in before else inp.real[j]
                    keep = keep + bce_with_logits(read(j, f"keep:{k}:{i}:{j}")[1], label)
            # Feature cycle: the translated features should survive a trip through R and E.
            if feature is not None and encoder is not None:
                again = encoder(image)
                cyc = cyc + l1(feature, again)
                # T_i's image, encoded again and asked for the value T_i's input had, gives that input back.
                if round_trip_weight and given is not None:
                    round_trip = round_trip + l1(model.transformers[i].module(again, inp.real[i])[0], given)
            # f' judged as T_i's image is: realism and the asked attribute, not what the mask keeps.
            if unmasked is not None:
                u_patch, u_logits = self._reader(model.reconstructor.module(unmasked), f"unmasked:{k}:{i}")(i, f"unmasked:{k}:{i}")
                unmasked_term = unmasked_term + self._weighted(-critic_score(u_patch).float().mean(), cfg.get("lambdaAdv"))
                if d.condition_length:
                    unmasked_term = unmasked_term + bce_with_logits(u_logits, inp.target[i]) * cfg["lambdaCls"]
            # Each transformer asked for the value the input has gives the input image back.
            if identity_weight and i < nt:
                identity = identity + l1(model.reconstructor.module(model.transformers[i].module(f, inp.real[i])[0]), x)
        if encoder is not None:
            rec = l1(model.reconstructor.module(f), x)
        total = self._weighted(adv, cfg.get("lambdaAdv")) + cls * cfg["lambdaCls"] + rec * cfg["lambdaRec"] + cyc * cfg["lambdaCyc"]
        if keep_weight or keep_others:
            total = total + keep * (keep_weight or keep_others)
        if round_trip_weight:
            total = total + round_trip * round_trip_weight
        if mask_weight:
            total = total + mask_mean * mask_weight
        if identity_weight:
            total = total + identity * identity_weight
        if unmasked_weight:
            total = total + unmasked_term * unmasked_weight
        chain: Optional[Tensor] = None
        chain_weight = float(cfg.get("lambdaChain") or 0)
        # With one transformer the whole chain is that transformer's own term: not counted twice.
        if chain_weight and nt > 1:
            g = f
            for j in self.whole_chain(k):
                g = model.transformers[j].module(g, inp.target[j])[0]
            image = model.reconstructor.module(g)
            chain = zero
            read = self._reader(image, f"chain:{k}")
            for i in range(nt):
                patch, logits = read(i, f"chain:{k}:{i}")
                # One critic judges the composed image once when it is shared.
                if i == 0 or model.shared_d is None:
                    chain = chain + self._weighted(-critic_score(patch).float().mean(), cfg.get("lambdaAdv"))
                if model.discriminators[i].module.condition_length:
                    chain = chain + bce_with_logits(logits, inp.target[i]) * cfg["lambdaCls"]
            if keep_weight:
                chain = chain + bce_with_logits(read(nt, f"chain-keep:{k}")[1], inp.target[nt]) * keep_weight
            total = total + chain * chain_weight
        out = {"g_adv": adv, "g_cls": cls, "g_rec": rec, "g_cyc": cyc}
        if keep_weight or keep_others:
            out["g_keep"] = keep
        if chain is not None:
            out["g_chain"] = chain
        if round_trip_weight:
            out["g_round_trip"] = round_trip
        if mask_weight:
            out["g_mask"] = mask_mean
        if identity_weight:
            out["g_identity"] = identity
        if unmasked_weight:
            out["g_unmasked"] = unmasked_term
        out["g_total"] = total
        return out

    def _seen_by_d(self, images: Tensor, key: str, total: Optional[int] = None, rows: Optional[List[int]] = None) -> Tensor:
        """What a D is shown: the images, or their augmentation (training.augment) drawn from `key`."""
        if not self.augment_kinds:
            return images
        n = images.shape[0]
        if total is None or rows is None:
            total = n * self.ctx.world
            rows = list(range(self.ctx.rank * n, self.ctx.rank * n + n))
        return augment(images, self.augment_kinds, f"{self.cfg['seed']}:augment:{key}", total, rows)

    # --- updates --------------------------------------------------------------------------
    def _autocast(self) -> Any:
        if self.amp:
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _discriminators_fixed(self) -> Iterator[None]:
        """D's weights take no gradient in the G step (and so fire no D-side DDP hooks)."""
        ws = [w for d in self.trained_discriminators() for _, w in d.named_weights()]
        for w in ws:
            w.requires_grad_(False)
        try:
            yield
        finally:
            for w in ws:
                w.requires_grad_(True)

    def _update(self, k: int, opt: Adam, lr: float, f: Any) -> Losses:
        for w in opt.params.values():
            w.grad = None
        with self._autocast():
            terms: Dict[str, Tensor] = f()
        total = next(t for name, t in terms.items() if name.endswith("_total"))
        total.backward()
        values = self.ctx.mean(torch.stack([t.detach().float().reshape(()) for t in terms.values()]))
        losses = {name: float(v) for name, v in zip(terms.keys(), values.cpu().tolist())}
        for name, v in losses.items():
            if not math.isfinite(v):
                raise NonFiniteLossError(name, k, v)
        opt.apply(lr)
        return losses
