"""Dates a case implies: its check-in series and its next meeting.

Every document that names a date (the agenda's file name, the plan's
schedule, the calendar, the recap's "next check-in") asks this module, so
they cannot disagree. The series itself is defined once, as a
:class:`Recurrence`: the dates below are expanded from its ``dateutil``
rule, and the calendar writes its ``RRULE`` from the same fields, so the
schedule and what a calendar client shows cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Literal

from dateutil import rrule as du

from .constants import WEEKDAYS
from .model import Case, Checkins, Meeting


def first_checkin(checkins: Checkins) -> date:
    """The first check-in: the first ``weekday`` on or after ``starts``.

    Without a ``weekday`` the series falls on the weekday of ``starts``.
    """
    return recurrence(checkins).first


def monthly_ordinal(first: date) -> int:
    """Which weekday of the month a monthly series keeps: 1..4, or -1 for "last".

    A series that starts on the 5th Tuesday of a month continues on the last
    Tuesday, since most months have no fifth one.
    """
    n = (first.day - 1) // 7 + 1
    return -1 if n == 5 else n


@dataclass(frozen=True)
class Recurrence:
    """A check-in series in RFC 5545's terms, the one definition of its dates.

    weekly: ``FREQ=WEEKLY``; fortnightly: the same with ``INTERVAL=2``;
    monthly: ``FREQ=MONTHLY`` on the same weekday of the month as the first
    check-in (``BYDAY=4TH``, or ``-1TH`` from a fifth one). ``first`` is the
    series' start (``DTSTART``) and always one of its dates; ``until`` is
    the last day a check-in may fall on, inclusive.
    """

    freq: Literal[1, 2]  # dateutil.rrule.MONTHLY or WEEKLY
    interval: int
    weekday: int  # Monday is 0
    nth: int | None  # monthly: which weekday of the month (-1 for the last)
    first: date
    until: date | None

    @property
    def freq_name(self) -> str:
        """``WEEKLY`` or ``MONTHLY``, as ``RRULE`` spells ``FREQ``."""
        return du.FREQNAMES[self.freq]

    def rule(self) -> du.rrule:
        """The rule as dateutil expands it, on naive midnights (only dates matter here).

        ``cache=True``: the documents of a case walk the same series many
        times, and the rule then keeps what it has expanded.
        """
        return du.rrule(
            self.freq,
            dtstart=_midnight(self.first),
            interval=self.interval,
            byweekday=du.weekday(self.weekday, self.nth),
            until=None if self.until is None else _midnight(self.until),
            cache=True,
        )


@lru_cache(maxsize=1024)
def recurrence(checkins: Checkins) -> Recurrence:
    """The recurrence of a case's ``checkins``, from cadence, weekday, starts and until."""
    first = checkins.starts
    if checkins.weekday is not None:
        target = WEEKDAYS.index(checkins.weekday)
        first = date.fromordinal(first.toordinal() + (target - first.weekday()) % 7)
    monthly = checkins.cadence == "monthly"
    return Recurrence(
        freq=du.MONTHLY if monthly else du.WEEKLY,
        interval=2 if checkins.cadence == "fortnightly" else 1,
        weekday=first.weekday(),
        nth=monthly_ordinal(first) if monthly else None,
        first=first,
        until=checkins.until,
    )


@lru_cache(maxsize=1024)
def _rule(checkins: Checkins) -> du.rrule:
    """One expanding rule per series (``Checkins`` is frozen, so it can key a cache)."""
    return recurrence(checkins).rule()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0))


def checkin_dates(checkins: Checkins) -> Iterator[date]:
    """Every check-in date in order, until ``until`` (inclusive) or for ever."""
    for moment in _rule(checkins):
        yield moment.date()


def checkins_between(checkins: Checkins | None, start: date, end: date) -> list[date]:
    """Check-in dates from ``start`` to ``end``, both inclusive."""
    if checkins is None:
        return []
    found = _rule(checkins).between(_midnight(start), _midnight(end), inc=True)
    return [moment.date() for moment in found]


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


def next_meeting(case: Case, today: date, *, calls: bool = True) -> NextMeeting | None:
    """The earliest check-in or unheld meeting on or after ``today``.

    A listed meeting on a check-in date is that check-in; a check-in whose
    date already has a held meeting is over. Without ``calls``, a meeting
    of kind ``call`` is passed over: a call gets a brief but no agenda, and
    the agenda is for the next meeting that is not a call.
    """
    listed = {m.date: m for m in case.meetings}
    checkins = case.plan.checkins

    def skipped(day: date) -> bool:
        meeting = listed.get(day)
        return meeting is not None and (meeting.held or (not calls and meeting.kind == "call"))

    candidates: list[date] = [
        m.date for m in case.meetings if m.date >= today and not skipped(m.date)
    ]
    if checkins is not None:
        for day in checkin_dates(checkins):
            if day >= today and not skipped(day):
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
