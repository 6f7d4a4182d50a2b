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
float is the correctly rounded result.  In the x87 long double about 2
float64 results in 100 are left undecided; they are evaluated once more in
double-double (softlearn/_double_double.py), all of a call's together, and
tested again, and the very few left after that (none in 10**5 random inputs,
tests/test_numpy_path.py) are computed exactly (softlearn/_exact.py).  Where
the long double is no wider than float64, every float64 result takes the
double-double tier.  Float16 and float32 results are decided in float64,
all but a few in 10**5.  So this path gives the same bits as the compiled
one, 4 to 25 times more slowly in float32 and 30 to 55 times in float64
(softlearn.benchmarks.numpy_path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from softlearn._double_double import decide
from softlearn._exact import correctly_rounded
from softlearn._formulas import NUMPY
from softlearn._kernel_table import KERNELS

if TYPE_CHECKING:
    from numpy.typing import NDArray

# Elements per buffer.  Large enough to amortise the per-chunk Python overhead
# (some twenty NumPy calls a chunk), small enough that a formula's temporaries
# stay in the L2 cache.  Larger chunks run up to a fifth faster on 10**6
# elements (32768: float32 softsign 4.5 ns per element against 5.6), but the
# book's memory table, which must read the same on every path, would then
# show the NumPy path's buffers as 0.1 of a 10**7-element input.
CHUNK = 8192

#: True where the platform's long double is wider than float64 (x86-64 Linux
#: and macOS on Intel: the x87 80-bit format; aarch64 Linux: IEEE quad).  Only
#: the speed of the NumPy path depends on it: without a compiler, float64
#: results are approximated in long double and the rounding test decides
#: about 98 in 100 of them, the rest going to double-double; where it is False
#: every float64 result of that path is computed in double-double, a few times
#: more slowly.  Results are the same bits either way.
EXTENDED_FLOAT64 = bool(np.finfo(np.longdouble).nmant >= 63)

_F64 = np.dtype(np.float64)

#: The working dtype of each result dtype's fast path.
WORKING_DTYPES = {
    np.dtype(np.float16): _F64,
    np.dtype(np.float32): _F64,
    _F64: np.dtype(np.longdouble) if EXTENDED_FLOAT64 else _F64,
}

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
    # A where that is True everywhere (the default) spares each chunk a masked
    # copy and a mask: NumPy's masked loops are several times slower.
    everywhere = np.ndim(where) == 0 and bool(where)
    # A scalar beta as a chunk, made once: np.broadcast_to per chunk costs more
    # than some of the formulas' passes.
    constant_beta = np.full(CHUNK, float(beta)) if scalar_beta else None
    thr = np.inf if threshold is None else threshold
    given = out is not None
    ops = [
        arr,
        np.asarray(beta, np.float64),
        np.asarray(thr, np.float64),
        np.asarray(where, bool),
        out,
    ]
    # The first tier: the formula in a wider dtype where there is one, else
    # double-double, which is also faster than the long double for the
    # rational kernels (a division and its remainder).
    work = WORKING_DTYPES[dtype] if WORKING_DTYPES[dtype] != dtype else None
    if dtype == np.float64 and KERNELS[name].rational:
        work = None
    it = np.nditer(  # type: ignore[call-overload]  # op_flags as lists of lists
        ops,
        flags=["external_loop", "buffered", "zerosize_ok", "refs_ok"],
        op_flags=[["readonly"]] * 4
        + [["readwrite", "allocate"] if given else ["writeonly", "allocate"]],
        op_dtypes=[work or np.float64, np.float64, np.float64, bool, dtype],
        casting="unsafe",
        buffersize=CHUNK,
        order="C",  # so that a chunk's iterindex is the flat C index of its first element
    )
    # The first tier's undecided elements, gathered over chunks and finished
    # CHUNK or more at a time, so that the second tier's many small NumPy
    # calls are few, and its memory a few chunks whatever the input's size.
    pending: list[tuple[Any, Any, Any]] = []
    second = work is not None

    def flush(result: NDArray[Any]) -> None:
        flat = np.concatenate([p[0] for p in pending])
        xs = np.concatenate([p[1] for p in pending]).astype(np.float64)
        bs = np.concatenate([p[2] for p in pending])
        pending.clear()
        values = _finish(name, xs, bs, dtype, second)
        if result.ndim:
            result[np.unravel_index(flat, result.shape)] = values
        else:
            result[()] = values[0]

    with it, np.errstate(all="ignore"):
        for x, b, t, w, y in it:
            # Earlier chunks are written back by now; this one is not touched.
            if sum(p[0].size for p in pending) >= CHUNK:
                flush(it.operands[4])
            bb = float(beta) if scalar_beta else b
            betas = b if constant_beta is None else constant_beta[: x.size]
            if work is None:  # float64 results: double-double
                res, decided = decide(name, x, betas, dtype)
                undecided = ~decided
            else:
                approx = KERNELS[name].fast(x, bb, NUMPY)
                res, undecided = approx.astype(dtype), ~_decided(approx, dtype, name, x)
            if threshold is not None:
                cut = above_threshold(x, dtype, bb, t)
                res = np.where(cut, x if KERNELS[name].cut == "x" else 1, res).astype(dtype)
                undecided &= ~cut
            # Taken before the results are written: with out=x, x and y may
            # be the same memory.
            local = np.flatnonzero(undecided if everywhere else undecided & w)
            if local.size:
                pending.append((it.iterindex + local, x[local], betas[local]))
            np.copyto(y, res, where=True if everywhere else w)
        result = it.operands[4]
    if pending:
        flush(result)
    return result if given or result.ndim else result[()]


def _finish(
    name: str, x: NDArray[Any], beta: NDArray[Any], dtype: np.dtype[Any], second: bool
) -> Any:
    """The correctly rounded results of the elements the first tier left:
    double-double where its test decides (``second``: float64 results whose
    first tier was the long double), exactly for the rest."""
    res = np.zeros(x.shape, dtype)
    todo = np.arange(x.size)
    if second and dtype == np.float64:
        values, decided = decide(name, x, beta, dtype)
        res[decided] = values[decided]
        todo = np.flatnonzero(~decided)
    kind = _KIND[dtype]
    for i in todo:
        res[i] = correctly_rounded(name, float(x[i]), float(beta[i]), kind)
    return res


def _decided(approx: Any, dtype: np.dtype[Any], name: str, x: Any) -> Any:
    """Where every value within the bound rounds to the same float of ``dtype``."""
    info = np.finfo(approx.dtype)
    bound = BOUND["float64" if approx.dtype == np.float64 else "longdouble"]
    # The bound, doubled for the roundings of the test itself: 1 +- c is exact
    # in the working dtype, and each product's rounding is far below c.  Where
    # the result underflows in the working dtype it is below half the smallest
    # subnormal of ``dtype`` and rounds to 0 there from either end.
    c = approx.dtype.type(2 * bound) * approx.dtype.type(2.0) ** -info.nmant
    decided = (approx * (1 - c)).astype(dtype) == (approx * (1 + c)).astype(dtype)
    if not decided.all():
        # NaN is decided where x is NaN, and below the domain of the inverse
        nan = np.isnan(approx) & (np.isnan(x) | KERNELS[name].positive)
        decided |= nan
    return decided


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
