r"""Each activation described once: formulas, kernels, LaTeX and range.

A :class:`Definition` is everything softlearn knows about one activation.
Every other module reads it from :data:`DEFINITIONS`:

- ``softlearn.functions`` has :attr:`~Definition.function` and
  :attr:`~Definition.grad_function`, the correctly rounded functions, whose
  records (parameters, formulas for the NumPy and exact paths, limits) are in
  ``softlearn/_kernel_table.py``;
- ``softlearn.torch`` registers the kernels as PyTorch operators for the CPU
  and writes the formulas in torch ops for other devices, with
  :attr:`~Definition.grad2` as the second derivative;
- ``softlearn.keras`` writes all four formulas in ``keras.ops``, up to the
  third derivative :attr:`~Definition.grad3`;
- ``softlearn.registry`` gives the book each activation's functions, LaTeX and
  range.

The formulas live in ``softlearn/_formulas.py`` and take ``(x, beta, xp)``:
``xp`` is the namespace of element-wise ops (NumPy's, torch's or Keras'),
``beta`` is ignored by the activations that have none.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any, NamedTuple

from softlearn import _formulas as f

Formula = Callable[[Any, Any, Any], Any]  # (x, beta, xp) -> array, in x's dtype


class Definition(NamedTuple):
    name: str
    value: Formula
    grad: Formula
    grad2: Formula
    grad3: Formula
    function: str
    """The softlearn.functions function that computes the value, correctly rounded."""
    grad_function: str
    """The one that computes the first derivative."""
    has_beta: bool
    """Whether the function takes ``beta`` and ``threshold`` (PyTorch's Softplus parameters)."""
    latex: str
    """The function in LaTeX, without math delimiters."""
    grad_latex: str
    """Its derivative in LaTeX."""
    range: tuple[float, float]
    """Infimum and supremum of the values (ReLU attains its 0, the others neither)."""


def _without_beta(formula: Callable[[Any, Any], Any]) -> Formula:
    """A formula ``(x, xp)`` of an activation without beta, as a :data:`Formula`."""
    return lambda x, beta, xp: formula(x, xp)


def _zero(x: Any, beta: Any, xp: Any) -> Any:
    return 0 * xp.sign(x)  # 0 in x's dtype, infinities included; NaN stays NaN


_ALL = (
    Definition(
        name="softsign",
        value=_without_beta(f.softsign),
        grad=_without_beta(f.softsign_grad),
        grad2=_without_beta(f.softsign_grad2),
        grad3=_without_beta(f.softsign_grad3),
        function="softsign",
        grad_function="softsign_grad",
        has_beta=False,
        latex=r"\frac{x}{1 + |x|}",
        grad_latex=r"\frac{1}{(1 + |x|)^2}",
        range=(-1.0, 1.0),
    ),
    Definition(
        name="softplus",
        value=f.softplus,
        grad=f.sigmoid,
        grad2=f.softplus_grad2,
        grad3=f.softplus_grad3,
        function="softplus",
        grad_function="softplus_grad",
        has_beta=True,
        latex=r"\log\left(1 + e^{x}\right)",
        grad_latex=r"\frac{1}{1 + e^{-x}}",
        range=(0.0, float("inf")),
    ),
    Definition(
        name="relu",
        value=lambda x, b, xp: xp.relu(x),
        grad=_without_beta(f.relu_grad),
        grad2=_zero,
        grad3=_zero,
        function="relu",
        grad_function="relu_grad",
        has_beta=False,
        latex=r"\max(x, 0)",
        grad_latex=r"\begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        range=(0.0, float("inf")),
    ),
    Definition(
        name="tanh",
        value=lambda x, b, xp: xp.tanh(x),
        grad=_without_beta(f.tanh_grad),
        grad2=_without_beta(f.tanh_grad2),
        grad3=_without_beta(f.tanh_grad3),
        function="tanh",
        grad_function="tanh_grad",
        has_beta=False,
        latex=r"\tanh x",
        grad_latex=r"1 - \tanh^2 x",
        range=(-1.0, 1.0),
    ),
)

#: Every definition by name, in the order the book lists them.
DEFINITIONS = MappingProxyType({d.name: d for d in _ALL})


def function_names(*names: str) -> tuple[str, ...]:
    """The softlearn.functions names of the value and the derivative of each activation."""
    return tuple(f for n in names for f in (DEFINITIONS[n].function, DEFINITIONS[n].grad_function))
