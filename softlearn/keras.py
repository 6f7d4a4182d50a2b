r"""Softsign and Softplus for Keras 3, on the TensorFlow, JAX and PyTorch backends.

:func:`softsign` and :func:`softplus` are activations to pass as
``activation=`` to any Keras layer; :class:`Softsign` and :class:`Softplus`
are layers (the latter with ``beta``).  All are registered as serializable
under the package name ``softlearn``: a model that uses them saves to
``.keras`` and loads back, in any process that has imported
``softlearn.keras``, with identical outputs.

**How they are computed.** On TensorFlow and JAX they are ``keras.ops`` code:
the formulas of ``softlearn._definitions.DEFINITIONS`` (the record that the
NumPy and PyTorch code read too), evaluated in float64 whatever the input's
dtype, and rounded once to that dtype.  On JAX, float64 is switched on for
that evaluation alone (``jax.enable_x64``); a float64 *input* exists only
where x64 is enabled globally.  Being native code, they compile with XLA
(``jit_compile=True``, ``jax.jit``; the device needs float64, which TPUs
lack), and a SavedModel written by
``model.export()`` runs in a process that has never imported softlearn.
Gradients are analytic (``keras.ops.custom_gradient``; on JAX a
``jax.custom_jvp``, so forward mode works too): the first, second
and third derivatives are the formulas themselves, so nested tapes and
``jax.grad(jax.grad(f))`` get the second derivative's formula; higher orders
are autodiff of the third's.  Softsign's gradient is :math:`1/(1+|x|)^2`,
not the autodiff of :math:`x/(1+|x|)`, which cancels for large :math:`|x|`.
On the PyTorch backend a Keras tensor is a ``torch.Tensor``, and these
functions are :mod:`softlearn.torch`'s, with its guarantees.

**Accuracy** on TensorFlow and JAX of the value and of the first and second
derivatives, against mpmath (measured on every float16 and bfloat16 number,
and on 440,000 float32 and 440,000 float64 inputs: 400,001 evenly spaced on
[-110, 110], [-750, 750] for float64, and 40,000 magnitudes log-spaced from
the smallest subnormal to the largest finite number; ``beta`` 1 and 3; eager
and XLA-compiled):

- float16, bfloat16 and float32: within 1 ULP (the largest error measured is
  0.5001 ULP): the formula's rounding errors in float64, then one rounding;
- float64: the formula's own rounding errors: within 4 ULP for the value and
  the first derivative (largest measured: 3.42 ULP, softsign's derivative),
  within 5 ULP for the second derivative (largest: 4.89 ULP, softsign's).

Third derivatives are their formulas' too, with no bound stated here.

**Subnormal numbers.** TensorFlow's CPU kernels and XLA on the CPU run with
the processor's flush-to-zero and denormals-are-zero modes.  So, in
bfloat16, float32 and float64 (float16's subnormals are normal float32
numbers, and are kept):

- a result smaller than the smallest normal number, :math:`2^{-126}` in
  bfloat16 and float32 and :math:`2^{-1022}` in float64, is 0.  Softplus
  (``beta`` = 1) and its derivatives are 0 for :math:`x \le -87.33655` in
  float32 and bfloat16 (the exact softplus crosses :math:`2^{-126}` at
  :math:`x = -87.3365448`) and for :math:`x < -708.3964185` in float64;
  softsign's derivative for :math:`|x| > 2^{63}` in float32 and
  :math:`|x| > 2^{511}` in float64, its second derivative for
  :math:`|x| > 5.5412 \times 10^{12}` in float32;
- in float64, a result is also 0 where an intermediate of its formula is
  subnormal, though the result is not: softsign's second derivative for
  :math:`|x| > 3.5554 \times 10^{102}`, where :math:`(1+|x|)^{-3} <
  2^{-1022}` (the results lost are below :math:`2 \cdot 2^{-1022}`), and
  softplus with :math:`\beta \ne 1` where :math:`\beta |x| > 708.3964`
  (results below :math:`\max(\beta, 1/\beta) \cdot 2^{-1022}`);
- a subnormal input is read as 0: softsign gives 0 (with the input's sign)
  instead of :math:`x`, and its second derivative 0 instead of
  :math:`-2 \operatorname{sign}(x)`.

Keras' own activations flush the same way.  On the PyTorch backend nothing
is flushed.

**Cost.** Each operation of a formula is a kernel of its own over float64
numbers in eager TensorFlow, and XLA fuses them when compiling, so these
activations cost several times ``keras.activations``' own in eager mode and
less compiled: ``python -m softlearn.benchmarks.adapters`` measures the
ratios.  Float32 inputs are computed in float64 because that is the cheaper
way to keep the bounds: a float32 Softsign that keeps them (float32
divisions corrected by error-free transformations) takes about four times
the operations and measured slower on every backend;
``tools/keras_float32.py`` in the repository holds it and the measurement.

Importing this module imports Keras and, with it, the backend's framework;
``import softlearn`` alone does not.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import ops

from softlearn._checks import check_beta
from softlearn._definitions import DEFINITIONS, Formula
from softlearn._docstrings import fill
from softlearn._formulas import namespace, two_product_error

__all__ = ["Softplus", "Softsign", "softplus", "softsign"]

Function = Callable[[Any], Any]  # tensor -> tensor of the same shape and dtype

#: The stated error bound in ULPs of the value and the first and second
#: derivatives, by dtype, on TensorFlow and JAX (results flushed to zero
#: aside; on PyTorch, softlearn.torch's bounds hold).  tests/test_keras*.py
#: check them on every backend.
ULPS = {
    "float16": (1.0, 1.0, 1.0),
    "bfloat16": (1.0, 1.0, 1.0),
    "float32": (1.0, 1.0, 1.0),
    "float64": (4.0, 4.0, 5.0),
}

#: The dtype the formulas run in, whatever the input's: 29 bits more than
#: float32's significand, so one rounding to float32 or narrower is all that shows.
WORKING_DTYPE = "float64"


def _product_error(a: Any, b: float, p: Any) -> Any:
    # The formulas run in float64, whose Veltkamp split is 2**27 + 1.
    return two_product_error(a, ops.full_like(a, b), p, KERAS, 2.0**27 + 1)


#: The element-wise ops of softlearn._formulas, in ``keras.ops``.
KERAS = namespace(ops, lambda x: ops.maximum(x, 0.0), _product_error)


def _working_precision() -> contextlib.AbstractContextManager[Any]:
    """A context in which float64 tensors exist: JAX has them only with x64 enabled."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.enable_x64(True)  # type: ignore[no-any-return]
    return contextlib.nullcontext()


def _evaluate(formula: Formula, beta: float, x: Any) -> Any:
    """``formula`` at ``x``, computed in float64 and rounded once to ``x``'s dtype."""
    dtype = keras.backend.standardize_dtype(x.dtype)
    with _working_precision():
        y = formula(ops.cast(x, WORKING_DTYPE), beta, KERAS)
        return ops.cast(y, dtype)


def _chain(formulas: Sequence[Formula], beta: float) -> Function:
    """``formulas[0]`` as a function whose gradient is the chain of ``formulas[1:]``.

    Each derivative is itself a custom-gradient function, so derivatives of
    every order up to ``len(formulas) - 1`` are the analytic formulas; the
    last formula's own derivative is left to autodiff.
    """
    formula, *rest = formulas
    if not rest:
        return lambda x: _evaluate(formula, beta, x)
    derivative = _chain(rest, beta)
    if keras.backend.backend() == "jax":
        return _jax_chain(formula, derivative, beta)

    def fn(x: Any) -> tuple[Any, Callable[..., Any]]:
        # TensorFlow and JAX pass the upstream gradient positionally.
        def grad(*args: Any, upstream: Any = None) -> Any:
            dy = args[0] if upstream is None else upstream
            return dy * derivative(x)

        return _evaluate(formula, beta, x), grad

    with_gradient: Function = ops.custom_gradient(fn)
    return with_gradient


def _jax_chain(formula: Formula, derivative: Function, beta: float) -> Function:
    """``_chain`` on JAX, with a JVP rule: JAX transposes it for reverse mode.

    ``keras.ops.custom_gradient`` is ``jax.custom_vjp`` on JAX, which has no
    forward mode: ``jax.jvp``, ``jax.jacfwd`` and ``jax.hessian`` would fail.
    """
    import jax

    @jax.custom_jvp
    def fn(x: Any) -> Any:
        return _evaluate(formula, beta, x)

    @fn.defjvp
    def jvp(primals: tuple[Any], tangents: tuple[Any]) -> tuple[Any, Any]:
        (x,), (t,) = primals, tangents
        return fn(x), t * derivative(x)

    with_jvp: Function = fn
    return with_jvp


@functools.cache
def _function(name: str, beta: float) -> Function:
    """The activation ``name`` for the active backend, built once per ``beta``."""
    if keras.backend.backend() == "torch":
        return _torch_function(name, beta)
    d = DEFINITIONS[name]
    return _chain((d.value, d.grad, d.grad2, d.grad3), beta)


def _torch_function(name: str, beta: float) -> Function:
    """softlearn.torch's function: on the PyTorch backend, Keras tensors are torch tensors."""
    import softlearn.torch as st

    if name == "softsign":
        return st.softsign
    return functools.partial(st.softplus, beta=beta)


def _apply(name: str, beta: float, x: Any) -> Any:
    x = ops.convert_to_tensor(x)
    dtype = keras.backend.standardize_dtype(x.dtype)
    if not keras.backend.is_float_dtype(dtype):
        raise TypeError(
            f"{name}() takes a floating-point tensor; got dtype {dtype}. "
            'Cast it first, for example with keras.ops.cast(x, "float32").'
        )
    return _function(name, beta)(x)


def _check_beta(beta: Any) -> float:
    b = check_beta(beta)
    if not isinstance(b, float):
        raise TypeError(f"beta must be a single number; got {type(beta).__name__}")
    return b


@keras.saving.register_keras_serializable(package="softlearn", name="softsign")
@fill
def softsign(x: Any) -> Any:
    r"""Softsign activation, :math:`x / (1 + |x|)`, with an analytic gradient.

    .. math::

        \text{softsign}(x) = \frac{x}{1 + |x|}, \qquad
        \text{softsign}'(x) = \frac{1}{(1 + |x|)^2}

    Use it as ``keras.layers.Dense(8, activation=softlearn.keras.softsign)``.
    Unlike ``keras.activations.softsign``, ``softsign(±inf)`` is ``±1`` and the
    gradient keeps its digits for large :math:`|x|`.  Called on a symbolic
    ``keras.Input`` (the functional API), it adds a :class:`Softsign` layer.

    $KERAS_TENSOR

    Example:
        >>> import keras
        >>> from softlearn.keras import softsign
        >>> x = keras.ops.convert_to_tensor([-1.5, 9.0, 11.0, float("inf")])
        >>> keras.ops.convert_to_numpy(softsign(x))
        array([-0.6      ,  0.9      ,  0.9166667,  1.       ], dtype=float32)
    """
    if isinstance(x, keras.KerasTensor):  # the functional API: one layer of the graph
        return Softsign(dtype=x.dtype)(x)
    return _apply("softsign", 1.0, x)


@keras.saving.register_keras_serializable(package="softlearn", name="softplus")
@fill
def softplus(x: Any) -> Any:
    r"""Softplus activation, :math:`\log(1 + e^{x})`, with an analytic gradient.

    .. math::

        \text{softplus}(x) = \log\bigl(1 + e^{x}\bigr), \qquad
        \text{softplus}'(x) = \frac{1}{1 + e^{-x}}

    Use it as ``keras.layers.Dense(8, activation=softlearn.keras.softplus)``;
    for a ``beta`` other than 1, use the :class:`Softplus` layer.  Called on a
    symbolic ``keras.Input`` (the functional API), it adds such a layer.

    $KERAS_TENSOR

    Example:
        >>> import tensorflow as tf
        >>> from softlearn.keras import softplus
        >>> x = tf.constant([-20.0, 0.0, 5.0])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = softplus(x)
        >>> print(y.numpy(), tape.gradient(y, x).numpy(), sep="\n")
        [2.0611537e-09 6.9314718e-01 5.0067153e+00]
        [2.0611537e-09 5.0000000e-01 9.9330717e-01]
    """
    if isinstance(x, keras.KerasTensor):
        return Softplus(dtype=x.dtype)(x)
    return _apply("softplus", 1.0, x)


@keras.saving.register_keras_serializable(package="softlearn")
@fill
class Softsign(keras.layers.Layer):  # type: ignore[misc]
    r"""Applies Softsign element-wise: :math:`\text{Softsign}(x) = x / (1 + |x|)`.

    The layer form of :func:`softsign`, with the same guarantees.  Like every
    Keras layer, it casts its input to its own dtype (float32 unless
    ``dtype=`` says otherwise).

    Args:
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    $KERAS_SHAPE

    Example:
        >>> import keras
        >>> from softlearn.keras import Softsign
        >>> layer = Softsign()
        >>> keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor([-1.5, 9.0, 11.0])))
        array([-0.6      ,  0.9      ,  0.9166667], dtype=float32)
    """

    def call(self, inputs: Any) -> Any:
        return _apply("softsign", 1.0, inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


@keras.saving.register_keras_serializable(package="softlearn")
@fill
class Softplus(keras.layers.Layer):  # type: ignore[misc]
    r"""Applies Softplus element-wise, with sharpness ``beta``.

    .. math::

        \text{Softplus}(x) = \frac{1}{\beta} \log\bigl(1 + e^{\beta x}\bigr)

    The layer form of :func:`softplus`, with the same guarantees for every
    ``beta``.  Like every Keras layer, it casts its input to its own dtype
    (float32 unless ``dtype=`` says otherwise).

    Args:
        beta: sharpness, a finite number > 0 (default 1).  Larger values bend
            the curve more tightly around the ReLU kink.
        **kwargs: passed to ``keras.layers.Layer`` (``name``, ``dtype``, ...).

    $KERAS_SHAPE

    Raises:
        ValueError: if ``beta`` is not finite and positive.
        TypeError: if ``beta`` is not a single real number.

    Example:
        >>> import keras
        >>> from softlearn.keras import Softplus
        >>> layer = Softplus(beta=2.0)
        >>> x = keras.ops.convert_to_tensor([-2.0, 0.0, 2.0])
        >>> keras.ops.convert_to_numpy(layer(x))
        array([0.00907496, 0.3465736 , 2.009075  ], dtype=float32)
        >>> layer.get_config()["beta"]
        2.0
    """

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta = _check_beta(beta)

    def call(self, inputs: Any) -> Any:
        return _apply("softplus", self.beta, inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta": self.beta}
