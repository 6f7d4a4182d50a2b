r"""Why softlearn.keras computes float32 inputs in float64: the float32 form it does not use.

    .venv/bin/python tools/keras_float32.py            # accuracy (NumPy), then cost per backend

Issue 24 asked for softlearn.keras in float32 arithmetic where the input is
float32, to save the float64 work.  Softsign and its derivative have such a
form within the stated bound (below): float32 divisions corrected with
error-free transformations.  It keeps the bound, and it costs more than the
float64 evaluation on every Keras backend measured, because it takes about
four times the operations: this script shows both.  Softplus has no such form
without an ``exp`` and ``log1p`` of our own in double-float arithmetic, as
the frameworks' float32 ones have no stated error.

The form: Knuth's two-sum gives ``1 + |x| == s + e`` exactly; Veltkamp's
split cuts a float32 into halves of 12 bits whose products are exact, so the
remainder ``x - q s`` of ``q = fl(x / s)`` comes out exactly (Dekker, 1971).
Every product that feeds an addition is exact or part of a correction, so the
bits do not depend on whether the compiler fuses a multiply-add into an FMA
(XLA on JAX does; Dekker's textbook ``x - fl(q s)`` breaks there).  Each
function adds to a correctly rounded first guess a correction known to a
relative ``4 u`` (``u = 2**-24``) and at most about 1.5 ulp of the guess:
within ``0.5 + 2**-20`` ulp.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import numpy as np

Array = Any  # a float32 NumPy array or Keras tensor; xp is numpy or keras.ops

_TINY = 2.0**-26  # below it, x - x|x| rounds to x: softsign(x) is x, signed zero kept


def _two_sum(b: Any, a: Array) -> tuple[Array, Array]:
    """``s, e`` with ``s = fl(b + a)`` and ``b + a == s + e`` exactly (Knuth)."""
    s = b + a
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a: Array) -> tuple[Array, Array]:
    """``hi, lo`` with ``a == hi + lo``, each of at most 12 significant bits (Veltkamp)."""
    c = a * 4096 + a  # fl(4097 a) whether or not the two operations are fused
    hi = c - (c - a)
    return hi, a - hi


def _remainder(x: Array, q: Array, s: Array) -> Array:
    """``x - q s`` exactly, where ``q = fl(x / s)`` (then ``x - q s`` is a float32)."""
    qh, ql = _split(q)
    sh, sl = _split(s)
    return (((x - qh * sh) - qh * sl) - ql * sh) - ql * sl


def softsign(x: Array, xp: Any) -> Array:
    """``x / (1 + |x|)`` for float32 ``x``, within ``0.5 + 2**-20`` ulp."""
    # Beyond 2**26 the rounded result is ±1, as it is at ±2**26: the clip makes
    # ±inf ±1 (inf / inf would be NaN).  NaN passes through.
    x = xp.clip(x, -(2.0**26), 2.0**26)
    a = xp.abs(x)
    s, e = _two_sum(1.0, a)  # 1 + |x| == s + e
    q = x / s
    r = _remainder(x, q, s)
    # x / (s + e) = q + (r - q e) / (s + e); three roundings, and s for s + e.
    return xp.where(a < _TINY, x, q + (r - q * e) / s)


def softsign_grad(x: Array, xp: Any) -> Array:
    """``1 / (1 + |x|)**2`` for float32 ``x``, within ``0.5 + 2**-20`` ulp above ``2**-126``."""
    # At 2**80 the result is 0 even unflushed, and inf becomes finite.
    a = xp.minimum(xp.abs(x), 2.0**80)
    # Below 2**-64 the products of halves of h would underflow: where the
    # result is that small, scale 1 + a by k, a power of 2, and the result by k**2.
    k = xp.where(a < 2.0**32, xp.full_like(a, 1.0), xp.full_like(a, 2.0**-40))
    s, e = _two_sum(k, a * k)  # k (1 + a) == s + e
    h = 1 / s
    low = (_remainder(1, h, s) - h * e) / s  # 1 / (s + e) = h + low, low within 4u
    # (h + low)**2 = hh**2 + 2 hh hl + hl**2 + 2 h low + low**2, with h = hh + hl.
    # The first two terms are exact products, and their sum is kept exactly as
    # p + pe; the rest is below 2**-22 p, its roundings below 2**-44 p; low**2
    # is below 2**-46 p.
    hh, hl = _split(h)
    p, pe = _two_sum(hh * hh, 2 * hh * hl)
    return (p + ((pe + hl * hl) + 2 * h * low)) * (k * k)


def accuracy() -> None:
    """Against softlearn's correctly rounded kernels, on 8 * 10**6 float32 inputs."""
    import softlearn

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.uniform(-100, 100, 4 * 10**6),
            np.exp(rng.uniform(-60, np.log(2.0**63), 4 * 10**6)) * rng.choice([-1, 1], 4 * 10**6),
        ]
    ).astype(np.float32)
    with np.errstate(all="ignore"):
        for name, ours, exact in (
            ("softsign", softsign, softlearn.softsign),
            ("softsign_grad", softsign_grad, softlearn.softsign_grad),
        ):
            y = ours(x, np)
            assert y.dtype == np.float32
            print(f"{name:14s} not correctly rounded: {(y != exact(x)).sum()} of {x.size}")


def cost(backend: str) -> dict[str, float]:
    """Forward plus backward, 10**6 float32, over Keras' own: the float64 and float32 forms."""
    import keras
    from keras import ops

    import softlearn.keras as sk
    from softlearn.benchmarks.adapters import _x, ratio

    @ops.custom_gradient  # type: ignore[untyped-decorator]
    def in_float32(x: Any) -> Any:
        def grad(*args: Any, upstream: Any = None) -> Any:
            return (args[0] if upstream is None else upstream) * softsign_grad(x, ops)

        return softsign(x, ops), grad

    own = keras.activations.softsign
    rows = {}
    if backend == "tensorflow":
        import tensorflow as tf

        v = tf.Variable(_x())

        def step(act: Any, jit: bool) -> Any:
            def run() -> Any:
                with tf.GradientTape() as tape:
                    y = tf.reduce_sum(act(v))
                return tape.gradient(y, v)

            fn = tf.function(run, jit_compile=True) if jit else run
            return lambda: fn().numpy()

        for mode, jit in (("tensorflow eager", False), ("tensorflow xla", True)):
            for form, act in (("float64", sk.softsign), ("float32", in_float32)):
                rows[f"{mode:17s} {form}"] = ratio(step(own, jit), step(act, jit))
    else:
        import jax
        import jax.numpy as jnp

        xj = jnp.asarray(_x())

        def compiled(act: Any) -> Any:
            fn = jax.jit(jax.value_and_grad(lambda t: jnp.sum(act(t))))
            return lambda: jax.block_until_ready(fn(xj))  # type: ignore[no-untyped-call]

        for form, act in (("float64", sk.softsign), ("float32", in_float32)):
            rows[f"{'jax jit':17s} {form}"] = ratio(compiled(own), compiled(act))
    return rows


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        from softlearn.benchmarks import frameworks

        frameworks.one_thread()

        print(json.dumps(cost(sys.argv[2])))
        return
    accuracy()
    print("softsign forward + backward, 10**6 float32, one thread: softlearn.keras / Keras' own")
    for backend in ("tensorflow", "jax"):
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        out = subprocess.run(
            [sys.executable, __file__, "--child", backend],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        for key, r in json.loads(out.stdout.strip().splitlines()[-1]).items():
            print(f"{key} {r:6.2f}")


if __name__ == "__main__":
    main()
