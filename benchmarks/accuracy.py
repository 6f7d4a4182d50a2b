"""Accuracy of softlearn, PyTorch, TensorFlow and the articles' NumPy formulas.

    .venv/bin/python benchmarks/accuracy.py

Every implementation gets the same inputs, per dtype: random bit patterns
over every exponent, dense grids around 0 and around every branch point
(these are the test suite's inputs, tests/float_inputs.py), and the
extremes.  Each result is compared with mpmath at 256 bits
(tests/mp_reference.py).  For the frameworks the derivative is their
autograd gradient of their own activation.  The table gives the worst error
in ULP and where it happens, the mean error, and how many results are not
finite where the exact value is.  The book's chapter "Accuracy and speed"
imports :func:`table` from here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import mp_reference as ref
import numpy as np
from float_inputs import hard_inputs

import softlearn as sl

Impl = Callable[[np.ndarray], np.ndarray]
FUNCTIONS = ("softsign", "softsign_grad", "softplus", "softplus_grad")
REFERENCE = {
    "softsign": ref.softsign,
    "softsign_grad": ref.softsign_grad,
    "softplus": ref.softplus,
    "softplus_grad": ref.sigmoid,
}
# Branch points of softlearn and of its peers (as in tests/test_accuracy.py).
CENTRES = {
    np.float32: [0.0, 1.0, 3.0, 9.0, 16.0, -17.0, 20.0, -20.0, 40.0, -40.0, 88.7, -87.3, -103.3],
    np.float64: [0.0, 1.0, 3.0, 18.0, 33.3, -37.0, 20.0, -20.0, 40.0, -40.0, 709.8, -708.4, -745.1],
}


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
        "softlearn": {
            "softsign": sl.softsign,
            "softsign_grad": sl.softsign_grad,
            "softplus": sl.softplus,
            "softplus_grad": sl.softplus_grad,
        },
        "PyTorch": torch_impls(),
        "TensorFlow": tensorflow_impls(),
        "naive NumPy": naive(),
    }


def errors(impl: Impl, x: np.ndarray, exact: list) -> tuple[np.ndarray, int]:
    """ULP errors, and how many results are inf or NaN where the exact value is finite.

    A non-finite result counts as an infinite error, unless the exact value
    rounds to that same infinity.
    """
    with np.errstate(all="ignore"):
        y = np.asarray(impl(x), dtype=x.dtype)
    err = ref.ulp_errors(y, exact, x.dtype)
    return err, int(np.count_nonzero(np.isinf(err) & ~np.isfinite(y)))


def table(n_random: int = 4000) -> list[dict[str, object]]:
    """One row per function, dtype and implementation."""
    impls = implementations()
    rows: list[dict[str, object]] = []
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


def main() -> None:
    rows = table()
    print(f"{rows[0]['inputs']} float32 / {rows[-1]['inputs']} float64 inputs")
    head = ("function", "dtype", "implementation", "worst ULP", "at x", "mean ULP", "non-finite")
    print("{:14s} {:8s} {:12s} {:>12s} {:>14s} {:>10s} {:>10s}".format(*head))
    for r in rows:
        print(
            f"{r['function']:14s} {r['dtype']:8s} {r['implementation']:12s} "
            f"{r['worst ULP']:12.4g} {r['at x']:14.6g} {r['mean ULP']:10.3g} {r['non-finite']:10d}"
        )


if __name__ == "__main__":
    main()
