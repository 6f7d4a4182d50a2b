"""softlearn.portable: the book's numbers, the same on every CPU."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from softlearn import portable


def test_rounded_is_the_nearest_float32_even_where_rounding_twice_is_not():
    # 1 + 2**-24 + 2**-60 rounds up in float32, but to the double 1 + 2**-24,
    # a float32 tie, which the second rounding sends down to 1 (even).
    with mp.workprec(100):
        v = mp.mpf(1) + mp.mpf(2) ** -24 + mp.mpf(2) ** -60
    assert np.float32(float(v)) == 1.0
    assert portable.rounded(v, np.float32) == 1 + 2.0**-23
    assert portable.rounded(mp.mpf(1) + mp.mpf(2) ** -24, np.float32) == 1.0  # a tie: even
    assert portable.rounded(mp.mpf(3) * mp.mpf(2) ** -24, np.float64) == 3 * 2.0**-24
    big = float(np.finfo(np.float32).max)
    assert portable.rounded(mp.mpf(2) ** 200, np.float32) == np.inf
    assert portable.rounded(-mp.mpf(big) - mp.mpf(2) ** 102, np.float32) == -big
    assert portable.rounded(mp.mpf(big) + mp.mpf(2) ** 103, np.float32) == np.inf  # a tie: even


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fname", ["softsign", "softsign_grad", "softplus", "softplus_grad"])
def test_naive_is_numpys_formula_up_to_its_exp_and_log(fname, dtype):
    x = np.concatenate([np.linspace(-50, 50, 401), [-1e3, 1e3]]).astype(dtype)
    numpy_naive = {
        "softsign": lambda v: v / (1 + np.abs(v)),
        "softsign_grad": lambda v: 1 / (1 + np.abs(v)) ** 2,
        "softplus": lambda v: np.log(1 + np.exp(v)),
        "softplus_grad": lambda v: 1 / (1 + np.exp(-v)),
    }[fname]
    with np.errstate(all="ignore"):
        ours, theirs = portable.naive(fname, x), numpy_naive(x)
    assert ours.dtype == x.dtype
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))  # the same overflow
    fin = np.isfinite(ours) & (theirs != 0)
    # Each step within an ULP or so: the results agree to a few ULP of each
    # step, amplified at most where 1 + e**x cancels (x < 0 for softplus).
    close = np.abs(ours[fin] - theirs[fin]) <= 4 * np.spacing(np.abs(theirs[fin]))
    amplified = (x[fin] < 0) & (fname == "softplus")
    assert np.all(close | amplified)


def test_naive_softplus_fails_as_the_formula_does():
    x = np.array([-40.0, -20.0, 0.0, 800.0])
    y = portable.naive("softplus", x)
    assert y[0] == 0  # 1 + e**-40 rounds to 1
    assert y[1] == pytest.approx(2.0611536900435727e-09, rel=1e-15)  # digits lost
    assert y[2] == float(mp.log(2))
    assert y[3] == np.inf


def test_slope_recovers_a_power_law_and_an_exponential():
    x = np.array([1.0, 2.0, 3.0, 5.0, 8.0])
    assert portable.slope(x, x**-2.0, log_t=True) == pytest.approx(-2, abs=1e-14)
    assert portable.slope(x, np.exp(-0.5 * x), log_t=False) == pytest.approx(-0.5, abs=1e-14)


def test_logspace_is_the_exact_grid_rounded_once():
    ours = portable.logspace(-3, 9, 121)
    with mp.workprec(200):  # far more than float64's 53 bits: rounded once
        exact = [float(mp.power(10, mp.mpf(-3) + mp.mpf(i) / 10)) for i in range(121)]
    assert ours.tolist() == exact
    assert ours[0] == 1e-3 and ours[-1] == 1e9
    assert np.allclose(ours, np.logspace(-3, 9, 121), rtol=1e-14, atol=0)
