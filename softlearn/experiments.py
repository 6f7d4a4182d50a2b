"""The experiments of the chapter "Checking the claims": each returns data, not pictures.

Every experiment is seeded, runs on the CPU with one thread, and returns the
same numbers on every run on the same machine, so the notebook that shows
them can be checked by nbval.  They are small: the whole chapter runs in
about a minute.

The networks use PyTorch's own activation modules: the claims are about the
functions, and training speed or dead units do not depend on the last bit.
Importing this module imports PyTorch.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from softlearn import functions as F
from softlearn.registry import get

__all__ = [
    "ACTIVATIONS",
    "cost",
    "dead_units",
    "gradient_flow",
    "make_task",
    "mlp",
    "sparsity",
    "tail_rates",
    "training_curves",
]

#: The four activations as PyTorch modules, by registry name.
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "softplus": nn.Softplus,
    "softsign": nn.Softsign,
    "tanh": nn.Tanh,
}


@contextlib.contextmanager
def _one_thread(seed: int) -> Iterator[None]:
    """Seed PyTorch and run on one thread, for results that repeat exactly."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


# --- tails


def tail_rates(x: Sequence[float] | np.ndarray | None = None) -> dict[str, Any]:
    r"""How fast Softsign and tanh approach 1, and their derivatives 0.

    Returns the gaps :math:`1 - f(x)` and the derivatives on ``x`` (default
    5 to 30), and two fitted rates: the slope of :math:`\log(1 - f)` against
    :math:`\log x` for Softsign (a power law, derived exponent -1; -2 for its
    derivative), over :math:`x` from 100 to a million, and against :math:`x`
    for tanh (an exponential, derived rate -2, for the derivative too), over 5
    to 30.

    Example:
        >>> from softlearn.experiments import tail_rates
        >>> r = tail_rates()
        >>> round(r["softsign_exponent"], 3), round(r["tanh_rate"], 3)
        (-0.999, -2.0)
    """
    xs = np.linspace(0.0, 30.0, 301) if x is None else np.asarray(x, dtype=np.float64)
    gap = {n: _gap(n) for n in ("softsign", "tanh")}
    gaps = {n: g(xs) for n, g in gap.items()}
    grads = {"softsign": F.softsign_grad(xs), "tanh": F.tanh_grad(xs)}
    # Fit where the asymptotic forms hold: a power law needs a wide range of x.
    far = np.geomspace(1e2, 1e6, 200)
    mid = np.linspace(5.0, 30.0, 251)
    tanh_gap = gap["tanh"](mid)
    return {
        "x": xs,
        "gap": gaps,
        "grad": grads,
        "softsign_exponent": _slope(np.log(far), gap["softsign"](far)),
        "softsign_grad_exponent": _slope(np.log(far), F.softsign_grad(far)),
        "tanh_rate": _slope(mid, tanh_gap),
        "tanh_grad_rate": _slope(mid, F.tanh_grad(mid)),
    }


def _gap(name: str) -> Callable[[Any], Any]:
    g = get(name).upper_gap
    assert g is not None, f"{name} is not bounded above"
    return g


def _slope(t: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of log(values) against t."""
    return float(np.polyfit(t, np.log(values), 1)[0])


# --- cost


def cost(n: int = 1_000_000, repeats: int = 9, seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """Seconds per element of each activation, forward and forward+backward.

    For PyTorch (float32 tensors, autograd) and for NumPy (softlearn's
    functions and derivatives, float32), each time is measured ``repeats``
    times, interleaved across the activations so that a burst of load hits
    them all alike.

    Returns:
        ``{"torch forward": {name: [seconds per element, ...]}, "torch
        forward+backward": ..., "numpy forward": ..., "numpy
        forward+backward": ...}``.
    """
    out: dict[str, dict[str, list[float]]] = {
        k: {name: [] for name in ACTIVATIONS}
        for k in (
            "torch forward",
            "torch forward+backward",
            "numpy forward",
            "numpy forward+backward",
        )
    }
    with _one_thread(seed):
        x = torch.randn(n)
        xg = x.clone().requires_grad_()
        xn = x.numpy()
        mods = {name: make() for name, make in ACTIVATIONS.items()}
        np_fns = {name: (get(name).function, get(name).derivative) for name in ACTIVATIONS}

        def torch_fwd(m: nn.Module) -> None:
            with torch.no_grad():
                m(x)

        def torch_both(m: nn.Module) -> None:
            xg.grad = None
            m(xg).sum().backward()

        for _ in range(repeats):
            for name in ACTIVATIONS:
                f, df = np_fns[name]
                for key, call in (
                    ("torch forward", lambda m=mods[name]: torch_fwd(m)),
                    ("torch forward+backward", lambda m=mods[name]: torch_both(m)),
                    ("numpy forward", lambda f=f: f(xn)),
                    ("numpy forward+backward", lambda f=f, df=df: (f(xn), df(xn))),
                ):
                    start = time.perf_counter()
                    call()
                    out[key][name].append((time.perf_counter() - start) / n)
    return out


def cost_verdict(times: dict[str, list[float]], margin: float = 1.25) -> dict[str, str]:
    """Compare each activation with ReLU, robustly: a verdict only beyond ``margin``.

    An activation is called slower than ReLU when even its fastest quarter of
    runs is more than ``margin`` times ReLU's slowest quarter; faster in the
    mirror case; otherwise "no clear difference".  Noise can then make a
    verdict disappear, but not flip.
    """

    def quartiles(v: list[float]) -> tuple[float, float]:
        q = statistics.quantiles(v, n=4)
        return q[0], q[2]

    r_lo, r_hi = quartiles(times["relu"])
    verdicts = {}
    for name, v in times.items():
        if name == "relu":
            continue
        lo, hi = quartiles(v)
        if lo > margin * r_hi:
            verdicts[name] = "slower than ReLU"
        elif hi * margin < r_lo:
            verdicts[name] = "faster than ReLU"
        else:
            verdicts[name] = "no clear difference"
    return verdicts


# --- networks and data


def make_task(n: int = 512, dim: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A synthetic regression task: a smooth non-linear function of Gaussian inputs."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=g)
    w = torch.randn(dim, 1, generator=g) / math.sqrt(dim)
    y = torch.sin(2 * x @ w) + 0.5 * (x[:, :1] * x[:, 1:2])
    return x, y


def mlp(dim: int, width: int, depth: int, activation: str) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units, each followed by ``activation``."""
    layers: list[nn.Module] = []
    d = dim
    for _ in range(depth):
        layers += [nn.Linear(d, width), ACTIVATIONS[activation]()]
        d = width
    layers.append(nn.Linear(d, 1))
    return nn.Sequential(*layers)


def _train(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int,
    clip: float | None = None,
) -> list[float]:
    """Full-batch training on the mean squared error; the loss before each step."""
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        losses.append(loss.item())
    return losses


def _hidden(model: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """The output of every activation layer."""
    outs = []
    h = x
    for layer in model:
        h = layer(h)
        if not isinstance(layer, nn.Linear):
            outs.append(h)
    return outs


# --- dead units and sparsity


def dead_units(
    activation: str,
    lr: float = 0.5,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    steps: int = 200,
    clip: float = 5.0,
) -> dict[str, list[float]]:
    """Units that are dead after training: zero output and zero gradient on every example.

    A one-hidden-layer network of 64 units is trained with plain SGD at a
    learning rate high enough to push many pre-activations far negative.  The
    gradient norm is clipped at ``clip`` so that no run diverges: a network
    of NaNs has no dead units, and would prove nothing.

    Returns:
        For each seed: ``"dead"``, the number of dead hidden units (of 64);
        ``"zero_gradient"``, the fraction of (example, unit) pairs whose
        activation has a derivative of exactly 0; ``"smallest_gradient"``, the
        smallest derivative found; ``"finite"``, 1.0 if every weight is finite.
    """
    x, y = make_task()
    out: dict[str, list[float]] = {
        "dead": [],
        "zero_gradient": [],
        "smallest_gradient": [],
        "finite": [],
    }
    for seed in seeds:
        with _one_thread(seed):
            model = mlp(x.shape[1], 64, 1, activation)
            _train(model, torch.optim.SGD(model.parameters(), lr=lr), x, y, steps, clip)
            pre = model[0](x).detach().requires_grad_()
            act = model[1](pre)
            act.sum().backward()
            grad = pre.grad
            assert grad is not None
        out["dead"].append(int(((act == 0).all(0) & (grad == 0).all(0)).sum()))
        out["zero_gradient"].append(float((grad == 0).float().mean()))
        out["smallest_gradient"].append(float(grad.min()))
        finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
        out["finite"].append(float(finite))
    return out


def sparsity(seeds: Sequence[int] = (0, 1, 2), steps: int = 200) -> dict[str, float]:
    """Fraction of exactly-zero hidden activations after training, per activation.

    Returns:
        ``{name: fraction}``, averaged over the seeds and over a 4-layer
        network's hidden layers.
    """
    x, y = make_task()
    out = {}
    for name in ACTIVATIONS:
        fractions = []
        for seed in seeds:
            with _one_thread(seed):
                model = mlp(x.shape[1], 32, 4, name)
                _train(model, torch.optim.Adam(model.parameters(), lr=1e-2), x, y, steps)
                with torch.no_grad():
                    hidden = _hidden(model, x)
                fractions.append(
                    float(torch.cat([(h == 0).flatten() for h in hidden]).float().mean())
                )
        out[name] = statistics.fmean(fractions)
    return out


# --- gradient flow


def gradient_flow(depth: int = 20, width: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """The norm of the loss gradient for each layer's weights, at initialisation.

    PyTorch's default initialisation, a batch of the synthetic task, one
    backward pass.  Layer 0 is next to the input.

    Returns:
        ``{name: array of depth + 1 gradient norms}``.
    """
    x, y = make_task()
    out = {}
    for name in ACTIVATIONS:
        with _one_thread(seed):
            model = mlp(x.shape[1], width, depth, name)
            nn.functional.mse_loss(model(x), y).backward()
            norms = [
                float(m.weight.grad.norm())  # type: ignore[union-attr]
                for m in model
                if isinstance(m, nn.Linear)
            ]
        out[name] = np.array(norms)
    return out


# --- training speed


def training_curves(
    depth: int,
    width: int,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    steps: int = 300,
    lr: float = 1e-3,
) -> dict[str, np.ndarray]:
    """Training loss per step for each activation, over several seeds.

    Adam, full batch on the synthetic task, the same initial seed for every
    activation.

    Returns:
        ``{name: array of shape (len(seeds), steps)}``.
    """
    x, y = make_task()
    out = {}
    for name in ACTIVATIONS:
        runs = []
        for seed in seeds:
            with _one_thread(seed):
                model = mlp(x.shape[1], width, depth, name)
                opt = torch.optim.Adam(model.parameters(), lr=lr)
                runs.append(_train(model, opt, x, y, steps))
        out[name] = np.array(runs)
    return out
