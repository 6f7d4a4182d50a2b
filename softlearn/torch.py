r"""Softsign and Softplus for PyTorch, on any device, under any transform.

:class:`Softsign` and :class:`Softplus` are drop-in replacements for
``torch.nn.Softsign`` and ``torch.nn.Softplus``; :func:`softsign` and
:func:`softplus` are the functional forms.

What each path guarantees:

- **CPU.** The value and the first derivative are softlearn's compiled NumPy
  kernels, registered as the CPU kernels of the ``torch.library`` operators
  ``softlearn::softsign``, ``softlearn::softsign_grad``, ``softlearn::softplus``
  and ``softlearn::softplus_grad``.  They run on the tensor's own memory and
  give the same bits as ``softlearn.softsign`` and friends: correctly rounded
  in float16, float32 and float64.  bfloat16 goes through the correctly
  rounded float32 result, so it is within 1 ULP.  As PyTorch's own kernels
  do, a contiguous tensor of more than ``GRAIN`` elements per thread is split
  over ``torch.get_num_threads()`` threads; the bits do not depend on it.
  Those threads are not PyTorch's OpenMP team, whose idle threads spin for
  a while after each parallel operation and hold the cores meanwhile
  (``GOMP_SPINCOUNT=0`` stops that).
- **Other devices** (CUDA, MPS, XPU, ...). The same formulas
  (softlearn/_formulas.py), written in torch ops, on the tensor's device:
  float16, bfloat16 and float32 are evaluated in float64 and rounded once;
  float64 is evaluated in float64.  ``DEVICE_ULPS`` states the bounds,
  measured on the CPU in tests/test_torch_transforms.py (a device's own exp
  and log1p may differ by their own few units).  MPS, and Intel GPUs without
  float64, evaluate in float32.
- **Second derivatives** (double backward, ``hessian``) are the formulas of
  the second derivative in torch ops, in the same working precision, on every
  device; higher orders are autograd of those formulas (the record's third
  derivative is used by softlearn.keras only).

The gradients are analytic.  PyTorch's own softsign gradient is the autograd of
``x / (1 + |x|)``, which cancels for large ``|x|`` (every digit is wrong in
float32 from about ``|x| = 3e7``); here it is ``r * r`` with ``r = 1/(1+|x|)``.

Every operator has a fake kernel, a vmap rule and an autograd formula, and
passes ``torch.library.opcheck``.  The public functions wrap them in
``torch.autograd.Function`` classes with ``setup_context``, ``jvp`` and a
generated vmap rule, so ``torch.func`` (``vmap``, ``grad``, ``jvp``,
``jacrev``, ``jacfwd``, ``hessian``), ``torch.compile(fullgraph=True)``,
``torch.export`` and double backward all work.  An exported program calls the
``softlearn::`` operators, so the process that runs it imports
``softlearn.torch`` first.  ``torch.func`` does not combine with
``torch.compile``: compiled code calls the operators, which have backward
formulas only, so forward mode under ``torch.compile`` gives zero tangents,
as for any PyTorch custom operator without a forward-mode formula.

Importing this module imports PyTorch; ``import softlearn`` alone does not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch
from torch import nn

from softlearn import functions as sl
from softlearn._checks import check_beta, check_threshold
from softlearn._definitions import DEFINITIONS, Definition
from softlearn._docstrings import fill
from softlearn._formulas import namespace, two_product_error

__all__ = ["Softplus", "Softsign", "softplus", "softsign"]


# --- the formulas in torch ops


def _product_error(a: torch.Tensor, b: Any, p: torch.Tensor) -> torch.Tensor:
    """The exact ``a * b - p`` for ``p = a * b`` as torch rounds it.

    torch rounds a Python float ``b`` to ``a``'s dtype before multiplying, so
    in float32 (MPS) the product lost ``b``'s low part too: ``b - hi`` is
    added back, scaled by ``a``, on top of Dekker's error of ``a * hi``.
    """
    split = {torch.float64: 2.0**27 + 1, torch.float32: 2.0**12 + 1}[a.dtype]
    if isinstance(b, torch.Tensor):
        return two_product_error(a, b.to(a.dtype), p, TORCH, split)  # type: ignore[no-any-return]
    hi = float(np.float32(b)) if a.dtype == torch.float32 else float(b)
    out: torch.Tensor = two_product_error(a, torch.full_like(a, hi), p, TORCH, split)
    return out if hi == b else out + a * (b - hi)


TORCH = namespace(torch, torch.relu, _product_error)
"""The namespace of torch ops that softlearn/_formulas.py's formulas use."""


#: Worst error, in ULPs, of the value and of the first derivative on devices
#: other than the CPU, by (result dtype, working dtype), for every ``beta``.
#: Measured on the CPU with the same formulas; tests/test_torch_transforms.py
#: checks each one.  The CPU kernels are correctly rounded: 0.5 (bfloat16,
#: rounded twice: 1).  One exception: softplus with ``beta < 1`` where
#: ``e**(-beta |x|)`` is subnormal in the working dtype (``beta |x|`` above
#: about 708 in float64, 87 in float32) while the result, about that number
#: over ``beta``, is not: the lost digits of the intermediate show, growing as
#: ``1 / beta`` (6 ULP at ``beta = 0.37``, 1600 at ``beta = 0.001``).
DEVICE_ULPS = {
    ("float16", "float64"): (1.0, 1.0),
    ("bfloat16", "float64"): (1.0, 1.0),
    ("float32", "float64"): (1.0, 1.0),
    ("float64", "float64"): (3.0, 4.0),
    ("float16", "float32"): (1.0, 1.0),  # MPS, which has no float64
    ("bfloat16", "float32"): (1.0, 1.0),
    ("float32", "float32"): (3.0, 4.0),
}


def _working_dtype(x: torch.Tensor) -> torch.dtype:
    # float64 carries 29 bits more than float32 needs, so one rounding at the
    # end is within 1 ULP.  MPS has no float64, nor have some Intel GPUs.
    if x.device.type == "mps":
        return torch.float32
    if x.device.type == "xpu" and not torch.xpu.get_device_properties(x.device).has_fp64:
        return torch.float32
    return torch.float64


def _cut(x: torch.Tensor, beta: float, threshold: float | None) -> torch.Tensor | None:
    """PyTorch's linear region ``beta * x > threshold``, rounded as PyTorch rounds it."""
    if threshold is None:
        return None
    opmath = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    return x.to(opmath) * beta > threshold


def on_device(
    formula: Callable[..., Any], at_cut: Any, x: torch.Tensor, *params: Any
) -> torch.Tensor:
    """``formula(x, beta, TORCH)`` in torch ops on ``x``'s device, rounded once to its dtype.

    ``params`` is ``()`` or ``(beta, threshold)``.  Where PyTorch's test
    ``beta * x > threshold`` holds, the result is ``at_cut``: ``"x"`` for the
    value, then 1 and 0 for the derivatives.  This is the operators' kernel
    on every device but the CPU, and the second derivative on every device.
    """
    beta = params[0] if params else 1.0
    y: torch.Tensor = formula(x.to(_working_dtype(x)), beta, TORCH).to(x.dtype)
    cut = _cut(x, beta, params[1]) if params else None
    if cut is None:
        return y
    return torch.where(cut, x if at_cut == "x" else float(at_cut), y)


# --- the operators


#: Elements per thread below which a tensor is not split: PyTorch's own
#: ``at::internal::GRAIN_SIZE``, so small tensors stay on the calling thread.
GRAIN = 32768
#: Chunks start on multiples of this many elements (64 bytes in float32) so
#: every thread's vector loop meets aligned memory, as one thread's does.
_ALIGN = 16


@functools.cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="softlearn")


def _chunks(n: int, threads: int) -> list[slice]:
    """``range(n)`` in at most ``threads`` pieces of at least GRAIN elements."""
    parts = min(threads, n // GRAIN)
    if parts < 2:
        return [slice(0, n)]
    step = -(-n // parts)
    step += -step % _ALIGN
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _parallel(function: Callable[..., Any], x: np.ndarray, out: np.ndarray, params: Any) -> None:
    """``function(x, *params, out=out)`` split over ``torch.get_num_threads()`` threads.

    The kernels release the GIL, and each element's result depends on that
    element alone, so the bits are the same for any split.  Only C-contiguous
    pairs are split; other layouts run on the calling thread.
    """
    threads = torch.get_num_threads()
    pieces = _chunks(x.size, threads) if x.flags.c_contiguous and out.flags.c_contiguous else []
    if len(pieces) < 2:
        function(x, *params, out=out)
        return
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    jobs = [
        _pool(threads - 1).submit(function, flat_x[s], *params, out=flat_out[s]) for s in pieces[1:]
    ]
    try:
        function(flat_x[pieces[0]], *params, out=flat_out[pieces[0]])
    finally:  # every thread finishes writing ``out`` before it is returned or freed
        for job in jobs:
            job.result()


def _cpu_kernel(function: Callable[..., Any]) -> Callable[..., torch.Tensor]:
    """A softlearn NumPy function as a CPU kernel, writing into a new tensor like ``x``."""

    def kernel(x: torch.Tensor, *params: Any) -> torch.Tensor:
        if x.dtype == torch.bfloat16:  # NumPy has no bfloat16
            return kernel(x.float(), *params).to(torch.bfloat16)
        out = torch.empty_like(x)  # what the fake kernel allocates, strides included
        _parallel(function, x.numpy(), out.numpy(), params)
        return out

    return kernel


def _operator(
    name: str, function: Callable[..., Any], formula: Any, at_cut: Any, beta: bool
) -> Any:
    params = "Tensor x, float beta, float? threshold" if beta else "Tensor x"
    schema = f"({params}) -> Tensor"
    op = torch.library.custom_op(
        f"softlearn::{name}",
        lambda x, *params: on_device(formula, at_cut, x, *params),
        mutates_args=(),
        schema=schema,
    )
    op.register_kernel("cpu")(_cpu_kernel(function))
    op.register_fake(lambda x, *params: torch.empty_like(x))
    # Element-wise: a batched input is just a bigger input.
    torch.library.register_vmap(op, lambda info, dims, x, *params: (op(x, *params), dims[0]))
    return op


class _Ops:
    """The value and derivative operators of one activation, and their autograd."""

    def __init__(self, d: Definition) -> None:
        self.value = _operator(d.function, getattr(sl, d.function), d.value, "x", d.has_beta)
        self.grad = _operator(d.grad_function, getattr(sl, d.grad_function), d.grad, 1, d.has_beta)
        self.grad2 = d.grad2
        self.value.register_autograd(_backward(self.grad), setup_context=_save_x)
        self.grad.register_autograd(_backward(self._second), setup_context=_save_x)
        # Dynamo traces the OpOverloads, not the CustomOpDef objects.
        ops = torch.ops.softlearn
        value = getattr(ops, d.function).default
        grad = getattr(ops, d.grad_function).default
        self.function = _functions(value, grad, self._second)

    def _second(self, x: torch.Tensor, *params: Any) -> torch.Tensor:
        return on_device(self.grad2, 0, x, *params)


def _save_x(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    ctx.save_for_backward(inputs[0])
    ctx.params = inputs[1:]


def _at_x(ctx: Any, derivative: Callable[..., torch.Tensor]) -> torch.Tensor:
    """``derivative`` at the saved input, with the saved parameters."""
    (x,) = ctx.saved_tensors
    return derivative(x, *ctx.params)


def _backward(derivative: Callable[..., torch.Tensor]) -> Any:
    """The backward formula of an operator whose derivative is ``derivative``.

    One function for both autograd paths: the operators' own
    (``register_autograd``) and the ``autograd.Function`` classes.  The
    parameters ``beta`` and ``threshold`` get no gradient.
    """

    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        return (_times(grad, _at_x(ctx, derivative)), *(None for _ in ctx.params))

    return backward


def _times(g: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """``g * d``, into ``d`` where nothing records or transforms it.

    A plain backward pass (no ``create_graph``, no ``torch.func``) owns the
    fresh derivative ``d``: multiplying in place saves a tensor's worth of
    memory, which PyTorch's fused ``softplus_backward`` never allocates.
    """
    if (
        torch.is_grad_enabled()
        or torch._C._functorch.is_functorch_wrapped_tensor(d)
        or torch._C._functorch.is_functorch_wrapped_tensor(g)
        or d.shape != g.shape
        or d.dtype != torch.promote_types(d.dtype, g.dtype)
    ):
        return g * d
    return d.mul_(g)


def _functions(value: Any, grad: Any, second: Callable[..., torch.Tensor]) -> Any:
    """The public function of ``value``, with its derivative ``grad``, for every transform.

    The operators' own autograd serves code that calls them directly.
    ``torch.func`` needs ``autograd.Function`` classes with ``setup_context``
    and, for forward mode, ``jvp``.  Dynamo cannot trace a Function with a
    ``jvp``, so compiled code calls the operators.
    """

    def make(op: Any, derivative: Callable[..., torch.Tensor]) -> Any:
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
            _save_x(ctx, inputs, output)
            ctx.save_for_forward(inputs[0])

        def jvp(ctx: Any, t: torch.Tensor, *_: Any) -> torch.Tensor:
            return t * _at_x(ctx, derivative)

        body = {
            "generate_vmap_rule": True,
            "forward": staticmethod(lambda x, *params: op(x, *params)),
            "setup_context": staticmethod(setup_context),
            "backward": staticmethod(_backward(derivative)),
            "jvp": staticmethod(jvp),
        }
        return type(str(op), (torch.autograd.Function,), body)

    eager = make(value, make(grad, second).apply)

    def apply(x: torch.Tensor, *params: Any) -> torch.Tensor:
        out: torch.Tensor
        if torch.compiler.is_compiling():
            out = value(x, *params)
        else:
            out = eager.apply(x, *params)
        return out

    return apply


_SOFTSIGN = _Ops(DEFINITIONS["softsign"])
_SOFTPLUS = _Ops(DEFINITIONS["softplus"])


# --- the public API


def _check_tensor(x: Any, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}() takes a torch.Tensor; got {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise TypeError(
            f"{name}() takes a floating-point tensor; got dtype {x.dtype}. "
            "Convert it first, for example with x.float()."
        )


def softsign(x: torch.Tensor) -> torch.Tensor:
    r"""Softsign of a tensor, :math:`x / (1 + |x|)`, with an analytic gradient.

    Like ``torch.nn.functional.softsign``, but correctly rounded on the CPU,
    ``softsign(±inf) = ±1`` rather than NaN, and a gradient
    :math:`1/(1+|x|)^2` that keeps its digits for large :math:`|x|`.

    Args:
        x: a floating-point tensor of any shape, on any device.

    Returns:
        A new tensor of the same shape, dtype and device.

    Example:
        >>> import torch
        >>> from softlearn.torch import softsign
        >>> x = torch.tensor([-1.5, 9.0, 1e8], requires_grad=True)
        >>> y = softsign(x)
        >>> y.sum().backward()
        >>> print(y.detach(), x.grad)
        tensor([-0.6000,  0.9000,  1.0000]) tensor([1.6000e-01, 1.0000e-02, 1.0000e-16])
        >>> torch.func.vmap(torch.func.grad(softsign))(torch.tensor([0.0, 1.0]))
        tensor([1.0000, 0.2500])
    """
    _check_tensor(x, "softsign")
    out: torch.Tensor = _SOFTSIGN.function(x)
    return out


def softplus(x: torch.Tensor, beta: float = 1.0, threshold: float | None = None) -> torch.Tensor:
    r"""Softplus of a tensor, :math:`\log(1 + e^{\beta x})/\beta`, with an analytic gradient.

    Args:
        x: a floating-point tensor of any shape, on any device.
        beta: sharpness, a finite number > 0.
        threshold: ``None`` (the default): no cut-off, the function itself
            everywhere (correctly rounded on the CPU, within ``DEVICE_ULPS``
            elsewhere).  A number: PyTorch's cut-off, as in
            ``torch.nn.functional.softplus``: where ``beta * x > threshold``
            the result is ``x`` and the gradient 1, as in PyTorch.  Below the
            cut the result stays correctly rounded on the CPU, which
            PyTorch's is not, so the two can differ in the last bit there.

    Returns:
        A new tensor of the same shape, dtype and device.

    Raises:
        ValueError: if ``beta`` is not finite and positive or ``threshold``
            is not finite.

    Example:
        >>> import torch
        >>> from softlearn.torch import softplus
        >>> x = torch.tensor([-2.0, 0.0, 5.0], dtype=torch.float64, requires_grad=True)
        >>> y = softplus(x)
        >>> y.sum().backward()
        >>> print(y.detach(), x.grad, sep="\n")
        tensor([0.1269, 0.6931, 5.0067], dtype=torch.float64)
        tensor([0.1192, 0.5000, 0.9933], dtype=torch.float64)
    """
    _check_tensor(x, "softplus")
    out: torch.Tensor = _SOFTPLUS.function(x, check_beta(beta), check_threshold(threshold))
    return out


@fill
class Softsign(nn.Module):
    r"""Applies Softsign element-wise: :math:`\text{Softsign}(x) = x / (1 + |x|)`.

    A drop-in replacement for ``torch.nn.Softsign``, correctly rounded on the
    CPU, whose gradient :math:`1/(1+|x|)^2` stays accurate for large
    :math:`|x|`, where PyTorch's autograd gradient cancels.

    $TORCH_SHAPE

    Example:
        >>> import torch
        >>> from softlearn.torch import Softsign
        >>> m = Softsign()
        >>> m
        Softsign()
        >>> m(torch.tensor([-1.5, 9.0, 11.0]))
        tensor([-0.6000,  0.9000,  0.9167])
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Softsign of ``x``; see :func:`softsign`."""
        return softsign(x)


@fill
class Softplus(nn.Module):
    r"""Applies Softplus element-wise.

    .. math::

        \text{Softplus}(x) = \frac{1}{\beta} \log\bigl(1 + e^{\beta x}\bigr)

    A drop-in replacement for ``torch.nn.Softplus``.  With the default
    ``threshold=None`` the result and its gradient are the function itself
    everywhere (correctly rounded on the CPU); ``torch.nn.Softplus`` instead
    returns ``x`` where ``beta * x > 20``, which is off by
    :math:`e^{-20}/\beta` (about 6e5 ULP in float64 at :math:`x = 20`).  Pass
    ``threshold=20`` to cut where PyTorch cuts: in the cut region the result
    is ``x``, as in PyTorch; elsewhere it stays correctly rounded, which
    PyTorch's is not, so the two can differ in the last bit there.

    Args:
        beta: sharpness, a finite number > 0 (default 1).  Larger values bend
            the curve more tightly around the ReLU kink.
        threshold: ``None`` (default) for the function itself, or a number for
            PyTorch's linear cut-off above ``beta * x > threshold``.

    $TORCH_SHAPE

    Example:
        >>> import torch
        >>> from softlearn.torch import Softplus
        >>> m = Softplus(beta=2.0)
        >>> m
        Softplus(beta=2.0, threshold=None)
        >>> m(torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]))
        tensor([0.0091, 0.0635, 0.3466, 1.0635, 2.0091])
    """

    def __init__(self, beta: float = 1.0, threshold: float | None = None) -> None:
        super().__init__()
        self.beta = check_beta(beta)
        self.threshold = check_threshold(threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Softplus of ``x`` with the module's ``beta`` and ``threshold``; see :func:`softplus`."""
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"
