"""softlearn.torch: parity with PyTorch, exact gradients, real use, bad input."""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import torch

import softlearn as sl
from softlearn import reference as ref
from softlearn.inputs import all_finite
from softlearn.torch import Softplus, Softsign, softplus, softsign

TORCH_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
# Where the exact value is within a hair of a midpoint, PyTorch's correctly
# rounded result can beat softlearn's (faithful, 0.5003 ULP at worst) by a hair.
TIE = 0.501


def _normal_range(dtype: torch.dtype, n: int = 4000, seed: int = 0) -> torch.Tensor:
    """Moderate values, then magnitudes spread over the dtype's normal range."""
    g = torch.Generator().manual_seed(seed)
    fi = torch.finfo(dtype)
    lo, hi = math.log10(fi.tiny), math.log10(fi.max)
    mags = 10 ** (torch.rand(n, generator=g, dtype=torch.float64) * (hi - lo) + lo)
    signs = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0).double()
    moderate = torch.rand(n, generator=g, dtype=torch.float64) * 100 - 50
    return torch.cat([moderate, signs * mags]).to(dtype)


def _ulps(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """|a - b| in ULPs of b's dtype at b (float64 arithmetic; no inf/NaN expected)."""
    bn = b.detach().numpy()
    spacing = np.spacing(np.maximum(np.abs(bn), np.finfo(bn.dtype).smallest_normal))
    return (a.double() - b.double()).abs() / torch.from_numpy(spacing.astype(np.float64))


# --- parity with PyTorch


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("name", "ours", "theirs", "reffn"),
    [
        ("softplus", softplus, torch.nn.functional.softplus, ref.softplus),
        ("softsign", softsign, torch.nn.functional.softsign, ref.softsign),
    ],
)
def test_parity_with_torch(name, ours, theirs, reffn, dtype):
    """Within 2 ULP of PyTorch; beyond that, softlearn is the one nearer mpmath."""
    x = _normal_range(dtype)
    a, b = ours(x), theirs(x)
    far = _ulps(a, b) > 2
    x_far = x[far]
    print(f"{name} {dtype}: {far.sum().item()} of {x.numel()} differ by > 2 ULP")
    if far.any():
        xs = x_far.double().numpy()
        exact = ref.reference(reffn, xs)
        mine = ref.ulp_errors(a[far].numpy(), exact)
        yours = ref.ulp_errors(b[far].numpy(), exact)
        i = int(np.argmax(yours))
        print(f"  e.g. x = {xs[i]!r}: softlearn {mine[i]:.2f} ULP, PyTorch {yours[i]:.3g} ULP")
        assert np.all(mine <= 1.0)
        assert np.all(mine <= np.maximum(yours, TIE))


def test_parity_names_the_threshold_defect():
    x = torch.tensor([20.5], dtype=torch.float64)
    exact = ref.softplus(20.5)
    mine = ref.ulp_errors(softplus(x).numpy(), [exact])[0]
    yours = ref.ulp_errors(torch.nn.functional.softplus(x).numpy(), [exact])[0]
    assert mine <= 0.5 and yours > 1e5


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_threshold_20_agrees_with_torch_bit_for_bit_or_is_closer(dtype):
    x = torch.linspace(-30, 30, 20001, dtype=dtype)
    a = softplus(x, threshold=20.0)
    b = torch.nn.functional.softplus(x)
    differ = a != b
    # Differences are last-bit rounding of PyTorch's formula below the cut.
    assert torch.all(_ulps(a[differ], b[differ]) <= 1)
    exact = ref.reference(ref.softplus, x[differ].double().numpy())
    mine = ref.ulp_errors(a[differ].numpy(), exact)
    yours = ref.ulp_errors(b[differ].numpy(), exact)
    assert np.all(mine <= np.maximum(yours, TIE))
    assert torch.equal(a[x > 20], x[x > 20])
    print(
        f"{dtype}: {differ.sum().item()} of {x.numel()} differ by 1 ULP; softlearn nearer in "
        f"{(mine < yours).sum()}, both within {TIE} ULP (a near-tie) in {(mine >= yours).sum()}"
    )


def test_module_with_threshold_matches_nn_softplus():
    x = torch.linspace(-5, 25, 1001)
    assert torch.equal(
        Softplus(beta=1.0, threshold=20.0)(x)[x > 20], torch.nn.Softplus()(x)[x > 20]
    )


# --- accuracy in every dtype


@pytest.mark.parametrize("dtype", TORCH_DTYPES)
@pytest.mark.parametrize(
    ("fn", "reffn"),
    [(softplus, ref.softplus), (softsign, ref.softsign)],
    ids=["softplus", "softsign"],
)
def test_forward_within_one_ulp(fn, reffn, dtype):
    if dtype in (torch.float16, torch.bfloat16):
        bits = all_finite(np.float16) if dtype == torch.float16 else None
        x = (
            torch.from_numpy(bits)
            if bits is not None
            else torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16).view(torch.bfloat16)
        )
        x = x[torch.isfinite(x)]
    else:
        x = _normal_range(dtype, 1500)
    y = fn(x)
    assert y.dtype == dtype
    err = ref.ulp_errors(y.double().numpy(), ref.reference(reffn, x.double().numpy()), dtype)
    assert err.max() <= 1.0, f"{err.max():.3f} ULP at x = {x[int(err.argmax())].item()!r}"


# --- gradients


@pytest.mark.parametrize(
    ("fn", "kwargs"),
    [
        (softsign, {}),
        (softplus, {}),
        (softplus, {"beta": 3.0}),
        (softplus, {"beta": 0.5, "threshold": 5.0}),
    ],
)
def test_gradcheck_and_gradgradcheck_in_float64(fn, kwargs):
    g = torch.Generator().manual_seed(0)
    x = (torch.randn(7, 5, generator=g, dtype=torch.float64) * 4).requires_grad_()
    with torch.no_grad():  # keep away from the kinks: 0 for softsign'', the threshold cut
        x += torch.where(x.abs() < 0.1, 0.5, 0.0)
        if "threshold" in kwargs:
            cut = kwargs["threshold"] / kwargs["beta"]
            x += torch.where((x - cut).abs() < 0.1, 0.5, 0.0)
    assert torch.autograd.gradcheck(lambda t: fn(t, **kwargs), (x,))
    assert torch.autograd.gradgradcheck(lambda t: fn(t, **kwargs), (x,))


def test_softsign_gradient_is_exact_where_torch_autograd_cancels():
    x = torch.tensor([1.0, 1e3, 1e6, 3e7, 1e10, 1e20, 1e30], requires_grad=True)
    softsign(x).sum().backward()
    mine = x.grad.clone()
    x.grad = None
    torch.nn.functional.softsign(x).sum().backward()
    theirs = x.grad.clone()

    exact = ref.reference(ref.softsign_grad, x.detach().double().numpy())
    err_mine = ref.ulp_errors(mine.numpy(), exact)
    err_theirs = ref.ulp_errors(theirs.numpy(), exact)
    rel_theirs = (theirs.double() - mine.double()).abs() / mine.double().clamp_min(1e-300)
    for xi, e1, e2, r in zip(x.tolist(), err_mine, err_theirs, rel_theirs.tolist(), strict=True):
        print(f"x = {xi:8.0e}: softlearn {e1:.2f} ULP, PyTorch autograd {e2:.3g} ULP ({r:.0%} off)")
    assert np.all(err_mine <= 1.0)
    i = x.detach().tolist().index(3e7)
    assert rel_theirs[i] >= 0.9, "PyTorch's own gradient was expected to have lost every digit"


@pytest.mark.parametrize("beta", [1.0, 0.5, 3.0])
def test_softplus_gradient_matches_numpy_core(beta):
    x = _normal_range(torch.float32, 1000).clamp(-150, 150).requires_grad_()
    softplus(x, beta=beta).sum().backward()
    expected = sl.softplus_grad(x.detach().numpy(), beta=beta)
    assert np.array_equal(x.grad.numpy(), expected)


def test_second_derivative_keeps_its_digits_in_the_tails():
    # sigma(1 - sigma) is 0 in float64 from x = 37; the exact value is e^-x.
    x = torch.tensor([40.0, 100.0, 700.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(softplus(x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    assert torch.allclose(h, torch.exp(-x.detach()), rtol=1e-15, atol=0)


# --- real use


@pytest.mark.parametrize("act", [Softplus(), Softplus(beta=2.0), Softsign()], ids=repr)
def test_a_small_model_trains(act):
    torch.manual_seed(0)
    x = torch.randn(256, 4)
    y = (x[:, :1] * 2 - x[:, 1:2]).sin()
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), act, torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(f"{act!r}: loss {losses[0]:.4f} -> {losses[-1]:.4f}")
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.slow
def test_compiled_ops_accept_any_layout():
    # The fake kernels must predict the real output's strides, for broadcast
    # (stride 0) and transposed inputs too.
    fn = torch.compile(lambda t: softplus(t, 2.0, 5.0) * 3 + softsign(t), fullgraph=True)
    base = torch.randn(6, 4)
    for x in (torch.randn(1, 6).expand(4, 6), base.t(), base[:, ::2], base):
        expected = softplus(x, 2.0, 5.0) * 3 + softsign(x)
        assert torch.equal(fn(x), expected)


@pytest.mark.slow
def test_works_under_torch_compile_without_graph_breaks():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8),
        Softplus(beta=2.0),
        torch.nn.Linear(8, 8),
        Softsign(),
        torch.nn.Linear(8, 1),
    )
    compiled = torch.compile(model, fullgraph=True)  # fullgraph: a graph break is an error
    x = torch.randn(16, 4)
    y = compiled(x)
    assert torch.equal(y, model(x))
    y.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for g, p in zip(grads, model.parameters(), strict=True):
        assert torch.allclose(g, p.grad, rtol=1e-6, atol=1e-7)


def test_shapes_and_non_contiguous_tensors():
    x = torch.randn(6, 5, 4)
    for view in (x.transpose(0, 2), x[:, ::2], x[..., 1], torch.tensor(0.5), torch.empty(0, 3)):
        for fn in (softsign, softplus):
            y = fn(view)
            assert y.shape == view.shape
            assert torch.equal(y, fn(view.contiguous()))


def test_reprs_show_the_parameters():
    assert repr(Softplus()) == "Softplus(beta=1.0, threshold=None)"
    assert repr(Softplus(beta=0.5, threshold=20)) == "Softplus(beta=0.5, threshold=20.0)"
    assert repr(Softsign()) == "Softsign()"


# --- bad input


@pytest.mark.parametrize("fn", [softplus, softsign])
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool, torch.complex64])
def test_non_floating_tensors_raise_type_error(fn, dtype):
    x = torch.zeros(3, dtype=dtype)
    with pytest.raises(TypeError, match=f"floating-point tensor; got dtype {dtype}"):
        fn(x)


def test_non_tensors_raise_type_error():
    with pytest.raises(TypeError, match=r"takes a torch\.Tensor; got list"):
        softplus([1.0, 2.0])


@pytest.mark.parametrize("beta", [0.0, -1.0, math.nan, math.inf])
def test_bad_beta_raises_value_error(beta):
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        Softplus(beta=beta)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        softplus(torch.ones(2), beta=beta)
    with pytest.raises(ValueError, match="threshold must be a finite number"):
        Softplus(threshold=math.inf)


def test_third_derivative_is_the_formula_of_the_record():
    # Third derivatives are autograd of the second derivative's formula.
    x = torch.tensor([-3.0, -0.5, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(softplus(x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x, create_graph=True)
    (k,) = torch.autograd.grad(h.sum(), x)
    exact = [float(mp.diff(ref.softplus, v, 3)) for v in x.tolist()]
    assert torch.allclose(k, torch.tensor(exact, dtype=torch.float64), rtol=1e-13, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_same_bits_on_any_number_of_threads(dtype):
    import softlearn.torch as st

    # Odd sizes, so chunks end mid-register; one tensor below the grain size.
    x = torch.from_numpy(np.random.default_rng(5).standard_normal(5 * st.GRAIN + 7) * 30)
    x = x.to(dtype)
    small = x[: st.GRAIN // 2]
    before = torch.get_num_threads()
    try:
        runs = []
        for threads in (1, 2, 3, 8):
            torch.set_num_threads(threads)
            xr = x.clone().requires_grad_()
            y = st.softplus(xr, beta=2.0)
            y.backward(torch.ones_like(y))
            runs.append((y.detach(), xr.grad, st.softsign(x), st.softsign(small)))
    finally:
        torch.set_num_threads(before)
    for run in runs[1:]:
        for got, want in zip(run, runs[0], strict=True):
            assert torch.equal(got.view(torch.int8), want.view(torch.int8))
    assert torch.equal(
        runs[0][2].view(torch.int8), torch.from_numpy(sl.softsign(x.numpy())).view(torch.int8)
    )


def test_chunks_cover_the_tensor_once_and_start_aligned():
    import softlearn.torch as st

    for n in (0, 1, st.GRAIN, 2 * st.GRAIN - 1, 2 * st.GRAIN, 10**6 + 3):
        for threads in (1, 2, 3, 7):
            pieces = st._chunks(n, threads)
            assert len(pieces) <= max(1, threads)
            covered = [i for s in pieces for i in range(n)[s]]
            assert covered == list(range(n))
            assert all(s.start % 16 == 0 for s in pieces)
            if len(pieces) > 1:
                assert all(s.stop - s.start >= st.GRAIN // 2 for s in pieces)
