"""Weights trained here run in the studio: `modulargan export` takes the PyTorch run's
checkpoint like its own, and `modulargan run` (onnxruntime and the native backend) makes the
images PyTorch makes from the same weights, within 1e-3 before the PNG's rounding to bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import modulargan, node_ready
from modulargan_torch.distributed import DistContext
from modulargan_torch.images import decode_png
from modulargan_torch.mgw import read_weights
from modulargan_torch.modules import module_from_weights
from modulargan_torch.run import RunOptions, run_training

CPU = DistContext(rank=0, world=1, local_rank=0, device=torch.device("cpu"), backend=None)
# A PNG holds round((x + 1) * 127.5): agreeing within 1e-3 allows half a level plus 1e-3 * 127.5.
BYTE_TOLERANCE = 0.5 + 1e-3 * 127.5


@pytest.fixture(scope="module")
def exported(studio: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not node_ready():
        pytest.skip("needs the studio's command line (Node and node_modules)")
    folder = tmp_path_factory.mktemp("studio-run")
    shutil.copytree(studio / "translation" / "faces", folder / "faces")
    shutil.copy(studio / "translation" / "translation.mgproj.json", folder)
    project = folder / "translation.mgproj.json"
    r = run_training(str(project), CPU, RunOptions(progress=False, log=lambda line: None))
    assert r.status == "done"
    out = modulargan("export", str(project), "-o", str(folder / "exported"))
    assert out.returncode == 0, out.stdout + out.stderr
    return folder


def torch_images(folder: Path) -> dict:
    w = {n: module_from_weights(read_weights(str(folder / "exported" / f"{n}.mgw"))) for n in ("E", "T_hair", "T_smile", "R")}
    blond = torch.tensor([[0.0, 1.0, 0.0]])
    smiling = torch.tensor([[1.0]])
    out = {}
    for f in sorted((folder / "faces" / "images").iterdir()):
        x = torch.from_numpy(decode_png(f.read_bytes(), str(f)).astype(np.float64) / 127.5 - 1).float()
        with torch.no_grad():
            feat = w["E"](x.permute(2, 0, 1)[None])
            feat = w["T_hair"](feat, blond)[0]
            feat = w["T_smile"](feat, smiling)[0]
            img = w["R"](feat)[0].permute(1, 2, 0).numpy()
        out[f.name] = img
    return out


@pytest.mark.parametrize("backend", ["onnxruntime", "native"])
def test_modulargan_run_makes_the_images_pytorch_makes(exported: Path, backend: str) -> None:
    out = exported / f"out-{backend}"
    r = modulargan("run", str(exported / "exported" / "translation.mgproj.json"), "-o", str(out), "-i", str(exported / "faces" / "images"), "--backend", backend, "-q")
    if r.returncode != 0 and f"{backend}" in r.stdout + r.stderr and "not available" in r.stdout + r.stderr:
        pytest.skip(f"the {backend} engine does not load here: {r.stdout.strip()}")
    assert r.returncode == 0, r.stdout + r.stderr
    want = torch_images(exported)
    pngs = {p.name: p for p in out.rglob("*.png")}
    assert set(want) <= set(pngs), f"outputs {sorted(pngs)}"
    worst = 0.0
    for name, img in want.items():
        got = decode_png(pngs[name].read_bytes(), str(pngs[name])).astype(np.float64)
        err = np.abs(got - (img.astype(np.float64) + 1) * 127.5).max()
        worst = max(worst, float(err))
        assert err <= BYTE_TOLERANCE, f"{name}: {err:.3f} levels of 255 from PyTorch's image"
    print(f"{backend}: max {worst:.3f} levels of 255 ({worst / 127.5:.2g} in [-1, 1], rounding included)")
