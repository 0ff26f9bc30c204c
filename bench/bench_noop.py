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
import resource
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
        # `python -m` puts the current folder first on sys.path: run in the
        # checkout, or both would run the code of the folder the bench ran in.
        self.root = root
        common = ["--workspace", str(ws), "--today", TODAY.isoformat(), "--quiet"]
        self.cmd = [self.python, "-m", "generator.cli", "build", *common, "--format", formats]
        self.noop: list[float] = []
        self.touched: list[float] = []
        self.cpu: dict[str, list[float]] = {"noop": [], "touched": []}
        self.last_cpu = 0.0

    def run(self) -> float:
        """One build: its wall-clock time; its CPU time (user + system) in ``last_cpu``."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(self.cmd, check=True, stdout=subprocess.DEVNULL, env=self.env, cwd=self.root)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.last_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        return wall

    def summary(self) -> str:
        """What a no-op rebuild says it did (without --quiet): that it is one."""
        cmd = [c for c in self.cmd if c != "--quiet"]
        done = subprocess.run(
            cmd, check=True, capture_output=True, text=True, env=self.env, cwd=self.root
        )
        return done.stdout.strip()

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
                checkout.cpu["noop"].append(checkout.last_cpu)
        said = [checkout.summary() for checkout in checkouts]
        for _ in range(args.runs):
            for checkout in checkouts:
                checkout.touched.append(checkout.touch_one())
                checkout.cpu["touched"].append(checkout.last_cpu)

    print(f"{args.cases} cases, --format {args.formats}, medians of {args.runs} runs, taking turns")
    for checkout, line in zip(checkouts, said, strict=True):
        noop, touched = statistics.median(checkout.noop), statistics.median(checkout.touched)
        cpu = {what: statistics.median(times) for what, times in checkout.cpu.items()}
        print(f"{checkout.label}:")
        print(f"  no-op rebuild:                   {noop:7.3f} s   (CPU {cpu['noop']:.3f} s)")
        print(f"  rebuild after touching one case: {touched:7.3f} s   (CPU {cpu['touched']:.3f} s)")
        print(f"  runs, no-op: {fmt(checkout.noop)}; touched: {fmt(checkout.touched)}")
        print(f"  a no-op says: {line}")
    if len(checkouts) == 2:
        this, other = checkouts
        for what in ("noop", "touched"):
            wall = statistics.median(getattr(this, what)) / statistics.median(getattr(other, what))
            cpu = statistics.median(this.cpu[what]) / statistics.median(other.cpu[what])
            print(f"{what}: this checkout takes {wall:.2f}x the other's time ({cpu:.2f}x its CPU)")


if __name__ == "__main__":
    main()
