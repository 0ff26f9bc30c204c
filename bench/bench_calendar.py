"""What moves, cancellations and versioned events cost a case's calendar and notices.

    .venv/bin/python bench/bench_calendar.py [--meetings 500] [--runs 7]

A weekly case with ``--meetings`` held check-ins, then the same case with
one check-in in ten moved to the Thursday and one in ten cancelled. For
each it prints the median time of:

- ``series_calendar`` (the whole ``checkins.ics``, with its ledger lookups);
- ``notice_days`` (which changed meetings a recap had invited to);
- ``documents_for`` (what the build asks every kind, notices included);

and the ratio of the changed case to the plain one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.case import load_case  # noqa: E402
from generator.documents import documents_for  # noqa: E402
from generator.published import Ledger  # noqa: E402
from generator.schedule import notice_days  # noqa: E402
from generator.writers.ics import series_calendar  # noqa: E402

HEAD = """\
id: bench
title: Bench
timezone: Europe/London
client:
  organisation: Client
  contacts: [{name: Dana, email: dana@client.example, primary: true}]
team:
  organisation: Us
  members: [{name: Sam, email: sam@us.example, lead: true}]
incident:
  summary: Something went wrong.
plan:
  milestones: [{id: m, title: M, due: 2027-01-01}]
  checkins:
    cadence: weekly
    weekday: tuesday
    time: "10:00"
    starts: 2020-01-07
meetings:
"""


def case_text(meetings: int, changed: bool) -> str:
    lines = [HEAD]
    first = date(2020, 1, 7)
    for i in range(meetings):
        day = first + timedelta(weeks=i)
        if changed and i % 10 == 3:
            lines.append(f"  - date: {day + timedelta(days=2)}\n    replaces: {day}\n")
            lines.append("    summary: Met on the Thursday.\n")
        elif changed and i % 10 == 7:
            lines.append(f"  - date: {day}\n    cancelled: true\n")
        else:
            lines.append(f"  - date: {day}\n    summary: Met.\n")
    return "".join(lines)


def median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    today = date(2030, 1, 1)
    results: dict[bool, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for changed in (False, True):
            path = Path(tmp, f"bench-{changed}.yaml")
            path.write_text(case_text(args.meetings, changed), encoding="utf-8")
            case = load_case(path).case
            results[changed] = {
                "series_calendar": median(
                    lambda case=case: series_calendar(case, Ledger(), today).to_ical(), args.runs
                ),
                "notice_days": median(lambda case=case: notice_days(case), args.runs),
                "documents_for": median(lambda case=case: documents_for(case, today), args.runs),
            }
    print(f"{args.meetings} meetings, median of {args.runs} runs")
    print(f"{'':18}{'plain':>10}{'changed':>10}{'ratio':>8}")
    for name in results[False]:
        plain, changed_s = results[False][name], results[True][name]
        print(f"{name:18}{plain * 1000:9.1f}ms{changed_s * 1000:9.1f}ms{changed_s / plain:7.2f}x")


if __name__ == "__main__":
    main()
