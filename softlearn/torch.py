r"""Softsign and Softplus for PyTorch, with exact forward and backward passes.

:class:`Softsign` and :class:`Softplus` are drop-in replacements for
``torch.nn.Softsign`` and ``torch.nn.Softplus``; :func:`softsign` and
:func:`softplus` are the functional forms.  Their forward pass and first
derivative are softlearn's NumPy functions, run on the tensor's memory, so
they are correctly rounded in float16, float32 and float64 (bfloat16 via
float32, within 1 ULP); the second derivatives are the formulas of
softlearn._formulas, within a few ULP.

The gradients are analytic.  PyTorch's own softsign gradient is the autograd of
``x / (1 + |x|)``, which cancels for large ``|x|`` (every digit is wrong in
float32 from about ``|x| = 3e7``); here it is ``r * r`` with ``r = 1/(1+|x|)``.

Each function is a ``torch.library`` custom operator (``softlearn::softplus``
and friends), so it works under ``torch.compile`` without a graph break, and
double backward (``gradgradcheck``) is supported.  Only CPU tensors are
computed in place; others are copied to the CPU and back.

Importing this module imports PyTorch; ``import softlearn`` alone does not.
"""

from typing import Any

import numpy as np
import torch
from torch import nn

from softlearn import _formulas as f
from softlearn import functions as sl
from softlearn._arrays import check_beta, check_threshold, evaluate

__all__ = ["Softplus", "Softsign", "softplus", "softsign"]

_XP = f.NUMPY


def _check_tensor(x: Any, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}() takes a torch.Tensor; got {type(x).__name__}")
    if not x.dtype.is_floating_point:
        raise TypeError(
            f"{name}() takes a floating-point tensor; got dtype {x.dtype}. "
            "Convert it first, for example with x.float()."
        )


def _run(apply: Any, x: torch.Tensor) -> torch.Tensor:
    """``apply(arr, out)`` on ``x``'s values, as a new tensor of x's dtype.

    ``apply`` writes into ``out``, a NumPy array: one of softlearn's functions
    (correctly rounded) or :func:`_formula` (the second derivatives).  The
    result is allocated with ``torch.empty_like(x)``, as the operators' fake
    kernels allocate it, so ``torch.compile`` sees the same layout.
    """
    out = torch.empty_like(x)
    if x.device.type == "cpu" and x.dtype != torch.bfloat16:
        apply(x.detach().numpy(), out.numpy())
        return out
    # NumPy has no bfloat16: go through float32, whose result is correctly
    # rounded, so the second rounding keeps bfloat16 within 1 ULP.
    work = x.detach().to(device="cpu", dtype=torch.float32 if x.dtype == torch.bfloat16 else None)
    arr = work.numpy()
    res = np.empty_like(arr)
    apply(arr, res)
    out.copy_(torch.from_numpy(res))
    return out


def _formula(kernel: Any) -> Any:
    """A formula of softlearn._formulas as an ``apply(arr, out)`` for :func:`_run`."""
    return lambda arr, out: evaluate(kernel, arr, arr.dtype, out=out)


def _cut(x: torch.Tensor, beta: float, threshold: float | None) -> torch.Tensor | None:
    """PyTorch's linear region ``beta * x > threshold``, rounded as PyTorch rounds it."""
    if threshold is None:
        return None
    opmath = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    return x.detach().to(opmath) * beta > threshold


# --- the operators


@torch.library.custom_op("softlearn::softsign", mutates_args=())
def _softsign_op(x: torch.Tensor) -> torch.Tensor:
    return _run(lambda a, o: sl.softsign(a, out=o), x)


@torch.library.custom_op("softlearn::softsign_grad", mutates_args=())
def _softsign_grad_op(x: torch.Tensor) -> torch.Tensor:
    return _run(lambda a, o: sl.softsign_grad(a, out=o), x)


@torch.library.custom_op("softlearn::softsign_grad2", mutates_args=())
def _softsign_grad2_op(x: torch.Tensor) -> torch.Tensor:
    return _run(_formula(lambda z: f.softsign_grad2(z, _XP)), x)


@torch.library.custom_op("softlearn::softplus", mutates_args=())
def _softplus_op(x: torch.Tensor, beta: float, threshold: float | None) -> torch.Tensor:
    return _run(lambda a, o: sl.softplus(a, beta, threshold, out=o), x)


@torch.library.custom_op("softlearn::softplus_grad", mutates_args=())
def _softplus_grad_op(x: torch.Tensor, beta: float, threshold: float | None) -> torch.Tensor:
    return _run(lambda a, o: sl.softplus_grad(a, beta, threshold, out=o), x)


@torch.library.custom_op("softlearn::softplus_grad2", mutates_args=())
def _softplus_grad2_op(x: torch.Tensor, beta: float, threshold: float | None) -> torch.Tensor:
    y = _run(_formula(lambda z: f.sigmoid_grad(z, beta, _XP)), x)
    cut = _cut(x, beta, threshold)
    return y if cut is None else y.masked_fill_(cut, 0)


for _op in (
    _softsign_op,
    _softsign_grad_op,
    _softsign_grad2_op,
    _softplus_op,
    _softplus_grad_op,
    _softplus_grad2_op,
):
    _op.register_fake(lambda x, *args: torch.empty_like(x))


def _save_x(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
    ctx.save_for_backward(inputs[0])
    ctx.args = inputs[1:]


def _chain(derivative: Any) -> Any:
    """A backward that multiplies the incoming gradient by ``derivative(x, *args)``."""

    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        (x,) = ctx.saved_tensors
        return (grad * derivative(x, *ctx.args), *(None for _ in ctx.args))

    return backward


_softsign_op.register_autograd(_chain(_softsign_grad_op), setup_context=_save_x)
_softsign_grad_op.register_autograd(_chain(_softsign_grad2_op), setup_context=_save_x)
_softplus_op.register_autograd(_chain(_softplus_grad_op), setup_context=_save_x)
_softplus_grad_op.register_autograd(_chain(_softplus_grad2_op), setup_context=_save_x)


# --- the public API


def softsign(x: torch.Tensor) -> torch.Tensor:
    r"""Softsign of a tensor, :math:`x / (1 + |x|)`, with an exact gradient.

    Like ``torch.nn.functional.softsign``, but correctly rounded everywhere,
    ``softsign(±inf) = ±1`` rather than NaN, and a gradient
    :math:`1/(1+|x|)^2` that keeps its digits for large :math:`|x|`.

    Args:
        x: a floating-point tensor of any shape.

    Returns:
        A new tensor of the same shape and dtype.

    Example:
        >>> import torch
        >>> from softlearn.torch import softsign
        >>> x = torch.tensor([-1.5, 9.0, 1e8], requires_grad=True)
        >>> y = softsign(x)
        >>> y.sum().backward()
        >>> print(y.detach(), x.grad)
        tensor([-0.6000,  0.9000,  1.0000]) tensor([1.6000e-01, 1.0000e-02, 1.0000e-16])
    """
    _check_tensor(x, "softsign")
    out: torch.Tensor = _softsign_op(x)
    return out


def softplus(x: torch.Tensor, beta: float = 1.0, threshold: float | None = None) -> torch.Tensor:
    r"""Softplus of a tensor, :math:`\log(1 + e^{\beta x})/\beta`, with an exact gradient.

    Args:
        x: a floating-point tensor of any shape.
        beta: sharpness, a finite number > 0.
        threshold: ``None`` (the default) is exact everywhere.  A number
            reproduces ``torch.nn.functional.softplus``: where
            ``beta * x > threshold`` the result is ``x`` and the gradient 1.

    Returns:
        A new tensor of the same shape and dtype.

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
    out: torch.Tensor = _softplus_op(x, check_beta(beta), check_threshold(threshold))
    return out


class Softsign(nn.Module):
    r"""Applies Softsign element-wise, exactly: :math:`\text{Softsign}(x) = x / (1 + |x|)`.

    A drop-in replacement for ``torch.nn.Softsign`` whose result is within 1
    ULP everywhere and whose gradient :math:`1/(1+|x|)^2` stays exact for
    large :math:`|x|`, where PyTorch's autograd gradient cancels.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, the same shape as the input.

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


class Softplus(nn.Module):
    r"""Applies Softplus element-wise, exactly.

    .. math::

        \text{Softplus}(x) = \frac{1}{\beta} \log\bigl(1 + e^{\beta x}\bigr)

    A drop-in replacement for ``torch.nn.Softplus``.  With the default
    ``threshold=None`` the result and its gradient are correctly rounded
    everywhere; ``torch.nn.Softplus`` instead returns ``x`` where
    ``beta * x > 20``, which is off by :math:`e^{-20}/\beta` (about 6e5 ULP
    in float64 at :math:`x = 20`).  Pass ``threshold=20`` to reproduce that
    cut-off bit for bit.

    Args:
        beta: sharpness, a finite number > 0 (default 1).  Larger values bend
            the curve more tightly around the ReLU kink.
        threshold: ``None`` (default) for the exact function, or a number for
            PyTorch's linear cut-off above ``beta * x > threshold``.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, the same shape as the input.

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
