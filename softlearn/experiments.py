"""The experiments of the chapter "Checking the claims": each returns data, not pictures.

Every experiment is seeded, runs on the CPU with one thread, and is small:
the whole chapter runs in about a minute.  Except :func:`cost`, which times
PyTorch and NumPy, every result is the same on every machine to far more
digits than the book prints, so that the notebook that shows them is checked
by nbval anywhere: the networks and fits here avoid everything whose last
bit depends on the CPU (see the note above :func:`_matmul`, and
:func:`softlearn.portable.slope`).

Importing this module imports mpmath; :func:`cost` also imports PyTorch.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import mpmath as mp
import numpy as np

from softlearn import functions
from softlearn._definitions import DEFINITIONS
from softlearn.portable import logspace, slope
from softlearn.registry import get

__all__ = [
    "NAMES",
    "Network",
    "backward_gain",
    "cost",
    "cost_verdict",
    "dead_units",
    "gradient_flow",
    "make_task",
    "sparsity",
    "tail_rates",
    "training_curves",
]

#: The four activations of the chapter, by registry name.
NAMES = tuple(sorted(DEFINITIONS))


# --- tails


def tail_rates(x: Sequence[float] | np.ndarray | None = None) -> dict[str, Any]:
    r"""How fast Softsign and tanh approach 1, and their derivatives 0.

    Returns the gaps :math:`1 - f(x)` and the derivatives on ``x`` (default
    0 to 30), and two fitted rates: the slope of :math:`\log(1 - f)` against
    :math:`\log x` for Softsign (a power law, derived exponent -1; -2 for its
    derivative), over :math:`x` from 100 to a million, and against :math:`x`
    for tanh (an exponential, derived rate -2, for the derivative too), over 5
    to 30.  ``fit_range`` gives those two ranges, ``(first x, last x)``.

    Example:
        >>> from softlearn.experiments import tail_rates
        >>> r = tail_rates()
        >>> round(r["softsign_exponent"], 3), round(r["tanh_rate"], 3)
        (-0.999, -2.0)
    """
    xs = np.linspace(0.0, 30.0, 301) if x is None else np.asarray(x, dtype=np.float64)
    gap = {n: _gap(n) for n in ("softsign", "tanh")}
    gaps = {n: g(xs) for n, g in gap.items()}
    grads = {"softsign": functions.softsign_grad(xs), "tanh": functions.tanh_grad(xs)}
    # Fit where the asymptotic forms hold: a power law needs a wide range of x.
    far = logspace(2, 6, 200)
    mid = np.linspace(5.0, 30.0, 251)
    tanh_gap = gap["tanh"](mid)
    return {
        "x": xs,
        "gap": gaps,
        "grad": grads,
        "softsign_exponent": slope(far, gap["softsign"](far), log_t=True),
        "softsign_grad_exponent": slope(far, functions.softsign_grad(far), log_t=True),
        "tanh_rate": slope(mid, tanh_gap),
        "tanh_grad_rate": slope(mid, functions.tanh_grad(mid)),
        "fit_range": {"softsign": (far[0], far[-1]), "tanh": (mid[0], mid[-1])},
    }


def _gap(name: str) -> Callable[[Any], Any]:
    g = get(name).upper_gap
    assert g is not None, f"{name} is not bounded above"
    return g


# --- cost


def cost(n: int = 1_000_000, repeats: int = 9, seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """Seconds per element of each activation, forward and forward+backward.

    For PyTorch (float32 tensors, its own activation modules, autograd) and
    for NumPy (softlearn's functions and derivatives, float32), each time is
    measured ``repeats`` times, interleaved across the activations so that a
    burst of load hits them all alike.  Times differ from machine to machine
    and from run to run; this is the one experiment here whose results do.

    Returns:
        ``{"torch forward": {name: [seconds per element, ...]}, "torch
        forward+backward": ..., "numpy forward": ..., "numpy
        forward+backward": ...}``.
    """
    out: dict[str, dict[str, list[float]]] = {
        k: {name: [] for name in NAMES}
        for k in (
            "torch forward",
            "torch forward+backward",
            "numpy forward",
            "numpy forward+backward",
        )
    }
    import torch
    from torch import nn

    modules: dict[str, Callable[[], nn.Module]] = {
        "relu": nn.ReLU,
        "softplus": nn.Softplus,
        "softsign": nn.Softsign,
        "tanh": nn.Tanh,
    }
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x = torch.randn(n, generator=torch.Generator().manual_seed(seed))
        xg = x.clone().requires_grad_()
        xn = x.numpy()
        mods = {name: modules[name]() for name in NAMES}
        np_fns = {name: (get(name).function, get(name).derivative) for name in NAMES}

        def torch_fwd(m: nn.Module) -> None:
            with torch.no_grad():
                m(x)

        def torch_both(m: nn.Module) -> None:
            xg.grad = None
            m(xg).sum().backward()

        for _ in range(repeats):
            for name in NAMES:
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
    finally:
        torch.set_num_threads(threads)
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
#
# The networks are small NumPy programs rather than PyTorch modules, so that
# what the book prints from them is the same on every machine:
#
# * every matrix product sums in one fixed order (:func:`_matmul`), where BLAS
#   picks an order by CPU; every other sum is ``math.fsum``, which is exact;
# * the data and the initial weights are drawn from NumPy's PCG64 generator
#   as uniform numbers (a normal sampler calls the C library's exp and log),
#   and the target function is evaluated by mpmath;
# * everything else is +, -, *, / and sqrt, which IEEE 754 defines exactly,
#   and softlearn's functions, which are correctly rounded: the same bits
#   from the compiled kernels and from the NumPy path, on every machine
#   (checked under every variant of tools/platforms.py).
#
# Training amplifies differences: Adam divides each gradient by its own
# running size, so a last-bit difference in a near-zero gradient becomes a
# full-size step.  PyTorch's float64 training of the deep network, run under
# emulated CPUs, drifted in the third digit of its loss.


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``, summed over the inner index in an order fixed by the shapes alone.

    Every step is an element-wise multiply or add, each rounded once, so the
    result is the same on every machine (no fused multiply-add: NumPy rounds
    the product before the sum).  A short inner index is summed in order,
    0, 1, 2, ...; a long one pairwise, which costs fewer Python steps.
    """
    if a.shape[1] <= 64:
        out: np.ndarray = a[:, :1] * b[:1, :]
        for k in range(1, a.shape[1]):
            out += a[:, k : k + 1] * b[k : k + 1, :]
        return out
    terms: np.ndarray = a.T[:, :, None] * b[:, None, :]  # terms[k] = outer(a[:, k], b[k])
    while len(terms) > 1:
        half = len(terms) // 2
        pairs = terms[:half] + terms[half : 2 * half]
        terms = np.concatenate([pairs, terms[2 * half :]]) if len(terms) % 2 else pairs
    result: np.ndarray = terms[0]
    return result


def _sum(values: np.ndarray) -> float:
    """The exact sum of ``values``, rounded once."""
    return math.fsum(values.ravel().tolist())


def make_task(n: int = 256, dim: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic regression task: a smooth non-linear function of ``dim`` inputs.

    Inputs are uniform on :math:`[-\\sqrt 3, \\sqrt 3]` (mean 0, variance 1);
    the target is :math:`\\sin(2\\,x \\cdot w) + x_0 x_1 / 2` for a random
    direction ``w``, evaluated by mpmath and rounded once.

    Returns:
        ``x`` of shape ``(n, dim)`` and ``y`` of shape ``(n, 1)``, float64.
    """
    rng = np.random.default_rng(seed)
    half = math.sqrt(3.0)
    x = rng.uniform(-half, half, size=(n, dim))
    w = rng.uniform(-1.0, 1.0, size=dim)
    y = [_target(row, w) for row in x.tolist()]
    return x, np.array(y).reshape(n, 1)


def _target(row: list[float], w: np.ndarray) -> float:
    with mp.workprec(113):
        dot = mp.fsum(mp.mpf(a) * mp.mpf(float(b)) for a, b in zip(row, w, strict=True))
        return float(mp.sin(2 * dot) + mp.mpf(row[0]) * row[1] / 2)


class Network:
    """``depth`` hidden layers of ``width`` units, each followed by ``activation``.

    Initialised as PyTorch initialises ``nn.Linear``: weights and biases
    uniform on :math:`\\pm 1/\\sqrt{\\text{fan-in}}`, from the seeded generator.
    """

    def __init__(self, dim: int, width: int, depth: int, activation: str, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.activation = get(activation)
        sizes = [dim] + [width] * depth + [1]
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = 1.0 / math.sqrt(fan_in)
            self.params.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)))
            self.params.append(rng.uniform(-bound, bound, size=(1, fan_out)))

    @property
    def depth(self) -> int:
        return len(self.params) // 2 - 1

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """The output, and each hidden layer's pre-activation and activation."""
        pre: list[np.ndarray] = []
        post: list[np.ndarray] = []
        h = x
        for w, b in zip(self.params[:-2:2], self.params[1:-2:2], strict=True):
            z = _matmul(h, w) + b
            h = np.asarray(self.activation.function(z))
            pre.append(z)
            post.append(h)
        return _matmul(h, self.params[-2]) + self.params[-1], pre, post

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean squared error on ``(x, y)`` and its gradient for every parameter."""
        loss, grads, _ = self.backward(x, y)
        return loss, grads

    def backward(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """The loss, the parameters' gradients, and the gradient at each hidden pre-activation."""
        out, pre, post = self.forward(x)
        diff = out - y
        loss = _sum(diff * diff) / len(y)
        grads: list[np.ndarray] = [np.empty(0)] * len(self.params)
        deltas: list[np.ndarray] = [np.empty(0)] * self.depth
        dz = diff * (2.0 / len(y))
        for layer in range(self.depth, -1, -1):
            h = x if layer == 0 else post[layer - 1]
            grads[2 * layer] = _matmul(h.T, dz)
            grads[2 * layer + 1] = _matmul(np.ones((1, len(dz))), dz)
            if layer:
                dh = _matmul(dz, self.params[2 * layer].T)
                dz = dh * np.asarray(self.activation.derivative(pre[layer - 1]))
                deltas[layer - 1] = dz
        return loss, grads, deltas


class _SGD:
    """Plain gradient descent, with the gradient's norm clipped at ``clip``."""

    def __init__(self, lr: float, clip: float | None = None) -> None:
        self.lr, self.clip = lr, clip

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        scale = self.lr
        if self.clip is not None:
            norm = math.sqrt(math.fsum(_sum(g * g) for g in grads))
            if norm > self.clip:  # PyTorch's clip_grad_norm_, without its 1e-6
                scale *= self.clip / norm
        for p, g in zip(params, grads, strict=True):
            p -= scale * g


class _Adam:
    """Adam with PyTorch's defaults (betas 0.9 and 0.999, eps 1e-8)."""

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.lr, self.b1, self.b2, self.eps = lr, 0.9, 0.999, 1e-8
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.b1t = self.b2t = 1.0  # beta**t by multiplication: pow() is libm's

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.b1t *= self.b1
        self.b2t *= self.b2
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * (g * g)
            p -= self.lr * (m / (1 - self.b1t)) / (np.sqrt(v / (1 - self.b2t)) + self.eps)


def _train(
    net: Network,
    opt: _SGD | _Adam,
    x: np.ndarray,
    y: np.ndarray,
    steps: int,
) -> list[float]:
    """Full-batch training on the mean squared error; the loss before each step."""
    losses = []
    for _ in range(steps):
        loss, grads = net.loss_and_gradients(x, y)
        opt.step(net.params, grads)
        losses.append(loss)
    return losses


# --- dead units and sparsity


def dead_units(
    activation: str,
    lr: float = 1.0,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    steps: int = 200,
    clip: float = 5.0,
) -> dict[str, list[float]]:
    """Units that are dead after training: zero output and zero gradient on every example.

    A one-hidden-layer network of 64 units is trained with plain gradient
    descent at a learning rate high enough to push many pre-activations far
    negative.  The gradient norm is clipped at ``clip`` so that no run
    diverges: a network of NaNs has no dead units, and would prove nothing.

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
        net = Network(x.shape[1], 64, 1, activation, seed)
        _train(net, _SGD(lr, clip), x, y, steps)
        _, (pre,), (act,) = net.forward(x)
        grad = np.asarray(net.activation.derivative(pre))
        out["dead"].append(int(np.sum(np.all(act == 0, axis=0) & np.all(grad == 0, axis=0))))
        out["zero_gradient"].append(float(np.count_nonzero(grad == 0) / grad.size))
        out["smallest_gradient"].append(float(grad.min()))
        out["finite"].append(float(all(np.isfinite(p).all() for p in net.params)))
    return out


def sparsity(seeds: Sequence[int] = (0, 1, 2), steps: int = 200) -> dict[str, float]:
    """Fraction of exactly-zero hidden activations after training, per activation.

    Returns:
        ``{name: fraction}``, over the seeds and over a 4-layer network's
        hidden layers (32 units each), trained with Adam.
    """
    x, y = make_task()
    out = {}
    for name in NAMES:
        zeros = total = 0
        for seed in seeds:
            net = Network(x.shape[1], 32, 4, name, seed)
            _train(net, _Adam(net.params, lr=1e-2), x, y, steps)
            _, _, hidden = net.forward(x)
            zeros += sum(int(np.count_nonzero(h == 0)) for h in hidden)
            total += sum(h.size for h in hidden)
        out[name] = zeros / total
    return out


# --- gradient flow


def gradient_flow(depth: int = 20, width: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """The norm of the loss gradient for each layer's weights, at initialisation.

    PyTorch's default initialisation, the whole synthetic task as one batch,
    one backward pass.  Layer 0 is next to the input.

    Returns:
        ``{name: array of depth + 1 gradient norms}``.
    """
    x, y = make_task()
    out = {}
    for name in NAMES:
        net = Network(x.shape[1], width, depth, name, seed)
        _, grads = net.loss_and_gradients(x, y)
        out[name] = np.array([math.sqrt(_sum(g * g)) for g in grads[::2]])
    return out


def backward_gain(depth: int = 20, width: int = 64, seed: int = 0) -> dict[str, dict[str, float]]:
    r"""How much of the gradient one hidden layer passes back, predicted and measured.

    Going back through a layer multiplies the gradient by the transposed
    weights and then, unit by unit, by the activation's derivative at the
    unit's pre-activation :math:`z`.  With weights uniform on
    :math:`\pm 1/\sqrt{\text{width}}` (variance :math:`1/(3\,\text{width})`),
    the squared norm is multiplied on average by
    :math:`\text{width} \cdot \operatorname{Var}(w) \cdot \overline{f'(z)^2}
    = \overline{f'(z)^2}/3`, where the bar is the mean over the layer's units
    and examples.  The same network as :func:`gradient_flow`.

    Returns:
        ``{name: {"mean_square_derivative": ..., "predicted": ..., "measured": ...}}``:
        the mean of :math:`f'(z)^2` over every hidden pre-activation; the
        predicted gain per layer, the geometric mean over the layers of
        :math:`\sqrt{\overline{f'(z)^2}/3}`; and the measured one, the
        geometric mean of the ratios of the gradient's norm at consecutive
        hidden pre-activations.
    """
    x, y = make_task()
    out = {}
    for name in NAMES:
        net = Network(x.shape[1], width, depth, name, seed)
        _, pre, _ = net.forward(x)
        _, _, deltas = net.backward(x, y)
        squares = [np.asarray(net.activation.derivative(z)) ** 2 for z in pre]
        means = [_sum(s) / s.size for s in squares]
        # The gradient at layer l - 1 comes from layer l through f' at layer l - 1.
        predicted = math.exp(statistics.fmean(math.log(math.sqrt(m / 3)) for m in means[:-1]))
        norms = [math.sqrt(_sum(d * d)) for d in deltas]
        measured = (norms[0] / norms[-1]) ** (1 / (len(norms) - 1))
        out[name] = {
            "mean_square_derivative": _sum(np.concatenate([s.ravel() for s in squares]))
            / sum(s.size for s in squares),
            "predicted": predicted,
            "measured": measured,
        }
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
    for name in NAMES:
        runs = []
        for seed in seeds:
            net = Network(x.shape[1], width, depth, name, seed)
            runs.append(_train(net, _Adam(net.params, lr), x, y, steps))
        out[name] = np.array(runs)
    return out
