"""The check of correct rounding from the command line (softlearn._verify), and its results.

    python -m softlearn.benchmarks.rounding sample        # seconds: every path, a sample
    python -m softlearn.benchmarks.rounding float32       # minutes: all 2**32 float32 inputs
    python -m softlearn.benchmarks.rounding float64 1e8   # float64: random inputs and hard cases

``float32`` runs every function (``beta = 1``) on all 2**32 float32 bit
patterns, through the compiled ufunc and through the NumPy path.  The two
approximate in different ways (double arithmetic in C with softlearn's own exp
and log1p; NumPy's float64 exp, log1p and tanh), and each decides its results
with its own rounding test, so they agree on every input only if both are
right; any disagreement is settled by mpmath and counted as an error.

``float64`` does the same on ``n`` random inputs per function, spread over
every exponent (the NumPy path works in the long double here), and keeps the
inputs whose value lies nearest a rounding boundary -- the hard cases, where a
wrong bound would show first.  Those are checked against mpmath one by one
and written to :data:`HARD_CASES`, which the test suite runs through every
path.

Each command writes its result to :data:`RESULTS` (JSON), which the README and
the accuracy chapter print.  The sample is what CI runs (tests/test_paths.py).
The checks themselves are in ``softlearn._verify``, which needs no framework.
"""

from __future__ import annotations

import argparse
import json
import pathlib
from typing import Any

from softlearn._verify import FUNCTIONS, compare_paths, exhaustive_float32, paths, search_float64

DATA = pathlib.Path(__file__).resolve().parent / "data"
RESULTS = DATA / "rounding.json"
HARD_CASES = DATA / "hard_cases.json"


def _save(key: str, value: Any) -> None:
    DATA.mkdir(exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[key] = value
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["sample", "float32", "float64"])
    parser.add_argument(
        "n", nargs="?", type=float, default=1e8, help="float64: inputs per function"
    )
    parser.add_argument("--functions", default=",".join(FUNCTIONS))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    names = args.functions.split(",")
    if args.what == "sample":
        report = compare_paths(n=4000, seed=args.seed)
        print("\n".join(report.lines))
        print(f"{report.disagreements} disagreements in {report.compared} results")
        return int(report.disagreements != 0)
    results = []
    for name in names:
        if args.what == "float32":
            r = exhaustive_float32(name)
        else:
            r = search_float64(name, int(args.n), seed=args.seed + FUNCTIONS.index(name))
        print(json.dumps({k: v for k, v in r.items() if k != "hard_cases"}), flush=True)
        results.append(r)
    if args.what == "float64":
        cases = {r["function"]: r.pop("hard_cases") for r in results}
        DATA.mkdir(exist_ok=True)
        HARD_CASES.write_text(json.dumps(cases, indent=1) + "\n")
    _save(args.what, {"build": paths()[0], "results": results})
    return int(any(r["wrong"] for r in results))


if __name__ == "__main__":
    raise SystemExit(main())
