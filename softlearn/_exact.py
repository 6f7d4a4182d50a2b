"""The last step of Ziv's strategy: the correctly rounded result, exactly.

The fast paths (softlearn/_kernels.c, softlearn/_numpy_path.py) decide almost
every input with a rounding test.  The rest, about one float64 input in a
million and essentially no float32 one, come here, one element at a time.

Softsign and its derivative are rational in ``x``: they are computed exactly
as fractions and rounded once.  The other functions are evaluated in mpmath's
interval arithmetic, which returns an interval certain to contain the exact
value; the precision doubles until both ends of the interval round to the same
float.  Exact ties cannot occur for them except at the points the fast paths
already decide (such as ``sigmoid(0) = 1/2``, where the interval is a point).

mpmath is imported on the first undecided input, never by ``import softlearn``.
"""

from __future__ import annotations

import math
import threading
from fractions import Fraction
from typing import Any

#: Significand bits (with the leading one), smallest and largest normal exponents.
FORMATS = {
    "e": (11, -14, 15),
    "f": (24, -126, 127),
    "d": (53, -1022, 1023),
}

_LOCK = threading.Lock()  # mpmath's precision is global state
_MAX_PREC = 1 << 17


def round_fraction(value: Fraction, kind: str) -> float:
    """``value`` rounded to the nearest float of format ``kind`` ("e", "f", "d"), ties to even."""
    bits, emin, emax = FORMATS[kind]
    if value == 0:
        return 0.0
    sign = -1.0 if value < 0 else 1.0
    a = abs(value)
    e = a.numerator.bit_length() - a.denominator.bit_length()  # 2**(e-1) < a < 2**(e+1)
    if a < Fraction(2) ** e:
        e -= 1  # now 2**e <= a < 2**(e+1)
    q = max(e, emin) - (bits - 1)  # the spacing of the format at a is 2**q
    n = round(a / Fraction(2) ** q)  # Fraction rounds half to even
    if n == 2**bits:  # rounded up into the next binade
        n, q = n // 2, q + 1
    if q + bits - 1 > emax:  # beyond the largest finite value: checked before ldexp overflows
        return sign * math.inf
    return sign * math.ldexp(float(n), q)


def correctly_rounded(name: str, x: float, beta: float, kind: str) -> float:
    """The correctly rounded ``name(x, beta)`` in format ``kind``, as a Python float."""
    special = _special(name, x, beta)
    if special is not None:
        return special
    if name in _RATIONAL:
        return _odd(name, round_fraction(_RATIONAL[name](Fraction(x)), kind), x)
    import mpmath

    iv = mpmath.iv
    formula = _INTERVAL[name]
    with _LOCK:
        saved = iv.prec
        try:
            prec = 64
            while prec <= _MAX_PREC:
                iv.prec = prec
                v = formula(iv, x, iv.mpf(beta))
                a, b = _ends(v)
                lo = round_fraction(a, kind)
                hi = round_fraction(b, kind)
                if lo == hi:
                    return _odd(name, lo, x)
                prec *= 2
        finally:
            iv.prec = saved
    raise ArithmeticError(f"{name}({x!r}, beta={beta!r}) undecided at {_MAX_PREC} bits")


def _odd(name: str, value: float, x: float) -> float:
    """The sign of zero: softsign(-0.0) and tanh(-0.0) are -0.0."""
    return math.copysign(value, x) if name in ("softsign", "tanh") else value


def _ends(v: Any) -> tuple[Fraction, Fraction]:
    """The interval's two ends, exactly.

    From mpmath's raw (sign, mantissa, exponent, bits) tuples: converting an
    end to an ``mpf`` would round it to the precision of mpmath's *other*
    context, whatever it happens to be.
    """
    return _tuple_fraction(v._mpi_[0]), _tuple_fraction(v._mpi_[1])


def _tuple_fraction(t: tuple[int, int, int, int]) -> Fraction:
    sign, man, exp, _ = t
    if man == 0:
        if exp == 0:
            return Fraction(0)
        # mpmath's special values: +-inf (and NaN, which the formulas never give)
        big = Fraction(2) ** 200000
        return -big if sign else big
    return (-1) ** sign * Fraction(man) * Fraction(2) ** exp


def _special(name: str, x: float, beta: float) -> float | None:
    """NaN, the infinities, the domain of the inverse, and arguments so large
    that the result is a limit.

    The fast paths decide all of these; they are here so that this module is
    complete on its own.  Beyond ``beta |x| = 1e4`` the tails are below
    e**-1e4 < 2**-14000, relative to ``x`` or absolute, and 1/beta < 2**1075
    cannot bring them back above half the smallest subnormal.
    """
    if math.isnan(x):
        return x
    if name == "softplus_inverse" and x <= 0:
        return -math.inf if x == 0 else math.nan
    scale = beta if name.startswith("softplus") else 2.0
    if not math.isinf(x) and (name in _RATIONAL or abs(x) * scale <= 1e4):
        return None
    limit: float = _LIMITS[name](x > 0, x)
    return limit


_LIMITS: dict[str, Any] = {
    "softsign": lambda pos, x: 1.0 if pos else -1.0,
    "softsign_grad": lambda pos, x: 0.0,
    "softplus": lambda pos, x: x if pos else 0.0,
    "softplus_grad": lambda pos, x: 1.0 if pos else 0.0,
    "softplus_inverse": lambda pos, x: x,
    "tanh": lambda pos, x: 1.0 if pos else -1.0,
    "tanh_grad": lambda pos, x: 0.0,
}


_RATIONAL = {
    "softsign": lambda x: x / (1 + abs(x)),
    "softsign_grad": lambda x: 1 / (1 + abs(x)) ** 2,
}


# The formulas take x as a float (its sign chooses the branch) and beta as an
# interval; they are the stable forms of softlearn/_formulas.py, though with
# intervals a naive form would only cost precision, never correctness.


def _softplus(iv: Any, x: float, b: Any) -> Any:
    tail = iv.log1p(iv.exp(-b * abs(x))) / b
    return iv.mpf(x) + tail if x > 0 else tail


def _sigmoid(iv: Any, x: float, b: Any) -> Any:
    e = iv.exp(-b * abs(x))
    return 1 / (1 + e) if x >= 0 else e / (1 + e)


def _softplus_inverse(iv: Any, y: float, b: Any) -> Any:
    a = b * y
    if y * float(b.a) > 1:
        return y + iv.log1p(-iv.exp(-a)) / b
    return iv.log(iv.expm1(a)) / b


def _tanh(iv: Any, x: float, b: Any) -> Any:
    m = iv.expm1(-2 * iv.mpf(abs(x)))
    t = -m / (2 + m)
    return t if x >= 0 else -t


def _tanh_grad(iv: Any, x: float, b: Any) -> Any:
    e = iv.exp(-2 * iv.mpf(abs(x)))
    return 4 * e / (1 + e) ** 2


_INTERVAL = {
    "softplus": _softplus,
    "softplus_grad": _sigmoid,
    "softplus_inverse": _softplus_inverse,
    "tanh": _tanh,
    "tanh_grad": _tanh_grad,
}
