"""The NumPy path's second tier: each kernel in double-double, vectorised.

The first tier (softlearn/_numpy_path.py) leaves about 2 float64 results in
100 undecided: the x87 long double carries 11 bits more than float64, and the
rounding test needs more where a value lies close to a rounding boundary.
Sending those to the exact path (mpmath, about 100 us each) made the NumPy
path a hundred times slower than the compiled one.  Here they are evaluated
again in double-double arithmetic (a value is an unevaluated sum ``hi + lo``
of two float64 arrays, about 106 bits) with a relative error below
:data:`BOUND`, and the rounding test runs once more; what it still cannot
decide, about one element in 10**7, goes to the exact path.

NumPy has no fused multiply-add, so products are split by Veltkamp's method
(Dekker's two-product).  Where a step could overflow or lose digits to
underflow (results below 2**-940, arguments beyond the ranges below), an
element is simply left undecided: the exact path takes it.

The error bounds, relative to the exact value, by step:

- ``_expm1_small`` (e**r - 1 for |r| <= ln2/512): r + r**2/2 + r**3/6 in
  double-double, the rest of the Taylor series to degree 8 in double
  (r**4/24 < 2**-42.6, so its rounding is below 2**-95 relative to r;
  truncation below 2**-94 relative to r): 2**-93.
- ``_exp`` (e**x for -600 <= x <= 600): reduction x = m ln2 + j ln2/256 + r
  with ln2/256 in three parts (the first exact times any k here), error below
  2**-95; the table 2**(j/256) in double-double: 2**-92.
- ``_expm1`` (for -600 <= x <= 600): 2**m T - 1 formed exactly, then
  2**m T (e**r - 1) added; relative to e**x - 1 the error of ``_exp`` grows
  by at most 1/|e**x - 1| <= 2**9.5 just outside the range of
  ``_expm1_small``, which serves |x| <= ln2/512 alone: 2**-82.
- ``_log1p`` (log(1 + w)): one Newton step from NumPy's log1p, which is
  within a few ulp: the step squares 2**-50 to 2**-100, and the error of
  ``_expm1`` divided by 1 + w stays relative to log(1 + w) >= w / (1 + w):
  2**-82.
- ``_log`` (log g): the same through ``_exp``, absolute 2**-91; used where
  |log g| >= 0.8 only.
- Each kernel adds a few double-double operations (about 2**-100 each);
  softplus_inverse near its zero at beta y = ln 2 divides ln 2's error
  (2**-144) by |beta y - ln 2| >= 2**-62: 2**-82.
- Results below 2**-940 (other than the limits) are left undecided.

:data:`BOUND` is 2**-80, above the sum of these; tests/test_numpy_path.py
measures the worst error of every kernel against mpmath and requires it
below ``BOUND / 8``.  The first tier's test leaves an element undecided
within 2**-59 of a rounding boundary, this one within 2**-79: about one in
2**20 of those stays undecided here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

#: Relative error bound of every kernel's double-double value.
BOUND = 2.0**-80

DD = tuple[np.ndarray, np.ndarray]

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's factor for float64
_N = 256  # entries of the table 2**(j/N)


# --- error-free transformations and double-double operations


def _two_sum(a: Any, b: Any) -> DD:
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fast_two_sum(a: Any, b: Any) -> DD:  # |a| >= |b| or a == 0
    s = a + b
    return s, b - (s - a)


def _two_prod(a: Any, b: Any) -> DD:
    p = a * b
    ca, cb = _SPLIT * a, _SPLIT * b
    ah, bh = ca - (ca - a), cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _add(a: DD, b: DD) -> DD:
    s, e = _two_sum(a[0], b[0])
    return _fast_two_sum(s, e + (a[1] + b[1]))


def _mul(a: DD, b: DD) -> DD:
    p, e = _two_prod(a[0], b[0])
    return _fast_two_sum(p, e + (a[0] * b[1] + a[1] * b[0]))


def _div(a: DD, b: DD) -> DD:
    q = a[0] / b[0]
    p, e = _two_prod(q, b[0])
    r = (a[0] - p) - e + a[1] - q * b[1]  # a - q b; a[0] - p is exact (Sterbenz)
    return _fast_two_sum(q, r / b[0])


def _div_d(a: DD, b: Any) -> DD:
    q = a[0] / b
    p, e = _two_prod(q, b)
    return _fast_two_sum(q, ((a[0] - p) - e + a[1]) / b)


def _dd(x: Any) -> DD:
    return x, np.zeros_like(x)


# --- exp, expm1, log1p, log


@functools.cache
def _constants() -> tuple[np.ndarray, np.ndarray, tuple[float, float, float], tuple[float, ...]]:
    """2**(j/256) as double-double, ln2/256 in three parts (the first with 35
    bits, so that k times it is exact for |k| < 2**18), ln 2 in three parts."""
    import mpmath

    # A context of its own: mpmath's global precision is shared with other
    # threads, which may run the NumPy path at the same time.
    mp = mpmath.MPContext()
    mp.prec = 256
    t = [mp.mpf(2) ** (mp.mpf(j) / _N) for j in range(_N)]
    hi = np.array([float(v) for v in t])
    lo = np.array([float(v - mp.mpf(float(v))) for v in t])
    c = mp.log(2) / _N
    c1 = float(mp.ldexp(mp.nint(mp.ldexp(c, 43)), -43))
    c2 = float(c - c1)
    c3 = float(c - c1 - c2)
    ln2 = mp.log(2)
    l1 = float(mp.ldexp(mp.nint(mp.ldexp(ln2, 30)), -30))
    l2 = float(ln2 - l1)
    l3 = float(ln2 - l1 - l2)
    return hi, lo, (c1, c2, c3), (l1, l2, l3)


def _reduce(x: DD) -> tuple[np.ndarray, np.ndarray, DD]:
    """x = m ln2 + j ln2/256 + r: (m, j, r) with |r| <= ln2/512 (plus 2**-60)."""
    _, _, (c1, c2, c3), _ = _constants()
    # Arguments out of range give garbage, which the caller's mask discards;
    # clipped, they cannot give an index outside the table.
    k = np.clip(np.nan_to_num(np.rint(x[0] * (1 / c1))), -(2.0**18), 2.0**18)
    r1 = x[0] - k * c1  # exact: k c1 is exact and within a factor 2 of x[0]
    p2, e2 = _two_prod(k, c2)
    rh, rl = _two_sum(r1, -p2)
    r = _fast_two_sum(rh, rl + (x[1] - (e2 + k * c3)))
    j = np.mod(k, _N).astype(np.intp)
    m = (k - j) / _N
    return m, j, r


def _expm1_small(r: DD) -> DD:
    """e**r - 1 for |r| <= ln2/512 + 2**-60, relative error below 2**-94."""
    rh = r[0]
    sq = _mul(r, r)
    half = (sq[0] * 0.5, sq[1] * 0.5)
    sixth = _div_d(_mul(sq, r), 6.0)
    # r**4 (1/24 + r/120 + r**2/720 + r**3/5040 + r**4/40320): to degree 8, in double
    tail = sq[0] * sq[0] * (1 / 24 + rh * (1 / 120 + rh * (1 / 720 + rh * (1 / 5040 + rh / 40320))))
    s = _add(_add(r, half), sixth)
    return _fast_two_sum(s[0], s[1] + tail)


def _exp(x: DD) -> DD:
    """e**x for -600 <= x <= 600."""
    hi, lo, _, _ = _constants()
    m, j, r = _reduce(x)
    p = _expm1_small(r)
    t = (hi[j], lo[j])
    y = _add(t, _mul(t, p))
    return np.ldexp(y[0], m.astype(np.int64)), np.ldexp(y[1], m.astype(np.int64))


def _expm1(x: DD) -> DD:
    """e**x - 1 for -600 <= x <= 40, relative to the result."""
    hi, lo, _, _ = _constants()
    m, j, r = _reduce(x)
    p = _expm1_small(r)
    e = m.astype(np.int64)
    th, tl = np.ldexp(hi[j], e), np.ldexp(lo[j], e)  # 2**m T
    big = _add(_two_sum(th, -1.0), _dd(tl))  # 2**m T - 1
    y = _add(big, _mul((th, tl), p))
    small = (m == 0) & (j == 0)  # x = r: e**r - 1 itself, no cancellation
    return np.where(small, p[0], y[0]), np.where(small, p[1], y[1])


def _log1p(w: DD) -> DD:
    """log(1 + w) for w > -1 (1 + w >= 2**-800), relative to the result."""
    y0 = np.log1p(w[0]) + w[1] / (1 + w[0])
    e = _expm1(_dd(y0))
    num = _add(w, (-e[0], -e[1]))  # w - (e**y0 - 1): small, kept exactly
    return _two_sum(y0, num[0] / (1 + e[0]))


def _log(g: DD) -> DD:
    """log(g) for 2**-500 <= g <= e**600, absolute error 2**-78."""
    y0 = np.log(g[0]) + g[1] / g[0]
    e = _exp(_dd(-y0))
    d = _add(_mul(g, e), _dd(-1.0))  # g e**-y0 - 1, small
    return _two_sum(y0, d[0])


# --- the kernels: (value as double-double, where it holds)


def _far(v: DD, ok: Any, far: Any, limit: Any) -> tuple[DD, Any]:
    """Where ``far``, the function's limit: there the exact value is within
    2**-800 of it (relative), or it is below 2**-1076 and rounds to +0.

    Elsewhere a value below 2**-940 is left undecided: its low part, and the
    rounding test's width, would fall among the subnormals and lose digits.
    """
    normal = np.abs(v[0]) >= 2.0**-940
    return (np.where(far, limit, v[0]), np.where(far, 0.0, v[1])), (ok & ~far & normal) | far


def _softsign(x: Any, beta: Any) -> tuple[DD, Any]:
    d = _two_sum(1.0, np.abs(x))
    ok = (np.abs(x) < 2.0**900) & (x != 0)  # +-0: the sign of zero is the first tier's
    return _far(_div(_dd(x), d), ok, np.abs(x) >= 2.0**900, np.sign(x))


def _softsign_grad(x: Any, beta: Any) -> tuple[DD, Any]:
    d = _two_sum(1.0, np.abs(x))
    v = _div(_dd(np.ones_like(x)), _mul(d, d))
    return _far(v, np.abs(x) < 2.0**400, np.abs(x) > 2.0**540, 0.0)


def _scaled(x: Any, beta: Any) -> tuple[DD, Any]:
    """beta |x| exactly, and where e**(-beta |x|) stays in range."""
    a = _two_prod(np.abs(x), beta)
    return a, a[0] <= 600


def _sigmoid(x: Any, beta: Any) -> tuple[DD, Any]:
    a, ok = _scaled(x, beta)
    e = _exp((-a[0], -a[1]))
    r = _div(_dd(np.ones_like(x)), _add(_dd(np.ones_like(x)), e))
    er = _mul(e, r)
    neg = x < 0
    v = (np.where(neg, er[0], r[0]), np.where(neg, er[1], r[1]))
    return _far(v, ok, (a[0] > 750) | (~neg & (a[0] > 600)), np.where(neg, 0.0, 1.0))


def _softplus(x: Any, beta: Any) -> tuple[DD, Any]:
    a, ok = _scaled(x, beta)
    tail = _div_d(_log1p(_exp((-a[0], -a[1]))), beta)
    v = _add(_dd(np.maximum(x, 0.0)), tail)
    # e**-a / beta < e**-750 below; x + e**-a / beta = x (1 + e**-a / a) above
    far = np.where(x < 0, a[0] > 750 + np.maximum(0.0, -np.log(beta)), a[0] > 600)
    return _far(v, ok, far, np.maximum(x, 0.0))


def _softplus_inverse(y: Any, beta: Any) -> tuple[DD, Any]:
    _, _, _, (l1, l2, l3) = _constants()
    a = _two_prod(y, beta)
    # Below beta y = 0.35: log(expm1(a)), |result| >= 0.8.  Above, up to 36:
    # log1p(2 expm1(a - ln2)), relative near the zero at ln 2.  Beyond:
    # y + log1p(-e**-a) / beta.
    low = _log(_expm1(a))
    # a - ln2 with every step exact but the last, tiny one: a[0] - l1 is exact
    # near ln 2 (Sterbenz), the two sums are error-free.
    s2, e2 = _two_sum(a[0] - l1, -l2)
    s3, e3 = _two_sum(s2, a[1])
    d = _fast_two_sum(s3, (e2 + e3) - l3)
    em = _expm1(d)
    mid = _log1p((2 * em[0], 2 * em[1]))
    e = _exp((-a[0], -a[1]))
    high = _add(_dd(y), _div_d(_log1p((-e[0], -e[1])), beta))
    small, large = a[0] < 0.35, a[0] > 36
    near = _div_d((np.where(small, low[0], mid[0]), np.where(small, low[1], mid[1])), beta)
    v = (np.where(large, high[0], near[0]), np.where(large, high[1], near[1]))
    # Near ln 2, where d is tiny, ln 2's three parts (exact to 2**-144) must
    # stay far below the bound relative to d.
    ok = (a[0] >= 2.0**-500) & (a[0] <= 600) & (np.abs(d[0]) >= 2.0**-62)
    return _far(v, ok, a[0] > 600, y)


def _tanh(x: Any, beta: Any) -> tuple[DD, Any]:
    m = _expm1(_dd(-2 * np.abs(x)))
    t = _div((-m[0], -m[1]), _add(_dd(np.full_like(x, 2.0)), m))
    s = np.where(x < 0, -1.0, 1.0)
    ok = (np.abs(x) <= 300) & (np.abs(x) >= 2.0**-400)
    return _far((s * t[0], s * t[1]), ok, np.abs(x) > 300, s)


def _tanh_grad(x: Any, beta: Any) -> tuple[DD, Any]:
    e = _exp(_dd(-2 * np.abs(x)))
    d = _add(_dd(np.ones_like(x)), e)
    v = _div((4 * e[0], 4 * e[1]), _mul(d, d))
    return _far(v, np.abs(x) <= 300, np.abs(x) > 375, 0.0)


#: The second tier of each kernel: ``(x, beta) -> ((hi, lo), valid)`` on float64 arrays.
SECOND: dict[str, Callable[[Any, Any], tuple[DD, Any]]] = {
    "softsign": _softsign,
    "softsign_grad": _softsign_grad,
    "softplus": _softplus,
    "softplus_grad": _sigmoid,
    "softplus_inverse": _softplus_inverse,
    "tanh": _tanh,
    "tanh_grad": _tanh_grad,
}


def decide(name: str, x: np.ndarray, beta: np.ndarray, dtype: np.dtype[Any]) -> tuple[Any, Any]:
    """The correctly rounded ``name(x, beta)`` in ``dtype`` where the second tier
    decides it, and where it does: ``(values, decided)``.

    ``x`` and ``beta`` are float64 arrays; ``dtype`` is float64 (for narrower
    results the first tier, in float64, already decides all but a few in 10**5).
    """
    with np.errstate(all="ignore"):
        (h, lo), ok = SECOND[name](x, beta)
        err = np.abs(h) * (2 * BOUND)  # doubled: the ends' own rounding below
        a = h + (lo - err)
        b = h + (lo + err)
        decided = ok & np.isfinite(h) & (a == b)
    return a.astype(dtype), decided
