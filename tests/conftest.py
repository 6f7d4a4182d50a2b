"""Shared test set-up: Hypothesis profiles and the accuracy report."""

from __future__ import annotations

import os

# Before TensorFlow is first imported: keep its C++ logging off stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest
from hypothesis import HealthCheck, settings

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
