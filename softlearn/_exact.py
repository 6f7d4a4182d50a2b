"""Products of an array and ``beta`` without losing the rounding error.

Softplus with ``beta`` needs :math:`e^{-\\beta |x|}` to a relative accuracy
better than the rounding of the product :math:`\\beta |x|`: an error
:math:`\\epsilon` in the exponent becomes a relative error :math:`\\epsilon` in
the result, and :math:`\\beta |x|` can reach about 1400 before softplus
underflows.  Dekker's two-product gives the product's rounding error exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def _split(a: Any, dtype: np.dtype[Any]) -> tuple[Any, Any]:
    """Veltkamp's split of ``a`` into a high half and the exact remainder."""
    c = dtype.type(2 ** ((np.finfo(dtype).nmant + 2) // 2) + 1) * a
    hi = c - (c - a)
    return hi, a - hi


def two_product(a: NDArray[Any], b: float) -> tuple[NDArray[Any], NDArray[Any]]:
    """Return ``p, e`` with ``p = fl(a * b)`` and ``p + e == a * b`` exactly.

    Where the split would overflow (``|a|`` or ``|b|`` near the top of the
    range) or the product is not finite, ``e`` is 0.
    """
    dt = a.dtype
    bw = dt.type(b)
    p = a * bw
    ahi, alo = _split(a, dt)
    bhi, blo = _split(bw, dt)
    e = ((ahi * bhi - p) + ahi * blo + alo * bhi) + alo * blo
    return p, np.where(np.isfinite(e), e, 0)


def exp_neg_scaled(a: NDArray[Any], beta: float) -> NDArray[Any]:
    """:math:`e^{-\\beta a}` for ``a >= 0``, with the product ``beta * a`` exact."""
    if beta == 1.0:
        return np.exp(-a)
    p, e = two_product(a, beta)
    # e**-(p + e) = e**-p * e**-e, and |e| <= ulp(p) / 2 is tiny.
    return np.exp(-p) * (1 - e)
