"""The book's stored outputs, checked as other machines would compute them.

    .venv/bin/python tools/platforms.py              # strict nbval + doctests, every variant
    .venv/bin/python tools/platforms.py x86-64-v2    # one variant (make test runs this one)
    .venv/bin/python tools/platforms.py --knobs      # what each knob changes on this machine

A reader's CPU differs from the one that stored the notebooks' outputs: AVX-512
or AVX2 only or neither, another C library's exp, another BLAS kernel, a
framework's other vector width.  Each of those changes last bits, and a stored
output that shows a last bit would then fail under strict nbval on the
reader's machine.  The knobs below make the libraries on *this* machine take
the code paths of another one, so the check can run here.  A variant is a set
of knobs; every notebook must pass strict nbval under each, unchanged.

A knob that changes nothing tests nothing: ``--knobs`` runs, for each knob, a
computation it should affect, with and without it, and prints how many
results changed.  OPENBLAS_CORETYPE is left out: some machines of this
workplace set it because older OpenBLAS builds fail on their CPU, and it must
not be changed in tests there.  The book does without BLAS wherever it shows
a result (see softlearn.experiments and softlearn.portable.slope).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

#: Each knob, and what it does.
KNOBS = {
    "GLIBC_TUNABLES": "glibc picks its libm variants without the given CPU features",
    "ATEN_CPU_CAPABILITY": "PyTorch's element-wise kernels for that vector width",
    "NPY_DISABLE_CPU_FEATURES": "NumPy's SIMD loops without the given CPU levels",
    "ONEDNN_MAX_CPU_ISA": "oneDNN (TensorFlow's matrix products) limited to that ISA",
    "TF_ENABLE_ONEDNN_OPTS": "TensorFlow without oneDNN, on its Eigen kernels",
    "MKL_CBWR": "MKL (PyTorch's matrix products) on the code path of that ISA",
    "SOFTLEARN_KERNELS": "softlearn's compiled build (generic, avx2, avx512) or its NumPy path",
}

#: Emulated machines: the knobs that make this one compute as they would.
VARIANTS: dict[str, dict[str, str]] = {
    # An x86-64 CPU from before 2013: SSE4.2, no AVX2, no FMA, no AVX-512.
    "x86-64-v2": {
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F,-AVX512DQ",
        "ATEN_CPU_CAPABILITY": "default",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4,X86_V3",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "MKL_CBWR": "COMPATIBLE",
        "SOFTLEARN_KERNELS": "generic",
    },
    # AVX2 and FMA without AVX-512, TensorFlow built or configured without oneDNN.
    "avx2": {
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F,-AVX512DQ",
        "ATEN_CPU_CAPABILITY": "avx2",
        "NPY_DISABLE_CPU_FEATURES": "X86_V4",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "MKL_CBWR": "AVX2",
        "SOFTLEARN_KERNELS": "avx2",
    },
    # Installed without a C compiler: softlearn's pure-NumPy path.
    "no-compiler": {"SOFTLEARN_KERNELS": "numpy"},
}

# For --knobs: a computation each knob should change, as a Python expression
# over x (20,400 float64 values in [-40, 40] and [-745, 700]) giving an array.
PROBES = {
    "GLIBC_TUNABLES": (
        "glibc.cpu.hwcaps=-AVX2,-FMA,-AVX512F,-AVX512DQ",
        "math.exp",
        "np.array([math.exp(v) for v in x.tolist()])",
    ),
    "ATEN_CPU_CAPABILITY": (
        "default",
        "torch.nn.functional.softplus, float32",
        "torch.nn.functional.softplus(torch.from_numpy(x).float()).numpy()",
    ),
    "NPY_DISABLE_CPU_FEATURES": ("X86_V4", "np.exp, float64", "np.exp(x)"),
    "ONEDNN_MAX_CPU_ISA": (
        "SSE41",
        "tf.matmul, float32, 64 x 64",
        "tf.matmul(m32, m32).numpy()",
    ),
    "TF_ENABLE_ONEDNN_OPTS": (
        "0",
        "tf.matmul, float32, (1000 x 100) (100 x 10)",
        "tf.matmul(a32, b32).numpy()",
    ),
    "MKL_CBWR": ("COMPATIBLE", "torch.matmul, float32, 64 x 64", "(t32 @ t32).numpy()"),
    # It changes the path, never a result: every path is correctly rounded.
    "SOFTLEARN_KERNELS": ("numpy", "softlearn: a compiled ufunc in use", "[sl._native.kernels()]"),
}

_PROBE = """
import math, sys
import numpy as np
rng = np.random.default_rng(0)
x = np.concatenate([rng.uniform(-40, 40, 20000), np.linspace(-745, 700, 400)])
m = rng.uniform(-1, 1, (64, 64))
m32 = m.astype(np.float32)
a32, b32 = rng.uniform(-1, 1, (1000, 100)), rng.uniform(-1, 1, (100, 10))
a32, b32 = a32.astype(np.float32), b32.astype(np.float32)
expr = sys.argv[2]
if "torch" in expr or "t32" in expr:
    import torch
    torch.set_num_threads(1)
    t32 = torch.from_numpy(m32)
if "tf." in expr:
    import tensorflow as tf
if "sl." in expr:
    import softlearn as sl
with np.errstate(all="ignore"):
    v = eval(expr)
    v = [m is not None for m in v] if isinstance(v, list) else v
    np.save(sys.argv[1], np.asarray(v, dtype=np.float64))
"""


def show_knobs() -> int:
    """Print, for each knob, how many results of its probe change under it."""
    print(f"{'knob':25s} {'value':34s} computation: results changed")
    inert = []
    with tempfile.TemporaryDirectory() as tmp:
        for knob, (value, what, expr) in PROBES.items():
            env = {k: v for k, v in os.environ.items() if k not in KNOBS}
            env["TF_CPP_MIN_LOG_LEVEL"] = "3"
            outs = []
            for extra in ({}, {knob: value}):
                path = Path(tmp) / f"{knob}{len(outs)}.npy"
                cmd = [sys.executable, "-c", _PROBE, str(path), expr]
                subprocess.run(
                    cmd, env={**env, **extra}, check=True, cwd=ROOT, stderr=subprocess.DEVNULL
                )
                outs.append(np.load(path))
            changed = int(np.count_nonzero(outs[0].view(np.int64) != outs[1].view(np.int64)))
            print(f"{knob:25s} {value:34s} {what}: {changed} of {outs[0].size}")
            if not changed:
                inert.append(knob)
    if inert:
        print(f"\nchanges nothing on this machine: {', '.join(inert)}")
    return 0


def run(variant: str) -> int:
    """Strict nbval over every notebook, and the doctests, under ``variant``."""
    knobs = VARIANTS[variant]
    env = {k: v for k, v in os.environ.items() if k not in KNOBS}
    env.update(knobs, TF_CPP_MIN_LOG_LEVEL="3")
    print(f"== {variant}: " + " ".join(f"{k}={v}" for k, v in knobs.items()), flush=True)
    cmd = [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "-q"]
    cmd += ["--nbval", "--nbval-current-env", "--doctest-modules", "book", "softlearn"]
    start = time.perf_counter()
    code = subprocess.run(cmd, env=env, cwd=ROOT).returncode
    print(f"== {variant}: exit code {code}, {time.perf_counter() - start:.0f} s", flush=True)
    return code


def main(argv: list[str]) -> int:
    if argv == ["--knobs"]:
        return show_knobs()
    unknown = [a for a in argv if a not in VARIANTS]
    if unknown:
        print(f"unknown variant {unknown[0]!r}; known: {', '.join(VARIANTS)}", file=sys.stderr)
        return 2
    failed = [v for v in (argv or list(VARIANTS)) if run(v) != 0]
    if failed:
        print(f"failed under: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
