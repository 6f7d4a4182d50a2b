"""The NumPy path's error bound (softlearn/_numpy_path.py: BOUND) holds.

Where no compiled kernel was built, each kernel's formula is evaluated in a
working dtype wider than the result and decided by a rounding test whose width
is BOUND units of the working precision.  Here the formulas are measured
against mpmath, in both working dtypes, at random inputs of every scale and at
the points where their branches change; the worst error must stay below the
bound with room to spare (a factor 2).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from softlearn._formulas import NUMPY
from softlearn._kernel_table import KERNELS, has_beta, reference
from softlearn._numpy_path import BOUND

WORK = {"float64": np.float64, "longdouble": np.longdouble}


def _inputs(name: str, rng: np.random.Generator) -> np.ndarray:
    scales = np.exp(rng.uniform(-30, 6, 400))
    x = np.concatenate([scales, rng.uniform(0, 40, 200)])
    # the branch points: softplus_inverse's 0.35, ln 2 and 1.25, the tails' 20 and 40
    edges = np.array([0.35, math.log(2), 1.25, 20.0, 40.0, 1e-8])
    x = np.concatenate([x, edges, edges * (1 + 1e-9), edges * (1 - 1e-9)])
    return x if KERNELS[name].positive else np.concatenate([x, -x])


@pytest.mark.parametrize("work", list(WORK))
@pytest.mark.parametrize("name", list(KERNELS))
def test_fast_formula_within_the_bound(name, work):
    dt = WORK[work]
    info = np.finfo(dt)
    if work == "longdouble" and info.nmant <= 52:
        pytest.skip("the long double is float64 here: every float64 result is exact-path")
    rng = np.random.default_rng(len(name))
    mp.mp.prec = 200
    unit = mp.mpf(2) ** -info.nmant
    # results that underflow in the working dtype: the test adds a few of its
    # smallest subnormals to the bound (_numpy_path._decided)
    tiny = 2 * mp.mpf(float(info.smallest_subnormal)) if work == "float64" else 0
    worst, at = 0.0, None
    for beta in (1.0, 0.37, 3.0) if has_beta(name) else (1.0,):
        x = _inputs(name, rng) / beta
        with np.errstate(all="ignore"):
            approx = KERNELS[name].fast(x.astype(dt), beta, NUMPY)
        for xi, ai in zip(x, approx, strict=True):
            exact = reference(name, float(xi), beta)
            if exact == 0 or not mp.isfinite(exact) or not np.isfinite(ai):
                continue
            err = float(max(0, abs(_exactly(ai) - exact) - tiny) / abs(exact) / unit)
            if err > worst:
                worst, at = err, (float(xi), beta)
    print(f"{name} in {work}: worst {worst:.2f} units at {at}, bound {BOUND[work]}")
    assert worst <= BOUND[work] / 2, f"{name} ({work}) is {worst:.1f} units off at {at}"


def _exactly(v: np.floating) -> mp.mpf:
    """A float64 or long double as an mpf, exactly: two doubles hold the 64 bits
    of its significand (scaled into [1/2, 1), away from float64's subnormals)."""
    m, e = np.frexp(v)
    hi = float(m)
    return mp.ldexp(mp.mpf(hi) + mp.mpf(float(m - type(m)(hi))), int(e))
