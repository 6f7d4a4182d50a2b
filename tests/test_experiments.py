"""softlearn.experiments: one property of each experiment's result."""

from __future__ import annotations

import numpy as np
import pytest

from softlearn import experiments as E


def test_tail_rates_match_the_derived_ones():
    r = E.tail_rates()
    assert r["softsign_exponent"] == pytest.approx(-1, abs=0.01)
    assert r["softsign_grad_exponent"] == pytest.approx(-2, abs=0.01)
    assert r["tanh_rate"] == pytest.approx(-2, abs=1e-3)
    assert r["tanh_grad_rate"] == pytest.approx(-2, abs=1e-3)
    beyond = r["x"] > 5
    assert np.all(r["gap"]["tanh"][beyond] < r["gap"]["softsign"][beyond] / 100)
    assert np.all(r["grad"]["tanh"][beyond] < r["grad"]["softsign"][beyond])


@pytest.mark.slow
def test_relu_units_die_at_a_high_learning_rate_and_softplus_units_do_not():
    relu, softplus = E.dead_units("relu"), E.dead_units("softplus")
    assert all(relu["finite"]) and all(softplus["finite"])
    assert sum(relu["dead"]) > 0
    assert softplus["dead"] == [0] * len(softplus["dead"])
    assert min(softplus["smallest_gradient"]) > 0
    assert softplus["zero_gradient"] == [0.0] * len(softplus["zero_gradient"])


@pytest.mark.slow
def test_only_relu_gives_exact_zeros():
    zeros = E.sparsity(seeds=(0,), steps=50)
    assert zeros["relu"] > 0.2
    assert zeros["softplus"] == zeros["softsign"] == zeros["tanh"] == 0


def test_gradients_fade_towards_the_input_at_default_initialisation():
    flow = E.gradient_flow(depth=10)
    for name, norms in flow.items():
        assert norms.shape == (11,) and np.all(np.isfinite(norms)) and np.all(norms > 0)
        assert norms[0] < norms[-1], name


def test_backward_gain_is_predicted_by_the_derivative_at_the_pre_activations():
    gain = E.backward_gain(depth=10)
    for name, g in gain.items():
        assert g["measured"] == pytest.approx(g["predicted"], rel=0.1), name
        assert 0 < g["measured"] < 1, name
    # Small pre-activations at initialisation: f'(z) is near f'(0), which is
    # 1/2 for softplus, 1 for tanh and softsign, and 0 or 1 for relu.
    order = sorted(gain, key=lambda n: gain[n]["measured"])
    assert order == ["softplus", "relu", "softsign", "tanh"]
    assert gain["softplus"]["mean_square_derivative"] == pytest.approx(0.25, abs=0.05)
    assert gain["tanh"]["mean_square_derivative"] > 0.9


def test_training_is_deterministic_and_learns():
    a = E.training_curves(depth=2, width=8, seeds=(0, 1), steps=40)
    b = E.training_curves(depth=2, width=8, seeds=(0, 1), steps=40)
    for name in E.NAMES:
        assert a[name].shape == (2, 40)
        assert np.array_equal(a[name], b[name])
        assert np.all(a[name][:, -1] < a[name][:, 0])


@pytest.mark.parametrize(
    "shape", [(7, 3, 5), (256, 4, 64), (256, 64, 1), (64, 256, 32), (1, 65, 1)]
)
def test_matmul_sums_in_its_documented_order(shape):
    # The claims chapter's numbers are the same on every machine only if no
    # step depends on the CPU: _matmul must be exactly this order of IEEE
    # additions, never a BLAS call or a reduction NumPy may reorder.
    m, k, n = shape
    rng = np.random.default_rng(k)
    a, b = rng.normal(size=(m, k)), rng.normal(size=(k, n))
    terms = [a[:, j : j + 1] * b[j : j + 1, :] for j in range(k)]
    if k <= 64:
        expected = terms[0].copy()
        for t in terms[1:]:
            expected = expected + t
    else:
        while len(terms) > 1:
            half = len(terms) // 2
            rest = terms[2 * half :]
            terms = [terms[i] + terms[half + i] for i in range(half)] + rest
        (expected,) = terms
    got = E._matmul(a, b)
    assert got.tobytes() == expected.tobytes()
    assert np.allclose(got, a @ b, rtol=1e-12, atol=1e-12)


def test_gradients_are_those_of_the_loss():
    # Central differences of the loss against the hand-written backward pass.
    x, y = E.make_task(n=16)
    for name in E.NAMES:
        net = E.Network(x.shape[1], 5, 2, name, seed=3)
        _, grads = net.loss_and_gradients(x, y)
        for p, g in zip(net.params, grads, strict=True):
            assert g.shape == p.shape
            i = np.unravel_index(int(np.argmax(np.abs(g))), p.shape)
            h, keep = 1e-6, p[i]
            p[i] = keep + h
            up = net.loss_and_gradients(x, y)[0]
            p[i] = keep - h
            down = net.loss_and_gradients(x, y)[0]
            p[i] = keep
            assert (up - down) / (2 * h) == pytest.approx(g[i], rel=1e-5, abs=1e-9), name


def test_the_task_is_reproducible():
    x, y = E.make_task(n=8, seed=5)
    x2, y2 = E.make_task(n=8, seed=5)
    assert x.tobytes() == x2.tobytes() and y.tobytes() == y2.tobytes()
    assert np.all(np.abs(x) <= np.sqrt(3.0)) and y.shape == (8, 1)


def test_cost_measures_every_setting_and_activation():
    t = E.cost(n=10_000, repeats=4)
    assert set(t) == {
        "torch forward",
        "torch forward+backward",
        "numpy forward",
        "numpy forward+backward",
    }
    for times in t.values():
        assert set(times) == set(E.NAMES)
        assert all(len(v) == 4 and min(v) > 0 for v in times.values())


def test_cost_verdict_needs_a_margin_and_never_flips():
    base = [1.0, 1.1, 0.9, 1.0, 1.05]
    assert E.cost_verdict({"relu": base, "x": [3.0, 3.1, 2.9, 3.0]})["x"] == "slower than ReLU"
    assert E.cost_verdict({"relu": base, "x": [0.3, 0.31, 0.29, 0.3]})["x"] == "faster than ReLU"
    near = {"relu": base, "x": [1.1, 1.2, 1.0, 1.3]}
    assert E.cost_verdict(near)["x"] == "no clear difference"
    noisy = {"relu": base, "x": [3.0, 0.5, 3.1, 0.4]}
    assert E.cost_verdict(noisy)["x"] == "no clear difference"
