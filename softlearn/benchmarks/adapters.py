"""Cost of the adapters: forward plus backward, as a ratio to the framework's own activation.

    python -m softlearn.benchmarks.adapters            # one thread
    python -m softlearn.benchmarks.adapters --threads  # the frameworks' default threads

float32, 10**6 elements.  Each case is ``sum(act(x))`` and its gradient with
respect to ``x``: PyTorch autograd; Keras on TensorFlow in eager mode with a
``GradientTape`` and inside ``tf.function(jit_compile=True)``; Keras on JAX in
``jax.jit(jax.value_and_grad(...))``; Keras on PyTorch with autograd.  Each
Keras backend runs in its own process (``KERAS_BACKEND`` is read at import).
The two activations of a case are timed in alternation, several repetitions
each, and the ratio of the medians is reported: a ratio from one run, never an
absolute time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from typing import Any

N = 10**6
REPEATS = 9
BACKENDS = ("torch", "tensorflow", "jax")  # of Keras; "pytorch" below is softlearn.torch


def ratio(own: Callable[[], object], ours: Callable[[], object]) -> float:
    """Median time of ``ours`` over median time of ``own``, timed in alternation."""
    own(), ours()  # warm-up: compile, allocate
    t_own, t_ours = [], []
    for _ in range(REPEATS):
        t_own.append(min(timeit.repeat(own, number=3, repeat=2)))
        t_ours.append(min(timeit.repeat(ours, number=3, repeat=2)))
    return statistics.median(t_ours) / statistics.median(t_own)


def _x() -> Any:
    import numpy as np

    return (np.random.default_rng(0).random(N, dtype=np.float32) * 60 - 30).astype(np.float32)


def pytorch_cases() -> list[tuple[str, str, float]]:
    import torch

    import softlearn.torch as st

    x = torch.from_numpy(_x()).requires_grad_()

    def step(act: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[], None]:
        def run() -> None:
            x.grad = None
            act(x).sum().backward()

        return run

    own = {"softplus": torch.nn.functional.softplus, "softsign": torch.nn.functional.softsign}
    ours = {"softplus": st.softplus, "softsign": st.softsign}
    return [("pytorch", name, ratio(step(own[name]), step(ours[name]))) for name in own]


def keras_cases(backend: str) -> list[tuple[str, str, float]]:
    import keras

    import softlearn.keras as sk

    own = {"softplus": keras.activations.softplus, "softsign": keras.activations.softsign}
    ours = {"softplus": sk.softplus, "softsign": sk.softsign}
    steps: dict[str, Callable[[Callable[[Any], Any]], Callable[[], object]]] = {}
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.Variable(_x())

        def eager(act: Callable[[Any], Any]) -> Callable[[], object]:
            def run() -> object:
                with tf.GradientTape() as tape:
                    y = tf.reduce_sum(act(x))
                return tape.gradient(y, x).numpy()

            return run

        def xla(act: Callable[[Any], Any]) -> Callable[[], object]:
            @tf.function(jit_compile=True)  # type: ignore[untyped-decorator]
            def grad() -> Any:
                with tf.GradientTape() as tape:
                    y = tf.reduce_sum(act(x))
                return tape.gradient(y, x)

            return lambda: grad().numpy()

        steps = {"tensorflow eager": eager, "tensorflow xla": xla}
    elif backend == "jax":
        import jax
        import jax.numpy as jnp

        xj = jnp.asarray(_x())

        def jit(act: Callable[[Any], Any]) -> Callable[[], object]:
            fn = jax.jit(jax.value_and_grad(lambda v: jnp.sum(act(v))))
            return lambda: jax.block_until_ready(fn(xj))

        steps = {"jax jit": jit}
    else:
        import torch

        xt = torch.from_numpy(_x()).requires_grad_()

        def autograd(act: Callable[[Any], Any]) -> Callable[[], object]:
            def run() -> None:
                xt.grad = None
                act(xt).sum().backward()

            return run

        steps = {"torch": autograd}
    return [
        (f"keras {mode}", name, ratio(make(own[name]), make(ours[name])))
        for mode, make in steps.items()
        for name in own
    ]


def _child(which: str, threads: bool) -> list[tuple[str, str, float]]:
    env = dict(os.environ, KERAS_BACKEND=which if which in BACKENDS else "tensorflow")
    if threads:
        env["SOFTLEARN_BENCH_THREADS"] = "default"
    else:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    run = subprocess.run(
        [sys.executable, "-m", "softlearn.benchmarks.adapters", "--child", which],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(run.stdout.strip().splitlines()[-1])
    return [(str(f), str(n), float(r)) for f, n, r in rows]


def table(threads: bool = False) -> list[tuple[str, str, float]]:
    """Rows ``(framework, function, ratio)``, each framework measured in its own process."""
    rows: list[tuple[str, str, float]] = []
    for which in ("pytorch", *BACKENDS):
        rows += _child(which, threads)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", action="store_true", help="the frameworks' default threads")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        from softlearn.benchmarks import frameworks

        frameworks.threads_from_environment()

        rows = pytorch_cases() if args.child == "pytorch" else keras_cases(args.child)
        print(json.dumps(rows))
        return
    threads = "default threads" if args.threads else "one thread"
    print(f"forward + backward, float32, {N:.0e} elements, {threads}: softlearn / framework's own")
    for framework, name, r in table(args.threads):
        print(f"{framework:18s} {name:9s} {r:6.2f}")


if __name__ == "__main__":
    main()
