"""Coaching notes: the advice `mend check` gives about a valid case."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.case import load_case
from generator.cli import main
from generator.coach import coach

from .conftest import FULL_CASE, MINIMAL_CASE, TODAY, make_workspace


def notes_for(tmp_path: Path, text: str, today: date = TODAY) -> list[str]:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    casefile = load_case(path, display="content/case.yaml", today=today)
    return [str(note) for note in coach(casefile, today)]


#: FULL_CASE with nothing to coach: its "relaunch" milestone is overdue on TODAY.
CLEAN = FULL_CASE.replace("      due: 2026-11-20\n", "      due: 2026-12-20\n")


def test_clean_case_has_no_notes(tmp_path):
    assert notes_for(tmp_path, CLEAN) == []


def test_no_affirmations_before_a_meeting(tmp_path):
    text = CLEAN.replace("affirmations: [Thank you for the fast test feedback]\n", "")
    (note,) = notes_for(tmp_path, text)
    assert note.startswith(
        "content/case.yaml:1: affirmations: no affirmations before the meeting on 2026-11-24: "
    )
    assert "hears that nothing is working" in note


def test_no_affirmations_needed_without_a_next_meeting(tmp_path):
    # The minimal case has no check-ins: no meeting to prepare, but the
    # missing check-in is worth a note of its own.
    notes = notes_for(tmp_path, MINIMAL_CASE)
    assert [n.split(": ")[1] for n in notes] == ["plan.checkins"]
    assert "none is planned" in notes[0]


def test_mistakes_without_apology_and_apology_without_mistakes(tmp_path):
    no_apology = CLEAN.replace("  apology: We are sorry for the disruption.\n", "")
    (note,) = notes_for(tmp_path, no_apology)
    assert note.startswith(
        "content/case.yaml:44: ownership.apology: mistakes are listed but there is no apology"
    )
    no_mistakes = CLEAN.replace("  mistakes: [We did not warn you early enough]\n", "")
    (note,) = notes_for(tmp_path, no_mistakes)
    assert note.startswith(
        "content/case.yaml:44: ownership.mistakes: an apology that names no mistake owns nothing"
    )


def test_meeting_held_without_anything_heard(tmp_path):
    text = CLEAN.replace("    heard: [You need a date you can trust]\n", "")
    (note,) = notes_for(tmp_path, text)
    assert note.startswith(
        "content/case.yaml:77: meetings[0].heard: the meeting on 2026-11-10 was held"
    )
    assert "I heard you say" in note


def test_a_scheduled_meeting_needs_nothing_heard(tmp_path):
    assert "meetings[1]" not in " ".join(notes_for(tmp_path, CLEAN))


def test_actions_without_owner_or_due_date(tmp_path):
    text = CLEAN.replace(
        "        due: 2026-11-12\n        done: true\n",
        "        done: false\n"
        "      - text: Book the demo room\n"
        "      - text: Call Lee\n"
        "        due: 2026-11-30\n",
    )
    notes = notes_for(tmp_path, text)
    assert [n.split(": ")[:3] for n in notes] == [
        ["content/case.yaml:85", "meetings[0].actions[0]", "action without a due date"],
        ["content/case.yaml:88", "meetings[0].actions[1]", "action without an owner or a due date"],
        ["content/case.yaml:89", "meetings[0].actions[2]", "action without an owner"],
    ]
    assert all("a promise nobody will keep" in n for n in notes)


def test_done_actions_need_no_owner(tmp_path):
    text = CLEAN.replace("        owner: Sam Rivera\n        due: 2026-11-12\n", "")
    assert notes_for(tmp_path, text) == []


def test_overdue_milestone_uses_the_current_status_as_of_today(tmp_path):
    (note,) = notes_for(tmp_path, FULL_CASE)
    assert note.startswith(
        'content/case.yaml:65: plan.milestones[1].due: "relaunch" was due 2026-11-20 and is still planned'
    )
    assert notes_for(tmp_path, FULL_CASE, date(2026, 11, 20)) == []  # due today is not late
    # Progress recorded at a meeting changes the current status, but only
    # once that meeting has taken place.
    text = FULL_CASE.replace(
        "  - date: 2026-11-24\n    kind: check-in\n",
        "  - date: 2026-11-24\n    kind: check-in\n    heard: [It is live]\n"
        "    progress: [{milestone: relaunch, status: on-track}]\n",
    )
    assert any("still planned" in n for n in notes_for(tmp_path, text))
    assert any("still on-track" in n for n in notes_for(tmp_path, text, date(2026, 11, 25)))


def test_missed_or_done_milestones_are_not_overdue(tmp_path):
    for status in ("done", "missed"):
        text = FULL_CASE.replace(
            "      due: 2026-11-20\n", f"      due: 2026-11-20\n      status: {status}\n"
        )
        assert notes_for(tmp_path, text) == []


def test_no_checkin_in_the_next_two_weeks(tmp_path):
    text = (
        CLEAN.replace("    cadence: weekly\n", "    cadence: monthly\n")
        .replace("    starts: 2026-11-10\n", "    starts: 2026-12-08\n")
        .replace(
            "  - date: 2026-11-24\n    kind: check-in\n    attendees: [Dana Okafor, Sam Rivera]\n",
            "",
        )
    )
    (note,) = notes_for(tmp_path, text)
    assert "plan.checkins: no check-in in the next 14 days (the next is on 2026-12-08)" in note
    assert notes_for(tmp_path, text, date(2026, 11, 24)) == []  # 14 days ahead exactly
    closed = text.replace("status: open", "status: resolved")
    assert notes_for(tmp_path, closed) == []


def test_agreement_needs_a_signatory_from_each_party(tmp_path):
    text = CLEAN.replace("    - name: Sam Rivera\n      party: us\n      role: Account lead\n", "")
    (note,) = notes_for(tmp_path, text)
    assert "agreement.signatories: no signatory for us:" in note


def test_disputed_fact_without_note(tmp_path):
    text = CLEAN.replace("      note: SENTINEL-FACTNOTE we think it was the 28th\n", "")
    (note,) = notes_for(tmp_path, text)
    assert note.startswith(
        "content/case.yaml:35: listening.facts[0].disputed: a disputed fact with no note"
    )


def test_every_note_is_one_sentence_that_says_why(tmp_path):
    text = (
        MINIMAL_CASE
        + "ownership:\n  apology: Sorry.\nlistening:\n  facts:\n    - {text: x, disputed: true}\n"
        + "meetings:\n  - date: 2026-11-01\n    actions: [{text: a}]\n"
        + "agreement:\n  effective: 2026-11-01\n  commitments: [{party: us, text: t}]\n"
        + "  signatories: [{name: Mo Byrne, party: client}]\n"
    )
    notes = notes_for(tmp_path, text, date(2026, 12, 20))
    assert len(notes) == 7
    for note in notes:
        message = note.split(": ", 2)[2]
        assert message.count(". ") == 0 and not message.endswith(".")
        assert ":" in message  # what, then why


@pytest.fixture
def run():
    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def test_check_prints_coach_lines_apart_from_warnings(tmp_path, run):
    ws = make_workspace(
        tmp_path / "ws",
        {
            "acme.yaml": CLEAN.replace(
                "affirmations: [Thank you for the fast test feedback]\n", ""
            ).replace("owner: Ana Patel", "owner: Ana Patle")
        },
    )
    result = run("check", "-w", str(ws), "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["warning", "coach"]
    assert lines[1].startswith("coach: content/acme.yaml:1: affirmations: no affirmations")
    assert "1 valid, 0 invalid, 1 warnings, 1 coaching note" in result.output


def test_strict_makes_notes_fail(tmp_path, run):
    ws = make_workspace(tmp_path / "ws", {"harbour.yaml": MINIMAL_CASE})
    assert run("check", "-w", str(ws), "--today", "2026-11-22").exit_code == 0
    result = run("check", "--strict", "-w", str(ws), "--today", "2026-11-22")
    assert result.exit_code == 1
    assert "coach: content/harbour.yaml:" in result.output
    clean = make_workspace(tmp_path / "clean", {"acme.yaml": CLEAN})
    assert run("check", "--strict", "-w", str(clean), "--today", "2026-11-22").exit_code == 0


def test_strict_makes_validation_warnings_fail(tmp_path, run):
    ws = make_workspace(
        tmp_path / "ws", {"acme.yaml": CLEAN.replace("owner: Ana Patel", "owner: Nobody")}
    )
    result = run("check", "--strict", "-w", str(ws), "--today", "2026-11-22")
    assert result.exit_code == 1
    assert "0 coaching notes" in result.output
