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
import importlib.util
import os
import warnings
from types import ModuleType
from typing import NamedTuple

#: The builds, fastest first, by their name in ``SOFTLEARN_KERNELS``.
BUILDS = {
    "avx512": "softlearn._kernels_avx512",
    "avx2": "softlearn._kernels_avx2",
    "generic": "softlearn._kernels",
}


#: How to get the compiled kernels, for the warning and kernels_info().
FIX = (
    "install a binary wheel of softlearn, or install a C compiler (gcc or clang) "
    "and reinstall: pip install --force-reinstall --no-deps <softlearn's sdist or source>"
)


class SlowPathWarning(RuntimeWarning):
    """softlearn runs without its compiled kernels: the same results, much more slowly."""


class KernelsInfo(NamedTuple):
    """Which of softlearn's builds computes, and why that one."""

    build: str  #: "avx512", "avx2", "generic" or "numpy"
    module: str | None  #: the compiled module's name; None on the NumPy path
    reason: str


def warn_if_missing() -> None:
    """Warn once, at import, if no build was installed.

    Only looks for the files, so ``import softlearn`` loads nothing more.  An
    explicit ``SOFTLEARN_KERNELS`` is the user's choice and is not warned about.
    """
    if os.environ.get("SOFTLEARN_KERNELS", "").strip():
        return
    if any(importlib.util.find_spec(name) for name in BUILDS.values()):
        return
    warnings.warn(
        "softlearn's compiled kernels are not installed (no C compiler when softlearn "
        "was built), so every function runs its NumPy path: the same results, tens of "
        f"times more slowly. To fix: {FIX}.",
        SlowPathWarning,
        stacklevel=2,
    )


def kernels_info() -> KernelsInfo:
    """Which build computes softlearn's functions in this process, and why.

    >>> import softlearn
    >>> softlearn.kernels_info().build in ("avx512", "avx2", "generic", "numpy")
    True
    """
    module = kernels()
    if module is not None:
        build = next(b for b, name in BUILDS.items() if name == module.__name__)
        chosen = os.environ.get("SOFTLEARN_KERNELS", "").strip()
        why = "chosen by SOFTLEARN_KERNELS" if chosen else "the fastest build this CPU runs"
        return KernelsInfo(build, module.__name__, why)
    if os.environ.get("SOFTLEARN_KERNELS", "").strip().lower() == "numpy":
        return KernelsInfo("numpy", None, "chosen by SOFTLEARN_KERNELS=numpy")
    return KernelsInfo("numpy", None, f"no compiled build could be loaded: {_failures()}; {FIX}")


def _failures() -> str:
    reasons = []
    for name in BUILDS.values():
        try:
            importlib.import_module(name)
        except ImportError as err:
            reasons.append(f"{name}: {err}")
    return "; ".join(reasons)


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
