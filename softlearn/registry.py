"""The book's view of each activation: its NumPy functions, formulas and range.

Built from softlearn/_definitions.py, the one description of each activation.
The book's plots and comparison tables iterate over these records, so every
chapter draws and describes the four functions the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from softlearn import functions
from softlearn._definitions import DEFINITIONS, Definition


class Activation(NamedTuple):
    """One activation function and what the book says about it.

    Example:
        >>> from softlearn import get
        >>> act = get("softsign")
        >>> act.name, act.range
        ('softsign', (-1.0, 1.0))
        >>> print(act.derivative(0.0))
        1.0
    """

    name: str
    function: Callable[[Any], Any]
    derivative: Callable[[Any], Any]
    formula: str
    """LaTeX for the function, without math delimiters."""
    derivative_formula: str
    """LaTeX for the derivative, without math delimiters."""
    range: tuple[float, float]
    """Infimum and supremum of the values (ReLU attains its 0, the others neither)."""
    upper_gap: Callable[[Any], Any] | None = None
    """``sup f - f(x)`` computed without cancellation, for bounded activations."""


def _softsign_gap(x: Any) -> Any:
    # 1 - x/(1+|x|) is 1/(1+|x|) for x >= 0: the square root of the derivative.
    x = np.asarray(x)
    return np.where(x >= 0, np.sqrt(functions.softsign_grad(x)), 1 - functions.softsign(x))


def _tanh_gap(x: Any) -> Any:
    # 1 - tanh(x) = 2 sigmoid(-2x), exactly.
    return 2 * functions.sigmoid(-2 * np.asarray(x, dtype=np.float64))


def _activation(d: Definition) -> Activation:
    return Activation(
        d.name,
        getattr(functions, d.function),
        getattr(functions, d.grad_function),
        d.latex,
        d.grad_latex,
        d.range,
        _GAPS.get(d.name),
    )


_GAPS = {"softsign": _softsign_gap, "tanh": _tanh_gap}
_ALL = tuple(_activation(d) for d in DEFINITIONS.values())

#: Every activation by name, read-only.
#:
#: :meta hide-value:
ACTIVATIONS = MappingProxyType({a.name: a for a in _ALL})


def get(name: str) -> Activation:
    """Return the :class:`Activation` called ``name`` (case-insensitive).

    Raises:
        KeyError: for an unknown name; the message lists the known ones.

    Example:
        >>> from softlearn import get
        >>> get("Softplus").formula
        '\\\\log\\\\left(1 + e^{x}\\\\right)'
    """
    try:
        return ACTIVATIONS[name.lower()]
    except (KeyError, AttributeError):
        known = ", ".join(ACTIVATIONS)
        raise KeyError(f"unknown activation {name!r}; known: {known}") from None
