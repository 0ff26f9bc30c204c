"""Recap emails, built from small cases and parsed back with Python's email package."""

from __future__ import annotations

import email.charset
import email.parser
import email.policy
import email.quoprimime
import os
import re
from datetime import date, datetime
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import build
from generator.cli import main
from generator.writers import eml as eml_writer

from .conftest import make_workspace
from .mime_reference import email_package_body

FIXTURES = Path(__file__).parent / "fixtures" / "eml"
TODAY = date(2026, 12, 1)
DUBLIN = ZoneInfo("Europe/Dublin")

#: A small case with two held meetings. Internal fields hold SECRET- strings
#: that must never reach a recap.
CASE = """\
id: harbour
title: Putting the Harbour Bakery rebrand right
timezone: Europe/Dublin
client:
  organisation: Harbour Bakery
  culture: SECRET-CULTURE Mo decides everything herself
  contacts:
    - name: Lee Chen
      email: lee@harbour.example
    - name: Mo Byrne
      role: Owner
      email: mo@harbour.example
      primary: true
    - name: Pat Nolan
team:
  organisation: North Studio
  members:
    - name: Ana Patel
      email: ana@north.example
    - name: Ciara Walsh
      role: Account lead
      email: ciara@north.example
      phone: "+353 1 555 0100"
      lead: true
    - name: Tom Hart
incident:
  summary: The new logo went to print before Mo approved it.
listening:
  feelings:
    - who: Mo Byrne
      feeling: SECRET-FEELING bypassed in her own business
  unsaid: [SECRET-UNSAID the invoice]
framing:
  our_view: SECRET-OURVIEW the brief was vague
  shared: Approval steps were not written down.
affirmations: [Mo's quick replies kept the print run on schedule]
plan:
  milestones:
    - id: proofs
      title: Proofs approved by Mo
      due: 2026-12-04
      owner: Ciara Walsh
    - id: reprint
      title: Reprint delivered
      due: 2026-12-18
      owner: Ana Patel
      status: at-risk
  checkins:
    cadence: fortnightly
    weekday: thursday
    time: "14:00"
    duration: 45
    channel: phone call
    link: https://call.example/harbour
    starts: 2026-11-12
meetings:
  - date: 2026-11-26
    progress:
      - milestone: proofs
        status: done
  - date: 2026-11-12
    kind: kickoff
    summary: We walked through how the logo reached the printer.
    heard:
      - You found out about the print run from your printer, not from us
      - You want to see every proof before anything is ordered
    decisions: [No artwork goes to print without Mo's written approval]
    actions:
      - text: Send three logo proofs
        owner: Ciara Walsh
        due: 2026-11-19
      - text: Confirm the reprint quantity
        done: true
    progress:
      - milestone: proofs
        status: on-track
        note: Two of three proofs drafted
    positives: ["Mo gave us clear, specific feedback on the colours"]
    concerns: [The printer needs ten days' notice]
    internal_notes: SECRET-NOTES Mo was close to leaving
"""

SECRETS = ("SECRET-",)


def make(tmp_path: Path, text: str = CASE) -> Path:
    return make_workspace(tmp_path / "ws", {"harbour.yaml": text})


def build_recaps(ws: Path, today: date = TODAY) -> dict[str, bytes]:
    report = build(ws, today=today, formats=("eml",))
    assert report.ok, report.failed
    folder = ws / "output" / "harbour"
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.eml"))} if folder.is_dir() else {}


def parse(data: bytes) -> EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(data)  # type: ignore[return-value]


def recap(tmp_path: Path, text: str = CASE, day: str = "2026-11-12") -> tuple[bytes, EmailMessage]:
    data = build_recaps(make(tmp_path, text))[f"recap-{day}.eml"]
    return data, parse(data)


def plain_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# -- headers --------------------------------------------------------------------------


def test_headers(tmp_path):
    _, message = recap(tmp_path)
    assert message["From"] == "Ciara Walsh <ciara@north.example>"
    # The primary contact first, then the others with an email; Pat has none.
    assert message["To"] == "Mo Byrne <mo@harbour.example>, Lee Chen <lee@harbour.example>"
    # The rest of the team with an email; the lead sends, Tom has no email.
    assert message["Cc"] == "Ana Patel <ana@north.example>"
    assert message["Bcc"] is None
    assert (
        message["Subject"].strip()
        == "Recap of our kickoff on 12 Nov 2026: Putting the Harbour Bakery rebrand right"
    )
    # The meeting's end: the check-in time (14:00) plus its 45 minutes.
    assert message["Date"].datetime == datetime(2026, 11, 12, 14, 45, tzinfo=DUBLIN)
    assert message["Message-ID"] == "<recap-2026-11-12.harbour@north.example>"
    assert message["MIME-Version"] == "1.0"
    assert message["X-Unsent"] == "1"  # Outlook opens the file as a draft


def test_wire_format_is_crlf_ascii_and_well_formed(tmp_path):
    data, message = recap(tmp_path)
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    assert not message.defects
    assert all(not part.defects for part in message.walk())
    # Only the top level says MIME-Version.
    assert data.count(b"MIME-Version:") == 1


def test_date_falls_back_to_the_meeting_time_then_17_00(tmp_path):
    own_time = CASE.replace("    kind: kickoff\n", '    kind: kickoff\n    time: "09:30"\n')
    _, message = recap(tmp_path / "a", own_time)
    assert message["Date"].datetime == datetime(2026, 11, 12, 10, 15, tzinfo=DUBLIN)

    no_time = CASE.replace('    time: "14:00"\n    duration: 45\n', "")
    _, message = recap(tmp_path / "b", no_time)
    assert message["Date"].datetime == datetime(2026, 11, 12, 17, 30, tzinfo=DUBLIN)


# -- the body -------------------------------------------------------------------------


def test_structure_mixed_with_alternative_and_invitation(tmp_path):
    _, message = recap(tmp_path)
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    assert all(
        part.get_boundary().startswith("=_mend_") for part in message.walk() if part.is_multipart()
    )
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    same = calendar_part.get_content().replace("\r\n", "\n").encode()
    assert attachment.get_content().replace(b"\r\n", b"\n") == same


def test_both_parts_carry_the_recap(tmp_path):
    _, message = recap(tmp_path)
    for text in (plain_of(message), html_of(message)):
        assert "Dear Mo Byrne and Lee Chen," in text
        assert "Thank you for your time at our kickoff on Thursday 12 November 2026" in text
        assert "We walked through how the logo reached the printer." in text
        assert "I heard you say:" in text
        assert "You want to see every proof before anything is ordered" in text
        assert "No artwork goes to print without Mo&#39;s written approval" in text or (
            "No artwork goes to print without Mo's written approval" in text
        )
        assert "Send three logo proofs" in text and "Ciara Walsh" in text
        assert "Confirm the reprint quantity" in text
        assert "Proofs approved by Mo" in text and "On track" in text
        assert "Reprint delivered" in text and "At risk" in text
        assert "Two of three proofs drafted" in text
        assert "The printer needs ten days" in text
        assert "Thursday 26 November 2026 at 14:00 (Europe/Dublin)" in text
        assert "https://call.example/harbour" in text
        assert "Mo gave us clear, specific feedback on the colours" in text
        assert not any(secret in text for secret in SECRETS)
    plain = plain_of(message)
    assert "- Confirm the reprint quantity\n  Done\n" in plain
    assert "Ciara Walsh, by Thursday 19 November 2026" in plain


def test_html_part_is_a_self_contained_page(tmp_path):
    _, message = recap(tmp_path)
    html = html_of(message)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<link" not in html and "<script" not in html and "src=" not in html
    assert 'style="' in html  # inline styles, for clients that drop <style>


def test_case_text_is_escaped_in_the_html_part(tmp_path):
    text = CASE.replace(
        "decisions: [No artwork goes to print without Mo's written approval]",
        'decisions: ["<script>alert(1)</script> & <b>bold</b>"]',
    )
    _, message = recap(tmp_path, text)
    html = html_of(message)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert(1)</script> & <b>bold</b>" in plain_of(message)


def test_plain_text_part_matches_golden(tmp_path):
    _, message = recap(tmp_path)
    golden = FIXTURES / "recap-2026-11-12.txt"
    if os.environ.get("MEND_UPDATE_GOLDEN"):
        golden.write_text(plain_of(message), encoding="utf-8")
    assert plain_of(message) == golden.read_text(encoding="utf-8")


def test_a_recap_states_the_milestones_as_they_stood_at_its_meeting(tmp_path):
    ws = make(tmp_path)
    recaps = {name: parse(data) for name, data in build_recaps(ws).items()}
    assert sorted(recaps) == ["recap-2026-11-12.eml", "recap-2026-11-26.eml"]
    first = plain_of(recaps["recap-2026-11-12.eml"])
    later = plain_of(recaps["recap-2026-11-26.eml"])
    assert "Proofs approved by Mo: On track" in first  # not yet the later "done"
    assert "Proofs approved by Mo: Done (updated at this meeting)" in later
    # No positive of its own: the case's affirmation is the specific positive.
    assert "Mo's quick replies kept the print run on schedule" in later


def test_rebuild_gives_the_same_bytes_whatever_today_is(tmp_path):
    one = build_recaps(make(tmp_path / "a"))
    two = build_recaps(make(tmp_path / "b"), today=date(2027, 3, 1))
    assert one == two


def test_invitation_to_the_next_check_in(tmp_path):
    _, message = recap(tmp_path)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    cal = icalendar.Calendar.from_ical(part.get_content())
    assert cal["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Dublin"]
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 11, 26, 14, 0, tzinfo=DUBLIN)
    assert event.decoded("dtend") == datetime(2026, 11, 26, 14, 45, tzinfo=DUBLIN)
    # The occurrence of the series in checkins.ics, not an event of its own:
    # a client who imports the calendar and accepts this has it once.
    assert event["UID"] == "checkins-harbour@mend.invalid"
    assert event.decoded("recurrence-id") == datetime(2026, 11, 26, 14, 0, tzinfo=DUBLIN)
    assert event["SEQUENCE"] == 0
    assert event["ORGANIZER"] == "mailto:ciara@north.example"
    assert event["ORGANIZER"].params["CN"] == "Ciara Walsh"
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert set(attendees) == {
        "mailto:mo@harbour.example",
        "mailto:lee@harbour.example",
        "mailto:ana@north.example",
    }
    assert all(p["RSVP"] == "TRUE" and p["PARTSTAT"] == "NEEDS-ACTION" for p in attendees.values())
    assert "Harbour Bakery" in event["SUMMARY"]
    assert event["LOCATION"] == "phone call: https://call.example/harbour"


def test_without_a_next_meeting_there_is_no_invitation(tmp_path):
    text = CASE.split("  checkins:\n")[0] + CASE[CASE.index("meetings:") :]
    text = text.replace(
        "  - date: 2026-11-26\n    progress:\n", "  - date: 2026-11-02\n    progress:\n"
    )
    _, message = recap(tmp_path, text)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert "We will propose a date for our next check-in shortly." in plain_of(message)
    assert "invitation" not in plain_of(message)
    assert message["Date"].datetime == datetime(2026, 11, 12, 17, 30, tzinfo=DUBLIN)


# -- names, scripts and addresses -------------------------------------------------------


def test_names_and_subjects_in_any_script_are_encoded(tmp_path):
    text = (
        CASE.replace("name: Mo Byrne", "name: Mó Ní Bhroin-李")
        .replace("name: Lee Chen", 'name: "O\'Neill, Lee \\"Li\\""')
        .replace("name: Ciara Walsh", "name: Ciara Ní Bhriain")
        .replace("owner: Ciara Walsh", "owner: Ciara Ní Bhriain")
        .replace(
            "title: Putting the Harbour Bakery rebrand right",
            "title: Réparer la marque « Harbour » — 修复品牌 — Ремонт",
        )
    )
    data, message = recap(tmp_path, text)
    head = data.split(b"\r\n\r\n")[0]
    assert head.isascii() and b"=?utf-8?" in head
    to = message["To"].addresses
    assert [a.display_name for a in to] == ["Mó Ní Bhroin-李", 'O\'Neill, Lee "Li"']
    assert [a.addr_spec for a in to] == ["mo@harbour.example", "lee@harbour.example"]
    assert message["From"].addresses[0].display_name == "Ciara Ní Bhriain"
    assert "Réparer la marque « Harbour » — 修复品牌 — Ремонт" in message["Subject"]
    assert 'Dear Mó Ní Bhroin-李 and O\'Neill, Lee "Li",' in plain_of(message)


def test_an_international_domain_is_written_in_idna(tmp_path):
    text = CASE.replace("mo@harbour.example", "mo@bäckerei.example")
    data, message = recap(tmp_path, text)
    assert data.isascii()
    assert message["To"].addresses[0].addr_spec == "mo@xn--bckerei-5wa.example"


def test_a_local_part_in_another_script_uses_utf8_headers(tmp_path):
    text = CASE.replace("mo@harbour.example", "móna@harbour.example")
    data, _ = recap(tmp_path, text)
    head = data.split(b"\r\n\r\n")[0]
    assert "móna@harbour.example".encode() in head  # RFC 6532, not an encoded word
    # Python's BytesParser does not decode UTF-8 headers; parsing the text does.
    message = email.parser.Parser(policy=email.policy.default).parsestr(data.decode("utf-8"))
    assert message["To"].addresses[0].addr_spec == "móna@harbour.example"


# -- what must never be written -----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (
            "    - name: Mo Byrne\n",
            '    - name: "Mo Byrne\\r\\nBcc: evil@example.com"\n',
            "client.contacts[1].name",
        ),
        (
            "title: Putting the Harbour Bakery rebrand right\n",
            'title: "x\\r\\nBcc: evil@example.com"\n',
            "title",
        ),
        (
            "      email: mo@harbour.example\n",
            '      email: "mo@harbour.example\\r\\nBcc: evil@example.com"\n',
            "client.contacts[1].email",
        ),
    ],
)
def test_a_line_break_can_never_add_a_header(tmp_path, old, new, field):
    assert old in CASE
    text = CASE.replace(old, new, 1)
    ws = make(tmp_path, text)
    line = line_of(text, new)
    for command in (["recap", "harbour"], ["build"]):
        result = CliRunner().invoke(main, [*command, "-w", str(ws), "--today", "2026-12-01"])
        assert result.exit_code == 1, result.output
        assert f"content/harbour.yaml:{line}: {field}: must be one line" in result.output
        assert "Traceback" not in result.output
        assert not list(ws.rglob("*.eml"))


def test_no_client_email_warns_and_writes_no_recap(tmp_path):
    ws = make(tmp_path)
    assert len(build_recaps(ws)) == 2
    text = CASE.replace("      email: lee@harbour.example\n", "").replace(
        "      email: mo@harbour.example\n", ""
    )
    (ws / "content" / "harbour.yaml").write_text(text, encoding="utf-8")
    line = line_of(text, "  contacts:")
    warning = f"content/harbour.yaml:{line}: client.contacts: no client contact has an email"
    for _ in range(2):  # and again on a rebuild: the warning stands until it is fixed
        report = build(ws, today=TODAY, formats=("eml",))
        assert report.ok
        assert sum(warning in w for w in report.warnings) == 2, report.warnings
        assert not list(ws.rglob("*.eml"))  # the recaps built before are gone
    args = ["-w", str(ws), "--today", "2026-12-01"]
    result = CliRunner().invoke(main, ["recap", "harbour", "--meeting", "2026-11-12", *args])
    assert result.exit_code == 0
    assert warning in result.output
    assert not list(ws.rglob("*.eml"))


def test_a_lead_without_an_email_is_an_error(tmp_path):
    text = CASE.replace("      email: ciara@north.example\n", "")
    ws = make(tmp_path, text)
    result = CliRunner().invoke(main, ["recap", "harbour", "-w", str(ws), "--today", "2026-12-01"])
    assert result.exit_code == 1
    line = line_of(text, "    - name: Ciara Walsh")
    assert (
        f"content/harbour.yaml:{line}: team.members[1]: the team lead (Ciara Walsh) has no `email`"
        in result.output
    )
    assert not list(ws.rglob("*.eml"))


# -- the recap command --------------------------------------------------------------------


def test_recap_command_builds_one_meeting(tmp_path):
    ws = make(tmp_path)
    args = ["-w", str(ws), "--today", "2026-12-01"]
    result = CliRunner().invoke(main, ["recap", "harbour", "--meeting", "2026-11-12", *args])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (ws / "output" / "harbour").iterdir()] == ["recap-2026-11-12.eml"]
    message = parse((ws / "output" / "harbour" / "recap-2026-11-12.eml").read_bytes())
    assert message["Message-ID"] == "<recap-2026-11-12.harbour@north.example>"

    result = CliRunner().invoke(main, ["recap", "harbour", "--meeting", "2026-11-19", *args])
    assert result.exit_code == 1 and "no recap to build" in result.output

    result = CliRunner().invoke(main, ["recap", "harbour", *args])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (ws / "output" / "harbour").iterdir()) == [
        "recap-2026-11-12.eml",
        "recap-2026-11-26.eml",
    ]


# -- header injection and exact text (issue 14, items 1 and 2) ----------------------------

#: The issue's name: specials, and long enough that the To header folds inside it.
INJECTING = (
    "Dana Okafor (Head of Ops) <eve@evil.example>, and a long tail to force the header "
    "to fold past 78 chars"
)


def strict_reading(data: bytes, field: str) -> list[tuple[str, str]]:
    """An address field as a strict RFC 2047 reader sees it: syntax, then decoding."""
    head = data.split(b"\r\n\r\n")[0].decode("utf-8")
    (raw,) = [
        line.partition(":")[2]
        for line in head.replace("\r\n ", " ").split("\r\n")
        if line.startswith(f"{field}:")
    ]
    return [(str(make_header(decode_header(name))), addr) for name, addr in getaddresses([raw])]


def strict_subject(data: bytes) -> str:
    head = data.split(b"\r\n\r\n")[0].decode("ascii")
    (raw,) = [
        line.partition(":")[2].lstrip(" ")
        for line in re.sub(r"\r\n(?=[ \t])", "", head).split("\r\n")
        if line.startswith("Subject:")
    ]
    return str(make_header(decode_header(raw)))


def test_a_contact_name_cannot_add_a_recipient(tmp_path):
    text = CASE.replace("    - name: Mo Byrne\n", f'    - name: "{INJECTING}"\n')
    ws = make(tmp_path, text)
    args = ["-w", str(ws), "--today", "2026-12-01"]
    result = CliRunner().invoke(main, ["build", "--format", "eml", *args])
    assert result.exit_code == 0, result.output
    eml = ws / "output" / "harbour" / "recap-2026-11-12.eml"
    data = eml.read_bytes()
    assert max(len(line) for line in data.split(b"\r\n")) <= 78  # it does fold
    expected = [(INJECTING, "mo@harbour.example"), ("Lee Chen", "lee@harbour.example")]
    to = parse(data)["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in to] == expected
    assert strict_reading(data, "To") == expected

    result = CliRunner().invoke(main, ["send", "--dry-run", str(eml), "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert "  Recipients: mo@harbour.example, lee@harbour.example, ana@north.example" in (
        result.output.splitlines()
    )
    assert "eve@evil.example" not in result.output.split("Recipients:")[1]
    assert "dry run: nothing sent (1 messages, 3 recipients)" in result.output


#: (title, contact name, lead name) in each script the issue names.
SCRIPTS = {
    "German": (
        "Den Relaunch des Kundenportals für Müller & Söhne wieder auf Kurs bringen",
        "Jürgen Müller-Lüdenscheidt",
        "Ciara Walsh",
    ),
    "Polish": (
        "Przywrócenie portalu klienta w Łodzi na właściwe tory",
        "Małgorzata Wąsowska-Żółkiewska",
        "Łukasz Brzęczyszczykiewicz",
    ),
    "Greek": (
        "Επαναφορά της πύλης πελατών στην πορεία της",
        "Αλέξανδρος Παπαδόπουλος-Κωνσταντινίδης",
        "Γιώργος Νικολάου",
    ),
    "Japanese": ("顧客ポータルの再構築を 軌道に戻す", "山田 太郎", "佐藤 花子"),
    "emoji": ("Launch 🚀 party 🎉🎉 for the team", "Dana 🎉 Okafor", "Sam ✨ Rivera"),
    "Arabic": (
        "إعادة إطلاق بوابة العملاء إلى المسار الصحيح",
        "محمد بن عبد الرحمن آل سعود",
        "ليلى حداد",
    ),
    "Hebrew": ("החזרת פורטל הלקוחות למסלול (שלב 2)", "דנה אוקפור (ראש תפעול)", "נועה לוי"),
}


@pytest.mark.parametrize("script", SCRIPTS)
def test_subjects_and_names_in_any_script_read_back_exactly(tmp_path, script):
    title, contact, lead = SCRIPTS[script]
    text = (
        CASE.replace("name: Mo Byrne", f'name: "{contact}"')
        .replace("name: Ciara Walsh", f'name: "{lead}"')
        .replace("owner: Ciara Walsh", f'owner: "{lead}"')
        .replace("title: Putting the Harbour Bakery rebrand right", f'title: "{title}"')
    )
    data, message = recap(tmp_path, text)
    head = data.split(b"\r\n\r\n")[0].decode("ascii")
    # Within 78 characters, but for a name whose non-ASCII words are too long
    # for one RFC 2047 word: it is one longer word on a line of its own (see
    # headers.py: two adjacent words would read differently in Python and mail readers).
    long_lines = [line for line in head.split("\r\n") if len(line) > 78]
    assert all(re.fullmatch(r"(From:|To:)? ?=\?utf-8\?[qb]\?[^? ]*\?=", x) for x in long_lines)
    if script not in ("Greek", "Arabic"):
        assert not long_lines
    subject = f"Recap of our kickoff on 12 Nov 2026: {title}"
    assert message["Subject"] == subject
    assert strict_subject(data) == subject
    to = [(contact, "mo@harbour.example"), ("Lee Chen", "lee@harbour.example")]
    assert [(a.display_name, a.addr_spec) for a in message["To"].addresses] == to
    assert strict_reading(data, "To") == to
    assert [(a.display_name, a.addr_spec) for a in message["From"].addresses] == [
        (lead, "ciara@north.example")
    ]
    assert strict_reading(data, "From") == [(lead, "ciara@north.example")]


def test_recaps_with_hostile_names_are_the_same_bytes_on_every_build(tmp_path):
    title, contact, _ = SCRIPTS["Greek"]
    text = CASE.replace("name: Mo Byrne", f'name: "{INJECTING} {contact}"').replace(
        "title: Putting the Harbour Bakery rebrand right", f'title: "{title}"'
    )
    assert build_recaps(make(tmp_path / "a", text)) == build_recaps(make(tmp_path / "b", text))


def test_the_parse_back_refuses_a_header_that_adds_a_recipient(tmp_path, monkeypatch):
    """The check does not trust the composer: here, the email package's folder composes."""

    def library_fold(field: str, mailboxes: list[tuple[str, str]]) -> str:
        message = EmailMessage(policy=email.policy.SMTP)
        message[field] = [Address(display_name=name, addr_spec=addr) for name, addr in mailboxes]
        return message.as_string().rstrip("\r\n")

    monkeypatch.setattr(eml_writer, "address_field", library_fold)
    text = CASE.replace("    - name: Mo Byrne\n", f'    - name: "{INJECTING}"\n')
    ws = make(tmp_path, text)
    result = CliRunner().invoke(main, ["recap", "harbour", "-w", str(ws), "--today", "2026-12-01"])
    assert result.exit_code == 1, result.output
    line = line_of(text, '    - name: "Dana')
    assert f"content/harbour.yaml:{line}: client.contacts[1].name: cannot write " in result.output
    assert "in the recap's To header: holds a comment in parentheses" in result.output
    assert "Traceback" not in result.output
    assert not list(ws.rglob("*.eml"))


# -- the MIME tree, written without the email package's classes ---------------------------

#: Text as a recap's parts can hold it: every kind of line end, spaces and tabs
#: at ends, "=" next to a cut, control characters, and every script.
PART_TEXT = st.text(
    st.sampled_from(list("ab=. -\t\r\n\x0b\x0c\x1c\x85\xa0é–€Ωμ😀")) | st.characters(codec="utf-8"),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(text=PART_TEXT)
def test_quoted_printable_is_the_email_packages(text):
    expected = email.quoprimime.body_encode(text.encode("utf-8").decode("latin1"))
    assert eml_writer._quoted_printable(text) == re.sub(r"\r\n|\r|\n", "\r\n", expected)


@settings(max_examples=100, deadline=None)
@given(
    text=PART_TEXT.filter(bool),
    html=PART_TEXT.filter(bool),
    invite=st.one_of(st.just(""), PART_TEXT),
    method=st.sampled_from(["REQUEST", "CANCEL"]),
)
def test_the_mime_tree_is_the_email_packages(text, html, invite, method):
    stem = "0123456789abcdef01234567"
    data = invite.encode("utf-8")
    assert eml_writer._body(text, html, data, method, stem) == email_package_body(
        text, html, data, method, stem
    )


def test_built_recaps_are_the_email_packages(tmp_path):
    """Whole messages: the body after the header section is what the classic classes write."""
    ws = make(tmp_path, CASE)
    build(ws, today=TODAY, formats=("eml",))
    recaps = sorted(ws.rglob("recap-*.eml"))
    assert recaps
    for path in recaps:
        data = path.read_bytes()
        message = BytesParser(policy=email.policy.default).parsebytes(data)
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
        invites = [p for p in message.walk() if p.get_content_type() == "application/ics"]
        invite = invites[0].get_payload(decode=True) if invites else b""
        stem = re.search(rb'boundary="=_mend_([0-9a-f]{24})_0"', data)[1].decode()
        head, _, body = data.partition(b"\r\nContent-Type: multipart/")
        assert b"Content-Type: multipart/" + body == email_package_body(
            text, html, invite, "REQUEST", stem
        )
