"""Each fast path's error bound holds at the inputs where its argument says it is largest.

softlearn/_functions.h states a bound next to every fast path; the rounding
test is only as good as that bound.  Here each path's raw output
(``approximation(name, precision, x, beta)`` of the compiled module: hi, lo
and the bound) is compared with mpmath at the region boundaries, at both ends
of the polynomial and table ranges, around the zero of softplus_inverse, and
at random inputs.  A bound that is off by a factor 2 fails here long before
a misrounded result would show.
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from softlearn import _native
from softlearn._kernel_table import KERNELS, has_beta, reference

MODULE = _native.kernels()
pytestmark = pytest.mark.skipif(MODULE is None, reason="no compiled kernels here")


def _around(points: list[float], rng: np.random.Generator, n: int = 40) -> list[float]:
    """Each point, its neighbours in ULPs, and a spread of relative offsets up to 1e-3."""
    out = []
    for p in points:
        out += [p, *np.nextafter(p, [-np.inf, np.inf]).tolist()]
        out += (p * (1 + rng.uniform(-1e-3, 1e-3, n))).tolist()
        out += (p * (1 + rng.uniform(-1e-12, 1e-12, n // 4))).tolist()
    return out


def _inputs(name: str, beta: float, rng: np.random.Generator) -> list[float]:
    ln2 = math.log(2)
    if KERNELS[name].positive:  # softplus_inverse
        # the regions' borders (0.45, 1), the zero (ln 2), the series' end (2**-9
        # from ln 2 and from 0), where log1p's table index changes, and far out
        z = [ln2, 0.45, 1.0, 40.0, 2.0**-9, ln2 + 2.0**-9, ln2 - 2.0**-9, 1e-300, 600.0]
        z += [ln2 + 2.0**-k for k in range(10, 60, 7)] + [ln2 - 2.0**-k for k in range(10, 60, 7)]
        z += np.exp(rng.uniform(-20, 6, 300)).tolist()
        return [v / beta for v in _around(z, rng)]
    if name in ("softsign", "softsign_grad"):
        x = [0.0, 1e-300, 1.0, 2.0**52, 2.0**60, 2.0**480]
        x += np.exp(rng.uniform(-40, 40, 400)).tolist()
        return [s * v for v in _around(x, rng) for s in (1, -1)]
    # exp-based: the reduction's half-steps (ln2/256), the table's steps
    # (log1p of e**-|x| crossing i/128), the region borders, the series' end
    half = math.log(2) / 256
    x = [0.0, 2.0**-9, 0.55, 40.0, 20.0, 300.0, 700.0, 1e-8]
    x += [half * (2 * k + 1) for k in range(0, 400, 37)]
    x += [-math.log(i / 128) for i in range(1, 128, 9)]
    x += rng.uniform(0, 50, 300).tolist()
    scale = beta if has_beta(name) else 1.0
    return [s * v / scale for v in _around(x, rng, 12) for s in (1, -1)]


CASES = [
    (name, beta) for name in KERNELS for beta in ([1.0, 0.37, 3.0] if has_beta(name) else [1.0])
]


@pytest.mark.parametrize("precision", ["dd", "d"])
@pytest.mark.parametrize(("name", "beta"), CASES)
def test_error_within_the_stated_bound(name, beta, precision, monkeypatch):
    rng = np.random.default_rng(sum(map(ord, name + precision)) + int(beta * 100))
    monkeypatch.setattr(mp.mp, "prec", 300)  # restored after the test
    worst, at, checked = 0.0, None, 0
    for x in _inputs(name, beta, rng):
        if precision == "d":  # the double paths serve float32 and float16 inputs
            with np.errstate(over="ignore"):
                x = float(np.float32(x))
        hi, lo, err = MODULE.approximation(name, precision, x, beta)
        if err <= 0 or not math.isfinite(hi):
            continue  # exact answers (err 0) and the exact path's cases (err < 0)
        exact = reference(name, x, beta)
        ratio = float(abs(mp.mpf(hi) + mp.mpf(lo) - exact) / mp.mpf(err))
        checked += 1
        if ratio > worst:
            worst, at = ratio, x
    print(f"{name} {precision} beta={beta}: error at most {worst:.3f} of the bound, at x={at!r}")
    assert checked > 500
    assert worst <= 1.0, f"{name} ({precision}) exceeds its bound at x={at!r}: {worst:.2f}x"
