"""Speed of softlearn, PyTorch, TensorFlow and the naive NumPy formulas, side by side.

    .venv/bin/python -m softlearn.benchmarks.speed            # one thread
    .venv/bin/python -m softlearn.benchmarks.speed --threads  # the frameworks on every core

One thread, 10**7 elements, float32 and float64.  Every call allocates its
result, as a user's call does.  Each time is the median of 7 runs after a
warm-up (``timeit``), and is reported as a ratio: to the fastest of PyTorch
and TensorFlow on the same function, and to a plain copy of the input (the
floor for anything that reads x and writes y).  For the derivatives the
frameworks run their gradient kernels (``softplus_backward``,
``SoftsignGrad``, ``SoftplusGrad``) or, for PyTorch's softsign, which has
none, the backward pass autograd records; ``torch.sigmoid`` and
``tf.math.sigmoid``, which compute the derivative of softplus too, count
among the frameworks for ``softplus_grad``.  Peak extra memory is what NumPy
allocates during the call beyond the result (``tracemalloc``).

:func:`own_table` compares softlearn with itself and with NumPy: softplus
with ``beta`` and ``threshold`` against plain softplus, the inverse against
softplus, tanh, its derivative and relu against NumPy's own functions, and
relu's derivative against relu; each ratio has a target, and the table says
whether it was met.  softlearn computes on one thread; with ``--threads`` the
frameworks keep their default thread pools (the ratios then say what a user
with every core gets).
"""

from __future__ import annotations

import functools
import statistics
import timeit
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
import torch
import torch.nn.functional as F

import softlearn as sl
from softlearn._definitions import kernel_names
from softlearn.benchmarks.table import Table

N = 10**7
REPEATS = 7
#: The inputs are SCALE times a standard normal: spread over the curved part of
#: each function and far out, where the formulas take their other branches.
SCALE = 10.0
FUNCTIONS = kernel_names("softsign", "softplus")


def median_seconds(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm-up
    return statistics.median(timeit.repeat(fn, number=1, repeat=repeats))


def peak_extra_bytes(fn: Callable[[], object]) -> int:
    """Largest NumPy allocation footprint during ``fn()``, minus its result."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    y = np.asarray(fn())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return max(0, peak - y.nbytes)


def candidates(x: np.ndarray) -> dict[str, dict[str, Callable[[], object]]]:
    xt = torch.from_numpy(x)
    ones_t = torch.ones_like(xt)
    xr = xt.clone().requires_grad_()
    soft_t = F.softsign(xr)
    xf = tf.constant(x)
    ones_f = tf.ones_like(xf)

    def softsign_backward() -> object:
        return torch.autograd.grad(soft_t, xr, ones_t, retain_graph=True)

    def fastest_of(*fns: Callable[[], object]) -> Callable[[], object]:
        # Timed below as one entry: the faster of the two, measured now.
        return min(fns, key=lambda f: median_seconds(f, 3))

    return {
        "softlearn": {name: functools.partial(getattr(sl, name), x) for name in FUNCTIONS},
        "PyTorch": {
            "softsign": lambda: F.softsign(xt),
            "softsign_grad": softsign_backward,
            "softplus": lambda: F.softplus(xt),
            "softplus_grad": fastest_of(
                lambda: torch.ops.aten.softplus_backward(ones_t, xt, 1.0, 20.0),
                lambda: torch.sigmoid(xt),
            ),
        },
        "TensorFlow": {
            "softsign": lambda: tf.nn.softsign(xf),
            "softsign_grad": lambda: tf.raw_ops.SoftsignGrad(gradients=ones_f, features=xf),
            "softplus": lambda: tf.nn.softplus(xf),
            "softplus_grad": fastest_of(
                lambda: tf.raw_ops.SoftplusGrad(gradients=ones_f, features=xf),
                lambda: tf.math.sigmoid(xf),
            ),
        },
        "naive NumPy": {
            "softsign": lambda: x / (1 + np.abs(x)),
            "softsign_grad": lambda: 1 / (1 + np.abs(x)) ** 2,
            "softplus": lambda: np.log(1 + np.exp(x)),
            "softplus_grad": lambda: 1 / (1 + np.exp(-x)),
        },
    }


def table(n: int = N, repeats: int = REPEATS, memory_n: int | None = None) -> list[dict[str, Any]]:
    """The timings on ``n`` elements; the memory on ``memory_n`` (default ``n``)."""
    rows: list[dict[str, Any]] = []
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal(n) * SCALE).astype(dtype)
        xm = x if memory_n is None else (rng.standard_normal(memory_n) * SCALE).astype(dtype)
        copy = median_seconds(x.copy, repeats)
        cands = candidates(x)
        mem_cands = cands if memory_n is None else candidates(xm)
        for fname in FUNCTIONS:
            with np.errstate(all="ignore"):
                times = {lib: median_seconds(c[fname], repeats) for lib, c in cands.items()}
                memory = {
                    lib: peak_extra_bytes(mem_cands[lib][fname])
                    for lib in ("softlearn", "naive NumPy")
                }
            fastest = min(times["PyTorch"], times["TensorFlow"])
            for lib, t in times.items():
                rows.append(
                    {
                        "function": fname,
                        "dtype": np.dtype(dtype).name,
                        "implementation": lib,
                        "ns per element": t / n * 1e9,
                        "vs fastest framework": t / fastest,
                        "vs copy": t / copy,
                        "extra MiB": memory[lib] / 2**20 if lib in memory else None,
                        "extra arrays": memory[lib] / xm.nbytes if lib in memory else None,
                    }
                )
    return rows


def _by_case(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """The rows grouped per (function, dtype), then keyed by implementation."""
    cases: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        cases.setdefault((r["function"], r["dtype"]), {})[r["implementation"]] = r
    return {(f, d): cases[f, d] for d in ("float32", "float64") for f in FUNCTIONS}


def summary(rows: list[dict[str, Any]]) -> Table:
    """Per function and dtype: each implementation's time as a ratio to the
    fastest framework, and softlearn's ratio to a copy."""
    libs = list(dict.fromkeys(r["implementation"] for r in rows))
    out = [
        [f"{fname}, {dtype}"]
        + [f"{mine[lib]['vs fastest framework']:.2f}" for lib in libs]
        + [f"{mine['softlearn']['vs copy']:.1f}"]
        for (fname, dtype), mine in _by_case(rows).items()
    ]
    return Table(["time / fastest framework", *libs, "softlearn / copy"], out)


def memory(rows: list[dict[str, Any]]) -> Table:
    """Per function and dtype: the memory softlearn and the naive formula
    allocate beyond the result, in units of the input array, to one decimal.

    Counted, not timed, so the same on every run at that precision (the last
    few KiB, Python objects made during the call, vary), and on every path:
    softlearn's compiled loops allocate nothing, its NumPy fallback a few
    fixed-size buffers of about a MiB; a full-size temporary counts 1.0.
    """
    out = [
        [
            f"{fname}, {dtype}",
            f"{mine['softlearn']['extra arrays']:.1f}",
            f"{mine['naive NumPy']['extra arrays']:.1f}",
        ]
        for (fname, dtype), mine in _by_case(rows).items()
    ]
    return Table(["extra memory (arrays of the input's size)", "softlearn", "naive NumPy"], out)


#: softlearn against itself and NumPy: (name, softlearn's call, the reference call, target)
def own_cases(x: np.ndarray) -> list[tuple[str, Callable[[], object], Callable[[], object], float]]:
    y = np.abs(x) + 0.1  # softplus_inverse's domain
    one = x.dtype.type(1)
    return [
        ("softplus beta=2 / softplus", lambda: sl.softplus(x, 2.0), lambda: sl.softplus(x), 1.2),
        (
            "softplus threshold=20 / softplus",
            lambda: sl.softplus(x, threshold=20.0),
            lambda: sl.softplus(x),
            1.2,
        ),
        (
            "softplus_inverse / softplus",
            lambda: sl.softplus_inverse(y),
            lambda: sl.softplus(x),
            2.0,
        ),
        ("tanh / np.tanh", lambda: sl.tanh(x), lambda: np.tanh(x), 1.5),
        ("tanh_grad / 1 - np.tanh**2", lambda: sl.tanh_grad(x), lambda: one - np.tanh(x) ** 2, 1.5),
        ("relu / np.maximum", lambda: sl.relu(x), lambda: np.maximum(x, 0), 1.5),
        ("relu_grad / relu", lambda: sl.relu_grad(x), lambda: sl.relu(x), 1.2),
    ]


def own_ratios(n: int = N, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """Each of :func:`own_cases`, float32 and float64: the measured ratio and its target."""
    rows = []
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal(n) * SCALE).astype(dtype)
        for name, mine, theirs, target in own_cases(x):
            with np.errstate(all="ignore"):
                ratio = median_seconds(mine, repeats) / median_seconds(theirs, repeats)
            rows.append(
                {"case": f"{name}, {np.dtype(dtype).name}", "ratio": ratio, "target": target}
            )
    return rows


def own_table(rows: list[dict[str, Any]] | None = None) -> Table:
    """:func:`own_ratios` as a table, with whether each ratio meets its target."""
    rows = own_ratios() if rows is None else rows
    out = [
        [
            r["case"],
            f"{r['ratio']:.2f}",
            f"{r['target']:g}",
            "yes" if r["ratio"] <= r["target"] else "no",
        ]
        for r in rows
    ]
    return Table(["time ratio", "measured", "target", "met"], out)


def main(argv: list[str] | None = None) -> None:
    import os
    import subprocess
    import sys

    args = sys.argv[1:] if argv is None else argv
    threads = "--threads" in args
    if threads and os.environ.get("SOFTLEARN_BENCH_THREADS") != "default":
        # The thread pools are fixed when the frameworks are imported: start afresh.
        env = {**os.environ, "SOFTLEARN_BENCH_THREADS": "default"}
        cmd = [sys.executable, "-m", "softlearn.benchmarks.speed", "--threads"]
        raise SystemExit(subprocess.run(cmd, env=env, check=False).returncode)
    who = "the frameworks on their default threads" if threads else "one thread"
    print(f"{N:.0e} elements, {who}, median of {REPEATS}; ratios from the same run\n")
    rows = table()
    print(summary(rows))
    print()
    print(memory(rows))
    print()
    print(own_table())


if __name__ == "__main__":
    main()
