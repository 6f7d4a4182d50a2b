"""No full-size temporaries: beyond its output, a call allocates a few chunks at most."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import softlearn as sl
from softlearn._kernel_table import KERNELS
from softlearn._numpy_path import CHUNK

N = 5_000_000
# Beyond the output, in bytes.  The compiled loops allocate nothing (a few
# Python objects).  The NumPy path works chunk by chunk: a working element is
# at most 16 bytes (long double), and its formulas and the double-double tier
# keep up to about 26 of a chunk's temporaries alive at once (3.3 MiB for
# float64 softplus_inverse).  Either budget is below a copy of the strided
# half of N float32s (9.5 MiB) and a full-size mask (4.8 MiB).
BUDGET = {"compiled": 64 * 1024, "numpy": 32 * CHUNK * 16}
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
    # Not conftest's backend fixture: the wheel's test runs this file alone.
    if path == "numpy":
        monkeypatch.setattr(sl.functions, "kernels", lambda: None)
    elif sl.functions.kernels() is None:
        pytest.skip("no compiled build here: the numpy case covers this machine")
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
        message = f"{extra / 2**20:.1f} MiB extra for {arg.nbytes / 2**20:.0f} MiB in"
        assert extra <= BUDGET[path], message
