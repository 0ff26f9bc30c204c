"""How much the PDF writer adds to WeasyPrint: sandboxed fetcher, field rectangles, fields.

Run from the repository root::

    .venv/bin/python bench/bench_pdf.py [PAGE.html] [--runs N]

It times WeasyPrint alone (``HTML(string=...).write_pdf()``) against
:func:`generator.writers.pdf.render_pdf` with one signature field per
``id="sig-..."`` element of the page, and prints the medians and their ratio.
The writer lays the page out once and adds the fields during WeasyPrint's own
PDF pass, so the ratio should stay close to 1.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from weasyprint import HTML  # noqa: E402

from generator.writers.pdf import render_pdf  # noqa: E402

DEFAULT_PAGE = ROOT / "tests" / "fixtures" / "pdf" / "agreement.html"


def median_seconds(run: Callable[[], bytes], runs: int) -> float:
    run()  # warm up: fonts, caches, imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", nargs="?", type=Path, default=DEFAULT_PAGE)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    html = args.page.read_text(encoding="utf-8")
    ids = re.findall(r'id="(sig-[^"]+)"', html)
    # A longer document too: everything before the signatures, thirty times over.
    long_html = html
    if "<body>" in html and '<h2 class="signatures-heading">' in html:
        filler = html.split("<body>", 1)[1].split('<h2 class="signatures-heading">', 1)[0]
        long_html = html.replace("<body>", "<body>" + filler * 29, 1)

    print(f"page: {args.page.name}, {len(ids)} signature fields, median of {args.runs} runs")
    for label, page in (("short", html), ("long (x30)", long_html)):
        plain = median_seconds(lambda page=page: HTML(string=page).write_pdf(), args.runs)
        ours = median_seconds(
            lambda page=page: render_pdf(page, base_url=None, signature_ids=ids), args.runs
        )
        pages = len(HTML(string=page).render().pages)
        print(
            f"{label:>11}: {pages:2d} pages  weasyprint {plain * 1000:7.1f} ms  "
            f"render_pdf {ours * 1000:7.1f} ms  ratio {ours / plain:.3f}"
        )


if __name__ == "__main__":
    main()
