"""The compiled kernels: built, dispatched, fed correctly, and matching the fallback.

Their accuracy is measured with everything else in tests/test_accuracy.py,
which runs every float32/float64 case through both the kernels and the
pure-NumPy evaluation.
"""

from __future__ import annotations

import importlib.util
import pathlib
import platform
import subprocess
import sys

import numpy as np
import pytest

import softlearn as sl
from softlearn import _native
from softlearn import reference as ref

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOOPS = {
    "softsign": sl.softsign,
    "softsign_grad": sl.softsign_grad,
    "softplus": sl.softplus,
    "sigmoid": sl.softplus_grad,
}


def _cpu_has_avx2() -> bool:
    try:
        flags = pathlib.Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx2" in flags and "fma" in flags


def test_tables_match_their_generator():
    spec = importlib.util.spec_from_file_location("kt", ROOT / "tools" / "kernel_tables.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "softlearn" / "_tables.h").read_text() == module.header()


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the AVX2 build is x86-64 only")
def test_kernels_are_built_and_the_fastest_is_used():
    # A silently failed build (optional=True) would leave only the fallback.
    module = _native.kernels()
    assert module is not None, "softlearn._kernels was not built: is a C compiler installed?"
    expected = "softlearn._kernels_avx2" if _cpu_has_avx2() else "softlearn._kernels"
    assert module.__name__ == expected


@pytest.mark.parametrize("name", LOOPS)
@pytest.mark.parametrize("module", ["softlearn._kernels", "softlearn._kernels_avx2"])
def test_generic_and_avx2_builds_agree_bit_for_bit(name, module):
    if module.endswith("avx2") and not _cpu_has_avx2():
        pytest.skip("this CPU has no AVX2")
    kern = importlib.import_module(module)
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        x = np.concatenate(
            [
                rng.standard_normal(20000) * 30,
                np.frombuffer(rng.bytes(8 * 20000), dtype=np.float64),
                [0.0, -0.0, np.inf, -np.inf, np.nan, 40.0, -40.0, -745.0, 1e300],
            ]
        )
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float32, NaN patterns
            x = x.astype(dtype)
        out = np.empty_like(x)
        getattr(kern, name)(x, out)
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(out, LOOPS[name](x))


@pytest.mark.parametrize("name", LOOPS)
def test_layouts_give_the_same_bits(name):
    fn = LOOPS[name]
    x = np.random.default_rng(3).standard_normal((64, 33)) * 25
    want = fn(x)
    np.testing.assert_array_equal(fn(x.T), want.T)  # Fortran order
    np.testing.assert_array_equal(fn(x[:, ::2]), want[:, ::2])  # strided
    np.testing.assert_array_equal(fn(x.astype(">f8")), want)  # byte-swapped
    np.testing.assert_array_equal(fn(x.astype(np.float32)), fn(x.astype(np.float32).copy()))
    ints = np.arange(-50, 50)
    np.testing.assert_array_equal(fn(ints), fn(ints.astype(np.float64)))


def test_special_values():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    for dtype in (np.float32, np.float64):
        xs = x.astype(dtype)
        ln2 = dtype(np.log(2))

        def same(got, want, dtype=dtype):
            np.testing.assert_array_equal(got, np.array(want, dtype=dtype))

        same(sl.softsign(xs), [0, -0.0, 1, -1, np.nan])
        assert np.signbit(sl.softsign(xs)[1])
        same(sl.softsign_grad(xs), [1, 1, 0, 0, np.nan])
        same(sl.softplus(xs), [ln2, ln2, np.inf, 0, np.nan])
        same(sl.softplus_grad(xs), [0.5, 0.5, 1, 0, np.nan])


def test_subnormal_results_within_one_ulp():
    # Where softplus(x) = e**x turns subnormal the kernels scale twice.
    for dtype, lo, hi in ((np.float64, -745.2, -700.0), (np.float32, -104.0, -85.0)):
        x = np.linspace(lo, hi, 3001).astype(dtype)
        for fn, rf in ((sl.softplus, ref.softplus), (sl.softplus_grad, ref.sigmoid)):
            err = ref.ulp_errors(fn(x), ref.reference(rf, x))
            assert err.max() <= 1.0, (fn.__name__, dtype, float(x[np.argmax(err)]))


def test_wrong_buffers_raise_type_error():
    kern = _native.kernels()
    if kern is None:
        pytest.skip("no compiled kernels on this platform")
    x = np.zeros(4)
    for out in (np.zeros(4, np.float32), np.zeros(3), np.zeros(4, np.int64)):
        with pytest.raises(TypeError, match="float32 or float64"):
            kern.softplus(x, out)
    with pytest.raises((TypeError, ValueError, BufferError)):
        kern.softplus(x, np.zeros(8)[::2])


def _kernels_under(value: str) -> subprocess.CompletedProcess[str]:
    code = "from softlearn import _native; m = _native.kernels(); print(m and m.__name__)"
    env = {"SOFTLEARN_KERNELS": value, "PATH": ""}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_the_environment_variable_turns_the_kernels_off():
    out = _kernels_under("numpy")
    assert out.stdout.strip() == "None", out.stderr


@pytest.mark.parametrize("build", ["generic", "avx2"])
def test_the_environment_variable_forces_each_build(build):
    out = _kernels_under(build)
    if build == "avx2" and not _cpu_has_avx2():
        assert "cannot be loaded here" in out.stderr
    else:
        assert out.stdout.strip() == _native.BUILDS[build], out.stderr


def test_an_unknown_choice_is_an_error():
    out = _kernels_under("fast")
    assert out.returncode != 0
    assert "SOFTLEARN_KERNELS must be one of numpy, avx2, generic" in out.stderr
