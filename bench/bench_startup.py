"""What mend's short commands cost as whole commands, against their baselines.

    .venv/bin/python bench/bench_startup.py [--runs 7] [--meetings 2000]
        [--only help,agreement,log] [--against DIR] [--no-bytecode]

A user waits for a whole command: Python's start, the imports, the work.
Each figure here is the median of ``--runs`` runs of one subprocess, its
runs alternating with its baseline's (and with ``--against``'s), so that a
machine that other work loads disturbs both alike:

- ``mend --help`` against ``python -c pass`` (Python's start alone);
- ``mend agreement CASE --format pdf`` against WeasyPrint alone printing
  the very same HTML (``python -c "weasyprint.HTML(filename=...).write_pdf(...)"``,
  the command bench_agreement.py times);
- ``mend log CASE --summary ...`` on a case of ``--meetings`` meetings
  against composing the same file with PyYAML's C loader in a command
  (``python -c "yaml.compose(...)"``), with the CPU time (user + system) of
  each, which load disturbs less than the time waited.

Commands run with Python's bytecode cache, as an installed mend does;
``--no-bytecode`` sets ``PYTHONDONTWRITEBYTECODE`` and removes
``generator/__pycache__`` so that every run compiles mend's modules again
(an editable install in such an environment). ``--against DIR`` runs the
same mend commands from another checkout (``git archive main | tar -x -C
DIR``) and prints the ratio of the two: only figures measured side by side
compare.
"""

from __future__ import annotations

import argparse
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
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import commented_case  # noqa: E402

AGREEMENT_CASE = "acme-portal"
AGREEMENT_TODAY = date(2026, 11, 22)
LOG_TODAY = date(2030, 1, 1)


class Timer:
    """Runs commands and keeps each one's wall-clock and CPU seconds."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(
        self, command: list[str], cwd: Path, pythonpath: Path | None = None
    ) -> tuple[float, float]:
        env = dict(self.env)
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=cwd, env=env)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        return wall, cpu


def medians(
    runs: int, funcs: list[Callable[[], tuple[float, float]]], reset: Callable[[], object]
) -> list[tuple[float, float]]:
    """Median (wall, cpu) of each function, runs alternating, each warmed up once."""
    for func in funcs:
        reset()
        func()  # warm up (and write the bytecode caches)
    walls: list[list[float]] = [[] for _ in funcs]
    cpus: list[list[float]] = [[] for _ in funcs]
    for run in range(runs):
        order = list(enumerate(funcs))
        for i, func in order if run % 2 == 0 else order[::-1]:
            reset()
            wall, cpu = func()
            walls[i].append(wall)
            cpus[i].append(cpu)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus, strict=True)]


def report(name: str, baseline: str, figures: list[tuple[float, float]], against: bool) -> None:
    """One line: mend, its baseline, the ratio (and the other checkout, if any)."""
    (ours, ours_cpu), (base, base_cpu) = figures[0], figures[1]
    line = (
        f"{name:<10} mend {ours * 1000:7.0f} ms (cpu {ours_cpu * 1000:5.0f})   "
        f"{baseline} {base * 1000:7.0f} ms (cpu {base_cpu * 1000:5.0f})   "
        f"ratio {ours / base:4.2f}"
    )
    if against:
        other, other_cpu = figures[2]
        line += (
            f"   against {other * 1000:7.0f} ms (cpu {other_cpu * 1000:5.0f})"
            f"  this/against {ours / other:4.2f} (cpu {ours_cpu / other_cpu:4.2f})"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--meetings", type=int, default=2000)
    parser.add_argument("--only", default="help,agreement,log")
    parser.add_argument("--against", type=Path, default=None)
    parser.add_argument("--no-bytecode", action="store_true")
    args = parser.parse_args()
    only = set(args.only.split(","))
    checkouts = [ROOT] + ([args.against.resolve()] if args.against else [])
    env = dict(os.environ)
    if args.no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for checkout in checkouts:
            shutil.rmtree(checkout / "generator" / "__pycache__", ignore_errors=True)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    timer = Timer(env)
    py = sys.executable
    mend = [py, "-m", "generator.cli"]
    print(
        f"python {platform.python_version()}, medians of {args.runs} runs, "
        f"{'without' if args.no_bytecode else 'with'} bytecode caches; load {_load()}"
    )

    def against(command: list[str]) -> list[Callable[[], tuple[float, float]]]:
        """The command run from each checkout, in order (this one first)."""
        return [
            lambda c=c: timer.run(command, cwd=c, pythonpath=c)
            for c in checkouts  # type: ignore[misc]
        ]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "help" in only:
            funcs = against([*mend, "--help"])
            funcs.insert(1, lambda: timer.run([py, "-c", "pass"], cwd=ROOT))
            report(
                "--help",
                "python -c pass",
                medians(args.runs, funcs, lambda: None),
                bool(args.against),
            )

        if "agreement" in only:
            ws = root / "agreement"
            shutil.copytree(ROOT / "content", ws / "content")
            html_out = root / "agreement-html"
            subprocess.run(
                [*mend, "agreement", AGREEMENT_CASE, "--workspace", str(ws), "--today",
                 AGREEMENT_TODAY.isoformat(), "--format", "html", "--out", str(html_out)],
                check=True, capture_output=True, cwd=ROOT, env=env,
            )  # fmt: skip
            html = html_out / AGREEMENT_CASE / "agreement.html"
            pdf_out = root / "agreement-pdf"
            command = [
                *mend, "agreement", AGREEMENT_CASE, "--workspace", str(ws), "--today",
                AGREEMENT_TODAY.isoformat(), "--format", "pdf", "--out", str(pdf_out),
            ]  # fmt: skip
            alone = [
                py,
                "-c",
                "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])",
                str(html),
                str(root / "alone.pdf"),
            ]
            funcs = against(command)
            funcs.insert(1, lambda: timer.run(alone, cwd=ROOT))
            report(
                "agreement",
                "WeasyPrint alone",
                medians(args.runs, funcs, lambda: shutil.rmtree(pdf_out, ignore_errors=True)),
                bool(args.against),
            )

        if "log" in only:
            ws = root / "log"
            (ws / "content").mkdir(parents=True)
            (ws / "mend.toml").write_text("", encoding="utf-8")
            path = ws / "content" / "big.yaml"
            text, _ = commented_case(args.meetings)
            original = text.encode("utf-8")
            command = [
                *mend, "log", "big", "--workspace", str(ws), "--today", LOG_TODAY.isoformat(),
                "--summary", "Logged by the bench.",
            ]  # fmt: skip
            compose = [
                py,
                "-c",
                "import sys, yaml\n"
                "with open(sys.argv[1], encoding='utf-8') as f:\n"
                "    yaml.compose(f.read(), Loader=yaml.CSafeLoader)",
                str(path),
            ]
            funcs = against(command)
            funcs.insert(1, lambda: timer.run(compose, cwd=ROOT))
            report(
                f"log {args.meetings}",
                "PyYAML compose",
                medians(args.runs, funcs, lambda: path.write_bytes(original)),
                bool(args.against),
            )
    print(f"load {_load()}")


def _load() -> str:
    """The machine's load average (1, 5, 15 minutes): how shared it was."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
