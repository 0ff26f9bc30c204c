"""iCalendar: the check-in series, and single invitations for recap emails.

The series is one ``VEVENT`` with an ``RRULE`` built from the cadence, in
the case's timezone with its ``VTIMEZONE``, so that Google Calendar and
Outlook show it as one recurring meeting. Meetings that moved off the
cadence are events of their own; a check-in moved to another time on its
day is an override of that occurrence (``RECURRENCE-ID``). Nothing depends
on the clock: UIDs come from the case, ``DTSTAMP`` from the series' start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

from .. import __version__
from ..case import WEEKDAYS, Case, Checkins
from ..documents import Document
from ..schedule import checkins_between, first_checkin, monthly_ordinal
from . import BuildContext, Source

PRODID = f"-//mend//mend {__version__}//EN"
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _uid(kind: str, case: Case, day: date | None = None) -> str:
    suffix = f"-{day.isoformat()}" if day else ""
    return f"{kind}{suffix}-{case.id}@mend.invalid"


def _start(day: date, at: time | None, tz: ZoneInfo) -> date | datetime:
    return day if at is None else datetime.combine(day, at, tzinfo=tz)


def rrule(checkins: Checkins, tz: ZoneInfo) -> dict[str, object]:
    """The recurrence rule of a check-in series, as schedule.py computes it."""
    first = first_checkin(checkins)
    rule: dict[str, object] = {}
    if checkins.cadence == "monthly":
        ordinal = monthly_ordinal(first)
        rule["FREQ"] = "MONTHLY"
        rule["BYDAY"] = f"{ordinal}{DAY_CODES[first.weekday()]}"
    else:
        rule["FREQ"] = "WEEKLY"
        if checkins.cadence == "fortnightly":
            rule["INTERVAL"] = 2
        rule["BYDAY"] = DAY_CODES[first.weekday()]
    if checkins.until is not None:
        if checkins.time is None:
            rule["UNTIL"] = checkins.until
        else:  # RFC 5545: UNTIL is in UTC when DTSTART has a TZID
            end = datetime.combine(checkins.until, time(23, 59, 59), tzinfo=tz)
            rule["UNTIL"] = end.astimezone(UTC)
    return rule


def _describe(case: Case, channel: str | None, link: str | None) -> str:
    us = case.team.organisation or case.lead.name
    lines = [f"Recovery check-in: {case.title}", f"{case.client.organisation} and {us}."]
    if channel:
        lines.append(f"Channel: {channel}")
    if link:
        lines.append(f"Join: {link}")
    return "\n".join(lines)


def _event(
    case: Case,
    uid: str,
    summary: str,
    start: date | datetime,
    minutes: int,
    stamp: datetime,
    channel: str | None,
    link: str | None,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add(
        "duration",
        timedelta(days=1) if not isinstance(start, datetime) else timedelta(minutes=minutes),
    )
    if channel:
        event.add("location", channel)
    if link:
        event.add("url", link)
    event.add("description", _describe(case, channel, link))
    event.add("transp", "OPAQUE")
    return event


def _calendar(method: str, name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    return cal


def _with_timezone(cal: icalendar.Calendar, tz: str, first: date, last: date) -> icalendar.Calendar:
    if tz != "UTC":
        cal.add_missing_timezones(
            first_date=first - timedelta(days=366), last_date=last + timedelta(days=366)
        )
    return cal


def series_calendar(case: Case) -> icalendar.Calendar:
    """The whole check-in series, plus meetings off the cadence."""
    checkins = case.plan.checkins
    assert checkins is not None and case.timezone is not None
    tz = ZoneInfo(case.timezone)
    first = first_checkin(checkins)
    stamp = datetime.combine(checkins.starts, time(0, 0), tzinfo=UTC)
    summary = f"Check-in: {case.client.organisation} · {case.title}"
    cal = _calendar("PUBLISH", f"Check-ins: {case.title}")
    series_uid = _uid("checkins", case)
    series = _event(
        case,
        series_uid,
        summary,
        _start(first, checkins.time, tz),
        checkins.duration,
        stamp,
        checkins.channel,
        checkins.link,
    )
    series.add("rrule", rrule(checkins, tz))
    cal.add_component(series)

    last = max([first, checkins.until or first, *(m.date for m in case.meetings)])
    on_cadence = set(checkins_between(checkins, first, last))
    for meeting in sorted(case.meetings, key=lambda m: m.date):
        title = f"{meeting.kind.replace('-', ' ').capitalize()}: {case.client.organisation} · {case.title}"
        if meeting.date in on_cadence:
            if meeting.time is None or meeting.time == checkins.time or checkins.time is None:
                continue
            moved = _event(
                case,
                series_uid,
                title,
                _start(meeting.date, meeting.time, tz),
                checkins.duration,
                stamp,
                checkins.channel,
                checkins.link,
            )
            moved.add("recurrence-id", _start(meeting.date, checkins.time, tz))
            cal.add_component(moved)
        else:
            at = meeting.time or checkins.time
            cal.add_component(
                _event(
                    case,
                    _uid("meeting", case, meeting.date),
                    title,
                    _start(meeting.date, at, tz),
                    checkins.duration,
                    stamp,
                    checkins.channel,
                    checkins.link,
                )
            )
    return _with_timezone(cal, case.timezone, first, last)


def invitation(case: Case, day: date, at: time | None) -> icalendar.Calendar:
    """One check-in as an invitation (``METHOD:REQUEST``) for a recap email."""
    assert case.timezone is not None
    tz = ZoneInfo(case.timezone)
    checkins = case.plan.checkins
    minutes = checkins.duration if checkins else 30
    channel = checkins.channel if checkins else None
    link = checkins.link if checkins else None
    stamp = datetime.combine(day, time(0, 0), tzinfo=UTC)
    cal = _calendar("REQUEST", f"Check-in: {case.title}")
    event = _event(
        case,
        _uid("checkin", case, day),
        f"Check-in: {case.client.organisation} · {case.title}",
        _start(day, at, tz),
        minutes,
        stamp,
        channel,
        link,
    )
    lead = case.lead
    if lead.email:
        event.add("organizer", f"mailto:{lead.email}", parameters={"CN": lead.name})
    for person in [*case.client.contacts, *case.team.members]:
        if person.email and person.email != lead.email:
            event.add(
                "attendee",
                f"mailto:{person.email}",
                parameters={
                    "CN": person.name,
                    "ROLE": "REQ-PARTICIPANT",
                    "PARTSTAT": "NEEDS-ACTION",
                    "RSVP": "TRUE",
                },
            )
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    cal.add_component(event)
    return _with_timezone(cal, case.timezone, day, day)


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes:
    return series_calendar(source.case).to_ical()


__all__ = ["WEEKDAYS", "invitation", "rrule", "series_calendar", "write"]
