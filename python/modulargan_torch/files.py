"""Writes that never leave a torn file (core/files/atomic.ts): a hidden temporary file
beside the target, flushed, renamed over it, and the folder flushed; what a killed writer
left behind is a hidden `*.tmp` that the next run removes."""

from __future__ import annotations

import os
import secrets
import shutil
from typing import Union


def sync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # not supported on this platform; the rename is still atomic
    finally:
        os.close(fd)


def temporary_name(path: str) -> str:
    d, base = os.path.split(os.path.abspath(path))
    return os.path.join(d, f".{base}.{os.getpid()}.{secrets.token_hex(6)}.tmp")


def write_file_atomic(path: str, data: Union[bytes, str]) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = temporary_name(path)
    try:
        with open(tmp, "xb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    sync_dir(os.path.dirname(os.path.abspath(path)))


def remove_stale_temporaries(folder: str) -> None:
    """Removes hidden `*.tmp` files and folders a killed writer left (only where one process writes)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for n in names:
        if n.startswith(".") and (n.endswith(".tmp") or n.endswith(".tmp.bak")):
            p = os.path.join(folder, n)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    os.remove(p)
                except OSError:
                    pass
