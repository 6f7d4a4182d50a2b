"""Numbers the book shows, computed so that they are the same on every machine.

The book's notebooks are checked by strict nbval on other CPUs than the one
that stored their outputs, so what they print must not depend on the CPU's
vector width or its C library's ``exp`` and ``log``.  These helpers give such
numbers: an error shown as a bound where its exact size is ordinary rounding
(:func:`ulps`), the articles' formulas with each step rounded correctly
(:func:`naive`), a least-squares slope and a log-spaced grid computed in
mpmath (:func:`slope`, :func:`logspace`).  Each computes at
``softlearn.reference.PRECISION`` bits and restores mpmath's precision on
return.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath as mp
import numpy as np

from softlearn.reference import dtype_name, precise

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
        >>> from softlearn.portable import ulps
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


@precise
def rounded(v: mp.mpf, dtype: object) -> float:
    """``v`` rounded to the nearest number of ``dtype`` (float32 or float64), ties to even."""
    if dtype_name(dtype) == "float64" or not mp.isfinite(v):
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


@precise
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
        >>> from softlearn.portable import naive
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


@precise
def slope(
    t: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, log_t: bool = False
) -> float:
    """Least-squares slope of ``log(values)`` against ``t`` (against ``log t`` if ``log_t``).

    Computed in mpmath, so the result depends on ``t`` and ``values`` alone:
    ``np.polyfit`` sums through LAPACK and BLAS in an order that depends on
    the CPU, and NumPy's ``log`` differs in the last bit from CPU to CPU, so
    the last bits of such a fit do too.

    Example:
        >>> from softlearn.portable import slope
        >>> slope([1.0, 2.0, 4.0], [2.0, 8.0, 32.0], log_t=True)
        2.0
    """
    ts = [mp.log(float(v)) if log_t else mp.mpf(float(v)) for v in t]
    ys = [mp.log(float(v)) for v in values]
    t_mean, y_mean = mp.fsum(ts) / len(ts), mp.fsum(ys) / len(ys)
    num = mp.fsum((a - t_mean) * (b - y_mean) for a, b in zip(ts, ys, strict=True))
    return float(num / mp.fsum((a - t_mean) ** 2 for a in ts))


@precise
def logspace(start: float, stop: float, num: int) -> np.ndarray:
    """``10**linspace(start, stop, num)``, each value rounded once from the exact power.

    ``np.logspace`` and ``np.geomspace`` call a power function whose last bit
    differs from CPU to CPU; these grids are the same floats everywhere.

    Example:
        >>> from softlearn.portable import logspace
        >>> logspace(0, 2, 5)
        array([  1.        ,   3.16227766,  10.        ,  31.6227766 , 100.        ])
    """
    step = (mp.mpf(stop) - start) / (num - 1)
    return np.array([float(mp.power(10, start + i * step)) for i in range(num)])
