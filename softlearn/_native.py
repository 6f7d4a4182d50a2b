"""The compiled kernels (softlearn/_kernels.c), where the build produced them.

:func:`loop` gives a compiled loop from the fastest build that imports on this
CPU (the AVX2 one, then the generic one), or None where there is none: no
compiler at install time.  Without them every function runs the pure-NumPy
evaluation of softlearn/_formulas.py, which is just as exact and several
times slower.  The kernels cover float32 and float64 with the default
``beta=1`` and no threshold; everything else takes the NumPy path.

The environment variable ``SOFTLEARN_KERNELS`` chooses instead, to test each
path on one machine: ``numpy`` (no kernels), ``generic`` or ``avx2``.  A build
that cannot be loaded here raises ImportError on first use rather than
silently running another one.
"""

from __future__ import annotations

import functools
import importlib
import os
from types import ModuleType
from typing import Any

#: The builds, fastest first, by their name in ``SOFTLEARN_KERNELS``.
BUILDS = {"avx2": "softlearn._kernels_avx2", "generic": "softlearn._kernels"}


@functools.cache  # loaded on first use: import softlearn stays as fast as NumPy's
def kernels() -> ModuleType | None:
    """The compiled module in use, or None."""
    choice = os.environ.get("SOFTLEARN_KERNELS", "").strip().lower()
    if choice == "numpy":
        return None
    if choice in BUILDS:
        try:
            return importlib.import_module(BUILDS[choice])
        except ImportError as err:
            raise ImportError(
                f"SOFTLEARN_KERNELS={choice}: the {choice} build cannot be loaded here ({err})"
            ) from err
    if choice:
        known = ", ".join(["numpy", *BUILDS])
        raise ValueError(f"SOFTLEARN_KERNELS must be one of {known} or unset; got {choice!r}")
    for name in BUILDS.values():
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def loop(name: str) -> Any:
    """The compiled loop ``name(x, out)``, or None where softlearn runs on NumPy alone."""
    module = kernels()
    return None if module is None else getattr(module, name)
