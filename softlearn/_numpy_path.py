"""The NumPy path: Ziv's strategy where no compiled kernel was built.

The fast path is the formula of softlearn/_formulas.py evaluated in a working
dtype wider than the result (float64 for float16 and float32; the long double
for float64 where it is wider).  Its error is bounded by :data:`BOUND` units of
the working precision: the formulas are a handful of operations without
cancellation, and the C library's and NumPy's exp, log1p, expm1, log and tanh
are within a few units (glibc's tables list at most 3 for these in double and
in the x87 long double); tests/test_numpy_path.py measures the worst error
at the inputs where it is largest, against this bound.

If both ends of the interval the bound allows round to the same float, that
float is the correctly rounded result; the few other elements are computed
exactly (softlearn/_exact.py).  So this path gives the same bits as the
compiled one.  It is slower: in the x87 long double about 1 float64 result
in 100 is undecided, and where the long double is no wider than float64
every float64 result is computed exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from softlearn._arrays import CHUNK, WORK, above_threshold
from softlearn._exact import correctly_rounded
from softlearn._formulas import NUMPY as XP
from softlearn._kernel_table import KERNELS

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: The fast path's error bound in units of the working precision (2**-nmant),
#: by working dtype.  Measured worst errors (tests/test_numpy_path.py): below
#: 3 units in the x87 long double, below 8 in float64, whose exp and log are
#: NumPy's vectorised ones.  The long double bound is kept tight because every
#: unit costs about 1% of float64 results a trip to the exact path.
BOUND = {"float64": 256, "longdouble": 8}

_KIND = {np.dtype(np.float16): "e", np.dtype(np.float32): "f", np.dtype(np.float64): "d"}


def evaluate(
    name: str,
    arr: NDArray[Any],
    dtype: np.dtype[Any],
    beta: Any = 1.0,
    threshold: Any = None,
    out: NDArray[Any] | None = None,
    where: Any = True,
) -> Any:
    """``name(arr, beta, threshold)`` correctly rounded to ``dtype``, as the ufunc gives it."""
    scalar_beta = np.ndim(beta) == 0
    thr = np.inf if threshold is None else threshold
    given = out is not None
    ops = [
        arr,
        np.asarray(beta, np.float64),
        np.asarray(thr, np.float64),
        np.asarray(where, bool),
        out,
    ]
    work = WORK[dtype] if np.finfo(WORK[dtype]).nmant > np.finfo(dtype).nmant + 8 else None
    it = np.nditer(  # type: ignore[call-overload]  # op_flags as lists of lists
        ops,
        flags=["external_loop", "buffered", "zerosize_ok", "refs_ok"],
        op_flags=[["readonly"]] * 4
        + [["readwrite", "allocate"] if given else ["writeonly", "allocate"]],
        op_dtypes=[work or np.float64, np.float64, np.float64, bool, dtype],
        casting="unsafe",
        buffersize=CHUNK,
    )
    with it, np.errstate(all="ignore"):
        for x, b, t, w, y in it:
            bb = float(beta) if scalar_beta else b
            res = _chunk(name, x, bb, dtype, work)
            if threshold is not None:
                cut = above_threshold(x, dtype, bb, t)
                res = np.where(cut, x if KERNELS[name].cut == "x" else 1, res).astype(dtype)
            np.copyto(y, res, where=w)
        result = it.operands[4]
    return result if given or result.ndim else result[()]


def _chunk(name: str, x: NDArray[Any], beta: Any, dtype: np.dtype[Any], work: Any) -> Any:
    kind = _KIND[dtype]
    if work is None:
        res = np.empty(x.shape, dtype)
        undecided = np.ones(x.shape, bool)
    else:
        approx = KERNELS[name].fast(x, beta, XP)
        res = approx.astype(dtype)
        undecided = ~_decided(approx, dtype, name, x)
    betas = np.broadcast_to(np.asarray(beta, np.float64), x.shape)
    for i in np.flatnonzero(undecided):
        res[i] = correctly_rounded(name, float(x[i]), float(betas[i]), kind)
    return res


def _decided(approx: Any, dtype: np.dtype[Any], name: str, x: Any) -> Any:
    """Where every value within the bound rounds to the same float of ``dtype``."""
    info = np.finfo(approx.dtype)
    unit = approx.dtype.type(2.0) ** -info.nmant
    bound = BOUND["float64" if approx.dtype == np.float64 else "longdouble"]
    # The bound, doubled for the roundings of the test itself, plus a few of
    # the working dtype's smallest subnormals for results that underflow there.
    err = np.abs(approx) * (2 * bound * unit) + 4 * info.smallest_subnormal
    lo = (approx - err).astype(dtype)
    hi = (approx + err).astype(dtype)
    # NaN is decided where x is NaN, and below the domain of the inverse
    special = np.isinf(approx) | (np.isnan(approx) & (np.isnan(x) | KERNELS[name].positive))
    return (lo == hi) | special
