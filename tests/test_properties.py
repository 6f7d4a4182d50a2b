"""Properties of the functions, checked on inputs Hypothesis chooses."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softlearn as sl

DTYPES = st.sampled_from([np.float16, np.float32, np.float64])


@st.composite
def floats_of(draw, dtype=None, min_value=None, max_value=None):
    """An array of finite floats of one dtype, with its dtype."""
    dt = np.dtype(draw(DTYPES) if dtype is None else dtype)
    width = 8 * dt.itemsize
    elems = st.floats(min_value, max_value, width=width, allow_nan=False, allow_infinity=False)
    return draw(hnp.arrays(dt, st.integers(1, 30), elements=elems))


def spacing(y):
    with np.errstate(over="ignore"):  # the spacing at the largest float is inf
        return np.spacing(np.abs(y)).astype(np.float64)


# --- softsign


@given(floats_of())
def test_softsign_is_odd(x):
    assert np.array_equal(sl.softsign(-x), -sl.softsign(x))
    assert np.array_equal(sl.softsign_grad(-x), sl.softsign_grad(x))


@given(floats_of())
def test_softsign_is_bounded_and_strictly_inside_where_exact_is(x):
    y = sl.softsign(x)
    assert np.all(np.abs(y) <= 1)
    # The exact |y| = 1 - 1/(1 + |x|) rounds to 1 only once 1/(1+|x|) is below
    # half the gap under 1, 2**-(nmant + 2): so |x| <= 2**(nmant + 1) stays inside.
    inside = np.abs(x.astype(np.float64)) <= 2.0 ** (np.finfo(x.dtype).nmant + 1)
    assert np.all(np.abs(y[inside]) < 1)


@given(floats_of())
def test_softsign_and_softplus_are_monotone(x):
    xs = np.sort(x)
    for f in (sl.softsign, sl.softplus, sl.sigmoid, sl.tanh):
        assert np.all(np.diff(f(xs).astype(np.float64)) >= 0)


# --- softplus


@given(floats_of())
def test_softplus_is_non_negative_and_positive_until_it_underflows(x):
    y = sl.softplus(x)
    assert np.all(y >= 0)
    # softplus(x) ~ e**x underflows below log(smallest subnormal / 2).
    lowest = math.log(float(np.finfo(x.dtype).smallest_subnormal)) - math.log(2)
    assert np.all(y[x.astype(np.float64) > lowest + 1e-3] > 0)
    assert np.all(y >= sl.relu(x))


@given(floats_of())
def test_softplus_difference_is_identity(x):
    # softplus(x) - softplus(-x) = x exactly; each term is within 1 ULP.
    a, b = sl.softplus(x).astype(np.float64), sl.softplus(-x).astype(np.float64)
    assert np.all(np.abs((a - b) - x) <= spacing(sl.softplus(x)) + spacing(sl.softplus(-x)))


@given(floats_of(np.float64, -40, 40), st.sampled_from([0.5, 1.0, 2.0, 4.0]))
def test_softplus_grad_is_sigmoid_of_beta_x(x, beta):
    # beta is a power of two, so beta * x is exact and the two must agree bit for bit.
    assert np.array_equal(sl.softplus_grad(x, beta=beta), sl.sigmoid(beta * x))


@given(floats_of(np.float64, -700, 700), st.floats(0.01, 100))
def test_softplus_with_beta_is_a_rescaled_softplus(x, beta):
    # softplus(x, beta) = softplus(beta x) / beta, up to the rounding of beta * x.
    lhs = sl.softplus(x, beta=beta)
    rhs = sl.softplus(x * beta) / beta
    cond = np.abs(x * beta) + 2  # how much the rounding of beta * x can move the result
    assert np.all(np.abs(lhs - rhs) <= cond * spacing(lhs) + 1e-300)


@given(floats_of(), st.floats(0.1, 10), st.floats(-5, 30))
def test_threshold_returns_x_above_it_and_the_exact_value_below(x, beta, threshold):
    y = sl.softplus(x, beta=beta, threshold=threshold)
    exact = sl.softplus(x, beta=beta)
    dt = np.dtype(np.float32 if x.dtype == np.float16 else x.dtype).type
    with np.errstate(over="ignore"):  # beta * max overflows to inf, which is > threshold
        cut = x.astype(dt) * dt(beta) > dt(threshold)
    assert np.array_equal(y[cut], x[cut])
    assert np.array_equal(y[~cut], exact[~cut])
    g = sl.softplus_grad(x, beta=beta, threshold=threshold)
    assert np.all(g[cut] == 1)
    assert np.array_equal(g[~cut], sl.softplus_grad(x, beta=beta)[~cut])


@given(floats_of(np.float64, 0.01, 1e6), st.floats(0.05, 20))
def test_softplus_inverse_inverts(y, beta):
    x = sl.softplus_inverse(y, beta=beta)
    back = sl.softplus(x, beta=beta)
    # x is within 1 ULP of the exact inverse; softplus moves that by sigmoid(beta x) <= 1 times.
    assert np.all(np.abs(back - y) <= 2 * spacing(y) + spacing(x))


# --- derivatives


def _step(x):
    return np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))


def _central_difference(f, x):
    h = _step(x)
    return (f(x + h) - f(x - h)) / (2 * h)


@given(floats_of(np.float64, -30, 30))
def test_derivatives_match_central_differences(x):
    for f, df in [(sl.softplus, sl.softplus_grad), (sl.tanh, sl.tanh_grad)]:
        assert np.allclose(df(x), _central_difference(f, x), rtol=1e-7, atol=1e-9)
    # softsign'' jumps at 0, so a stencil across 0 is only first-order accurate there.
    h = _step(x)
    kink = np.where(np.abs(x) < h, 2 * h, 0)
    err = np.abs(sl.softsign_grad(x) - _central_difference(sl.softsign, x))
    assert np.all(err <= 1e-7 * sl.softsign_grad(x) + 1e-9 + kink)


@given(floats_of(np.float64, -20, 20), st.sampled_from([0.3, 3.0]))
def test_softplus_grad_with_beta_matches_central_differences(x, beta):
    approx = _central_difference(lambda t: sl.softplus(t, beta=beta), x)
    assert np.allclose(sl.softplus_grad(x, beta=beta), approx, rtol=1e-6, atol=1e-8)


@given(floats_of(np.float64, -1e-3, 1e-3))
def test_softsign_is_differentiable_at_zero(x):
    assume(np.all(x != 0))
    # The difference quotient through 0 tends to 1 = softsign_grad(0).
    q = (sl.softsign(x) - sl.softsign(0.0)) / x
    assert np.allclose(q, 1.0, atol=2e-3)
    assert sl.softsign_grad(0.0) == 1.0


@given(floats_of())
def test_sigmoid_is_symmetric(x):
    s, t = sl.sigmoid(x).astype(np.float64), sl.sigmoid(-x).astype(np.float64)
    assert np.all(np.abs(s + t - 1) <= spacing(sl.sigmoid(x)) + spacing(sl.sigmoid(-x)))
