"""The check of correct rounding, free of any framework: every path against every other.

A *path* is one way softlearn computes its functions: each compiled build of
the kernels this CPU runs (``softlearn._native.BUILDS``), and the NumPy path.
They approximate in different ways, and each decides its results with its own
rounding test, so they agree on an input only if both are right; where they
disagree, mpmath settles which one is wrong.

- :func:`compare_paths`: every path on a sample, what the tests run;
- :func:`exhaustive_float32`: all 2**32 float32 inputs of one function;
- :func:`search_float64`: random float64 inputs, and the hard cases among them
  (the inputs whose value lies nearest a rounding boundary).

``python -m softlearn.benchmarks.rounding`` runs them from the command line
and stores their results, which the tests and the book read.
"""

from __future__ import annotations

import importlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from softlearn import _native, _numpy_path
from softlearn._formulas import NUMPY
from softlearn._kernel_table import KERNELS, has_beta, reference

#: The correctly rounded functions, by their ufunc name.
FUNCTIONS = list(KERNELS)

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def paths() -> list[str]:
    """The compiled builds this CPU runs, then ``numpy``."""
    found = []
    for name, module in _native.BUILDS.items():
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        found.append(name)
    return [*found, "numpy"]


def compute(path: str, name: str, x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``name(x, beta)`` through one path: a build's ufunc, or the NumPy path."""
    dtype = x.dtype
    if path == "numpy":
        return np.asarray(_numpy_path.evaluate(name, x, dtype, beta))
    ufunc = getattr(importlib.import_module(_native.BUILDS[path]), name)
    values = {"beta": beta, "threshold": math.inf}
    params = [values[p] for p in KERNELS[name].params]
    f64 = np.dtype(np.float64)
    return np.asarray(ufunc(x, *params, signature=(dtype, *[f64] * len(params), dtype)))


def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise: the same float, the same sign of zero, or both NaN."""
    both_nan = np.isnan(a) & np.isnan(b)
    same: np.ndarray = both_nan | ((a == b) & (np.signbit(a) == np.signbit(b)))
    return same


def sample_inputs(dtype: Any, n: int, rng: np.random.Generator, positive: bool = False) -> Any:
    """Random bit patterns (every exponent), and values of every scale from -1e3 to 1e3."""
    dt = np.dtype(dtype)
    raw = np.frombuffer(rng.bytes(n * dt.itemsize), dtype=_UINT[dt.itemsize]).view(dt)
    with np.errstate(over="ignore"):
        scaled = (rng.standard_normal(n) * np.exp(rng.uniform(-12, 7, n))).astype(dt)
    x = np.concatenate([raw, scaled, np.array([0, -0.0, np.inf, -np.inf, np.nan], dt)])
    return np.abs(x) if positive else x


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    disagreements: int = 0
    compared: int = 0


def compare_paths(n: int = 4000, seed: int = 0) -> Report:
    """Every path on ``2 n`` inputs per function, dtype and beta; count any difference in bits."""
    rng = np.random.default_rng(seed)
    report = Report()
    names = paths()
    for name in FUNCTIONS:
        for dtype in ("float16", "float32", "float64"):
            x = sample_inputs(dtype, n, rng, positive=KERNELS[name].positive)
            for beta in (1.0, 0.37, 3.0) if has_beta(name) else (1.0,):
                results = {p: compute(p, name, x, beta) for p in names}
                first = results[names[0]]
                bad = sum(int(np.sum(~same_bits(first, r))) for r in results.values())
                report.disagreements += bad
                report.compared += x.size * len(names)
                report.lines.append(
                    f"{name:17s} {dtype:8s} beta={beta:<5} {x.size} inputs, "
                    f"{len(names)} paths ({', '.join(names)}): {bad} differ"
                )
    return report


# --- float32, exhaustively


def exhaustive_float32(name: str, chunk: int = 1 << 24, log: Any = print) -> dict[str, Any]:
    """All 2**32 float32 inputs: the compiled ufunc against the NumPy path (mpmath decides)."""
    from softlearn._exact import correctly_rounded

    build = paths()[0]
    wrong, undecided_before = 0, _exact_calls(build)
    start = time.perf_counter()
    for lo in range(0, 1 << 32, chunk):
        x = np.arange(lo, lo + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        if KERNELS[name].positive:
            x = x[~np.signbit(x)]  # its domain: x >= 0 (x < 0 gives NaN on every path)
        a = compute(build, name, x)
        b = compute("numpy", name, x)
        for i in np.flatnonzero(~same_bits(a, b)):
            want = correctly_rounded(name, float(x[i]), 1.0, "f")
            if not same_bits(np.float32(want), a[i]):
                wrong += 1
                log(
                    f"  {name}({x[i]!r}): {build} gives {a[i]!r}, the exact value "
                    f"rounds to {want!r}"
                )
    seconds = time.perf_counter() - start
    inputs = 1 << 31 if KERNELS[name].positive else 1 << 32
    return {
        "function": name,
        "inputs": inputs,
        "wrong": wrong,
        "exact_path": _exact_calls(build) - undecided_before,
        "seconds": round(seconds),
    }


def _exact_calls(build: str) -> int:
    return int(importlib.import_module(_native.BUILDS[build]).exact_calls())


# --- float64: random inputs and hard cases


def search_float64(name: str, n: int, seed: int, keep: int = 64) -> dict[str, Any]:
    """``n`` random float64 inputs: compiled against NumPy path, and the ``keep`` hardest cases."""
    from softlearn._exact import correctly_rounded

    build = paths()[0]
    rng = np.random.default_rng(seed)
    betas = (1.0, 0.37, 3.0) if has_beta(name) else (1.0,)
    wrong, done = 0, 0
    hardest: list[tuple[float, float, float]] = []  # (distance in ULPs, x, beta)
    start = time.perf_counter()
    per = 1 << 20
    while done < n:
        m = min(per, n - done) // 2
        x = sample_inputs(np.float64, m, rng, positive=KERNELS[name].positive)
        beta = betas[(done // per) % len(betas)]
        a = compute(build, name, x, beta)
        b = compute("numpy", name, x, beta)
        for i in np.flatnonzero(~same_bits(a, b)):
            want = correctly_rounded(name, float(x[i]), beta, "d")
            if not same_bits(np.float64(want), a[i]):
                wrong += 1
        hardest = _hardest(hardest, name, x, beta, keep)
        done += x.size
    # the hard cases, one by one against mpmath
    checked = 0
    for _, x0, beta in hardest:
        got = compute(build, name, np.array([x0]), beta)[0]
        want = _mpmath_rounded(name, x0, beta)
        checked += 1
        if not same_bits(np.float64(want), np.float64(got)):
            wrong += 1
    return {
        "function": name,
        "inputs": done,
        "wrong": wrong,
        "hard_cases": [[x0, beta, d] for d, x0, beta in hardest],
        "hard_checked": checked,
        "seconds": round(time.perf_counter() - start),
    }


def _hardest(
    best: list[tuple[float, float, float]], name: str, x: np.ndarray, beta: float, keep: int
) -> list[tuple[float, float, float]]:
    """Merge in the inputs of ``x`` whose value lies nearest a midpoint between two floats."""
    with np.errstate(all="ignore"):
        work = x.astype(np.longdouble)
        approx = KERNELS[name].fast(work, beta, NUMPY)
        y = approx.astype(np.float64)
        up = np.nextafter(y, np.inf).astype(np.longdouble)
        down = np.nextafter(y, -np.inf).astype(np.longdouble)
        yl = y.astype(np.longdouble)
        mid = np.where(approx >= yl, (yl + up) / 2, (yl + down) / 2)
        ulp = (up - down) / 2
        dist = np.abs(approx - mid) / ulp
    ok = np.isfinite(dist) & np.isfinite(x) & (np.abs(y) >= np.finfo(np.float64).smallest_normal)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return best
    take = idx[np.argsort(dist[idx])[:keep]]
    merged = best + [(float(dist[i]), float(x[i]), beta) for i in take]
    merged.sort()
    return merged[:keep]


def _mpmath_rounded(name: str, x: float, beta: float) -> float:
    """The float64 nearest mpmath's value at 256 bits (reference.py), for the hard cases."""
    import mpmath as mp

    from softlearn._exact import round_fraction
    from softlearn.reference import PRECISION

    with mp.workprec(PRECISION):  # mpf() rounds to the context's precision
        v = mp.mpf(reference(name, x, beta))
    if not mp.isfinite(v):
        return float(v)
    from fractions import Fraction

    sign, man, exp, _ = v._mpf_  # exact; man_exp would drop the sign
    return round_fraction((-1) ** sign * Fraction(man) * Fraction(2) ** exp, "d")
