"""Hard inputs for an accuracy test: every exponent, and dense where things break.

``hard_inputs(dtype, centres)`` gives, for one float dtype:

* random bit patterns, so every exponent of the format is hit about equally;
* a dense grid around 0: signed powers of two from the smallest subnormal up,
  and their neighbours;
* for each centre (a branch point of some implementation, or where a result
  turns subnormal or underflows), the 64 floats either side and a uniform
  spread over the unit interval around it;
* the extremes: +-max, its neighbour, the smallest normal and subnormal, +-0.

float16 is small enough to test exhaustively: ``all_finite(np.float16)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def random_bits(dtype: type, n: int, seed: int = 0) -> np.ndarray:
    dt = np.dtype(dtype)
    u = _UINT[dt.itemsize]
    bits = np.random.default_rng(seed).integers(0, np.iinfo(u).max, n, dtype=u, endpoint=True)
    x = bits.view(dt)
    return x[np.isfinite(x)]


def all_finite(dtype: type) -> np.ndarray:
    dt = np.dtype(dtype)
    x = np.arange(2 ** (8 * dt.itemsize), dtype=_UINT[dt.itemsize]).view(dt)
    return x[np.isfinite(x)]


def neighbours(c: float, dtype: type, k: int = 64) -> np.ndarray:
    """``c`` rounded to ``dtype`` and the ``k`` floats on either side of it.

    Past the largest finite float this walks into inf, which callers drop.
    """
    dt = np.dtype(dtype)
    up = down = dt.type(c)
    steps = [up]
    with np.errstate(over="ignore"):
        for _ in range(k):
            up, down = np.nextafter(up, dt.type(np.inf)), np.nextafter(down, dt.type(-np.inf))
            steps += [up, down]
    return np.sort(np.array(steps, dtype=dt))


def around_zero(dtype: type) -> np.ndarray:
    fi = np.finfo(dtype)
    lo = int(np.log2(float(fi.smallest_subnormal)))
    powers: np.ndarray = np.ldexp(1.0, np.arange(lo, 2)).astype(dtype)
    near = np.concatenate([powers, np.nextafter(powers, dtype(np.inf))])
    return np.concatenate([near, -near, np.zeros(1, dtype), -np.zeros(1, dtype)])


def extremes(dtype: type) -> np.ndarray:
    fi = np.finfo(dtype)
    vals = [fi.max, np.nextafter(fi.max, dtype(0)), fi.smallest_normal, fi.smallest_subnormal]
    vals += [np.nextafter(fi.smallest_normal, dtype(0))]
    arr: np.ndarray = np.array(vals, dtype=dtype)
    return np.concatenate([arr, -arr])


def hard_inputs(dtype: type, centres: Iterable[float], n_random: int = 6000) -> np.ndarray:
    rng = np.random.default_rng(1)
    parts = [random_bits(dtype, n_random), around_zero(dtype), extremes(dtype)]
    for c in centres:
        with np.errstate(over="ignore"):
            if not np.isfinite(dtype(c)):
                continue
        parts.append(neighbours(c, dtype))
        parts.append(rng.uniform(c - 1, c + 1, 200).astype(dtype))
    x = np.concatenate(parts)
    return np.unique(x[np.isfinite(x)])
