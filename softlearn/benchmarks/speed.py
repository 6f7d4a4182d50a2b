"""Speed of softlearn, PyTorch and TensorFlow, in three ways of calling, side by side.

    .venv/bin/python -m softlearn.benchmarks.speed            # one thread
    .venv/bin/python -m softlearn.benchmarks.speed --threads  # the frameworks on every core

Every time is the median of 7 runs after a warm-up, on SCALE times a standard
normal, and is reported per element and as a ratio to the faster of PyTorch
and TensorFlow on the same function, measured in the same run:

``alloc``
    10**7 elements, every call returning a new array, as a user's call does.
``out``
    10**7 elements written into a buffer made and touched beforehand:
    softlearn's ``out=``, PyTorch's where it has an ``out=`` form (softplus,
    its backward kernel and sigmoid), TensorFlow, which has none, allocating.
``cache``
    65,536 elements (input and output in the L2 cache), as ``out``: the
    computation alone, with memory out of the way.

The frameworks' derivatives are their gradient kernels (``softplus_backward``,
``SoftsignGrad``, ``SoftplusGrad``) or, for PyTorch's softsign, which has none,
the backward pass autograd records; ``torch.sigmoid`` and ``tf.math.sigmoid``
also count for ``softplus_grad``, whichever is faster.  A plain copy of the
input (``copy``) is the floor for anything that reads x and writes y.

Fresh pages, what the allocating mode adds.  glibc's malloc serves a block
above its mmap threshold with a new mapping and returns it to the kernel on
free; the threshold rises when such blocks are freed, but never above 32 MiB
on 64-bit systems.  NumPy's outputs of 10**7 elements (40 MB in float32, 80 MB
in float64) are above it, so every allocating NumPy call, softlearn's
included, writes into pages the kernel has to supply and zero on first touch:
minor page faults (one per 4 KiB page, or per 2 MiB where transparent huge
pages apply), counted per call with ``getrusage``.  PyTorch's CPU tensors come
from the same malloc.  TensorFlow's allocator keeps its memory between calls:
no faults after the first.  :func:`pages` gives the faults per call of each
library and what the fresh pages cost softlearn, its allocating time minus its
``out=`` time, per element.

:func:`own_table` compares softlearn with itself and with NumPy, in cache:
softplus with ``beta`` and ``threshold`` against plain softplus, the inverse
against softplus, tanh and its derivative against NumPy's ``tanh`` and
``1 - tanh**2``, and relu and its derivative; each ratio has a target, and the
table says whether it was met.  softlearn computes on one thread; with
``--threads`` the frameworks keep their default thread pools.
"""

from __future__ import annotations

import resource
import statistics
import timeit
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from softlearn.benchmarks import frameworks  # first: it sets TensorFlow's log level

# isort: split
import tensorflow as tf
import torch
import torch.nn.functional as F

import softlearn as sl
from softlearn._definitions import function_names
from softlearn.benchmarks.table import Table

N = 10**7
N_CACHE = 65_536
REPEATS = 7
#: The inputs are SCALE times a standard normal: spread over the curved part of
#: each function and far out, where the formulas take their other branches.
SCALE = 10.0
FUNCTIONS = function_names("softsign", "softplus")
MODES = ("alloc", "out", "cache")
FRAMEWORKS = ("PyTorch", "TensorFlow")
#: glibc's largest mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX):
#: blocks above it are always mapped afresh.
MMAP_THRESHOLD_MAX = 32 * 2**20
#: softlearn / fastest framework to reach with ``out=`` and in cache, by dtype.
TARGETS = {
    "float32": dict.fromkeys(FUNCTIONS, 1.0),
    "float64": {"softsign": 1.0, "softsign_grad": 1.0, "softplus": 1.5, "softplus_grad": 1.5},
}

Call = Callable[[], object]


def median_ns(fn: Call, n: int, repeats: int = REPEATS) -> float:
    """Median time of one call, per element, in ns; short calls are looped."""
    fn()  # warm-up
    number = max(1, 2_000_000 // n)
    runs = timeit.repeat(fn, number=number, repeat=repeats)
    return statistics.median(runs) / number / n * 1e9


def faults_per_call(fn: Call, calls: int = 3) -> float:
    """Minor page faults per call (after a warm-up call)."""
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def peak_extra_bytes(fn: Call) -> int:
    """Largest NumPy allocation footprint during ``fn()``, minus its result."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    y = np.asarray(fn())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return max(0, peak - y.nbytes)


def _fastest(*fns: Call) -> Call:
    """The faster of two ways to compute the same thing, measured now."""
    return min(fns, key=lambda f: min(timeit.repeat(f, number=1, repeat=3)))


def candidates(x: np.ndarray, out: np.ndarray | None) -> dict[str, dict[str, Call]]:
    """Each implementation's call per function; with ``out`` given, the out= forms."""
    xt = torch.from_numpy(x)
    ot = None if out is None else torch.from_numpy(out)
    ones_t = torch.ones_like(xt)
    xr = xt.clone().requires_grad_()
    soft_t = F.softsign(xr)
    xf = tf.constant(x)
    ones_f = tf.ones_like(xf)

    def softsign_backward() -> object:
        return torch.autograd.grad(soft_t, xr, ones_t, retain_graph=True)

    if ot is None:
        torch_softplus: Call = lambda: F.softplus(xt)  # noqa: E731
        torch_grad = _fastest(
            lambda: torch.ops.aten.softplus_backward(ones_t, xt, 1.0, 20.0),
            lambda: torch.sigmoid(xt),
        )
    else:
        torch_softplus = lambda: torch.ops.aten.softplus.out(xt, 1.0, 20.0, out=ot)  # noqa: E731
        torch_grad = _fastest(
            lambda: torch.ops.aten.softplus_backward.grad_input(
                ones_t, xt, 1.0, 20.0, grad_input=ot
            ),
            lambda: torch.sigmoid(xt, out=ot),
        )
    mine = {name: getattr(sl, name) for name in FUNCTIONS}
    return {
        "softlearn": {
            name: partial(f, x) if out is None else partial(f, x, out=out)
            for name, f in mine.items()
        },
        "PyTorch": {
            "softsign": lambda: F.softsign(xt),
            "softsign_grad": softsign_backward,
            "softplus": torch_softplus,
            "softplus_grad": torch_grad,
        },
        "TensorFlow": {
            "softsign": lambda: tf.nn.softsign(xf),
            "softsign_grad": lambda: tf.raw_ops.SoftsignGrad(gradients=ones_f, features=xf),
            "softplus": lambda: tf.nn.softplus(xf),
            "softplus_grad": _fastest(
                lambda: tf.raw_ops.SoftplusGrad(gradients=ones_f, features=xf),
                lambda: tf.math.sigmoid(xf),
            ),
        },
    }


def _inputs(n: int, dtype: Any, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(n) * SCALE).astype(dtype)


def table(n: int = N, n_cache: int = N_CACHE, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """Every (function, dtype, mode, implementation): ns per element; faults per call (alloc)."""
    rows: list[dict[str, Any]] = []
    for dtype in (np.float32, np.float64):
        dt = np.dtype(dtype).name
        for mode in MODES:
            size = n_cache if mode == "cache" else n
            x = _inputs(size, dtype)
            out = None if mode == "alloc" else np.zeros_like(x)  # zeros: touched, so faulted in
            copy = x.copy if out is None else (lambda x=x, out=out: np.copyto(out, x))
            rows.append(_row("copy", dt, mode, "copy", median_ns(copy, size, repeats)))
            cands = candidates(x, out)
            for fname in FUNCTIONS:
                for lib, calls in cands.items():
                    with np.errstate(all="ignore"):
                        ns = median_ns(calls[fname], size, repeats)
                        faults = faults_per_call(calls[fname]) if mode == "alloc" else None
                    rows.append(_row(fname, dt, mode, lib, ns, faults))
    return rows


def _row(
    fname: str, dtype: str, mode: str, lib: str, ns: float, faults: float | None = None
) -> dict[str, Any]:
    return {
        "function": fname,
        "dtype": dtype,
        "mode": mode,
        "implementation": lib,
        "ns per element": ns,
        "faults per call": faults,
    }


def _ns(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], float]:
    return {
        (r["function"], r["dtype"], r["mode"], r["implementation"]): r["ns per element"]
        for r in rows
    }


def ratios(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], float]:
    """softlearn / fastest framework, per (function, dtype, mode)."""
    ns = _ns(rows)
    return {
        (f, d, m): ns[f, d, m, "softlearn"] / min(ns[f, d, m, lib] for lib in FRAMEWORKS)
        for f, d, m, lib in ns
        if lib == "softlearn"
    }


def meets_target(rows: list[dict[str, Any]]) -> dict[tuple[str, str], bool]:
    """Per (function, dtype): whether the out= and in-cache ratios are both within the target."""
    r = ratios(rows)
    return {
        (f, d): max(r[f, d, "out"], r[f, d, "cache"]) <= TARGETS[d][f]
        for d in TARGETS
        for f in FUNCTIONS
    }


def summary(rows: list[dict[str, Any]]) -> Table:
    """softlearn / fastest framework in the three modes, softlearn / copy in cache,
    and whether the out= and in-cache ratios meet their target."""
    r = ratios(rows)
    ns = _ns(rows)
    meets = meets_target(rows)
    out = []
    for d in ("float32", "float64"):
        for f in FUNCTIONS:
            target = TARGETS[d][f]
            met = meets[f, d]
            floor = ns[f, d, "cache", "softlearn"] / ns["copy", d, "cache", "copy"]
            out.append(
                [f"{f}, {d}"]
                + [f"{r[f, d, m]:.2f}" for m in MODES]
                + [f"{floor:.1f}", f"{target:g}", "yes" if met else "no"]
            )
    head = ["softlearn / fastest framework", "alloc 10^7", "out= 10^7", "in cache"]
    return Table([*head, "in cache / copy", "target", "met"], out)


def times(rows: list[dict[str, Any]], mode: str) -> Table:
    """ns per element of each implementation in one mode, with the copy."""
    ns = _ns(rows)
    libs = ["softlearn", *FRAMEWORKS]
    out = [
        [f"{f}, {d}"]
        + [f"{ns[f, d, mode, lib]:.3f}" for lib in libs]
        + [f"{ns['copy', d, mode, 'copy']:.3f}"]
        for d in ("float32", "float64")
        for f in FUNCTIONS
    ]
    return Table([f"ns per element, {mode}", *libs, "copy"], out)


def pages(rows: list[dict[str, Any]]) -> Table:
    """Minor page faults per allocating call of 10**7 elements, and what fresh
    pages cost softlearn: its allocating minus its out= time per element."""
    ns = _ns(rows)
    faults = {
        (r["function"], r["dtype"], r["implementation"]): r["faults per call"]
        for r in rows
        if r["mode"] == "alloc" and r["implementation"] != "copy"
    }
    libs = ["softlearn", *FRAMEWORKS]
    out = [
        [f"{f}, {d}"]
        + [f"{faults[f, d, lib]:.0f}" for lib in libs]
        + [f"{ns[f, d, 'alloc', 'softlearn'] - ns[f, d, 'out', 'softlearn']:.3f}"]
        for d in ("float32", "float64")
        for f in FUNCTIONS
    ]
    head = ["page faults per call, 10^7", *libs, "fresh pages, ns per element"]
    return Table(head, out)


def memory(n: int = N) -> Table:
    """The memory softlearn and the naive formulas allocate beyond the result,
    in units of the input array, to one decimal.

    Counted, not timed, so the same on every run at that precision (the last
    few KiB, Python objects made during the call, vary), and on every path:
    softlearn's compiled loops allocate nothing, its NumPy fallback a few
    fixed-size buffers of about a MiB; a full-size temporary counts 1.0.
    """
    naive: dict[str, Callable[[np.ndarray], object]] = {
        "softsign": lambda x: x / (1 + np.abs(x)),
        "softsign_grad": lambda x: 1 / (1 + np.abs(x)) ** 2,
        "softplus": lambda x: np.log(1 + np.exp(x)),
        "softplus_grad": lambda x: 1 / (1 + np.exp(-x)),
    }
    out = []
    for dtype in (np.float32, np.float64):
        x = _inputs(n, dtype)
        for f in FUNCTIONS:
            with np.errstate(all="ignore"):
                mine = peak_extra_bytes(partial(getattr(sl, f), x)) / x.nbytes
                theirs = peak_extra_bytes(partial(naive[f], x)) / x.nbytes
            out.append([f"{f}, {np.dtype(dtype).name}", f"{mine:.1f}", f"{theirs:.1f}"])
    return Table(["extra memory (arrays of the input's size)", "softlearn", "naive NumPy"], out)


#: softlearn against itself and NumPy: (name, softlearn's call, the reference call, target),
#: each writing into ``out``.
def own_cases(x: np.ndarray, out: np.ndarray) -> list[tuple[str, Call, Call, float]]:
    y = np.abs(x) + x.dtype.type(0.1)  # softplus_inverse's domain
    one = x.dtype.type(1)

    def one_minus_tanh2() -> object:
        np.tanh(x, out=out)
        np.square(out, out=out)
        return np.subtract(one, out, out=out)

    return [
        (
            "softplus beta=2 / softplus",
            lambda: sl.softplus(x, 2.0, out=out),
            lambda: sl.softplus(x, out=out),
            1.2,
        ),
        (
            "softplus threshold=20 / softplus",
            lambda: sl.softplus(x, threshold=20.0, out=out),
            lambda: sl.softplus(x, out=out),
            1.2,
        ),
        (
            "softplus_inverse / softplus",
            lambda: sl.softplus_inverse(y, out=out),
            lambda: sl.softplus(x, out=out),
            1.5,
        ),
        ("tanh / np.tanh", lambda: sl.tanh(x, out=out), lambda: np.tanh(x, out=out), 1.5),
        ("tanh_grad / 1 - np.tanh**2", lambda: sl.tanh_grad(x, out=out), one_minus_tanh2, 1.5),
        (
            "relu / np.maximum",
            lambda: sl.relu(x, out=out),
            lambda: np.maximum(x, 0, out=out),
            1.5,
        ),
        ("relu_grad / relu", lambda: sl.relu_grad(x, out=out), lambda: sl.relu(x, out=out), 1.2),
    ]


def own_ratios(n: int = N_CACHE, repeats: int = REPEATS) -> list[dict[str, Any]]:
    """Each of :func:`own_cases` in cache, float32 and float64: the ratio and its target."""
    rows = []
    for dtype in (np.float32, np.float64):
        x = _inputs(n, dtype)
        out = np.zeros_like(x)
        for name, mine, theirs, target in own_cases(x, out):
            with np.errstate(all="ignore"):
                ratio = median_ns(mine, n, repeats) / median_ns(theirs, n, repeats)
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
    return Table(["time ratio, in cache", "measured", "target", "met"], out)


def main(argv: list[str] | None = None) -> None:
    import sys

    args = sys.argv[1:] if argv is None else argv
    threads = "--threads" in args
    if not threads:
        frameworks.one_thread()
    from softlearn._native import kernels

    who = "the frameworks on their default threads" if threads else "one thread"
    module = kernels()
    build = module.__name__ if module else "the NumPy path (no compiled kernels)"
    print(f"softlearn: {build}; {who}; median of {REPEATS}; ratios from the same run")
    print(f"alloc and out=: {N:.0e} elements; in cache: {N_CACHE:,}\n")
    rows = table()
    print(summary(rows), end="\n\n")
    for mode in MODES:
        print(times(rows, mode), end="\n\n")
    print(pages(rows), end="\n\n")
    print(memory(), end="\n\n")
    print(own_table())


if __name__ == "__main__":
    main()
