"""softlearn.torch as native PyTorch code: kernels, devices, torch.func, compile, export, opcheck.

The CUDA tests run where ``torch.cuda.is_available()``, with a CUDA build of
torch 2.13.0 in the venv (README, "On a GPU machine"); elsewhere they skip.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import mpmath as mp
import numpy as np
import pytest
import torch
from torch.func import grad, hessian, jacfwd, jacrev, jvp, vmap

import softlearn as sl
import softlearn.torch as st
from softlearn import reference as ref
from softlearn._definitions import DEFINITIONS

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

# (public function, extra arguments, NumPy value, NumPy derivative)
CASES = {
    "softsign": (st.softsign, (), sl.softsign, sl.softsign_grad),
    "softplus": (st.softplus, (), sl.softplus, sl.softplus_grad),
    "softplus-beta": (st.softplus, (2.5,), sl.softplus, sl.softplus_grad),
    "softplus-cut": (st.softplus, (0.5, 5.0), sl.softplus, sl.softplus_grad),
}
# mpmath references of the value and its first three derivatives.
EXACT = {"softsign": lambda v: v / (1 + abs(v)), "softplus": lambda v: mp.log1p(mp.exp(v))}


def _grid(dtype: torch.dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    mags = 10 ** (torch.rand(3000, generator=g) * 60 - 30)
    wide = torch.sign(torch.randn(3000, generator=g)) * mags
    x = torch.cat([torch.linspace(-110, 110, 20001), wide.double()])
    return x.to(dtype)


# --- the CPU kernels are softlearn's NumPy functions


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("case", CASES)
def test_cpu_value_and_gradient_are_the_numpy_functions_bit_for_bit(case, dtype):
    fn, args, value, derivative = CASES[case]
    x = _grid(dtype)[::3].clone().requires_grad_()  # a strided view: kernels run on any layout
    y = fn(x, *args)
    y.backward(torch.ones_like(y))
    xn = x.detach().numpy()
    assert np.array_equal(y.detach().numpy(), value(xn, *args), equal_nan=True)
    assert np.array_equal(x.grad.numpy(), derivative(xn, *args), equal_nan=True)


# --- the path for other devices, measured on the CPU


def _ulp_errors(y: torch.Tensor, exact: list) -> np.ndarray:
    """Errors in ULPs of y's dtype, bfloat16 (which NumPy lacks) included."""
    if y.dtype != torch.bfloat16:
        return ref.ulp_errors(y.numpy(), exact, y.numpy().dtype)
    pairs = zip(y.float().tolist(), exact, strict=True)
    with mp.workprec(ref.PRECISION):
        return np.array([float(abs(v - e) / ref.ulp(e, torch.bfloat16)) for v, e in pairs])


BETAS = (1.0, 0.37, 3.0, 7.9)

# Measured worst errors of on_device() in ULPs, on _grid() / beta (and, in
# float64, [-745, 745] / beta), beta in BETAS.  Value: 0.500 for float16,
# bfloat16 and float32 in either working dtype; float64 1.49 (softsign) and
# 2.50 (softplus, beta 0.37); float32 in float32 1.48 and 2.81.  Derivative:
# float64 3.42 (softsign) and 3.30; float32 in float32 3.47 and 3.10.
# softlearn.torch.DEVICE_ULPS states the bounds.


@pytest.mark.parametrize(("dtype", "work"), list(st.DEVICE_ULPS))
@pytest.mark.parametrize(("name", "beta"), [("softsign", 1.0), *(("softplus", b) for b in BETAS)])
def test_the_formulas_for_other_devices_keep_their_stated_bounds(
    name, beta, dtype, work, monkeypatch
):
    dtype, work = getattr(torch, dtype), getattr(torch, work)
    monkeypatch.setattr(st, "_working_dtype", lambda x: work)
    d = DEFINITIONS[name]
    params = (beta, None) if d.has_beta else ()
    x = _grid(dtype)
    if dtype == torch.float64:
        x = torch.cat([x, torch.linspace(-745, 745, 20001, dtype=dtype)])
    if dtype == torch.bfloat16:  # every finite bfloat16
        bits = torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16)
        x = bits.view(torch.bfloat16)[torch.isfinite(bits.view(torch.bfloat16))]
    x = x / beta if dtype != torch.bfloat16 else x
    x = x[torch.isfinite(x)]
    # The stated exception: an intermediate subnormal in the working dtype.
    x = x[x.double().abs() * beta < -math.log(torch.finfo(work).tiny)]
    xn = x.double().numpy()
    kw = {"beta": beta} if d.has_beta else {}
    exact_value = ref.reference(getattr(ref, name), xn, **kw)
    exact_grad = ref.reference(ref.softsign_grad if name == "softsign" else ref.sigmoid, xn, **kw)
    for which, exact, at_cut in (("value", exact_value, "x"), ("grad", exact_grad, 1)):
        y = st.on_device(getattr(d, which), at_cut, x, *params)
        assert y.dtype == dtype
        err = _ulp_errors(y, exact)
        bound = st.DEVICE_ULPS[str(dtype)[6:], str(work)[6:]][which == "grad"]
        assert err.max() <= bound, f"{which}: {err.max():.3f} ULP at {xn[err.argmax()]!r}"


def test_the_cut_of_the_device_path_matches_the_cpu_kernel():
    x = torch.linspace(-30, 30, 6001)
    for beta, threshold in ((1.0, 20.0), (2.0, 5.0), (0.5, 3.0)):
        d = DEFINITIONS["softplus"]
        dev = st.on_device(d.value, "x", x, beta, threshold)
        cpu = st.softplus(x, beta, threshold)
        cut = x * beta > threshold
        assert torch.equal(dev[cut], cpu[cut])
        grad = st.on_device(d.grad, 1, x, beta, threshold)
        assert torch.equal(grad[cut], torch.ones(int(cut.sum())))


@pytest.mark.parametrize("beta", [1.0, 2.5, 1e-3])
def test_the_device_path_gives_the_limits_at_infinities_and_nan(beta):
    x = torch.tensor([-math.inf, math.inf, math.nan, -0.0, 1e308, -1e308], dtype=torch.float64)
    d = DEFINITIONS["softplus"]
    for formula, at_cut, numpy_fn in ((d.value, "x", sl.softplus), (d.grad, 1, sl.softplus_grad)):
        got = st.on_device(formula, at_cut, x, beta, None).numpy()
        assert np.array_equal(got, numpy_fn(x.numpy(), beta), equal_nan=True)
    for formula, numpy_fn in ((DEFINITIONS["softsign"].value, sl.softsign),):
        got = st.on_device(formula, "x", x).numpy()
        assert np.array_equal(got, numpy_fn(x.numpy()), equal_nan=True)


# --- torch.func, every transform, against mpmath


@pytest.mark.parametrize("name", ["softsign", "softplus"])
def test_torch_func_transforms_give_the_exact_derivatives(name):
    fn = st.softsign if name == "softsign" else st.softplus
    x = torch.tensor([-7.5, -1.25, 0.375, 3.0, 40.0], dtype=torch.float64)
    with mp.workprec(ref.PRECISION):
        exact = [
            torch.tensor(
                [float(mp.diff(EXACT[name], v, k)) for v in x.tolist()], dtype=torch.float64
            )
            for k in (1, 2)
        ]

    def close(a: torch.Tensor, b: torch.Tensor) -> bool:
        return torch.allclose(a, b, rtol=1e-14, atol=1e-300)

    assert close(vmap(grad(fn))(x), exact[0])
    assert close(jvp(fn, (x,), (torch.ones_like(x),))[1], exact[0])
    assert close(jacrev(fn)(x).diagonal(), exact[0])
    assert close(jacfwd(fn)(x).diagonal(), exact[0])
    assert torch.count_nonzero(jacrev(fn)(x) - torch.diag(jacrev(fn)(x).diagonal())) == 0
    assert close(hessian(lambda v: fn(v).sum())(x).diagonal(), exact[1])
    assert close(vmap(grad(grad(fn)))(x), exact[1])
    assert close(jacfwd(jacrev(lambda v: fn(v).sum()))(x).diagonal(), exact[1])


def test_vmap_over_any_dimension_and_nested():
    x = torch.randn(3, 4, 5)
    expected = st.softplus(x, 2.0)
    assert torch.equal(vmap(lambda t: st.softplus(t, 2.0), in_dims=1, out_dims=1)(x), expected)
    assert torch.equal(vmap(vmap(st.softsign))(x), st.softsign(x))


# --- torch.compile, torch.export, opcheck


@pytest.mark.slow
def test_compile_fullgraph_gives_the_eager_values_and_gradients():
    # torch.compile does not differentiate its own backward twice: double
    # backward is tested in eager code (test_torch.py, gradgradcheck).
    def f(t: torch.Tensor) -> torch.Tensor:
        return st.softplus(t, 2.0, 20.0) * st.softsign(t)

    x = (torch.randn(64, dtype=torch.float64) * 20).requires_grad_()
    yc, ye = torch.compile(f, fullgraph=True)(x), f(x)
    assert torch.equal(yc, ye)  # element-wise: a sum would be free to change its order
    (dc,) = torch.autograd.grad(yc, x, torch.ones_like(yc))
    (de,) = torch.autograd.grad(ye, x, torch.ones_like(ye))
    assert torch.allclose(dc, de, rtol=1e-15, atol=0)


@pytest.mark.slow
def test_export_then_run_the_program_in_a_fresh_process(tmp_path):
    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = torch.nn.Linear(4, 4)
            self.act = st.Softplus(beta=2.0, threshold=10.0)

        def forward(self, v: torch.Tensor) -> torch.Tensor:
            return st.softsign(self.act(self.lin(v)))

    torch.manual_seed(0)
    net, x = Net(), torch.randn(3, 4)
    program = torch.export.export(net, (x,))
    targets = {str(n.target) for n in program.graph.nodes if n.op == "call_function"}
    assert {"softlearn.softplus.default", "softlearn.softsign.default"} <= targets
    torch.save(x, tmp_path / "x.pt")
    torch.save(net(x), tmp_path / "y.pt")
    torch.export.save(program, tmp_path / "net.pt2")
    script = f"""
        import torch
        import softlearn.torch  # registers the softlearn:: operators the program calls
        program = torch.export.load({str(tmp_path / "net.pt2")!r})
        x, y = torch.load({str(tmp_path / "x.pt")!r}), torch.load({str(tmp_path / "y.pt")!r})
        assert torch.equal(program.module()(x), y)
        print("ok")
    """
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "ok"


OPS = [
    ("softsign", ()),
    ("softsign_grad", ()),
    ("softplus", (1.0, None)),
    ("softplus", (2.0, 3.0)),
    ("softplus_grad", (1.0, None)),
    ("softplus_grad", (0.5, 1.0)),
]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("op", "params"), OPS)
def test_opcheck_passes_for_every_operator(op, params, dtype):
    overload = getattr(torch.ops.softlearn, op).default
    g = torch.Generator().manual_seed(0)
    samples = [
        torch.randn(7, generator=g, dtype=dtype) * 5,
        (torch.randn(3, 4, generator=g, dtype=dtype) * 5).t().requires_grad_(),
        torch.randn(2, 0, generator=g, dtype=dtype),
    ]
    for x in samples:
        torch.library.opcheck(overload, (x, *params))


# --- CUDA, where there is one


# The device's own exp and log1p are within their own few units: 2 ULP more.
CUDA_BOUNDS = {
    torch.float32: {"value": 1.0, "grad": 1.0},
    torch.float64: {"value": 4.0, "grad": 6.0},
}


@CUDA
@pytest.mark.parametrize("dtype", list(CUDA_BOUNDS))
@pytest.mark.parametrize("name", ["softsign", "softplus"])
def test_cuda_computes_on_the_device_within_the_stated_bounds(name, dtype):
    fn = st.softsign if name == "softsign" else st.softplus
    x = _grid(dtype).cuda().requires_grad_()
    y = fn(x)
    y.backward(torch.ones_like(y))
    assert y.device == x.device and x.grad.device == x.device
    xn = x.detach().cpu().numpy()
    derivative = ref.softsign_grad if name == "softsign" else ref.sigmoid
    for which, got, r in (("value", y, getattr(ref, name)), ("grad", x.grad, derivative)):
        err = ref.ulp_errors(got.detach().cpu().numpy(), ref.reference(r, xn.astype(np.float64)))
        assert err.max() <= CUDA_BOUNDS[dtype][which], f"{which}: {err.max():.3f} ULP"


@CUDA
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cuda_half_types_round_once_from_float64(dtype):
    x = _grid(torch.float32).to(dtype).cuda()
    for fn in (st.softsign, st.softplus):
        y = fn(x)
        assert y.dtype == dtype and y.device == x.device
        assert torch.equal(y.cpu(), fn(x.cpu().double()).to(dtype))
