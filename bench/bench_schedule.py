"""What the check-in schedule costs, against the date arithmetic mend used before.

    .venv/bin/python bench/bench_schedule.py [--runs 9] [--repeat 200]

The schedule is asked often: the agenda, the plan, the history and the index
of every case call ``upcoming_checkins``, ``next_meeting`` and
``checkins_between``. This prints medians of several runs of:

- ``checkin_dates``: the first 60 dates of each series, for a ``Checkins``
  nothing has cached yet (per cadence), and again for the same ones;
- ``upcoming_checkins`` and ``next_meeting`` at several ``--today`` s,
  in series that started years before (so the walk from ``starts`` is long);
- a case's build pattern, per cadence: one fresh ``Checkins`` (nothing
  cached for it yet) asked what one case's documents and calendar ask;

each for ``generator.schedule`` and for the hand-written date arithmetic that
``schedule.py`` held before it expanded a ``dateutil`` rule (copied below as
the baseline), with the ratio of the two measured in the same run. Both
must give the same dates: the script checks that before it times anything.
"""

from __future__ import annotations

import argparse
import calendar
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import partial
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import schedule  # noqa: E402
from generator.case import load_case  # noqa: E402
from generator.constants import WEEKDAYS  # noqa: E402
from generator.model import Case, Checkins  # noqa: E402

TODAYS = [date(2026, 11, 20), date(2027, 3, 20), date(2027, 6, 1), date(2029, 1, 1)]

SERIES = [
    {"cadence": "weekly", "weekday": "tuesday", "time": "10:00", "starts": "2026-11-03",
     "until": "2027-06-29"},
    {"cadence": "fortnightly", "weekday": "thursday", "time": "14:00", "starts": "2026-06-04",
     "until": "2027-06-24"},
    {"cadence": "monthly", "weekday": "thursday", "time": "15:30", "starts": "2026-11-26",
     "until": "2027-06-24"},
    # Open-ended series that began long ago: the longest walks.
    {"cadence": "weekly", "starts": "2021-01-05"},
    {"cadence": "fortnightly", "weekday": "friday", "starts": "2020-03-02"},
    {"cadence": "monthly", "starts": "2019-01-31"},
]  # fmt: skip

CASE = """\
id: bench
title: Bench case
timezone: Europe/London
client:
  organisation: Acme
  contacts: [{name: Dana Okafor, primary: true}]
team:
  members: [{name: Sam Rivera, lead: true}]
incident:
  summary: Slipped.
plan:
  milestones: [{id: m, title: M, due: 2026-12-04}]
"""


# -- the baseline: schedule.py's date arithmetic before it used dateutil ------------


def old_first_checkin(checkins: Checkins) -> date:
    if checkins.weekday is None:
        return checkins.starts
    target = WEEKDAYS.index(checkins.weekday)
    return checkins.starts + timedelta(days=(target - checkins.starts.weekday()) % 7)


def old_monthly_ordinal(first: date) -> int:
    n = (first.day - 1) // 7 + 1
    return -1 if n == 5 else n


def _old_nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    return days[n - 1] if n > 0 else days[-1]


def old_checkin_dates(checkins: Checkins) -> Iterator[date]:
    current = old_first_checkin(checkins)
    until = checkins.until
    if checkins.cadence == "monthly":
        ordinal = old_monthly_ordinal(current)
        year, month, weekday = current.year, current.month, current.weekday()
        while until is None or current <= until:
            yield current
            month += 1
            if month > 12:
                year, month = year + 1, 1
            current = _old_nth_weekday(year, month, weekday, ordinal)
        return
    step = timedelta(days=7 if checkins.cadence == "weekly" else 14)
    while until is None or current <= until:
        yield current
        current += step


def old_checkins_between(checkins: Checkins | None, start: date, end: date) -> list[date]:
    if checkins is None:
        return []
    out = []
    for day in old_checkin_dates(checkins):
        if day > end:
            break
        if day >= start:
            out.append(day)
    return out


def old_upcoming_checkins(case: Case, today: date, count: int = 6) -> list[date]:
    checkins = case.plan.checkins
    if checkins is None:
        return []
    out = []
    for day in old_checkin_dates(checkins):
        if day >= today:
            out.append(day)
            if len(out) == count:
                break
    return out


def old_next_checkin(case: Case, today: date) -> date | None:
    """The check-in part of the old ``next_meeting`` (no meetings are listed here)."""
    checkins = case.plan.checkins
    assert checkins is not None
    for day in old_checkin_dates(checkins):
        if day >= today:
            return day if old_checkins_between(checkins, day, day) else None
    return None


# -- the workload -------------------------------------------------------------------------


def cases(folder: Path) -> list[Case]:
    out = []
    for n, series in enumerate(SERIES):
        lines = "".join(f"    {key}: {value!r}\n" for key, value in series.items())
        path = folder / f"case{n}.yaml"
        path.write_text(CASE + "  checkins:\n" + lines.replace("'", '"'), encoding="utf-8")
        out.append(load_case(path).case)
    return out


def fresh(case: Case, n: int) -> Case:
    """The case with a ``Checkins`` equal in dates but new to any cache (its duration)."""
    checkins = case.plan.checkins
    assert checkins is not None
    new = checkins.model_copy(update={"duration": 1 + n % (24 * 60)})
    return case.model_copy(update={"plan": case.plan.model_copy(update={"checkins": new})})


class Impl:
    def __init__(self, dates, between, upcoming, next_checkin):
        self.dates, self.between, self.upcoming, self.next_checkin = (
            dates,
            between,
            upcoming,
            next_checkin,
        )


NEW = Impl(
    schedule.checkin_dates,
    schedule.checkins_between,
    schedule.upcoming_checkins,
    lambda case, today: (lambda m: m.date if m else None)(schedule.next_meeting(case, today)),
)
OLD = Impl(old_checkin_dates, old_checkins_between, old_upcoming_checkins, old_next_checkin)


def first_dates_of(all_cases: list[Case], impl: Impl, name: str) -> None:
    first_dates(impl, all_cases)


def first_dates(impl: Impl, all_cases: list[Case]) -> None:
    for case in all_cases:
        list(islice(impl.dates(case.plan.checkins), 60))


def fresh_dates(impl: Impl, some: list[Case], counter: list[int]) -> None:
    for case in some:
        counter[0] += 1
        list(islice(impl.dates(fresh(case, counter[0]).plan.checkins), 60))


def upcoming(impl: Impl, all_cases: list[Case]) -> None:
    for case in all_cases:
        for today in TODAYS:
            impl.upcoming(case, today)
            impl.next_checkin(case, today)


def build_pattern(impl: Impl, all_cases: list[Case], counter: list[int]) -> None:
    """What one case's documents ask, for a ``Checkins`` nothing has cached yet."""
    for case in all_cases:
        counter[0] += 1
        case = fresh(case, counter[0])
        today = TODAYS[counter[0] % len(TODAYS)]
        impl.next_checkin(case, today)  # brief, agenda, index
        impl.next_checkin(case, today)
        impl.upcoming(case, today)  # plan
        impl.between(case.plan.checkins, today - timedelta(days=90), today)  # history
        impl.between(case.plan.checkins, today, today + timedelta(days=90))  # timeline
        checkins = case.plan.checkins  # the calendar: its checked occurrences and meetings
        list(islice(impl.dates(checkins), 120))
        impl.between(checkins, checkins.starts, checkins.until or today)


def median_seconds(runs: int, repeat: int, func: Callable[[], None]) -> float:
    func()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(repeat):
            func()
        times.append((time.perf_counter() - started) / repeat)
    return statistics.median(times)


def check_same(all_cases: list[Case]) -> None:
    for case in all_cases:
        checkins = case.plan.checkins
        assert list(islice(NEW.dates(checkins), 400)) == list(islice(OLD.dates(checkins), 400))
        for today in TODAYS:
            assert NEW.upcoming(case, today) == OLD.upcoming(case, today), (checkins, today)
            assert NEW.next_checkin(case, today) == OLD.next_checkin(case, today)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        all_cases = cases(Path(folder))
    check_same(all_cases)
    print(f"{len(all_cases)} series, medians of {args.runs} runs of {args.repeat} rounds")
    counters = {"new": [0], "old": [0]}
    rows = []
    for cadence in ("weekly", "fortnightly", "monthly"):
        some = [c for c in all_cases if c.plan.checkins.cadence == cadence]
        rows.append(
            (
                f"checkin_dates, first 60, fresh {cadence}",
                lambda impl, name, some=some: fresh_dates(impl, some, counters[name]),
            )
        )
    rows += [
        ("checkin_dates, first 60 of each, cached", partial(first_dates_of, all_cases)),
        (
            f"upcoming_checkins + next_meeting at {len(TODAYS)} days",
            lambda impl, name: upcoming(impl, all_cases),
        ),
    ]
    for cadence in ("weekly", "fortnightly", "monthly"):
        some = [c for c in all_cases if c.plan.checkins.cadence == cadence]
        rows.append(
            (
                f"one case's documents, fresh {cadence}",
                lambda impl, name, some=some: build_pattern(impl, some, counters[name]),
            )
        )
    print(f"{'':44} {'before':>10} {'now':>10} {'ratio':>7}")
    for label, work in rows:
        old = median_seconds(args.runs, args.repeat, partial(work, OLD, "old"))
        new = median_seconds(args.runs, args.repeat, partial(work, NEW, "new"))
        print(f"{label:44} {old * 1e6:8.1f}µs {new * 1e6:8.1f}µs {new / old:6.2f}x")


if __name__ == "__main__":
    main()
