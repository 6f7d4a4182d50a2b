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

The formulas are in softlearn/_intervals.py, and each kernel's limits, domain
and symmetry in its record (softlearn/_kernel_table.py).  mpmath is imported
on the first undecided input, never by ``import softlearn``.
"""

from __future__ import annotations

import math
import threading
from fractions import Fraction
from typing import Any

from softlearn._kernel_table import KERNELS, Kernel

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
    kernel = KERNELS[name]
    special = _special(kernel, x, beta)
    if special is not None:
        return special
    if kernel.rational:
        return _odd(kernel, round_fraction(kernel.exact(Fraction(x)), kind), x)
    import mpmath

    iv = mpmath.iv
    with _LOCK:
        saved = iv.prec
        try:
            prec = 64
            while prec <= _MAX_PREC:
                iv.prec = prec
                v = kernel.exact(iv, x, iv.mpf(beta))
                a, b = _ends(v)
                lo = round_fraction(a, kind)
                hi = round_fraction(b, kind)
                if lo == hi:
                    return _odd(kernel, lo, x)
                prec *= 2
        finally:
            iv.prec = saved
    raise ArithmeticError(f"{name}({x!r}, beta={beta!r}) undecided at {_MAX_PREC} bits")


def _odd(kernel: Kernel, value: float, x: float) -> float:
    """The sign of zero: softsign(-0.0) and tanh(-0.0) are -0.0."""
    return math.copysign(value, x) if kernel.odd else value


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


def _special(kernel: Kernel, x: float, beta: float) -> float | None:
    """NaN, the infinities, the domain of the inverse, and arguments so large
    that the result is a limit.

    The fast paths decide all of these; they are here so that this module is
    complete on its own.  Beyond ``rate |x| = 1e4`` (rate = beta for softplus)
    the tails are below e**-1e4 < 2**-14000, relative to ``x`` or absolute,
    and 1/beta < 2**1075 cannot bring them back above half the smallest
    subnormal.
    """
    if math.isnan(x):
        return x
    if kernel.positive and x <= 0:
        return -math.inf if x == 0 else math.nan
    rate = beta if kernel.rate is None else kernel.rate
    if not math.isinf(x) and (kernel.rational or abs(x) * rate <= 1e4):
        return None
    return kernel.limit(x > 0, x)
