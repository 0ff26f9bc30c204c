"""``mend log``: meetings recorded in a case file without disturbing the rest of it.

The promise under test is byte-level: whatever YAML style a user wrote their
case in, the lines ``mend log`` does not own come back exactly as they were.
"""

from __future__ import annotations

import os
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.case import load_case
from generator.cli import main
from generator.errors import CaseError, MendError
from generator.logbook import (
    ActionEntry,
    CommitmentEntry,
    MeetingEntry,
    ProgressEntry,
    apply_snippet,
    backup_path,
    log,
    meeting_snippet,
)

from .conftest import FULL_CASE, TODAY, make_workspace

ROOT = Path(__file__).resolve().parent.parent
HEAD = """\
# The Harbour Bakery case, kept by hand.
title: "Harbour Bakery: the rebrand"   # quoted title
client:
  organisation: Harbour Bakery
  contacts:
    - name: Mo Byrne
      email: mo@harbour.example
team:
  members:
    - name: Ciara Walsh
incident:
  summary: |
    The client felt ignored.

plan:
  milestones:
    - id: brand-review
      title: Brand review
      due: 2026-12-10
    - id: launch
      title: Launch
      due: 2027-01-15
agreement:
  effective: 2026-11-01
  commitments:
    - id: weekly-call
      party: both
      text: A call every week
    - id: photos
      party: client
      text: The shop photos by the end of November
  signatories:
    - {name: Mo Byrne, party: client}
"""

#: Meetings written in the styles people write YAML in. Each holds a meeting
#: on 2026-11-10 (merged into) and none on 2026-11-24 (added).
STYLES = {
    "block": """\
meetings:
  # The kickoff.
  - date: 2026-11-10
    kind: kickoff
    summary: We met.
    heard:
      - You felt ignored

  - date: 2026-11-17
    decisions:
      - Weekly calls
""",
    "indentless": """\
meetings:
- date: 2026-11-10
  summary: We met.
  heard:
  - You felt ignored
- date: 2026-11-17
  decisions:
  - Weekly calls
""",
    "four-spaces": """\
meetings:
    -   date: 2026-11-10
        summary: We met.
        actions:
            -   text: Send the mood board
                owner: Ciara Walsh
    -   date: 2026-11-17
        decisions:
            -   Weekly calls
""",
    "flow-lists": """\
meetings:
  - {date: 2026-11-03, decisions: [Start again]}
  - date: 2026-11-10
    attendees: [Mo Byrne, "Ciara Walsh"]
    heard: ['You felt ignored', "Emails went unanswered"]
    progress: [{milestone: brand-review, status: on-track}]
""",
    "block-scalars": """\
meetings:
  - date: 2026-11-17
    summary: >-
      A folded
      summary.
  - date: 2026-11-10
    summary: |+
      Kept with its
      trailing lines.


affirmations:
  - Mo answered within the hour
""",
    "comments-between-items": """\
meetings:  # the log
  - date: 2026-11-10   # first
    # before heard
    heard:
      - You felt ignored   # word for word
      # a comment between two items
      - Emails went unanswered
    # after heard

  # between meetings
  - date: 2026-11-17
    summary: Second.
# the end of the file
""",
    "quoted-keys": """\
meetings:
  - "date": 2026-11-10
    'summary': "We met."
    "heard":
      - 'You felt ignored'
  - 'date': "2026-11-17"
    "decisions": ["Weekly calls"]
""",
    "dash-alone": """\
meetings:
  -
    date: 2026-11-10
    summary: We met.
status: open
""",
    "document-end": """\
meetings:
  - date: 2026-11-10
    summary: We met.
...
""",
}

#: A meeting (merged into or added) in each of the file's line-ending styles.
ENCODINGS = {
    "lf": lambda text: text.encode("utf-8"),
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "bom": lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
}

ENTRY = dict(
    attendees=["Mo Byrne"],
    summary="Logged by mend.",
    heard=["The new logo feels cold"],
    decisions=["Two logo options by Friday"],
    actions=[ActionEntry("Send two logo options", "Ciara Walsh", date(2026, 11, 27))],
    progress=[ProgressEntry("brand-review", "at-risk", "Waiting on photos")],
    commitments=[CommitmentEntry("photos", "at-risk", "The photographer is ill")],
    positives=["Mo shared the old brand book"],
    concerns=["Photos are late"],
)


def write(tmp_path: Path, data: bytes, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def load(path: Path):
    return load_case(path, display=path.name, today=TODAY)


def comments(data: bytes) -> list[str]:
    """Every comment line, in order: none may be lost or moved past another."""
    lines = data.decode("utf-8-sig").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("#")]


def inserted_block(old: bytes, new: bytes) -> bytes:
    """``new`` is ``old`` with one run of whole lines inserted: return the run.

    Fails unless every byte of ``old`` is in ``new``, in place, before and
    after the inserted lines.
    """
    if not old.endswith((b"\n", b"\r")):  # the last line gains its line break
        assert new.startswith(old)
        return new[len(old) :]
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    k = 0
    while k < len(old_lines) and old_lines[k] == new_lines[k]:
        k += 1
    n = len(new_lines) - len(old_lines)
    assert n > 0
    assert new_lines[k + n :] == old_lines[k:], "lines after the new meeting changed"
    return b"".join(new_lines[k : k + n])


def meeting_span(data: bytes, day: date) -> tuple[int, int]:
    """The lines a meeting may occupy: from its first line to the next item or key.

    Worked out from PyYAML's node marks, independently of mend's editor.
    """
    text = data.decode("utf-8-sig")
    root = yaml.compose(text)
    keys = [k.value for k, _ in root.value]
    seq = root.value[keys.index("meetings")][1]
    nexts = [k.start_mark.line for k, _ in root.value[keys.index("meetings") + 1 :]]
    end = nexts[0] if nexts else len(text.splitlines())
    for i, item in enumerate(seq.value):
        fields = {k.value: v.value for k, v in item.value}
        if fields.get("date") == day.isoformat():
            start = item.start_mark.line
            lines = text.splitlines()
            if lines[start].strip().startswith("date") and lines[start - 1].strip() == "-":
                start -= 1  # a dash alone on the line above the item
            stop = seq.value[i + 1].start_mark.line if i + 1 < len(seq.value) else end
            return start, stop
    raise AssertionError(f"no meeting on {day}")


def assert_untouched_outside(old: bytes, new: bytes, start: int, stop: int) -> None:
    """Every byte of ``old`` before line ``start`` and from line ``stop`` is in ``new``."""
    lines = old.splitlines(keepends=True)
    before, after = b"".join(lines[:start]), b"".join(lines[stop:])
    assert new.startswith(before), "the file changed before the meeting"
    if after:
        assert new.endswith(after), "the file changed after the meeting"
    assert len(new) >= len(before) + len(after)


# -- round trip in every style -----------------------------------------------------


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("style", list(STYLES))
def test_a_new_meeting_is_inserted_and_nothing_else_changes(tmp_path, style, encoding):
    old = ENCODINGS[encoding](HEAD + STYLES[style])
    path = write(tmp_path, old)
    before = load(path).case
    result = log(path, entry=MeetingEntry(date=date(2026, 11, 24), **ENTRY), today=TODAY)
    assert result.written and result.created
    new = path.read_bytes()

    block = inserted_block(old, new)
    assert b"2026-11-24" in block
    assert new.startswith(b"\xef\xbb\xbf") == (encoding == "bom")
    if encoding == "crlf":
        assert b"\n" not in new.replace(b"\r\n", b"")  # no bare LF slipped in
    assert comments(new) == comments(old)
    assert backup_path(path).read_bytes() == old

    after = load(path).case
    assert after.model_dump(exclude={"meetings"}) == before.model_dump(exclude={"meetings"})
    assert [m.model_dump() for m in after.meetings[:-1]] == [
        m.model_dump() for m in before.meetings
    ]
    added = after.meetings[-1]
    assert added.date == date(2026, 11, 24)
    assert added.heard == ENTRY["heard"] and added.concerns == ENTRY["concerns"]
    assert added.actions[0].owner == "Ciara Walsh"
    assert added.actions[0].due == date(2026, 11, 27)
    assert (added.progress[0].status, added.progress[0].note) == ("at-risk", "Waiting on photos")
    assert [(u.commitment, u.status, u.note) for u in added.commitments] == [
        ("photos", "at-risk", "The photographer is ill")
    ]


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("style", list(STYLES))
def test_a_second_log_for_a_date_merges_into_that_meeting_only(tmp_path, style, encoding):
    old = ENCODINGS[encoding](HEAD + STYLES[style])
    path = write(tmp_path, old)
    before = load(path).case
    day = date(2026, 11, 10)
    index = next(i for i, m in enumerate(before.meetings) if m.date == day)
    result = log(path, entry=MeetingEntry(date=day, **ENTRY), today=TODAY)
    assert result.written and not result.created
    new = path.read_bytes()

    assert_untouched_outside(old, new, *meeting_span(old, day))
    assert comments(new) == comments(old)
    assert backup_path(path).read_bytes() == old

    after = load(path).case
    assert len(after.meetings) == len(before.meetings)
    assert after.model_dump(exclude={"meetings"}) == before.model_dump(exclude={"meetings"})
    for i, (a, b) in enumerate(zip(after.meetings, before.meetings, strict=True)):
        if i != index:
            assert a.model_dump() == b.model_dump()
    merged, was = after.meetings[index], before.meetings[index]
    assert merged.heard == was.heard + ENTRY["heard"]
    assert merged.decisions == was.decisions + ENTRY["decisions"]
    assert [a.text for a in merged.actions] == [a.text for a in was.actions] + [
        "Send two logo options"
    ]
    assert "Logged by mend." in merged.summary
    assert [(u.commitment, u.status) for u in merged.commitments] == [("photos", "at-risk")]
    if was.summary:
        assert merged.summary.startswith(was.summary.strip())

    # The same log again adds nothing, writes nothing.
    backup_path(path).unlink()
    again = log(path, entry=MeetingEntry(date=day, **ENTRY), today=TODAY)
    assert not again.written
    assert path.read_bytes() == new
    assert not backup_path(path).exists()


@pytest.mark.parametrize("tail", ["", "meetings: []\n", "meetings: []\nstatus: open\n"])
def test_a_first_meeting_gets_a_meetings_list(tmp_path, tail):
    old = (HEAD + tail).encode()
    path = write(tmp_path, old)
    log(path, entry=MeetingEntry(date=date(2026, 11, 24), summary="First."), today=TODAY)
    new = path.read_bytes()
    assert new.startswith(HEAD.encode())
    if "status" in tail:
        assert new.endswith(b"status: open\n")
    assert [m.summary for m in load(path).case.meetings] == ["First."]


def test_the_example_case_keeps_every_other_byte(tmp_path):
    old = (ROOT / "content" / "acme-portal.yaml").read_bytes()
    path = write(tmp_path, old, "acme-portal.yaml")
    day = date(2026, 11, 24)  # listed in the file, not yet held
    log(
        path,
        entry=MeetingEntry(
            date=day,
            summary="Signed the agreement.",
            progress=[ProgressEntry("sso-login", "done")],
        ),
        today=day,
    )
    new = path.read_bytes()
    assert_untouched_outside(old, new, *meeting_span(old, day))
    assert comments(new) == comments(old)
    case = load(path).case
    meeting = next(m for m in case.meetings if m.date == day)
    assert meeting.held and meeting.attendees  # the listed attendees are kept
    assert [(p.milestone, p.status) for p in meeting.progress] == [("sso-login", "done")]


def test_a_new_meeting_on_a_check_in_date_keeps_the_check_in_time(tmp_path):
    path = write(tmp_path, textwrap.dedent(FULL_CASE).encode())
    log(path, entry=MeetingEntry(date=date(2026, 12, 1), summary="Short one."), today=TODAY)
    meeting = load(path).case.meetings[-1]
    assert (meeting.date, meeting.time) == (date(2026, 12, 1), load(path).case.plan.checkins.time)


# -- merging ------------------------------------------------------------------------


def test_merging_updates_an_action_and_replaces_progress_and_commitment_updates(tmp_path):
    path = write(tmp_path, (HEAD + STYLES["block"]).encode())
    day = date(2026, 11, 24)
    log(path, entry=MeetingEntry(date=day, **ENTRY), today=TODAY)
    log(
        path,
        entry=MeetingEntry(
            date=day,
            attendees=["Mo Byrne", "Ciara Walsh"],
            actions=[ActionEntry("Send two logo options", due=date(2026, 11, 30))],
            progress=[ProgressEntry("brand-review", "on-track")],
            commitments=[
                CommitmentEntry("photos", "renegotiated", "Now due 4 December"),
                CommitmentEntry("weekly-call", "kept"),
            ],
            heard=["The new logo feels cold"],
        ),
        today=TODAY,
    )
    meetings = [m for m in load(path).case.meetings if m.date == day]
    assert len(meetings) == 1
    meeting = meetings[0]
    assert meeting.attendees == ["Mo Byrne", "Ciara Walsh"]
    assert meeting.heard == ["The new logo feels cold"]
    assert [(a.text, a.owner, a.due) for a in meeting.actions] == [
        ("Send two logo options", "Ciara Walsh", date(2026, 11, 30))
    ]
    assert [(p.milestone, p.status, p.note) for p in meeting.progress] == [
        ("brand-review", "on-track", None)
    ]
    assert [(u.commitment, u.status, u.note) for u in meeting.commitments] == [
        ("photos", "renegotiated", "Now due 4 December"),
        ("weekly-call", "kept", None),
    ]


one_line = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and s)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(one_line, min_size=1, max_size=4, unique=True))
def test_any_text_reads_back_as_written(tmp_path, texts):
    """Quotes, colons, hashes, `yes`, dates, any script: YAML must not reinterpret them."""
    path = write(tmp_path, (HEAD + STYLES["flow-lists"]).encode(), "prop.yaml")
    log(
        path,
        entry=MeetingEntry(
            date=date(2026, 11, 24),
            heard=texts,
            decisions=texts,
            positives=texts,
            actions=[ActionEntry(t, owner=t) for t in texts],
            progress=[ProgressEntry("launch", "planned", texts[0])],
            commitments=[CommitmentEntry("photos", "kept", texts[-1])],
        ),
        today=TODAY,
    )
    meeting = load(path).case.meetings[-1]
    assert meeting.heard == texts and meeting.decisions == texts and meeting.positives == texts
    assert [(a.text, a.owner) for a in meeting.actions] == [(t, t) for t in texts]
    assert meeting.progress[0].note == texts[0]
    assert meeting.commitments[0].note == texts[-1]


# -- closing actions ---------------------------------------------------------------


def test_action_done_by_number_and_by_text(tmp_path):
    path = write(tmp_path, (HEAD + STYLES["four-spaces"]).encode())
    log(
        path,
        entry=MeetingEntry(
            date=date(2026, 11, 17),
            actions=[ActionEntry("Book the photographer"), ActionEntry("Print the samples")],
        ),
        today=TODAY,
    )
    old = path.read_bytes()
    result = log(path, done=["1", "photographer"], today=TODAY)
    assert [a.number for a in result.closed] == [1, 2]
    new = path.read_bytes()
    assert new.count(b"done: true") == 2
    assert len(new.splitlines()) == len(old.splitlines()) + 2  # one line per action
    actions = [a for m in load(path).case.meetings for a in m.actions]
    assert [(a.text, a.done) for a in actions] == [
        ("Send the mood board", True),
        ("Book the photographer", True),
        ("Print the samples", False),
    ]
    assert backup_path(path).read_bytes() == old

    again = log(path, done=["1"], today=TODAY)
    assert not again.written and [a.number for a in again.already_done] == [1]
    assert path.read_bytes() == new


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("9", "case.yaml: no action number 9: the case has 1 action"),
        ("nothing like it", 'case.yaml: no action matches "nothing like it"'),
    ],
)
def test_an_unknown_action_is_an_error_naming_the_file(tmp_path, selector, message):
    path = write(tmp_path, (HEAD + STYLES["four-spaces"]).encode())
    old = path.read_bytes()
    with pytest.raises(MendError, match=message):
        log(path, done=[selector], today=TODAY, display="case.yaml")
    assert path.read_bytes() == old


def test_text_matching_several_open_actions_must_be_narrowed(tmp_path):
    path = write(tmp_path, (HEAD + STYLES["block"]).encode())
    entry = MeetingEntry(
        date=date(2026, 11, 24), actions=[ActionEntry("Call Mo"), ActionEntry("Call Mo's printer")]
    )
    log(path, entry=entry, today=TODAY)
    with pytest.raises(MendError, match="matches 2 actions"):
        log(path, done=["call"], today=TODAY)
    assert log(path, done=["call mo"], today=TODAY).closed[0].text == "Call Mo"  # exact match wins


# -- refusing to write -----------------------------------------------------------


def test_an_invalid_result_leaves_the_file_and_no_backup(tmp_path):
    old = (HEAD + STYLES["block"]).encode()
    path = write(tmp_path, old)
    entry = MeetingEntry(date=date(2026, 11, 24), progress=[ProgressEntry("no-such", "done")])
    with pytest.raises(CaseError) as info:
        log(path, entry=entry, today=TODAY, display="content/case.yaml")
    problem = info.value.problems[0]
    assert problem.path == "meetings[2].progress[0].milestone"
    assert problem.line is not None and "no-such" in problem.message
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]  # no .bak, no temp file


def test_an_invalid_file_is_not_edited(tmp_path):
    old = (HEAD.replace("title:", "titel:") + STYLES["block"]).encode()
    path = write(tmp_path, old)
    with pytest.raises(CaseError, match="did you mean `title`"):
        log(path, entry=MeetingEntry(date=date(2026, 11, 24), summary="x"), today=TODAY)
    assert path.read_bytes() == old


def test_the_file_mode_is_kept(tmp_path):
    path = write(tmp_path, (HEAD + STYLES["block"]).encode())
    os.chmod(path, 0o600)
    log(path, entry=MeetingEntry(date=date(2026, 11, 24), summary="x"), today=TODAY)
    assert path.stat().st_mode & 0o777 == 0o600


# -- every valid layout: edited in place, or refused with nothing changed ----------------

#: Case files in layouts beyond the usual block style. Each holds meetings on
#: 2026-11-10 and 2026-11-17 unless it has none.
MO = HEAD.replace("- name: Mo Byrne", "- name: &mo Mo Byrne")
LONG = "word " * 2000
LAYOUTS = {
    "flow-meeting-items": HEAD
    + """\
meetings:
  - {date: 2026-11-10, summary: We met.}   # one line
  - {date: 2026-11-17,
     decisions: [Weekly calls]}
status: open
""",
    "alias-to-a-contact": MO
    + """\
meetings:
  - date: 2026-11-10
    attendees: [Ciara Walsh]
  - date: 2026-11-17
    attendees: [*mo, Ciara Walsh]
""",
    "tags": HEAD
    + """\
meetings: !!seq
  - !!map
    date: 2026-11-10
    summary: !!str 2026
  - date: !!timestamp 2026-11-17
""",
    "comments-and-blank-lines-between-meetings": HEAD
    + """\
meetings:

  # -- November --

  - date: 2026-11-10


  # between
  #   two meetings
  - date: 2026-11-17
    summary: Second.

# -- the end --
""",
    "document-markers": "%YAML 1.1\n--- # the Harbour case\n"
    + HEAD
    + """\
meetings:
  - date: 2026-11-10
  - date: 2026-11-17
...
# after the document
""",
    "tabs-in-comments": HEAD
    + """\
meetings:
  - date: 2026-11-10\t# the kickoff,\twith a tab
    summary: We met.\t\t# tabs before a comment
  # between\tmeetings
  - date: 2026-11-17\t# second
""",
    "very-long-lines": HEAD
    + f"""\
meetings:
  # {LONG}
  - date: 2026-11-10
    summary: {LONG}
  - date: 2026-11-17
    heard: ["{LONG}"]   # {LONG}
""",
    "indented-document": "".join(
        "  " + line if line.strip() and not line.startswith("#") else line
        for line in (
            HEAD
            + """\
meetings:
  - date: 2026-11-10
  - date: 2026-11-17
"""
        ).splitlines(keepends=True)
    ),
}

#: Layouts with no meeting yet: the first one goes under the key, whose line
#: keeps its comment.
EMPTY = {
    "empty-value": "meetings:   # none yet\nstatus: open\n",
    "null": "meetings: null   # none yet\nstatus: open\n",
    "tilde": "meetings: ~\n",
    "empty-flow-list": "meetings: []  # none yet\nstatus: open\n",
    "tagged-empty-list": "meetings: !!seq []\nstatus: open\n",
}

#: Layouts mend log refuses: the meetings (after MO), the date logged, the
#: line of the refusal (counted from the first line of the meetings) and its words.
REFUSED = {
    "flow-list": (
        "meetings: [{date: 2026-11-10, summary: We met.}, {date: 2026-11-17}]   # flow\n",
        None,
        1,
        "meetings: written in flow style ([...]); mend log edits block-style lists only: "
        'rewrite it as a block list (one "- date: ..." per meeting) or add the meeting by hand',
    ),
    "flow-list-on-lines": (
        "meetings: [\n  {date: 2026-11-10},  # first\n  {date: 2026-11-17},\n]\n",
        None,
        1,
        "meetings: written in flow style ([...])",
    ),
    "alias-in-the-edited-meeting": (
        "meetings:\n  - date: 2026-11-10\n  - date: 2026-11-17\n    attendees: [*mo]\n",
        date(2026, 11, 17),
        4,
        "meetings[1]: this meeting shares the value of the YAML anchor `&mo` with line 6",
    ),
    "anchor-in-the-edited-meeting": (
        "meetings:\n  - date: 2026-11-10\n    attendees: &both [Mo Byrne, Ciara Walsh]\n"
        "  - date: 2026-11-17\n    attendees: *both\n",
        date(2026, 11, 10),
        3,
        "meetings[0]: this meeting shares the value of the YAML anchor `&both` with line 38",
    ),
    "anchor-and-alias-in-one-meeting": (
        # Adding a concern would add it to the positives as well.
        "meetings:\n  - date: 2026-11-10\n    positives: &quick [Quick replies]\n"
        "    concerns: *quick\n",
        date(2026, 11, 10),
        3,
        "meetings[0]: this meeting shares the value of the YAML anchor `&quick` with line 37",
    ),
    "merge-key": (
        "meetings:\n  - &base\n    date: 2026-11-10\n    kind: check-in\n"
        "  - <<: *base\n    date: 2026-11-17\n",
        date(2026, 11, 17),
        5,
        "meetings[1]: YAML merge keys (<<) are not supported",
    ),
    "comment-inside-a-flow-meeting": (
        "meetings:\n  - {date: 2026-11-10,\n     # inside the braces\n     summary: We met.}\n",
        date(2026, 11, 10),
        3,
        "would lose the comment '# inside the braces'",
    ),
    "empty-list-below-its-key": (
        "meetings:\n  []\n",
        None,
        2,
        "meetings: an empty list written apart from its key",
    ),
}


def changed_span(old: bytes, new: bytes) -> tuple[int, int]:
    """The lines of ``old`` that differ in ``new``: every other byte is in place."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    stop = 0
    while stop < min(len(a), len(b)) - start and a[-1 - stop] == b[-1 - stop]:
        stop += 1
    assert (
        b"".join(a[:start]) + b"".join(b[start : len(b) - stop]) + b"".join(a[len(a) - stop :])
        == new
    )
    return start, len(a) - stop


def node_span(data: bytes, day: date) -> tuple[int, int]:
    """The lines of a meeting by PyYAML's marks, from its ``-`` to its last value."""
    text = data.decode("utf-8-sig")
    root = yaml.compose(text, Loader=yaml.CSafeLoader)  # the C loader reads tabs as mend does
    seq = next(v for k, v in root.value if k.value == "meetings")
    item = next(i for i in seq.value if any(v.value == day.isoformat() for _, v in i.value))
    last = max(v.end_mark.line - (v.end_mark.column == 0) for _, v in item.value)
    return item.start_mark.line, max(last, item.end_mark.line - (item.end_mark.column == 0)) + 1


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_merges_into_one_meeting_and_keeps_every_other_byte(
    tmp_path, layout, encoding
):
    old = ENCODINGS[encoding](LAYOUTS[layout])
    # The meeting that uses an alias is refused (see REFUSED); the other is not.
    days = [date(2026, 11, 10)] + ([date(2026, 11, 17)] if "alias" not in layout else [])
    for day in days:
        path = write(tmp_path, old)
        before = load(path).case
        index = next(i for i, m in enumerate(before.meetings) if m.date == day)
        result = log(path, entry=MeetingEntry(date=day, **ENTRY), today=TODAY)
        assert result.written and not result.created
        new = path.read_bytes()
        start, stop = changed_span(old, new)
        first, last = node_span(old, day)
        assert first <= start and stop <= last, f"lines {start}-{stop} changed, not {first}-{last}"
        after = load(path).case
        assert after.model_dump(exclude={"meetings"}) == before.model_dump(exclude={"meetings"})
        for i, (a, b) in enumerate(zip(after.meetings, before.meetings, strict=True)):
            assert (a.model_dump() == b.model_dump()) == (i != index)
        assert after.meetings[index].concerns == before.meetings[index].concerns + ENTRY["concerns"]
        assert "Logged by mend." in after.meetings[index].summary


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_every_layout_takes_a_new_meeting_without_changing_a_byte(tmp_path, layout, encoding):
    old = ENCODINGS[encoding](LAYOUTS[layout])
    path = write(tmp_path, old)
    before = load(path).case
    assert log(path, entry=MeetingEntry(date=date(2026, 11, 24), **ENTRY), today=TODAY).written
    new = path.read_bytes()
    assert b"2026-11-24" in inserted_block(old, new)
    after = load(path).case
    assert [m.model_dump() for m in after.meetings[:-1]] == [
        m.model_dump() for m in before.meetings
    ]
    assert after.meetings[-1].concerns == ENTRY["concerns"]


def test_a_long_line_is_written_on_one_line(tmp_path):
    path = write(tmp_path, LAYOUTS["very-long-lines"].encode())
    log(path, entry=MeetingEntry(date=date(2026, 11, 24), summary=LONG.strip()), today=TODAY)
    assert f"summary: {LONG.strip()}\n".encode() in path.read_bytes()


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("layout", list(EMPTY))
def test_the_first_meeting_goes_under_an_empty_key(tmp_path, layout, encoding):
    tail = EMPTY[layout]
    old = ENCODINGS[encoding](HEAD + tail)
    path = write(tmp_path, old)
    log(path, entry=MeetingEntry(date=date(2026, 11, 24), summary="First."), today=TODAY)
    new = path.read_bytes()
    key = HEAD.count("\n")
    start, stop = changed_span(old, new)
    assert (start, stop) in ((key, key + 1), (key + 1, key + 1))  # the key's line at most
    line = new.splitlines()[key].decode("utf-8")
    assert line.startswith("meetings:") and not any(v in line for v in ("[]", "null", "~"))
    assert line.endswith("# none yet") == ("#" in tail)
    assert [(m.date, m.summary) for m in load(path).case.meetings] == [
        (date(2026, 11, 24), "First.")
    ]


@pytest.mark.parametrize("layout", list(REFUSED))
def test_a_layout_mend_log_cannot_edit_is_refused_and_left_as_it_was(tmp_path, layout):
    tail, day, line, words = REFUSED[layout]
    old = (MO + tail).encode()
    path = write(tmp_path, old)
    entry = MeetingEntry(date=day or date(2026, 11, 24), summary="Again.")
    with pytest.raises(CaseError) as info:
        log(path, entry=entry, today=TODAY, display="content/case.yaml")
    line += MO.count("\n")
    assert str(info.value).startswith(f"content/case.yaml:{line}: ")
    assert words in str(info.value)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]


def test_a_case_written_as_one_flow_mapping_is_refused(tmp_path):
    data = yaml.safe_load(HEAD + "meetings: [{date: 2026-11-10}]\n")
    old = yaml.safe_dump(data, default_flow_style=True, width=10_000).encode()
    path = write(tmp_path, old)
    with pytest.raises(CaseError, match=r"^case.yaml:1: the case is written as one flow mapping"):
        log(
            path,
            entry=MeetingEntry(date=date(2026, 11, 24), summary="x"),
            today=TODAY,
            display="case.yaml",
        )
    assert path.read_bytes() == old


def test_editing_a_meeting_that_shares_an_alias_is_refused_before_the_editor_opens(tmp_path):
    tail, day, line, words = REFUSED["alias-in-the-edited-meeting"]
    line += MO.count("\n")
    path = write(tmp_path, (MO + tail).encode())
    with pytest.raises(CaseError, match=f"case.yaml:{line}: "):
        meeting_snippet(path, day, today=TODAY, display="case.yaml")
    with pytest.raises(CaseError, match=f"case.yaml:{line}: "):
        apply_snippet(path, day, "date: 2026-11-17\nsummary: x\n", today=TODAY, display="case.yaml")


def test_cli_refuses_a_flow_list_with_one_message_and_exit_1(ws):
    path = ws / "content" / "acme.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    start = text.index("\nmeetings:") + 1
    end = text.index("\nagreement:") + 1 if "\nagreement:" in text[start:] else len(text)
    flow = "meetings: " + yaml.safe_dump(data["meetings"], default_flow_style=True, width=10_000)
    old = (text[:start] + flow + text[end:]).encode()
    path.write_bytes(old)
    result = run(ws, "acme", "--summary", "Again.")
    line = text[:start].count("\n") + 1
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"content/acme.yaml:{line}: meetings: written in flow style" in result.output
    assert path.read_bytes() == old
    assert not backup_path(path).exists()


# -- the editor snippet --------------------------------------------------------------


def test_a_snippet_saved_unchanged_changes_nothing(tmp_path):
    old = (HEAD + STYLES["comments-between-items"]).encode()
    path = write(tmp_path, old)
    day = date(2026, 11, 10)
    snippet = meeting_snippet(path, day, today=TODAY)
    assert "# before heard" in snippet and "# a comment between two items" in snippet
    result = apply_snippet(path, day, snippet, today=TODAY)
    assert not result.written
    assert path.read_bytes() == old


@pytest.mark.parametrize("style", list(STYLES))
def test_an_edited_snippet_changes_that_meeting_only(tmp_path, style):
    old = (HEAD + STYLES[style]).encode()
    path = write(tmp_path, old)
    day = date(2026, 11, 10)
    snippet = meeting_snippet(path, day, today=TODAY)
    lines = snippet.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    assert "2026-11-10" in lines[first]  # the date, the meeting's first key
    lines.insert(first + 1, "concerns: [Edited by hand]\n")
    edited = "".join(lines)
    assert apply_snippet(path, day, edited, today=TODAY).written
    new = path.read_bytes()
    assert_untouched_outside(old, new, *meeting_span(old, day))
    assert comments(new) == comments(old)
    meetings = load(path).case.meetings
    assert [m.concerns for m in meetings if m.date == day] == [["Edited by hand"]]


def test_closing_an_action_of_a_meeting_that_ends_in_a_kept_block_scalar(tmp_path):
    tail = """\
meetings:
  - date: 2026-11-10
    actions:
      - text: Send the photos
    summary: |+
      Kept with its
      trailing lines.


affirmations: [Mo answered within the hour]
"""
    old = (HEAD + tail).encode()
    path = write(tmp_path, old)
    log(path, done=["1"], today=TODAY)
    new = path.read_bytes()
    assert new == old.replace(b"Send the photos\n", b"Send the photos\n        done: true\n")
    meeting = load(path).case.meetings[0]
    assert meeting.summary == "Kept with its\ntrailing lines.\n\n\n"


def test_a_new_meeting_snippet_lists_keys_in_the_case_format_order(tmp_path):
    path = write(tmp_path, textwrap.dedent(FULL_CASE).encode())
    entry = MeetingEntry(date=date(2026, 12, 1), summary="Prefilled", attendees=["Lee Chen"])
    snippet = meeting_snippet(path, entry.date, entry=entry, today=TODAY)
    body = [line.split(":")[0] for line in snippet.splitlines() if not line.startswith("#")]
    assert body == [
        "date",
        "time",
        "attendees",
        "summary",
        "heard",
        "decisions",
        "actions",
        "progress",
    ]
    assert 'time: "10:00"' in snippet  # the check-in's time


def test_a_yaml_error_in_the_snippet_points_at_the_editors_line(tmp_path):
    path = write(tmp_path, (HEAD + STYLES["block"]).encode())
    day = date(2026, 11, 10)
    snippet = meeting_snippet(path, day, today=TODAY) + "heard: [again]\n"
    line = snippet.count("\n")  # the line just added, counting from 1
    with pytest.raises(MendError, match=rf"line {line}: found duplicate key \"heard\""):
        apply_snippet(path, day, snippet, today=TODAY)


# -- the command line ----------------------------------------------------------------


def run(workspace: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(
        main,
        ["log", *args, "--workspace", str(workspace), "--today", TODAY.isoformat()],
        env=env,
        catch_exceptions=False,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws", {"acme.yaml": FULL_CASE})


def test_cli_logs_every_option(ws, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("Long *summary*\n\nin two paragraphs.\n", encoding="utf-8")
    result = run(
        ws,
        "acme",
        "--date", "2026-11-24",
        "--kind", "review",
        "--attendee", "Dana Okafor",
        "--attendee", "Lee Chen",
        "--summary-file", str(summary),
        "--heard", "You want fewer surprises",
        "--decision", "Freeze scope",
        "--action", "Send the test report", "--owner", "Sam Rivera", "--due", "2026-11-26",
        "--action", "Book the review", "--due", "2026-12-01",
        "--progress", "tests-green=at-risk:two suites flaky",
        "--progress", "relaunch=missed",
        "--positive", "Fast feedback",
        "--concern", "Staging is slow",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "updated the meeting of 2026-11-24" in result.output
    assert "content/acme.yaml.bak" in result.output
    meeting = load(ws / "content" / "acme.yaml").case.meetings[1]
    assert meeting.kind == "review"
    assert meeting.attendees == ["Dana Okafor", "Sam Rivera", "Lee Chen"]
    assert meeting.summary == "Long *summary*\n\nin two paragraphs."
    assert [(a.text, a.owner, a.due) for a in meeting.actions] == [
        ("Send the test report", "Sam Rivera", date(2026, 11, 26)),
        ("Book the review", None, date(2026, 12, 1)),
    ]
    assert [(p.milestone, p.status, p.note) for p in meeting.progress] == [
        ("tests-green", "at-risk", "two suites flaky"),
        ("relaunch", "missed", None),
    ]
    assert (meeting.positives, meeting.concerns) == (["Fast feedback"], ["Staging is slow"])


def test_cli_list_and_close_actions(ws):
    listed = run(ws, "acme", "--list-actions")
    assert listed.output == (
        "1. [x] Send the revised test plan (Sam Rivera, due 2026-11-12) [meeting 2026-11-10]\n"
    )
    run(ws, "acme", "--date", "2026-11-24", "--action", "Book the review")
    closed = run(ws, "acme", "--action-done", "review")
    assert closed.exit_code == 0
    assert "action 2 done: Book the review" in closed.output
    assert "2. [x] Book the review" in run(ws, "acme", "--list-actions").output


def test_cli_invalid_result_is_one_message_and_exit_1(ws):
    path = ws / "content" / "acme.yaml"
    old = path.read_bytes()
    result = run(ws, "acme", "--progress", "nope=done")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "content/acme.yaml (not written):" in result.output
    assert 'progress[0].milestone: unknown milestone "nope"' in result.output
    assert path.read_bytes() == old
    assert not backup_path(path).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--owner", "Sam Rivera", "--action", "x"],  # an owner before any action
        ["--action", "x", "--due", "2026-11-30", "--due", "2026-12-01"],
        ["--progress", "tests-green"],
        ["--progress", "tests-green=finished"],
        [],  # nothing to log
    ],
)
def test_cli_usage_errors_exit_2_and_write_nothing(ws, args):
    path = ws / "content" / "acme.yaml"
    old = path.read_bytes()
    result = run(ws, "acme", *args)
    assert result.exit_code == 2, result.output
    assert path.read_bytes() == old


def editor(tmp_path: Path, code: str) -> dict[str, str]:
    """An $EDITOR that runs ``code`` on the file's text (``text``) and saves it."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import os, sys\n"
        "path = sys.argv[1]\n"
        "text = open(path, encoding='utf-8').read()\n"
        f"{code}\n"
        "open(path, 'w', encoding='utf-8').write(text)\n"
        "st = os.stat(path)\n"
        "os.utime(path, (st.st_atime, st.st_mtime + 5))\n",  # saved, as click checks
        encoding="utf-8",
    )
    return {"EDITOR": f'"{sys.executable}" "{script}"', "VISUAL": ""}


def test_cli_edit_changes_the_meeting_as_saved(ws, tmp_path):
    path = ws / "content" / "acme.yaml"
    old = path.read_bytes()
    env = editor(
        tmp_path,
        "text = text.replace('Weekly check-ins on Tuesdays', 'Check-ins on Tuesdays')\n"
        "text = text.replace('within a day]', 'within a day, From the editor]')",
    )
    result = run(ws, "acme", "--date", "2026-11-10", "--edit", env=env)
    assert result.exit_code == 0, result.output
    assert "updated the meeting of 2026-11-10" in result.output
    meeting = load(path).case.meetings[0]
    assert meeting.decisions == ["Check-ins on Tuesdays"]
    assert meeting.positives == ["Dana's team tested within a day", "From the editor"]
    assert meeting.internal_notes == "SENTINEL-NOTES Dana looked tired"  # kept, not shown
    assert_untouched_outside(old, path.read_bytes(), *meeting_span(old, date(2026, 11, 10)))


def test_cli_edit_prefills_a_new_meeting_from_the_options(ws, tmp_path):
    path = ws / "content" / "acme.yaml"
    env = editor(tmp_path, "text = text.replace('heard:\\n', 'heard: [Typed in the editor]\\n')")
    result = run(ws, "acme", "--date", "2026-12-01", "--summary", "Prefilled", "--edit", env=env)
    assert result.exit_code == 0, result.output
    meeting = load(path).case.meetings[-1]
    assert (meeting.date, meeting.summary, meeting.heard) == (
        date(2026, 12, 1),
        "Prefilled",
        ["Typed in the editor"],
    )
    assert meeting.decisions == [] and "decisions" not in meeting.model_fields_set


def test_cli_edit_closed_without_saving_logs_nothing(ws, tmp_path):
    path = ws / "content" / "acme.yaml"
    old = path.read_bytes()
    script = tmp_path / "noop.py"
    script.write_text("pass\n", encoding="utf-8")
    env = {"EDITOR": f'"{sys.executable}" "{script}"', "VISUAL": ""}
    result = run(ws, "acme", "--edit", env=env)
    assert result.exit_code == 0
    assert "nothing logged" in result.output
    assert path.read_bytes() == old


def test_cli_edit_that_breaks_the_case_writes_nothing(ws, tmp_path):
    path = ws / "content" / "acme.yaml"
    old = path.read_bytes()
    env = editor(tmp_path, "text = text.replace('milestone: tests-green', 'milestone: nope')")
    result = run(ws, "acme", "--date", "2026-11-10", "--edit", env=env)
    assert result.exit_code == 1
    assert 'unknown milestone "nope"' in result.output
    assert "nothing logged: content/acme.yaml is unchanged" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == old
    assert not backup_path(path).exists()


# -- the edited file read from the lines around the change ---------------------------


#: Every layout above (whole files) but those with aliases (read whole), and a list
#: long enough to have meetings after the lines read.
WINDOW_LAYOUTS = {
    **{name: HEAD + style for name, style in STYLES.items()},
    **{name: text for name, text in LAYOUTS.items() if "*" not in text},
    "many meetings, a key after": HEAD
    + "meetings:\n"
    + "".join(
        f"  # week {n}\n  - date: 2026-{m:02d}-{d:02d}\n    summary: Week {n}.\n"
        f"    actions:\n      - text: Task {n}\n\n"
        for n, (m, d) in enumerate([(10, 6), (11, 10), (10, 20), (11, 17), (11, 3)])
    )
    + "affirmations:\n  - Mo answered within the hour\n",
}

OPERATIONS = {
    "new meeting": dict(entry=MeetingEntry(date=date(2026, 11, 24), **ENTRY)),
    "merge into the first": dict(entry=MeetingEntry(date=date(2026, 11, 10), **ENTRY)),
    "merge into the last": dict(entry=MeetingEntry(date=date(2026, 11, 17), **ENTRY)),
    "action done and a new meeting": dict(
        entry=MeetingEntry(date=date(2026, 11, 24), summary="Later."), done=["1"]
    ),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("style", list(WINDOW_LAYOUTS))
def test_the_edited_file_reads_as_a_whole_reading_of_it_does(
    tmp_path, monkeypatch, style, encoding, operation
):
    """mend log reads the edited file from the lines around the change; it must agree.

    Its values, the line of every field (in the same order) and its problems
    must be exactly what composing and reading the whole written file gives,
    whatever the layout: else a warning would name a wrong line, or an edit
    that changed another meeting would pass the check.
    """
    from generator import logbook
    from generator.reader import CaseLoader, read_node

    text = WINDOW_LAYOUTS[style]
    if operation == "merge into the last" and "2026-11-17" not in text:
        pytest.skip("this layout has no meeting on 2026-11-17")
    if operation.startswith("action done") and "actions:" not in text:
        pytest.skip("this layout has no action to mark done")
    path = write(tmp_path, ENCODINGS[encoding](text))
    windows = []
    read_window = logbook._Editor._read_window

    def checked(self, out):
        got = read_window(self, out)
        windows.append(got is not None)
        if got is not None:
            whole = read_node(yaml.compose("".join(out), Loader=CaseLoader), "x")
            assert got[0] == whole[0]
            assert list(got[1].items()) == list(whole[1].items())
            assert got[2] == whole[2] == []
        return got

    monkeypatch.setattr(logbook._Editor, "_read_window", checked)
    result = log(path, today=TODAY, **OPERATIONS[operation])
    assert result.written
    assert windows == [True], "the lines around the change were not enough to read it"
