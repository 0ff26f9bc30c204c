"""iCalendar: the check-in series, and one check-in as an invitation or a notice.

The series is one ``VEVENT`` with an ``RRULE`` written from the
``schedule.Recurrence`` the schedule's dates are expanded from, in the
case's timezone, so that Google Calendar and Outlook show one recurring
meeting rather than dozens of loose ones. Meetings off the cadence are events
of their own; a check-in held at another time on its day, or moved to
another day (``replaces``), overrides that one occurrence
(``RECURRENCE-ID``), and a cancelled one is an ``EXDATE``. Every file that
names a check-in (the series, a recap's invitation, a notice) writes the
same event for it: :class:`Occurrence`. Nothing depends on the clock: UIDs
derive from the case, and ``SEQUENCE`` and ``DTSTAMP`` from the ledger of
what was written before (:mod:`generator.published`) and ``--today``, so a
rebuild gives the same bytes.

Every ``TZID`` comes with a ``VTIMEZONE``. We write it the way Google and
Apple do, as yearly ``RRULE`` s from the zone's current rule, because
Outlook ignores ``RDATE`` lists in a ``VTIMEZONE`` and then shifts every
occurrence past a daylight-saving change by an hour, which is exactly what
a weekly series crossing October would hit. Only when the current rule does
not describe the events (a zone that changed its rules, or one whose rule
RRULE cannot express) do we fall back to icalendar's explicit transitions.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from .. import __version__
from ..documents import Document
from ..i18n import KINDS, N_, Language, get_language, upfirst
from ..model import Case, Checkins, Meeting
from ..published import Ledger, Version, content_hash
from ..schedule import (
    checkin_dates,
    checkins_between,
    first_checkin,
    moves,
    on_series,
    recurrence,
    removed_checkins,
)
from . import BuildContext, Source

PRODID = f"-//mend//mend {__version__}//EN"
#: RFC 5545 weekday codes, in Python's order (Monday is 0).
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: icalendar folds a content line that reaches this many bytes (RFC 5545 3.1: 75
#: octets, the line break excluded).
FOLD_AT = 75
#: How many occurrences of an open-ended series to check the timezone against.
CHECKED_OCCURRENCES = 120


# -- the check-in series --------------------------------------------------------------


def rrule(checkins: Checkins, tz: ZoneInfo) -> icalendar.vRecur:
    """The ``RRULE`` of a check-in series, from the :class:`Recurrence` the schedule expands.

    Only the spelling is decided here: ``FREQ``, ``INTERVAL`` (when not 1)
    and ``BYDAY`` (``TU``, or ``4TU`` in a monthly series) are the rule's
    own fields. ``UNTIL`` is a date for an all-day series and a UTC time
    otherwise, as RFC 5545 requires when ``DTSTART`` carries a ``TZID``; it
    is the end of the ``until`` day, so a check-in on that day is included.
    """
    series = recurrence(checkins)
    rule = icalendar.vRecur(FREQ=series.freq_name)
    if series.interval != 1:
        rule["INTERVAL"] = series.interval
    day = DAY_CODES[series.weekday]
    rule["BYDAY"] = day if series.nth is None else f"{series.nth}{day}"
    if series.until is not None:
        if checkins.time is None:
            rule["UNTIL"] = series.until
        else:
            end = datetime.combine(series.until, time(23, 59, 59), tzinfo=tz)
            rule["UNTIL"] = end.astimezone(UTC)
    return rule


def series_uid(case: Case) -> str:
    """The UID of the check-in series, and of every occurrence of it in any file."""
    return f"checkins-{case.id}@mend.invalid"


def meeting_uid(case: Case, day: date) -> str:
    """The UID of a meeting that is no check-in (a review off the cadence, say)."""
    return f"meeting-{day.isoformat()}-{case.id}@mend.invalid"


@dataclass(frozen=True)
class Occurrence:
    """One meeting as an event: the same UID and RECURRENCE-ID in every file that names it.

    An occurrence of the series carries the series' UID and, as
    ``RECURRENCE-ID``, the start the series gives it, so a calendar that
    holds the series shows an invitation to it, a move or a cancellation as
    that one occurrence, not as a second meeting. ``plain`` says it is what
    the series alone would say (nothing to override).
    """

    uid: str
    recurrence_id: date | datetime | None
    start: date | datetime
    kind: str
    cancelled: bool
    plain: bool

    @property
    def key(self) -> str:
        """Its key in the ledger: the UID, and the RECURRENCE-ID when it has one."""
        rid = self.recurrence_id
        return self.uid if rid is None else f"{self.uid}|{rid.isoformat()}"


def occurrence(
    case: Case,
    day: date,
    *,
    listed_by_date: dict[date, Meeting] | None = None,
    on_cadence: set[date] | None = None,
) -> Occurrence:
    """The meeting that takes place (or was to) on ``day``, as its event.

    A meeting that ``replaces`` a check-in is that check-in's occurrence,
    moved; a listed meeting on a check-in date is that occurrence, at its
    own time; any other listed meeting is an event of its own. The whole
    calendar passes the meetings by date and the check-in dates it has
    already found, which spares a walk of each for every meeting.
    """
    assert case.timezone is not None
    tz = ZoneInfo(case.timezone)
    checkins = case.plan.checkins
    if listed_by_date is None:
        listed_by_date = {m.date: m for m in case.meetings}
    listed = listed_by_date.get(day)
    at = checkins.time if checkins else None
    own = listed.time if listed is not None and listed.time is not None else at
    cancelled = listed is not None and listed.cancelled
    if checkins is not None and listed is not None and listed.replaces is not None:
        return Occurrence(
            series_uid(case),
            _start(listed.replaces, at, tz),
            _start(day, own, tz),
            listed.kind,
            cancelled,
            plain=False,
        )
    slot = day in on_cadence if on_cadence is not None else bool(on_series(checkins, [day]))
    if checkins is not None and slot:
        rid, start = _start(day, at, tz), _start(day, own, tz)
        plain = start == rid and not cancelled
        kind = "check-in" if plain or listed is None else listed.kind
        return Occurrence(series_uid(case), rid, start, kind, cancelled, plain)
    kind = listed.kind if listed is not None else "check-in"
    return Occurrence(
        meeting_uid(case, day), None, _start(day, own, tz), kind, cancelled, not cancelled
    )


def changed_occurrence(case: Case, day: date) -> Occurrence:
    """The event of the meeting planned for ``day`` that was moved or cancelled (a notice's)."""
    mover = moves(case).get(day)
    return occurrence(case, mover.date if mover is not None else day)


def series_calendar(
    case: Case, ledger: Ledger, today: date, lang: Language | None = None
) -> icalendar.Calendar:
    """The whole check-in series, its moved and re-timed occurrences, and the other meetings.

    A moved occurrence is an override of the series (``RECURRENCE-ID``)
    that starts on its new day; a cancelled check-in is an ``EXDATE`` of
    the series, which every calendar honours on import (Google writes a
    cancelled occurrence that way too), and the notice to the people
    invited carries the cancellation itself. A cancelled meeting off the
    cadence is left out. An occurrence that was once published changed and
    now says what the series says is still written, so that its newer
    version replaces the changed one a calendar may hold.
    """
    checkins = case.plan.checkins
    assert checkins is not None and case.timezone is not None
    lang = lang or get_language(case.language)
    tz = ZoneInfo(case.timezone)
    first = first_checkin(checkins)
    uid = series_uid(case)
    cal = _calendar("PUBLISH", lang.gettext(N_("Check-ins: %(title)s")) % {"title": case.title})
    moved = moves(case)
    removed = removed_checkins(case)
    cancelled = sorted(d for d in removed if d not in moved or moved[d].cancelled)
    exdates = [_start(d, checkins.time, tz) for d in cancelled]
    series = _event(
        case,
        Occurrence(
            uid, None, _start(first, checkins.time, tz), "check-in", False, plain=not exdates
        ),
        ledger,
        today,
        lang,
        rule=rrule(checkins, tz),
        exdates=exdates,
    )
    cal.add_component(series)

    dates = [m.date for m in case.meetings] + list(moved)
    last = max([first, checkins.until or first, *dates])
    on_cadence = set(checkins_between(checkins, first, last))
    moments = [d for d in [_start(first, checkins.time, tz)] if isinstance(d, datetime)]
    if checkins.time is not None:
        moments += (
            datetime.combine(day, checkins.time, tzinfo=tz)
            for day in islice(checkin_dates(checkins), CHECKED_OCCURRENCES)
        )
    written: set[str] = set()
    by_date = {m.date: m for m in case.meetings}
    for meeting in sorted(case.meetings, key=lambda m: m.date):
        if meeting.cancelled:
            continue  # an EXDATE, or no event: the notice says it
        if meeting.replaces is None and meeting.date in removed:
            continue
        event = occurrence(case, meeting.date, listed_by_date=by_date, on_cadence=on_cadence)
        if event.plain and event.recurrence_id is not None:
            continue  # it is that occurrence of the series, as it stands
        cal.add_component(_event(case, event, ledger, today, lang))
        written.add(event.key)
        for moment in (event.start, event.recurrence_id):
            if isinstance(moment, datetime):
                moments.append(moment)
    for key in ledger.changed(f"{uid}|"):
        day = date.fromisoformat(key.split("|", 1)[1][:10])
        event = occurrence(case, day, listed_by_date=by_date, on_cadence=on_cadence)
        if key in written or event.key != key or day not in on_cadence or day in removed:
            continue
        cal.add_component(_event(case, event, ledger, today, lang))
    _add_timezone(cal, case.timezone, moments)
    return cal


@dataclass(frozen=True)
class Invitation:
    """One meeting's calendar as a message attaches it."""

    ical: bytes
    #: The event's ``DTSTAMP``, which dates a notice.
    stamp: datetime


def invitation(
    case: Case,
    event: Occurrence,
    ledger: Ledger,
    today: date,
    *,
    method: str = "REQUEST",
    lang: Language | None = None,
) -> Invitation:
    """One meeting as an invitation to attach to a recap or a notice.

    ``METHOD:REQUEST`` for an invitation or an update, ``METHOD:CANCEL``
    for a cancellation. The organiser is the team lead and every other
    person with an email is an attendee, which is what makes a mail client
    offer to add it. The event is the one :func:`series_calendar` writes
    for that meeting (same UID, RECURRENCE-ID, SEQUENCE and stamp), so
    every file that names a meeting leaves one entry in a calendar.

    Only the event is composed each time. The calendar's own lines and
    its ``VTIMEZONE`` are the same for every invitation of a case and a
    zone, so they are serialised once and their bytes spliced around the
    event's: icalendar writes a calendar as its own lines then each
    component's, every line ended by CRLF, so these are the bytes of the
    whole ``Calendar.to_ical()`` (tests/test_ics.py compares them).
    """
    assert case.timezone is not None
    lang = lang or get_language(case.language)
    label = N_("Cancelled: %(title)s") if method == "CANCEL" else N_("Check-in: %(title)s")
    vevent = _event(case, event, ledger, today, lang)
    lead = case.lead
    if lead.email:
        vevent.add("organizer", f"mailto:{lead.email}", parameters={"CN": lead.name})
    for person in [*case.client.contacts, *case.team.members]:
        if person.email and person is not lead:
            vevent.add(
                "attendee",
                f"mailto:{person.email}",
                parameters={
                    "CN": person.name,
                    "CUTYPE": "INDIVIDUAL",
                    "ROLE": "REQ-PARTICIPANT",
                    "PARTSTAT": "NEEDS-ACTION",
                    "RSVP": "TRUE",
                },
            )
    zone = b""
    if _uses_timezone(vevent):
        moments = [m for m in (event.start, event.recurrence_id) if isinstance(m, datetime)]
        spec = _timezone_spec(case.timezone, moments)
        zone = _timezone_ical(spec) if spec is not None else b""
    frame = _frame_ical(method, lang.gettext(label) % {"title": case.title})
    return Invitation(frame + zone + to_ical(vevent) + _END, vevent.decoded("dtstamp"))


def write(doc: Document, source: Source, ctx: BuildContext) -> bytes:
    """``checkins.ics``: the series, from the client view of the case."""
    return to_ical(series_calendar(source.case, ctx.ledger, ctx.today, source.view["i18n"]))


def to_ical(component: icalendar.cal.Component) -> bytes:
    """``component.to_ical()``, folding each long line once.

    icalendar folds every content line character by character, counting
    UTF-8 bytes, which is a third of what writing an invitation costs. A
    line under 75 bytes comes out of it as it went in, so it is not folded;
    a longer one (a description, an attendee with their parameters) is the
    same in every invitation of a case, so its folding is kept by its text
    (tests/test_ics.py compares the two on any text).
    """
    lines = []
    for line in component.content_lines():
        if line:
            data = line.encode("utf-8")
            lines.append(data if len(data) < FOLD_AT else _folded(str(line)))
    return b"\r\n".join(lines) + b"\r\n"


@functools.lru_cache(maxsize=1024)
def _folded(line: str) -> bytes:
    """A long content line as icalendar folds it: a function of the line's text alone."""
    return icalendar.parser.Contentline(line).to_ical()


# -- events ---------------------------------------------------------------------------


_END = b"END:VCALENDAR\r\n"


@functools.lru_cache(maxsize=256)
def _frame_ical(method: str, name: str) -> bytes:
    """A calendar's own lines, before its components: ``Calendar.to_ical()`` without the end."""
    data = to_ical(_calendar(method, name))
    assert data.endswith(_END)
    return data[: -len(_END)]


def _calendar(method: str, name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add("x-wr-calname", name)
    return cal


def _start(day: date, at: time | None, tz: ZoneInfo) -> date | datetime:
    """A timed start in the case's timezone, or the day itself for an all-day event."""
    return day if at is None else datetime.combine(day, at, tzinfo=tz)


def _summary(case: Case, kind: str, lang: Language) -> str:
    return lang.gettext(N_("%(kind)s: %(client)s – %(title)s")) % {
        "kind": upfirst(lang.phrase(KINDS, kind)),
        "client": case.client.organisation,
        "title": case.title,
    }


def _where(case: Case) -> tuple[str | None, str | None]:
    checkins = case.plan.checkins
    return (checkins.channel, checkins.link) if checkins else (None, None)


def _description(case: Case, lang: Language) -> str:
    channel, link = _where(case)
    us = case.team.organisation or case.lead.name
    _ = lang.gettext
    lines = [
        case.title,
        _(N_("A recovery check-in between %(client)s and %(us)s."))
        % {"client": case.client.organisation, "us": us},
    ]
    if channel:
        lines.append(_(N_("How: %(channel)s")) % {"channel": channel})
    if link:
        lines.append(_(N_("Join: %(link)s")) % {"link": link})
    lead = case.lead
    if lead.email:
        lines.append(
            _(N_("Questions or a clash: %(name)s <%(email)s>"))
            % {"name": lead.name, "email": lead.email}
        )
    return "\n".join(lines)


def _base_day(case: Case) -> date:
    """The stamp of a version 0, and the day the ledger's floor counts from."""
    checkins = case.plan.checkins
    if checkins is not None:
        return checkins.starts
    return min((m.date for m in case.meetings), default=date(1970, 1, 1))


def _what(
    case: Case,
    occ: Occurrence,
    rule: icalendar.vRecur | None,
    exdates: list[date | datetime] | None,
    lang: Language,
) -> list[tuple[str, str]]:
    """Everything an event says but its version, for the ledger's hash.

    Read from the values the event is composed from rather than from its
    serialisation, which costs a fold of every line: with the event
    written once instead of twice, a calendar of many moves is built in
    under half the time (bench/bench_calendar.py).
    """
    checkins = case.plan.checkins
    channel, link = _where(case)
    return [
        ("uid", occ.uid),
        ("tz", case.timezone or ""),
        ("rid", occ.recurrence_id.isoformat() if occ.recurrence_id is not None else ""),
        ("start", occ.start.isoformat()),
        ("minutes", str(checkins.duration if checkins else 30)),
        ("summary", _summary(case, occ.kind, lang)),
        ("channel", channel or ""),
        ("link", link or ""),
        ("description", _description(case, lang)),
        ("status", "CANCELLED" if occ.cancelled else "CONFIRMED"),
        ("rrule", rule.to_ical().decode() if rule is not None else ""),
        ("exdate", ",".join(d.isoformat() for d in exdates or ())),
    ]


def _event(
    case: Case,
    occ: Occurrence,
    ledger: Ledger,
    today: date,
    lang: Language,
    *,
    rule: icalendar.vRecur | None = None,
    exdates: list[date | datetime] | None = None,
) -> icalendar.Event:
    """One event with what every client needs: times, place, link, description.

    Its ``SEQUENCE`` and ``DTSTAMP`` come from the ledger, by a hash of
    everything else it says, so an unchanged event is written as before
    and a changed one outranks every earlier version. ``DTEND`` rather than
    ``DURATION``: older Outlook versions read only the former and show a
    zero-length event otherwise.
    """
    digest = content_hash(_what(case, occ, rule, exdates, lang))
    version = ledger.version(occ.key, digest, plain=occ.plain, first=_base_day(case), today=today)
    return _compose(case, occ, version, rule, exdates, lang)


def _compose(
    case: Case,
    occ: Occurrence,
    version: Version,
    rule: icalendar.vRecur | None,
    exdates: list[date | datetime] | None,
    lang: Language,
) -> icalendar.Event:
    checkins = case.plan.checkins
    minutes = checkins.duration if checkins else 30
    channel, link = _where(case)
    start = occ.start
    event = icalendar.Event()
    event.add("uid", occ.uid)
    event.add("dtstamp", version.stamp)
    if occ.recurrence_id is not None:
        event.add("recurrence-id", occ.recurrence_id)
    event.add("summary", _summary(case, occ.kind, lang))
    event.add("dtstart", start)
    if isinstance(start, datetime):
        event.add("dtend", start + timedelta(minutes=minutes))
    else:
        event.add("dtend", start + timedelta(days=1))
    location = ": ".join(part for part in (channel, link) if part)
    if location:
        event.add("location", location)
    if link:
        event.add("url", link)
    event.add("description", _description(case, lang))
    event.add("sequence", version.sequence)
    event.add("status", "CANCELLED" if occ.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if rule is not None:
        event.add("rrule", rule)
    for day in exdates or ():
        event.add("exdate", day)
    return event


# -- VTIMEZONE ----------------------------------------------------------------------------


def _add_timezone(cal: icalendar.Calendar, key: str, moments: Iterable[datetime]) -> None:
    """Add the ``VTIMEZONE`` the events' ``TZID`` refer to, before the events.

    UTC needs none: icalendar writes UTC times with a ``Z``.
    """
    if key == "UTC" or not cal.get_missing_tzids():
        return
    spec = _timezone_spec(key, moments)
    component = _timezone(spec) if spec is not None else None
    if component is not None:
        cal.subcomponents.insert(0, component)


def _uses_timezone(component: icalendar.cal.Component) -> bool:
    """Whether a component names a ``TZID`` other than UTC (``Calendar.get_missing_tzids``)."""
    return any(
        value.params.get("TZID") not in (None, "UTC")
        for _, value in component.property_items(sorted=False)
        if hasattr(value, "params")
    )


#: What a VTIMEZONE is made from: the zone, and the days its explicit
#: transitions span, or (None, None) when it is the zone's yearly rule.
_TimezoneSpec = tuple[str, date | None, date | None]


def _timezone_spec(key: str, moments: Iterable[datetime]) -> _TimezoneSpec | None:
    """The VTIMEZONE that states these moments right: the zone's rule when it holds for
    them all, else its transitions from a week before the first to a year after the last."""
    if key == "UTC":
        return None
    moments = sorted(moments)
    if not moments:
        return None
    rule = _zone_rule(key)
    if rule is not None and _rule_holds(rule, key, moments):
        return key, None, None
    first, last = moments[0].date(), moments[-1].date()
    return key, first - timedelta(days=7), last + timedelta(days=366)


def _timezone(spec: _TimezoneSpec) -> icalendar.Timezone | None:
    """A new VTIMEZONE component for ``spec``, or None when icalendar knows no such zone."""
    key, first, last = spec
    rule = _zone_rule(key)
    if first is None or last is None:
        assert rule is not None
        return _rule_component(key, rule)
    try:
        return icalendar.Timezone.from_tzid(key, first_date=first, last_date=last)
    except ValueError:
        return None


@functools.lru_cache(maxsize=256)
def _timezone_ical(spec: _TimezoneSpec) -> bytes:
    """The bytes of :func:`_timezone`: a recap's invitation splices them, once per zone.

    Its value depends on the spec alone (the zone's data do not change
    while mend runs). With the calendar's own lines kept too, and short
    lines not folded (:func:`to_ical`), an invitation of the bench's cases
    costs 0.8 to 1.3 ms rather than 2 ms (the invitations of 20 generated
    cases, in one run).
    """
    component = _timezone(spec)
    return to_ical(component) if component is not None else b""


@dataclass(frozen=True)
class _Change:
    """A yearly change of offset: month, nth weekday (-1 for last), at a local time."""

    month: int
    nth: int
    weekday: int  # Monday is 0
    at: timedelta  # local time of day, in the offset before the change

    def day(self, year: int) -> date:
        first = date(year, self.month, 1)
        if self.nth > 0:
            offset = (self.weekday - first.weekday()) % 7 + 7 * (self.nth - 1)
            return first + timedelta(days=offset)
        nxt = date(year + self.month // 12, self.month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)

    def moment(self, year: int) -> datetime:
        return datetime.combine(self.day(year), time(0)) + self.at


@dataclass(frozen=True)
class _Rule:
    """A zone's current rule, read from the POSIX TZ string that ends its TZif file."""

    std_name: str
    std: timedelta
    dst_name: str | None = None
    dst: timedelta | None = None
    start: _Change | None = None  # into daylight time
    end: _Change | None = None  # back to standard time

    def offset(self, local: datetime) -> timedelta:
        """The UTC offset this rule gives a local (wall clock) time."""
        if self.start is None or self.end is None or self.dst is None:
            return self.std
        wall = local.replace(tzinfo=None)
        start, end = self.start.moment(wall.year), self.end.moment(wall.year)
        # Summer inside the year (north), or across the new year (south).
        in_dst = start <= wall < end if start < end else wall >= start or wall < end
        return self.dst if in_dst else self.std


_NAME = r"<[A-Za-z0-9+-]+>|[A-Za-z]{3,}"
_OFFSET = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_TZ_RE = re.compile(
    rf"^(?P<std>{_NAME})(?P<stdoff>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dstoff>{_OFFSET})?,(?P<start>[^,]+),(?P<end>[^,]+))?$"
)
_CHANGE_RE = re.compile(rf"^M(\d{{1,2}})\.([1-5])\.([0-6])(?:/({_OFFSET}))?$")


def _duration(text: str) -> timedelta:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    hours, minutes, seconds = (parts + [0, 0])[:3]
    return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _change(text: str) -> _Change | None:
    match = _CHANGE_RE.match(text)
    if match is None:
        return None  # the Jn and n forms: no zone in use has them
    at = _duration(match[4]) if match[4] else timedelta(hours=2)
    if not timedelta(0) <= at < timedelta(days=1):
        return None  # "24:00 on Saturday" is no nth weekday RRULE can name
    week = int(match[2])
    return _Change(int(match[1]), -1 if week == 5 else week, (int(match[3]) - 1) % 7, at)


def parse_tz_string(text: str) -> _Rule | None:
    """A POSIX TZ string (``GMT0BST,M3.5.0/1,M10.5.0``) as a rule, if RRULE can say it.

    POSIX offsets count hours *west* of Greenwich, so their sign is the
    opposite of a UTC offset.
    """
    match = _TZ_RE.match(text)
    if match is None:
        return None
    std = -_duration(match["stdoff"])
    std_name = match["std"].strip("<>")
    if match["dst"] is None:
        return _Rule(std_name, std)
    dst = -_duration(match["dstoff"]) if match["dstoff"] else std + timedelta(hours=1)
    start, end = _change(match["start"]), _change(match["end"])
    if start is None or end is None:
        return None
    return _Rule(std_name, std, match["dst"].strip("<>"), dst, start, end)


def _tz_string(key: str) -> str | None:
    """The footer of a zone's TZif file, found where zoneinfo finds the file."""
    data: bytes | None = None
    for folder in zoneinfo.TZPATH:
        path = Path(folder, key)
        if path.is_file():
            data = path.read_bytes()
            break
    if data is None:
        try:
            resource = importlib.resources.files("tzdata").joinpath("zoneinfo", *key.split("/"))
            data = resource.read_bytes()
        except (ModuleNotFoundError, OSError):
            return None
    if not data.startswith(b"TZif") or data[4:5] < b"2" or not data.endswith(b"\n"):
        return None  # version 1 files have no footer
    footer = data[:-1].rsplit(b"\n", 1)[-1]
    try:
        return footer.decode("ascii")
    except UnicodeDecodeError:
        return None


@functools.lru_cache(maxsize=256)
def _zone_rule(key: str) -> _Rule | None:
    """A zone's current rule, read from its TZif file once a process."""
    text = _tz_string(key)
    return parse_tz_string(text) if text else None


def _rule_holds(rule: _Rule, key: str, moments: Iterable[datetime]) -> bool:
    """Whether the rule gives every moment the offset zoneinfo gives it."""
    tz = ZoneInfo(key)
    for moment in moments:
        local = moment.astimezone(tz)
        if local.utcoffset() != rule.offset(local):
            return False
    return True


def _rule_component(key: str, rule: _Rule) -> icalendar.Timezone:
    component = icalendar.Timezone()
    component.add("tzid", key)
    component.add("x-lic-location", key)
    for sub in _observances(rule):
        component.add_component(sub)
    return component


def _observances(rule: _Rule) -> Iterator[icalendar.cal.Component]:
    if rule.start is None or rule.end is None or rule.dst is None:
        standard = icalendar.TimezoneStandard()
        standard.add("tzname", rule.std_name)
        standard.add("tzoffsetfrom", rule.std)
        standard.add("tzoffsetto", rule.std)
        standard.add("dtstart", datetime(1970, 1, 1))
        yield standard
        return
    for cls, change, name, before, after in (
        (icalendar.TimezoneDaylight, rule.start, rule.dst_name, rule.std, rule.dst),
        (icalendar.TimezoneStandard, rule.end, rule.std_name, rule.dst, rule.std),
    ):
        observance = cls()
        observance.add("tzname", name)
        observance.add("tzoffsetfrom", before)
        observance.add("tzoffsetto", after)
        observance.add("dtstart", change.moment(1970))
        observance.add(
            "rrule",
            {
                "FREQ": "YEARLY",
                "BYMONTH": change.month,
                "BYDAY": f"{change.nth}{DAY_CODES[change.weekday]}",
            },
        )
        yield observance
