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
    # Nothing positive is recorded anywhere either, which is a note whether
    # or not a meeting is planned.
    notes = notes_for(tmp_path, MINIMAL_CASE)
    assert [n.split(": ")[1] for n in notes] == ["affirmations", "plan.checkins"]
    assert "no positive recorded anywhere" in notes[0]
    assert "none is planned" in notes[1]


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
    text = text.replace(
        "  commitments: [{party: us, text: t}]\n",
        "  commitments: [{id: t, party: us, text: t, due: 2026-11-30}]\n",
    ).replace(
        "    actions: [{text: a}]\n",
        "    actions: [{text: a}]\n  - date: 2026-11-02\n"
        "    commitments: [{commitment: t, status: broken, note: obviously late}]\n",
    )
    notes = notes_for(tmp_path, text, date(2026, 12, 20))
    # The 7 of before, and: no positive, nothing heard at the second
    # meeting, broken without apology, overdue without a word since, one
    # side only, and the tone of "obviously".
    assert len(notes) == 13
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


# -- following through ------------------------------------------------------------

FOLLOW = (Path(__file__).parent / "fixtures" / "follow-through.yaml").read_text(encoding="utf-8")
FOLLOW_DAY = date(2026, 12, 10)
#: The follow-through case with nothing to coach: "sso", overdue since
#: 5 December, gets a word at the meeting of the 8th.
FOLLOW_CLEAN = FOLLOW.replace(
    "    positives: [The steering committee approved the test plan]\n",
    "      - commitment: sso\n        status: at-risk\n        note: Acme IT is on it this week\n"
    "    positives: [The steering committee approved the test plan]\n",
)


def follow_notes(tmp_path: Path, text: str = FOLLOW_CLEAN) -> list[str]:
    return notes_for(tmp_path, text, FOLLOW_DAY)


def test_a_case_that_follows_the_method_has_no_notes_and_passes_strict(tmp_path, run):
    assert follow_notes(tmp_path) == []
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": FOLLOW_CLEAN})
    result = run("check", "--strict", "-w", str(ws), "--today", FOLLOW_DAY.isoformat())
    assert result.exit_code == 0, result.output


def test_strict_fails_on_each_follow_through_rule(tmp_path, run):
    cases = {
        "overdue": FOLLOW,
        "broken": FOLLOW_CLEAN.replace("note: Issued a week late; we are sorry", "note: Late"),
        "one-side": FOLLOW_CLEAN.replace("party: both", "party: us").replace(
            "party: client\n      text:", "party: us\n      text:"
        ),
        "no-positive": FOLLOW_CLEAN.replace(
            "affirmations: [Thank you for the fast test feedback]\n", ""
        )
        .replace("    positives: [Dana's team tested within a day]\n", "")
        .replace("    positives: [The steering committee approved the test plan]\n", ""),
        "tone": FOLLOW_CLEAN.replace(
            "summary: We went through every commitment.",
            "summary: As previously stated, we went through every commitment.",
        ),
    }
    for name, text in cases.items():
        ws = make_workspace(tmp_path / name, {"acme.yaml": text})
        result = run("check", "--strict", "-w", str(ws), "--today", FOLLOW_DAY.isoformat())
        assert result.exit_code == 1, name
        assert result.output.count("coach: ") == 1, (name, result.output)


def test_an_overdue_commitment_with_no_word_since_its_due_date(tmp_path):
    (note,) = follow_notes(tmp_path, FOLLOW)
    assert note == (
        'content/case.yaml:109: agreement.commitments[3].due: "sso" was due 2026-12-05 and '
        "nothing is recorded about it since: say where it stands (mend log --commitment "
        "sso=STATUS), because a promise that passes in silence reads as one quietly dropped"
    )
    # A word before the due date is not a word since it.
    early = FOLLOW.replace(
        "        note: Finance queue\n",
        "        note: Finance queue\n      - commitment: sso\n        status: on-track\n",
    )
    assert len(follow_notes(tmp_path, early)) == 1
    # Kept is never overdue, however late it was kept.
    kept = FOLLOW_CLEAN.replace(
        "        status: at-risk\n        note: Acme IT",
        "        status: kept\n        note: Acme IT",
    )
    assert follow_notes(tmp_path, kept) == []


def test_a_broken_commitment_of_ours_needs_an_apology_at_or_after_it(tmp_path):
    silent = FOLLOW_CLEAN.replace(
        "note: Issued a week late; we are sorry", "note: Issued a week late"
    )
    (note,) = follow_notes(tmp_path, silent)
    assert note.startswith(
        'content/case.yaml:78: meetings[3].commitments[1].status: "credit-note" of ours was '
        "broken on 2026-12-08 and no apology or owned mistake is recorded at or after that meeting: "
    )
    # An apology before the promise broke does not count ...
    before = silent.replace(
        "heard: [The credit note has not arrived]",
        "heard: [The credit note has not arrived, sorry]",
    )
    assert len(follow_notes(tmp_path, before)) == 1
    # ... one at a later meeting does, and so does owning the mistake.
    later = silent.replace(
        "agreement:\n",
        "  - date: 2026-12-09\n    kind: call\n    heard: [Thank you for calling]\n"
        "    summary: We apologised for the late credit note.\n"
        "agreement:\n",
        1,
    )
    assert follow_notes(tmp_path, later) == []
    owned = silent.replace(
        "summary: We went through every commitment.",
        "summary: The late credit note was our mistake.",
    )
    assert follow_notes(tmp_path, owned) == []
    # The client's broken promise is for the conversation, not for our apology.
    theirs = silent.replace(
        "    - id: credit-note\n      party: us\n", "    - id: credit-note\n      party: client\n"
    )
    assert follow_notes(tmp_path, theirs) == []


@pytest.mark.parametrize(
    ("parties", "whose"), [(("us", "us"), "ours"), (("client", "client"), "the client's")]
)
def test_commitments_on_one_side_only(tmp_path, parties, whose):
    text = FOLLOW_CLEAN
    for party in ("us", "client", "both"):
        text = text.replace(
            f"      party: {party}\n      text:", f"      party: {parties[0]}\n      text:"
        )
    (note,) = follow_notes(tmp_path, text)
    assert note.startswith(
        f"content/case.yaml:94: agreement.commitments: every commitment is {whose} alone: "
        "a recovery both sides carry holds better"
    )


def test_no_positive_anywhere_whether_or_not_a_meeting_is_planned(tmp_path):
    bare = (
        FOLLOW_CLEAN.replace("affirmations: [Thank you for the fast test feedback]\n", "")
        .replace("    positives: [Dana's team tested within a day]\n", "")
        .replace("    positives: [The steering committee approved the test plan]\n", "")
    )
    (note,) = follow_notes(tmp_path, bare)
    assert note.startswith("content/case.yaml:1: affirmations: no positive recorded anywhere")
    closed = bare.replace("title: Getting", "status: resolved\ntitle: Getting").replace(
        "    until: 2027-01-26\n", "    until: 2026-12-01\n"
    )
    assert [n.split(": ")[1] for n in follow_notes(tmp_path, closed)] == ["affirmations"]
    # One positive at any meeting is enough (the agenda's opening has it).
    one = bare.replace(
        "    decisions: [Weekly check-ins on Tuesdays]\n",
        "    decisions: [Weekly check-ins on Tuesdays]\n    positives: [Quick tests]\n",
    )
    notes = follow_notes(tmp_path, one)
    assert [n.split(": ")[1] for n in notes] == ["affirmations"]
    assert "no affirmations before the meeting on 2026-12-15" in notes[0]


# -- tone ---------------------------------------------------------------------------

FLAGGED = [
    ("We are sorry if you felt let down.", "sorry if you felt"),
    ("I'm sorry you feel that way.", "sorry you feel"),
    ("We apologise for any inconvenience caused.", "we apologise for any inconvenience"),
    ("Mistakes were made on both sides.", "mistakes were made"),
    ("You should have raised this sooner.", "you should have"),
    ("You failed to send the data on time.", "you failed to"),
    ("The date was fixed, as you were told.", "as you were told"),
    ("As previously stated, the scope is fixed.", "as previously stated"),
    ("Per my last email, the date is the 4th.", "per my last email"),
    ("Obviously, the tests come first.", "obviously"),
    ("To be fair, the brief was vague.", "to be fair"),
    ("With all due respect, that is not what happened.", "with all due respect"),
    ("It was just a small delay.", "just a small"),
    ("There was only a minor outage.", "only a minor"),
    ("Unfortunately we cannot move the date.", "unfortunately we cannot"),
    ("OBVIOUSLY the date matters.", "obviously"),  # any case
    ("We\u2019re sorry you feel ignored.", "sorry you feel"),  # a curly apostrophe
]
HONEST = [
    "We are sorry that we did not warn you early enough.",
    "We should have told you on 23 October that the date was at risk.",
    "You told us clearly that the board needs a date it can trust.",
    "We failed to test the carrier feed under real load.",
    "Thank you for telling us how this felt for your team.",
    "It was not obvious from the outside, and that is on us.",
    "We apologise for missing the date and for not warning you.",
    "Fairness matters: the credit note covers the whole delay.",
    "We cannot undo the delay; what we can do is test every release with you.",
    "The minor release follows only after your sign-off.",
]


def _with_apology(text: str) -> str:
    import json

    return FOLLOW_CLEAN.replace(
        "  apology: We are sorry that we let the date slip without telling you.",
        f"  apology: {json.dumps(text)}",
    )


@pytest.mark.parametrize(("sentence", "phrase"), FLAGGED)
def test_tone_flags_the_phrase_and_suggests_a_plainer_wording(tmp_path, sentence, phrase):
    (note,) = follow_notes(tmp_path, _with_apology(sentence))
    assert note.startswith(f'content/case.yaml:29: ownership.apology: "{phrase}" reads as ')
    message = note.split(": ", 2)[2]
    assert message.count(". ") == 0 and not message.endswith(".")


@pytest.mark.parametrize("sentence", HONEST)
def test_tone_leaves_honest_sentences_alone(tmp_path, sentence):
    assert follow_notes(tmp_path, _with_apology(sentence)) == []


def test_tone_reads_every_client_facing_text_and_no_internal_one(tmp_path):
    text = (
        FOLLOW_CLEAN.replace(
            "heard: [The Friday status helps the board]", "heard: [Obviously the status helps]"
        )
        .replace("note: Now due 11 December", "note: Only a minor slip")
        .replace(
            "      text: Relaunch date agreed together",
            "      text: Relaunch date agreed together, to be fair",
        )
        .replace("summary: Test feedback moved", "summary: Obviously, test feedback moved")
        .replace("culture: SENTINEL-CULTURE", "culture: Obviously SENTINEL-CULTURE")
    )
    paths = [n.split(": ")[1] for n in follow_notes(tmp_path, text)]
    assert paths == [
        "meetings[1].heard[0]",
        "meetings[3].commitments[2].note",
        "agreement.commitments[4].text",
        "agreement.amendments[0].summary",
    ]


def test_a_workspace_adds_a_phrase_and_switches_one_off(tmp_path, run):
    text = FOLLOW_CLEAN.replace(
        "summary: We went through every commitment.",
        "summary: To be fair, as I said, we went through every commitment.",
    )
    ws = make_workspace(tmp_path / "ws", {"acme.yaml": text})
    day = FOLLOW_DAY.isoformat()
    before = run("check", "-w", str(ws), "--today", day).output
    assert '"to be fair" reads as defensive or condescending' in before
    assert "as I said" not in before
    (ws / "mend.toml").write_text(
        '[coach]\ntone_off = ["To be fair"]\n\n[[coach.tone_add]]\ntext = "as I said"\n'
        'kind = "defensive"\nsuggest = "say it again plainly, without pointing back"\n',
        encoding="utf-8",
    )
    after = run("check", "-w", str(ws), "--today", day).output
    assert "to be fair" not in after
    assert (
        'coach: content/acme.yaml:71: meetings[3].summary: "as I said" reads as defensive or '
        "condescending: say it again plainly, without pointing back"
    ) in after
    (ws / "mend.toml").write_text('[coach]\ntone_of = ["x"]\n', encoding="utf-8")
    bad = run("check", "-w", str(ws), "--today", day)
    assert bad.exit_code == 1
    assert "mend.toml: coach.tone_of: unknown setting: did you mean `tone_off`?" in bad.output


def test_the_phrase_list_is_the_readmes():
    from generator.coach import phrases

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- tone-phrases -->")[1]
    for phrase in phrases():
        assert f"`{phrase.text}`" in table, phrase.text
