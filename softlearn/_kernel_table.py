"""The correctly rounded kernels, one record each: the list every layer reads.

A kernel is one function as softlearn computes it to the nearest float: a NumPy
ufunc of the compiled module (softlearn/_kernels.c), the NumPy path's fast
formula (softlearn/_formulas.py), the exact path's formula
(softlearn/_intervals.py), its limits and its mpmath reference
(softlearn/reference.py).  ``softlearn.functions``, the NumPy path, the exact
path, ``softlearn.benchmarks.rounding`` and the tests derive their lists from
:data:`KERNELS`; ``tools/kernel_list.py`` writes the C side's
(softlearn/_kernel_list.h), so that _kernels.c names no kernel itself.

Adding a kernel means adding a record here and its math: the formulas above,
the scalar fast paths ``<c_fast>_d`` and ``<c_fast>_dd`` in
softlearn/_functions.h and, for the vector builds, the first tier
``t1f_<c_tier1>`` and ``t1d_<c_tier1>`` (softlearn/_tier1*.h); then
``python tools/kernel_list.py > softlearn/_kernel_list.h``.

The activations the book teaches (four, with their derivatives up to the third
and their LaTeX) are described in softlearn/_definitions.py; their values and
first derivatives are kernels here, under the same names.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any, NamedTuple

from softlearn import _formulas as f
from softlearn import _intervals as exact

Formula = Callable[[Any, Any, Any], Any]  # (x, beta, xp) -> array, in x's dtype


class Kernel(NamedTuple):
    name: str
    """The ufunc's name, and the ``softlearn.functions`` function that calls it."""
    params: tuple[str, ...]
    """After ``x``: ``()``, ``("beta",)`` or ``("beta", "threshold")`` (float64 parameters)."""
    fast: Formula
    """The NumPy path's formula, evaluated in a wider dtype."""
    exact: Callable[..., Any]
    """The exact path's formula: on a ``Fraction`` if :attr:`rational`, else on intervals."""
    rational: bool
    limit: Callable[[bool, float], float]
    """The value far out, from ``(x > 0, x)``: where ``rate |x| > 1e4`` and at the infinities."""
    rate: float | None
    """The tails fall as ``e**(-rate |x|)``; ``None``: as ``e**(-beta |x|)``."""
    cut: str | None
    """The value where PyTorch's threshold cuts (``beta x > threshold``): ``"x"`` or ``"1"``."""
    odd: bool
    """Odd: the result carries the sign of a zero ``x``."""
    positive: bool
    """Defined for ``x >= 0`` only (NaN below, the limit at 0 taken from :attr:`limit`)."""
    reference: str
    """Its mpmath reference in softlearn.reference, called with ``(x, beta)`` if it has beta."""
    c_fast: str
    """The scalar fast paths in softlearn/_functions.h: ``<c_fast>_d``, ``<c_fast>_dd``."""
    c_tier1: str
    """The vector builds' first tier (softlearn/_tier1*.h): ``t1f_<c_tier1>``, ``t1d_<c_tier1>``."""
    doc: str
    """The ufunc's docstring."""


def _tanh(x: Any, beta: Any, xp: Any) -> Any:
    return xp.tanh(x)


_ALL = (
    Kernel(
        "softsign", (), lambda x, b, xp: f.softsign(x, xp), exact.softsign, True,
        lambda pos, x: 1.0 if pos else -1.0, None, None, True, False,
        "softsign", "softsign", "softsign", "softsign(x) = x / (1 + |x|), correctly rounded",
    ),
    Kernel(
        "softsign_grad", (), lambda x, b, xp: f.softsign_grad(x, xp), exact.softsign_grad, True,
        lambda pos, x: 0.0, None, None, False, False,
        "softsign_grad", "softsign_grad", "softsign_grad",
        "softsign_grad(x) = 1 / (1 + |x|)**2, correctly rounded",
    ),
    Kernel(
        "softplus", ("beta", "threshold"), f.softplus, exact.softplus, False,
        lambda pos, x: x if pos else 0.0, None, "x", False, False,
        "softplus", "softplus", "softplus",
        "softplus(x, beta, threshold) = log(1 + e**(beta x)) / beta, x where beta x > threshold",
    ),
    Kernel(
        "softplus_grad", ("beta", "threshold"), f.sigmoid, exact.sigmoid, False,
        lambda pos, x: 1.0 if pos else 0.0, None, "1", False, False,
        "sigmoid", "sigmoid", "sigmoid",
        "softplus_grad(x, beta, threshold) = 1 / (1 + e**(-beta x)), 1 where beta x > threshold",
    ),
    Kernel(
        "softplus_inverse", ("beta",), f.softplus_inverse, exact.softplus_inverse, False,
        lambda pos, x: x, None, None, False, True,
        "softplus_inverse", "softplus_inverse", "softplus_inverse",
        "softplus_inverse(y, beta) = log(e**(beta y) - 1) / beta, correctly rounded",
    ),
    Kernel(
        "tanh", (), _tanh, exact.tanh, False,
        lambda pos, x: 1.0 if pos else -1.0, 2.0, None, True, False,
        "tanh", "tanh", "tanh", "tanh(x), correctly rounded",
    ),
    Kernel(
        "tanh_grad", (), lambda x, b, xp: f.tanh_grad(x, xp), exact.tanh_grad, False,
        lambda pos, x: 0.0, 2.0, None, False, False,
        "tanh_grad", "tanh_grad", "tanh_grad", "tanh_grad(x) = 1 - tanh(x)**2, correctly rounded",
    ),
)  # fmt: skip

#: Every kernel by name, in the order the C module registers them.
KERNELS = MappingProxyType({k.name: k for k in _ALL})


def has_beta(name: str) -> bool:
    return "beta" in KERNELS[name].params


def reference(name: str, x: float, beta: float = 1.0) -> Any:
    """The kernel's exact value at ``x`` (an mpmath number; imports mpmath)."""
    from softlearn import reference as ref

    fn = getattr(ref, KERNELS[name].reference)
    return fn(x, beta) if has_beta(name) else fn(x)
