"""Exact reference values (mpmath) and ULP errors: what softlearn is measured against.

Each reference takes a float (converted exactly) and returns an ``mpf`` correct
to far more bits than any tested dtype holds.  Arguments so large that ``exp``
would have to build a number with a huge exponent take their asymptotic form,
whose neglected term is below 2**-2000 relative.

The test suite and ``softlearn.benchmarks.accuracy`` use it; so can you, to
measure another implementation.  It needs mpmath, a dependency of softlearn
(for its exact path) that ``import softlearn`` does not load.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath as mp
import numpy as np

mp.mp.prec = 256

_HUGE = mp.mpf(2000)  # e**-2000 is far below 2**-256 relative to anything kept


def _exp_neg(a: mp.mpf) -> mp.mpf:
    """e**-a for a >= 0, flushed to 0 where it cannot matter."""
    return mp.mpf(0) if a > 10**6 else mp.exp(-a)


def softsign(x: float) -> mp.mpf:
    if mp.isinf(x):
        return mp.sign(x)
    x = mp.mpf(x)
    return x / (1 + abs(x))


def softsign_grad(x: float) -> mp.mpf:
    return 1 / (1 + abs(mp.mpf(x))) ** 2


def softplus(x: float, beta: float = 1.0) -> mp.mpf:
    x, b = mp.mpf(x), mp.mpf(beta)
    a = b * abs(x)
    tail = mp.log1p(_exp_neg(a)) / b  # log(1 + e**(-beta|x|)) / beta
    return max(x, mp.mpf(0)) + tail


def sigmoid(x: float, beta: float = 1.0) -> mp.mpf:
    z = mp.mpf(beta) * mp.mpf(x)
    e = _exp_neg(abs(z))
    return 1 / (1 + e) if z >= 0 else e / (1 + e)


def softplus_inverse(y: float, beta: float = 1.0) -> mp.mpf:
    y, b = mp.mpf(y), mp.mpf(beta)
    a = b * y
    if a <= 0:
        return mp.ninf if a == 0 else mp.nan
    if a > 1:
        return y + mp.log1p(-_exp_neg(a)) / b
    return mp.log(mp.expm1(a)) / b


def tanh(x: float) -> mp.mpf:
    return mp.tanh(mp.mpf(x))


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


def _name(dtype: object) -> str:
    """The format's name, for NumPy dtypes and for torch dtypes such as torch.bfloat16."""
    if str(dtype).startswith("torch."):
        return str(dtype).removeprefix("torch.")
    return str(np.dtype(dtype).name)  # type: ignore[call-overload]  # any NumPy dtype-like


def ulp(v: mp.mpf, dtype: object) -> mp.mpf:
    """Spacing of ``dtype``'s numbers at the exact value ``v`` (subnormals included)."""
    nmant, emin, _ = _FMT[_name(dtype)]
    if v == 0:
        return mp.ldexp(1, emin - nmant)
    _, e = mp.frexp(v)  # v = m * 2**e, 0.5 <= |m| < 1
    return mp.ldexp(1, max(e - 1, emin) - nmant)


def ulp_errors(computed: np.ndarray, exact: Sequence[mp.mpf], dtype: object = None) -> np.ndarray:
    """|computed - exact| in ULPs of the exact value, in ``dtype`` (default: computed's).

    An infinite result counts as exact only where the exact value rounds to
    that infinity; a NaN result where the exact value is a number is ``inf``.
    ``dtype`` may be ``"bfloat16"``, with ``computed`` holding its values.
    """
    dtype = computed.dtype if dtype is None else dtype
    big = mp.mpf(_FMT[_name(dtype)][2])
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


def reference(fn: Callable[..., mp.mpf], x: np.ndarray, **kw: float) -> list[mp.mpf]:
    return [fn(t, **kw) for t in x.astype(np.float64).ravel().tolist()]


#: Errors below this many ULP are ordinary rounding: their exact size depends
#: on the CPU (its vector width, its C library's exp and log), the failures
#: above it do not.  The book shows such errors as a bound, never as a figure.
#: softlearn's own guarantee, correct rounding (0.5 ULP), is shown as that bound.
ROUNDING = 4.0


def ulps(v: float, portable: bool = False, bound: float | None = None) -> str:
    """An error in ULP: two decimals when small, two significant digits when not.

    With ``portable``, an error below :data:`ROUNDING` ULP is shown as a bound
    that holds on every machine: ``≤ bound`` where the implementation
    guarantees one (softlearn's 0.5 ULP), else ``< 4``.  An error beyond the
    guaranteed bound is a failure, and shown as a number.

    Example:
        >>> from softlearn.reference import ulps
        >>> [ulps(v) for v in (0.5, 1.47, 5.8e5)]
        ['0.50', '1.47', '5.8e+05']
        >>> [ulps(v, portable=True) for v in (0.5, 1.47, 5.8e5)]
        ['< 4', '< 4', '5.8e+05']
        >>> ulps(0.75, portable=True, bound=1.0), ulps(1.5, portable=True, bound=1.0)
        ('≤ 1', '1.50')
    """
    if v != v or v == float("inf"):
        return str(v)
    if portable and v < ROUNDING:
        if bound is None:
            return f"< {ROUNDING:g}"
        if v <= bound:
            return f"≤ {bound:g}"
    return f"{v:.2f}" if v < 10 else f"{v:.1e}"


# --- the articles' formulas, with every step rounded correctly


def rounded(v: mp.mpf, dtype: object) -> float:
    """``v`` rounded to the nearest number of ``dtype`` (float32 or float64), ties to even."""
    if _name(dtype) == "float64" or not mp.isfinite(v):
        return float(v)  # mpmath rounds to the nearest double, ties to even
    big = np.finfo(np.float32).max
    if abs(v) >= mp.mpf(2) ** 128 - mp.mpf(2) ** 103:  # halfway from the largest to 2**128
        return float(mp.sign(v)) * np.inf
    if abs(v) > big:
        return float(mp.sign(v)) * float(big)
    f = np.float32(float(v))  # may be one step off: rounded twice
    best = min(
        (np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))),
        key=lambda c: (abs(mp.mpf(float(c)) - v), int(c.view(np.int32)) & 1),
    )
    return float(best)


def naive(fname: str, x: np.ndarray) -> np.ndarray:
    """The articles' formula for ``fname`` in the dtype of ``x``, each step rounded correctly.

    ``softplus`` is ``log(1 + exp(x))``, ``softplus_grad`` is ``1 / (1 + exp(-x))``,
    ``softsign`` and ``softsign_grad`` are ``x / (1 + |x|)`` and ``1 / (1 + |x|)**2``.
    NumPy's ``exp`` and ``log`` are within about an ULP of the exact value, and
    which way they err depends on the CPU; here ``exp`` and ``log`` are exact
    and then rounded, as +, -, * and / always are.  The result is the same on
    every machine and shows the formula's own failures, such as ``1 + exp(x)``
    rounding to 1, without the C library's.

    Example:
        >>> import numpy as np
        >>> from softlearn.reference import naive
        >>> naive("softplus", np.array([-40.0, 0.0, 1000.0]))
        array([0.        , 0.69314718,        inf])
    """
    x = np.asarray(x)
    dt = x.dtype.type

    def cr(fn: Callable[[mp.mpf], mp.mpf], v: np.ndarray) -> np.ndarray:
        out = [rounded(fn(mp.mpf(float(t))), x.dtype) for t in v.ravel().tolist()]
        return np.array(out, dtype=x.dtype).reshape(v.shape)

    with np.errstate(all="ignore"):
        if fname == "softsign":
            return x / (1 + np.abs(x))
        if fname == "softsign_grad":
            return 1 / (1 + np.abs(x)) ** 2
        if fname == "softplus":
            return cr(lambda s: mp.log(s) if s > 0 else mp.ninf, 1 + cr(mp.exp, x))
        if fname == "softplus_grad":
            return dt(1) / (1 + cr(mp.exp, -x))
    raise ValueError(f"unknown function {fname!r}")


# --- fits and grids that do not depend on the CPU


def slope(
    t: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, log_t: bool = False
) -> float:
    """Least-squares slope of ``log(values)`` against ``t`` (against ``log t`` if ``log_t``).

    Computed in mpmath, so the result depends on ``t`` and ``values`` alone:
    ``np.polyfit`` sums through LAPACK and BLAS in an order that depends on
    the CPU, and NumPy's ``log`` differs in the last bit from CPU to CPU, so
    the last bits of such a fit do too.

    Example:
        >>> from softlearn.reference import slope
        >>> slope([1.0, 2.0, 4.0], [2.0, 8.0, 32.0], log_t=True)
        2.0
    """
    ts = [mp.log(float(v)) if log_t else mp.mpf(float(v)) for v in t]
    ys = [mp.log(float(v)) for v in values]
    t_mean, y_mean = mp.fsum(ts) / len(ts), mp.fsum(ys) / len(ys)
    num = mp.fsum((a - t_mean) * (b - y_mean) for a, b in zip(ts, ys, strict=True))
    return float(num / mp.fsum((a - t_mean) ** 2 for a in ts))


def logspace(start: float, stop: float, num: int) -> np.ndarray:
    """``10**linspace(start, stop, num)``, each value rounded once from the exact power.

    ``np.logspace`` and ``np.geomspace`` call a power function whose last bit
    differs from CPU to CPU; these grids are the same floats everywhere.

    Example:
        >>> from softlearn.reference import logspace
        >>> logspace(0, 2, 5)
        array([  1.        ,   3.16227766,  10.        ,  31.6227766 , 100.        ])
    """
    step = (mp.mpf(stop) - start) / (num - 1)
    return np.array([float(mp.power(10, start + i * step)) for i in range(num)])
