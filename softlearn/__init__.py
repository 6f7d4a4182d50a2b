"""softlearn: Softsign and Softplus, correctly rounded, with NumPy alone.

The functions, their derivatives and the comparison functions live in
:mod:`softlearn.functions`; :func:`get` gives each activation's record.
PyTorch and TensorFlow are imported only by the sub-modules that need them,
:mod:`softlearn.torch` and :mod:`softlearn.keras`, and only when one of them
is first used: ``import softlearn.torch``, or just ``softlearn.torch.Softplus``.
"""

from types import ModuleType as _ModuleType

from softlearn import functions
from softlearn._native import KernelsInfo, SlowPathWarning, kernels_info, warn_if_missing
from softlearn._numpy_path import EXTENDED_FLOAT64
from softlearn.functions import *  # noqa: F403  (the names in functions.__all__)
from softlearn.registry import ACTIVATIONS, Activation, get

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "EXTENDED_FLOAT64",
    "Activation",
    "KernelsInfo",
    "SlowPathWarning",
    "__version__",
    "get",
    "kernels_info",
]
__all__ += functions.__all__  # the functions, listed once: in softlearn/functions.py

warn_if_missing()
del warn_if_missing

# Sub-modules that import a framework: loaded on first attribute access.
_LAZY = ("torch", "keras", "plot", "experiments")


def __getattr__(name: str) -> _ModuleType:
    if name in _LAZY:
        from importlib import import_module

        return import_module(f"softlearn.{name}")
    raise AttributeError(f"module 'softlearn' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The public API and the lazy sub-modules, not the helpers imported above.
    return sorted([*__all__, *_LAZY])
