"""Every module's forward pass matches the studio's within 1e-4, from the same .mgw weights
and the same inputs (the studio's outputs made by test/helpers/torch-parity-fixtures.ts)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import read_f32
from modulargan_torch.mgw import read_weights
from modulargan_torch.modules import module_from_weights

TOLERANCE = 1e-4


def cases(studio: Path) -> list:
    return json.loads((studio / "modules" / "index.json").read_text())["cases"]


def test_every_module_matches_the_studio(studio: Path) -> None:
    folder = studio / "modules"
    worst = {}
    for case in cases(studio):
        m = module_from_weights(read_weights(str(folder / case["weights"])))
        ins = {}
        for port, entry in case["inputs"].items():
            v = torch.from_numpy(read_f32(folder, entry))
            ins[port] = v.permute(0, 3, 1, 2).contiguous() if v.dim() == 4 else v
        with torch.no_grad():
            if m.node_kind in ("encoder", "discriminator"):
                got = m(ins["image"])
            elif m.node_kind == "generator":
                got = m(ins["noise"], ins["condition"])
            elif m.node_kind == "transformer":
                got = m(ins["feature"], ins["condition"])
            else:
                got = m(ins["feature"])
        outs = got if isinstance(got, tuple) else (got,)
        for port, t in zip(case["outputs"], outs):
            want = read_f32(folder, case["outputs"][port])
            mine = t.permute(0, 2, 3, 1).numpy() if t.dim() == 4 else t.numpy()
            assert mine.shape == want.shape, f"{case['name']}.{port}: shape {mine.shape} vs the studio's {want.shape}"
            err = float(np.abs(mine - want).max()) if want.size else 0.0
            worst[f"{case['name']}.{port}"] = err
            assert err <= TOLERANCE, f"{case['name']}.{port}: max |PyTorch - studio| = {err:.3g} > {TOLERANCE}"
    print("max errors:", json.dumps({k: float(f"{v:.3g}") for k, v in worst.items()}))


def test_a_file_with_another_mask_gain_is_refused(studio: Path) -> None:
    from modulargan_torch.modules import Transformer

    w = read_weights(str(studio / "modules" / "transformer-mask-gain.mgw"))
    t = Transformer({**w.params, "maskGain": 1})
    with pytest.raises(ValueError, match="mask gain 0.37"):
        t.load_weights(w)
