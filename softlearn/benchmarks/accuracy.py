"""Accuracy of softlearn, PyTorch, TensorFlow and the articles' NumPy formulas.

    .venv/bin/python -m softlearn.benchmarks.accuracy

Every implementation gets the same inputs, per dtype: random bit patterns
over every exponent, dense grids around 0 and around every branch point
(the test suite's inputs, :mod:`softlearn.inputs`), and the
extremes.  Each result is compared with mpmath at 256 bits
(:mod:`softlearn.reference`).  For the frameworks the derivative is their
autograd gradient of their own activation.  The table gives the worst error
in ULP and where it happens, the mean error, and how many results are not
finite where the exact value is.  The book's chapter "Accuracy and speed"
imports :func:`table` from here, and shows it with ``portable=True``: errors
of a few ULP, whose exact size differs from CPU to CPU, as bounds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import softlearn as sl
from softlearn import reference as ref
from softlearn._definitions import function_names
from softlearn.benchmarks.table import Table
from softlearn.inputs import hard_inputs
from softlearn.portable import ROUNDING, ulps
from softlearn.portable import naive as naive_rounded

Impl = Callable[[np.ndarray], np.ndarray]
FUNCTIONS = function_names("softsign", "softplus")
REFERENCE = {
    "softsign": ref.softsign,
    "softsign_grad": ref.softsign_grad,
    "softplus": ref.softplus,
    "softplus_grad": ref.sigmoid,
}
# Branch points of softlearn and of its peers (as in tests/test_accuracy.py).
CENTRES: dict[type, list[float]] = {
    np.float32: [0.0, 1.0, 3.0, 9.0, 16.0, -17.0, 20.0, -20.0, 40.0, -40.0, 88.7, -87.3, -103.3],
    np.float64: [0.0, 1.0, 3.0, 18.0, 33.3, -37.0, 20.0, -20.0, 40.0, -40.0, 709.8, -708.4, -745.1],
}


#: The error bound each implementation guarantees, shown as such by ``portable`` tables.
BOUND = {"softlearn": 0.5}  # correctly rounded


def inputs(dtype: type, n_random: int = 4000) -> np.ndarray:
    centres = CENTRES[dtype] + [-c for c in CENTRES[dtype]] + [2.0**12, 2.0**24, 1e6, 1e20]
    return hard_inputs(dtype, centres, n_random=n_random)


def naive() -> dict[str, Impl]:
    """The articles' formulas, as written there (article 003 for softplus)."""
    return {
        "softsign": lambda x: x / (1 + np.abs(x)),
        "softsign_grad": lambda x: 1 / (1 + np.abs(x)) ** 2,
        "softplus": lambda x: np.log(1 + np.exp(x)),
        "softplus_grad": lambda x: 1 / (1 + np.exp(-x)),
    }


def torch_impls() -> dict[str, Impl]:
    import torch
    import torch.nn.functional as F

    def grad(fn: Callable[[torch.Tensor], torch.Tensor]) -> Impl:
        def run(x: np.ndarray) -> np.ndarray:
            t = torch.from_numpy(x.copy()).requires_grad_()
            fn(t).sum().backward()
            assert t.grad is not None
            return t.grad.numpy()

        return run

    def value(fn: Callable[[torch.Tensor], torch.Tensor]) -> Impl:
        return lambda x: fn(torch.from_numpy(x.copy())).numpy()

    return {
        "softsign": value(F.softsign),
        "softsign_grad": grad(F.softsign),
        "softplus": value(F.softplus),
        "softplus_grad": grad(F.softplus),
    }


def tensorflow_impls() -> dict[str, Impl]:
    import tensorflow as tf

    def grad(fn: Callable[[tf.Tensor], tf.Tensor]) -> Impl:
        def run(x: np.ndarray) -> np.ndarray:
            t = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(t)
                y = tf.reduce_sum(fn(t))
            return np.asarray(tape.gradient(y, t))

        return run

    def value(fn: Callable[[tf.Tensor], tf.Tensor]) -> Impl:
        return lambda x: np.asarray(fn(tf.constant(x)))

    return {
        "softsign": value(tf.nn.softsign),
        "softsign_grad": grad(tf.nn.softsign),
        "softplus": value(tf.nn.softplus),
        "softplus_grad": grad(tf.nn.softplus),
    }


def implementations() -> dict[str, dict[str, Impl]]:
    return {
        "softlearn": {name: getattr(sl, name) for name in FUNCTIONS},
        "PyTorch": torch_impls(),
        "TensorFlow": tensorflow_impls(),
        "naive NumPy": naive(),
    }


def errors(impl: Impl, x: np.ndarray, exact: list[Any]) -> tuple[np.ndarray, int]:
    """ULP errors, and how many results are inf or NaN where the exact value is finite.

    A non-finite result counts as an infinite error, unless the exact value
    rounds to that same infinity.
    """
    with np.errstate(all="ignore"):
        y = np.asarray(impl(x), dtype=x.dtype)
    err = ref.ulp_errors(y, exact, x.dtype)
    return err, int(np.count_nonzero(np.isinf(err) & ~np.isfinite(y)))


def table(n_random: int = 4000) -> list[dict[str, Any]]:
    """One row per function, dtype and implementation."""
    impls = implementations()
    rows: list[dict[str, Any]] = []
    for dtype in (np.float32, np.float64):
        x = inputs(dtype, n_random)
        x = x[np.isfinite(x)]
        for fname in FUNCTIONS:
            exact = ref.reference(REFERENCE[fname], x)
            for lib, fns in impls.items():
                err, nonfinite = errors(fns[fname], x, exact)
                fin = np.isfinite(err)  # the worst and the mean are over finite results
                i = int(np.argmax(np.where(fin, err, -1)))
                rows.append(
                    {
                        "function": fname,
                        "dtype": np.dtype(dtype).name,
                        "implementation": lib,
                        "worst ULP": float(err[i]),
                        "at x": float(x[i]),
                        "mean ULP": float(err[fin].mean()),
                        "non-finite": nonfinite,
                        "inputs": int(x.size),
                    }
                )
    return rows


def summary(rows: list[dict[str, Any]], portable: bool = False) -> Table:
    """Worst error per function and dtype (rows), one column per implementation.

    A count in parentheses is the number of results that are inf or NaN
    where the exact value is finite; the worst error is over the others.
    With ``portable``, errors below :data:`~softlearn.portable.ROUNDING`
    ULP are shown as bounds (see :func:`~softlearn.portable.ulps`).
    """
    libs = list(dict.fromkeys(r["implementation"] for r in rows))
    out: list[list[str]] = []
    for dtype in ("float32", "float64"):
        for fname in FUNCTIONS:
            cells = [f"{fname}, {dtype}"]
            for lib in libs:
                (r,) = (
                    r
                    for r in rows
                    if (r["function"], r["dtype"], r["implementation"]) == (fname, dtype, lib)
                )
                bad = f" ({r['non-finite']} non-finite)" if r["non-finite"] else ""
                cells.append(ulps(r["worst ULP"], portable, BOUND.get(lib)) + bad)
            out.append(cells)
    return Table(["worst error, ULP", *libs], out)


def report(rows: list[dict[str, Any]], portable: bool = False) -> Table:
    """Every row: worst error and where it happens, mean error, non-finite count.

    With ``portable``, errors below :data:`~softlearn.portable.ROUNDING`
    ULP are shown as bounds (a mean below 1 ULP as ``< 1``), and the place of
    the worst error only where it is a failure (at least ``ROUNDING`` ULP):
    among errors of ordinary rounding, which input is worst depends on the CPU.
    """
    head = ["function", "dtype", "implementation", "worst ULP", "at x", "mean ULP", "non-finite"]
    cells = []
    for r in rows:
        worst, mean = r["worst ULP"], r["mean ULP"]
        rounding = portable and worst < ROUNDING
        cells.append(
            [
                r["function"],
                r["dtype"],
                r["implementation"],
                ulps(worst, portable, BOUND.get(r["implementation"])),
                "–" if rounding else f"{r['at x']:.6g}",
                ("< 1" if mean < 1 else ulps(mean, portable)) if portable else ulps(mean),
                str(r["non-finite"]),
            ]
        )
    return Table(head, cells)


def curves(fname: str, dtype: type, x: np.ndarray, portable: bool = False) -> dict[str, np.ndarray]:
    """Error in ULP of every implementation at each ``x``; inf where a result is inf or NaN.

    With ``portable``, the naive formula is evaluated with every step rounded
    correctly (:func:`softlearn.portable.naive`, labelled "naive formula")
    instead of by NumPy, whose ``exp`` and ``log`` move its large errors by a
    last bit that depends on the CPU; the errors are then the same on every
    machine.  (PyTorch's and TensorFlow's errors in these figures are either
    ordinary rounding, drawn at a floor, or failures that do not depend on
    the CPU.)
    """
    x = np.asarray(x, dtype=dtype)
    exact = ref.reference(REFERENCE[fname], x)
    impls = {lib: fns[fname] for lib, fns in implementations().items()}
    if portable:
        del impls["naive NumPy"]
        impls["naive formula"] = lambda v: naive_rounded(fname, v)
    return {lib: errors(fn, x, exact)[0] for lib, fn in impls.items()}


def main() -> None:
    rows = table()
    print(f"{rows[0]['inputs']} float32 / {rows[-1]['inputs']} float64 inputs\n")
    print(report(rows))
    print()
    print(summary(rows))


if __name__ == "__main__":
    main()
