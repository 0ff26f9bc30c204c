"""The check-in calendar, parsed back with icalendar and its recurrence expanded."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import Workspace, build
from generator.i18n import get_language
from generator.published import Ledger
from generator.schedule import checkin_dates
from generator.writers import ics
from generator.writers.ics import parse_tz_string

from .conftest import make_workspace

TODAY = date(2026, 11, 22)

CASE = """\
id: acme
title: Getting the Acme portal back on track
timezone: {timezone}
client:
  organisation: Acme Logistics Ltd
  culture: SECRET-CULTURE a steering committee decides
  contacts:
    - name: Dana Okafor
      email: dana@acme.example
      primary: true
team:
  organisation: Brightline Studio
  members:
    - name: Sam Rivera
      email: sam@brightline.example
      lead: true
incident:
  summary: The relaunch slipped three weeks.
listening:
  unsaid: [SECRET-UNSAID the budget]
plan:
  milestones:
    - id: tests-green
      title: Integration suite green on staging
      due: 2026-12-04
  checkins:
{checkins}
meetings:
{meetings}
"""

WEEKLY = """\
    cadence: weekly
    weekday: tuesday
    time: "10:00"
    duration: 30
    channel: video call
    link: https://meet.example/acme
    starts: 2026-11-10
    until: 2027-06-29
"""

MEETINGS = """\
  - date: 2026-11-10
    kind: kickoff
    summary: We restarted.
    internal_notes: SECRET-NOTES Dana looked tired
"""


def case_text(
    checkins: str = WEEKLY, meetings: str = MEETINGS, timezone: str = "Europe/London"
) -> str:
    return CASE.format(checkins=checkins, meetings=meetings, timezone=timezone)


def calendar_bytes(tmp_path: Path, text: str) -> bytes:
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    report = build(ws, today=TODAY, formats=("ics",))
    assert report.ok, report.failed
    return (ws / "output" / "acme" / "checkins.ics").read_bytes()


def calendar_of(tmp_path: Path, text: str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(calendar_bytes(tmp_path, text))


def series_of(cal: icalendar.Calendar) -> icalendar.Event:
    (series,) = [e for e in cal.walk("VEVENT") if "RRULE" in e]
    return series


def expand(event: icalendar.Event, count: int) -> list[datetime | date]:
    start = event.decoded("dtstart")
    rule = event["RRULE"].to_ical().decode()
    if not isinstance(start, datetime):
        start = datetime.combine(start, time(0))
    return list(islice(rrulestr(rule, dtstart=start), count))


def schedule_of(tmp_path: Path, text: str):
    ws = make_workspace(tmp_path / "case", {"acme.yaml": text})
    casefile = Workspace.open(ws).load(ws / "content" / "acme.yaml", TODAY)
    return casefile.case


# -- the series ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "checkins",
    [
        WEEKLY,
        # Fortnightly, without a weekday: on the weekday of `starts`, for ever.
        '    cadence: fortnightly\n    time: "16:30"\n    starts: 2026-11-12\n',
        # Monthly on the 4th Thursday, through two daylight-saving changes.
        '    cadence: monthly\n    weekday: thursday\n    time: "09:15"\n'
        "    starts: 2026-11-26\n    until: 2027-11-30\n",
        # A 5th Tuesday continues on the last Tuesday of each month.
        '    cadence: monthly\n    time: "09:00"\n    starts: 2026-12-29\n',
        # `until` on a check-in day includes it.
        '    cadence: weekly\n    weekday: monday\n    time: "23:30"\n'
        "    starts: 2026-11-09\n    until: 2027-03-29\n",
    ],
)
def test_series_expands_to_the_dates_mend_computes(tmp_path, checkins):
    text = case_text(checkins)
    series = series_of(calendar_of(tmp_path, text))
    case = schedule_of(tmp_path, text)
    expected = list(islice(checkin_dates(case.plan.checkins), 60))
    got = expand(series, 60)
    assert [d.date() for d in got] == expected
    assert all(d.time() == case.plan.checkins.time for d in got)


def series_text(
    cadence: str, starts: str, *, weekday: str = "", at: str = "", until: str = ""
) -> str:
    lines = [f"cadence: {cadence}", f"starts: {starts}"]
    lines += [f"weekday: {weekday}"] * bool(weekday) + [f'time: "{at}"'] * bool(at)
    lines += [f"until: {until}"] * bool(until)
    return "".join(f"    {line}\n" for line in lines)


#: Series whose RRULE is easy to get subtly wrong: (checkins, timezone).
EDGE_SERIES = {
    # Weekday-less: each cadence keeps the weekday of `starts`.
    "weekly-no-weekday": (series_text("weekly", "2026-11-05", at="10:00"), "Europe/London"),
    "fortnightly-no-weekday": (series_text("fortnightly", "2026-11-12"), "America/New_York"),
    "monthly-no-weekday": (series_text("monthly", "2026-11-19", at="09:00"), "Europe/London"),
    # `starts` not on the weekday: the first weekday after it.
    "starts-before-weekday": (
        series_text("fortnightly", "2026-11-22", weekday="friday", at="14:00"),
        "America/New_York",
    ),
    # Month ends: a 5th weekday, a 31st, a 29 February, continue on the last one.
    "monthly-31st": (series_text("monthly", "2026-01-31", at="23:30"), "America/New_York"),
    "monthly-5th-friday": (
        series_text("monthly", "2027-01-25", weekday="friday", at="08:00"),
        "Europe/London",
    ),
    "monthly-29-february": (series_text("monthly", "2028-02-29"), "Europe/London"),
    "monthly-4th": (
        series_text("monthly", "2026-11-22", weekday="thursday", until="2028-01-01"),
        "America/New_York",
    ),
    # `until` on a check-in, the day after one, and before the first one.
    "until-on": (
        series_text("weekly", "2026-11-09", weekday="monday", at="23:30", until="2027-03-29"),
        "America/New_York",
    ),
    "until-after": (
        series_text("fortnightly", "2026-11-10", at="00:30", until="2027-04-07"),
        "Europe/London",
    ),
    "until-before-first": (
        series_text("weekly", "2026-11-22", weekday="tuesday", at="10:00", until="2026-11-23"),
        "Europe/London",
    ),
    "until-all-day": (
        series_text("monthly", "2026-11-26", weekday="thursday", until="2027-06-24"),
        "Europe/London",
    ),
    # Across daylight-saving changes, at times that do not exist or come twice.
    "london-spring-gap": (
        series_text("weekly", "2027-03-01", weekday="sunday", at="01:30", until="2027-11-07"),
        "Europe/London",
    ),
    "london-autumn-twice": (
        series_text("fortnightly", "2026-10-11", weekday="sunday", at="01:30"),
        "Europe/London",
    ),
    "new-york-spring-gap": (
        series_text("fortnightly", "2027-03-14", at="02:30", until="2027-11-07"),
        "America/New_York",
    ),
    "new-york-autumn-twice": (
        series_text("monthly", "2026-11-01", weekday="sunday", at="01:30", until="2028-12-31"),
        "America/New_York",
    ),
}


@pytest.mark.parametrize(("checkins", "timezone"), EDGE_SERIES.values(), ids=EDGE_SERIES)
def test_rrule_written_expands_to_exactly_the_schedule(tmp_path, checkins, timezone):
    """The RRULE in checkins.ics, expanded by dateutil alone, is the schedule, date for date.

    Nothing of mend's is used on the calendar side: the file is parsed back
    and its RRULE text handed to ``rrulestr``. A finite series is compared
    whole (so an UNTIL one day off shows), an open one over 200 dates.
    """
    text = case_text(checkins, meetings="  []", timezone=timezone)
    data = calendar_bytes(tmp_path, text)
    series = series_of(icalendar.Calendar.from_ical(data))
    event = data.replace(b"\r\n ", b"").split(b"BEGIN:VEVENT", 1)[1]  # the series comes first
    assert b"UID:checkins-acme@mend.invalid" in event.split(b"END:VEVENT")[0]
    rule_text = re.search(rb"\r\nRRULE:([^\r]*)\r\n", event)[1].decode()
    start = series.decoded("dtstart")
    timed = isinstance(start, datetime)
    checkins_model = schedule_of(tmp_path, text).plan.checkins
    rule = rrulestr(rule_text, dtstart=start if timed else datetime.combine(start, time(0)))
    finite = checkins_model.until is not None
    got = list(rule) if finite else list(islice(rule, 200))
    expected = list(
        checkin_dates(checkins_model) if finite else islice(checkin_dates(checkins_model), 200)
    )
    assert [moment.date() for moment in got] == expected
    assert ("UNTIL=" in rule_text) == finite
    zone = ZoneInfo(timezone)
    for moment in got:
        if timed:  # the case's wall clock time, in the offset zoneinfo gives that day
            wall = datetime.combine(moment.date(), checkins_model.time, tzinfo=zone)
            assert (moment.time(), moment.utcoffset()) == (wall.time(), wall.utcoffset())
        else:
            assert moment.time() == time(0)


def test_every_cadence_and_edge_is_covered():
    """The edge cases above span what the rule can say, so a new kind of series shows here."""
    rules = {text.split("cadence: ")[1].split("\n")[0] for text, _ in EDGE_SERIES.values()}
    assert rules == {"weekly", "fortnightly", "monthly"}
    assert {zone for _, zone in EDGE_SERIES.values()} == {"Europe/London", "America/New_York"}


def test_series_properties(tmp_path):
    cal = calendar_of(tmp_path, case_text())
    assert cal["VERSION"] == "2.0"
    assert cal["CALSCALE"] == "GREGORIAN"
    assert cal["METHOD"] == "PUBLISH"
    assert cal["PRODID"].startswith("-//mend//")
    series = series_of(cal)
    assert series["UID"] == "checkins-acme@mend.invalid"
    assert series.decoded("dtstamp") == datetime(2026, 11, 10, 0, 0, tzinfo=ZoneInfo("UTC"))
    london = ZoneInfo("Europe/London")
    assert series.decoded("dtstart") == datetime(2026, 11, 10, 10, 0, tzinfo=london)
    assert series.decoded("dtend") == datetime(2026, 11, 10, 10, 30, tzinfo=london)
    assert series["DTSTART"].params["TZID"] == "Europe/London"
    rule = series["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["TU"]
    until = rule["UNTIL"][0]
    assert until.utcoffset() == timedelta(0)  # UTC, as RFC 5545 wants with a TZID
    assert until.astimezone(london).date() == date(2027, 6, 29)
    assert "Acme Logistics Ltd" in series["SUMMARY"] and "Acme portal" in series["SUMMARY"]
    assert series["LOCATION"] == "video call: https://meet.example/acme"
    assert series["URL"] == "https://meet.example/acme"
    description = series["DESCRIPTION"]
    assert "video call" in description and "https://meet.example/acme" in description


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [
        ("weekly", {"FREQ": ["WEEKLY"], "BYDAY": ["TU"]}),
        ("fortnightly", {"FREQ": ["WEEKLY"], "INTERVAL": [2], "BYDAY": ["TU"]}),
        ("monthly", {"FREQ": ["MONTHLY"], "BYDAY": ["2TU"]}),
    ],
)
def test_rrule_per_cadence(tmp_path, cadence, expected):
    text = case_text(WEEKLY.replace("cadence: weekly", f"cadence: {cadence}"))
    rule = dict(series_of(calendar_of(tmp_path, text))["RRULE"])
    rule.pop("UNTIL")
    assert rule == expected


def test_the_file_imports_as_calendar_services_expect(tmp_path):
    data = calendar_bytes(tmp_path, case_text())
    assert data.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")
    assert b"\n" not in b"".join(lines)  # CRLF everywhere
    assert max(len(line) for line in lines) <= 75  # folded, RFC 5545 3.1
    cal = icalendar.Calendar.from_ical(data)
    used = {str(e["DTSTART"].params.get("TZID")) for e in cal.walk("VEVENT")}
    assert used == {tz["TZID"] for tz in cal.walk("VTIMEZONE")}  # each TZID defined
    assert b"SECRET-" not in data


# -- the timezone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timezone",
    ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Europe/Berlin"],
)
def test_vtimezone_is_yearly_rules_that_agree_with_zoneinfo(tmp_path, timezone):
    cal = calendar_of(tmp_path, case_text(timezone=timezone))
    (component,) = cal.walk("VTIMEZONE")
    assert component["TZID"] == timezone
    observances = component.walk("STANDARD") + component.walk("DAYLIGHT")
    # RRULEs, not RDATE lists: Outlook ignores the latter and shifts events.
    assert all("RDATE" not in o for o in observances)
    assert all(o["RRULE"]["FREQ"] == ["YEARLY"] for o in observances if len(observances) > 1)
    assert_offsets_agree(cal, component, ZoneInfo(timezone))


def test_a_zone_whose_rule_changed_gets_explicit_transitions(tmp_path):
    # Morocco's rule string says +01 all year; the real zone has Ramadan changes.
    cal = calendar_of(tmp_path, case_text(timezone="Africa/Casablanca"))
    (component,) = cal.walk("VTIMEZONE")
    assert_offsets_agree(cal, component, ZoneInfo("Africa/Casablanca"))


def test_utc_needs_no_vtimezone(tmp_path):
    data = calendar_bytes(tmp_path, case_text(timezone="UTC"))
    assert b"VTIMEZONE" not in data
    assert b"DTSTART:20261110T100000Z" in data


def assert_offsets_agree(cal, component, zone: ZoneInfo) -> None:
    """Every occurrence gets the same UTC offset from the VTIMEZONE as from zoneinfo."""
    defined = component.to_tz(lookup_tzid=False)
    for when in expand(series_of(cal), 80):
        local = when.replace(tzinfo=None)
        assert local.replace(tzinfo=defined).utcoffset() == local.replace(tzinfo=zone).utcoffset()


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("GMT0BST,M3.5.0/1,M10.5.0", ("GMT", 0, "BST", 60, (3, -1, 6, 60), (10, -1, 6, 120))),
        ("EST5EDT,M3.2.0,M11.1.0", ("EST", -300, "EDT", -240, (3, 2, 6, 120), (11, 1, 6, 120))),
        ("<+0530>-5:30", ("+0530", 330, None, None, None, None)),
        ("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", None),  # -1:00 is no time of day
        ("<-04>4<-03>,M9.1.6/24,M4.1.6/24", None),  # nor is 24:00
    ],
)
def test_posix_tz_strings(text, summary):
    rule = parse_tz_string(text)
    if summary is None:
        assert rule is None
        return
    minutes = lambda d: None if d is None else int(d.total_seconds() // 60)  # noqa: E731
    change = lambda c: None if c is None else (c.month, c.nth, c.weekday, minutes(c.at))  # noqa: E731
    assert (
        rule.std_name,
        minutes(rule.std),
        rule.dst_name,
        minutes(rule.dst),
        change(rule.start),
        change(rule.end),
    ) == summary


# -- meetings beside the series -------------------------------------------------------------


def test_meetings_off_the_cadence_and_moved_check_ins(tmp_path):
    meetings = (
        MEETINGS
        + '  - date: 2026-11-17\n    time: "10:00"\n'  # on the cadence, as planned
        + '  - date: 2026-11-24\n    time: "15:00"\n'  # on the cadence, moved
        + '  - date: 2026-11-27\n    time: "11:00"\n    kind: review\n'  # off the cadence
        + "  - date: 2026-12-03\n"  # off the cadence, at the check-in time
    )
    cal = calendar_of(tmp_path, case_text(meetings=meetings))
    london = ZoneInfo("Europe/London")
    events = cal.walk("VEVENT")
    assert len(events) == 4
    by_uid = {}
    for event in events:
        by_uid.setdefault(str(event["UID"]), []).append(event)
    (moved,) = [e for e in by_uid["checkins-acme@mend.invalid"] if "RECURRENCE-ID" in e]
    assert moved.decoded("recurrence-id") == datetime(2026, 11, 24, 10, 0, tzinfo=london)
    assert moved.decoded("dtstart") == datetime(2026, 11, 24, 15, 0, tzinfo=london)
    (review,) = by_uid["meeting-2026-11-27-acme@mend.invalid"]
    assert review.decoded("dtstart") == datetime(2026, 11, 27, 11, 0, tzinfo=london)
    assert review["SUMMARY"].startswith("Review:")
    (extra,) = by_uid["meeting-2026-12-03-acme@mend.invalid"]
    assert extra.decoded("dtstart") == datetime(2026, 12, 3, 10, 0, tzinfo=london)
    # The kickoff on the first check-in and the 17th at its usual time are occurrences.
    assert set(by_uid) == {
        "checkins-acme@mend.invalid",
        "meeting-2026-11-27-acme@mend.invalid",
        "meeting-2026-12-03-acme@mend.invalid",
    }


def test_all_day_series_without_a_time(tmp_path):
    checkins = WEEKLY.replace('    time: "10:00"\n', "")
    meetings = MEETINGS + "  - date: 2026-11-20\n"
    data = calendar_bytes(tmp_path, case_text(checkins, meetings))
    cal = icalendar.Calendar.from_ical(data)
    series = series_of(cal)
    assert series.decoded("dtstart") == date(2026, 11, 10)
    assert series.decoded("dtend") == date(2026, 11, 11)
    assert series["RRULE"]["UNTIL"] == [date(2027, 6, 29)]
    (extra,) = [e for e in cal.walk("VEVENT") if "RRULE" not in e]
    assert extra.decoded("dtstart") == date(2026, 11, 20)
    assert b"VTIMEZONE" not in data and b"TZID" not in data


def test_calendar_is_byte_identical_on_rebuild(tmp_path):
    one = calendar_bytes(tmp_path / "a", case_text())
    ws = make_workspace(tmp_path / "b" / "ws", {"acme.yaml": case_text()})
    assert build(ws, today=date(2027, 2, 1), formats=("ics",)).ok
    assert (ws / "output" / "acme" / "checkins.ics").read_bytes() == one


def test_no_checkins_no_calendar(tmp_path):
    text = case_text().split("  checkins:\n")[0] + "meetings:\n" + MEETINGS
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    assert build(ws, today=TODAY, formats=("ics",)).ok
    assert not (ws / "output" / "acme" / "checkins.ics").exists()


# -- written in pieces, the same bytes ----------------------------------------------------

#: Text with every escape and multi-byte characters, to land on a fold anywhere.
LINE_TEXT = st.text(
    st.sampled_from(list('ab ;,:\\^"é–€Ωμ😀'))
    | st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(text=LINE_TEXT)
def test_to_ical_is_icalendars_for_any_line(text):
    event = icalendar.Event()
    event.add("summary", text)
    event.add("description", text + text)
    event.add("attendee", "mailto:dana@acme.example", parameters={"CN": text or "Dana"})
    assert ics.to_ical(event) == event.to_ical()


@pytest.mark.parametrize(
    "timezone", ["Europe/London", "UTC", "Africa/Casablanca", "Australia/Sydney"]
)
@pytest.mark.parametrize("checkins", [WEEKLY, WEEKLY.replace('    time: "10:00"\n', "")])
def test_an_invitation_is_the_bytes_of_its_whole_calendar(tmp_path, timezone, checkins):
    """Frame and VTIMEZONE are spliced from bytes kept between invitations: compare each
    invitation with the one Calendar it stands for, composed and written by icalendar,
    over more than a year of a zone whose VTIMEZONE depends on the dates (Casablanca)."""
    case = schedule_of(tmp_path, case_text(checkins=checkins, timezone=timezone))
    lang = get_language(None)
    for i, day in enumerate(islice(checkin_dates(case.plan.checkins), 30)):
        event = ics.occurrence(case, day)
        method = "CANCEL" if i % 2 else "REQUEST"
        made = ics.invitation(case, event, Ledger(), TODAY, method=method, lang=lang)
        (vevent,) = icalendar.Calendar.from_ical(made.ical).walk("VEVENT")
        label = "Cancelled: %(title)s" if method == "CANCEL" else "Check-in: %(title)s"
        whole = ics._calendar(method, label % {"title": case.title})
        whole.add_component(vevent)
        moments = [m for m in (event.start, event.recurrence_id) if isinstance(m, datetime)]
        ics._add_timezone(whole, timezone, moments)
        assert made.ical == whole.to_ical()
        assert made.stamp == vevent.decoded("dtstamp")
        assert (b"BEGIN:VTIMEZONE" in made.ical) == (timezone != "UTC" and bool(moments))
