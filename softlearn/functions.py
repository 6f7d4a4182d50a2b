r"""The activation functions and their derivatives, for NumPy.

Every function takes an array-like of any shape (lists, scalars, NumPy arrays,
0-d and empty arrays included) and returns an array of the same shape, as a
NumPy ufunc does: ``out=`` writes into an array of the result's dtype,
``where=`` leaves the other elements of ``out`` alone, and ``beta`` and
``threshold`` may be arrays that broadcast with ``x``.  float16, float32 and
float64 are kept; booleans and integers give float64.  Complex, non-numeric
and other floating inputs raise ``TypeError``.  NaN gives NaN, infinities
give the limits, no floating-point warning is raised, and the input is never
modified.

Every result is correctly rounded: the float nearest the exact value (ties to
even), so within 0.5 ULP, and the same bits on every machine and every path.
The compiled ufuncs (softlearn/_kernels.c) and the NumPy path used where no
compiler was available (softlearn/_numpy_path.py) both follow Ziv's strategy:
a fast approximation with a proven error bound, a rounding test, and exact
arithmetic for the few inputs the test cannot decide (softlearn/_exact.py).
``relu`` and ``relu_grad`` are exact by construction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from softlearn import _numpy_path
from softlearn._checks import as_real_array, check_beta, check_dtype, check_out, check_threshold
from softlearn._docstrings import fill
from softlearn._kernel_table import KERNELS
from softlearn._native import kernels

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "relu",
    "relu_grad",
    "sigmoid",
    "softplus",
    "softplus_grad",
    "softplus_inverse",
    "softsign",
    "softsign_grad",
    "tanh",
    "tanh_grad",
]


# --- softsign


@fill
def softsign(x: ArrayLike, *, out: NDArray[Any] | None = None, where: ArrayLike = True) -> Any:
    r"""Softsign, an odd squashing function with polynomial tails.

    .. math::

        \operatorname{softsign}(x) = \frac{x}{1 + |x|}

    The range is the open interval :math:`(-1, 1)`; ``softsign(±inf)`` is
    ``±1``, its limit (PyTorch and TensorFlow return NaN there), and
    ``softsign(-0.0)`` is ``-0.0``.

    $SHAPE

    Args:
        x: input array-like.
        $OUT_WHERE

    Returns:
        ``x / (1 + |x|)``, in the dtype of ``x`` (float64 for integers).

    Example:
        >>> import numpy as np
        >>> from softlearn import softsign
        >>> softsign(np.array([-1.5, 9.0, 11.0], dtype=np.float32))
        array([-0.6      ,  0.9      ,  0.9166667], dtype=float32)
        >>> softsign([-np.inf, -0.0, np.inf])
        array([-1., -0.,  1.])
    """
    return _apply("softsign", x, out=out, where=where)


@fill
def softsign_grad(x: ArrayLike, *, out: NDArray[Any] | None = None, where: ArrayLike = True) -> Any:
    r"""Derivative of :func:`softsign`.

    .. math::

        \operatorname{softsign}'(x) = \frac{1}{(1 + |x|)^2}

    It equals 1 at :math:`x = 0`: softsign is differentiable there although
    :math:`|x|` is not.  Computed as :math:`r^2` with :math:`r = 1/(1+|x|)`,
    which keeps every digit for large :math:`|x|`, where the autograd of
    ``x / (1 + |x|)`` cancels to nothing.

    $SHAPE

    Args:
        x: input array-like.
        $OUT_WHERE

    Returns:
        ``1 / (1 + |x|)**2``, in the dtype of ``x`` (float64 for integers).

    Example:
        >>> import numpy as np
        >>> from softlearn import softsign_grad
        >>> softsign_grad(np.array([-3.0, 0.0, 1.0, 1e8]))
        array([6.2500000e-02, 1.0000000e+00, 2.5000000e-01, 9.9999998e-17])
    """
    return _apply("softsign_grad", x, out=out, where=where)


# --- softplus


@fill
def softplus(
    x: ArrayLike,
    beta: ArrayLike = 1.0,
    threshold: ArrayLike | None = None,
    *,
    out: NDArray[Any] | None = None,
    where: ArrayLike = True,
) -> Any:
    r"""Softplus, a smooth version of ReLU.

    .. math::

        \operatorname{softplus}(x) = \frac{1}{\beta}\log\bigl(1 + e^{\beta x}\bigr)

    It is evaluated as :math:`\max(x, 0) + \log(1 + e^{-\beta |x|})/\beta`,
    which never overflows and keeps every digit of :math:`e^{\beta x}` for
    very negative :math:`x`.  ``softplus(inf)`` is ``inf`` and
    ``softplus(-inf)`` is ``0``.

    Args:
        x: input array-like.
        beta: sharpness, a finite number > 0, or an array of them that
            broadcasts with ``x``.  The curve is the ReLU kink
            rounded off over a width of about :math:`1/\beta`; as
            :math:`\beta \to \infty` it tends to ``max(x, 0)``.
        threshold: ``None`` (the default): the correctly rounded value
            everywhere.  A number (or an array that broadcasts with ``x``)
            reproduces the cut-off of ``torch.nn.Softplus``: where ``beta * x >
            threshold`` (rounded in the dtype of ``x``, as PyTorch does) the
            result is ``x`` itself, which is off by about
            :math:`e^{-\text{threshold}}/\beta`; use it only for parity.
            Below the cut the result stays correctly rounded and PyTorch's
            is not, so the two can still differ in the last bit there.
        $OUT_WHERE

    $SHAPE

    Returns:
        Softplus of ``x``, in the dtype of ``x`` (float64 for integers).

    Raises:
        ValueError: if ``beta`` is not finite and positive, or ``threshold``
            is not finite.

    Example:
        >>> import numpy as np
        >>> from softlearn import softplus
        >>> softplus(np.array([-2.0, 0.0, 5.0]))
        array([0.12692801, 0.69314718, 5.00671535])
        >>> softplus(np.array([-1000.0, 1000.0]))
        array([   0., 1000.])
        >>> print(softplus(20.5), softplus(20.5, threshold=20.0))
        20.500000001250154 20.5
    """
    return _apply("softplus", x, beta, threshold, out=out, where=where)


@fill
def softplus_grad(
    x: ArrayLike,
    beta: ArrayLike = 1.0,
    threshold: ArrayLike | None = None,
    *,
    out: NDArray[Any] | None = None,
    where: ArrayLike = True,
) -> Any:
    r"""Derivative of :func:`softplus` with respect to ``x``: the logistic sigmoid.

    .. math::

        \frac{d}{dx}\operatorname{softplus}(x) = \sigma(\beta x)
        = \frac{1}{1 + e^{-\beta x}}

    Args:
        x: input array-like.
        beta: as in :func:`softplus`.
        threshold: as in :func:`softplus`; where ``beta * x > threshold`` the
            derivative is 1, the slope of PyTorch's linear branch.
        $OUT_WHERE

    $SHAPE

    Returns:
        ``sigmoid(beta * x)``, in the dtype of ``x`` (float64 for integers).

    Raises:
        ValueError: if ``beta`` is not finite and positive, or ``threshold``
            is not finite.

    Example:
        >>> import numpy as np
        >>> from softlearn import softplus_grad
        >>> softplus_grad(np.array([-20.0, 0.0, 1.2]))
        array([2.06115362e-09, 5.00000000e-01, 7.68524783e-01])
    """
    return _apply("softplus_grad", x, beta, threshold, out=out, where=where)


@fill
def softplus_inverse(
    y: ArrayLike,
    beta: ArrayLike = 1.0,
    *,
    out: NDArray[Any] | None = None,
    where: ArrayLike = True,
) -> Any:
    r"""Inverse of :func:`softplus`: the ``x`` with ``softplus(x, beta) == y``.

    .. math::

        \operatorname{softplus}^{-1}(y) = \frac{1}{\beta}\log\bigl(e^{\beta y} - 1\bigr)

    Evaluated as :math:`\log(\operatorname{expm1}(\beta y))/\beta` for
    :math:`\beta y < 0.35`, as
    :math:`\operatorname{log1p}(2\operatorname{expm1}(\beta y - \log 2))/\beta`
    around the zero of the inverse at :math:`\beta y = \log 2` (up to 1.25),
    and as :math:`y + \log(1 - e^{-\beta y})/\beta` above, so it neither
    overflows nor cancels.  Softplus only takes
    positive values: ``y = 0`` gives ``-inf`` and ``y < 0`` gives NaN, as
    ``np.log`` does (without its warning).  Useful to initialise a parameter
    that a model passes through softplus to keep it positive.

    Args:
        y: input array-like, values of softplus.
        beta: as in :func:`softplus`.
        $OUT_WHERE

    $SHAPE

    Returns:
        The inverse softplus of ``y``, in the dtype of ``y`` (float64 for
        integers).

    Raises:
        ValueError: if ``beta`` is not finite and positive.

    Example:
        >>> import numpy as np
        >>> from softlearn import softplus, softplus_inverse
        >>> softplus_inverse(np.array([0.0, 1.0, 5.0]))
        array([      -inf, 0.54132485, 4.99323925])
        >>> x = np.array([-30.0, 0.5, 40.0])
        >>> bool(np.all(softplus_inverse(softplus(x)) == x))
        True
    """
    return _apply("softplus_inverse", y, beta, out=out, where=where)


# --- sigmoid


@fill
def sigmoid(x: ArrayLike, *, out: NDArray[Any] | None = None, where: ArrayLike = True) -> Any:
    r"""The logistic sigmoid, the derivative of :func:`softplus`.

    .. math::

        \sigma(x) = \frac{1}{1 + e^{-x}}

    Evaluated with :math:`e^{-|x|}` only, so it never overflows, and as
    :math:`e^{x}/(1+e^{x})` for negative :math:`x`, so tiny results keep
    their digits.  The range is :math:`(0, 1)`.

    $SHAPE

    Args:
        x: input array-like.
        $OUT_WHERE

    Returns:
        ``1 / (1 + exp(-x))``, in the dtype of ``x`` (float64 for integers).

    Example:
        >>> import numpy as np
        >>> from softlearn import sigmoid
        >>> sigmoid(np.array([-700.0, 0.0, 2.0]))
        array([9.85967654e-305, 5.00000000e-001, 8.80797078e-001])
    """
    return _apply("softplus_grad", x, 1.0, out=out, where=where, name="sigmoid")


# --- the comparison functions


@fill
def relu(x: ArrayLike, *, out: NDArray[Any] | None = None, where: ArrayLike = True) -> Any:
    r"""Rectified linear unit, the baseline softplus smooths.

    .. math::

        \operatorname{relu}(x) = \max(x, 0)

    $SHAPE

    Args:
        x: input array-like.
        $OUT_WHERE

    Returns:
        ``max(x, 0)``, in the dtype of ``x`` (float64 for integers); NaN stays NaN.

    Example:
        >>> from softlearn import relu
        >>> relu([-2.0, 0.0, 5.0])
        array([0., 0., 5.])
    """
    arr, dtype = as_real_array(x, "relu")
    check_out(out, dtype, "relu")
    return np.maximum(arr, dtype.type(0), out=out, where=where, dtype=dtype)


@fill
def relu_grad(x: ArrayLike, *, out: NDArray[Any] | None = None, where: ArrayLike = True) -> Any:
    r"""Derivative of :func:`relu`, taken as 0 at 0 (PyTorch's convention).

    .. math::

        \operatorname{relu}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    $SHAPE

    Args:
        x: input array-like.
        $OUT_WHERE

    Returns:
        1 where ``x > 0``, else 0, in the dtype of ``x`` (float64 for
        integers); NaN stays NaN.

    Example:
        >>> from softlearn import relu_grad
        >>> relu_grad([-2.0, 0.0, 5.0])
        array([0., 0., 1.])
    """
    arr, dtype = as_real_array(x, "relu_grad")
    check_out(out, dtype, "relu_grad")
    # Three SIMD passes of NumPy's instead of np.heaviside's scalar loop, which
    # took 15 times as long as relu: together they cost less than one relu while
    # the data fit in cache.  clip keeps NaN and puts every x > 0 in (0, 1],
    # ceil makes that 1, and adding +0 turns the -0 that clip may return for
    # x = -0 into +0.  The default where=True stays a Python bool: a where
    # *array*, even a 0-d True, sends every pass to NumPy's masked loop,
    # several times slower.
    zero, one = dtype.type(0), dtype.type(1)
    mask: Any = True if where is True else np.asarray(where, dtype=bool)
    y = np.empty(arr.shape, dtype) if out is None else out
    np.clip(arr, zero, one, out=y, where=mask, dtype=dtype)
    np.ceil(y, out=y, where=mask)
    np.add(y, zero, out=y, where=mask)
    return y if out is not None or y.ndim else y[()]


@fill
def tanh(x: ArrayLike, *, out: NDArray[Any] | None = None, where: ArrayLike = True) -> Any:
    r"""Hyperbolic tangent, the function softsign is compared with.

    .. math::

        \tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}

    $SHAPE

    Args:
        x: input array-like.
        $OUT_WHERE

    Returns:
        ``tanh(x)``, in the dtype of ``x`` (float64 for integers).

    Example:
        >>> from softlearn import tanh
        >>> tanh([-1.5, 0.0, 9.0])
        array([-0.90514825,  0.        ,  0.99999997])
    """
    return _apply("tanh", x, out=out, where=where)


@fill
def tanh_grad(x: ArrayLike, *, out: NDArray[Any] | None = None, where: ArrayLike = True) -> Any:
    r"""Derivative of :func:`tanh`.

    .. math::

        \tanh'(x) = 1 - \tanh^2(x) = \frac{4 e^{-2|x|}}{\bigl(1 + e^{-2|x|}\bigr)^2}

    The right-hand form is the one evaluated: :math:`1 - \tanh^2` cancels to
    0 in the tails, where the derivative is tiny but not zero.

    $SHAPE

    Args:
        x: input array-like.
        $OUT_WHERE

    Returns:
        ``1 - tanh(x)**2``, in the dtype of ``x`` (float64 for integers).

    Example:
        >>> from softlearn import tanh_grad
        >>> tanh_grad([0.0, 1.0, 30.0])
        array([1.00000000e+00, 4.19974342e-01, 3.50260431e-26])
    """
    return _apply("tanh_grad", x, out=out, where=where)


# --- the one way in


def _apply(
    function: str,
    x: ArrayLike,
    beta: Any = None,
    threshold: Any = None,
    *,
    out: NDArray[Any] | None,
    where: ArrayLike,
    name: str | None = None,
) -> Any:
    """``function`` through the compiled ufunc, or the NumPy path where none was built."""
    name = name or function
    arr, dtype = as_real_array(x, name)
    check_dtype(dtype, name)
    check_out(out, dtype, name)
    params = KERNELS[function].params
    b = check_beta(beta) if "beta" in params else None
    t = check_threshold(threshold)
    module = kernels()
    if module is None:
        return _numpy_path.evaluate(function, arr, dtype, 1.0 if b is None else b, t, out, where)
    values = {"beta": b, "threshold": np.inf if t is None else t}
    args = [values[p] for p in params]
    signature = (dtype, *[np.dtype(np.float64)] * len(args), dtype)
    return getattr(module, function)(arr, *args, out=out, where=where, signature=signature)
