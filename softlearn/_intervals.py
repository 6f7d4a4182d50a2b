"""The exact path's formulas (softlearn/_exact.py), one per kernel.

Softsign and its derivative are rational: they take a ``Fraction`` and return
the exact value.  The others take ``(iv, x, beta)``: mpmath's interval context,
``x`` as a float (its sign chooses the branch) and ``beta`` as an interval, and
return an interval certain to hold the exact value.  They are the stable forms
of softlearn/_formulas.py, though with intervals a naive form would only cost
precision, never correctness.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any


def softsign(x: Fraction) -> Fraction:
    return x / (1 + abs(x))


def softsign_grad(x: Fraction) -> Fraction:
    return 1 / (1 + abs(x)) ** 2


def softplus(iv: Any, x: float, b: Any) -> Any:
    tail = iv.log1p(iv.exp(-b * abs(x))) / b
    return iv.mpf(x) + tail if x > 0 else tail


def sigmoid(iv: Any, x: float, b: Any) -> Any:
    e = iv.exp(-b * abs(x))
    return 1 / (1 + e) if x >= 0 else e / (1 + e)


def softplus_inverse(iv: Any, y: float, b: Any) -> Any:
    a = b * y
    if y * float(b.a) > 1:
        return y + iv.log1p(-iv.exp(-a)) / b
    return iv.log(iv.expm1(a)) / b


def tanh(iv: Any, x: float, b: Any) -> Any:
    m = iv.expm1(-2 * iv.mpf(abs(x)))
    t = -m / (2 + m)
    return t if x >= 0 else -t


def tanh_grad(iv: Any, x: float, b: Any) -> Any:
    e = iv.exp(-2 * iv.mpf(abs(x)))
    return 4 * e / (1 + e) ** 2
