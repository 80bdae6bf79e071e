"""The five ModularGAN modules in PyTorch, weight for weight the studio's (core/modules/*).

Tensors here are NCHW (PyTorch's layout); the studio's are NHWC. Weights keep the studio's
names ("T.res0.conv1.weight") and declaration order, are initialised from the same seeded
draws, and convert to and from the `.mgw` layout ([k, k, in, out] conv filters, [k, k, out,
in] transposed ones) in `to_torch_layout` / `to_file_layout`. Convolutions have no bias;
instance norm uses eps 1e-5 and the biased variance; padding is symmetric zeros.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .mgw import Weights
from .project import (
    MODULE_KIND_OF,
    MODULE_PARAMS,
    MODULE_TITLES,
    AttributeGroup,
    describe_groups,
    groups_length,
    resolve_module_params,
)
from .rng import hash_seed, normal_values

NORM_EPSILON = 1e-5
DISCRIMINATOR_SLOPE = 0.01


@dataclass(frozen=True)
class VariableSpec:
    name: str
    # The studio's layout: [k, k, in, out] for convs, [k, k, out, in] for transposed convs.
    shape: Tuple[int, ...]
    init: str  # 'normal' (He: N(0, 2 / fan_in)), 'ones' or 'zeros'
    fan_in: int = 1


def conv_spec(name: str, k: int, cin: int, cout: int) -> VariableSpec:
    return VariableSpec(f"{name}.weight", (k, k, cin, cout), "normal", k * k * cin)


def conv_transpose_spec(name: str, k: int, cin: int, cout: int) -> VariableSpec:
    return VariableSpec(f"{name}.weight", (k, k, cout, cin), "normal", k * k * cin)


def norm_specs(name: str, c: int) -> List[VariableSpec]:
    return [VariableSpec(f"{name}.gamma", (c,), "ones"), VariableSpec(f"{name}.beta", (c,), "zeros")]


def res_block_specs(name: str, c: int) -> List[VariableSpec]:
    return [conv_spec(f"{name}.conv0", 3, c, c), *norm_specs(f"{name}.norm0", c), conv_spec(f"{name}.conv1", 3, c, c), *norm_specs(f"{name}.norm1", c)]


def res_block_stack_specs(prefix: str, n: int, c: int) -> List[VariableSpec]:
    """The weights of n residual blocks named prefix0, prefix1, ... (E, T and R stack them alike)."""
    return [spec for i in range(n) for spec in res_block_specs(f"{prefix}{i}", c)]


def initial_value(spec: VariableSpec, seed: float) -> np.ndarray:
    """The studio's initial value of one weight: a function of (seed, name) only."""
    size = int(np.prod(spec.shape))
    if spec.init == "ones":
        return np.ones(spec.shape, dtype=np.float32)
    if spec.init == "zeros":
        return np.zeros(spec.shape, dtype=np.float32)
    return normal_values(hash_seed(seed, spec.name), size, math.sqrt(2 / spec.fan_in)).reshape(spec.shape)


def to_torch_layout(values: np.ndarray) -> np.ndarray:
    """[k, k, a, b] (file) to [b, a, k, k] (torch conv and conv-transpose weights alike)."""
    return np.ascontiguousarray(values.transpose(3, 2, 0, 1)) if values.ndim == 4 else values


def to_file_layout(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values.transpose(2, 3, 1, 0)) if values.ndim == 4 else values


def instance_norm(x: Tensor, gamma: Tensor, beta: Tensor, relu: bool) -> Tensor:
    y = F.instance_norm(x, weight=gamma.to(x.dtype), bias=beta.to(x.dtype), eps=NORM_EPSILON)
    return F.relu(y) if relu else y


def _param_text(v: Any) -> str:
    if isinstance(v, list):
        return describe_groups(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        from .rng import js_number

        return js_number(float(v))
    if isinstance(v, (dict,)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


class GanModule(nn.Module):
    """What every module shares: resolved params, named weights in the studio's order, seeded init."""

    node_kind: str = ""

    def __init__(self, params: Mapping[str, Any], seed: float = 0) -> None:
        super().__init__()
        self.params: Dict[str, Any] = resolve_module_params(self.node_kind, params)
        self.seed = seed
        self.kind = MODULE_KIND_OF[self.node_kind]
        self.title = MODULE_TITLES[self.node_kind]
        self.specs: List[VariableSpec] = self.make_specs(self.params)
        self._names: Dict[str, str] = {}
        for s in self.specs:
            attr = s.name.replace(".", "_")
            self._names[s.name] = attr
            self.register_parameter(attr, nn.Parameter(torch.from_numpy(to_torch_layout(initial_value(s, seed)))))

    def make_specs(self, p: Mapping[str, Any]) -> List[VariableSpec]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def w(self, name: str) -> Tensor:
        p: Tensor = getattr(self, self._names[name])
        return p

    def named_weights(self) -> List[Tuple[str, nn.Parameter]]:
        """(studio name, parameter) in declaration order: the order of files and optimiser state."""
        return [(s.name, getattr(self, self._names[s.name])) for s in self.specs]

    def int(self, key: str) -> int:
        return int(self.params[key])

    # --- .mgw ---------------------------------------------------------------------------
    def to_weights(self, meta: Optional[Dict[str, Any]] = None) -> Weights:
        # A copy: .numpy() of a CPU tensor shares its memory, and the weights change on.
        tensors = {name: to_file_layout(p.detach().float().cpu().numpy().copy()) for name, p in self.named_weights()}
        return Weights(module=self.kind, node_kind=self.node_kind, params=dict(self.params), seed=self.seed, tensors=tensors, meta=meta)

    def _param_differences(self, file_params: Mapping[str, Any]) -> Tuple[List[str], Optional[str]]:
        specs = MODULE_PARAMS[self.node_kind]
        file = dict(file_params)
        for k, s in specs.items():
            if file.get(k) is None:
                file[k] = s["default"]
        notes: List[str] = []
        refusal: Optional[str] = None
        for k, s in specs.items():
            a, b = _param_text(file[k]), _param_text(self.params[k])
            if a == b:
                continue
            if s["type"] == "float" and s.get("mustMatchWeights") and refusal is None:
                refusal = f"the file was trained with {s['title'].lower()} {a}, but this {self.title.lower()}'s is {b}: set its {s['title']} to {a}"
            notes.append(f"{s['title'].lower()} {a} in the file, {b} here")
        return notes, refusal

    def load_weights(self, w: Weights, where: str = "") -> List[str]:
        """Copies a file's weights in after checking all of them (a failed load changes nothing)."""
        title = f"{where + ': ' if where else ''}{self.title} weights"
        me = f"this {self.title.lower()} ({self.describe()})"
        if w.module != self.kind or w.node_kind != self.node_kind:
            raise ValueError(f"{title}: the file holds {w.node_kind} weights (module {w.module}), not {self.title.lower()} weights")
        notes, refusal = self._param_differences(w.params)
        because = f" ({'; '.join(notes)})" if notes else ""
        if refusal:
            raise ValueError(f"{title}: {refusal}")
        mine = dict(self.named_weights())
        for name, p in mine.items():
            t = w.tensors.get(name)
            if t is None:
                raise ValueError(f"{title}: tensor '{name}' is missing from the file, but {me} needs it{because}")
            want = to_file_layout(np.zeros(tuple(p.shape), dtype=np.float32)).shape
            if tuple(t.shape) != tuple(want):
                raise ValueError(f"{title}: tensor '{name}' has shape {'x'.join(map(str, t.shape))} but {me} needs {'x'.join(map(str, want))}")
        for name in w.tensors:
            if name not in mine:
                raise ValueError(f"{title}: the file has tensor '{name}', which {me} does not have{because}")
        with torch.no_grad():
            for name, p in mine.items():
                p.copy_(torch.from_numpy(to_torch_layout(w.tensors[name])).to(p.device, p.dtype))
        return notes


def _conv_norm_relu(m: GanModule, x: Tensor, conv: str, norm: str, stride: int, pad: int) -> Tensor:
    y = F.conv2d(x, m.w(f"{conv}.weight"), stride=stride, padding=pad)
    return instance_norm(y, m.w(f"{norm}.gamma"), m.w(f"{norm}.beta"), True)


def _res_block(m: GanModule, x: Tensor, name: str) -> Tensor:
    y = _conv_norm_relu(m, x, f"{name}.conv0", f"{name}.norm0", 1, 1)
    z = F.conv2d(y, m.w(f"{name}.conv1.weight"), stride=1, padding=1)
    return x + instance_norm(z, m.w(f"{name}.norm1.gamma"), m.w(f"{name}.norm1.beta"), False)


def _res_block_stack(m: GanModule, x: Tensor, prefix: str) -> Tensor:
    """The module's resBlocks residual blocks in a row, named prefix0, prefix1, ..."""
    for i in range(m.int("resBlocks")):
        x = _res_block(m, x, f"{prefix}{i}")
    return x


def _upsample2x(m: GanModule, x: Tensor, name: str) -> Tensor:
    return F.conv_transpose2d(x, m.w(f"{name}.weight"), stride=2, padding=1)


class Encoder(GanModule):
    """E: conv7 s1, two conv4 s2, optional residual blocks: 3xHxW -> 4b x H/4 x W/4."""

    node_kind = "encoder"

    def make_specs(self, p: Mapping[str, Any]) -> List[VariableSpec]:
        b = int(p["baseChannels"])
        specs = [conv_spec("E.conv0", 7, 3, b), *norm_specs("E.norm0", b), conv_spec("E.conv1", 4, b, 2 * b), *norm_specs("E.norm1", 2 * b)]
        specs += [conv_spec("E.conv2", 4, 2 * b, 4 * b), *norm_specs("E.norm2", 4 * b)]
        specs += res_block_stack_specs("E.res", int(p["resBlocks"]), 4 * b)
        return specs

    def describe(self) -> str:
        return f"base channels {self.int('baseChannels')}, {self.int('resBlocks')} residual blocks, image size {self.int('imageSize') or 'any'}"

    def forward(self, image: Tensor) -> Tensor:
        size = self.int("imageSize")
        n, c, h, w = image.shape
        if c != 3 or (size and (h != size or w != size)):
            raise ValueError(f"Encoder: input 'image' has shape {n}x{c}x{h}x{w} (NCHW) but needs 3 channels{f' at {size} px' if size else ''}")
        if h % 4 or w % 4:
            raise ValueError(f"Encoder: image size {h}x{w} must be divisible by 4 (two stride-2 layers)")
        x = _conv_norm_relu(self, image, "E.conv0", "E.norm0", 1, 3)
        x = _conv_norm_relu(self, x, "E.conv1", "E.norm1", 2, 1)
        x = _conv_norm_relu(self, x, "E.conv2", "E.norm2", 2, 1)
        x = _res_block_stack(self, x, "E.res")
        return x


def _generator_doublings(image_size: int) -> int:
    return math.floor(math.log2(image_size / 16) + 0.5)


def _generator_channels(b: int, n: int, i: int) -> int:
    return 4 * b * 2 ** min(n - i, 2)


class Generator(GanModule):
    """G(z, a0): [z, a0] as a 1x1 map, k4 s1 to 4x4, then k4 s2 doublings to a quarter of the image."""

    node_kind = "generator"

    def make_specs(self, p: Mapping[str, Any]) -> List[VariableSpec]:
        b = int(p["baseChannels"])
        n = _generator_doublings(int(p["imageSize"]))
        length = int(p["noiseLength"]) + groups_length(p["attributes"])
        specs: List[VariableSpec] = []
        for i in range(n + 1):
            cin = length if i == 0 else _generator_channels(b, n, i - 1)
            specs += [conv_transpose_spec(f"G.up{i}", 4, cin, _generator_channels(b, n, i)), *norm_specs(f"G.norm{i}", _generator_channels(b, n, i))]
        return specs

    @property
    def condition_length(self) -> int:
        return groups_length(self.params["attributes"])

    def describe(self) -> str:
        return f"base channels {self.int('baseChannels')}, image size {self.int('imageSize')}, noise length {self.int('noiseLength')}, condition length {self.condition_length}"

    def forward(self, noise: Tensor, condition: Tensor) -> Tensor:
        if noise.dim() != 2 or noise.shape[1] != self.int("noiseLength"):
            raise ValueError(f"Generator: input 'noise' has shape {'x'.join(map(str, noise.shape))} but needs Nx{self.int('noiseLength')} (its noise length)")
        if condition.shape != (noise.shape[0], self.condition_length):
            raise ValueError(f"Generator: input 'condition' has shape {'x'.join(map(str, condition.shape))} but needs {noise.shape[0]}x{self.condition_length}")
        n = _generator_doublings(self.int("imageSize"))
        zc = torch.cat([noise, condition], 1) if self.condition_length else noise
        x = zc.reshape(zc.shape[0], zc.shape[1], 1, 1)
        for i in range(n + 1):
            weight = self.w(f"G.up{i}.weight")
            x = F.conv_transpose2d(x, weight, stride=1, padding=0) if i == 0 else F.conv_transpose2d(x, weight, stride=2, padding=1)
            x = instance_norm(x, self.w(f"G.norm{i}.gamma"), self.w(f"G.norm{i}.beta"), True)
        return x


class Transformer(GanModule):
    """T_i: tiled condition concatenated, conv3, residual blocks, and a conv7 tanh mask blend."""

    node_kind = "transformer"

    def make_specs(self, p: Mapping[str, Any]) -> List[VariableSpec]:
        c = 4 * int(p["baseChannels"])
        specs = [conv_spec("T.conv0", 3, c + groups_length(p["attributes"]), c), *norm_specs("T.norm0", c)]
        specs += res_block_stack_specs("T.res", int(p["resBlocks"]), c)
        if p["useMask"]:
            specs.append(conv_spec("T.mask", 7, c, 1))
        return specs

    @property
    def condition_length(self) -> int:
        return groups_length(self.params["attributes"])

    @property
    def use_mask(self) -> bool:
        return bool(self.params["useMask"])

    def describe(self) -> str:
        return (
            f"base channels {self.int('baseChannels')}, {self.int('resBlocks')} residual blocks, "
            f"condition length {self.condition_length}, {'with' if self.use_mask else 'without'} mask"
        )

    def forward(self, feature: Tensor, condition: Tensor) -> Tuple[Tensor, Tensor]:
        blended, mask, _ = self.parts(feature, condition)
        return blended, mask

    def parts(self, feature: Tensor, condition: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """forward's outputs and f', what the mask blends with the input (training.lambdaUnmasked judges it too)."""
        c = 4 * self.int("baseChannels")
        n, fc, h, w = feature.shape
        if fc != c:
            raise ValueError(f"Transformer: input 'feature' has {fc} channels but needs {c} (4 × its base channels {self.int('baseChannels')})")
        length = self.condition_length
        if tuple(condition.shape) != (n, length):
            raise ValueError(f"Transformer: input 'condition' has shape {'x'.join(map(str, condition.shape))} but needs {n}x{length}")
        tiled = condition.reshape(n, length, 1, 1).expand(n, length, h, w)
        weight = self.w("T.conv0.weight")
        if length and feature.dtype == torch.float32 and feature.device.type == "cpu":
            # The tiled condition is constant over the map, so instance norm cancels the
            # centre taps of its filter: their true gradient is 0. Summed in float32 it comes
            # out as rounding noise near 1e-8, which Adam's first step (g / (|g| + 1e-8))
            # turns into a step of up to the learning rate in a random direction. The
            # condition's part, and the norm after it, in double keep that gradient near 0,
            # so a run follows the studio's instead of adding its own noise to the studio's.
            y = F.conv2d(feature, weight[:, :c], padding=1).double() + F.conv2d(tiled.double(), weight[:, c:].double(), padding=1)
            x = instance_norm(y, self.w("T.norm0.gamma"), self.w("T.norm0.beta"), True).float()
        else:
            x = torch.cat([feature, tiled], 1) if length else feature
            x = instance_norm(F.conv2d(x, weight, padding=1), self.w("T.norm0.gamma"), self.w("T.norm0.beta"), True)
        x = _res_block_stack(self, x, "T.res")
        if not self.use_mask:
            return x, torch.ones(n, 1, h, w, dtype=x.dtype, device=x.device), x
        logits = F.conv2d(x, self.w("T.mask.weight"), stride=1, padding=3)
        gain = float(self.params["maskGain"])
        mask = (1 + torch.tanh(logits if gain == 1 else logits * gain)) / 2
        return feature + mask * (x - feature), mask, x


class Reconstructor(GanModule):
    """R: optional residual blocks, two k4 s2 transposed convs (IN + ReLU), conv7 to RGB, tanh."""

    node_kind = "reconstructor"

    def make_specs(self, p: Mapping[str, Any]) -> List[VariableSpec]:
        b = int(p["baseChannels"])
        return [
            *res_block_stack_specs("R.res", int(p["resBlocks"]), 4 * b),
            conv_transpose_spec("R.up0", 4, 4 * b, 2 * b),
            *norm_specs("R.norm0", 2 * b),
            conv_transpose_spec("R.up1", 4, 2 * b, b),
            *norm_specs("R.norm1", b),
            conv_spec("R.conv2", 7, b, 3),
        ]

    def describe(self) -> str:
        return f"base channels {self.int('baseChannels')}, {self.int('resBlocks')} residual blocks, image size {self.int('imageSize') or 'any'}"

    def forward(self, feature: Tensor) -> Tensor:
        b = self.int("baseChannels")
        if feature.shape[1] != 4 * b:
            raise ValueError(f"Reconstructor: input 'feature' has {feature.shape[1]} channels but needs {4 * b} (4 × its base channels {b})")
        x = feature
        x = _res_block_stack(self, x, "R.res")
        for i in (0, 1):
            x = _upsample2x(self, x, f"R.up{i}")
            x = instance_norm(x, self.w(f"R.norm{i}.gamma"), self.w(f"R.norm{i}.beta"), True)
        return torch.tanh(F.conv2d(x, self.w("R.conv2.weight"), stride=1, padding=3))


class Discriminator(GanModule):
    """D_i: `depth` conv4 s2 + leaky ReLU 0.01, then a conv3 patch critic and a whole-map attribute conv."""

    node_kind = "discriminator"

    def make_specs(self, p: Mapping[str, Any]) -> List[VariableSpec]:
        b, depth = int(p["baseChannels"]), int(p["depth"])
        specs = [conv_spec(f"D.conv{i}", 4, b * 2 ** (i - 1) if i else 3, b * 2**i) for i in range(depth)]
        top = b * 2 ** (depth - 1)
        specs.append(conv_spec("D.src", 3, top, 1))
        length = groups_length(p["attributes"])
        if length:
            specs.append(conv_spec("D.cls", int(p["imageSize"]) // 2**depth, top, length))
        return specs

    @property
    def condition_length(self) -> int:
        return groups_length(self.params["attributes"])

    def describe(self) -> str:
        return f"base channels {self.int('baseChannels')}, image size {self.int('imageSize')}, depth {self.int('depth')}, condition length {self.condition_length}"

    def forward(self, image: Tensor) -> Tuple[Tensor, Tensor]:
        s = self.int("imageSize")
        if image.dim() != 4 or tuple(image.shape[1:]) != (3, s, s):
            raise ValueError(f"Discriminator: input 'image' has shape {'x'.join(map(str, image.shape))} (NCHW) but needs Nx3x{s}x{s}")
        x = image
        for i in range(self.int("depth")):
            y = F.conv2d(x, self.w(f"D.conv{i}.weight"), stride=2, padding=1)
            # relu(y) - a*relu(-y), as the studio writes it: its slope at exactly 0 is 0, where
            # F.leaky_relu's is a, and zeros are common (cutout and translation fill with 0).
            x = F.relu(y) - DISCRIMINATOR_SLOPE * F.relu(-y)
        n = x.shape[0]
        patch = F.conv2d(x, self.w("D.src.weight"), stride=1, padding=1)
        if self.condition_length:
            logits = F.conv2d(x, self.w("D.cls.weight"), stride=1, padding=0).reshape(n, self.condition_length)
        else:
            logits = x.new_zeros(n, 0)
        return patch, logits


MODULE_CLASSES = {"encoder": Encoder, "generator": Generator, "transformer": Transformer, "reconstructor": Reconstructor, "discriminator": Discriminator}


def create_module(node_kind: str, params: Mapping[str, Any], seed: float = 0) -> GanModule:
    cls = MODULE_CLASSES.get(node_kind)
    if cls is None:
        raise ValueError(f"'{node_kind}' is not a module node kind ({', '.join(MODULE_CLASSES)})")
    return cls(params, seed)


def module_from_weights(w: Weights) -> GanModule:
    m = create_module(w.node_kind, w.params, w.seed)
    m.load_weights(w)
    return m
