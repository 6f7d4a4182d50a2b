"""softlearn.keras on every Keras backend: TensorFlow, JAX and PyTorch, each in its own process.

Keras fixes its backend when first imported, so each backend runs
tests/keras_backend_probe.py in a subprocess with ``KERAS_BACKEND`` set (this
process has Keras on TensorFlow).  The probe computes values and first and
second derivatives with the backend's autodiff, eagerly and compiled, trains
a model (XLA-compiled on TensorFlow and JAX), saves it and exports it; the
tests here hold its results against mpmath and against the module
docstring's promises, and reload the model in fresh processes.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras_backend_probe as probe
import ml_dtypes
import numpy as np
import pytest

from softlearn import reference as ref

BACKENDS = ("tensorflow", "jax", "torch")
DTYPES = ("float16", "bfloat16", "float32", "float64")
PROBE = Path(probe.__file__)

# Where TensorFlow and XLA flush (see softlearn.keras): each point is scanned
# with its neighbours, so each threshold is checked to the last float.
THRESHOLDS = {
    "float32": [
        -87.33654475055311,  # softplus: e**x = 2**-126
        -29.11218158351770,  # the same with beta = 3
        9.223372036854775807e18,  # softsign': (1 + x)**-2 = 2**-126
        5.5411913777556356e12,  # softsign'': 2 (1 + x)**-3 = 2**-126
    ],
    "float64": [
        -708.3964185322641,  # softplus: e**x = 2**-1022
        -236.13213951075470,  # beta = 3: e**(-3|x|) = 2**-1022, so softplus'' = 3 e is not
        235.7659273530947,  # beta = 3: softplus'' = 3 e = 2**-1022
        6.7039039649712985e153,  # softsign'
        3.5553731598732901e102,  # softsign'': the intermediate (1 + x)**-3 = 2**-1022
        4.4794894843556084e102,  # softsign'': the result 2 (1 + x)**-3 = 2**-1022
    ],
}


def _around(centre: float, dtype: Any, k: int = 4) -> np.ndarray:
    """2k + 1 consecutive numbers of ``dtype`` centred on ``centre``, and their negatives."""
    c = np.asarray(centre, dtype=dtype)
    unsigned = {2: np.uint16, 4: np.uint32, 8: np.uint64}[c.itemsize]
    # Consecutive bit patterns are consecutive magnitudes.
    bits = c.view(unsigned) - unsigned(k) + np.arange(2 * k + 1, dtype=unsigned)
    pts = bits.view(dtype).astype(np.float64)
    return np.concatenate([pts, -pts])


def _grid(dtype: str) -> np.ndarray:
    """Evenly spaced values, log-spaced magnitudes (subnormal to huge), the thresholds, ±inf.

    float16 and bfloat16: every 13th number of the format instead.
    """
    dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype).type
    if dtype in ("float16", "bfloat16"):
        every = np.arange(0, 65536, 13, dtype=np.uint16).view(dt).astype(np.float32)
        parts = [every[np.isfinite(every)], [np.inf, -np.inf]]
        if dtype == "bfloat16":
            parts += [_around(c, dt) for c in THRESHOLDS["float32"]]
    else:
        fi = np.finfo(dt)
        edge = 110.0 if dtype == "float32" else 750.0
        lo, hi = np.log10(float(fi.smallest_subnormal)), np.log10(float(fi.max)) - 1e-3
        mags = np.logspace(lo, hi, 400)  # max itself is in the list below
        parts = [
            np.linspace(-edge, edge, 2201),
            mags,
            -mags,
            [0.0, -0.0, 1e30, -1e30, float(fi.max), -float(fi.max), np.inf, -np.inf],
            *(_around(c, dt) for c in THRESHOLDS[dtype]),
        ]
    x = np.concatenate([np.asarray(p, dtype=np.float64) for p in parts]).astype(dt)
    return np.unique(x.astype(np.float64))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keras_backends")
    # bfloat16 values are held in float32, which NumPy can save.
    grids = {d: _grid(d).astype(np.float32 if d == "bfloat16" else d) for d in DTYPES}
    np.savez(path / "grids.npz", **grids)
    return path


def _probe(mode: str, path: Path, backend: str | None = None) -> dict[str, Any]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    if backend is not None:
        env["KERAS_BACKEND"] = backend
    proc = subprocess.run(
        [sys.executable, str(PROBE), mode, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{mode} on {backend} failed:\n{proc.stderr[-4000:]}"
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")][-1]
    return dict(json.loads(line.removeprefix("REPORT ")))


@pytest.fixture(scope="module", params=BACKENDS)
def run(request: pytest.FixtureRequest, work: Path) -> tuple[str, dict[str, Any]]:
    """The probe's ``run`` on one backend: its JSON report (values are in ``work``)."""
    backend: str = request.param
    return backend, _probe("run", work, backend)


@functools.cache
def _exact(work: Path, name: str, order: int, dtype: str) -> tuple[list[Any], np.ndarray]:
    x = np.load(work / "grids.npz")[dtype].astype(np.float64)
    return ref.reference(probe.exact(name, order), x), x


@functools.cache
def _errors(work: Path, name: str, order: int, dtype: str, data: bytes) -> np.ndarray:
    """ULP errors of one result array (cached: modes and backends often agree to the bit)."""
    exact, _ = _exact(work, name, order, dtype)
    return ref.ulp_errors(np.frombuffer(data, np.float64), exact, dtype)


def _failures(backend: str, key: str, y: np.ndarray, work: Path) -> list[str]:
    """What breaks the module docstring's promise for one result array, if anything."""
    name, dtype, order_s, _ = key.split("/")
    order = int(order_s)
    exact, x = _exact(work, name, order, dtype)
    err = _errors(work, name, order, dtype, y.tobytes())
    limit = probe.bound(dtype, order)
    flushes = backend != "torch" and dtype in probe.FLUSHED
    zone, band = probe.flush_masks(name, order, dtype, x, exact)
    if not flushes:
        zone[:] = band[:] = False
    # Subnormal inputs are read as 0 (denormals-are-zero): f(0) is right there too.
    daz = flushes & (np.abs(x) < probe.TINY[dtype]) & (x != 0)
    at_zero = float(exact[int(np.argmin(np.abs(x)))]) if daz.any() else 0.0
    accurate = (err <= limit) | (daz & (y == at_zero))
    ok = np.where(zone, y == 0, accurate | (band & (y == 0)))
    out = []
    if not ok.all():
        i = np.flatnonzero(~ok)[np.argmax(err[~ok])]
        out.append(
            f"{backend} {key}: {(~ok).sum()} of {len(x)} wrong, e.g. x = {x[i]!r}: "
            f"{y[i]!r}, {err[i]:.3g} ULP (bound {limit:g}, flush zone: {bool(zone[i])})"
        )
    fine = ~zone & ~band & ~daz
    print(f"{backend:10s} {key:32s} max {err[fine].max():.4f} ULP, {zone.sum()} in the flush zone")
    return out


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
def test_values_and_derivatives_against_mpmath(run, work, dtype):
    """Value, first and second derivative, eager and compiled: within the stated bound.

    float16, bfloat16 and float32 within 1 ULP; float64 within 4 ULP (5 for the
    second derivative).  On TensorFlow and JAX, exactly 0 where the module
    docstring says the CPU flushes, and not elsewhere; PyTorch flushes nothing.
    """
    backend, report = run
    values = np.load(work / f"values-{backend}.npz")
    keys = [k for k in values.files if k.split("/")[1] == dtype]
    assert len(keys) == 3 * 3 * (1 if backend == "torch" else 2)
    for key in keys:  # every result keeps the input's dtype
        assert report["dtypes"][key] in (dtype, f"torch.{dtype}"), key
    failures = [f for key in keys for f in _failures(backend, key, values[key], work)]
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_model_trains_with_xla(run):
    """model.fit lowers the loss; on TensorFlow and JAX the train step is XLA-compiled."""
    backend, report = run
    loss = report["loss"]
    print(f"{backend}: loss {loss[0]:.4f} -> {loss[-1]:.4f}, jit_compile={report['jit_compile']}")
    assert report["jit_compile"] is (backend != "torch")
    assert loss[-1] < 0.6 * loss[0]


@pytest.mark.slow
def test_keras_file_reloads_in_a_fresh_process(run, work):
    backend, _ = run
    report = _probe("load", work, backend)
    assert report["layers"] == ["Dense", "Softplus", "Dense", "Softsign", "Dense"]
    loaded = np.load(work / f"loaded-{backend}.npy")
    assert np.array_equal(loaded, np.load(work / f"predict-{backend}.npy"))


@pytest.mark.slow
@pytest.mark.parametrize("run", ["tensorflow", "jax"], indirect=True)
def test_exported_model_serves_without_softlearn(run, work):
    """model.export() then tf.saved_model.load in a process that never imports softlearn.

    TensorFlow serves the very graph ``model(x)`` runs: the same bits.  A JAX
    model is exported through jax2tf and runs on TensorFlow's own XLA, whose
    matrix products may round differently from jaxlib's in the last bit.
    (On the PyTorch backend Keras 3.15 cannot export any model, even one with
    only its own layers: ``torch.export`` rejects the dynamic shapes Keras
    passes it.)
    """
    backend, report = run
    assert report["export_error"] is None
    _probe("serve", work / f"export-{backend}")  # no KERAS_BACKEND: it imports no Keras code
    served = np.load(work / f"served-export-{backend}.npy")
    if backend == "tensorflow":
        assert np.array_equal(served, np.load(work / f"call-{backend}.npy"))
    else:
        np.testing.assert_allclose(served, np.load(work / f"predict-{backend}.npy"), atol=1e-6)
