"""No full-size temporaries: beyond its output, a call allocates a few chunks at most."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import softlearn as sl
from softlearn._kernel_table import KERNELS
from softlearn._numpy_path import CHUNK

N = 2_000_000
# The compiled loops allocate nothing.  The NumPy path works chunk by chunk: a
# working element is at most 16 bytes (long double), and its formulas and the
# double-double tier keep up to about 25 of a chunk's temporaries alive at once.
# A full-size temporary of N float32s (7.6 MiB) is over the budget (4 MiB).
BUDGET = 32 * CHUNK * 16
CALLS = {
    **{name: getattr(sl, name) for name in KERNELS},
    "softplus beta": lambda x: sl.softplus(x, beta=3.0, threshold=20.0),
    "softplus_grad beta": lambda x: sl.softplus_grad(x, beta=0.5),
    "sigmoid": sl.sigmoid,
}


@pytest.mark.parametrize("path", ["compiled", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(CALLS))
def test_peak_extra_memory_is_a_few_chunks(name, dtype, path, monkeypatch):
    if path == "numpy":
        monkeypatch.setattr(sl.functions, "kernels", lambda: None)
    x = np.random.default_rng(0).uniform(-30, 30, N).astype(dtype)
    xs = x[::2]  # a strided view must not be copied either
    CALLS[name](xs)  # once untraced: the exact path's first use imports mpmath
    for arg in (x, xs):
        tracemalloc.start()
        try:
            y = CALLS[name](arg)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        extra = peak - y.nbytes
        print(f"{name} {np.dtype(dtype)} {path}: {extra / 2**20:.2f} MiB beyond the output")
        assert extra <= BUDGET, f"{extra / 2**20:.1f} MiB extra for {arg.nbytes / 2**20:.0f} MiB in"
