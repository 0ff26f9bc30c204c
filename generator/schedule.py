"""Dates a case implies: its check-in series and its next meeting.

Every document that names a date (the agenda's file name, the plan's
schedule, the calendar, the recap's "next check-in") asks this module, so
they cannot disagree. The series itself is defined once, as a
:class:`Recurrence`: the dates below are expanded from its ``dateutil``
rule, and the calendar writes its ``RRULE`` from the same fields, so the
schedule and what a calendar client shows cannot drift apart.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
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


def on_series(checkins: Checkins | None, days: Iterable[date]) -> set[date]:
    """Which of ``days`` the check-ins fall on, from one walk of the series.

    Asking :func:`checkins_between` day by day walks the series from its
    start each time: for the meetings of a long case, that was most of the
    calendar's cost (bench/bench_calendar.py).
    """
    wanted = set(days)
    if checkins is None or not wanted:
        return set()
    return wanted.intersection(checkins_between(checkins, min(wanted), max(wanted)))


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


def moves(case: Case) -> dict[date, Meeting]:
    """Each moved check-in's date, and the meeting that ``replaces`` it."""
    return {m.replaces: m for m in case.meetings if m.replaces is not None}


def removed_checkins(case: Case) -> set[date]:
    """Check-in dates that leave the series: moved elsewhere, or cancelled.

    A cancelled meeting's date counts only where the check-ins fall on it;
    any cancelled meeting is left out of the candidates by itself.
    """
    removed = set(moves(case))
    removed.update(on_series(case.plan.checkins, (m.date for m in case.meetings if m.cancelled)))
    return removed


def next_meeting(case: Case, today: date, *, calls: bool = True) -> NextMeeting | None:
    """The earliest check-in or unheld meeting on or after ``today``.

    A listed meeting on a check-in date is that check-in; a check-in whose
    date already has a held meeting is over. Cancelled meetings, and the
    check-ins that a meeting moves or cancels, are not candidates; the
    meeting a check-in moved to is, and it is a check-in. Without ``calls``,
    a meeting of kind ``call`` is passed over too: a call gets a brief but
    no agenda, and the agenda is for the next meeting that is not a call.
    """
    listed = {m.date: m for m in case.meetings}
    checkins = case.plan.checkins
    removed = removed_checkins(case)

    def skipped(day: date) -> bool:
        meeting = listed.get(day)
        return meeting is not None and (meeting.held or (not calls and meeting.kind == "call"))

    candidates: list[date] = [
        m.date for m in case.meetings if not m.cancelled and m.date >= today and not skipped(m.date)
    ]
    if checkins is not None:
        for day in checkin_dates(checkins):
            if day >= today and day not in removed and not skipped(day):
                candidates.append(day)
                break
    if not candidates:
        return None
    day = min(candidates)
    meeting = listed.get(day)
    is_checkin = checkins is not None and (
        day in _checkin_set_near(checkins, day)
        or (meeting is not None and meeting.replaces is not None)
    )
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
    """The next few check-in dates of the series from ``today`` on, for schedules in documents.

    Moved and cancelled check-ins are not among them: :func:`changes` says
    what became of them.
    """
    checkins = case.plan.checkins
    if checkins is None:
        return []
    removed = removed_checkins(case)
    out = []
    for day in checkin_dates(checkins):
        if day >= today and day not in removed:
            out.append(day)
            if len(out) == count:
                break
    return out


_Day = date  # ``date`` is also a field's name below


@dataclass(frozen=True)
class Change:
    """A meeting that will not happen as planned: cancelled, or moved to another day."""

    date: date  # the date it was planned for
    kind: str
    cancelled: bool
    moved_to: _Day | None
    time: time | None  # the time of the meeting it moved to


def changes(case: Case, today: date) -> list[Change]:
    """What the plan and agenda say about moved and cancelled meetings still ahead.

    A move is ahead while either of its dates is; a moved meeting that was
    then cancelled is a cancellation of the check-in it moved; a check-in
    held at another time on its own day is a move to that time.
    """
    checkins = case.plan.checkins
    moved = moves(case)
    timed = on_series(
        checkins,
        (m.date for m in case.meetings if m.time is not None and m.date >= today),
    )
    out = []
    for meeting in case.meetings:
        if meeting.replaces is not None:
            if max(meeting.replaces, meeting.date) < today:
                continue
            out.append(
                Change(
                    date=meeting.replaces,
                    kind="check-in",
                    cancelled=meeting.cancelled,
                    moved_to=None if meeting.cancelled else meeting.date,
                    time=meeting.time or (checkins.time if checkins else None),
                )
            )
        elif meeting.cancelled and meeting.date >= today and meeting.date not in moved:
            out.append(Change(meeting.date, meeting.kind, True, None, None))
        elif (
            checkins is not None
            and meeting.date >= today
            and meeting.time is not None
            and checkins.time is not None
            and meeting.time != checkins.time
            and meeting.date not in moved
            and meeting.date in timed
        ):
            # Re-timed on its own day: for the client's calendar, a move.
            out.append(Change(meeting.date, meeting.kind, False, meeting.date, meeting.time))
    return sorted(out, key=lambda c: c.date)


def following_meeting(case: Case, day: date) -> tuple[date, time | None] | None:
    """The first check-in or listed meeting after ``day``, held or not.

    A recap names the meeting that came next *as seen on the day it was
    written*, so it does not change when later meetings are recorded.
    Cancelled meetings and moved or cancelled check-ins are skipped: the
    recap invites to a meeting that will take place.
    """
    checkins = case.plan.checkins
    removed = removed_checkins(case)
    candidates: dict[date, time | None] = {}
    for meeting in case.meetings:
        if meeting.date > day and not meeting.cancelled:
            candidates[meeting.date] = meeting.time
    if checkins is not None:
        for when in checkin_dates(checkins):
            if when > day and when not in removed:
                candidates.setdefault(when, checkins.time)
                break
    if not candidates:
        return None
    first = min(candidates)
    listed_time = candidates[first]
    return first, listed_time or (checkins.time if checkins else None)


def notice_days(case: Case) -> list[date]:
    """The planned dates of moved or cancelled meetings that a recap had invited to.

    A recap invites to the meeting that came next after it, so a change
    needs a notice when, as planned before any move or cancellation was
    recorded (no replacing meetings, none cancelled), the changed meeting
    was the one after the latest held meeting before it: no check-in and
    no listed meeting came between. Computed with bisection over sorted
    dates: a case may have hundreds of meetings.
    """
    changed = sorted({c.date for c in changes(case, date.min)})
    if not changed:
        return []
    held = [m.date for m in held_meetings(case)]
    planned = sorted(m.date for m in case.meetings if m.replaces is None)
    checkins = case.plan.checkins
    slots = checkins_between(checkins, min([*held, *changed]), changed[-1]) if held else []
    out = []
    for day in changed:
        i = bisect_left(held, day)
        if i == 0:
            continue
        after = held[i - 1]
        between = [
            d
            for dates in (planned, slots)
            for d in dates[bisect_right(dates, after) : bisect_left(dates, day)]
        ]
        if not between:
            out.append(day)
    return out
