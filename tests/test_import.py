"""`import softlearn` is light: NumPy only; each framework loads with its module."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

HEAVY = ("torch", "tensorflow", "keras", "matplotlib", "mpmath", "sympy", "scipy")

PROBE = f"""
import json, sys
import softlearn
print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
"""


def test_import_pulls_in_no_heavy_module() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert heavy == [], f"import softlearn imported {heavy}"


LAZY = """
import sys
import softlearn
assert "torch" not in sys.modules and "tensorflow" not in sys.modules
m = softlearn.torch.Softplus(beta=2.0)
assert "torch" in sys.modules and "tensorflow" not in sys.modules
assert softlearn.keras.softplus is not None and "tensorflow" in sys.modules
try:
    softlearn.nope
except AttributeError as e:
    print(e)
"""


def test_framework_modules_load_on_first_use() -> None:
    out = subprocess.run(
        [sys.executable, "-c", LAZY], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "no attribute 'nope'" in out.stdout


FRAMEWORKS_LOADED = """
import sys
{}
print(sorted(m for m in ("torch", "tensorflow", "jax", "keras") if m in sys.modules))
"""


@pytest.mark.parametrize(
    "code",
    [
        "import softlearn.benchmarks, softlearn.benchmarks.rounding, softlearn._verify",
        # conftest and the accuracy tests, as pytest collects them
        "import pytest; assert pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider',"
        " 'tests/test_accuracy.py']) == 0",
    ],
    ids=["benchmarks", "accuracy tests"],
)
def test_verification_loads_no_framework(code: str) -> None:
    """The check of correct rounding and the core's tests do without PyTorch and TensorFlow."""
    out = subprocess.run(
        [sys.executable, "-c", FRAMEWORKS_LOADED.format(code)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_dir_lists_the_public_api_only() -> None:
    import softlearn

    names = set(dir(softlearn))
    assert set(softlearn.__all__) <= names
    assert {"torch", "keras", "plot", "experiments"} <= names
    helpers = {n for n in names if not n.startswith("__")} - set(softlearn.__all__)
    assert helpers == {"torch", "keras", "plot", "experiments"}, helpers


def test_missing_kernels_warn_once_and_kernels_info_says_why(tmp_path: Path) -> None:
    import shutil

    # A copy of the package without its compiled builds, first on the path.
    shutil.copytree(
        REPO / "softlearn", tmp_path / "softlearn", ignore=shutil.ignore_patterns("*.so")
    )
    code = (
        "import sys, numpy as np\n"
        # An editable install's finder would find the builds in the checkout.
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]\n"
        "import softlearn, importlib; importlib.reload(softlearn)\n"
        "info = softlearn.kernels_info()\n"
        "print(softlearn.__file__); print(info.build, info.module); print(info.reason)\n"
        "print(softlearn.softsign(np.float32(3.0)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    path, build, reason, value = out.stdout.splitlines()
    assert path.startswith(str(tmp_path))
    assert build == "numpy None"
    assert reason.startswith("no compiled build could be loaded") and "C compiler" in reason
    assert value == "0.75"
    # Warned at the first import only (the reload is the same process's second).
    assert out.stderr.count("SlowPathWarning") == 1, out.stderr
    assert "compiled kernels are not installed" in out.stderr

    chosen = subprocess.run(
        [sys.executable, "-c", "import softlearn; print(softlearn.kernels_info().reason)"],
        cwd=tmp_path,
        env={**env, "SOFTLEARN_KERNELS": "numpy"},
        capture_output=True,
        text=True,
    )
    assert chosen.stdout.strip() == "chosen by SOFTLEARN_KERNELS=numpy"
    assert "SlowPathWarning" not in chosen.stderr


def test_kernels_info_names_the_build_in_use() -> None:
    import softlearn
    from softlearn import _native

    info = softlearn.kernels_info()
    module = _native.kernels()
    assert info.module == (module and module.__name__)
    assert info.build == ("numpy" if module is None else module.__name__.rpartition("_")[2])
