"""Peak memory of building one case with many held meetings (eml, ics).

    .venv/bin/python bench/bench_memory.py [--meetings 250,1000,2000] [--runs 3]

Generates a case with N held meetings (one recap each) into a temporary
workspace and builds ``--format eml,ics`` in a child process, from an empty
output folder, with one job. Peak memory is the child's maximum resident set
size, read with ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` by a small
parent process that runs nothing else, so the figure is the build's alone.

As a baseline measured in the same run, ``mend check`` of the same case
loads and validates it without rendering anything: the difference between
the two is what rendering and writing cost. A build that writes each recap as
it is made keeps that difference flat in N; one that holds every recap until
the end grows with it. Figures are medians of ``--runs`` runs (max RSS varies
little between runs; the median guards against a run disturbed by others).
The same runs give each command's wall-clock time: how long a case with
hundreds of meetings takes to build, against checking it alone.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import TODAY, held_meetings_case  # noqa: E402

#: Runs a command and prints its peak RSS in KiB (Linux reports ru_maxrss in
#: KiB) and its wall-clock seconds.
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "seconds = time.perf_counter() - started\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, seconds)\n"
)


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Peak RSS in MB and wall-clock seconds of one command."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    kib, seconds = done.stdout.split()
    return int(kib) / 1024, float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meetings", default="250,1000,2000", help="comma list of sizes")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(n) for n in args.meetings.split(",")]

    mend = [sys.executable, "-m", "generator.cli"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"build --format eml,ics --jobs 1 of one case, medians of {args.runs} runs")
    print(
        f"{'held meetings':>13}  {'recaps':>6}  {'check (baseline)':>16}  {'build':>9}  "
        f"{'build - check':>13}  {'check time':>10}  {'build time':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            ws = Path(tmp) / f"ws-{n}"
            (ws / "content").mkdir(parents=True)
            (ws / "content" / "big-case.yaml").write_text(held_meetings_case(n), encoding="utf-8")
            common = ["--workspace", str(ws), "--today", TODAY.isoformat()]
            checks = [measure([*mend, "check", *common], env) for _ in range(args.runs)]
            check = statistics.median(mb for mb, _ in checks)
            check_s = statistics.median(s for _, s in checks)
            builds = []
            for _ in range(args.runs):
                out = ws / "output"
                if out.exists():
                    subprocess.run(["rm", "-rf", str(out)], check=True)
                builds.append(
                    measure(
                        [*mend, "build", *common, "--quiet", "--format", "eml,ics", "--jobs", "1"],
                        env,
                    )
                )
            recaps = len(list((ws / "output" / "big-case").glob("recap-*.eml")))
            build = statistics.median(mb for mb, _ in builds)
            build_s = statistics.median(s for _, s in builds)
            print(
                f"{n:>13}  {recaps:>6}  {check:>13.1f} MB  {build:>6.1f} MB  "
                f"{build - check:>10.1f} MB  {check_s:>9.2f}s  {build_s:>9.2f}s"
            )


if __name__ == "__main__":
    main()
