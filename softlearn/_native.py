"""The compiled kernels (softlearn/_kernels.c), where the build produced them.

:func:`loop` gives a compiled loop from the fastest build that imports on this CPU (the AVX2 one,
then the generic one), or None: no compiler at install time, or the
environment variable ``SOFTLEARN_KERNELS=numpy``.  Without them every function
runs the pure-NumPy evaluation of softlearn/_formulas.py, which is just as
exact and several times slower.  The kernels cover float32 and float64 with
the default ``beta=1`` and no threshold; everything else takes the NumPy path.
"""

from __future__ import annotations

import functools
import importlib
import os
from types import ModuleType
from typing import Any


@functools.cache  # loaded on first use: import softlearn stays as fast as NumPy's
def kernels() -> ModuleType | None:
    """The compiled module in use, or None."""
    if os.environ.get("SOFTLEARN_KERNELS", "").lower() == "numpy":
        return None
    for name in ("softlearn._kernels_avx2", "softlearn._kernels"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def loop(name: str) -> Any:
    """The compiled loop ``name(x, out)``, or None where softlearn runs on NumPy alone."""
    module = kernels()
    return None if module is None else getattr(module, name)
