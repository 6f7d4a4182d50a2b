"""The check of correct rounding: every path against every other, and the hard cases.

    python -m softlearn.benchmarks.rounding sample        # seconds: every path, a sample
    python -m softlearn.benchmarks.rounding float32       # minutes: all 2**32 float32 inputs
    python -m softlearn.benchmarks.rounding float64 1e8   # float64: random inputs and hard cases

``float32`` runs every function (``beta = 1``) on all 2**32 float32 bit
patterns, through the compiled ufunc and through the NumPy path.  The two
approximate in different ways (double arithmetic in C with softlearn's own exp
and log1p; NumPy's float64 exp, log1p and tanh), and each decides its results
with its own rounding test, so they agree on every input only if both are
right; any disagreement is settled by mpmath and counted as an error.

``float64`` does the same on ``n`` random inputs per function, spread over
every exponent (the NumPy path works in the long double here), and keeps the
inputs whose value lies nearest a rounding boundary -- the hard cases, where a
wrong bound would show first.  Those are checked against mpmath one by one
and written to :data:`HARD_CASES`, which the test suite runs through every
path.

Each command writes its result to :data:`RESULTS` (JSON), which the README and
the accuracy chapter print.  The sample is what CI runs (tests/test_kernels.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import pathlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from softlearn import _native, _numpy_path
from softlearn._formulas import NUMPY
from softlearn._kernel_table import KERNELS, has_beta, reference

#: The correctly rounded functions, by their ufunc name.
FUNCTIONS = list(KERNELS)

DATA = pathlib.Path(__file__).resolve().parent / "data"
RESULTS = DATA / "rounding.json"
HARD_CASES = DATA / "hard_cases.json"

_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
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

    v = mp.mpf(reference(name, x, beta))
    if not mp.isfinite(v):
        return float(v)
    from fractions import Fraction

    sign, man, exp, _ = v._mpf_  # exact; man_exp would drop the sign
    return round_fraction((-1) ** sign * Fraction(man) * Fraction(2) ** exp, "d")


# --- the command line


def _save(key: str, value: Any) -> None:
    DATA.mkdir(exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[key] = value
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["sample", "float32", "float64"])
    parser.add_argument(
        "n", nargs="?", type=float, default=1e8, help="float64: inputs per function"
    )
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    names = args.functions.split(",")
    if args.what == "sample":
        report = compare_paths(n=4000, seed=args.seed)
        print("\n".join(report.lines))
        print(f"{report.disagreements} disagreements in {report.compared} results")
        return int(report.disagreements != 0)
    results = []
    for name in names:
        if args.what == "float32":
            r = exhaustive_float32(name)
        else:
            r = search_float64(name, int(args.n), seed=args.seed + FUNCTIONS.index(name))
        print(json.dumps({k: v for k, v in r.items() if k != "hard_cases"}), flush=True)
        results.append(r)
    if args.what == "float64":
        cases = {r["function"]: r.pop("hard_cases") for r in results}
        DATA.mkdir(exist_ok=True)
        HARD_CASES.write_text(json.dumps(cases, indent=1) + "\n")
    _save(args.what, {"build": paths()[0], "results": results})
    return int(any(r["wrong"] for r in results))


if __name__ == "__main__":
    raise SystemExit(main())
