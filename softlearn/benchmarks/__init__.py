"""Benchmarks of softlearn against PyTorch, TensorFlow and the naive formulas.

    python -m softlearn.benchmarks.accuracy   # worst and mean error in ULP, non-finite results
    python -m softlearn.benchmarks.speed      # time and memory, as ratios from one run
    python -m softlearn.benchmarks.adapters   # softlearn.torch / softlearn.keras overhead

They need PyTorch, TensorFlow and mpmath (``pip install "softlearn[benchmarks]"``).
Importing this package puts PyTorch and TensorFlow on one thread, as NumPy
runs, so that times compare like with like; TensorFlow allows that only
before its first operation.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf
import torch


def one_thread() -> None:
    torch.set_num_threads(1)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        # Only the frameworks can gain from this: they keep all cores, softlearn has one.
        warnings.warn(
            "TensorFlow has already run an operation, so it keeps its own thread count: "
            "import softlearn.benchmarks before using TensorFlow for one-thread timings",
            stacklevel=2,
        )


# SOFTLEARN_BENCH_THREADS=default leaves the frameworks their thread pools
# (python -m softlearn.benchmarks.speed --threads sets it).
if os.environ.get("SOFTLEARN_BENCH_THREADS") != "default":
    one_thread()
