"""Packaging: one version, py.typed shipped, a clean wheel, needing only NumPy and mpmath."""

import importlib.metadata
import importlib.resources
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import softlearn

REPO = Path(__file__).resolve().parents[1]

# Never copied into the build tree: environments, build outputs, caches.
_SKIP = shutil.ignore_patterns(
    ".git", ".venv", "_build", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
)  # fmt: skip


def _copy_repo(dest: Path) -> Path:
    """Copy the source tree, so that builds never write build/ or *.egg-info into the repo."""
    shutil.copytree(REPO, dest, ignore=_SKIP)
    return dest


def _report(capsys: pytest.CaptureFixture[str], message: str) -> None:
    with capsys.disabled():
        print(f"\n[package] {message}")


def test_version_has_one_source() -> None:
    assert softlearn.__version__ == importlib.metadata.version("softlearn"), (
        "softlearn.__version__ differs from the installed metadata; "
        "reinstall with `.venv/bin/pip install -e .`"
    )


def test_py_typed_ships_in_package() -> None:
    assert importlib.resources.files("softlearn").joinpath("py.typed").is_file()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = _copy_repo(tmp / "src")
    out = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), src],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (path,) = out.glob("softlearn-*.whl")
    return path


def test_wheel_contents(wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    assert "softlearn/__init__.py" in names
    assert "softlearn/py.typed" in names
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {"softlearn", f"softlearn-{softlearn.__version__}.dist-info"}, top_level
    assert not [n for n in names if n.startswith(("tests/", "book/"))]
    size_kib = wheel.stat().st_size / 1024
    _report(capsys, f"wheel {wheel.name}: {size_kib:.1f} KiB, {len(names)} files")


def test_wheel_requires_numpy_and_mpmath_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        (meta_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(zf.read(meta_name).decode())
    assert meta["Version"] == softlearn.__version__
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    core = [r for r in requires if r.marker is None or "extra" not in str(r.marker)]
    assert sorted(r.name for r in core) == ["mpmath", "numpy"], [str(r) for r in core]
    assert {"torch", "tensorflow", "plot"} <= set(meta.get_all("Provides-Extra") or [])


PROBE = """
import softlearn
from softlearn import _native
y = float(softlearn.softplus(-2.0))
print(softlearn.__version__, softlearn.__file__, _native.kernels().__name__, repr(y))
"""


@pytest.mark.slow
def test_pip_install_into_fresh_venv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _copy_repo(tmp_path / "src")
    venv = tmp_path / "venv"
    py = venv / "bin" / "python"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    proc = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", str(src)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    listing = subprocess.run(
        [str(py), "-m", "pip", "list", "--format=json"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    installed = {p["name"].lower(): p["version"] for p in json.loads(listing.stdout)}
    for tool in ("pip", "setuptools", "wheel"):
        installed.pop(tool, None)
    assert set(installed) == {"mpmath", "numpy", "softlearn"}, installed

    # Run outside the repo, so the installed copy is the one imported.
    check = subprocess.run(
        [str(py), "-c", PROBE],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    version, location, build, value = check.stdout.split()
    assert build.startswith("softlearn._kernels"), "the compiled kernels were not built"
    assert value == repr(float.fromhex("0x1.03f2d54301d49p-3"))  # softplus(-2), correctly rounded
    assert version == softlearn.__version__
    assert Path(location).is_relative_to(venv)
    _report(
        capsys,
        f"fresh venv + pip install: {elapsed:.1f} s; installed "
        + ", ".join(f"{k}=={v}" for k, v in sorted(installed.items())),
    )


# The tests of the core that need nothing beyond NumPy, mpmath, pytest and Hypothesis.
CORE_TESTS = ("test_properties.py", "test_inputs.py", "test_memory.py", "test_registry.py")

WHEEL_PROBE = """
import softlearn, numpy as np
info = softlearn.kernels_info()
print(info.build, softlearn.__file__, softlearn.softplus(np.float64(-2.0)).hex())
"""


@pytest.mark.slow
def test_make_wheel_installs_and_passes_the_core_tests_without_build_tools(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _copy_repo(tmp_path / "src")
    venv_here = Path(sys.prefix)
    start = time.perf_counter()
    # The development environment's tools build it; -o: never reinstall that environment.
    make = subprocess.run(
        ["make", "-C", str(src), "wheel", f"VENV={venv_here}", "-o", str(venv_here / ".installed")],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert make.returncode == 0, make.stdout[-4000:] + make.stderr[-4000:]
    built = time.perf_counter() - start
    (wheel,) = (src / "dist").glob("softlearn-*.whl")
    assert "manylinux" in wheel.name
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    builds = sorted(n for n in names if n.endswith(".so"))
    assert [Path(n).name.split(".")[0] for n in builds] == [
        "_kernels",
        "_kernels_avx2",
        "_kernels_avx512",
    ], builds
    assert not [n for n in names if n.endswith((".c", ".h"))]

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # Nothing that compiles: only the new environment's own scripts on the path.
    env = {**os.environ, "PATH": str(venv / "bin"), "CC": "false"}
    for tool in ("cc", "gcc", "clang", "ld"):
        assert shutil.which(tool, path=env["PATH"]) is None, tool
    constraints = tmp_path / "constraints.txt"
    pins = (REPO / "requirements.txt").read_text().splitlines()
    constraints.write_text("\n".join(p for p in pins if p and not p.startswith(("#", "-e"))))
    install = subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--only-binary",
            ":all:",
            "-c",
            str(constraints),
            str(wheel),
            "pytest",
            "hypothesis",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-4000:] + install.stderr[-4000:]

    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c", WHEEL_PROBE],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    build, location, value = probe.stdout.split()
    assert build == softlearn.kernels_info().build  # the best build this CPU runs, as here
    assert Path(location).is_relative_to(venv)
    assert value == float.fromhex("0x1.03f2d54301d49p-3").hex()

    core = tmp_path / "core"
    core.mkdir()
    for name in CORE_TESTS:
        shutil.copy(REPO / "tests" / name, core / name)
    tests = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(core)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    _report(
        capsys,
        f"make wheel: {wheel.name} in {built:.0f} s; installed without build tools, "
        f"{build} build; core tests: {tests.stdout.strip().splitlines()[-1]}",
    )
