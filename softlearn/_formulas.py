"""The formulas: one place for each function and derivative.

Every function here takes ``x`` in a *working* dtype: float64; the long
double where it is wider, for the NumPy path's float64 results
(``softlearn._numpy_path.WORKING_DTYPES``); float32 on the torch devices
without float64.  Its result is rounded to the result dtype afterwards, and
where the working dtype is wider than the result, the formula's rounding
errors rarely show.  Each takes ``beta`` (where it has
one) as a float or an array broadcastable with ``x``, and ``xp``, a
namespace with the few element-wise functions the formulas use:
``abs exp expm1 log log1p tanh sign isinf isfinite where relu`` and
``product_error``.  :data:`NUMPY` is the namespace in use.  (The namespace is a parameter so that
the formulas name exactly which primitives they rely on.)

softlearn/_definitions.py names them for each activation.  They are the fast
path of softlearn's NumPy path (softlearn/_numpy_path.py), where no compiled
kernel is built, and, written in the framework's own ops, the PyTorch adapter
on devices other than the CPU, the Keras adapter on every backend, and the
adapters' higher derivatives.  Rounding errors of a formula are a few units of the
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
    # Softsign is C^1 but not C^2: the second derivative jumps from 2 to -2 at
    # 0, where the sign makes it 0, the mean of the two one-sided limits.
    r = 1 / (1 + xp.abs(x))
    return -2 * xp.sign(x) * (r * r * r)


def softsign_grad3(x: Array, xp: Any) -> Array:
    r = 1 / (1 + xp.abs(x))
    r2 = r * r
    return 6 * (r2 * r2)


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


def softplus_grad2(x: Array, beta: Any, xp: Any) -> Array:
    """``beta * sigmoid(beta x) * sigmoid(-beta x)``: the second derivative of softplus.

    Written as ``beta e / (1 + e)**2`` with ``e = e**(-beta |x|)``; the usual
    ``s * (1 - s)`` loses every digit in the tails, where ``1 - s`` cancels.
    """
    e = exp_neg_scaled(xp.abs(x), beta, xp)
    d = 1 + e
    return (beta * e) / (d * d)


def softplus_grad3(x: Array, beta: Any, xp: Any) -> Array:
    """``-beta**2 sign(x) e (1 - e) / (1 + e)**3`` with ``e = e**(-beta |x|)``."""
    a = xp.abs(x)
    e = exp_neg_scaled(a, beta, xp)
    d = 1 + e
    g = -xp.expm1(-a if _is_one(beta) else -(a * beta))  # 1 - e, which cancels near 0
    return (-(beta * beta) * xp.sign(x)) * (e * g) / (d * d * d)


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


def tanh_grad2(x: Array, xp: Any) -> Array:
    # -2 tanh(x) tanh'(x), with tanh x = sign(x) (1 - e) / (1 + e).
    e = xp.exp(-2 * xp.abs(x))
    d = 1 + e
    g = -xp.expm1(-2 * xp.abs(x))  # 1 - e, which cancels near 0
    return -8 * xp.sign(x) * (e * g) / (d * d * d)


def tanh_grad3(x: Array, xp: Any) -> Array:
    # -2 tanh'(x) (tanh'(x) - 2 tanh(x)**2), over the common denominator (1 + e)**4.
    e = xp.exp(-2 * xp.abs(x))
    d = 1 + e
    d2 = d * d
    g = -xp.expm1(-2 * xp.abs(x))
    return 16 * e * (g * g - 2 * e) / (d2 * d2)


# --- relu


def relu_grad(x: Array, xp: Any) -> Array:
    return xp.relu(xp.sign(x))  # 1 above 0, else 0, in x's dtype; NaN stays NaN


# --- the NumPy namespace


def two_product_error(a: Array, b: Array, p: Array, xp: Any, split: float) -> Array:
    """Dekker's two-product: the exact ``a * b - p`` where ``p = fl(a * b)``.

    ``b`` is an array of ``a``'s dtype, and ``split`` is Veltkamp's factor for
    that dtype, ``2**ceil(bits / 2) + 1``, which cuts each operand into two
    halves whose products are exact.  Where the split overflows (operands
    near the top of the range) or the product is not finite, the error is
    taken as 0.  Each namespace's ``product_error`` calls this.
    """
    ca, cb = split * a, split * b
    ahi, bhi = ca - (ca - a), cb - (cb - b)
    alo, blo = a - ahi, b - bhi
    e = ((ahi * bhi - p) + ahi * blo + alo * bhi) + alo * blo
    return xp.where(xp.isfinite(e), e, 0.0)


def _product_error(a: np.ndarray, b: Any, p: np.ndarray) -> np.ndarray:
    dt = a.dtype
    split = float(2 ** ((np.finfo(dt).nmant + 2) // 2) + 1)
    return two_product_error(a, np.asarray(b).astype(dt), p, NUMPY, dt.type(split))  # type: ignore[no-any-return]


#: The functions the formulas take from ``xp`` that NumPy, torch and keras.ops
#: all name the same way; ``relu`` and ``product_error`` come on top.
ELEMENTWISE = ("abs", "exp", "expm1", "log", "log1p", "tanh", "sign", "isinf", "isfinite", "where")


def namespace(module: Any, relu: Any, product_error: Any) -> SimpleNamespace:
    """The ``xp`` of the formulas, taken from ``module`` (numpy, torch, keras.ops)."""
    ops = {name: getattr(module, name) for name in ELEMENTWISE}
    return SimpleNamespace(**ops, relu=relu, product_error=product_error)


NUMPY = namespace(np, lambda x: np.maximum(x, 0), _product_error)
