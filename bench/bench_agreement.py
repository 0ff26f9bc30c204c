"""How close `mend agreement` stays to WeasyPrint's own cost.

    .venv/bin/python bench/bench_agreement.py [--runs 7]

Builds the agreement PDF of an example case and renders the very same HTML
with WeasyPrint alone, and prints medians and the ratio, two ways:

- in one process, after a warm-up (what a build with many cases pays);
- as whole commands: `mend agreement CASE --format pdf --force` against
  `python -c "weasyprint.HTML(...).write_pdf(...)"` (what a user waits for,
  both including Python's start and the imports).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402

TODAY = date(2026, 11, 22)
CASE = "acme-portal"


def median(runs: int, func) -> float:
    func()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(ROOT / "content", ws / "content")
        out = ws / "output"
        opts = {"today": TODAY, "kinds": ("agreement",), "cases": [CASE], "force": True}
        build(ws, formats=("html",), **opts)
        html_path = out / CASE / "agreement.html"
        html = html_path.read_text(encoding="utf-8")

        from weasyprint import HTML

        def weasyprint_alone() -> None:
            HTML(string=html, base_url=str(ws)).write_pdf(Path(tmp) / "alone.pdf")

        def mend_agreement() -> None:
            report = build(ws, formats=("pdf",), **opts)
            assert report.ok, report.failed

        alone = median(args.runs, weasyprint_alone)
        ours = median(args.runs, mend_agreement)
        pages = len(__import__("pypdf").PdfReader(out / CASE / "agreement.pdf").pages)
        print(f"agreement of {CASE}: {pages} pages, medians of {args.runs} runs")
        print(
            f"in process:  WeasyPrint alone {alone * 1000:6.1f} ms   mend agreement {ours * 1000:6.1f} ms   ratio {ours / alone:.2f}"
        )

        py = sys.executable
        cmd_alone = [
            py,
            "-c",
            "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])",
            str(html_path),
            str(Path(tmp) / "alone.pdf"),
        ]
        cmd_mend = [
            py,
            "-m",
            "generator.cli",
            "agreement",
            CASE,
            "--workspace",
            str(ws),
            "--today",
            TODAY.isoformat(),
            "--format",
            "pdf",
            "--out",
            str(Path(tmp) / "cmd"),
        ]

        # Both commands with Python's bytecode cache, as an installed mend
        # has it: under PYTHONDONTWRITEBYTECODE an editable install would
        # recompile mend's own modules every run, and WeasyPrint's not.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

        def run(cmd: list[str]) -> None:
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)

        alone_cmd = median(args.runs, lambda: run(cmd_alone))

        def mend_cmd() -> None:
            shutil.rmtree(Path(tmp) / "cmd", ignore_errors=True)
            run(cmd_mend)

        ours_cmd = median(args.runs, mend_cmd)
        print(
            f"commands:    WeasyPrint alone {alone_cmd * 1000:6.1f} ms   mend agreement {ours_cmd * 1000:6.1f} ms   ratio {ours_cmd / alone_cmd:.2f}"
        )
        ratio = ours_cmd / alone_cmd
        print("target:")
        print(
            f"  {'met    ' if ratio <= 1.2 else 'NOT MET'}  `mend agreement --format pdf` as a command "
            f"against WeasyPrint alone as a command: {ratio:.2f}x (target <= 1.20x)"
        )


if __name__ == "__main__":
    main()
