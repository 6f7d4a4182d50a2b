"""The compiled ufuncs: built, dispatched, behaving as ufuncs, giving every other path's bits.

Their accuracy is measured with everything else in tests/test_accuracy.py
(every build this CPU runs, and the NumPy path, against mpmath) and their
error bounds in tests/test_bounds.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib
import platform
import subprocess
import sys

import numpy as np
import pytest

import softlearn as sl
import softlearn._exact
from softlearn import _native
from softlearn import reference as ref
from softlearn._kernel_table import KERNELS, reference
from softlearn._verify import FUNCTIONS, compare_paths, compute, paths

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


def test_every_path_gives_the_same_bits():
    """Every build this CPU runs, and the NumPy path, on a sample of every function."""
    names = paths()
    assert "numpy" in names and len(names) >= 2
    report = compare_paths(n=4000, seed=20261129)
    for line in report.lines:
        print(line)
    assert report.disagreements == 0


@pytest.mark.parametrize("name", FUNCTIONS)
def test_layouts_give_the_same_bits(name):
    fn = getattr(sl, name)
    x = np.random.default_rng(3).standard_normal((64, 33)) * 25
    if KERNELS[name].positive:
        x = np.abs(x)
    want = fn(x)
    np.testing.assert_array_equal(fn(x.T), want.T)  # Fortran order
    np.testing.assert_array_equal(fn(x[:, ::2]), want[:, ::2])  # strided
    np.testing.assert_array_equal(fn(x.astype(">f8")), want)  # byte-swapped
    np.testing.assert_array_equal(fn(x.astype(np.float32)), fn(x.astype(np.float32).copy()))
    ints = np.arange(0 if KERNELS[name].positive else -50, 50)
    np.testing.assert_array_equal(fn(ints), fn(ints.astype(np.float64)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_streamed_outputs_give_the_same_bits(dtype):
    # Large outputs bypass the cache (streaming stores, from an aligned
    # address on): here every output of 4 KiB and more, in place and from an
    # unaligned start too, against the same inputs one short row at a time.
    x = np.random.default_rng(5).standard_normal(10_001).astype(dtype) * 30
    for path in paths()[:-1]:
        module = importlib.import_module(_native.BUILDS[path])
        for name in FUNCTIONS:
            want = np.concatenate([compute(path, name, row, 1.0) for row in np.split(x, 73)])
            old = module.set_stream_bytes(4096)
            try:
                got = compute(path, name, x, 1.0)
                shifted = compute(path, name, x[1:], 1.0)
                inplace = x.copy()
                values = {"beta": 1.0, "threshold": np.inf}
                args = [values[p] for p in KERNELS[name].params]
                getattr(module, name)(inplace, *args, out=inplace)
            finally:
                module.set_stream_bytes(old)
            np.testing.assert_array_equal(got, want, err_msg=f"{path} {name}")
            np.testing.assert_array_equal(shifted, want[1:], err_msg=f"{path} {name} unaligned")
            np.testing.assert_array_equal(inplace, want, err_msg=f"{path} {name} in place")


def test_out_where_and_broadcasting_behave_as_in_numpy_ufuncs(backend):
    x = np.linspace(-4, 4, 12).reshape(3, 4)
    out = np.full_like(x, 7.0)
    got = sl.softplus(x, out=out, where=x > 0)
    assert got is out
    np.testing.assert_array_equal(out[x > 0], sl.softplus(x)[x > 0])
    assert np.all(out[x <= 0] == 7.0)
    # in place
    y = x.copy()
    sl.softsign(y, out=y)
    np.testing.assert_array_equal(y, sl.softsign(x))
    # beta and threshold broadcast like the other arguments of a ufunc
    betas = np.array([1.0, 2.0, 3.0])[:, None]
    np.testing.assert_array_equal(sl.softplus(x[0], betas)[2], sl.softplus(x[0], 3.0))
    thr = np.array([0.5, 100.0])[:, None]
    cut = sl.softplus(x[2], 1.0, thr)
    np.testing.assert_array_equal(cut[1], sl.softplus(x[2]))
    np.testing.assert_array_equal(cut[0], np.where(x[2] > 0.5, x[2], sl.softplus(x[2])))
    # a 0-d input gives a NumPy scalar, as ufuncs do
    assert isinstance(sl.softplus(np.float32(1.0)), np.float32)


def test_out_of_another_dtype_is_refused():
    # A cast into it would round a second time.
    with pytest.raises(TypeError, match="out must have the result's dtype float64; got float32"):
        sl.softplus(np.zeros(4), out=np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        sl.softplus(np.zeros(4), out=[0.0] * 4)


def test_an_error_on_the_exact_path_is_raised(monkeypatch):
    if _native.kernels() is None:
        pytest.skip("no compiled kernels here")

    def fail(*args):
        raise RuntimeError("the exact path failed")

    monkeypatch.setattr(softlearn._exact, "correctly_rounded", fail)
    # subnormal float64 results always take the exact path
    with pytest.raises(RuntimeError, match="the exact path failed"):
        sl.sigmoid(np.array([-720.0]))


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


def test_subnormal_results_correctly_rounded():
    # Where softplus(x) = e**x turns subnormal; float64 sends these to the exact path.
    for dtype, lo, hi in ((np.float64, -745.2, -700.0), (np.float32, -104.0, -85.0)):
        x = np.linspace(lo, hi, 1501).astype(dtype)
        for fn, rf in ((sl.softplus, ref.softplus), (sl.softplus_grad, ref.sigmoid)):
            err = ref.ulp_errors(fn(x), ref.reference(rf, x))
            assert err.max() <= 0.5, (fn.__name__, dtype, float(x[np.argmax(err)]))


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


def test_the_hard_cases_on_every_path():
    """The float64 inputs nearest a rounding boundary that the search found (rounding.py)."""
    import json

    from softlearn._exact import correctly_rounded
    from softlearn._verify import same_bits
    from softlearn.benchmarks.rounding import HARD_CASES

    cases = json.loads(HARD_CASES.read_text())
    assert set(cases) == set(FUNCTIONS)
    checked = 0
    for name, items in cases.items():
        for x, beta, _distance in items:
            want = np.float64(correctly_rounded(name, x, beta, "d"))
            for path in paths():
                got = compute(path, name, np.array([x]), beta)[0]
                assert same_bits(got, want), (name, x, beta, path, got, want)
            checked += 1
    print(f"{checked} hard cases, {len(paths())} paths")
    assert checked >= 7 * 32


@pytest.mark.parametrize(
    ("name", "x", "beta"),
    [
        # beta so small that clamping |x| or beta |x| would change the result
        ("softplus_grad", 1.162941958872971e136, 2.0**-500),
        ("softplus_grad", -1.162941958872971e136, 2.0**-500),
        ("softplus", 1.162941958872971e136, 2.0**-500),
        ("softplus", -(2.0**510), 2.0**-500),
        ("softplus", -1.07e301, 2.0**-500),
        ("softplus", -(2.0**400), 2.0**-359),
        ("softplus_grad", 2.0**401, 2.0**-359),
        ("softplus_inverse", 2.0**370, 2.0**-359),
        # results that overflow
        ("softplus", 0.0, 5e-324),
        ("softplus", -1.0, 1e-320),
        ("softplus_inverse", 1e-300, 1e-310),
    ],
)
def test_extreme_beta_on_every_path(name, x, beta):
    exact = reference(name, x, beta)
    for path in paths():
        got = compute(path, name, np.array([x]), beta)
        assert ref.ulp_errors(got, [exact])[0] <= 0.5, (path, got[0], exact)
