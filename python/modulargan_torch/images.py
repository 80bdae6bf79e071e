"""Image files in and out. Inside the trainer an image is float32 HxWx3 in [-1, 1], exactly
byte / 127.5 - 1 as the studio computes it. PNGs are written by our own small encoder (no
imaging library needed for logs and samples); decoding uses Pillow where it is installed and
falls back to our PNG decoder for 8-bit PNGs (what `modulargan export-dataset` writes)."""

from __future__ import annotations

import struct
import zlib
from typing import Tuple

import numpy as np


class ImageFileError(Exception):
    """An image file that cannot be used; skipped by the loader, reported once."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


def bytes_to_floats(raw: np.ndarray) -> np.ndarray:
    # In double, then rounded once, as JavaScript's `raw[i] / 127.5 - 1` stored in a Float32Array.
    return (raw.astype(np.float64) / 127.5 - 1).astype(np.float32)


def to_bytes(data: np.ndarray) -> np.ndarray:
    """[-1, 1] floats to bytes: Math.round((x + 1) * 127.5), clamped (halves round up)."""
    return np.clip(np.floor((data.astype(np.float64) + 1) * 127.5 + 0.5), 0, 255).astype(np.uint8)


def encode_png(pixels: np.ndarray) -> bytes:
    """8-bit RGB (HxWx3) or grey (HxW) uint8 pixels as a PNG."""
    if pixels.dtype != np.uint8:
        raise ValueError("encode_png takes uint8 pixels")
    grey = pixels.ndim == 2
    h, w = pixels.shape[:2]
    rows = pixels.reshape(h, -1)
    raw = b"".join(b"\x00" + rows[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 0 if grey else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def decode_png(data: bytes, file: str) -> np.ndarray:
    """8-bit, non-interlaced grey/RGB/RGBA PNGs to HxWx3 uint8 (what Pillow would give)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ImageFileError(file, "is not a PNG file")
    at = 8
    idat = b""
    w = h = depth = ctype = interlace = 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        at += 12 + length
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ImageFileError(file, "is a PNG kind this reader does not decode without Pillow (install Pillow)")
    raw = zlib.decompress(idat)
    stride = w * channels
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 0xFF
        else:
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = int(cur[x - channels]) if x >= channels else 0
                b = int(prev[x])
                c = int(prev[x - channels]) if x >= channels else 0
                pred = a if f == 1 else (a + b) // 2 if f == 3 else _paeth(a, b, c)
                cur[x] = (int(line[x]) + pred) & 0xFF
        out[y] = cur
        prev = cur
    px = out.reshape(h, w, channels)
    if channels == 1 or channels == 2:
        return np.repeat(px[:, :, :1], 3, axis=2)
    return np.ascontiguousarray(px[:, :, :3])


def _pillow():  # type: ignore[no-untyped-def]
    try:
        from PIL import Image, ImageOps

        return Image, ImageOps
    except ImportError:
        return None


def read_image(file: str, size: int, crop: str = "cover", max_crop: int = 0) -> np.ndarray:
    """Decodes a file to size x size x 3 floats in [-1, 1]. An image already that size is
    read exactly; others are centre-cropped to a square ('cover'; `max_crop` caps the
    square's side, CelebA's 178) and resized with Lanczos (the studio uses libvips; such
    resized pixels agree to about one level of 255, not bit for bit)."""
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ImageFileError(file, f"cannot be read ({e.strerror or e})") from e
    pil = _pillow()
    if pil is None:
        px = decode_png(data, file)
        if px.shape[0] != size or px.shape[1] != size:
            raise ImageFileError(file, f"is {px.shape[1]}×{px.shape[0]}; resizing needs Pillow (install Pillow)")
        return bytes_to_floats(px)
    Image, ImageOps = pil
    import io

    try:
        img = Image.open(io.BytesIO(data))
        img.load()
        if crop == "cover":
            img = ImageOps.exif_transpose(img)
        img = img.convert("RGB")
    except Exception as e:  # Pillow raises many kinds for a bad file
        raise ImageFileError(file, f"cannot decode it as an image ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from e
    w, h = img.size
    if min(w, h) < 2:
        raise ImageFileError(file, f"is too small ({w}×{h}; needs at least 2 pixels on its shorter side)")
    if (w, h) != (size, size) or (max_crop and max_crop < min(w, h)):
        side = min(w, h, max_crop) if max_crop else min(w, h)
        # reducing_gap 2: a box shrink by a whole factor first, then Lanczos for the rest, as
        # libvips (the studio's resizer) does; it halves the mean difference from its pixels.
        if max_crop:
            # CelebA: the crop is cut out first (the studio's extract), so its edges clamp.
            left, top = (w - side) // 2, (h - side) // 2
            img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS, reducing_gap=2.0)
        else:
            fl, ft = (w - side) / 2, (h - side) / 2
            img = img.resize((size, size), Image.LANCZOS, box=(fl, ft, fl + side, ft + side), reducing_gap=2.0)
    return bytes_to_floats(np.asarray(img, dtype=np.uint8))


def image_shape(file: str) -> Tuple[int, int]:
    pil = _pillow()
    if pil is None:
        with open(file, "rb") as f:
            head = f.read(24)
        return struct.unpack(">II", head[16:24])
    with pil[0].open(file) as img:
        return img.size
