"""The NumPy path's error bounds hold, and its exact path stays rare.

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

from softlearn import _numpy_path as numpy_path
from softlearn._double_double import BOUND as DD_BOUND
from softlearn._double_double import SECOND
from softlearn._exact import correctly_rounded
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
def test_fast_formula_within_the_bound(name, work, monkeypatch):
    dt = WORK[work]
    info = np.finfo(dt)
    if work == "longdouble" and info.nmant <= 52:
        pytest.skip("the long double is float64 here: every float64 result is exact-path")
    rng = np.random.default_rng(len(name))
    monkeypatch.setattr(mp.mp, "prec", 200)  # restored after the test
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


@pytest.mark.parametrize("name", list(SECOND))
def test_second_tier_within_its_bound(name, monkeypatch):
    """The double-double second tier (softlearn/_double_double.py), where it
    claims to hold, is within BOUND / 8 of the exact value."""
    rng = np.random.default_rng(len(name) + 1)
    monkeypatch.setattr(mp.mp, "prec", 200)  # restored after the test
    worst, at, used = 0.0, None, 0
    for beta in (1.0, 0.37, 3.0) if has_beta(name) else (1.0,):
        x = _inputs(name, rng)
        # and each point's neighbours, where the branches meet
        x = np.concatenate([x, np.nextafter(x, 0), np.nextafter(x, np.inf)]) / beta
        with np.errstate(all="ignore"):
            (hi, lo), valid = SECOND[name](x, np.full_like(x, beta))
        for xi, h, lo_, ok in zip(x, hi, lo, valid, strict=True):
            exact = reference(name, float(xi), beta)
            if not ok or exact == 0:
                continue
            used += 1
            err = float(abs(mp.mpf(h) + mp.mpf(lo_) - exact) / abs(exact))
            if err > worst:
                worst, at = err, (float(xi), beta)
    print(f"{name} in double-double: worst 2**{math.log2(worst):.1f} at {at}")
    assert used > 0.9 * x.size
    assert worst <= DD_BOUND / 8, f"{name}: 2**{math.log2(worst):.1f} at {at}"


@pytest.mark.parametrize("name", [n for n in KERNELS if n in SECOND])
def test_fewer_than_one_float64_in_100_000_goes_to_the_exact_path(name, monkeypatch):
    calls = []

    def counting(*args):
        calls.append(args)
        return correctly_rounded(*args)

    monkeypatch.setattr(numpy_path, "correctly_rounded", counting)
    x = np.random.default_rng(7).standard_normal(100_000) * 10
    if KERNELS[name].positive:
        x = np.abs(x) + 0.01
    y = numpy_path.evaluate(name, x, np.dtype(np.float64))
    assert len(calls) < 1, calls[:5]
    assert y.dtype == np.float64 and np.isfinite(y).all()


@pytest.mark.parametrize("name", list(SECOND))
def test_without_a_wide_long_double_float64_takes_the_second_tier(name, monkeypatch):
    """Where the long double is float64 (Windows, Apple silicon), every float64
    result is double-double; the same bits as with the x87 first tier, and the
    exact path stays rare."""
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.standard_normal(3000) * 10, np.exp(rng.uniform(-40, 6, 1000))])
    if KERNELS[name].positive:
        x = np.abs(x) + 1e-3
    beta = 0.37 if has_beta(name) else 1.0
    args = (beta,) if has_beta(name) else ()
    wide = numpy_path.evaluate(name, x, np.dtype(np.float64), *args)
    monkeypatch.setitem(numpy_path.WORKING_DTYPES, np.dtype(np.float64), np.dtype(np.float64))
    calls = []
    monkeypatch.setattr(
        numpy_path, "correctly_rounded", lambda *a: calls.append(a) or correctly_rounded(*a)
    )
    narrow = numpy_path.evaluate(name, x, np.dtype(np.float64), *args)
    assert np.array_equal(wide.view(np.int64), narrow.view(np.int64))
    # Only results near float64's subnormal range (below about 2**-860) are left to
    # the exact path: here the few inputs with |x| between 300 and 375 for tanh_grad.
    assert len(calls) <= x.size // 1000, calls


def test_in_place_and_tiny_results_match_the_compiled_kernels():
    """Two cases a review found: ``out=x`` (the undecided inputs must be read
    before the results overwrite them), and results so small that the second
    tier's rounding test would fall among the subnormals."""
    from softlearn import _native

    module = _native.kernels()
    if module is None:
        pytest.skip("no compiled build to compare with")
    x = np.array([2.0**-27, -3.5, 1e-300, 7.0, 2.0**-27 * 3])
    want = module.softsign(x)
    inplace = x.copy()
    numpy_path.evaluate("softsign", inplace, np.dtype(np.float64), out=inplace)
    assert np.array_equal(inplace.view(np.int64), want.view(np.int64))

    tiny = np.array([-2.900000000138609e-289])
    got = numpy_path.evaluate("softplus", tiny, np.dtype(np.float64), beta=1e290)
    assert got.view(np.int64) == module.softplus(tiny, 1e290, np.inf).view(np.int64)
