"""The registry: one record per activation, consistent with the functions."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import softlearn as sl


def test_the_four_activations_are_registered():
    assert list(sl.ACTIVATIONS) == ["softsign", "softplus", "relu", "tanh"]


@pytest.mark.parametrize("name", ["softsign", "softplus", "relu", "tanh"])
def test_record_matches_the_functions(name):
    act = sl.get(name)
    assert act.name == name
    assert act.function is getattr(sl, name)
    assert act.derivative is getattr(sl, f"{name}_grad")
    lo, hi = act.range
    x = np.linspace(-50, 50, 1001)
    y = act.function(x)
    assert np.all((y >= lo) & (y <= hi))
    assert act.formula and act.derivative_formula


def test_ranges_are_tight():
    # The infimum and supremum are the limits at the ends of the real line.
    for act in sl.ACTIVATIONS.values():
        lo, hi = act.function(np.array([-np.inf, np.inf]))
        assert (lo, hi) == act.range


def test_lookup_is_case_insensitive_and_unknown_names_list_the_known():
    assert sl.get("SoftPlus") is sl.get("softplus")
    with pytest.raises(KeyError, match="unknown activation 'gelu'; known: softsign, softplus"):
        sl.get("gelu")
    with pytest.raises(KeyError):
        sl.get(3)  # type: ignore[arg-type]


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        sl.ACTIVATIONS["gelu"] = sl.get("relu")  # type: ignore[index]


@pytest.mark.parametrize("name", ["softsign", "tanh"])
def test_upper_gap_is_exact_where_one_minus_f_cancels(name):
    from softlearn import reference as ref

    reffn = {"softsign": ref.softsign, "tanh": ref.tanh}[name]
    x = np.concatenate([np.linspace(-30, 30, 601), [0.5, 1e3, 1e8, 1e15]])
    gap = sl.get(name).upper_gap(x)
    with mp.workprec(ref.PRECISION):  # 1 - v to as many bits as v
        exact = [1 - v for v in ref.reference(reffn, x)]
    assert ref.ulp_errors(gap, exact).max() <= 2.0
    assert sl.get("softplus").upper_gap is None and sl.get("relu").upper_gap is None
