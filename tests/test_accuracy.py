"""Accuracy: every function correctly rounded against mpmath, in float16, float32 and float64.

Correctly rounded means within 0.5 ULP of the exact value (the float nearest
it).  Every path is checked: each compiled build this CPU runs, and the NumPy
path.  The worst error of each function and dtype is printed in the test
summary.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from conftest import ACCURACY

import softlearn as sl
from softlearn import reference as ref
from softlearn.inputs import all_finite, hard_inputs

BOUND = 0.5  # ULP: correctly rounded


def _log_tiny(dtype: type) -> list[float]:
    """Where exp(x) turns subnormal, and where it underflows to 0."""
    fi = np.finfo(dtype)
    tiny, sub = float(fi.smallest_normal), float(fi.smallest_subnormal)
    return [math.log(tiny), math.log(sub) - math.log(2)]


# Branch points of this and other implementations, per dtype: where results turn
# subnormal or underflow, Maechler's published cut-offs for log1p(exp(x)),
# PyTorch's threshold (20), where the naive exp(x) overflows, and the compiled
# kernels' own: the switch at |x| = 40, the scaling steps at 2**-1000 (x near
# -693.15), and e**-|x| crossing the 1/16 steps of their log1p table.
def _softplus_centres(dtype: type) -> list[float]:
    lt = _log_tiny(dtype)
    big = math.log(float(np.finfo(dtype).max))
    cuts = [-37.0, 18.0, 33.3] if dtype == np.float64 else [-17.0, 9.0, 16.0]
    kernel = [40.0, 1000 * math.log(2), *(-math.log(i / 16) for i in range(1, 16))]
    return [0.0, 20.0, -20.0, big, -big, *lt, *cuts, *kernel, *(-c for c in cuts + kernel)]


def _softsign_centres(dtype: type) -> list[float]:
    fi = np.finfo(dtype)
    p = fi.nmant
    sub = 1 / math.sqrt(float(fi.smallest_normal))  # where 1/(1+|x|)**2 turns subnormal
    cs = [0.0, 1.0, 3.0, 2.0**p, 2.0 ** (p + 1), sub, 2 * sub, sub * 2 ** (p / 2)]
    return cs + [-c for c in cs]


Centres = Callable[[type], list[float]]
CASES: list[tuple[str, Callable[..., object], Callable[..., object], Centres]] = [
    ("softsign", sl.softsign, ref.softsign, _softsign_centres),
    ("softsign_grad", sl.softsign_grad, ref.softsign_grad, _softsign_centres),
    ("softplus", sl.softplus, ref.softplus, _softplus_centres),
    ("softplus_grad", sl.softplus_grad, ref.sigmoid, _softplus_centres),
    ("sigmoid", sl.sigmoid, ref.sigmoid, _softplus_centres),
    ("tanh", sl.tanh, ref.tanh, _softplus_centres),
    ("tanh_grad", sl.tanh_grad, ref.tanh_grad, _softplus_centres),
]


def _check(name: str, fn, reffn, x: np.ndarray, beta: float | None = None) -> None:
    kw = {} if beta is None else {"beta": beta}
    y = fn(x, **kw)
    assert y.dtype == x.dtype
    err = ref.ulp_errors(y, ref.reference(reffn, x, **kw))
    i = int(np.argmax(err))
    worst, at = float(err[i]), float(x[i])
    ACCURACY[(name, x.dtype.name, 1.0 if beta is None else beta)] = (worst, at, x.size)
    print(f"{name} {x.dtype} beta={beta}: worst {worst:.4f} ULP at x={at!r} over {x.size} inputs")
    assert worst <= BOUND, f"{name}({at!r}) in {x.dtype} is {worst:.3f} ULP off"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "fn", "reffn", "centres"), CASES, ids=[c[0] for c in CASES])
def test_correctly_rounded(name, fn, reffn, centres, dtype, backend):
    _check(f"{name} [{backend}]", fn, reffn, hard_inputs(dtype, centres(dtype)))


@pytest.mark.parametrize(("name", "fn", "reffn", "centres"), CASES, ids=[c[0] for c in CASES])
def test_float16_exhaustive(name, fn, reffn, centres, backend):
    _check(f"{name} [{backend}]", fn, reffn, all_finite(np.float16))


def test_float16_exhaustive_inverse(backend):
    y = all_finite(np.float16)
    y = y[y > 0]
    _check(f"softplus_inverse [{backend}]", sl.softplus_inverse, ref.softplus_inverse, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [0.25, 3.0, 1e-3, 1e-200, 1e200])
@pytest.mark.parametrize(
    ("name", "fn", "reffn"),
    [("softplus", sl.softplus, ref.softplus), ("softplus_grad", sl.softplus_grad, ref.sigmoid)],
    ids=["softplus", "softplus_grad"],
)
def test_beta_correctly_rounded(name, fn, reffn, beta, dtype):
    centres = [c / beta for c in _softplus_centres(dtype)]
    _check(name, fn, reffn, hard_inputs(dtype, centres, n_random=2000), beta=beta)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [1.0, 0.25, 3.0, 1e-200])
def test_softplus_inverse_correctly_rounded(dtype, beta):
    """On its own domain: every positive exponent, and dense around its branches."""
    centres = [math.log(2), 0.35, 1.25, 1.0, 20.0]
    y = hard_inputs(dtype, [c / beta for c in centres], n_random=3000)
    _check("softplus_inverse", sl.softplus_inverse, ref.softplus_inverse, y[y > 0], beta=beta)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_inverse_round_trip(dtype):
    """softplus_inverse(softplus(x)) gives x back wherever softplus kept x's information."""
    x = hard_inputs(dtype, _softplus_centres(dtype), n_random=4000)
    y = sl.softplus(x)
    # Where y rounded to x itself, or to 0, or is subnormal, x cannot be recovered.
    keep = (y != x) & (y >= np.finfo(dtype).smallest_normal)
    x, y = x[keep], y[keep]
    back = sl.softplus_inverse(y)
    # x comes back to within 2 ULP of x, plus what rounding
    # y to the dtype cost (half an ULP of y, times dx/dy = 1/sigmoid(x)).
    x64, back64 = x.astype(np.float64), back.astype(np.float64)
    slack = 2 * np.spacing(np.abs(x)).astype(np.float64)
    slack += 0.5 * np.spacing(y).astype(np.float64) / sl.sigmoid(x64)
    excess = np.abs(back64 - x64) / slack
    j = int(np.argmax(excess))
    print(f"round trip {np.dtype(dtype)}: worst {excess[j]:.3f} of the allowance at x={x[j]!r}")
    assert excess[j] <= 1.0


def test_subnormal_results_correctly_rounded():
    # Where softplus(x) = e**x turns subnormal; float64 sends these to the exact path.
    for dtype, lo, hi in ((np.float64, -745.2, -700.0), (np.float32, -104.0, -85.0)):
        x = np.linspace(lo, hi, 1501).astype(dtype)
        for fn, rf in ((sl.softplus, ref.softplus), (sl.softplus_grad, ref.sigmoid)):
            err = ref.ulp_errors(fn(x), ref.reference(rf, x))
            assert err.max() <= 0.5, (fn.__name__, dtype, float(x[np.argmax(err)]))
