"""The client's calendar, as a calendar library that mend does not write with sees it.

A case is built day after day in one workspace while its check-ins are
re-timed, moved, cancelled and the series shortened. Every calendar object
mend wrote on the way (every version of ``checkins.ics``, of each recap's
invitation and of each notice) is kept, as a client's mailbox and calendar
would keep them, and their union is expanded with ``recurring-ical-events``:
it must give each intended check-in once, at its local time across the
October clock change, with the newest version of each event winning.
"""

from __future__ import annotations

import email.policy
import re
import textwrap
from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from click.testing import CliRunner

from generator.build import build
from generator.case import load_case
from generator.cli import main
from generator.errors import CaseError
from generator.schedule import next_meeting

from .conftest import make_workspace
from .test_send import Recorder, configure, serve

LONDON = ZoneInfo("Europe/London")
UID = "checkins-acme@mend.invalid"

HEAD = """\
id: acme
title: Getting the Acme portal back on track
timezone: Europe/London
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
    - name: Jo Park
      email: jo@brightline.example
incident:
  summary: The relaunch slipped three weeks.
plan:
  milestones:
    - id: tests-green
      title: Integration suite green on staging
      due: 2026-12-04
  checkins:
    cadence: weekly
    weekday: tuesday
    time: "10:00"
    duration: 30
    channel: video call
    link: https://meet.example/acme
    starts: 2026-10-13
    until: {until}
meetings:
"""


def held(day: str) -> str:
    return f"  - date: {day}\n    summary: We met.\n    internal_notes: SECRET-NOTES tired\n"


#: Each step: the --today of the build, the series' end, and the meetings.
HELD_27 = '  - date: 2026-10-27\n    time: "14:00"\n    summary: We met.\n'
STEPS = [
    (date(2026, 10, 14), "2026-12-15", [held("2026-10-13")]),
    (date(2026, 10, 21), "2026-12-15", [held("2026-10-13"), held("2026-10-20")]),
    # 2: the next check-in, already invited to, is re-timed to 14:00.
    (
        date(2026, 10, 22),
        "2026-12-15",
        [held("2026-10-13"), held("2026-10-20"), '  - date: 2026-10-27\n    time: "14:00"\n'],
    ),
    # 3: it is held at 14:00, after the clock change; its recap invites to 3 November.
    (date(2026, 10, 28), "2026-12-15", [held("2026-10-13"), held("2026-10-20"), HELD_27]),
    # 4: 3 November moves to Thursday 5 November.
    (
        date(2026, 10, 29),
        "2026-12-15",
        [
            held("2026-10-13"),
            held("2026-10-20"),
            HELD_27,
            "  - date: 2026-11-05\n    replaces: 2026-11-03\n",
        ],
    ),
    # 5: the moved meeting is held; its recap invites to 10 November.
    (
        date(2026, 11, 6),
        "2026-12-15",
        [
            held("2026-10-13"),
            held("2026-10-20"),
            HELD_27,
            "  - date: 2026-11-05\n    replaces: 2026-11-03\n    summary: We met.\n",
        ],
    ),
    # 6: 10 November is cancelled, and the series ends a week earlier.
    (
        date(2026, 11, 7),
        "2026-12-08",
        [
            held("2026-10-13"),
            held("2026-10-20"),
            HELD_27,
            "  - date: 2026-11-05\n    replaces: 2026-11-03\n    summary: We met.\n",
            "  - date: 2026-11-10\n    cancelled: true\n",
        ],
    ),
]

#: What the client's calendar must show at the end: each check-in once.
INTENDED = [
    datetime(2026, 10, 13, 10, 0, tzinfo=LONDON),
    datetime(2026, 10, 20, 10, 0, tzinfo=LONDON),
    datetime(2026, 10, 27, 14, 0, tzinfo=LONDON),
    datetime(2026, 11, 5, 10, 0, tzinfo=LONDON),
    datetime(2026, 11, 17, 10, 0, tzinfo=LONDON),
    datetime(2026, 11, 24, 10, 0, tzinfo=LONDON),
    datetime(2026, 12, 1, 10, 0, tzinfo=LONDON),
    datetime(2026, 12, 8, 10, 0, tzinfo=LONDON),
]


def case_text(until: str, meetings: list[str]) -> str:
    return HEAD.format(until=until) + "".join(meetings)


def parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.strict).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def calendars_in(path: Path) -> list[icalendar.Calendar]:
    """The calendar objects of one file mend wrote: the .ics itself, or a message's parts."""
    if path.suffix == ".ics":
        return [icalendar.Calendar.from_ical(path.read_bytes())]
    message = parse(path.read_bytes())
    found = []
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            found.append(icalendar.Calendar.from_ical(part.get_content()))
    return found


def run_steps(tmp_path: Path, steps=STEPS) -> tuple[Path, list[dict[str, bytes]]]:
    """Build each step in one workspace; every file of every step, as written."""
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": case_text(steps[0][1], steps[0][2])})
    snapshots = []
    for today, until, meetings in steps:
        (ws / "content" / "acme.yaml").write_text(case_text(until, meetings), encoding="utf-8")
        report = build(ws, today=today, formats=("eml", "ics", "md"))
        assert report.ok, report.messages
        out = ws / "output" / "acme"
        snapshots.append({p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()})
    return ws, snapshots


def event_key(event: icalendar.Event) -> tuple[str, str]:
    rid = event.get("RECURRENCE-ID")
    return str(event["UID"]), rid.to_ical().decode() if rid is not None else ""


def union(tmp_path: Path, snapshots: list[dict[str, bytes]]) -> dict[tuple[str, str], list]:
    """Every version of every event any file held, by (UID, RECURRENCE-ID)."""
    versions: dict[tuple[str, str], list[tuple[int, bytes, str]]] = {}
    folder = tmp_path / "seen"
    folder.mkdir()
    for i, files in enumerate(snapshots):
        for name, data in files.items():
            if not name.endswith((".ics", ".eml")):
                continue
            path = folder / f"{i}-{name}"
            path.write_bytes(data)
            for cal in calendars_in(path):
                for event in cal.walk("VEVENT"):
                    versions.setdefault(event_key(event), []).append(
                        (int(event["SEQUENCE"]), event.to_ical(), f"{i}-{name}")
                    )
    return versions


def client_calendar(versions) -> icalendar.Calendar:
    """What a calendar keeps: the highest SEQUENCE of each event, cancellations removing it."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//client//EN")
    cal.add("version", "2.0")
    cal.add_component(icalendar.Timezone.from_tzid("Europe/London"))
    for _, found in sorted(versions.items()):
        newest = max(found, key=lambda v: v[0])
        event = icalendar.Event.from_ical(newest[1])
        if event.get("STATUS") != "CANCELLED":
            cal.add_component(event)
    return cal


def expand(cal: icalendar.Calendar) -> list[datetime]:
    events = recurring_ical_events.of(cal).between(date(2026, 10, 1), date(2027, 3, 1))
    return sorted(e.decoded("dtstart") for e in events)


# -- the union of everything mend wrote ----------------------------------------------------


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("calendar")
    ws, snapshots = run_steps(tmp)
    return tmp, ws, snapshots, union(tmp, snapshots)


def test_the_union_expands_to_each_check_in_once_newest_version_winning(scenario):
    _, _, _, versions = scenario
    starts = expand(client_calendar(versions))
    assert starts == INTENDED
    # Local time across the clock change: 10:00 is 09:00 UTC in October, 10:00 in November.
    assert starts[1].astimezone(UTC).time() == time(9, 0)
    assert starts[4].astimezone(UTC).time() == time(10, 0)


def test_one_version_is_the_same_bytes_in_every_file_that_holds_it(scenario):
    _, _, _, versions = scenario
    for key, found in versions.items():
        by_sequence: dict[int, set[bytes]] = {}
        for sequence, data, _ in found:
            # Invitations add the organiser and attendees; all else is the event.
            plain = re.sub(rb"(ORGANIZER|ATTENDEE)[;:].*?\r\n(?! )", b"", data, flags=re.S)
            by_sequence.setdefault(sequence, set()).add(plain)
        for sequence, kinds in by_sequence.items():
            assert len(kinds) == 1, f"{key} has two different versions with SEQUENCE {sequence}"


def test_every_invitation_is_an_occurrence_of_the_one_series(scenario):
    _, _, _, versions = scenario
    uids = {uid for uid, _ in versions}
    assert uids == {UID}  # no event of its own for a check-in, moved or not
    assert ("checkins-acme@mend.invalid", "") in versions  # the series itself


def test_sequence_grows_with_each_change_and_unchanged_events_keep_their_bytes(scenario):
    _, _, snapshots, versions = scenario
    master = versions[(UID, "")]
    by_step = {int(name.split("-")[0]): (seq, data) for seq, data, name in master}
    # Steps 0-5 leave the series as it was; step 6 cancels one check-in and
    # ends the series earlier: a new version, dated that day.
    assert len({by_step[i] for i in range(6)}) == 1
    assert by_step[0][0] == 0
    assert by_step[6][0] > by_step[5][0]
    newest = icalendar.Event.from_ical(by_step[6][1])
    assert newest.decoded("dtstamp") == datetime(2026, 11, 7, tzinfo=UTC)
    assert b"EXDATE;TZID=Europe/London:20261110T100000" in by_step[6][1]
    assert b"UNTIL=20261208T235959Z" in by_step[6][1]

    # The re-timed 27 October: first a plain invitation (from the recap of
    # 20 October), then its re-timing, then unchanged in every later file.
    retimed = versions[(UID, "20261027T100000")]
    sequences = sorted({seq for seq, _, _ in retimed})
    assert len(sequences) == 2 and sequences[0] < sequences[1]
    later = {data for seq, data, name in retimed if name.endswith("checkins.ics")}
    assert len(later) == 1  # byte for byte the same from step 2 on

    # The moved 3 November: invited to plain, then moved with a higher SEQUENCE.
    moved = versions[(UID, "20261103T100000")]
    plain = min(moved, key=lambda v: v[0])
    newest_move = max(moved, key=lambda v: v[0])
    assert plain[0] < newest_move[0]
    event = icalendar.Event.from_ical(newest_move[1])
    assert event.decoded("dtstart") == datetime(2026, 11, 5, 10, 0, tzinfo=LONDON)

    # The cancelled 10 November: the notice's CANCEL outranks the invitation.
    cancelled = versions[(UID, "20261110T100000")]
    top = icalendar.Event.from_ical(max(cancelled, key=lambda v: v[0])[1])
    assert top["STATUS"] == "CANCELLED"
    assert len({seq for seq, _, _ in cancelled}) == 2

    # Files whose inputs did not change are byte-identical between steps.
    assert snapshots[1]["recap-2026-10-13.eml"] == snapshots[0]["recap-2026-10-13.eml"]


def test_a_rebuild_gives_the_same_bytes(scenario, tmp_path):
    _, ws, snapshots, _ = scenario
    report = build(ws, today=STEPS[-1][0], formats=("eml", "ics", "md"), force=True)
    assert report.ok
    out = ws / "output" / "acme"
    assert {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()} == snapshots[-1]


def test_notices_for_the_moved_and_the_cancelled_check_in(scenario):
    _, _, snapshots, _ = scenario
    assert "notice-2026-10-27.eml" in snapshots[2]
    assert "notice-2026-11-03.eml" in snapshots[4]
    assert sorted(n for n in snapshots[-1] if n.startswith("notice-")) == [
        "notice-2026-10-27.eml",
        "notice-2026-11-03.eml",
        "notice-2026-11-10.eml",
    ]
    # A notice, once written, stays as it was: its inputs did not change.
    assert snapshots[-1]["notice-2026-10-27.eml"] == snapshots[2]["notice-2026-10-27.eml"]
    retimed = parse(snapshots[-1]["notice-2026-10-27.eml"])
    assert retimed["Subject"].startswith("Our check-in on 27 Oct 2026 moves to 14:00")
    moved = parse(snapshots[-1]["notice-2026-11-03.eml"])
    cancel = parse(snapshots[-1]["notice-2026-11-10.eml"])
    for message in (moved, cancel, retimed):
        assert message["X-Unsent"] == "1"
        assert message["From"].addresses[0].addr_spec == "sam@brightline.example"
        assert [a.addr_spec for a in message["To"].addresses] == ["dana@acme.example"]
        assert [a.addr_spec for a in message["Cc"].addresses] == ["jo@brightline.example"]
        assert message.get_content_type() == "multipart/mixed"
    assert moved["Subject"] == (
        "Our check-in on 3 Nov 2026 moves to 5 Nov 2026: Getting the Acme portal back on track"
    )
    assert "Our check-in on 10 Nov 2026 is cancelled" in cancel["Subject"]
    body = moved.get_body(("plain",)).get_content()
    assert "moves to Thursday 5 November 2026 at 10:00 (Europe/London), by video call." in body
    methods = {}
    for name, message in (("moved", moved), ("cancel", cancel)):
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        methods[name] = (
            part.get_param("method"),
            str(icalendar.Calendar.from_ical(part.get_content())["METHOD"]),
        )
    assert methods == {"moved": ("REQUEST", "REQUEST"), "cancel": ("CANCEL", "CANCEL")}
    # The cancelled check-in no longer has a notice-free recap inviting to it.
    assert b"20261110" not in snapshots[-1]["recap-2026-11-05.eml"].split(b"invite.ics")[0]


def test_no_client_file_holds_an_internal_word(scenario):
    _, _, snapshots, _ = scenario
    for files in snapshots:
        for name, data in files.items():
            assert b"SECRET" not in data, name


def test_plan_and_agenda_say_what_was_moved_and_cancelled(scenario):
    _, _, snapshots, _ = scenario
    plan = snapshots[-1]["plan.md"].decode()
    assert "- Cancelled: the check-in on Tuesday 10 November 2026 will not take place." in plan
    agenda_name = next(n for n in snapshots[-1] if n.startswith("agenda-") and n.endswith(".md"))
    # The next meeting after 6 November skips the cancelled 10 November.
    assert agenda_name == "agenda-2026-11-17.md"
    agenda = snapshots[-1][agenda_name].decode()
    assert "- Cancelled: the check-in on Tuesday 10 November 2026 will not take place." in agenda
    # The plan of the day before the move said where the moved check-in went.
    earlier = snapshots[4]["plan.md"].decode()
    assert (
        "- Moved: the check-in on Tuesday 3 November 2026 is now on "
        "Thursday 5 November 2026 at 10:00." in earlier
    )


def test_notices_and_recaps_send_to_a_real_server(scenario, tmp_path):
    _, ws, _, _ = scenario
    recorder = Recorder()
    controller = serve(recorder)
    try:
        configure(ws, controller.port)
        out = ws / "output" / "acme"
        files = [out / "notice-2026-11-03.eml", out / "notice-2026-11-10.eml"]
        before = [f.read_bytes() for f in files]
        result = CliRunner().invoke(main, ["send", *map(str, files), "-w", str(ws)])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "4 delivered, 0 failed" in result.output
    assert [f.read_bytes() for f in files] == before  # the files stay as built
    for (_, rcpts, data), original in zip(recorder.received, before, strict=True):
        assert rcpts == ["dana@acme.example", "jo@brightline.example"]
        sent, kept = parse(data), parse(original)
        assert sent["X-Unsent"] is None
        assert sent["Date"] != kept["Date"]
        assert sent["Message-ID"] != kept["Message-ID"]
        assert sent.get_body(("plain",)).get_content() == kept.get_body(("plain",)).get_content()


# -- sending: Date and Message-ID ---------------------------------------------------------


def test_a_resend_of_a_changed_message_has_a_new_message_id(scenario, tmp_path):
    from generator.send import read_message

    _, ws, _, _ = scenario
    path = ws / "output" / "acme" / "notice-2026-11-03.eml"
    now = datetime(2026, 11, 7, 9, 30, tzinfo=UTC)
    first = parse(read_message(path, now).data)
    again = parse(read_message(path, now).data)
    assert first["Message-ID"] == again["Message-ID"]  # the same file: the same message
    assert first["Date"].datetime == now
    changed = tmp_path / "changed.eml"
    changed.write_bytes(path.read_bytes().replace(b"I am sorry", b"I apologise"))
    other = parse(read_message(changed, now).data)
    assert other["Message-ID"] != first["Message-ID"]


# -- validation ------------------------------------------------------------------------------


def problems(tmp_path: Path, meetings: list[str]) -> list[str]:
    path = tmp_path / "acme.yaml"
    path.write_text(case_text("2026-12-15", meetings), encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        load_case(path, display="content/acme.yaml")
    return [str(p) for p in exc.value.problems]


def line_of(meetings: list[str], needle: str) -> int:
    text = case_text("2026-12-15", meetings)
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_replaces_must_name_a_check_in_date(tmp_path):
    meetings = ["  - date: 2026-11-05\n    replaces: 2026-11-04\n"]
    (message,) = problems(tmp_path, meetings)
    line = line_of(meetings, "replaces: 2026-11-04")
    assert message == (
        f"content/acme.yaml:{line}: meetings[0].replaces: 2026-11-04 is not a date the "
        "check-ins fall on: did you mean 2026-11-03?"
    )


@pytest.mark.parametrize(
    ("meeting", "message"),
    [
        (
            "  - date: 2026-11-03\n    replaces: 2026-11-03\n",
            "replaces its own date (2026-11-03); to change its time, set `time`",
        ),
        (
            "  - date: 2026-11-05\n    replaces: 2026-11-03\n    cancelled: yes please\n",
            "meetings[0].cancelled:",
        ),
    ],
)
def test_other_moves_that_cannot_be(tmp_path, meeting, message):
    (found,) = problems(tmp_path, [meeting])
    assert message in found


def test_two_meetings_cannot_replace_one_check_in(tmp_path):
    meetings = [
        "  - date: 2026-11-05\n    replaces: 2026-11-03\n",
        "  - date: 2026-11-06\n    replaces: 2026-11-03\n",
    ]
    (message,) = problems(tmp_path, meetings)
    assert "meetings[1].replaces: the check-in on 2026-11-03 is already moved by meetings[0]" in (
        message
    )


def test_a_cancelled_meeting_with_notes_is_an_error(tmp_path):
    meetings = ["  - date: 2026-11-10\n    cancelled: true\n    summary: We met.\n"]
    (message,) = problems(tmp_path, meetings)
    line = line_of(meetings, "cancelled: true")
    assert message.startswith(f"content/acme.yaml:{line}: meetings[0].cancelled: ")
    assert "cancelled but has notes" in message


def test_a_moved_check_in_cannot_also_be_held_on_its_day(tmp_path):
    meetings = [held("2026-11-03"), "  - date: 2026-11-05\n    replaces: 2026-11-03\n"]
    (message,) = problems(tmp_path, meetings)
    assert "meetings[1].replaces: the check-in on 2026-11-03 is listed as a meeting" in message


def test_the_next_meeting_skips_cancelled_and_moved_check_ins(tmp_path):
    path = tmp_path / "acme.yaml"
    meetings = [
        "  - date: 2026-11-05\n    replaces: 2026-11-03\n",
        "  - date: 2026-11-10\n    cancelled: true\n",
    ]
    path.write_text(case_text("2026-12-15", meetings), encoding="utf-8")
    case = load_case(path).case
    first = next_meeting(case, date(2026, 11, 2))
    assert first is not None and first.date == date(2026, 11, 5) and first.is_checkin
    assert first.time == time(10, 0)
    after = next_meeting(case, date(2026, 11, 6))
    assert after is not None and after.date == date(2026, 11, 17)


def test_a_check_in_cancelled_before_any_recap_invited_to_it_gets_no_notice(tmp_path):
    meetings = [held("2026-10-13"), "  - date: 2026-11-10\n    cancelled: true\n"]
    ws = make_workspace(tmp_path, {"acme.yaml": textwrap.dedent(case_text("2026-12-15", meetings))})
    assert build(ws, today=date(2026, 10, 14), formats=("eml", "ics")).ok
    names = sorted(p.name for p in (ws / "output" / "acme").iterdir())
    assert names == ["checkins.ics", "recap-2026-10-13.eml"]
    ics = (ws / "output" / "acme" / "checkins.ics").read_bytes()
    assert b"EXDATE;TZID=Europe/London:20261110T100000" in ics


def test_without_the_manifest_a_changed_event_still_outranks_what_was_sent(scenario, tmp_path):
    _, ws, _, versions = scenario
    fresh = tmp_path / "fresh"
    assert build(ws, today=STEPS[-1][0], out=fresh, formats=("ics",)).ok
    cal = icalendar.Calendar.from_ical((fresh / "acme" / "checkins.ics").read_bytes())
    (moved,) = [
        e
        for e in cal.walk("VEVENT")
        if "RECURRENCE-ID" in e and "20261103" in e["RECURRENCE-ID"].to_ical().decode()
    ]
    sent = max(seq for seq, _, _ in versions[(UID, "20261103T100000")])
    assert int(moved["SEQUENCE"]) > sent  # the floor: days since the check-ins started
