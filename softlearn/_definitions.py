r"""Each activation described once: formulas, kernels, LaTeX and range.

A :class:`Definition` is everything softlearn knows about one activation.
Every other module reads it from :data:`DEFINITIONS`:

- ``softlearn.functions`` runs :attr:`~Definition.kernel` and
  :attr:`~Definition.grad_kernel`, the correctly rounded functions, whose
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
    kernel: str | None
    """The softlearn.functions function that computes the value, correctly rounded."""
    grad_kernel: str | None
    """The one that computes the first derivative."""
    has_beta: bool
    """Whether the function takes ``beta`` and ``threshold`` (PyTorch's Softplus parameters)."""
    latex: str
    """The function in LaTeX, without math delimiters."""
    grad_latex: str
    """Its derivative in LaTeX."""
    range: tuple[float, float]
    """Infimum and supremum of the values (ReLU attains its 0, the others neither)."""


def _zero(x: Any, beta: Any, xp: Any) -> Any:
    return 0 * xp.sign(x)  # 0 in x's dtype, infinities included; NaN stays NaN


_ALL = (
    Definition(
        "softsign",
        lambda x, b, xp: f.softsign(x, xp),
        lambda x, b, xp: f.softsign_grad(x, xp),
        lambda x, b, xp: f.softsign_grad2(x, xp),
        lambda x, b, xp: f.softsign_grad3(x, xp),
        "softsign",
        "softsign_grad",
        False,
        r"\frac{x}{1 + |x|}",
        r"\frac{1}{(1 + |x|)^2}",
        (-1.0, 1.0),
    ),
    Definition(
        "softplus",
        f.softplus,
        f.sigmoid,
        f.softplus_grad2,
        f.softplus_grad3,
        "softplus",
        "softplus_grad",
        True,
        r"\log\left(1 + e^{x}\right)",
        r"\frac{1}{1 + e^{-x}}",
        (0.0, float("inf")),
    ),
    Definition(
        "relu",
        lambda x, b, xp: xp.relu(x),
        lambda x, b, xp: f.relu_grad(x, xp),
        _zero,
        _zero,
        "relu",
        "relu_grad",
        False,
        r"\max(x, 0)",
        r"\begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        (0.0, float("inf")),
    ),
    Definition(
        "tanh",
        lambda x, b, xp: xp.tanh(x),
        lambda x, b, xp: f.tanh_grad(x, xp),
        lambda x, b, xp: f.tanh_grad2(x, xp),
        lambda x, b, xp: f.tanh_grad3(x, xp),
        "tanh",
        "tanh_grad",
        False,
        r"\tanh x",
        r"1 - \tanh^2 x",
        (-1.0, 1.0),
    ),
)

#: Every definition by name, in the order the book lists them.
DEFINITIONS = MappingProxyType({d.name: d for d in _ALL})


def kernel_names(*names: str) -> tuple[str, ...]:
    """The softlearn.functions names of the value and the derivative of each activation."""
    pairs = ((DEFINITIONS[n].kernel, DEFINITIONS[n].grad_kernel) for n in names)
    return tuple(k for pair in pairs for k in pair if k is not None)
