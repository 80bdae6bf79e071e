"""The run folder, laid out as the studio's (core/train/run.ts, checkpoint.ts, run-lock.ts):

  <project>.train/log.jsonl                 one JSON line per iteration: {"iteration", "lr", losses}
  <project>.train/samples/iter-000500.png   sample grids
  <project>.train/checkpoints/iter-001000/  one .mgw per module, optimizer-{d,g}.{json,bin}, manifest.json
  <project>.train/checkpoints/index.json    the checkpoints kept and the best
  <project>.train/run.lock                  the one writer (pid, host, command), as the studio takes it

Checkpoints are written into a hidden temporary folder (files flushed, manifest last),
renamed into place, and only then listed in index.json (itself written atomically)."""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shutil
import socket
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .files import sync_dir, write_file_atomic
from .mgw import read_weights, write_weights
from .rng import js_number

CHECKPOINT_FORMAT = "modulargan-checkpoint"
LOCK_FILE = "run.lock"
Losses = Dict[str, float]


def default_run_dir(project_file: str) -> str:
    base = os.path.basename(project_file)
    for suffix in (".mgproj.json", ".json"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return os.path.join(os.path.dirname(os.path.abspath(project_file)), f"{base}.train")


def checkpoint_name(iteration: int) -> str:
    return f"iter-{iteration:06d}"


def file_safe(part_id: str) -> str:
    import re

    return re.sub(r"[^\w.-]+", "_", part_id, flags=re.ASCII)


def now_iso() -> str:
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def json_line(value: Dict[str, Any]) -> str:
    """JSON.stringify(value): compact, numbers in JavaScript's form (1e-7, not 1e-07)."""
    parts = []
    for k, v in value.items():
        parts.append(f"{json.dumps(k)}:{_js_value(v)}")
    return "{" + ",".join(parts) + "}"


def _js_value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, float)):
        f = float(v)
        if f != f or f in (float("inf"), float("-inf")):
            return "null"  # JSON.stringify's answer to NaN and infinities
        return js_number(f)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        return json_line(v)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_js_value(x) for x in v) + "]"
    return json.dumps(v)


def pretty_json(value: Any, indent: int = 2, level: int = 0) -> str:
    """JSON.stringify(value, null, 2)."""
    pad = " " * (indent * (level + 1))
    end = " " * (indent * level)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {pretty_json(v, indent, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{end}}}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{pad}{pretty_json(v, indent, level + 1)}" for v in value) + f"\n{end}]"
    return _js_value(value)


def best_score(mode: str, window: Sequence[Losses]) -> Optional[float]:
    rows = [l for l in window if "g_total" in l]
    if not rows:
        return None
    total = 0.0
    for l in rows:
        total += (l["g_rec"] + l["g_cyc"]) if mode == "translation" else l["g_cls"]
    return total / len(rows)


def mean_losses(window: Sequence[Losses]) -> Losses:
    sums: Dict[str, List[float]] = {}
    for l in window:
        for k, v in l.items():
            acc = sums.setdefault(k, [0.0, 0])
            acc[0] += v
            acc[1] += 1
    return {k: s / n for k, (s, n) in sums.items()}


def write_adam(folder: str, name: str, step: int, keys: Sequence[str], m: Dict[str, np.ndarray], v: Dict[str, np.ndarray]) -> None:
    data = np.concatenate([np.asarray(src[k], dtype="<f4").reshape(-1) for src in (m, v) for k in keys]) if keys else np.zeros(0, dtype="<f4")
    write_file_atomic(os.path.join(folder, f"{name}.bin"), data.astype("<f4").tobytes())
    header = {"step": step, "tensors": [{"key": k, "length": int(m[k].size)} for k in keys]}
    write_file_atomic(os.path.join(folder, f"{name}.json"), json_line(header))


def read_adam(folder: str, name: str) -> Tuple[int, Dict[str, np.ndarray], Dict[str, np.ndarray]]:
    file = os.path.join(folder, f"{name}.json")
    with open(file, encoding="utf-8") as f:
        header = json.load(f)
    data = np.fromfile(os.path.join(folder, f"{name}.bin"), dtype="<f4")
    total = sum(int(t["length"]) for t in header["tensors"])
    if data.size != 2 * total:
        raise ValueError(f"{file}: the state data holds {data.size} values, the header lists {2 * total}")
    m: Dict[str, np.ndarray] = {}
    v: Dict[str, np.ndarray] = {}
    at = 0
    for target in (m, v):
        for t in header["tensors"]:
            target[t["key"]] = data[at : at + int(t["length"])].astype(np.float32)
            at += int(t["length"])
    return int(header["step"]), m, v


def read_index(root: str) -> Dict[str, Any]:
    file = os.path.join(root, "index.json")
    try:
        with open(file, encoding="utf-8") as f:
            index: Dict[str, Any] = json.load(f)
            return index
    except FileNotFoundError:
        return {"checkpoints": [], "best": None}
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{file}: {e}") from e


def _pick_best(entries: Sequence[Dict[str, Any]]) -> Optional[str]:
    scored = [c for c in entries if c.get("score") is not None]
    if not scored:
        return None
    best = scored[0]
    for c in scored[1:]:
        if c["score"] < best["score"]:
            best = c
    return str(best["path"])


def average_name(part_id: str) -> str:
    return f"ema-{file_safe(part_id)}.mgw"


@dataclass
class CheckpointContent:
    modules: List[Tuple[str, Any]]  # (part id, Weights)
    optimizers: Dict[str, Tuple[int, List[str], Dict[str, np.ndarray], Dict[str, np.ndarray]]]
    # training.ema: the generator side's averaged weights, (part id, Weights), and the decay.
    averaged: Optional[List[Tuple[str, Any]]] = None
    decay: Optional[float] = None


def save_checkpoint(root: str, iteration: int, seed: int, mode: str, window: Sequence[Losses], content: CheckpointContent, keep: int = 3, meta: Optional[Dict[str, Any]] = None) -> str:
    os.makedirs(root, exist_ok=True)
    name = checkpoint_name(iteration)
    tmp = os.path.join(root, f".{name}.{secrets.token_hex(4)}.tmp")
    os.mkdir(tmp)
    try:
        modules: Dict[str, str] = {}
        for part_id, w in content.modules:
            modules[part_id] = f"{file_safe(part_id)}.mgw"
            w.meta = {**(meta or {}), "iteration": iteration, "node": part_id}
            write_weights(os.path.join(tmp, modules[part_id]), w)
        ema: Dict[str, str] = {}
        for part_id, w in content.averaged or []:
            ema[part_id] = average_name(part_id)
            w.meta = {**(meta or {}), "iteration": iteration, "node": part_id, "ema": content.decay}
            write_weights(os.path.join(tmp, ema[part_id]), w)
        for opt_name, (step, keys, m, v) in content.optimizers.items():
            write_adam(tmp, opt_name, step, keys, m, v)
        manifest = {
            "format": CHECKPOINT_FORMAT,
            "version": 1,
            "iteration": iteration,
            "createdAt": now_iso(),
            "rng": {"kind": "counter", "seed": seed, "next": iteration},
            "modules": modules,
            **({"ema": ema} if content.averaged is not None else {}),
            "optimizers": {"d": "optimizer-d", "g": "optimizer-g"},
            "losses": mean_losses(window),
            "window": list(window),
            "score": best_score(mode, window),
        }
        write_file_atomic(os.path.join(tmp, "manifest.json"), pretty_json(manifest))
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        os.rename(tmp, os.path.join(root, name))
        sync_dir(root)
        index = read_index(root)
        entries = [c for c in index.get("checkpoints", []) if c.get("iteration") != iteration]
        entries.append({"iteration": iteration, "path": name, "createdAt": manifest["createdAt"], "score": manifest["score"]})
        entries.sort(key=lambda c: c["iteration"])
        best = _pick_best(entries)
        kept = {c["path"] for c in entries[-keep:]} if keep > 0 else set()
        if best:
            kept.add(best)
        dropped = [c for c in entries if c["path"] not in kept]
        index = {"checkpoints": [c for c in entries if c["path"] in kept], "best": best}
        write_file_atomic(os.path.join(root, "index.json"), pretty_json(index))
        for c in dropped:
            shutil.rmtree(os.path.join(root, c["path"]), ignore_errors=True)
        return os.path.join(root, name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def drop_checkpoints_after(root: str, iteration: int) -> None:
    index = read_index(root)
    later = [c for c in index["checkpoints"] if c["iteration"] > iteration]
    if not later:
        return
    index["checkpoints"] = [c for c in index["checkpoints"] if c["iteration"] <= iteration]
    if index.get("best") and any(c["path"] == index["best"] for c in later):
        index["best"] = _pick_best(index["checkpoints"])
    write_file_atomic(os.path.join(root, "index.json"), pretty_json(index))
    for c in later:
        shutil.rmtree(os.path.join(root, c["path"]), ignore_errors=True)


def _is_complete(folder: str) -> bool:
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
            return bool(json.load(f).get("format") == CHECKPOINT_FORMAT)
    except (OSError, ValueError):
        return False


def latest_checkpoint(root: str) -> Optional[str]:
    index = read_index(root)
    if index["checkpoints"]:
        names = [c["path"] for c in index["checkpoints"]]
    else:
        try:
            names = sorted(n for n in os.listdir(root) if n.startswith("iter-") and n[5:].isdigit())
        except OSError:
            names = []
    for n in reversed(names):
        if _is_complete(os.path.join(root, n)):
            return os.path.join(root, n)
    return None


def read_manifest(folder: str) -> Dict[str, Any]:
    file = os.path.join(folder, "manifest.json")
    try:
        with open(file, encoding="utf-8") as f:
            manifest: Dict[str, Any] = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{file}: {e}") from e
    if manifest.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{file}: not a ModularGAN checkpoint")
    return manifest


def load_checkpoint_files(folder: str, part_ids: Sequence[str]) -> Tuple[Dict[str, Any], Dict[str, Any], Dict[str, Tuple[int, Dict[str, np.ndarray], Dict[str, np.ndarray]]]]:
    manifest = read_manifest(folder)
    file = os.path.join(folder, "manifest.json")
    weights = {}
    for pid in part_ids:
        f = manifest["modules"].get(pid)
        if not f:
            raise ValueError(f"{file}: the checkpoint has no weights for module '{pid}'")
        weights[pid] = read_weights(os.path.join(folder, f))
    opts = {which: read_adam(folder, manifest["optimizers"][which]) for which in ("d", "g")}
    for pid, f in (manifest.get("ema") or {}).items():
        weights[f"ema:{pid}"] = read_weights(os.path.join(folder, f))
    return manifest, weights, opts


def truncate_log(file: str, start: int) -> None:
    """Keeps the lines of iterations before `start` (a resumed run rewrites what follows)."""
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = ""

    def iteration_of(line: str) -> float:
        try:
            return float(json.loads(line)["iteration"])
        except (ValueError, KeyError, TypeError):
            return float("inf")

    kept = [l for l in text.split("\n") if l.strip() and iteration_of(l) < start]
    write_file_atomic(file, "".join(f"{l}\n" for l in kept))


def append_log(file: str, line: str) -> None:
    with open(file, "a", encoding="utf-8") as f:
        f.write(line + "\n")


# --- run.lock, the same protocol as core/train/run-lock.ts --------------------------------


class RunFolderBusyError(Exception):
    """Another process writes the run folder (or its lock cannot be read)."""


def _read_stat(pid: int) -> Optional[List[str]]:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split(" ")


def _process_start(pid: int) -> Optional[str]:
    st = _read_stat(pid)
    return st[19] if st and len(st) > 19 else None


def _alive(h: Dict[str, Any]) -> bool:
    try:
        os.kill(int(h["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    except OSError:
        return False
    st = _read_stat(int(h["pid"]))
    if st and st[0] == "Z":
        return False
    if h.get("processStart") and st and len(st) > 19 and st[19] != h["processStart"]:
        return False
    return True


def _describe(h: Dict[str, Any]) -> str:
    return f"pid {h['pid']} ({h.get('command', '?')}, started {h.get('startedAt', '?')}) on host {h['host']}"


def _read_holder(file: str) -> Any:
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"
    try:
        h = json.loads(text)
    except ValueError:
        return "unreadable"
    ok = isinstance(h, dict) and isinstance(h.get("pid"), int) and isinstance(h.get("host"), str) and isinstance(h.get("token"), str)
    return h if ok else "unreadable"


def _draft(folder: str, holder: Dict[str, Any]) -> str:
    tmp = os.path.join(folder, f".{LOCK_FILE}.{os.getpid()}.{secrets.token_hex(6)}.new")
    with open(tmp, "x", encoding="utf-8") as f:
        f.write(json_line(holder) + "\n")
    return tmp


def _take(folder: str, file: str, holder: Dict[str, Any], what: str, depth: int) -> None:
    import re

    attempt = 0
    while True:
        attempt += 1
        tmp = _draft(folder, holder)
        try:
            try:
                os.link(tmp, file)
                return
            except FileExistsError:
                pass
            current = _read_holder(file)
            if current is None:
                continue
            if current == "unreadable":
                raise RunFolderBusyError(f"{what} is locked by {file}, which cannot be read; if no training writes {folder}, delete that file")
            if current["host"] != holder["host"]:
                raise RunFolderBusyError(f"{what} is being written by {_describe(current)}; if nothing runs there any more, delete {file}")
            if _alive(current):
                raise RunFolderBusyError(f"{what} is being written by {_describe(current)}")
            if depth >= 3:
                raise RunFolderBusyError(f"{what}: its stale lock {file} is being taken over by another process; try again")
            guard = f"{file}.{re.sub(r'[^A-Za-z0-9_-]', '', current['token'])}.takeover"
            try:
                _take(folder, guard, holder, what, depth + 1)
            except RunFolderBusyError:
                if attempt > 100:
                    raise
                time.sleep(0.02)
                continue
            try:
                again = _read_holder(file)
                if isinstance(again, dict) and again.get("token") == current["token"]:
                    os.replace(tmp, file)
                    return
            finally:
                try:
                    os.unlink(guard)
                except OSError:
                    pass
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass


class RunLock:
    def __init__(self, file: str, holder: Dict[str, Any]) -> None:
        self.file = file
        self.holder = holder
        self.released = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        current = _read_holder(self.file)
        if isinstance(current, dict) and current.get("token") == self.holder["token"]:
            try:
                os.unlink(self.file)
            except OSError:
                pass


def lock_run_folder(folder: str, command: str) -> RunLock:
    """Makes this process the one writer of `folder`, or raises RunFolderBusyError naming the holder."""
    import atexit

    start = _process_start(os.getpid())
    holder: Dict[str, Any] = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "startedAt": now_iso(),
        "command": command,
        "token": f"{os.getpid()}-{int(time.time() * 1000)}-{secrets.token_hex(8)}",
    }
    if start:
        holder["processStart"] = start
    file = os.path.join(folder, LOCK_FILE)
    _take(folder, file, holder, f"run folder {folder}", 0)
    lock = RunLock(file, holder)
    atexit.register(lock.release)
    return lock
