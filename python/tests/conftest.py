"""Shared fixtures: the studio's results to compare against, made once per session by
test/helpers/torch-parity-fixtures.ts (the studio's own modules and trainer), and helpers
to run the studio's command line. Set MODULARGAN_PARITY_FIXTURES to reuse a folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
sys.path.insert(0, str(PYTHON_DIR))


def node_ready() -> bool:
    return shutil.which("node") is not None and (REPO / "node_modules" / "tsx").is_dir()


@pytest.fixture(scope="session")
def studio() -> Path:
    """The folder of the studio's results (modules/, translation/, generation/)."""
    given = os.environ.get("MODULARGAN_PARITY_FIXTURES")
    if given and (Path(given) / "backend.txt").exists():
        return Path(given)
    if not node_ready():
        pytest.skip("the studio's side needs Node and the repository's node_modules (npm ci)")
    out = Path(given) if given else Path(os.environ.get("PYTEST_TMPDIR", "/tmp")) / f"mg-parity-{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    tsx = REPO / "node_modules" / "tsx" / "dist" / "cli.mjs"
    r = subprocess.run(["node", str(tsx), "test/helpers/torch-parity-fixtures.ts", str(out)], cwd=REPO, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"the studio's fixture script failed:\n{r.stdout}\n{r.stderr}")
    return out


def read_f32(folder: Path, entry: Dict[str, Any]) -> np.ndarray:
    return np.fromfile(folder / entry["file"], dtype="<f4").reshape(entry["shape"])


def read_log(file: Path) -> List[Dict[str, float]]:
    return [json.loads(l) for l in file.read_text().splitlines() if l.strip()]


def modulargan(*args: str, timeout: int = 300, env_python: str = "") -> subprocess.CompletedProcess:
    """The studio's command line (`modulargan ...`), from this checkout; `env_python` is the
    Python it starts for --engine torch (this one, so the engine under test is the one run)."""
    env = {**os.environ, "ONNXRUNTIME_NODE_INSTALL": "skip", "OMP_NUM_THREADS": "1", **({"MODULARGAN_PYTHON": env_python} if env_python else {})}
    return subprocess.run(["node", str(REPO / "bin" / "modulargan.mjs"), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, env=env)
