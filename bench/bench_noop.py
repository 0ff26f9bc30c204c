"""Benchmark a rebuild in which nothing changed, as a whole command.

    .venv/bin/python bench/bench_noop.py [--cases 1000] [--runs 7] [--against DIR]
                                         [--formats md,html,eml,ics]

Generates N realistic cases (``bench/cases.py``, as bench_build does), builds
them once, then prints medians of several runs of:

- the no-op rebuild: ``mend build`` again, with the options bench_build
  times it with (issue 21's target: under a second at 1,000 cases);
- a rebuild after touching one case (a comment appended to it).

With ``--against DIR`` (another checkout of mend, e.g. a worktree of main)
the same runs are made with DIR's code, on a workspace of its own, taking
turns with this checkout's run by run, so that both see the same load on a
shared machine: compare the ratio, not figures across runs. DIR's own
``.venv`` is used when it has one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import TODAY, make_workspace  # noqa: E402

TEXT = "md,html,eml,ics"


class Checkout:
    """One copy of mend's code, run as ``python -m generator.cli`` on a workspace."""

    def __init__(self, label: str, root: Path, ws: Path, formats: str) -> None:
        self.label = label
        venv = root / ".venv" / "bin" / "python"
        self.python = str(venv) if venv.is_file() else sys.executable
        # As bench_build: with Python's bytecode cache, as an installed mend has.
        self.env = {**os.environ, "PYTHONPATH": str(root)}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.ws = ws
        common = ["--workspace", str(ws), "--today", TODAY.isoformat(), "--quiet"]
        self.cmd = [self.python, "-m", "generator.cli", "build", *common, "--format", formats]
        self.noop: list[float] = []
        self.touched: list[float] = []

    def run(self) -> float:
        started = time.perf_counter()
        subprocess.run(self.cmd, check=True, stdout=subprocess.DEVNULL, env=self.env)
        return time.perf_counter() - started

    def touch_one(self) -> float:
        path = self.ws / "content" / "case-00000.yaml"
        path.write_text(path.read_text() + f"# touched {time.perf_counter()}\n")
        return self.run()


def fmt(times: list[float]) -> str:
    return " ".join(f"{t:.2f}" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--formats", default=TEXT)
    parser.add_argument("--against", type=Path, default=None, help="another checkout to compare")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        checkouts = [
            Checkout(
                "this checkout", ROOT, make_workspace(Path(tmp) / "this", args.cases), args.formats
            )
        ]
        if args.against is not None:
            other = args.against.resolve()
            ws = make_workspace(Path(tmp) / "other", args.cases)
            checkouts.append(Checkout(f"against {other}", other, ws, args.formats))
        for checkout in checkouts:
            checkout.run()  # the full build
            checkout.run()  # a first rebuild: whatever the full build left to record
        for _ in range(args.runs):
            for checkout in checkouts:
                checkout.noop.append(checkout.run())
        for _ in range(args.runs):
            for checkout in checkouts:
                checkout.touched.append(checkout.touch_one())

    print(f"{args.cases} cases, --format {args.formats}, medians of {args.runs} runs, taking turns")
    for checkout in checkouts:
        print(f"{checkout.label}:")
        print(f"  no-op rebuild:                   {statistics.median(checkout.noop):7.3f} s")
        print(f"  rebuild after touching one case: {statistics.median(checkout.touched):7.3f} s")
        print(f"  (runs: no-op {fmt(checkout.noop)}; touched {fmt(checkout.touched)})")
    if len(checkouts) == 2:
        this, other = checkouts
        for what in ("noop", "touched"):
            mine = statistics.median(getattr(this, what))
            theirs = statistics.median(getattr(other, what))
            print(f"{what}: this checkout takes {mine / theirs:.2f}x the other's time")


if __name__ == "__main__":
    main()
