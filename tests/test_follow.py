"""Following through: commitments, their updates, amendments and calls.

The case in ``fixtures/follow-through.yaml`` has a commitment in every
current status (open, on track, at risk, kept, broken, renegotiated), a
history of updates over three meetings (one of them a call), and an
amendment. Its plan and its recaps are goldens; the other documents are
checked for what the method asks of them.
"""

from __future__ import annotations

import email.policy
import os
import textwrap
from datetime import date
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.build import build
from generator.case import load_case
from generator.cli import main
from generator.commitments import standings
from generator.errors import CaseError
from generator.kinds import KINDS
from generator.schedule import next_meeting

from .conftest import make_workspace

HERE = Path(__file__).parent
CASE = (HERE / "fixtures" / "follow-through.yaml").read_text(encoding="utf-8")
GOLDEN = HERE / "golden"
TODAY = date(2026, 12, 10)


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MEND_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def plain_of(data: bytes) -> str:
    message = BytesParser(policy=email.policy.default).parsebytes(data)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    ws = make_workspace(tmp_path_factory.mktemp("ws"), {"acme.yaml": CASE})
    assert build(ws, today=TODAY, formats=("md", "html", "eml")).ok
    return ws / "output" / "acme"


def load(tmp_path: Path, text: str, today: date = TODAY):
    path = tmp_path / "case.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_case(path, display="content/case.yaml", today=today)


def errors_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(CaseError) as info:
        load(tmp_path, text)
    return [str(p) for p in info.value.problems]


# -- where each commitment stands -------------------------------------------------


def test_every_status_and_the_history_in_date_order(tmp_path):
    case = load(tmp_path, CASE).case
    got = {
        s.id: (s.status, s.overdue, [u.status for u in s.history]) for s in standings(case, TODAY)
    }
    assert got == {
        "weekly-status": ("kept", False, ["on-track", "kept"]),
        "credit-note": ("broken", True, ["at-risk", "broken"]),
        "test-feedback": ("renegotiated", False, ["at-risk", "renegotiated"]),
        "sso": ("open", True, []),
        "relaunch-date": ("on-track", False, ["on-track"]),
        "steering-slot": ("at-risk", False, ["at-risk"]),
    }
    # Overdue is "due before today and not kept": kept on the day after is not.
    later = {s.id: s.overdue for s in standings(case, date(2027, 2, 1))}
    assert later["weekly-status"] is False and later["relaunch-date"] is True


def test_a_meeting_with_only_commitment_updates_is_held(tmp_path):
    text = CASE.replace(
        "  - date: 2026-12-03\n    kind: call\n    attendees: [Dana Okafor, Sam Rivera]\n"
        "    heard: [The credit note has not arrived]\n",
        "  - date: 2026-12-03\n    kind: call\n",
    )
    meeting = next(m for m in load(tmp_path, text).case.meetings if m.date == date(2026, 12, 3))
    assert meeting.held and not meeting.heard


# -- validation ----------------------------------------------------------------------


def test_an_unknown_commitment_is_an_error_with_a_suggestion(tmp_path):
    text = CASE.replace(
        "      - commitment: credit-note\n        status: at-risk",
        "      - commitment: credit-nte\n        status: at-risk",
    )
    assert errors_of(tmp_path, text) == [
        'content/case.yaml:66: meetings[2].commitments[0].commitment: unknown commitment "credit-nte": did you mean `credit-note`?'
    ]


def test_duplicate_ids_amendments_and_early_updates_are_errors_with_their_lines(tmp_path):
    text = (
        CASE.replace("    - id: sso\n", "    - id: credit-note\n")
        .replace("    - date: 2026-12-08\n      summary:", "    - date: 2026-11-20\n      summary:")
        .replace("      commitments: [test-feedback]", "      commitments: [test-feedback, nope]")
        .replace(
            "  - date: 2026-11-24\n    kind: kickoff\n",
            "  - date: 2026-11-24\n    kind: kickoff\n    commitments: [{commitment: weekly-status, status: kept}]\n",
        )
    )
    assert errors_of(tmp_path, text) == [
        "content/case.yaml:47: meetings[0].commitments[0]: an update on 2026-11-24 is before "
        "the agreement takes effect (2026-11-25): record it at a meeting on or after that day",
        'content/case.yaml:107: agreement.commitments[3].id: duplicate commitment id "credit-note"',
        "content/case.yaml:122: agreement.amendments[0].date: amendment dated 2026-11-20 is "
        "before the agreement takes effect (2026-11-25)",
        'content/case.yaml:124: agreement.amendments[0].commitments[1]: unknown commitment "nope" '
        "(known: credit-note, relaunch-date, steering-slot, test-feedback, weekly-status)",
    ]


def test_updates_without_an_agreement_name_no_commitment(tmp_path):
    text = CASE[: CASE.index("agreement:")]
    problems = errors_of(tmp_path, text)
    assert problems[0] == (
        "content/case.yaml:55: meetings[1].commitments[0].commitment: unknown commitment "
        '"weekly-status" (known: none)'
    )


def test_unknown_status_and_key_are_errors(tmp_path):
    text = CASE.replace("        status: kept\n", "        status: done\n", 1).replace(
        "        note: Two Fridays sent on time\n", "        notes: Two Fridays sent on time\n"
    )
    problems = errors_of(tmp_path, text)
    assert problems[0].startswith(
        "content/case.yaml:57: meetings[1].commitments[0].notes: unknown key `notes`"
    )
    assert problems[1].startswith(
        "content/case.yaml:76: meetings[3].commitments[0].status: must be one of 'kept', 'on-track', 'at-risk', 'broken' or 'renegotiated'"
    )


def test_a_commitment_owner_is_checked_like_other_names(tmp_path):
    casefile = load(tmp_path, CASE.replace("      owner: Lee Chen\n", "      owner: Lee Chan\n"))
    assert [str(w) for w in casefile.warnings] == [
        'content/case.yaml:110: agreement.commitments[3].owner: unknown person "Lee Chan": did you mean `Lee Chen`?'
    ]


# -- the documents ---------------------------------------------------------------------


def test_plan_matches_golden(built):
    golden("follow-plan.md", (built / "plan.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("day", ["2026-12-08", "2026-12-03"])
def test_recap_matches_golden(built, day):
    golden(f"follow-recap-{day}.txt", plain_of((built / f"recap-{day}.eml").read_bytes()))


def test_the_recap_says_what_was_kept_moved_and_renegotiated(built):
    text = plain_of((built / "recap-2026-12-08.eml").read_bytes())
    kept, moved, renegotiated = (text.index(w) for w in ("Kept:", "Moved:", "Renegotiated:"))
    assert kept < moved < renegotiated
    assert "- Credit note for 20% of the October invoice: At risk -> Broken." in text
    # A recap says what was true at its meeting: the next one's news is not in it.
    first = plain_of((built / "recap-2026-12-01.eml").read_bytes())
    assert "Weekly written status every Friday by 16:00: Open -> On track" in first
    assert "Kept:" not in first


def test_the_plan_lists_both_sides_overdue_first_with_history(built):
    plan = (built / "plan.md").read_text(encoding="utf-8")
    assert (
        "**Commitments:** 1 of 6 kept, 1 on track, 1 open, 1 at risk, 1 broken, "
        "1 renegotiated, 2 overdue." in plan
    )
    ours = plan[plan.index("### What we promised") : plan.index("### What you promised")]
    assert ours.index("Credit note") < ours.index("Weekly written status")  # overdue first
    assert "  - History: 3 Dec 2026, at risk (Finance queue); 8 Dec 2026, broken" in ours
    html = (built / "plan.html").read_text(encoding="utf-8")
    assert html.count('<g class="commitment ') == 5  # every dated commitment, on the timeline
    assert 'data-commitment="sso"' in html and "Commitment (5)" in html


def test_the_agenda_brings_what_is_due_and_what_was_kept(built):
    agenda = (built / "agenda-2026-12-15.md").read_text(encoding="utf-8")
    forward = agenda[agenda.index("## 3.") : agenda.index("## 4.")]
    assert "Due before Tuesday 22 December 2026, or at risk or broken:" in forward
    listed = [line for line in forward.splitlines() if line.startswith("- **")]
    assert [line.split(":** ")[1].split(":")[0] for line in listed] == [
        "Credit note for 20% of the October invoice",  # broken and overdue
        "Single sign-on registration completed by Acme IT",  # overdue
        "A steering committee slot for the go-live decision",  # at risk, due in January
    ]
    standing = agenda[agenda.index("## 2.") : agenda.index("## 3.")]
    assert "Commitments kept:\n\n- Weekly written status every Friday by 16:00" in standing


def test_the_agreement_shows_its_amendments(built):
    html = (built / "agreement.html").read_text(encoding="utf-8")
    section = html[html.index("<h2>Amendments</h2>") : html.index("<h2>Milestones</h2>")]
    assert "8 Dec 2026" in section
    assert "Test feedback moved to 11 December at Acme&#39;s request" in section
    assert "Test feedback within two working days, by 11 December" in section


def test_the_brief_gets_the_facts_of_broken_and_overdue_commitments_first(built):
    brief = (built / "internal" / "brief-2026-12-15.md").read_text(encoding="utf-8")
    facts = brief[brief.index("## 2. Get the facts") : brief.index("## 3.")]
    assert (
        facts.index("Credit note")
        < facts.index("Single sign-on")
        < facts.index("### What happened")
    )
    assert "Broken, overdue since 30 Nov 2026 (Ana Patel)" in facts


# -- calls ------------------------------------------------------------------------------

CALL = CASE.replace(
    "agreement:\n",
    "  - date: 2026-12-11\n    kind: call\n    attendees: [Dana Okafor, Sam Rivera]\nagreement:\n",
    1,
)


def test_a_call_gets_a_brief_and_the_agenda_goes_to_the_next_meeting(tmp_path):
    case = load(tmp_path, CALL).case
    assert next_meeting(case, TODAY).date == date(2026, 12, 11)
    assert next_meeting(case, TODAY, calls=False).date == date(2026, 12, 15)
    assert KINDS["brief"].occurs(case, TODAY) == [date(2026, 12, 11)]
    assert KINDS["agenda"].occurs(case, TODAY) == [date(2026, 12, 15)]
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": CALL})
    assert build(ws, today=TODAY, formats=("md",)).ok
    out = ws / "output" / "acme"
    assert (out / "internal" / "brief-2026-12-11.md").exists()
    assert sorted(p.name for p in out.glob("agenda-*")) == ["agenda-2026-12-15.md"]
    brief = (out / "internal" / "brief-2026-12-11.md").read_text(encoding="utf-8")
    assert "For the call on Friday 11 December 2026" in brief


def test_a_held_call_gets_a_short_recap_that_thanks_for_the_call(built):
    call = plain_of((built / "recap-2026-12-03.eml").read_bytes())
    assert call.startswith("Dear Dana Okafor and Lee Chen,\n\nThank you for the quick call on")
    assert "Where the milestones stand" not in call  # nothing moved on them at the call
    meeting = plain_of((built / "recap-2026-12-08.eml").read_bytes())
    assert "Thank you for your time at our check-in" in meeting


# -- mend log --commitment ----------------------------------------------------------------


def run(ws: Path, *args: str):
    return CliRunner().invoke(
        main,
        ["log", *args, "--workspace", str(ws), "--today", "2026-12-15"],
        catch_exceptions=False,
    )


def test_log_commitment_round_trips_byte_exactly(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": CASE})
    path = ws / "content" / "acme.yaml"
    old = path.read_bytes()
    result = run(
        ws, "acme", "--commitment", "sso=kept:Done on the 14th", "--commitment", "credit-note=kept"
    )
    assert result.exit_code == 0, result.output
    assert "added the meeting of 2026-12-15 (time, 2 commitment updates)" in result.output
    new = path.read_bytes()
    head, tail = old.split(b"agreement:\n", 1)
    assert (
        new
        == head
        + (
            b"  - date: 2026-12-15\n"
            b'    time: "10:00"\n'
            b"    commitments:\n"
            b"      - commitment: sso\n"
            b"        status: kept\n"
            b"        note: Done on the 14th\n"
            b"      - commitment: credit-note\n"
            b"        status: kept\n"
        )
        + b"agreement:\n"
        + tail
    )
    # The same update again changes nothing; a new note replaces the old one.
    assert (
        "nothing new to record"
        in run(ws, "acme", "--commitment", "sso=kept:Done on the 14th").output
    )
    assert path.read_bytes() == new
    run(ws, "acme", "--commitment", "sso=kept")
    assert path.read_bytes() == new.replace(b"        note: Done on the 14th\n", b"")
    listed = run(ws, "acme", "--list-commitments").output.splitlines()
    assert listed[1] == (
        "credit-note [kept] Credit note for 20% of the October invoice "
        "(us, Ana Patel, due 2026-11-30, last updated 2026-12-15)"
    )
    assert listed[2].startswith("test-feedback [renegotiated]")


def test_log_commitment_refuses_an_unknown_id_and_a_bad_status(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": CASE})
    path = ws / "content" / "acme.yaml"
    old = path.read_bytes()
    unknown = run(ws, "acme", "--commitment", "ss=kept")
    assert unknown.exit_code == 1
    assert (
        'commitments[0].commitment: unknown commitment "ss": did you mean `sso`?' in unknown.output
    )
    bad = run(ws, "acme", "--commitment", "sso=done")
    assert bad.exit_code == 2
    assert "with STATUS one of kept, on-track, at-risk, broken, renegotiated" in bad.output
    assert run(ws, "acme", "--list-commitments", "--heard", "x").exit_code == 2
    assert path.read_bytes() == old
