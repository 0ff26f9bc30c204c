"""What the archival agreement costs against today's (plain) agreement.

    .venv/bin/python bench/bench_archival.py [--runs 5]

Builds the example case's agreement PDF with ``[pdf] archival = false``
(the agreement as it was: no PDF/A, no tags, no agreement.json) and with
the default ``archival = true`` (PDF/A-3b, tagged, agreement.json), and
prints the median build time and the file size of each. Then signs each
once with a self-signed key (B-B) and prints the time and the size the
signature adds, and checks with pikepdf that the signed archival file is
still PDF/A (the check the tests make).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402
from generator.signing import keygen, sign_pdf  # noqa: E402

TODAY = date(2026, 11, 22)
CASE = "acme-portal"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "sam.p12"
        keygen("Sam Rivera", key)
        spaces = {}
        for archival in (False, True):
            ws = Path(tmp) / f"ws-{archival}"
            shutil.copytree(ROOT / "content", ws / "content")
            (ws / "mend.toml").write_text(f"[pdf]\narchival = {'true' if archival else 'false'}\n")
            spaces[archival] = ws
        opts = {"today": TODAY, "kinds": ("agreement",), "cases": [CASE], "force": True}
        builds: dict[bool, list[float]] = {False: [], True: []}
        signs: dict[bool, list[float]] = {False: [], True: []}
        # Interleaved, after a warm-up of each, so that the machine's other load
        # falls on both alike.
        for i in range(args.runs + 1):
            for archival, ws in spaces.items():
                started = time.perf_counter()
                report = build(ws, formats=("pdf",), **opts)
                assert report.ok, report.failed
                built = time.perf_counter() - started
                pdf = ws / "output" / CASE / "agreement.pdf"
                signed = Path(tmp) / f"signed-{archival}.pdf"
                started = time.perf_counter()
                sign_pdf(pdf, key, passphrase=None, field=None, out=signed)
                if i:
                    builds[archival].append(built)
                    signs[archival].append(time.perf_counter() - started)
        rows = []
        for archival, ws in spaces.items():
            pdf = ws / "output" / CASE / "agreement.pdf"
            signed = Path(tmp) / f"signed-{archival}.pdf"
            rows.append(
                (
                    archival,
                    statistics.median(builds[archival]),
                    pdf.stat().st_size,
                    statistics.median(signs[archival]),
                    signed.stat().st_size,
                )
            )

        print(
            f"agreement of {CASE}: medians of {args.runs} builds (--force) and B-B signatures, interleaved"
        )
        for archival, seconds, size, sign_seconds, signed_size in rows:
            name = (
                "archival (PDF/A-3b, tagged, agreement.json)"
                if archival
                else "plain (today's agreement)"
            )
            print(
                f"  {name:46} build {seconds * 1000:7.1f} ms  {size / 1024:7.1f} KiB   "
                f"sign {sign_seconds * 1000:7.1f} ms  signed {signed_size / 1024:7.1f} KiB"
            )
        (_, plain_s, plain_size, _, _), (_, arch_s, arch_size, _, _) = rows
        print(
            f"  cost of archival: build x{arch_s / plain_s:.2f} ({(arch_s - plain_s) * 1000:+.1f} ms), "
            f"size x{arch_size / plain_size:.2f} ({(arch_size - plain_size) / 1024:+.1f} KiB)"
        )
        try:
            sys.path.insert(0, str(ROOT / "tests"))
            from pdfa import pdfa_problems

            problems = pdfa_problems(Path(tmp) / "signed-True.pdf")
            print(f"  signed archival file still PDF/A-3b: {problems if problems else 'yes'}")
        except ImportError:
            print("  (pikepdf not installed: PDF/A check skipped)")


if __name__ == "__main__":
    main()
