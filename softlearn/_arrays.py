"""From user input to arrays, and the chunked evaluation every activation runs through.

Accuracy comes from the working precision: each formula is evaluated in a dtype
with at least 11 more significand bits than the result, then rounded once.
float16 and float32 work in float64; float64 works in the x87 80-bit long
double where the platform has one (x86-64 Linux and macOS on Intel) or the IEEE
quad long double (aarch64 Linux).  The formulas' own rounding errors, a few
units of the working precision, are then at most a few thousandths of an ULP
of the result, so the result is within 1 ULP of the exact value.

Memory: the input is streamed through fixed-size buffers by ``np.nditer``, so
casting to the working dtype and every temporary of a formula cost a few
chunks, never a full-size copy of the input.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import ArrayLike, NDArray

    Kernel = Callable[[NDArray[Any]], NDArray[Any]]
    Native = Callable[[NDArray[Any], NDArray[Any]], None]

# Elements per buffer.  Large enough to amortise the per-chunk Python overhead,
# small enough that a formula's temporaries stay in the L2 cache.
CHUNK = 8192

#: True where float64 results are computed in a wider long double.  Where it is
#: False (Windows, macOS on Apple silicon) float64 works in float64 itself:
#: simulated here, the worst error rises to about 3 ULP, and with an extreme
#: ``beta`` (1e-3 and below) softplus and softplus_inverse can underflow to 0
#: or -inf where the exact value is finite.  The 1-ULP bound for float64 holds
#: only where this is True; float16 and float32 are unaffected.
EXTENDED_FLOAT64 = bool(np.finfo(np.longdouble).nmant >= 63)

_WIDE = np.dtype(np.longdouble) if EXTENDED_FLOAT64 else np.dtype(np.float64)
_F64 = np.dtype(np.float64)

# Working dtype for each result dtype.
_WORK = {
    np.dtype(np.float16): _F64,
    np.dtype(np.float32): _F64,
    _F64: _WIDE,
    np.dtype(np.longdouble): np.dtype(np.longdouble),
}


_NATIVE = (np.dtype(np.float32), _F64)


def as_real_array(x: ArrayLike, name: str) -> tuple[NDArray[Any], np.dtype[Any]]:
    """Return ``x`` as an array and the floating dtype of the result.

    Floating dtypes are kept; booleans and integers give float64, as NumPy's
    ufuncs do.  Anything else raises ``TypeError`` naming the dtype.
    """
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind == "f":
        return arr, arr.dtype.newbyteorder("=")  # results in native byte order
    if kind in "biu":
        return arr, _F64
    what = _KINDS.get(kind, "non-numeric")
    raise TypeError(f"{name}() takes real numbers; got {what} input of dtype {arr.dtype}")


_KINDS = {
    "c": "complex",
    "U": "string",
    "S": "bytes",
    "O": "object",
    "M": "datetime",
    "m": "timedelta",
    "V": "structured",
}


def check_beta(beta: float) -> float:
    """Return ``beta`` as a float, or raise ``ValueError`` unless finite and positive."""
    b = _real_scalar(beta, "beta")
    if not (math.isfinite(b) and b > 0):
        raise ValueError(f"beta must be a finite number > 0; got {beta!r}")
    return b


def check_threshold(threshold: float | None) -> float | None:
    """Return ``threshold`` as a float (or None), or raise ``ValueError`` unless finite."""
    if threshold is None:
        return None
    t = _real_scalar(threshold, "threshold")
    if not math.isfinite(t):
        raise ValueError(f"threshold must be a finite number or None; got {threshold!r}")
    return t


def _real_scalar(value: Any, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{what} must be a real number; got {type(value).__name__}")
    return float(value)


def evaluate(
    kernel: Kernel,
    arr: NDArray[Any],
    out_dtype: np.dtype[Any],
    out: NDArray[Any] | None = None,
    native: Native | None = None,
) -> Any:
    """Apply ``kernel`` to ``arr`` chunk by chunk, in the working dtype.

    ``arr`` and ``out_dtype`` come from :func:`as_real_array`.  ``kernel`` maps
    a 1-d array in the working dtype to an array of the same shape.  The result
    has the shape, memory order and dtype ``out_dtype`` of the input; a 0-d or
    scalar input gives a NumPy scalar, as ufuncs do.  ``out``, if given, is
    an array of that shape and dtype to write into (and is returned as is).

    ``native``, a compiled loop ``native(x, out)`` from softlearn._native, is
    used instead of ``kernel`` for float32 and float64 results.  It works in
    the result dtype itself, on contiguous chunks: the whole array at once
    where it is already contiguous, aligned and in native byte order.
    """
    given = out is not None
    if out is None:
        out = np.empty_like(arr, dtype=out_dtype)
    if native is not None and out_dtype in _NATIVE:
        # "contig" (a documented op flag that NumPy's type stubs lack) makes
        # nditer hand out contiguous buffers for strided inputs.
        it = np.nditer(  # type: ignore[call-overload]
            [arr, out],
            flags=["external_loop", "buffered", "growinner", "zerosize_ok"],
            op_flags=[["readonly", "contig", "aligned"], ["writeonly", "contig", "aligned"]],
            op_dtypes=[out_dtype, out_dtype],
            casting="unsafe",
            buffersize=CHUNK,
        )
        with it:
            for xin, yout in it:
                native(xin, yout)
        return out if given or out.ndim else out[()]
    work = _WORK.get(out_dtype, _WIDE)
    it = np.nditer(
        [arr, out],
        flags=["external_loop", "buffered", "zerosize_ok"],
        op_flags=[["readonly"], ["writeonly"]],
        op_dtypes=[work, work],
        casting="unsafe",
        buffersize=CHUNK,
    )
    with it, np.errstate(all="ignore"):
        for xin, yout in it:
            yout[...] = kernel(xin)
    return out if given or out.ndim else out[()]


def above_threshold(
    x: NDArray[Any], out_dtype: np.dtype[Any], beta: float, threshold: float
) -> NDArray[np.bool_]:
    """PyTorch's test ``beta * x > threshold``, rounded as PyTorch rounds it.

    ``x`` is a chunk in the working dtype; its values are exact in ``out_dtype``.
    PyTorch multiplies in the tensor's dtype, except float16, which it
    computes in float32.
    """
    dt = np.dtype(np.float32) if out_dtype == np.float16 else out_dtype
    return np.asarray(x.astype(dt) * dt.type(beta) > dt.type(threshold))
