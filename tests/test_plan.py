"""The living plan and the agenda's review: one change computation, two documents."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.build import build
from generator.case import load_case
from generator.history import compute
from generator.schedule import held_meetings

from .conftest import make_workspace
from .test_history import START, case_data, random_meetings

N_MEETINGS = 300
TODAY = START + timedelta(days=7 * N_MEETINGS + 1)
SENTINEL = "SENTINEL-MEETING-NOTES"


def long_case() -> dict[str, Any]:
    """A case with hundreds of meetings, internal notes in each, and a next check-in."""
    meetings = random_meetings(N_MEETINGS, seed=11)
    for k, meeting in enumerate(meetings):
        meeting["internal_notes"] = f"{SENTINEL} {k}"
        if "summary" in meeting:
            meeting["positives"] = [f"Positive {meeting['date']}"]
            meeting["concerns"] = [f"Concern {meeting['date']}"]
    data = {**case_data(meetings), "id": "long", "title": "A long recovery"}
    data["plan"]["checkins"] = {"cadence": "weekly", "weekday": "monday", "starts": START}
    return data


def section(text: str, start: str, end: str) -> str:
    """The text between two headings (exclusive), which must both be there."""
    a = text.index(start) + len(start)
    return text[a : text.index(end, a)].strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    ws = make_workspace(
        tmp_path_factory.mktemp("ws"),
        {"long.yaml": yaml.safe_dump(long_case(), sort_keys=False, allow_unicode=True)},
    )
    report = build(ws, today=TODAY, formats=("md", "html"), jobs=1)
    assert report.ok, report.failed
    return ws


def test_plan_and_agenda_print_the_same_changes_and_open_actions(built):
    ws = built
    out = ws / "output" / "long"
    agenda_name = next(p.name for p in out.glob("agenda-*.md"))
    plan, agenda = (out / "plan.md").read_text(), (out / agenda_name).read_text()
    plan_changes = section(plan, "## What changed since the previous meeting", "## Open actions")
    agenda_changes = section(agenda, "### Since we last met", "### Open actions")
    assert plan_changes == agenda_changes
    assert plan_changes.startswith("Recorded at our meeting on")
    assert section(plan, "## Open actions", "## Milestones") == section(
        agenda, "### Open actions", "## 3."
    )
    plan_html = (out / "plan.html").read_text()
    agenda_html = (out / agenda_name.replace(".md", ".html")).read_text()
    assert section(
        plan_html, "<h2>What changed since the previous meeting</h2>", "<h2>Open actions</h2>"
    ) == section(agenda_html, "<h3>Since we last met</h3>", "<h3>Open actions</h3>")


def test_the_changes_are_those_of_the_latest_meeting(built):
    ws = built
    case = load_case(ws / "content" / "long.yaml", display="long.yaml", today=TODAY).case
    history = compute(case, TODAY)
    changes = history.changes
    assert changes is not None
    plan = (ws / "output" / "long" / "plan.md").read_text()
    text = section(plan, "## What changed since the previous meeting", "## Open actions")
    assert f"{changes.date.day} " in text.splitlines()[0]
    labels = {"planned": "Planned", "on-track": "On track", "at-risk": "At risk"}
    labels |= {"done": "Done", "missed": "Missed"}
    for move in changes.moves:
        assert f"- {move.title}: {labels[move.before]} → {labels[move.after]}" in text
    for decision in changes.decisions:
        assert f"- {decision}" in text
    for action in changes.closed_actions:
        assert f"- {action.text}" in text
    assert "Actions closed" in text or not changes.closed_actions
    open_text = section(plan, "## Open actions", "## Milestones")
    assert open_text.startswith(f"{history.open_actions} open, {history.overdue_actions} overdue")
    # Owners with overdue actions come first.
    owners = re.findall(r"^\*\*(.+?)\*\*( \(\d+ overdue\))?$", open_text, re.MULTILINE)
    flags = [bool(overdue) for _, overdue in owners]
    assert flags == sorted(flags, reverse=True) and len(owners) == len(history.open_by_owner)


def test_the_status_summary_comes_first_and_counts_as_of_today(built):
    ws = built
    case = load_case(ws / "content" / "long.yaml", display="long.yaml", today=TODAY).case
    r = compute(case, TODAY).rollup
    plan = (ws / "output" / "long" / "plan.md").read_text()
    first = plan.split("\n## ")[0]
    assert (
        f"**At a glance:** {r.done} of {r.total} milestones done, {r.counts['on-track']} on track, "
        f"{r.counts['at-risk']} at risk, {r.counts['missed']} missed, {r.overdue} overdue."
    ) in first


def test_the_meeting_log_is_newest_first_with_positives_and_concerns(built):
    ws = built
    case = load_case(ws / "content" / "long.yaml", display="long.yaml", today=TODAY).case
    plan = (ws / "output" / "long" / "plan.md").read_text()
    log = plan[plan.index("## Meeting log") :]
    headings = re.findall(r"^### \w+ (\d+ \w+ \d{4}):", log, re.MULTILINE)
    shown = [date.fromisoformat(_iso(h)) for h in headings]
    assert shown == sorted((m.date for m in held_meetings(case)), reverse=True)
    newest = held_meetings(case)[-1]
    first = log.index("\n### ")
    entry = log[first : log.index("\n### ", first + 1)]
    assert f"- Positive {newest.date}" in entry and f"- Concern {newest.date}" in entry


def _iso(long_date: str) -> str:
    day, month, year = long_date.split()
    months = ["January", "February", "March", "April", "May", "June", "July"]
    months += ["August", "September", "October", "November", "December"]
    return f"{year}-{months.index(month) + 1:02d}-{int(day):02d}"


def test_no_internal_meeting_note_reaches_a_client_document(built):
    ws = built
    out = ws / "output"
    client = [p for p in out.rglob("*") if p.is_file() and "internal" not in p.parts]
    assert {p.suffix for p in client} >= {".md", ".html"}
    for path in client:
        assert SENTINEL not in path.read_text(encoding="utf-8", errors="replace"), path


def test_same_inputs_same_bytes(tmp_path):
    text = yaml.safe_dump(long_case(), sort_keys=False, allow_unicode=True)
    one, two = (make_workspace(tmp_path / name, {"long.yaml": text}) for name in ("one", "two"))
    for ws in (one, two):
        assert build(ws, today=TODAY, formats=("md", "html"), jobs=1).ok
    for name in ("plan.md", "plan.html"):
        path = Path("output") / "long" / name
        assert (one / path).read_bytes() == (two / path).read_bytes()
