"""Cost of the softlearn adapters: forward + backward, relative to the framework's own.

    .venv/bin/python -m softlearn.benchmarks.adapters

One thread, float32, 10**3 and 10**6 elements.  Each case is timed with
``timeit`` after a warm-up, several repetitions, and the median is reported as
a ratio to the framework's own activation measured in the same run.
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable

import tensorflow as tf
import torch

import softlearn.keras as sk
import softlearn.torch as st

SIZES = (10**3, 10**6)
REPEATS = 7


def median_time(fn: Callable[[], object], size: int) -> float:
    number = max(1, 20_000 // size) * 5
    fn()  # warm-up
    return statistics.median(timeit.repeat(fn, number=number, repeat=REPEATS)) / number


def torch_step(act: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        x.grad = None
        act(x).sum().backward()

    return step


def tf_step(act: Callable[[tf.Tensor], tf.Tensor], x: tf.Variable) -> Callable[[], None]:
    def step() -> None:
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(act(x))
        tape.gradient(y, x)

    return step


def main() -> None:
    head = ("framework", "function", "elements", "own", "softlearn", "ratio")
    print("{:10s} {:9s} {:>9s} {:>10s} {:>10s} {:>6s}".format(*head))
    for size in SIZES:
        xt = (torch.rand(size) * 60 - 30).requires_grad_()
        xv = tf.Variable(xt.detach().numpy())
        cases = [
            (
                "pytorch",
                "softplus",
                torch_step(torch.nn.functional.softplus, xt),
                torch_step(st.softplus, xt),
            ),
            (
                "pytorch",
                "softsign",
                torch_step(torch.nn.functional.softsign, xt),
                torch_step(st.softsign, xt),
            ),
            ("keras", "softplus", tf_step(tf.math.softplus, xv), tf_step(sk.softplus, xv)),
            ("keras", "softsign", tf_step(tf.nn.softsign, xv), tf_step(sk.softsign, xv)),
        ]
        for framework, name, own, ours in cases:
            t_own, t_ours = median_time(own, size), median_time(ours, size)
            print(
                f"{framework:10s} {name:9s} {size:9d} {t_own * 1e6:8.1f}us {t_ours * 1e6:8.1f}us "
                f"{t_ours / t_own:6.2f}"
            )


if __name__ == "__main__":
    main()
