"""Every path gives the same bits: each compiled build this CPU runs, and the NumPy path.

A path is one way softlearn computes (softlearn._verify): the builds decide
their results in C, the NumPy path in NumPy, and both fall back on the exact
path; they agree only where both are right.  Their accuracy against mpmath is
in tests/test_accuracy.py, their error bounds in tests/test_bounds.py.
"""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest

import softlearn as sl
import softlearn._exact
from softlearn import _native
from softlearn import reference as ref
from softlearn._exact import correctly_rounded
from softlearn._kernel_table import KERNELS, reference
from softlearn._verify import FUNCTIONS, compare_paths, compute, paths, same_bits
from softlearn.benchmarks.rounding import HARD_CASES


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
    """On each path in turn (the ``backend`` fixture of conftest.py)."""
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


def test_the_hard_cases_on_every_path():
    """The float64 inputs nearest a rounding boundary that the search found (rounding.py)."""
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


def test_an_error_on_the_exact_path_is_raised(monkeypatch):
    if _native.kernels() is None:
        pytest.skip("no compiled kernels here")

    def fail(*args):
        raise RuntimeError("the exact path failed")

    monkeypatch.setattr(softlearn._exact, "correctly_rounded", fail)
    # subnormal float64 results always take the exact path
    with pytest.raises(RuntimeError, match="the exact path failed"):
        sl.sigmoid(np.array([-720.0]))
