"""Recap emails, parsed back with Python's email package."""

from __future__ import annotations

import email.policy
from datetime import datetime
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from generator.build import build
from generator.cli import main

from .conftest import FULL_CASE, SENTINELS, TODAY, make_workspace

GOLDEN = Path(__file__).parent / "golden"


def recap_of(tmp_path: Path, text: str = FULL_CASE) -> tuple[bytes, email.message.EmailMessage]:
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    report = build(ws, today=TODAY, formats=("eml",))
    assert report.ok, report.failed
    data = (ws / "output" / "acme" / "recap-2026-11-10.eml").read_bytes()
    return data, BytesParser(policy=email.policy.default).parsebytes(data)


def test_headers(tmp_path):
    _, message = recap_of(tmp_path)
    assert message["From"] == "Sam Rivera <sam@brightline.example>"
    assert message["To"] == "Dana Okafor <dana@acme.example>, Lee Chen <lee@acme.example>"
    assert message["Cc"] == "Ana Patel <ana@brightline.example>"
    assert (
        message["Subject"]
        == "Recap of our kickoff on Tuesday 10 November 2026: Getting the Acme portal back on track"
    )
    assert message["Date"].datetime == datetime(
        2026, 11, 10, 10, 30, tzinfo=ZoneInfo("Europe/London")
    )
    assert message["Message-ID"] == "<recap-2026-11-10.acme@brightline.example>"


def test_primary_contact_comes_first(tmp_path):
    text = FULL_CASE.replace("      primary: true\n", "").replace(
        "      email: lee@acme.example", "      email: lee@acme.example\n      primary: true"
    )
    _, message = recap_of(tmp_path, text)
    assert message["To"].addresses[0].addr_spec == "lee@acme.example"


def test_body_parts_and_invitation(tmp_path):
    _, message = recap_of(tmp_path)
    assert message.get_content_type() == "multipart/mixed"
    types = [part.get_content_type() for part in message.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for text in (plain, html):
        assert "Thank you for your time" in text
        assert "I heard you say: You need a date you can trust" in text
        assert "Weekly check-ins on Tuesdays" in text
        assert "Send the revised test plan" in text
        assert "Integration suite green on staging" in text
        assert "Dana" in text and "Tuesday 17 November 2026" in text  # the next check-in
        assert not any(s in text for s in SENTINELS)
    assert "Dana's team tested within a day" in plain  # the specific positive
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    cal = icalendar.Calendar.from_ical(calendar_part.get_content())
    (event,) = cal.walk("VEVENT")
    assert cal["METHOD"] == "REQUEST"
    assert event.decoded("dtstart") == datetime(
        2026, 11, 17, 10, 0, tzinfo=ZoneInfo("Europe/London")
    )
    assert str(event["ORGANIZER"]) == "mailto:sam@brightline.example"
    assert {str(a) for a in event.get("ATTENDEE")} >= {
        "mailto:dana@acme.example",
        "mailto:lee@acme.example",
    }


def test_plain_text_part_matches_golden(tmp_path):
    import os

    _, message = recap_of(tmp_path)
    plain = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    golden = GOLDEN / "recap-2026-11-10.txt"
    if os.environ.get("MEND_UPDATE_GOLDEN"):
        golden.write_text(plain, encoding="utf-8")
    assert plain == golden.read_text(encoding="utf-8")


def test_rebuild_gives_the_same_bytes(tmp_path):
    one, _ = recap_of(tmp_path / "a")
    two, _ = recap_of(tmp_path / "b")
    assert one == two
    assert b"\r\n" in one and all(line.isascii() for line in one.split(b"\r\n")[:12])


def test_names_in_any_script_are_encoded(tmp_path):
    text = FULL_CASE.replace("Dana Okafor", "Dána Ókáfor-李").replace(
        "Getting the Acme", "Réparer «Acme» — 修复"
    )
    data, message = recap_of(tmp_path, text)
    head = data.split(b"\r\n\r\n")[0]
    assert head.isascii() and b"=?utf-8?" in head
    assert message["To"].addresses[0].display_name == "Dána Ókáfor-李"
    assert "Réparer «Acme» — 修复" in message["Subject"]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            "    - name: Dana Okafor\n",
            '    - name: "Dana\\r\\nBcc: evil@example.com"\n',
            "client.contacts[0].name",
        ),
        (
            "title: Getting the Acme portal back on track",
            'title: "x\\r\\nBcc: evil@example.com"',
            "title",
        ),
        (
            "      email: dana@acme.example\n      phone",
            '      email: "dana@acme.example\\r\\nBcc: evil@example.com"\n      phone',
            "client.contacts[0].email",
        ),
    ],
)
def test_a_line_break_can_never_add_a_header(tmp_path, old, new, field):
    assert old in FULL_CASE
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE.replace(old, new, 1)})
    result = CliRunner().invoke(main, ["recap", "acme", "-w", str(ws), "--today", "2026-11-22"])
    assert result.exit_code == 1
    assert "content/acme.yaml:" in result.output and f"{field}:" in result.output
    assert "Traceback" not in result.output
    assert not list((ws / "output").rglob("*.eml")) if (ws / "output").exists() else True


def test_no_client_email_warns_and_writes_no_recap(tmp_path):
    text = FULL_CASE.replace("      email: dana@acme.example\n      phone", "      phone").replace(
        "      email: lee@acme.example\n", ""
    )
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    report = build(ws, today=TODAY, formats=("eml",))
    assert report.ok
    assert any("no contact has an email" in w for w in report.warnings)
    assert not list((ws / "output").rglob("*.eml"))


def test_recap_command_for_one_meeting(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})
    result = CliRunner().invoke(
        main, ["recap", "acme", "--meeting", "2026-11-10", "-w", str(ws), "--today", "2026-11-22"]
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in (ws / "output" / "acme").iterdir()] == ["recap-2026-11-10.eml"]
    result = CliRunner().invoke(
        main, ["recap", "acme", "--meeting", "2026-11-24", "-w", str(ws), "--today", "2026-11-22"]
    )
    assert result.exit_code == 1 and "no recap to build" in result.output
