"""PyTorch and TensorFlow for the benchmarks that time them: one thread, as NumPy runs.

A benchmark's ``main()`` calls :func:`one_thread` before it times anything
(``speed`` unless ``--threads``; the child processes of ``adapters`` through
:func:`threads_from_environment`), and so does a notebook that times.  TensorFlow
takes a thread count only before its first operation.  Importing this module
only keeps TensorFlow's C++ logging off stderr (an environment variable read
when TensorFlow loads); it imports neither framework.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def one_thread() -> None:
    """PyTorch and TensorFlow on one thread each, so that times compare like with like."""
    import tensorflow as tf
    import torch

    torch.set_num_threads(1)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        # Only the frameworks can gain from this: they keep all cores, softlearn has one.
        warnings.warn(
            "TensorFlow has already run an operation, so it keeps its own thread count: "
            "call one_thread() before using TensorFlow for one-thread timings",
            stacklevel=2,
        )


def threads_from_environment() -> None:
    """:func:`one_thread`, unless ``SOFTLEARN_BENCH_THREADS=default`` (set by ``--threads``)."""
    if os.environ.get("SOFTLEARN_BENCH_THREADS") != "default":
        one_thread()
