"""Exact reference values (mpmath) and ULP errors: what softlearn is measured against.

Each reference takes a float (converted exactly) and returns an ``mpf`` correct
to far more bits than any tested dtype holds.  Arguments so large that ``exp``
would have to build a number with a huge exponent take their asymptotic form,
whose neglected term is below 2**-2000 relative.

The test suite and ``softlearn.benchmarks.accuracy`` use it; so can you, to
measure another implementation.  Every function computes at
:data:`PRECISION` bits (or the caller's precision, if higher) and restores
mpmath's precision on return; importing this module leaves it alone.  It
needs mpmath, a dependency of softlearn (for its exact path) that
``import softlearn`` does not load.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

import mpmath as mp
import numpy as np

#: The bits every reference value is computed to.
PRECISION = 256

P = ParamSpec("P")
R = TypeVar("R")


def precise(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` computed at :data:`PRECISION` bits, or the caller's precision if higher.

    mpmath's precision is one global setting (per process, not per thread);
    this sets it for the call and restores the caller's after.  A caller at a
    higher precision keeps it: ``mp.diff`` raises it to differentiate.
    """

    @functools.wraps(fn)
    def at_precision(*args: P.args, **kwargs: P.kwargs) -> R:
        with mp.workprec(max(PRECISION, mp.mp.prec)):
            return fn(*args, **kwargs)

    return at_precision


_HUGE = mp.mpf(2000)  # e**-2000 is far below 2**-256 relative to anything kept


def _exp_neg(a: mp.mpf) -> mp.mpf:
    """e**-a for a >= 0, flushed to 0 where it cannot matter."""
    return mp.mpf(0) if a > 10**6 else mp.exp(-a)


@precise
def softsign(x: float) -> mp.mpf:
    if mp.isinf(x):
        return mp.sign(x)
    x = mp.mpf(x)
    return x / (1 + abs(x))


@precise
def softsign_grad(x: float) -> mp.mpf:
    return 1 / (1 + abs(mp.mpf(x))) ** 2


@precise
def softplus(x: float, beta: float = 1.0) -> mp.mpf:
    x, b = mp.mpf(x), mp.mpf(beta)
    a = b * abs(x)
    tail = mp.log1p(_exp_neg(a)) / b  # log(1 + e**(-beta|x|)) / beta
    return max(x, mp.mpf(0)) + tail


@precise
def sigmoid(x: float, beta: float = 1.0) -> mp.mpf:
    z = mp.mpf(beta) * mp.mpf(x)
    e = _exp_neg(abs(z))
    return 1 / (1 + e) if z >= 0 else e / (1 + e)


@precise
def softplus_inverse(y: float, beta: float = 1.0) -> mp.mpf:
    y, b = mp.mpf(y), mp.mpf(beta)
    a = b * y
    if a <= 0:
        return mp.ninf if a == 0 else mp.nan
    if a > 1:
        return y + mp.log1p(-_exp_neg(a)) / b
    return mp.log(mp.expm1(a)) / b


@precise
def tanh(x: float) -> mp.mpf:
    return mp.tanh(mp.mpf(x))


@precise
def tanh_grad(x: float) -> mp.mpf:
    a = abs(mp.mpf(x))
    e = _exp_neg(2 * a)
    return 4 * e / (1 + e) ** 2


# --- ULPs

# significand bits after the point, smallest normal exponent, largest finite value
_FMT = {
    "float16": (10, -14, 65504.0),
    "bfloat16": (7, -126, 3.3895313892515355e38),
    "float32": (23, -126, float(np.finfo(np.float32).max)),
    "float64": (52, -1022, float(np.finfo(np.float64).max)),
}


def dtype_name(dtype: object) -> str:
    """The format's name, for NumPy dtypes and for torch dtypes such as torch.bfloat16."""
    if str(dtype).startswith("torch."):
        return str(dtype).removeprefix("torch.")
    return str(np.dtype(dtype).name)  # type: ignore[call-overload]  # any NumPy dtype-like


@precise
def ulp(v: mp.mpf, dtype: object) -> mp.mpf:
    """Spacing of ``dtype``'s numbers at the exact value ``v`` (subnormals included)."""
    nmant, emin, _ = _FMT[dtype_name(dtype)]
    if v == 0:
        return mp.ldexp(1, emin - nmant)
    _, e = mp.frexp(v)  # v = m * 2**e, 0.5 <= |m| < 1
    return mp.ldexp(1, max(e - 1, emin) - nmant)


@precise
def ulp_errors(computed: np.ndarray, exact: Sequence[mp.mpf], dtype: object = None) -> np.ndarray:
    """|computed - exact| in ULPs of the exact value, in ``dtype`` (default: computed's).

    An infinite result counts as exact only where the exact value rounds to
    that infinity; a NaN result where the exact value is a number is ``inf``.
    ``dtype`` may be ``"bfloat16"``, with ``computed`` holding its values.
    """
    dtype = computed.dtype if dtype is None else dtype
    big = mp.mpf(_FMT[dtype_name(dtype)][2])
    half_top = ulp(big, dtype) / 2
    out = np.empty(computed.size)
    values = computed.astype(np.float64).ravel().tolist()
    for i, (c, v) in enumerate(zip(values, exact, strict=True)):
        if mp.isnan(v):
            out[i] = 0.0 if c != c else np.inf
        elif mp.isinf(v) or abs(v) >= big + half_top:
            out[i] = 0.0 if c == (mp.inf if v > 0 else -mp.inf) else np.inf
        elif c != c or c in (np.inf, -np.inf):
            out[i] = np.inf
        else:
            out[i] = float(abs(mp.mpf(c) - v) / ulp(v, dtype))
    return out


@precise
def reference(fn: Callable[..., mp.mpf], x: np.ndarray, **kw: float) -> list[mp.mpf]:
    return [fn(t, **kw) for t in x.astype(np.float64).ravel().tolist()]
