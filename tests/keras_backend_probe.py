"""softlearn.keras under one Keras backend, in a process of its own: tests/test_keras_backends.py.

Keras picks its backend once, when first imported, from ``KERAS_BACKEND``; a
test process has already imported it with TensorFlow.  So the tests run this
script with ``KERAS_BACKEND`` set, and it answers in files and JSON::

    KERAS_BACKEND=jax python tests/keras_backend_probe.py run DIR
    KERAS_BACKEND=jax python tests/keras_backend_probe.py load DIR
    python tests/keras_backend_probe.py serve DIR/export-jax

``run`` reads ``DIR/grids.npz`` (one grid per dtype, bfloat16 grids held in
float32) and writes ``DIR/values-<backend>.npz``: each function's value,
first and second derivative, taken with the backend's own autodiff, eagerly
and compiled, as float64.  It then trains a small model (XLA-compiled on
TensorFlow and JAX), saves it as ``.keras``, exports it as a SavedModel, and
prints a JSON summary.  ``load`` reloads the ``.keras`` file in a fresh
process; ``serve`` loads the SavedModel with TensorFlow alone and asserts that
softlearn was never imported.

Nothing runs on import: pytest's doctest collection imports every module here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

#: (name in the output files, beta or None for softsign)
FUNCTIONS = {"softplus": 1.0, "softplus_beta3": 3.0, "softsign": None}


def exact(name: str, order: int) -> Any:
    """The mpmath reference for derivative ``order`` of ``name``: float -> mpf.

    softlearn.reference has the values and first derivatives; the second
    derivatives are written here the same way, from ``e = e**(-beta |x|)``,
    which has no cancellation in the tails.
    """
    import mpmath as mp

    from softlearn import reference as ref

    beta = FUNCTIONS[name]
    if beta is None:
        if order < 2:
            return (ref.softsign, ref.softsign_grad)[order]
        return lambda x: -2 * mp.sign(x) / (1 + abs(mp.mpf(x))) ** 3
    if order < 2:
        fn = (ref.softplus, ref.sigmoid)[order]
        return lambda x: fn(x, beta)

    def softplus_grad2(x: float) -> Any:
        e = _exp_neg(beta * abs(mp.mpf(x)))
        return beta * e / (1 + e) ** 2

    return softplus_grad2


def _exp_neg(a: Any) -> Any:
    import mpmath as mp

    return mp.mpf(0) if a > 10**6 else mp.exp(-a)


# --- what softlearn.keras promises (its module docstring), as the tests check it

#: Smallest normal number of each dtype: TensorFlow and XLA return 0 below it.
TINY = {"float16": 2.0**-14, "bfloat16": 2.0**-126, "float32": 2.0**-126, "float64": 2.0**-1022}
#: float16's subnormals are normal float32 numbers, and are kept.
FLUSHED = ("bfloat16", "float32", "float64")
#: Within this relative distance of the flush threshold, either outcome is
#: right: the formula's own rounding decides on which side the result falls.
BAND = {"bfloat16": 2.0**-23, "float32": 2.0**-23, "float64": 2.0**-48}


def bound(dtype: str, order: int) -> float:
    """The stated error bound in ULPs: softlearn.keras.ULPS."""
    import softlearn.keras

    return softlearn.keras.ULPS[dtype][order]


def flush_masks(name: str, order: int, dtype: str, x: Any, exact: Any) -> tuple[Any, Any]:
    """Where TensorFlow and XLA return 0 (``zone``) and where they may (``band``).

    A result below the smallest normal is 0.  In float64 so is one whose
    formula has a subnormal intermediate: :math:`(1+|x|)^{-3}` for softsign's
    second derivative (results below 2 tiny), ``e**(-beta |x|)`` for softplus
    with ``beta != 1`` (results below ``max(beta, 1/beta)`` tiny).
    """
    import mpmath as mp
    import numpy as np

    n = len(exact)
    if dtype not in FLUSHED:
        return np.zeros(n, bool), np.zeros(n, bool)
    from softlearn.reference import PRECISION

    tiny, band = mp.mpf(TINY[dtype]), BAND[dtype]
    inner = np.full(n, np.inf)
    beta = FUNCTIONS[name]
    factor = 2.0 if beta is None else max(beta, 1 / beta)
    with mp.workprec(PRECISION):  # as exact as the references
        result = np.array([float(abs(v) / tiny) for v in exact])
        if dtype == "float64" and beta is None and order == 2:
            inner = np.array([float((1 + abs(mp.mpf(t))) ** -3 / tiny) for t in x.tolist()])
        elif dtype == "float64" and beta not in (None, 1.0):
            inner = np.array([float(_exp_neg(beta * abs(mp.mpf(t))) / tiny) for t in x.tolist()])
    small = result < factor
    zone = (result < 1 - band) | ((inner < 1 - band) & small)
    near = (np.abs(result - 1) <= band) | ((np.abs(inner - 1) <= band) & small)
    return zone & ~near, near


def _backend() -> str:
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def _activation(name: str, dtype: str) -> Any:
    import softlearn.keras as sk

    if name == "softsign":
        return sk.softsign
    if name == "softplus":
        return sk.softplus
    # The layer, in the input's dtype: a layer casts its input to its own dtype.
    return sk.Softplus(beta=FUNCTIONS[name], dtype=dtype)


def _derivatives_tensorflow(fn: Any, x: Any, compiled: bool) -> list[Any]:
    import tensorflow as tf

    def orders(t: Any) -> tuple[Any, Any, Any]:
        with tf.GradientTape() as outer:
            outer.watch(t)
            with tf.GradientTape() as inner:
                inner.watch(t)
                y = fn(t)
            g = inner.gradient(y, t)
        return y, g, outer.gradient(g, t)

    run = tf.function(orders, jit_compile=True) if compiled else orders
    return [r.numpy() for r in run(tf.constant(x))]


def _derivatives_jax(fn: Any, x: Any, compiled: bool) -> list[Any]:
    import jax
    import jax.numpy as jnp
    import numpy as np

    def orders(t: Any) -> tuple[Any, ...]:
        first = jax.grad(lambda s: jnp.sum(fn(s)))
        second = jax.grad(lambda s: jnp.sum(first(s)))
        ones = jnp.ones_like(t)
        forward = (jax.jvp(fn, (t,), (ones,))[1], jax.jvp(first, (t,), (ones,))[1])
        return fn(t), first(t), second(t), *forward

    # float64 exists in JAX only with x64; the other dtypes run without it, as
    # in a default JAX process.
    with jax.enable_x64(x.dtype == np.float64):
        run = jax.jit(orders) if compiled else orders
        value, first, second, fwd_first, fwd_second = (np.asarray(r) for r in run(jnp.asarray(x)))
    # Forward mode, and forward over reverse as jax.hessian does, multiply by
    # the same formulas as reverse mode: the same numbers.
    assert np.array_equal(fwd_first, first, equal_nan=True), "jax.jvp differs from jax.grad"
    assert np.array_equal(fwd_second, second, equal_nan=True), "forward over reverse differs"
    return [value, first, second]


def _derivatives_torch(fn: Any, x: Any, compiled: bool) -> list[Any]:
    import ml_dtypes
    import numpy as np
    import torch

    if x.dtype == ml_dtypes.bfloat16:
        t = torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)
    else:
        t = torch.from_numpy(x.copy())
    t.requires_grad_(True)
    y = fn(t)
    (g,) = torch.autograd.grad(y.sum(), t, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), t)
    # NumPy has no bfloat16 of its own; ml_dtypes has, and its values are exact in float32.
    bf16 = [r.dtype == torch.bfloat16 for r in (y, g, h)]
    return [
        r.detach().float().numpy().astype(ml_dtypes.bfloat16) if b else r.detach().numpy()
        for r, b in zip((y, g, h), bf16, strict=True)
    ]


def values(work: Path) -> dict[str, Any]:
    """Every function, order, dtype and mode on the grids; dtypes of the results."""
    import ml_dtypes
    import numpy as np

    derivatives = globals()[f"_derivatives_{_backend()}"]
    grids = np.load(work / "grids.npz")
    out: dict[str, Any] = {}
    dtypes: dict[str, str] = {}
    modes = ("eager",) if _backend() == "torch" else ("eager", "compiled")
    for dtype in grids.files:
        x = grids[dtype].astype(ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype)
        for name in FUNCTIONS:
            for mode in modes:
                results = derivatives(_activation(name, dtype), x, mode == "compiled")
                for order, r in enumerate(results):
                    key = f"{name}/{dtype}/{order}/{mode}"
                    dtypes[key] = str(r.dtype)
                    out[key] = np.asarray(r).astype(np.float64)  # exact, in NumPy
    np.savez(work / f"values-{_backend()}.npz", **out)
    return dtypes


def _model() -> Any:
    import keras

    import softlearn.keras as sk

    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(16, activation=sk.softplus),
            sk.Softplus(beta=2.0),
            keras.layers.Dense(16, activation=sk.softsign),
            sk.Softsign(),
            keras.layers.Dense(1),
        ]
    )


def train(work: Path) -> dict[str, Any]:
    """Fit, save as .keras, export as a SavedModel; what happened, as a dict."""
    import keras
    import numpy as np

    backend = _backend()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype(np.float32)
    y = np.sin(2 * x[:, :1] - x[:, 1:2])
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", jit_compile=backend != "torch")
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
    np.save(work / "x.npy", x)
    np.save(work / f"predict-{backend}.npy", model.predict(x, verbose=0))
    np.save(work / f"call-{backend}.npy", keras.ops.convert_to_numpy(model(x)))
    model.save(work / f"model-{backend}.keras")
    try:
        model.export(str(work / f"export-{backend}"), format="tf_saved_model", verbose=False)
        export_error = None
    except Exception as e:  # reported, and the test decides what it expects
        export_error = f"{type(e).__name__}: {e}"[:2000]
    return {"loss": history, "jit_compile": bool(model.jit_compile), "export_error": export_error}


def load(work: Path) -> dict[str, Any]:
    """Load the .keras model in this fresh process; its predictions go to a file."""
    import keras
    import numpy as np

    import softlearn.keras  # noqa: F401  (registers the activations and layers)

    backend = _backend()
    model = keras.models.load_model(work / f"model-{backend}.keras")
    np.save(work / f"loaded-{backend}.npy", model.predict(np.load(work / "x.npy"), verbose=0))
    return {"layers": [type(layer).__name__ for layer in model.layers]}


def serve(export: Path) -> dict[str, Any]:
    """Call the SavedModel's ``serve`` with TensorFlow alone."""
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(str(export))
    x = np.load(export.parent / "x.npy")
    np.save(export.parent / f"served-{export.name}.npy", loaded.serve(tf.constant(x)).numpy())
    assert "softlearn" not in sys.modules, "loading the SavedModel imported softlearn"
    return {"softlearn_imported": "softlearn" in sys.modules}


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    if mode == "run":
        report = {"backend": _backend(), "dtypes": values(path), **train(path)}
    else:
        report = {"load": load, "serve": serve}[mode](path)
    print("REPORT " + json.dumps(report))


if __name__ == "__main__":
    main()
