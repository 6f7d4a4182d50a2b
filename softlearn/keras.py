r"""Softsign and Softplus for Keras (TensorFlow backend), with exact gradients.

:func:`softsign` and :func:`softplus` are activations to pass as
``activation=`` to any Keras layer; :class:`Softsign` and :class:`Softplus`
are layers (the latter with ``beta``).  All are registered as serializable
under the package name ``softlearn``: a model that uses them saves to
``.keras`` and loads back, in any process that has imported
``softlearn.keras``, with identical outputs.

Values and first derivatives are softlearn's NumPy functions themselves
(through ``tf.numpy_function``), so they are correctly rounded in float16,
float32 and float64 (bfloat16 goes through float32, within 1 ULP); second
derivatives are the formulas of softlearn._formulas, within a few ULP.  The
gradient's product with the incoming gradient is taken in NumPy too:
TensorFlow's CPU kernels flush subnormal numbers to zero, and a TensorFlow
multiplication would turn a tiny but exact gradient into 0.

The price of running NumPy inside the graph: these activations cannot be
compiled by XLA, so a model that uses them trains with ``jit_compile=False``
(Keras' default on the CPU), and they run on the CPU.

Importing this module imports TensorFlow and Keras; ``import softlearn``
alone does not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from softlearn import _formulas as f
from softlearn import functions as sl
from softlearn._arrays import check_beta, evaluate

__all__ = ["Softplus", "Softsign", "softplus", "softsign"]

NumpyKernel = Callable[[np.ndarray], np.ndarray]  # x in the working dtype -> value


def _as_float_tensor(x: Any, name: str) -> tf.Tensor:
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise TypeError(
            f"{name}() takes a floating-point tensor; got dtype {x.dtype.name}. "
            "Cast it first, for example with tf.cast(x, tf.float32)."
        )
    return x


def _numpy_op(fn: Callable[..., np.ndarray], *tensors: tf.Tensor) -> tf.Tensor:
    """``fn`` on the tensors' NumPy values, as a tensor like the first one.

    NumPy has no bfloat16 of its own: bfloat16 values are widened to float32
    (exactly) and the float32 result, correctly rounded, is rounded again to
    bfloat16, which stays within 1 ULP.  Both conversions happen in NumPy,
    where no subnormal is flushed.
    """
    dtype = tensors[0].dtype
    if dtype == tf.bfloat16:
        bf16 = dtype.as_numpy_dtype

        def run(*arrays: np.ndarray) -> np.ndarray:
            wide = [a.astype(np.float32) for a in arrays]
            return np.asarray(fn(*wide)).astype(bf16)

    else:
        run = fn
    y = tf.numpy_function(run, list(tensors), dtype, stateful=False)
    y.set_shape(tensors[0].shape)
    return y


def _core(kernel: NumpyKernel) -> Callable[[np.ndarray], np.ndarray]:
    """A formula of softlearn._formulas over a whole array (the second derivatives)."""
    return lambda a: np.asarray(evaluate(kernel, a, a.dtype))


def _activation(
    name: str,
    value_np: NumpyKernel,
    first_np: NumpyKernel,
    second: NumpyKernel,
) -> Callable[[Any], tf.Tensor]:
    """An element-wise function with exact first and second derivatives.

    ``value_np`` and ``first_np`` are softlearn's correctly rounded functions;
    ``second`` is the formula of the second derivative.
    """
    second_np = _core(second)

    @tf.custom_gradient
    def times_first(dy: tf.Tensor, x: tf.Tensor) -> Any:
        # dy * f'(x), rounded once, in NumPy: see the module docstring.
        out = _numpy_op(lambda d, v: (d * first_np(v)).astype(d.dtype), dy, x)

        def grad(g: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return g * _numpy_op(first_np, x), g * dy * _numpy_op(second_np, x)

        return out, grad

    @tf.custom_gradient
    def fn(x: tf.Tensor) -> Any:
        def grad(dy: tf.Tensor) -> tf.Tensor:
            return times_first(dy, x)

        return _numpy_op(value_np, x), grad

    def call(x: Any) -> tf.Tensor:
        return fn(_as_float_tensor(x, name))

    return call


_NP = f.NUMPY
_softsign = _activation(
    "softsign",
    lambda z: np.asarray(sl.softsign(z)),
    lambda z: np.asarray(sl.softsign_grad(z)),
    lambda z: f.softsign_grad2(z, _NP),
)
_softplus_by_beta: dict[float, Callable[[Any], tf.Tensor]] = {}


def _softplus_fn(beta: float) -> Callable[[Any], tf.Tensor]:
    if beta not in _softplus_by_beta:
        _softplus_by_beta[beta] = _activation(
            "softplus",
            lambda z: np.asarray(sl.softplus(z, beta)),
            lambda z: np.asarray(sl.softplus_grad(z, beta)),
            lambda z: f.sigmoid_grad(z, beta, _NP),
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
