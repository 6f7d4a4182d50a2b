"""Build the compiled kernels; everything else is in pyproject.toml.

If no C compiler is available the builds are skipped (``optional=True``) and
softlearn falls back to its pure-NumPy evaluation, which gives the same bits
(every path is correctly rounded; see softlearn/_native.py), more slowly.
``SOFTLEARN_REQUIRE_KERNELS=1`` makes a failed build an error instead: ``make
wheel`` sets it, so a binary wheel always holds every build.
"""

import glob
import os
import platform
import sys

import numpy
from setuptools import Extension, setup

if sys.platform == "win32":
    FLAGS = ["/O2", "/fp:precise"]
else:
    # Rounding must be exactly as written: no implicit fma, no fast-math.
    # -fno-trapping-math lets the compiler vectorise the branch-free loops.
    FLAGS = ["-O3", "-fopenmp-simd", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]


def kernels(name: str, flags: list[str]) -> Extension:
    return Extension(
        name,
        sources=["softlearn/_kernels.c"],
        depends=sorted(glob.glob("softlearn/*.h")),
        include_dirs=[numpy.get_include()],
        extra_compile_args=FLAGS + flags,
        optional=os.environ.get("SOFTLEARN_REQUIRE_KERNELS") != "1",
    )


EXTENSIONS = [kernels("softlearn._kernels", [])]
if platform.machine().lower() in ("x86_64", "amd64") and sys.platform != "win32":
    # The same loops for the x86-64 levels v3 (AVX2, FMA) and v4 (AVX-512), as
    # NumPy's own dispatch names them; each refuses to import on a CPU below
    # its level.  GCC's tuning for these CPUs uses gathers, and 512-bit
    # vectors only when asked to.
    EXTENSIONS += [
        kernels(
            "softlearn._kernels_avx2", ["-march=x86-64-v3", "-mtune=haswell", "-DKERNELS_AVX2"]
        ),
        kernels(
            "softlearn._kernels_avx512",
            [
                "-march=x86-64-v4",
                "-mtune=icelake-server",
                "-mprefer-vector-width=512",
                "-DKERNELS_AVX512",
            ],
        ),
    ]

setup(ext_modules=EXTENSIONS)
