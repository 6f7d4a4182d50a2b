"""The NumPy path, which runs where no compiled kernel was built, against the compiled one.

    .venv/bin/python -m softlearn.benchmarks.numpy_path

For each kernel and dtype: the time per element of the NumPy path
(softlearn/_numpy_path.py) and of the best compiled build this CPU runs, on the
same 10**6 inputs (SCALE times a standard normal; for the inverse, its
absolute value plus 0.1), both writing into a buffer made beforehand; their
ratio, against the target of at most :data:`TARGET`; and how many of the
inputs the NumPy path sent to the exact path (mpmath or fractions).
"""

from __future__ import annotations

import contextlib
import timeit
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np

from softlearn import _native, _numpy_path
from softlearn._kernel_table import KERNELS
from softlearn.benchmarks.table import Table

N = 10**6
SCALE = 10.0
REPEATS = 3
#: The NumPy path's time per element over the compiled path's, at most.
TARGET = 20.0
#: The kernels compared: every one with a first tier of its own (relu has none).
NAMES = [name for name in KERNELS if not name.startswith("relu")]


@contextlib.contextmanager
def _counting() -> Iterator[list[Any]]:
    """The calls the NumPy path makes to the exact path, while inside."""
    calls: list[Any] = []
    exact = getattr(_numpy_path, "correctly_rounded")  # noqa: B009

    def counted(*args: Any) -> float:
        calls.append(args)
        return float(exact(*args))

    setattr(_numpy_path, "correctly_rounded", counted)  # noqa: B010
    try:
        yield calls
    finally:
        setattr(_numpy_path, "correctly_rounded", exact)  # noqa: B010


def table(n: int = N) -> list[dict[str, Any]]:
    """Per (kernel, dtype): ns per element of each path, their ratio, exact-path inputs."""
    module = _native.kernels()
    if module is None:
        raise RuntimeError("no compiled build to compare with (SOFTLEARN_KERNELS=numpy?)")
    rng = np.random.default_rng(0)
    rows = []
    for dtype in (np.float32, np.float64):
        base = (rng.standard_normal(n) * SCALE).astype(dtype)
        for name in NAMES:
            kernel = KERNELS[name]
            x = np.abs(base) + dtype(0.1) if kernel.positive else base
            params = dict(zip(kernel.params, (1.0, None), strict=False))
            compiled_params = (1.0, np.inf)[: len(kernel.params)]
            out = np.empty_like(x)
            compiled = partial(getattr(module, name), x, *compiled_params, out=out)
            numpy_path = partial(_numpy_path.evaluate, name, x, np.dtype(dtype), **params, out=out)

            with _counting() as calls:
                numpy_path()
            t_np = min(timeit.repeat(numpy_path, number=1, repeat=REPEATS)) / n
            t_c = min(timeit.repeat(compiled, number=5, repeat=REPEATS)) / 5 / n
            rows.append(
                {
                    "function": name,
                    "dtype": np.dtype(dtype).name,
                    "numpy_ns": t_np * 1e9,
                    "compiled_ns": t_c * 1e9,
                    "ratio": t_np / t_c,
                    "exact": len(calls),
                    "n": n,
                }
            )
    return rows


def report(rows: list[dict[str, Any]]) -> Table:
    out = [
        [
            f"{r['function']}, {r['dtype']}",
            f"{r['numpy_ns']:.1f}",
            f"{r['compiled_ns']:.2f}",
            f"{r['ratio']:.1f}",
            "yes" if r["ratio"] <= TARGET else "no",
            f"{r['exact']} of {r['n']:,}",
        ]
        for r in rows
    ]
    head = ["NumPy path", "ns per element", "compiled, ns", "ratio", "within 20x", "exact path"]
    return Table(head, out)


def main() -> None:
    module = _native.kernels()
    build = module.__name__ if module else "no compiled build"
    print(f"NumPy path against {build}; {N:,} elements; best of {REPEATS}\n")
    print(report(table()))


if __name__ == "__main__":
    main()
