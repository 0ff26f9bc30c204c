"""Loading and validating case files: every error names file, line and field."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from generator.case import load_case
from generator.errors import CaseError

from .conftest import FULL_CASE, MINIMAL_CASE, TODAY


def load(tmp_path: Path, text: str, name: str = "case.yaml", **kwargs):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_case(path, display=f"content/{name}", today=TODAY, **kwargs)


def errors(tmp_path: Path, text: str, name: str = "case.yaml") -> list[str]:
    with pytest.raises(CaseError) as info:
        load(tmp_path, text, name)
    return [str(p) for p in info.value.problems]


def test_full_case_loads_with_every_field(tmp_path):
    cf = load(tmp_path, FULL_CASE)
    case = cf.case
    assert case.id == "acme"
    assert case.timezone == "Europe/London"
    assert case.primary_contact.name == "Dana Okafor"
    assert case.lead.name == "Sam Rivera"
    assert case.plan.checkins.time == time(10, 0)
    assert case.plan.milestones[0].due == date(2026, 12, 4)
    assert case.meetings[0].held and not case.meetings[1].held
    assert case.agreement.signatories[1].party == "us"
    assert cf.warnings == []


def test_defaults_and_id_from_file_name(tmp_path):
    cf = load(tmp_path, MINIMAL_CASE, name="harbour-rebrand.yaml", default_timezone="Europe/Dublin")
    assert cf.id == "harbour-rebrand"
    assert cf.case.status == "open"
    assert cf.case.timezone == "Europe/Dublin"
    assert cf.case.plan.milestones[0].status == "planned"
    assert cf.case.agreement is None and cf.case.meetings == []


def test_error_names_file_line_and_path(tmp_path):
    text = MINIMAL_CASE.replace("due: 2026-12-10", "due: 2026-13-01")
    assert errors(tmp_path, text) == [
        'content/case.yaml:17: plan.milestones[0].due: not a date: "2026-13-01" (expected YYYY-MM-DD)'
    ]


def test_unknown_key_suggests_the_closest(tmp_path):
    text = MINIMAL_CASE.replace("  milestones:", "  mielstones: []\n  milestones:")
    assert errors(tmp_path, text) == [
        "content/case.yaml:14: plan.mielstones: unknown key `mielstones` at plan: did you mean `milestones`?"
    ]


def test_all_errors_of_a_file_at_once(tmp_path):
    text = (
        MINIMAL_CASE.replace("title: A small case\n", "")
        .replace("due: 2026-12-10", "due: 2026-02-30")
        .replace("    - name: Mo Byrne", "    - name: Mo Byrne\n      primry: true")
    )
    found = errors(tmp_path, text)
    assert len(found) == 3
    assert "title: required field is missing" in found[0]
    assert "client.contacts[0].primry: unknown key `primry`" in found[1]
    assert "did you mean `primary`?" in found[1]
    assert 'plan.milestones[0].due: not a date: "2026-02-30"' in found[2]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("title: A small case", "title: [a, list]", "title: expected text, got a list"),
        ("title: A small case", "status: pending\ntitle: x", "status: must be one of"),
        ("id: brand-review", "id: Brand Review", 'not a valid id: "Brand Review"'),
        (
            "email: mo@harbour.example",
            "email: not-an-address",
            'not an email address: "not-an-address"',
        ),
        ("client:\n", "timezone: Mars/Olympus\nclient:\n", 'unknown time zone: "Mars/Olympus"'),
        ("title: A small case", 'title: "two\\nlines"', "must be one line of text"),
    ],
)
def test_wrong_values(tmp_path, old, new, expected):
    found = errors(tmp_path, MINIMAL_CASE.replace(old, new, 1))
    assert any(expected in f for f in found), found


def test_cross_field_rules(tmp_path):
    text = (
        FULL_CASE.replace("    - id: relaunch", "    - id: tests-green")
        .replace("      - milestone: tests-green", "      - milestone: test-green")
        .replace("  - date: 2026-11-24", "  - date: 2026-11-10")
    )
    found = errors(tmp_path, text)
    assert any('plan.milestones[1].id: duplicate milestone id "tests-green"' in f for f in found)
    assert any('unknown milestone "test-green": did you mean `tests-green`?' in f for f in found)
    assert any("meetings[1].date: two meetings on 2026-11-10" in f for f in found)


def test_yaml_syntax_error_has_a_line(tmp_path):
    found = errors(tmp_path, MINIMAL_CASE.replace("title: A small case", 'title: "unclosed'))
    assert found[0].startswith("content/case.yaml:")
    assert "YAML syntax error" in found[0]


def test_tab_indentation_is_explained(tmp_path):
    found = errors(
        tmp_path,
        MINIMAL_CASE.replace("  organisation: Harbour Bakery", "\torganisation: Harbour Bakery"),
    )
    assert "a tab indents this line" in found[0] and ":3:" in found[0]


def test_duplicate_keys_are_errors(tmp_path):
    found = errors(tmp_path, MINIMAL_CASE + "title: Again\n")
    assert found == ["content/case.yaml:18: title: duplicate key `title` (first given on line 1)"]


def test_yaml_11_traps_keep_the_text_the_user_wrote(tmp_path):
    text = MINIMAL_CASE.replace("title: Brand review", "title: no").replace(
        "title: A small case", "title: 2026-11-24"
    )
    cf = load(tmp_path, text)
    assert cf.case.plan.milestones[0].title == "no"
    assert cf.case.title == "2026-11-24"


def test_unquoted_time_is_read_as_the_time_written(tmp_path):
    text = FULL_CASE.replace('time: "10:00"', "time: 10:00")
    assert load(tmp_path, text).case.plan.checkins.time == time(10, 0)


def test_empty_and_non_utf8_files(tmp_path):
    assert "the file is empty" in errors(tmp_path, "# just a comment\n")[0]
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Café\n".encode("latin-1"))
    with pytest.raises(CaseError) as info:
        load_case(path, display="content/latin1.yaml")
    assert "content/latin1.yaml:1: not UTF-8 text" in str(info.value.problems[0])


def test_alias_bomb_fails_fast(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]\n"
    assert "alias bomb" in errors(tmp_path, bomb)[0]


def test_file_name_that_is_not_an_id(tmp_path):
    found = errors(tmp_path, MINIMAL_CASE, name="Harbour Bakery.yaml")
    assert 'the file name "Harbour Bakery" is not a valid case id' in found[0]


def test_warnings_do_not_fail(tmp_path):
    text = (
        FULL_CASE.replace("      owner: Ana Patel", "      owner: Ana Patell")
        .replace("due: 2026-12-04\n      owner: Sam", "due: 2027-03-01\n      owner: Sam")
        .replace(
            "  - date: 2026-11-24\n    kind: check-in",
            "  - date: 2026-11-24\n    summary: Already?\n    kind: check-in",
        )
    )
    cf = load(tmp_path, text)
    messages = [str(w) for w in cf.warnings]
    assert any('unknown person "Ana Patell": did you mean `Ana Patel`?' in m for m in messages)
    assert any("after the agreement's review date" in m for m in messages)
    assert any("in the future but already has notes" in m for m in messages)
