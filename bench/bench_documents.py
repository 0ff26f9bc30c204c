"""What mend adds to rendering its documents: md and html, one job, side by side.

    .venv/bin/python bench/bench_documents.py [--cases 150] [--runs 5] [--against DIR]

Generates N realistic cases into a temporary workspace and prints medians of
several runs, each measured as CPU time (user + system) and wall-clock time:

- the bare baseline of ``bench_build.py`` (PyYAML's C loader and plain Jinja
  over the same templates), for documents only;
- ``mend build --format md,html --jobs 1``, printed as a ratio to it;
- ``mend plan CASE --format md,html``, one case: what a short command pays
  before its first template (the theme's reference scan among it);
- with ``--against DIR`` (another checkout, say ``git worktree add /tmp/main
  main``), the same two commands of that checkout, their runs alternating
  with this one's, and the ratio of the two; the two builds' outputs are
  compared file by file, and any difference is printed: a speed-up must not
  change a byte.

On a shared machine only figures measured side by side compare: the CPU
time is what the load disturbs least.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import BASELINE  # noqa: E402
from cases import TODAY, make_workspace  # noqa: E402


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one command, run in ``cwd``.

    In the checkout's folder: ``python -m`` puts the current folder first
    on the path, so run elsewhere the editable install's own checkout
    would shadow the one asked for.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths whose bytes differ between two output trees (or exist in one only)."""
    found = []
    names = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names |= {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    for rel in sorted(names):
        if rel.name == ".mend-manifest.json":
            continue  # holds the build's keys, which may differ between versions
        one, two = a / rel, b / rel
        if not (one.is_file() and two.is_file() and filecmp.cmp(one, two, shallow=False)):
            found.append(str(rel))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=150)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another checkout of mend to time beside")
    args = parser.parse_args()

    from generator.render import theme_dir

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp) / "ws", args.cases)
        common = ["--workspace", str(ws), "--today", TODAY.isoformat(), "--quiet"]
        checkouts = {"this": ROOT}
        if args.against is not None:
            checkouts["against"] = args.against.resolve()

        def env_for(root: Path) -> dict[str, str]:
            return {**os.environ, "PYTHONPATH": str(root)}

        def build(name: str) -> Callable[[], tuple[float, float]]:
            out = Path(tmp) / f"out-{name}"
            cmd = [sys.executable, "-m", "generator.cli", "build", *common, "--out", str(out)]
            cmd += ["--format", "md,html", "--jobs", "1"]

            def go() -> tuple[float, float]:
                shutil.rmtree(out, ignore_errors=True)
                return run(cmd, env_for(checkouts[name]), checkouts[name])

            return go

        def one(name: str) -> Callable[[], tuple[float, float]]:
            out = Path(tmp) / f"one-{name}"
            cmd = [sys.executable, "-m", "generator.cli", "plan", "case-00000", *common]
            cmd += ["--out", str(out), "--format", "md,html", "--force"]
            return lambda: run(cmd, env_for(checkouts[name]), checkouts[name])

        def baseline() -> tuple[float, float]:
            shutil.rmtree(ws / "baseline-out", ignore_errors=True)
            cmd = [sys.executable, "-c", BASELINE, str(ws), str(theme_dir()), "docs"]
            return run(cmd, env_for(ROOT), ROOT)

        timings: dict[str, list[tuple[float, float]]] = {}
        jobs: dict[str, Callable[[], tuple[float, float]]] = {"baseline": baseline}
        for name in checkouts:
            jobs[f"build {name}"] = build(name)
            jobs[f"plan {name}"] = one(name)
        for job in jobs.values():  # warm: bytecode caches, the file system
            job()
        for _ in range(args.runs):
            for label, job in jobs.items():
                timings.setdefault(label, []).append(job())

        def med(label: str, index: int) -> float:
            return statistics.median(t[index] for t in timings[label])

        print(f"{args.cases} cases, md and html, 1 job, medians of {args.runs} runs (CPU / wall):")
        base = med("baseline", 0)
        for label in jobs:
            cpu, wall = med(label, 0), med(label, 1)
            extra = f"   {cpu / base:.2f}x baseline" if label.startswith("build") else ""
            print(f"  {label:<16} {cpu:7.3f} s / {wall:7.3f} s{extra}")
        if "against" in checkouts:
            for what in ("build", "plan"):
                ratio = med(f"{what} this", 0) / med(f"{what} against", 0)
                print(f"  {what}: this / against = {ratio:.3f} (CPU)")
            diff = differences(Path(tmp) / "out-this", Path(tmp) / "out-against")
            print(f"  outputs differing: {len(diff)}" + "".join(f"\n    {d}" for d in diff[:20]))


if __name__ == "__main__":
    main()
