"""Benchmarks of softlearn against PyTorch, TensorFlow and the naive formulas.

    python -m softlearn.benchmarks.accuracy    # worst and mean error in ULP, non-finite results
    python -m softlearn.benchmarks.speed       # time and memory, as ratios from one run
    python -m softlearn.benchmarks.adapters    # softlearn.torch / softlearn.keras overhead
    python -m softlearn.benchmarks.numpy_path  # the NumPy path against the compiled kernels
    python -m softlearn.benchmarks.rounding    # the check of correct rounding (softlearn._verify)

accuracy, speed and adapters need PyTorch, TensorFlow and mpmath
(``pip install "softlearn[benchmarks]"``); numpy_path and rounding need neither framework.
Importing this package imports nothing; each benchmark's ``main()`` puts the
frameworks on one thread (:mod:`softlearn.benchmarks.frameworks`).
"""
