"""From user input to arrays, and the chunked evaluation of a formula.

:func:`as_real_array`, :func:`check_beta` and :func:`check_threshold` turn
arguments into arrays and floats, with clear errors.  :func:`evaluate` applies
a NumPy formula of softlearn/_formulas.py chunk by chunk in a *working* dtype
wider than the result: the NumPy path of every function
(softlearn/_numpy_path.py) and the second derivatives that the PyTorch and
Keras adapters need run through it.

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

# Elements per buffer.  Large enough to amortise the per-chunk Python overhead,
# small enough that a formula's temporaries stay in the L2 cache.
CHUNK = 8192

#: True where the platform's long double is wider than float64 (x86-64 Linux
#: and macOS on Intel: the x87 80-bit format; aarch64 Linux: IEEE quad).  Only
#: the speed of the NumPy path depends on it: without a compiler, float64
#: results are approximated in long double and the rounding test decides
#: about 98 in 100 of them, the rest going to double-double; where it is False
#: every float64 result of that path is computed in double-double, a few times
#: more slowly.  Results are the same bits either way.
EXTENDED_FLOAT64 = bool(np.finfo(np.longdouble).nmant >= 63)

_WIDE = np.dtype(np.longdouble) if EXTENDED_FLOAT64 else np.dtype(np.float64)
_F64 = np.dtype(np.float64)

#: The result dtypes softlearn computes correctly rounded.
FLOATS = (np.dtype(np.float16), np.dtype(np.float32), _F64)

# Working dtype for each result dtype.
WORK = {
    np.dtype(np.float16): _F64,
    np.dtype(np.float32): _F64,
    _F64: _WIDE,
}


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


def check_beta(beta: Any) -> Any:
    """``beta`` as a float or a float64 array; ``ValueError`` unless finite and positive."""
    if not _is_array(beta):
        b = _real_scalar(beta, "beta")
        if not (math.isfinite(b) and b > 0):
            raise ValueError(f"beta must be a finite number > 0; got {beta!r}")
        return b
    arr = _real_array(beta, "beta")
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError("beta must be finite and > 0 everywhere")
    return arr


def check_threshold(threshold: Any) -> Any:
    """``threshold`` as a float or a float64 array, or None; ``ValueError`` unless finite."""
    if threshold is None:
        return None
    if not _is_array(threshold):
        t = _real_scalar(threshold, "threshold")
        if not math.isfinite(t):
            raise ValueError(f"threshold must be a finite number or None; got {threshold!r}")
        return t
    arr = _real_array(threshold, "threshold")
    if not np.all(np.isfinite(arr)):
        raise ValueError("threshold must be finite everywhere")
    return arr


def _is_array(value: Any) -> bool:
    # No np.ndim for plain numbers: torch.compile traces these checks.
    return isinstance(value, (list, tuple, np.ndarray)) and np.ndim(value) > 0


def _real_array(value: Any, what: str) -> NDArray[np.float64]:
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{what} must be real numbers; got an array of dtype {arr.dtype}")
    return arr.astype(np.float64)


def _real_scalar(value: Any, what: str) -> float:
    if isinstance(value, np.ndarray):
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"{what} must be a real number; got {type(value).__name__}")
    return float(value)


def check_dtype(dtype: np.dtype[Any], name: str) -> None:
    """``TypeError`` unless softlearn computes ``name`` in ``dtype``."""
    if dtype not in FLOATS:
        raise TypeError(
            f"{name}() computes float16, float32 and float64 results; got dtype {dtype}. "
            "Cast the input first, for example with x.astype(np.float64)."
        )


def check_out(out: Any, dtype: np.dtype[Any], name: str) -> None:
    """``TypeError`` unless ``out`` is None or an array of the result dtype."""
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}(): out must be a NumPy array; got {type(out).__name__}")
    if out.dtype != dtype:
        # A cast after the fact would round a second time.
        raise TypeError(f"{name}(): out must have the result's dtype {dtype}; got {out.dtype}")


def evaluate(
    kernel: Kernel, arr: NDArray[Any], out_dtype: np.dtype[Any], out: NDArray[Any] | None = None
) -> Any:
    """Apply ``kernel`` to ``arr`` chunk by chunk, in the working dtype.

    ``kernel`` maps a 1-d array in the working dtype to an array of the same
    shape, which is rounded once to ``out_dtype``.  The result has the shape
    and memory order of the input; a 0-d or scalar input gives a NumPy scalar,
    as ufuncs do.  ``out``, if given, is an array of that shape and dtype to
    write into (and is returned as is).
    """
    given = out is not None
    if out is None:
        out = np.empty_like(arr, dtype=out_dtype)
    work = WORK.get(out_dtype, _WIDE)
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


def above_threshold(x: NDArray[Any], out_dtype: np.dtype[Any], beta: Any, threshold: Any) -> Any:
    """PyTorch's test ``beta * x > threshold``, rounded as PyTorch rounds it.

    ``x`` is a chunk in the working dtype; its values are exact in ``out_dtype``.
    PyTorch multiplies in the tensor's dtype, except float16, which it
    computes in float32.  ``beta`` and ``threshold`` are floats or chunks.
    """
    dt = np.dtype(np.float32) if out_dtype == np.float16 else out_dtype
    b = np.asarray(beta).astype(dt)
    t = np.asarray(threshold).astype(dt)
    return np.asarray(x.astype(dt) * b > t)
