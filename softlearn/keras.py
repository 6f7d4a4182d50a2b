r"""Softsign and Softplus for Keras (TensorFlow backend), with exact gradients.

:func:`softsign` and :func:`softplus` are activations to pass as
``activation=`` to any Keras layer; :class:`Softsign` and :class:`Softplus`
are layers (the latter with ``beta``).  All are registered as serializable
under the package name ``softlearn``: a model that uses them saves to
``.keras`` and loads back, in any process that has imported
``softlearn.keras``, with identical outputs.

Both the values and the gradients (a ``tf.custom_gradient``) run the formulas
of :mod:`softlearn._formulas`, the same code as the NumPy core: float16,
bfloat16 and float32 tensors are computed with TensorFlow operations in
float64 and rounded once, which puts them within 1 ULP of the exact value and
keeps them inside TensorFlow graphs and XLA.  float64 tensors go through the
NumPy core itself (``tf.numpy_function``, extended precision), so they are
within 1 ULP too, but cannot be compiled by XLA: train float64 models with
``jit_compile=False``.

One exception is TensorFlow's, not softlearn's: its CPU kernels flush
subnormal numbers to zero, so where the exact result (or gradient) is below
the smallest normal number of the dtype, TensorFlow hands back 0.

Importing this module imports TensorFlow and Keras; ``import softlearn``
alone does not.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from softlearn import _formulas as f
from softlearn._arrays import check_beta, evaluate

__all__ = ["Softplus", "Softsign", "softplus", "softsign"]

# The TensorFlow namespace for the shared formulas.  No two-product: in float64
# the product's rounding is 2**-53 relative, far below a float32 ULP.
_TF = SimpleNamespace(
    abs=tf.abs,
    exp=tf.exp,
    expm1=tf.math.expm1,
    log=tf.math.log,
    log1p=tf.math.log1p,
    sign=tf.sign,
    isinf=tf.math.is_inf,
    where=tf.where,
    relu=tf.nn.relu,
    product_error=lambda a, b, p: 0.0,
)

Formula = Callable[[Any, Any], Any]  # (x in a working dtype, namespace) -> y


def _as_float_tensor(x: Any, name: str) -> tf.Tensor:
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise TypeError(
            f"{name}() takes a floating-point tensor; got dtype {x.dtype.name}. "
            "Cast it first, for example with tf.cast(x, tf.float32)."
        )
    return x


def _apply(formula: Formula, x: tf.Tensor) -> tf.Tensor:
    """``formula`` on ``x``, rounded once to x's dtype."""
    if x.dtype == tf.float64:

        def on_numpy(a: np.ndarray) -> np.ndarray:
            return np.asarray(evaluate(lambda z: formula(z, f.NUMPY), a, a.dtype))

        y = tf.numpy_function(on_numpy, [x], tf.float64, stateful=False)
        y.set_shape(x.shape)
        return y
    return tf.cast(formula(tf.cast(x, tf.float64), _TF), x.dtype)


def _activation(name: str, value: Formula, derivative: Formula) -> Callable[[Any], tf.Tensor]:
    """An element-wise function of a tensor whose gradient is ``derivative``."""

    @tf.custom_gradient
    def fn(x: tf.Tensor) -> Any:
        def grad(dy: tf.Tensor) -> tf.Tensor:
            return dy * _apply(derivative, x)

        return _apply(value, x), grad

    def call(x: Any) -> tf.Tensor:
        return fn(_as_float_tensor(x, name))

    return call


_softsign = _activation("softsign", f.softsign, f.softsign_grad)
_softplus_by_beta: dict[float, Callable[[Any], tf.Tensor]] = {}


def _softplus_fn(beta: float) -> Callable[[Any], tf.Tensor]:
    if beta not in _softplus_by_beta:
        _softplus_by_beta[beta] = _activation(
            "softplus",
            lambda z, xp: f.softplus(z, beta, xp),
            lambda z, xp: f.sigmoid(z, beta, xp),
        )
    return _softplus_by_beta[beta]


@keras.saving.register_keras_serializable(package="softlearn", name="softsign")
def softsign(x: Any) -> tf.Tensor:
    r"""Softsign activation, :math:`x / (1 + |x|)`, exact, with an exact gradient.

    Use it as ``keras.layers.Dense(8, activation=softlearn.keras.softsign)``.
    Unlike ``keras.activations.softsign``, ``softsign(±inf)`` is ``±1`` and the
    gradient :math:`1/(1+|x|)^2` keeps its digits for large :math:`|x|`.

    Args:
        x: a floating-point tensor of any shape.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> import tensorflow as tf
        >>> from softlearn.keras import softsign
        >>> softsign(tf.constant([-1.5, 9.0, 11.0])).numpy()
        array([-0.6      ,  0.9      ,  0.9166667], dtype=float32)
    """
    return _softsign(x)


@keras.saving.register_keras_serializable(package="softlearn", name="softplus")
def softplus(x: Any) -> tf.Tensor:
    r"""Softplus activation, :math:`\log(1 + e^{x})`, exact, with an exact gradient.

    Use it as ``keras.layers.Dense(8, activation=softlearn.keras.softplus)``;
    for a ``beta`` other than 1, use the :class:`Softplus` layer.

    Args:
        x: a floating-point tensor of any shape.

    Returns:
        A tensor of the same shape and dtype.

    Example:
        >>> import tensorflow as tf
        >>> from softlearn.keras import softplus
        >>> x = tf.constant([-20.0, 0.0, 5.0])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = softplus(x)
        >>> y.numpy(), tape.gradient(y, x).numpy()
        (array([2.0611537e-09, 6.9314718e-01, 5.0067153e+00], dtype=float32), array([2.0611537e-09, 5.0000000e-01, 9.9330717e-01], dtype=float32))
    """  # noqa: E501
    return _softplus_fn(1.0)(x)


@keras.saving.register_keras_serializable(package="softlearn")
class Softsign(keras.layers.Layer):  # type: ignore[misc]
    r"""Softsign as a layer: :math:`x / (1 + |x|)`, exact, with an exact gradient.

    Shape:
        Input: any shape.  Output: the same shape.

    Example:
        >>> import tensorflow as tf
        >>> from softlearn.keras import Softsign
        >>> Softsign()(tf.constant([-1.5, 9.0, 11.0])).numpy()
        array([-0.6      ,  0.9      ,  0.9166667], dtype=float32)
    """

    def call(self, inputs: Any) -> tf.Tensor:
        return _softsign(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


@keras.saving.register_keras_serializable(package="softlearn")
class Softplus(keras.layers.Layer):  # type: ignore[misc]
    r"""Softplus as a layer, :math:`\log(1 + e^{\beta x})/\beta`, exact, with an exact gradient.

    Args:
        beta: sharpness, a finite number > 0 (default 1).
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    Shape:
        Input: any shape.  Output: the same shape.

    Raises:
        ValueError: if ``beta`` is not finite and positive.

    Example:
        >>> import tensorflow as tf
        >>> from softlearn.keras import Softplus
        >>> layer = Softplus(beta=2.0)
        >>> layer(tf.constant([-2.0, 0.0, 2.0])).numpy()
        array([0.00907496, 0.3465736 , 2.009075  ], dtype=float32)
        >>> layer.get_config()["beta"]
        2.0
    """

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta = check_beta(beta)
        self._fn = _softplus_fn(self.beta)

    def call(self, inputs: Any) -> tf.Tensor:
        return self._fn(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta": self.beta}
