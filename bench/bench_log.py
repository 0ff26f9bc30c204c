"""How long `mend log` takes on a case with many meetings.

    .venv/bin/python bench/bench_log.py [--meetings 250,1000,2000] [--runs 5]

For each size, writes one realistic case with that many meetings into a
temporary workspace and prints medians of several runs of:

- ``logbook.log()`` called in-process: a new meeting appended, and a second
  log for an existing meeting's date (merged into it, in the middle of the
  file);
- the whole command, ``mend log CASE --summary ...``, as a subprocess (what
  a user waits for, Python's start and the imports included), and the CPU
  time it used (user + system), which a busy machine disturbs less than
  the time waited;
- the bare baseline: the same file composed once with PyYAML's C loader
  (``yaml.compose`` with ``CSafeLoader``), which mend cannot go below; mend's
  in-process time is printed as a ratio to it.

The command runs with Python's bytecode cache, as an installed mend does.
An editable install in an environment with ``PYTHONDONTWRITEBYTECODE`` set
has none, so every run compiles mend's modules again: ``--no-bytecode``
measures that (it sets the variable and removes ``generator/__pycache__``).
``--against DIR`` also times the command of another checkout of mend (say
``git archive main | tar -x -C /tmp/main``), its runs alternating with this
one's, and prints the ratio of the two: on a shared machine, only figures
measured side by side compare.

Each run starts from the same file (restored from a copy, so every run adds
or merges the same meeting). Figures vary with the machine and its load
(printed, as os.getloadavg()): compare the ratios measured in the same run.
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
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from cases import commented_case  # noqa: E402

from generator.logbook import MeetingEntry, log  # noqa: E402

TODAY = date(2030, 1, 1)


def median(runs: int, func: Callable[[], object], reset: Callable[[], object]) -> float:
    return medians(runs, [func], reset)[0]


def medians(
    runs: int, funcs: list[Callable[[], object]], reset: Callable[[], object]
) -> list[float]:
    """The median time of each function, their runs alternating (each warmed up once)."""
    for func in funcs:
        reset()
        func()  # warm up (and write the bytecode caches)
    times: list[list[float]] = [[] for _ in funcs]
    for run in range(runs):
        order = list(enumerate(funcs))
        for i, func in order if run % 2 == 0 else order[::-1]:
            reset()
            started = time.perf_counter()
            func()
            times[i].append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetings", default="250,1000,2000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--against", type=Path, default=None, help="another checkout whose command to time too"
    )
    parser.add_argument(
        "--no-bytecode", action="store_true", help="run the command without bytecode caches"
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.meetings.split(",")]
    mend = [sys.executable, "-m", "generator.cli"]
    env = dict(os.environ)
    checkouts = [ROOT] + ([args.against.resolve()] if args.against else [])
    if args.no_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        sys.dont_write_bytecode = True  # nor this process, for what it imports later
        for checkout in checkouts:
            shutil.rmtree(checkout / "generator" / "__pycache__", ignore_errors=True)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    bytecode = "without" if args.no_bytecode else "with"
    print(
        f"python {platform.python_version()}, {args.runs} runs each, medians; "
        f"the command {bytecode} bytecode caches; load {_load()}"
    )
    against = f" {'against':>9} {'ratio':>6} {'its cpu':>9} {'ratio':>6}" if args.against else ""
    print(
        f"{'meetings':>8} {'lines':>7} {'compose':>9} {'log new':>9} {'log merge':>10} "
        f"{'ratio':>6} {'command':>9} {'cpu':>9}{against}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "content").mkdir()
        (root / "mend.toml").write_text("", encoding="utf-8")
        path = root / "content" / "big.yaml"
        for n in sizes:
            text, start = commented_case(n)
            original = text.encode("utf-8")

            def reset(path: Path = path, original: bytes = original) -> None:
                path.write_bytes(original)

            compose = median(
                args.runs, lambda text=text: yaml.compose(text, Loader=yaml.CSafeLoader), reset
            )
            new = median(
                args.runs,
                lambda: log(
                    path,
                    entry=MeetingEntry(date=TODAY, summary="Logged by the bench."),
                    today=TODAY,
                    display="content/big.yaml",
                ),
                reset,
            )
            middle = start + timedelta(days=7 * (n // 2))
            merge = median(
                args.runs,
                lambda middle=middle: log(
                    path,
                    entry=MeetingEntry(date=middle, decisions=["Merged by the bench"]),
                    today=TODAY,
                    display="content/big.yaml",
                ),
                reset,
            )
            command = [
                *mend,
                "log",
                "big",
                "--workspace",
                str(root),
                "--today",
                TODAY.isoformat(),
                "--summary",
                "Logged by the bench.",
            ]

            cpu: dict[Path, list[float]] = {c: [] for c in checkouts}

            def run(
                checkout: Path, command: list[str] = command, cpu: dict[Path, list[float]] = cpu
            ) -> None:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run(
                    command,
                    check=True,
                    capture_output=True,
                    cwd=checkout,
                    env={**env, "PYTHONPATH": str(checkout)},
                )
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                cpu[checkout].append(used)

            wholes = medians(
                args.runs, [lambda c=c: run(c) for c in checkouts], reset
            )  # fmt: skip
            cpus = [statistics.median(cpu[c][1:]) for c in checkouts]  # less the warm-up
            other = (
                f" {wholes[1] * 1000:>7.0f}ms {wholes[0] / wholes[1]:>5.2f}x"
                f" {cpus[1] * 1000:>7.0f}ms {cpus[0] / cpus[1]:>5.2f}x"
                if against
                else ""
            )
            print(
                f"{n:>8} {text.count(chr(10)):>7} {compose * 1000:>7.0f}ms {new * 1000:>7.0f}ms "
                f"{merge * 1000:>8.0f}ms {new / compose:>5.1f}x {wholes[0] * 1000:>7.0f}ms"
                f" {cpus[0] * 1000:>7.0f}ms{other}"
            )
            shutil.rmtree(root / "output", ignore_errors=True)
    print(f"load {_load()}")


def _load() -> str:
    """The machine's load average (1, 5, 15 minutes): how shared it was."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
