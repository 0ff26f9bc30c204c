"""The check-in calendar, parsed back with icalendar and expanded."""

from __future__ import annotations

from datetime import date, datetime, time
from itertools import islice
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

from generator.build import build
from generator.schedule import checkin_dates

from .conftest import FULL_CASE, TODAY, make_workspace
from .test_case import load


def calendar_of(tmp_path, text: str) -> icalendar.Calendar:
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    assert build(ws, today=TODAY, formats=("ics",)).ok
    return icalendar.Calendar.from_ical((ws / "output" / "acme" / "checkins.ics").read_bytes())


def occurrences(event: icalendar.Event, count: int) -> list[datetime]:
    start = event.decoded("dtstart")
    rule = event["rrule"].to_ical().decode()
    return list(islice(rrulestr(rule, dtstart=start), count))


@pytest.mark.parametrize(
    "checkins",
    [
        "cadence: weekly\n    weekday: tuesday\n    time: '10:00'\n    starts: 2026-11-10\n    until: 2027-01-26",
        "cadence: fortnightly\n    time: '16:30'\n    starts: 2026-11-12",
        "cadence: monthly\n    weekday: thursday\n    time: '09:15'\n    starts: 2026-11-26\n    until: 2027-11-30",
        "cadence: monthly\n    time: '09:00'\n    starts: 2026-12-29",
    ],
)
def test_series_expands_to_the_dates_mend_computes(tmp_path, checkins):
    text = FULL_CASE.split("  checkins:\n")[0] + "  checkins:\n    " + checkins + "\n"
    cal = calendar_of(tmp_path, text)
    case = load(tmp_path, text).case
    events = [c for c in cal.walk("VEVENT")]
    series = [e for e in events if "RRULE" in e]
    assert len(series) == 1
    expected = list(islice(checkin_dates(case.plan.checkins), 40))
    got = occurrences(series[0], 40)
    assert [d.date() for d in got[: len(expected)]] == expected
    assert all(d.tzinfo is not None and d.time() == case.plan.checkins.time for d in got)


def test_calendar_fields(tmp_path):
    cal = calendar_of(tmp_path, FULL_CASE)
    assert cal["VERSION"] == "2.0" and cal["METHOD"] == "PUBLISH" and "mend" in cal["PRODID"]
    (tz,) = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/London"
    (series,) = [e for e in cal.walk("VEVENT") if "RRULE" in e]
    assert series["UID"] == "checkins-acme@mend.invalid"
    assert series.decoded("dtstart") == datetime(
        2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Europe/London")
    )
    assert series.decoded("duration").total_seconds() == 30 * 60
    assert series["LOCATION"] == "video call" and series["URL"] == "https://meet.example/acme"
    until = series["RRULE"]["UNTIL"][0]
    assert until.tzinfo is not None and until.astimezone(ZoneInfo("Europe/London")).date() == date(
        2027, 1, 26
    )


def test_meetings_off_the_cadence_are_their_own_events(tmp_path):
    text = FULL_CASE.replace(
        "  - date: 2026-11-24\n    kind: check-in",
        "  - date: 2026-11-24\n    time: '15:00'\n    kind: check-in\n  - date: 2026-11-27\n    time: '11:00'\n    kind: review",
    )
    cal = calendar_of(tmp_path, text)
    events = {(str(e["UID"]), e.get("RECURRENCE-ID") is not None): e for e in cal.walk("VEVENT")}
    extra = events[("meeting-2026-11-27-acme@mend.invalid", False)]
    assert extra.decoded("dtstart") == datetime(
        2026, 11, 27, 11, 0, tzinfo=ZoneInfo("Europe/London")
    )
    moved = events[("checkins-acme@mend.invalid", True)]
    assert moved.decoded("recurrence-id") == datetime(
        2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/London")
    )
    assert moved.decoded("dtstart").time() == time(15, 0)


def test_all_day_series_without_a_time(tmp_path):
    text = FULL_CASE.replace('    time: "10:00"\n    duration: 30\n', "")
    (series,) = [e for e in calendar_of(tmp_path, text).walk("VEVENT") if "RRULE" in e]
    assert series.decoded("dtstart") == date(2026, 11, 10)


def test_calendar_is_byte_identical_on_rebuild(tmp_path):
    one = calendar_of(tmp_path / "a", FULL_CASE).to_ical()
    two = calendar_of(tmp_path / "b", FULL_CASE).to_ical()
    assert one == two
