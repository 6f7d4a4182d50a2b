"""The notebooks are stored executed, and nbval really compares them with the library.

The strict nbval run itself is part of every ``pytest`` run (``--nbval`` over
``book/``).  These tests make sure it cannot pass vacuously: every notebook is
stored executed top to bottom with its outputs, only timing cells ignore
their output, and a wrong library value makes nbval fail.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import toc_pages

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for p in (REPO / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


def _code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_every_page_of_the_book_is_in_the_table_of_contents():
    toc = set(toc_pages())
    files = [p for p in (REPO / "book").rglob("*") if p.suffix in (".md", ".ipynb")]
    pages = {
        str(p.relative_to(REPO).with_suffix(""))
        for p in files
        if ".ipynb_checkpoints" not in p.parts
    }
    assert NOTEBOOKS, "no notebooks found"
    assert pages == toc, f"not in the toc: {pages - toc}; missing: {toc - pages}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_executed_in_order_with_outputs(path):
    cells = _code_cells(path)
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: execution counts {counts}"
    assert sum(bool(c["outputs"]) for c in cells) >= len(cells) // 2, "most cells have no output"
    for c in cells:
        src = "".join(c["source"])
        tags = c.get("metadata", {}).get("tags", [])
        assert "NBVAL_SKIP" not in src and "nbval-skip" not in tags
        if "NBVAL_IGNORE_OUTPUT" in src or "nbval-ignore-output" in tags:
            # the calls that time, and speed's tables of those times per element,
            # page faults per call and what fresh pages cost
            timing = ("timeit", "perf_counter", "E.cost(", "speed.table(", "speed.own_ratios(")
            timing += ("speed.times(", "speed.pages(")
            assert any(t in src for t in timing), f"non-timing cell ignored:\n{src}"
        for out in c["outputs"]:
            assert out.get("name") != "stderr", f"{path.name}: stderr output {out.get('text')}"
            assert out["output_type"] != "error", f"{path.name}: stored error"


HIDDEN = {"remove-input", "remove-cell"}
LONGEST = 30  # lines: a longer cell is split where its steps part


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_bookkeeping_is_off_the_page_and_cells_are_short(path):
    """No glue() call shows in the book, and no code cell is a wall of code.

    nbval still runs and compares the hidden cells: the tags only keep their
    source (and, for remove-cell, their output) out of the rendered page.
    """
    for i, c in enumerate(_code_cells(path)):
        src = "".join(c["source"])
        tags = set(c.get("metadata", {}).get("tags", []))
        assert "glue(" not in src or tags & HIDDEN, f"{path.name} cell {i} shows glue()"
        assert len(src.splitlines()) <= LONGEST, f"{path.name} cell {i}: {src[:200]}"


# Loaded by every Python started with this folder on PYTHONPATH, the notebook's
# kernel included: it makes softplus 1e-6 too large, as a bug would.
SABOTAGE = textwrap.dedent(
    """
    import softlearn, softlearn.functions
    _real = softlearn.functions.softplus
    def softplus(x, *args, **kwargs):
        return _real(x, *args, **kwargs) * (1 + 1e-6)
    softlearn.functions.softplus = softlearn.softplus = softplus
    """
)


@pytest.mark.slow
def test_a_wrong_library_value_makes_nbval_fail(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(SABOTAGE)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    notebook = REPO / "book" / "softplus" / "numpy.ipynb"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        "--nbval-current-env",
        "-p",
        "no:cacheprovider",
    ]
    cmd += ["-o", "addopts=", "-q", str(notebook)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    report = out.stdout + out.stderr
    assert out.returncode != 0, f"nbval passed with a sabotaged softplus:\n{report[-3000:]}"
    failed = re.search(r"(\d+) failed", report)
    assert failed and int(failed.group(1)) >= 2, report[-3000:]
    print(f"sabotaged softplus: nbval reports {failed.group(0)} cells")
