"""The studio's seeded random draws, bit for bit.

Every draw of a ModularGAN run is a function of (seed, iteration): batch order, flips,
targets, noise, penalty mixing, chains. The studio draws them with seedrandom's Alea and
initialises weights with mulberry32 + Box-Muller; both are re-implemented here on Python's
doubles (the same IEEE arithmetic JavaScript uses), so a run in either engine sees the same
numbers and a checkpoint from one resumes exactly in the other.
"""

from __future__ import annotations

import math
from typing import Callable, List, MutableSequence, TypeVar

import numpy as np

T = TypeVar("T")

_TWO_32 = 4294967296.0
_INV_TWO_32 = 2.3283064365386963e-10  # 2^-32


def _to_uint32(x: float) -> int:
    """JavaScript's `x >>> 0` for a finite double."""
    return int(math.trunc(x)) % 0x100000000


def _to_int32(x: float) -> int:
    """JavaScript's `x | 0` for a finite double."""
    u = _to_uint32(x)
    return u - 0x100000000 if u >= 0x80000000 else u


class _Mash:
    def __init__(self) -> None:
        self.n = float(0xEFC8249D)

    def __call__(self, data: str) -> float:
        n = self.n
        # charCodeAt: UTF-16 code units, so characters outside the BMP count as two.
        units = data.encode("utf-16-le")
        for i in range(0, len(units), 2):
            n += units[i] | (units[i + 1] << 8)
            h = 0.02519603282416938 * n
            n = float(_to_uint32(h))
            h -= n
            h *= n
            n = float(_to_uint32(h))
            h -= n
            n += h * _TWO_32
        self.n = n
        return _to_uint32(n) * _INV_TWO_32


def js_string(value: object) -> str:
    """String(value) as JavaScript writes it, for the numbers and strings seeds are made of."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(float(value))
    return str(value)


def js_number(x: float) -> str:
    """A double as JavaScript's Number#toString writes it (shortest round trip)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e21:
        return str(int(x))
    r = repr(x)
    if "e" not in r:
        return r
    mant, exp = r.split("e")
    e = int(exp)
    if -7 < e < 21:
        # Python switches to exponent form earlier than JavaScript (1e-05 vs 0.00001).
        digits = mant.replace(".", "").replace("-", "")
        sign = "-" if x < 0 else ""
        if e < 0:
            return f"{sign}0.{'0' * (-e - 1)}{digits}"
        point = e + 1
        digits = digits.ljust(point, "0")
        return f"{sign}{digits[:point]}" + (f".{digits[point:]}" if digits[point:] else "")
    return f"{mant}e{'+' if e > 0 else '-'}{abs(e)}"


class Alea:
    """seedrandom's `alea(seed)`: call it for the next draw in [0, 1)."""

    def __init__(self, seed: object) -> None:
        mash = _Mash()
        self.c = 1
        self.s0 = mash(" ")
        self.s1 = mash(" ")
        self.s2 = mash(" ")
        text = js_string(seed)
        self.s0 -= mash(text)
        if self.s0 < 0:
            self.s0 += 1
        self.s1 -= mash(text)
        if self.s1 < 0:
            self.s1 += 1
        self.s2 -= mash(text)
        if self.s2 < 0:
            self.s2 += 1

    def __call__(self) -> float:
        t = 2091639 * self.s0 + self.c * _INV_TWO_32
        self.s0 = self.s1
        self.s1 = self.s2
        self.c = _to_int32(t)
        self.s2 = t - self.c
        return self.s2


def shuffle_with(items: MutableSequence[T], rand: Callable[[], float]) -> MutableSequence[T]:
    """Fisher-Yates in place, drawing from `rand` (the loader's shuffleWith)."""
    for i in range(len(items) - 1, 0, -1):
        j = math.floor(rand() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def seeded_permutation(n: int, seed: str) -> List[int]:
    out = list(range(n))
    shuffle_with(out, Alea(seed))
    return out


def gaussian(seed: object, n: int) -> np.ndarray:
    """Standard normal float32 draws: Alea + Box-Muller (core/runtime/noise.ts)."""
    rand = Alea(js_string(seed))
    out = np.empty(n, dtype=np.float32)
    for i in range(0, n, 2):
        r = math.sqrt(-2 * math.log(1 - rand()))
        t = 2 * math.pi * rand()
        out[i] = r * math.cos(t)
        if i + 1 < n:
            out[i + 1] = r * math.sin(t)
    return out


def _imul(a: int, b: int) -> int:
    return (a * b) & 0xFFFFFFFF


def hash_seed(seed: float, name: str) -> int:
    """32-bit FNV-1a of `name` mixed with `seed` (core/modules/random.ts hashSeed)."""
    h = (0x811C9DC5 ^ _to_uint32(seed)) & 0xFFFFFFFF
    units = name.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h ^= units[i] | (units[i + 1] << 8)
        h = _imul(h, 0x01000193)
    high = _to_uint32(math.floor(seed / _TWO_32))
    return _imul(h ^ high, 0x9E3779B1)


def uniform_stream(seed: int) -> Callable[[], float]:
    """mulberry32, as the studio's weight initialisation draws it."""
    state = [seed & 0xFFFFFFFF]

    def next_value() -> float:
        a = (state[0] + 0x6D2B79F5) & 0xFFFFFFFF
        state[0] = a
        t = _imul(a ^ (a >> 15), a | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / _TWO_32

    return next_value


def _mulberry32_block(seed: int, count: int) -> np.ndarray:
    """The first `count` draws of uniform_stream(seed), vectorised (the stream is a counter)."""
    mask = np.uint64(0xFFFFFFFF)
    k = np.arange(1, count + 1, dtype=np.uint64)
    a = (np.uint64(seed & 0xFFFFFFFF) + k * np.uint64(0x6D2B79F5)) & mask
    t = ((a ^ (a >> np.uint64(15))) * (a | np.uint64(1))) & mask
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & mask)) & mask)
    return ((t ^ (t >> np.uint64(14))) & mask).astype(np.float64) / _TWO_32


def normal_values(seed: int, count: int, std: float) -> np.ndarray:
    """`count` float32 draws from N(0, std^2): mulberry32 + Box-Muller (initialValue)."""
    pairs = (count + 1) // 2
    u = _mulberry32_block(seed, 2 * pairs).reshape(pairs, 2)
    r = np.sqrt(-2 * np.log(1 - u[:, 0])) * std
    theta = 2 * math.pi * u[:, 1]
    out = np.empty((pairs, 2), dtype=np.float64)
    out[:, 0] = r * np.cos(theta)
    out[:, 1] = r * np.sin(theta)
    return out.reshape(-1)[:count].astype(np.float32)
