"""The book builds with warnings as errors, as `make book` does."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


@pytest.mark.slow
def test_book_builds_without_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert JUPYTER_BOOK.exists(), f"jupyter-book not installed next to {sys.executable}"
    cmd = [
        str(JUPYTER_BOOK), "build", str(REPO),
        "-W", "-n", "--keep-going",
        "--path-output", str(tmp_path),
    ]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    elapsed = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[book] jupyter-book build -W -n: {elapsed:.1f} s, exit code {proc.returncode}")
    log = (proc.stdout + proc.stderr)[-8000:]
    assert proc.returncode == 0, f"book build failed:\n{log}"
    html = tmp_path / "_build" / "html"
    # Sphinx mirrors the source tree: book/intro.md becomes book/intro.html, and
    # Jupyter Book writes index.html as a redirect to the root page.
    assert (html / "book" / "intro.html").is_file(), log
    assert (html / "index.html").is_file(), log
