"""How long `mend log` takes on a case with many meetings.

    .venv/bin/python bench/bench_log.py [--meetings 250,1000,2000] [--runs 5]

For each size, writes one realistic case with that many meetings into a
temporary workspace and prints medians of several runs of:

- ``logbook.log()`` called in-process: a new meeting appended, and a second
  log for an existing meeting's date (merged into it, in the middle of the
  file);
- the whole command, ``mend log CASE --summary ...``, as a subprocess (what
  a user waits for, Python's start and the imports included);
- the bare baseline: the same file composed once with PyYAML's C loader
  (``yaml.compose`` with ``CSafeLoader``), which mend cannot go below; mend's
  in-process time is printed as a ratio to it.

Each run starts from the same file (restored from a copy, so every run adds
or merges the same meeting). Figures vary with the machine: compare the
ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import platform
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
    reset()
    func()  # warm up
    times = []
    for _ in range(runs):
        reset()
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetings", default="250,1000,2000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(n) for n in args.meetings.split(",")]
    mend = [sys.executable, "-m", "generator.cli"]
    print(f"python {platform.python_version()}, {args.runs} runs each, medians")
    print(
        f"{'meetings':>8} {'lines':>7} {'compose':>9} {'log new':>9} {'log merge':>10} "
        f"{'ratio':>6} {'command':>9}"
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

            def run(command: list[str] = command) -> None:
                subprocess.run(command, check=True, capture_output=True, cwd=ROOT)

            whole = median(args.runs, run, reset)
            print(
                f"{n:>8} {text.count(chr(10)):>7} {compose * 1000:>7.0f}ms {new * 1000:>7.0f}ms "
                f"{merge * 1000:>8.0f}ms {new / compose:>5.1f}x {whole * 1000:>7.0f}ms"
            )
            shutil.rmtree(root / "output", ignore_errors=True)


if __name__ == "__main__":
    main()
