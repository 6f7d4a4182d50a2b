"""Build the optional compiled kernels; everything else is in pyproject.toml.

If no C compiler is available the build of ``softlearn._kernels`` is skipped
(``optional=True``) and softlearn falls back to its pure-NumPy evaluation,
which is just as exact (see softlearn/_native.py).
"""

import platform
import sys

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
        depends=["softlearn/_tables.h"],
        extra_compile_args=FLAGS + flags,
        optional=True,
    )


EXTENSIONS = [kernels("softlearn._kernels", [])]
if platform.machine().lower() in ("x86_64", "amd64") and sys.platform != "win32":
    # The same loops vectorised with AVX2 and FMA, used where the CPU has them;
    # tuned for Haswell because GCC's generic tuning does not use AVX2 gathers.
    EXTENSIONS.append(
        kernels("softlearn._kernels_avx2", ["-mavx2", "-mfma", "-mtune=haswell", "-DKERNELS_AVX2"])
    )

setup(ext_modules=EXTENSIONS)
