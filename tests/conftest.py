"""Shared test set-up: Hypothesis profiles, the accuracy report, and the built book."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Before TensorFlow is first imported: keep its C++ logging off stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest
from hypothesis import HealthCheck, settings

import softlearn.functions
from softlearn import _native
from softlearn._verify import paths

REPO = Path(__file__).resolve().parents[1]


def toc_pages() -> list[str]:
    """The book's pages in ``_toc.yml`` order, root first, without suffix: ``book/intro``."""
    return re.findall(r"(?:root|file): (\S+)", (REPO / "_toc.yml").read_text())


settings.register_profile("default", max_examples=300, deadline=None)
settings.register_profile(
    "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# (function, dtype, beta) -> (worst ULP error, input where it happens, number of inputs)
ACCURACY: dict[tuple[str, str, float], tuple[float, float, int]] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ACCURACY:
        return
    tr = terminalreporter
    tr.section("worst error against mpmath, in ULPs")
    tr.write_line(f"{'function':18s} {'dtype':8s} {'beta':>6s} {'inputs':>7s} {'worst':>7s}  at x")
    for (name, dtype, beta), (err, x, n) in sorted(ACCURACY.items()):
        tr.write_line(f"{name:18s} {dtype:8s} {beta:6g} {n:7d} {err:7.4f}  {x!r}")


@dataclass(frozen=True)
class Build:
    """One ``jupyter-book build`` of a book: its exit code, log and HTML folder."""

    returncode: int
    log: str
    seconds: float
    html: Path


def build_book(source: Path, out: Path, *flags: str, env: dict[str, str] | None = None) -> Build:
    """Build the Jupyter Book at ``source`` into ``out/_build/html``, with ``env`` added."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    assert jupyter_book.exists(), f"jupyter-book not installed next to {sys.executable}"
    cmd = [str(jupyter_book), "build", str(source), *flags, "--path-output", str(out)]
    start = time.perf_counter()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SOFTLEARN_REPOSITORY")}
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=1800, env={**environ, **(env or {})}
    )
    seconds = time.perf_counter() - start
    return Build(proc.returncode, proc.stdout + proc.stderr, seconds, out / "_build" / "html")


@pytest.fixture(params=paths())
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run softlearn's functions through one compiled build, or through the NumPy path.

    Every build this CPU runs, and the NumPy path (``softlearn._verify.paths``).
    """
    name: str = request.param
    module = None if name == "numpy" else importlib.import_module(_native.BUILDS[name])
    monkeypatch.setattr(softlearn.functions, "kernels", lambda: module)
    return name


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The book, built once per session as ``make book`` builds it (warnings are errors)."""
    return build_book(REPO, tmp_path_factory.mktemp("book"), "-W", "-n", "--keep-going")
