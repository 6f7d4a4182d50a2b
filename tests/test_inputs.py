"""Inputs and errors: dtypes, shapes, special values, bad arguments, no side effects."""

from __future__ import annotations

import datetime
import decimal
import re
import warnings

import numpy as np
import pytest

import softlearn as sl
from softlearn._numpy_path import CHUNK

UNARY = [
    sl.softsign,
    sl.softsign_grad,
    sl.softplus,
    sl.softplus_grad,
    sl.softplus_inverse,
    sl.sigmoid,
    sl.relu,
    sl.relu_grad,
    sl.tanh,
    sl.tanh_grad,
]
WITH_BETA = [sl.softplus, sl.softplus_grad, sl.softplus_inverse]
FLOATS = [np.float16, np.float32, np.float64]
ids = [f.__name__ for f in UNARY]


@pytest.fixture(params=UNARY, ids=ids)
def fn(request):
    return request.param


# --- dtypes


@pytest.mark.parametrize("dtype", FLOATS)
def test_floating_dtypes_are_kept(fn, dtype):
    x = np.linspace(0.25, 3, 7).astype(dtype)
    assert fn(x).dtype == dtype


def test_long_double_is_refused_with_advice(fn):
    # Correct rounding is promised for float16, float32 and float64; relu and
    # relu_grad are exact in any dtype.
    x = np.linspace(0.25, 3, 7).astype(np.longdouble)
    if fn in (sl.relu, sl.relu_grad):
        assert fn(x).dtype == np.longdouble
        return
    with pytest.raises(TypeError, match=r"float16, float32 and float64.*astype\(np.float64\)"):
        fn(x)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.uint64])
def test_integers_and_bools_compute_in_float64(fn, dtype):
    x = np.array([0, 1, 1, 0, 1], dtype=dtype)
    y = fn(x)
    assert y.dtype == np.float64
    assert np.array_equal(y, fn(x.astype(np.float64)))


def test_large_integers_are_within_one_ulp_of_the_exact_value():
    # Integers beyond 2**53 are not float64s; the float64 result must still be
    # within 1 ULP of the function of the exact integer.
    from softlearn import reference as ref

    x = [2**53 + 1, 2**53 + 2**29 + 3, 3 * 2**50 + 7, 2**62 + 3, 2**63 - 1, -(2**63) + 1]
    x = np.array(x, dtype=np.int64)
    for fn, reffn in [(sl.softplus, ref.softplus), (sl.softsign, ref.softsign)]:
        exact = [reffn(int(v)) for v in x]
        assert ref.ulp_errors(fn(x), exact).max() <= 1.0


@pytest.mark.parametrize(
    ("value", "dtype_name"),
    [
        (np.array([1 + 2j]), "complex128"),
        (np.array([1 + 2j], dtype=np.complex64), "complex64"),
        (1j, "complex128"),
        (["a", "b"], "<U1"),
        (np.array([b"x"]), "|S1"),
        ([1.0, None], "object"),
        ([decimal.Decimal("1.5")], "object"),
        (np.array(["2026-01-01"], dtype="datetime64[D]"), "datetime64[D]"),
        (np.array([1], dtype="timedelta64[s]"), "timedelta64[s]"),
        (datetime.date(2026, 1, 1), "object"),
    ],
)
def test_non_real_input_raises_type_error_naming_the_dtype(fn, value, dtype_name):
    with pytest.raises(TypeError, match=rf"{fn.__name__}\(\).*dtype {re.escape(dtype_name)}"):
        fn(value)


# --- beta and threshold


@pytest.mark.parametrize("fn_beta", WITH_BETA, ids=[f.__name__ for f in WITH_BETA])
@pytest.mark.parametrize("beta", [0, -1.0, -0.0, np.nan, np.inf, -np.inf])
def test_bad_beta_raises_value_error(fn_beta, beta):
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        fn_beta([1.0], beta=beta)


@pytest.mark.parametrize("fn_beta", WITH_BETA, ids=[f.__name__ for f in WITH_BETA])
@pytest.mark.parametrize("beta", ["2", None, True, 1j, ["2"], [1j]])
def test_non_number_beta_raises_type_error(fn_beta, beta):
    with pytest.raises(TypeError, match=r"beta must be (a real number|real numbers)"):
        fn_beta([1.0], beta=beta)


@pytest.mark.parametrize("fn_beta", WITH_BETA, ids=[f.__name__ for f in WITH_BETA])
def test_beta_arrays_broadcast_like_ufunc_arguments(fn_beta):
    x = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    betas = np.array([[1.0], [2.0], [0.3]])
    y = fn_beta(x, beta=betas)
    assert y.shape == (3, 3) and y.dtype == np.float32
    for i, b in enumerate(betas[:, 0]):
        assert np.array_equal(y[i], fn_beta(x, beta=float(b)))
    with pytest.raises(ValueError, match="beta must be finite and > 0 everywhere"):
        fn_beta(x, beta=[1.0, 0.0, 2.0])


@pytest.mark.parametrize("fn_t", [sl.softplus, sl.softplus_grad])
@pytest.mark.parametrize("threshold", [np.nan, np.inf, -np.inf])
def test_non_finite_threshold_raises_value_error(fn_t, threshold):
    with pytest.raises(ValueError, match="threshold must be a finite number or None"):
        fn_t([1.0], threshold=threshold)


def test_numpy_scalars_are_accepted_as_beta_and_threshold():
    a = sl.softplus([1.0, 30.0], beta=np.float32(2), threshold=np.int64(20))
    b = sl.softplus([1.0, 30.0], beta=2.0, threshold=20.0)
    assert np.array_equal(a, b)


def test_bad_arguments_are_reported_before_any_work():
    with pytest.raises(TypeError):
        sl.softplus([1j], beta=-1.0)  # the input's type is checked first


# --- shapes


def test_python_scalars_and_zero_d_give_numpy_scalars(fn):
    for x in (1.5, np.float32(1.5), np.array(1.5), 2):
        y = fn(x)
        assert isinstance(y, np.generic) and np.ndim(y) == 0
    assert fn(np.float32(1.5)).dtype == np.float32


@pytest.mark.parametrize("shape", [(0,), (3, 0, 2), (0, 0)])
def test_empty_arrays_keep_their_shape(fn, shape):
    for dtype in (np.float32, np.float64):
        y = fn(np.empty(shape, dtype=dtype))
        assert y.shape == shape and y.dtype == dtype


def test_lists_and_nested_lists(fn):
    assert np.array_equal(fn([[0.5, 1.0], [2.0, 4.0]]), fn(np.array([[0.5, 1.0], [2.0, 4.0]])))


def test_non_contiguous_views_match_contiguous_input(fn):
    base = np.random.default_rng(0).uniform(0.01, 6, (40, 30))
    for view in (base[::3, ::2], base.T, base[::-1, 5:1:-1], np.broadcast_to(base[0], (4, 30))):
        y = fn(view)
        assert y.shape == view.shape
        assert np.array_equal(y, fn(np.ascontiguousarray(view)))


def test_arrays_larger_than_one_chunk(fn):
    # Elements from every chunk, the last partial one included, against the
    # same function called on each element alone.
    x = np.random.default_rng(1).uniform(0.01, 6, 3 * CHUNK + 17).reshape(-1, 1)
    y = fn(x)
    picks = np.concatenate([np.arange(0, x.size, 97), [CHUNK - 1, CHUNK, 2 * CHUNK, x.size - 1]])
    assert np.array_equal(y[picks, 0], [fn(float(x[i, 0])) for i in picks])
    # And a second chunking of the same data gives the same result.
    pieces = np.concatenate([fn(p) for p in np.array_split(x[:, 0], 7)])
    assert np.array_equal(y[:, 0], pieces)


@pytest.mark.parametrize("order", [">", "<"])
def test_any_byte_order(fn, order):
    for dtype in ("f2", "f4", "f8"):
        x = np.linspace(-30, 30, 301).astype(order + dtype)
        y = fn(x)
        assert y.dtype == np.dtype(dtype)  # native byte order out
        assert np.array_equal(y, fn(x.astype(dtype)), equal_nan=True)
    x = np.linspace(-0.1, 0.1, 301).astype(">f2")
    a = sl.softplus(x, beta=10.8338, threshold=-0.27162)
    b = sl.softplus(x.astype("f2"), beta=10.8338, threshold=-0.27162)
    assert np.array_equal(a, b)


# --- as NumPy's ufuncs


def test_out_of_another_dtype_is_refused():
    # A cast into it would round a second time.
    with pytest.raises(TypeError, match="out must have the result's dtype float64; got float32"):
        sl.softplus(np.zeros(4), out=np.zeros(4, np.float32))
    with pytest.raises(TypeError, match="out must be a NumPy array"):
        sl.softplus(np.zeros(4), out=[0.0] * 4)


# --- no side effects


def test_input_is_not_modified_and_result_is_new(fn):
    x = np.linspace(-5, 5, 101)
    x.flags.writeable = False  # any write would raise
    y = fn(x)
    assert not np.shares_memory(x, y)
    assert np.array_equal(x, np.linspace(-5, 5, 101))


def test_no_warnings_for_finite_input(fn):
    extremes = []
    for dtype in (np.float16, np.float32, np.float64):
        fi = np.finfo(dtype)
        vals = [fi.max, fi.smallest_normal, fi.smallest_subnormal, 0.0, 1.0, 700.0, 1000.0]
        extremes.append(np.array(vals + [-v for v in vals], dtype=np.float64).astype(dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            for x in extremes:
                fn(x)
                if fn in WITH_BETA:
                    fn(x, beta=1e-300)
                    fn(x, beta=1e300)


# --- special values


def test_zero_infinities_and_nan_on_every_dtype():
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


INF = np.inf
LIMITS = {
    "softsign": (-1.0, 1.0),
    "softsign_grad": (0.0, 0.0),
    "softplus": (0.0, INF),
    "softplus_grad": (0.0, 1.0),
    "softplus_inverse": (np.nan, INF),
    "sigmoid": (0.0, 1.0),
    "relu": (0.0, INF),
    "relu_grad": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "tanh_grad": (0.0, 0.0),
}


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_infinities_give_the_limits(fn, dtype):
    y = fn(np.array([-INF, INF], dtype=dtype))
    assert np.array_equal(y, np.array(LIMITS[fn.__name__], dtype=dtype), equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nan_gives_nan(fn, dtype):
    assert np.isnan(fn(np.array([np.nan, -np.nan], dtype=dtype))).all()
    if fn in WITH_BETA:
        assert np.isnan(fn(np.array([np.nan], dtype=dtype), beta=3.0)).all()


def test_signed_zero():
    assert np.signbit(sl.softsign(-0.0)) and not np.signbit(sl.softsign(0.0))
    assert np.signbit(sl.tanh(-0.0))
    assert sl.softsign_grad(0.0) == 1.0 and sl.softplus_grad(0.0) == 0.5
    assert sl.relu_grad(0.0) == 0.0


def test_softplus_inverse_outside_its_domain():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sl.softplus_inverse([0.0, -0.0, -1.0, -INF])
    assert y[0] == -INF and y[1] == -INF
    assert np.isnan(y[2:]).all()


def test_threshold_none_is_the_default():
    x = np.array([15.0, 25.0, 40.0])
    assert np.array_equal(sl.softplus(x), sl.softplus(x, threshold=None))
    assert sl.softplus(25.0) != 25.0  # exact: 25 + e**-25 is not 25 in float64
