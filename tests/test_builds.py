"""The compiled kernels: generated from their tables, built, one ufunc per kernel, dispatched.

Which build runs is chosen at import from the CPU's features, or forced with
``SOFTLEARN_KERNELS`` (softlearn/_native.py).
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import platform
import subprocess
import sys

import pytest

from softlearn import _native
from softlearn._kernel_table import KERNELS
from softlearn._verify import paths

ROOT = pathlib.Path(__file__).resolve().parents[1]

# x86-64 levels, as the builds require them (the flags /proc/cpuinfo names)
_V3 = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"}
_V4 = _V3 | {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}


def _cpu_flags() -> set[str]:
    try:
        return set(pathlib.Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return set()


def _best_build() -> str:
    flags = _cpu_flags()
    if platform.machine() != "x86_64":
        return "generic"
    return "avx512" if _V4 <= flags else "avx2" if _V3 <= flags else "generic"


@pytest.mark.parametrize(
    ("tool", "header"), [("kernel_tables", "_tables.h"), ("kernel_list", "_kernel_list.h")]
)
def test_generated_headers_match_their_generators(tool, header):
    # the constants (from mpmath) and the list of kernels (from softlearn/_kernel_table.py)
    spec = importlib.util.spec_from_file_location(tool, ROOT / "tools" / f"{tool}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "softlearn" / header).read_text() == module.header()


def test_every_kernel_is_a_ufunc_of_every_build():
    for path in paths()[:-1]:
        module = importlib.import_module(_native.BUILDS[path])
        for name, kernel in KERNELS.items():
            ufunc = getattr(module, name)
            assert ufunc.nin == 1 + len(kernel.params), (path, name)
            assert ufunc.types == [
                "e" + "d" * len(kernel.params) + "->e",
                "f" + "d" * len(kernel.params) + "->f",
                "d" + "d" * len(kernel.params) + "->d",
            ], (path, name)


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the AVX builds are x86-64 only")
def test_kernels_are_built_and_the_fastest_is_used():
    # A silently failed build (optional=True) would leave only the NumPy path.
    module = _native.kernels()
    assert module is not None, "softlearn._kernels was not built: is a C compiler installed?"
    assert module.__name__ == _native.BUILDS[_best_build()]


def _kernels_under(value: str) -> subprocess.CompletedProcess[str]:
    code = "from softlearn import _native; m = _native.kernels(); print(m and m.__name__)"
    env = {"SOFTLEARN_KERNELS": value, "PATH": ""}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_the_environment_variable_turns_the_kernels_off():
    out = _kernels_under("numpy")
    assert out.stdout.strip() == "None", out.stderr


@pytest.mark.parametrize("build", list(_native.BUILDS))
def test_the_environment_variable_forces_each_build(build):
    out = _kernels_under(build)
    order = list(_native.BUILDS)
    if order.index(build) < order.index(_best_build()):
        assert "cannot be loaded here" in out.stderr
    else:
        assert out.stdout.strip() == _native.BUILDS[build], out.stderr


def test_an_unknown_choice_is_an_error():
    out = _kernels_under("fast")
    assert out.returncode != 0
    assert "SOFTLEARN_KERNELS must be one of numpy, avx512, avx2, generic" in out.stderr
