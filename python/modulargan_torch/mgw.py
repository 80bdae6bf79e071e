"""The studio's `.mgw` weights file, read and written natively (core/modules/weights.ts).

Layout, all integers little-endian: the ASCII magic "MGWEIGHT", a uint32 header length H,
H bytes of UTF-8 JSON padded with spaces so the data starts at a multiple of 8, then the
values of each tensor row-major in the studio's (TensorFlow.js) layout: conv filters
[k, k, in, out], transposed conv filters [k, k, out, in]; float32, or float16 where the
header says so. The sha256 covers the values as float32 little-endian. Unknown header
fields are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .files import write_file_atomic

WEIGHTS_FORMAT = "modulargan-weights"
WEIGHTS_VERSION = 2
MAGIC = b"MGWEIGHT"
PREFIX_BYTES = len(MAGIC) + 4
MODULE_KINDS = ("E", "G", "T", "R", "D")


class WeightsFileError(Exception):
    """A weights file that cannot be used; the message names the file and the reason."""


@dataclass
class Weights:
    """One module's weights: what it is (module kind, node kind, params, seed) and its tensors."""

    module: str
    node_kind: str
    params: Dict[str, Any]
    seed: float
    # Tensor name -> float32 array in the studio's layout, in file order.
    tensors: Dict[str, np.ndarray] = field(default_factory=dict)
    meta: Optional[Dict[str, Any]] = None
    # Header fields this version does not know, kept for a re-write.
    extra: Dict[str, Any] = field(default_factory=dict)


def _float32_bytes(values: Sequence[np.ndarray]) -> bytes:
    return b"".join(np.ascontiguousarray(v, dtype="<f4").tobytes() for v in values)


def checksum(tensors: Mapping[str, np.ndarray]) -> str:
    """The sha256 a file of these values carries (over their float32 bytes, in order)."""
    return hashlib.sha256(_float32_bytes(list(tensors.values()))).hexdigest()


def encode(w: Weights, storage: str = "float32") -> bytes:
    if storage not in ("float32", "float16"):
        raise ValueError(f"storage must be float32 or float16, got {storage!r}")
    width = 2 if storage == "float16" else 4
    stored: List[Tuple[str, np.ndarray]] = []
    for name, v in w.tensors.items():
        a = np.asarray(v, dtype=np.float32)
        if storage == "float16":
            a = a.astype("<f2").astype(np.float32)  # round to nearest even, as the studio does
        stored.append((name, a))
    entries = []
    offset = 0
    for name, a in stored:
        entries.append({"name": name, "shape": [int(d) for d in a.shape], "dtype": storage, "offset": offset})
        offset += width * a.size
    exact = _float32_bytes([a for _, a in stored])
    data = exact if storage == "float32" else b"".join(a.astype("<f2").tobytes() for _, a in stored)
    header: Dict[str, Any] = {
        "format": WEIGHTS_FORMAT,
        "version": 2 if storage == "float16" else 1,
        **w.extra,
        "module": w.module,
        "nodeKind": w.node_kind,
        "params": w.params,
        "seed": w.seed,
        "tensors": entries,
        "dataBytes": len(data),
        "sha256": hashlib.sha256(exact).hexdigest(),
    }
    if w.meta is not None:
        header["meta"] = w.meta
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    header_bytes = -(-(PREFIX_BYTES + len(text)) // 8) * 8 - PREFIX_BYTES
    return MAGIC + header_bytes.to_bytes(4, "little") + text.ljust(header_bytes, b" ") + data


def decode(data: bytes, where: str = "weights file") -> Weights:
    def fail(why: str) -> WeightsFileError:
        return WeightsFileError(f"{where}: {why}")

    if len(data) < PREFIX_BYTES or data[: len(MAGIC)] != MAGIC:
        raise fail("not a ModularGAN weights file (it does not start with 'MGWEIGHT')")
    header_bytes = int.from_bytes(data[len(MAGIC) : PREFIX_BYTES], "little")
    if PREFIX_BYTES + header_bytes > len(data):
        raise fail("the file is cut short inside its header")
    try:
        header = json.loads(data[PREFIX_BYTES : PREFIX_BYTES + header_bytes].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise fail(f"the header is not valid JSON ({e})") from e
    if not isinstance(header, dict):
        raise fail("the header is malformed: it is not a JSON object")
    version = header.get("version")
    if isinstance(version, (int, float)) and not isinstance(version, bool) and version > WEIGHTS_VERSION:
        raise fail(f"it was written by a newer ModularGAN Studio (format version {version}; this one reads up to {WEIGHTS_VERSION})")
    problems = []
    if header.get("format") != WEIGHTS_FORMAT:
        problems.append(f"format: expected '{WEIGHTS_FORMAT}'")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append("version: expected a positive whole number")
    if header.get("module") not in MODULE_KINDS:
        problems.append(f"module: expected one of {', '.join(MODULE_KINDS)}")
    for key, kind in (("nodeKind", str), ("params", dict), ("tensors", list), ("sha256", str)):
        if not isinstance(header.get(key), kind):
            problems.append(f"{key}: missing or of the wrong type")
    if not isinstance(header.get("seed"), (int, float)) or isinstance(header.get("seed"), bool):
        problems.append("seed: expected a number")
    if not isinstance(header.get("dataBytes"), int) or header.get("dataBytes", -1) < 0:
        problems.append("dataBytes: expected a whole number")
    if problems:
        raise fail(f"the header is malformed: {'; '.join(problems)}")
    title = f"{header['nodeKind']} weights"
    body = data[PREFIX_BYTES + header_bytes :]
    if len(body) != header["dataBytes"]:
        raise fail(f"{title}: the data is {len(body)} bytes but the header says {header['dataBytes']} — the file is truncated or has trailing bytes")
    tensors: Dict[str, np.ndarray] = {}
    half = False
    for t in header["tensors"]:
        name, shape, dtype, off = t.get("name"), t.get("shape"), t.get("dtype"), t.get("offset")
        if not isinstance(name, str) or not isinstance(shape, list) or dtype not in ("float32", "float16") or not isinstance(off, int):
            raise fail(f"the header is malformed: tensor entry {json.dumps(t)[:80]}")
        count = int(np.prod(shape)) if shape else 1
        width = 2 if dtype == "float16" else 4
        half = half or dtype == "float16"
        if off % width or off + width * count > len(body):
            raise fail(f"{title}: tensor '{name}' ({'x'.join(map(str, shape))} at byte {off}) lies outside the data")
        if name in tensors:
            raise fail(f"{title}: tensor '{name}' is listed twice")
        raw = np.frombuffer(body, dtype="<f2" if dtype == "float16" else "<f4", count=count, offset=off)
        tensors[name] = raw.astype(np.float32).reshape(shape)
    digest = hashlib.sha256(_float32_bytes(list(tensors.values())) if half else body).hexdigest()
    if digest != header["sha256"]:
        raise fail(f"{title}: checksum mismatch, the data is corrupted (sha256 {digest[:12]}…, header says {header['sha256'][:12]}…)")
    known = {"format", "version", "module", "nodeKind", "params", "seed", "tensors", "dataBytes", "sha256", "meta"}
    return Weights(
        module=header["module"],
        node_kind=header["nodeKind"],
        params=header["params"],
        seed=header["seed"],
        tensors=tensors,
        meta=header.get("meta"),
        extra={k: v for k, v in header.items() if k not in known},
    )


def read_weights(path: str) -> Weights:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise WeightsFileError(f"{path}: {e.strerror or e}") from e
    return decode(data, path)


def write_weights(path: str, w: Weights, storage: str = "float32") -> None:
    """Saves atomically (a crash never leaves half a file)."""
    write_file_atomic(path, encode(w, storage))


def exists(path: str) -> bool:
    return os.path.isfile(path)
