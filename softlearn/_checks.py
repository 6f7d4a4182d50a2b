"""The checks of softlearn's arguments: from what a user passes to arrays and floats.

Each raises ``TypeError`` or ``ValueError`` with a message that names the
argument, the function and what was expected.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

_F64 = np.dtype(np.float64)

#: The result dtypes softlearn computes correctly rounded.
FLOATS = (np.dtype(np.float16), np.dtype(np.float32), _F64)


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
