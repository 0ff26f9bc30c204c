"""Dates a case implies: its check-in series and its next meeting.

Every document that names a date (the agenda's file name, the plan's
schedule, the calendar, the recap's "next check-in") asks this module, so
they cannot disagree.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta

from .case import Case, Checkins, Meeting
from .constants import WEEKDAYS


def first_checkin(checkins: Checkins) -> date:
    """The first check-in: the first ``weekday`` on or after ``starts``.

    Without a ``weekday`` the series falls on the weekday of ``starts``.
    """
    if checkins.weekday is None:
        return checkins.starts
    target = WEEKDAYS.index(checkins.weekday)
    return checkins.starts + timedelta(days=(target - checkins.starts.weekday()) % 7)


def monthly_ordinal(first: date) -> int:
    """Which weekday of the month a monthly series keeps: 1..4, or -1 for "last".

    A series that starts on the 5th Tuesday of a month continues on the last
    Tuesday, since most months have no fifth one.
    """
    n = (first.day - 1) // 7 + 1
    return -1 if n == 5 else n


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    return days[n - 1] if n > 0 else days[-1]


def checkin_dates(checkins: Checkins) -> Iterator[date]:
    """Every check-in date in order, until ``until`` (inclusive) or for ever.

    weekly: every 7 days; fortnightly: every 14 days; monthly: the same
    weekday of the month as the first one (e.g. the 4th Tuesday).
    """
    current = first_checkin(checkins)
    until = checkins.until
    if checkins.cadence == "monthly":
        ordinal = monthly_ordinal(current)
        year, month, weekday = current.year, current.month, current.weekday()
        while until is None or current <= until:
            yield current
            month += 1
            if month > 12:
                year, month = year + 1, 1
            current = _nth_weekday(year, month, weekday, ordinal)
        return
    step = timedelta(days=7 if checkins.cadence == "weekly" else 14)
    while until is None or current <= until:
        yield current
        current += step


def checkins_between(checkins: Checkins | None, start: date, end: date) -> list[date]:
    """Check-in dates from ``start`` to ``end``, both inclusive."""
    if checkins is None:
        return []
    out = []
    for day in checkin_dates(checkins):
        if day > end:
            break
        if day >= start:
            out.append(day)
    return out


def meetings_by_date(case: Case) -> list[Meeting]:
    """The meetings in date order: the file may list them in any order."""
    return sorted(case.meetings, key=lambda m: m.date)


def held_meetings(case: Case) -> list[Meeting]:
    return [m for m in meetings_by_date(case) if m.held]


@dataclass(frozen=True)
class NextMeeting:
    """The meeting the agenda and brief are for."""

    date: date
    time: time | None
    kind: str
    duration: int
    channel: str | None
    link: str | None
    meeting: Meeting | None  # the listed meeting, when there is one
    is_checkin: bool


def next_meeting(case: Case, today: date) -> NextMeeting | None:
    """The earliest check-in or unheld meeting on or after ``today``.

    A listed meeting on a check-in date is that check-in; a check-in whose
    date already has a held meeting is over.
    """
    listed = {m.date: m for m in case.meetings}
    checkins = case.plan.checkins
    candidates: list[date] = [m.date for m in case.meetings if not m.held and m.date >= today]
    if checkins is not None:
        for day in checkin_dates(checkins):
            if day >= today and not (day in listed and listed[day].held):
                candidates.append(day)
                break
    if not candidates:
        return None
    day = min(candidates)
    meeting = listed.get(day)
    is_checkin = checkins is not None and day in _checkin_set_near(checkins, day)
    return NextMeeting(
        date=day,
        time=(meeting.time if meeting and meeting.time else None)
        or (checkins.time if checkins and is_checkin else None),
        kind=meeting.kind if meeting else "check-in",
        duration=checkins.duration if checkins else 30,
        channel=checkins.channel if checkins else None,
        link=checkins.link if checkins else None,
        meeting=meeting,
        is_checkin=is_checkin,
    )


def _checkin_set_near(checkins: Checkins, day: date) -> set[date]:
    return set(checkins_between(checkins, day, day))


def upcoming_checkins(case: Case, today: date, count: int = 6) -> list[date]:
    """The next few check-in dates from ``today`` on, for schedules in documents."""
    checkins = case.plan.checkins
    if checkins is None:
        return []
    out = []
    for day in checkin_dates(checkins):
        if day >= today:
            out.append(day)
            if len(out) == count:
                break
    return out


def following_meeting(case: Case, day: date) -> tuple[date, time | None] | None:
    """The first check-in or listed meeting after ``day``, held or not.

    A recap names the meeting that came next *as seen on the day it was
    written*, so it does not change when later meetings are recorded.
    """
    checkins = case.plan.checkins
    candidates: dict[date, time | None] = {}
    for meeting in case.meetings:
        if meeting.date > day:
            candidates[meeting.date] = meeting.time
    if checkins is not None:
        for when in checkin_dates(checkins):
            if when > day:
                candidates.setdefault(when, checkins.time)
                break
    if not candidates:
        return None
    first = min(candidates)
    listed_time = candidates[first]
    return first, listed_time or (checkins.time if checkins else None)
