"""softlearn.reference: mpmath at its own precision, the process's left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mpmath as mp

from softlearn import reference as ref

REPO = Path(__file__).resolve().parents[1]

IMPORT_ALL = """
import pkgutil, importlib, mpmath as mp
import softlearn
for m in pkgutil.walk_packages(softlearn.__path__, "softlearn."):
    importlib.import_module(m.name)
print(mp.mp.prec, mp.mp.dps)
"""


def test_no_module_changes_mpmaths_precision_at_import():
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == [str(mp.mp.prec), str(mp.mp.dps)] == ["53", "15"]


def test_references_compute_at_their_precision_in_their_own_context():
    with mp.workprec(53):
        value = ref.sigmoid(1.0)
        assert mp.mp.prec == 53
    with mp.workprec(ref.PRECISION):
        assert value == 1 / (1 + mp.exp(-1))  # not the 53-bit value
        assert value != mp.mpf(float(value))
