"""The compiled ufuncs (softlearn/_kernels.c), where the build produced them.

:func:`kernels` gives the module of the best build this CPU runs: AVX-512
(x86-64-v4), then AVX2 and FMA (x86-64-v3), then the generic build, which
runs anywhere.  The choice is made once, on first use, and every build gives
the same bits: each result is the correctly rounded one.  Without any build
(no C compiler at install time) every function runs the NumPy path of
softlearn/_numpy_path.py, which is correctly rounded too, more slowly.

The environment variable ``SOFTLEARN_KERNELS`` chooses instead, to test each
path on one machine: ``numpy`` (no kernels), ``generic``, ``avx2`` or
``avx512``.  A build that cannot be loaded here raises ImportError on first
use rather than silently running another one.
"""

from __future__ import annotations

import functools
import importlib
import os
from types import ModuleType

#: The builds, fastest first, by their name in ``SOFTLEARN_KERNELS``.
BUILDS = {
    "avx512": "softlearn._kernels_avx512",
    "avx2": "softlearn._kernels_avx2",
    "generic": "softlearn._kernels",
}


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
