"""The formulas: one place for each function and derivative.

Every function here takes ``x`` in a *working* dtype with at least 11 more
significand bits than the result will have (see ``softlearn._arrays``),
``beta`` (where it has one) as a float or an array broadcastable with ``x``, and
``xp``, a namespace with the few element-wise functions the formulas use:
``abs exp expm1 log log1p sign isinf where relu`` and ``product_error``.
:data:`NUMPY` is the namespace in use.  (The namespace is a parameter so that
the formulas name exactly which primitives they rely on.)

They are the fast path of softlearn's NumPy path (softlearn/_numpy_path.py),
where no compiled kernel is built, and the second derivatives of the PyTorch
and Keras adapters.  Rounding errors of a formula are a few units of the
working precision; the NumPy path bounds them and sends what the bound cannot
decide to the exact path.  So the choice of formula is about range and
cancellation: no ``exp`` of a positive number (overflow), no ``1 - tanh**2``
(cancellation), and ``beta * x`` kept exact where its rounding would be
amplified.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

Array = Any  # a NumPy array, a torch.Tensor or a tf.Tensor in the working dtype


# --- softsign


def softsign(x: Array, xp: Any) -> Array:
    y = x / (1 + xp.abs(x))
    return xp.where(xp.isinf(x), xp.sign(x), y)  # inf / inf is NaN; the limit is the sign


def softsign_grad(x: Array, xp: Any) -> Array:
    # r * r, not the autograd of x / (1 + |x|), which cancels for large |x|.
    r = 1 / (1 + xp.abs(x))
    return r * r


def softsign_grad2(x: Array, xp: Any) -> Array:
    r = 1 / (1 + xp.abs(x))
    return -2 * xp.sign(x) * (r * r * r)


# --- softplus and its derivatives


def exp_neg_scaled(a: Array, beta: Any, xp: Any) -> Array:
    """``e**(-beta * a)`` for ``a >= 0``, with the product ``beta * a`` exact.

    An error ``d`` in the exponent is a relative error ``d`` in the result, and
    ``beta * a`` can reach about 1400 before softplus underflows, so where the
    working precision is only 11 bits wider than the result, the product's
    rounding error is carried along: ``e**-(p + e) = e**-p * (1 - e)``.
    """
    if _is_one(beta):
        return xp.exp(-a)
    p = a * beta
    # Where the error reaches 1, p is beyond 2**53 and e**-p is 0: keep it +0.
    return xp.exp(-p) * xp.relu(1 - xp.product_error(a, beta, p))


def softplus(x: Array, beta: Any, xp: Any) -> Array:
    # max(x, 0) + log(1 + e**(-beta |x|)) / beta: never overflows, and keeps
    # every digit of e**(beta x) where that is the whole answer.
    tail = xp.log1p(exp_neg_scaled(xp.abs(x), beta, xp))
    if not _is_one(beta):
        tail = tail / beta
    return xp.relu(x) + tail


def sigmoid(x: Array, beta: Any, xp: Any) -> Array:
    """``1 / (1 + e**(-beta x))``: the derivative of softplus."""
    e = exp_neg_scaled(xp.abs(x), beta, xp)
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r)


def sigmoid_grad(x: Array, beta: Any, xp: Any) -> Array:
    """``beta * sigmoid(beta x) * sigmoid(-beta x)``: the second derivative of softplus.

    Written as ``beta e / (1 + e)**2`` with ``e = e**(-beta |x|)``; the usual
    ``s * (1 - s)`` loses every digit in the tails, where ``1 - s`` cancels.
    """
    e = exp_neg_scaled(xp.abs(x), beta, xp)
    d = 1 + e
    return (beta * e) / (d * d)


def softplus_inverse(y: Array, beta: Any, xp: Any) -> Array:
    a = y * beta
    da = 0 if _is_one(beta) else xp.product_error(y, beta, a)  # beta * y == a + da
    # Below the zero of the inverse (at beta y = log 2) log(expm1(a)) is well
    # conditioned; around it, log(expm1(a)) = log1p(2 expm1(a - log 2)) keeps
    # the digits of a result near 0; above, y + log(1 - e**-a) / beta.
    low = xp.log(xp.expm1(a))
    d = (a - _LN2_HI) - _LN2_MID - _LN2_LO + da
    mid = xp.log1p(2 * xp.expm1(d))
    x = xp.where(a < 0.35, low, mid)
    high = xp.log1p(-xp.exp(-a))
    if not _is_one(beta):
        x = x / beta
        high = high / beta
    return xp.where(a > 1.25, y + high, x)


# log 2 as an unevaluated sum of three floats, exact to about 2**-140.  _LN2_HI
# has 30 significant bits, so a - _LN2_HI is exact for a near log 2 in every
# working dtype.
_LN2_HI = 0.6931471796706319  # 0x1.62e42fe8p-1
_LN2_MID = 8.893134238886677e-10
_LN2_LO = -4.00865610552017e-26


def _is_one(beta: Any) -> bool:
    return isinstance(beta, float) and beta == 1.0


# --- tanh


def tanh_grad(x: Array, xp: Any) -> Array:
    # 4 e / (1 + e)**2 with e = e**(-2|x|); 1 - tanh**2 cancels to 0 in the tails.
    e = xp.exp(-2 * xp.abs(x))
    d = 1 + e
    return 4 * e / (d * d)


# --- the NumPy namespace


def _product_error(a: np.ndarray, b: Any, p: np.ndarray) -> np.ndarray:
    """Dekker's two-product: the exact ``a * b - p`` where ``p = fl(a * b)``.

    Where the split overflows (operands near the top of the range) or the
    product is not finite, the error is taken as 0.
    """
    dt = a.dtype
    factor = dt.type(2 ** ((np.finfo(dt).nmant + 2) // 2) + 1)  # Veltkamp's split
    bw = np.asarray(b).astype(dt)
    ca, cb = factor * a, factor * bw
    ahi, bhi = ca - (ca - a), cb - (cb - bw)
    alo, blo = a - ahi, bw - bhi
    e = ((ahi * bhi - p) + ahi * blo + alo * bhi) + alo * blo
    return np.where(np.isfinite(e), e, 0)


NUMPY = SimpleNamespace(
    abs=np.abs,
    exp=np.exp,
    expm1=np.expm1,
    log=np.log,
    log1p=np.log1p,
    sign=np.sign,
    isinf=np.isinf,
    where=np.where,
    relu=lambda x: np.maximum(x, 0),
    product_error=_product_error,
)
