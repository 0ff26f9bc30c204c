"""Check-in series and the next meeting."""

from __future__ import annotations

from datetime import date
from itertools import islice

from generator.model import Case, Checkins
from generator.schedule import checkin_dates, next_meeting

from .test_case import load


def series(**kwargs) -> list[date]:
    return list(islice(checkin_dates(Checkins(**kwargs)), 5))


def test_weekly_starts_on_the_first_weekday_on_or_after_starts():
    # 2026-11-22 is a Sunday; the first Tuesday after it is the 24th.
    assert series(cadence="weekly", weekday="tuesday", starts="2026-11-22") == [
        date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8), date(2026, 12, 15), date(2026, 12, 22)
    ]  # fmt: skip


def test_fortnightly_without_weekday_keeps_the_start_day():
    assert series(cadence="fortnightly", starts="2026-11-26")[:3] == [
        date(2026, 11, 26), date(2026, 12, 10), date(2026, 12, 24)
    ]  # fmt: skip


def test_monthly_keeps_the_nth_weekday():
    # 2026-11-26 is the 4th Thursday of November.
    assert series(cadence="monthly", weekday="thursday", starts="2026-11-26")[:3] == [
        date(2026, 11, 26), date(2026, 12, 24), date(2027, 1, 28)
    ]  # fmt: skip


def test_monthly_from_a_fifth_weekday_uses_the_last():
    # 2026-12-29 is the 5th Tuesday of December: continue on last Tuesdays.
    assert series(cadence="monthly", starts="2026-12-29")[:3] == [
        date(2026, 12, 29), date(2027, 1, 26), date(2027, 2, 23)
    ]  # fmt: skip


def test_until_is_inclusive():
    days = list(checkin_dates(Checkins(cadence="weekly", starts="2026-11-24", until="2026-12-08")))
    assert days == [date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8)]


def case_with(tmp_path, meetings: str, checkins: bool = True) -> Case:
    from .conftest import MINIMAL_CASE

    text = MINIMAL_CASE
    if checkins:
        text += "  checkins:\n    cadence: weekly\n    time: '10:00'\n    starts: 2026-11-24\n"
    return load(tmp_path, text + meetings).case


def test_next_meeting_is_the_next_checkin(tmp_path):
    nxt = next_meeting(case_with(tmp_path, ""), date(2026, 11, 25))
    assert nxt.date == date(2026, 12, 1) and nxt.is_checkin and nxt.meeting is None


def test_an_unheld_meeting_before_the_checkin_comes_first(tmp_path):
    meetings = "meetings:\n  - date: 2026-11-27\n    time: '15:00'\n    kind: review\n"
    nxt = next_meeting(case_with(tmp_path, meetings), date(2026, 11, 25))
    assert (nxt.date, nxt.kind, nxt.is_checkin) == (date(2026, 11, 27), "review", False)


def test_a_held_checkin_today_is_over(tmp_path):
    meetings = "meetings:\n  - date: 2026-11-24\n    summary: Done.\n"
    assert next_meeting(case_with(tmp_path, meetings), date(2026, 11, 24)).date == date(2026, 12, 1)


def test_a_listed_meeting_on_a_checkin_date_is_that_checkin(tmp_path):
    meetings = "meetings:\n  - date: 2026-12-01\n    kind: review\n"
    nxt = next_meeting(case_with(tmp_path, meetings), date(2026, 11, 25))
    assert nxt.date == date(2026, 12, 1) and nxt.kind == "review" and nxt.is_checkin


def test_no_checkins_and_no_meetings_means_no_next_meeting(tmp_path):
    assert next_meeting(case_with(tmp_path, "", checkins=False), date(2026, 11, 25)) is None
