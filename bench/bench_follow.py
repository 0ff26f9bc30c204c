"""What following through costs: one case with many held meetings, with and without commitment updates.

    .venv/bin/python bench/bench_follow.py [--meetings 250,1000] [--runs 3]

Generates a case with N held meetings and an agreement of 6 commitments,
twice: once with no commitment updates (the baseline, measured in the same
run), once with 3 updates at every meeting. For each it times, in process
and from an empty output folder, ``mend check``'s work (load, validate,
coach) and a build of the plan and every recap (``--format md,eml``, one
job). The difference is what the follow-through adds: the standings walk
for the plan, the timeline and the agenda, and each recap's updates.
Figures are medians of ``--runs`` runs.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build  # noqa: E402
from generator.case import load_case  # noqa: E402
from generator.coach import coach  # noqa: E402

TODAY = date(2026, 12, 1)
IDS = ("weekly-status", "credit-note", "test-feedback", "sso", "relaunch", "steering")
STATUSES = ("on-track", "at-risk", "kept", "broken", "renegotiated")


def make_case(meetings: int, updates: bool) -> str:
    start = TODAY - timedelta(days=meetings + 1)
    lines = [
        "id: big",
        "title: A long recovery",
        "timezone: Europe/London",
        "client:",
        "  organisation: Acme Logistics Ltd",
        "  contacts: [{name: Dana Okafor, email: dana@acme.example, primary: true}]",
        "team:",
        "  organisation: Brightline Studio",
        "  members: [{name: Sam Rivera, email: sam@brightline.example, lead: true}]",
        "incident: {summary: The relaunch slipped.}",
        "affirmations: [Quick test feedback]",
        "plan:",
        f"  milestones: [{{id: tests, title: Tests green, due: {TODAY + timedelta(days=30)}}}]",
        f"  checkins: {{cadence: weekly, weekday: tuesday, time: '10:00', starts: {TODAY}}}",
        "meetings:",
    ]
    for i in range(meetings):
        day = start + timedelta(days=i)
        lines += [f"  - date: {day}", f"    heard: [Point {i}]"]
        if updates:
            lines.append("    commitments:")
            for k in range(3):
                cid = IDS[(i + k) % len(IDS)]
                status = STATUSES[(i * 3 + k) % len(STATUSES)]
                lines.append(f"      - {{commitment: {cid}, status: {status}, note: Note {i}}}")
    lines += ["agreement:", f"  effective: {start - timedelta(days=1)}", "  commitments:"]
    for k, cid in enumerate(IDS):
        party = ("us", "client", "both")[k % 3]
        lines.append(
            f"    - {{id: {cid}, party: {party}, text: Commitment {k}, due: {TODAY + timedelta(days=k - 3)}}}"
        )
    lines += ["  signatories: [{name: Dana Okafor, party: client}, {name: Sam Rivera, party: us}]"]
    return "\n".join(lines) + "\n"


def timed(fn: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meetings", default="250,1000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {platform.machine()}, medians of {args.runs}")
    print("meetings | updates | check (s) | build md,eml (s)")
    for n in (int(x) for x in args.meetings.split(",")):
        for updates in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                check, full = _runs(Path(tmp), make_case(n, updates))
                print(
                    f"{n} | {3 * n if updates else 0} | {timed(check, args.runs):.2f} | "
                    f"{timed(full, args.runs):.2f}"
                )


def _runs(ws: Path, text: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """The two things timed on one workspace: checking the case, and building it afresh."""
    (ws / "content").mkdir()
    path = ws / "content" / "big.yaml"
    path.write_text(text, encoding="utf-8")
    counter = iter(range(10_000))

    def check() -> None:
        coach(load_case(path, today=TODAY), TODAY)

    def full() -> None:
        out = ws / f"out-{next(counter)}"
        assert build(ws, today=TODAY, formats=("md", "eml"), out=out, jobs=1).ok

    return check, full


if __name__ == "__main__":
    main()
