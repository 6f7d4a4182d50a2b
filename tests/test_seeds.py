"""The numbers the four source articles print, reproduced.

Article 003 prints softplus(-20) = 2.06115369e-09, computed with the naive
log(1 + exp(x)).  That value is wrong from its 8th digit: 1 + e**-20 keeps
only about 8 of e**-20's digits.  The test reproduces the article's number
with the article's formula, and pins softlearn to the exact value instead.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np

import softlearn as sl

X003 = np.array([[-20], [0.5], [1.2], [-2.3], [0]], dtype=np.float64)
SOFTPLUS_003 = "2.06115369e-09 9.74076984e-01 1.46328247e+00 9.55454646e-02 6.93147181e-01".split()
DASH_003 = "2.06115362e-09 6.22459331e-01 7.68524783e-01 9.11229610e-02 5.00000000e-01".split()


def _printed(a: np.ndarray) -> list[str]:
    return [f"{v:.8e}" for v in np.ravel(a)]


def test_article_003_naive_formulas_reproduce_its_printout():
    assert _printed(np.log(1 + np.exp(X003))) == SOFTPLUS_003
    assert _printed(1 / (1 + np.exp(-X003))) == DASH_003


def test_article_003_softlearn_agrees_except_where_the_article_lost_digits():
    ours = _printed(sl.softplus(X003))
    assert ours[1:] == SOFTPLUS_003[1:]
    # At x = -20 the exact value is 2.0611536224...e-09, not ...369e-09.
    exact = mp.log1p(mp.exp(-20))
    assert ours[0] == f"{float(exact):.8e}" == "2.06115362e-09" != SOFTPLUS_003[0]
    assert _printed(sl.softplus_grad(X003)) == DASH_003
    assert _printed(sl.sigmoid(X003)) == DASH_003


def test_article_000_keras_softsign_example():
    y = sl.softsign(np.array([-1.5, 9.0, 11.0], dtype=np.float32))
    assert y.dtype == np.float32
    assert np.array2string(y) == "[-0.6        0.9        0.9166667]"
    assert repr(y) == "array([-0.6      ,  0.9      ,  0.9166667], dtype=float32)"


def test_article_002_softplus_values():
    assert f"{sl.softplus(-2.0):.2f}" == "0.13"
    assert f"{sl.softplus(0.0):.4f}" == "0.6931"
    assert f"{sl.softplus(5.0):.4f}" == "5.0067"
    assert sl.relu(-2.0) == 0 and sl.relu(5.0) == 5


def test_article_001_derivative_at_plus_minus_three():
    # |x| - x**2/|x| vanishes at x = +-3, leaving 1 / (1 + |x|)**2 = 1/16.
    assert np.all(sl.softsign_grad([-3.0, 3.0]) == 1 / 16)
