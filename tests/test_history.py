"""The change computation the plan and the agenda share."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.case import validate_case
from generator.history import as_view, compute, number_actions, open_by_owner, status_moves
from generator.model import Case
from generator.progress import current_statuses, rollup
from generator.schedule import held_meetings

from .test_case import load

STATUSES = ["planned", "on-track", "at-risk", "done", "missed"]
OWNERS = ["Dana Okafor", "Sam Rivera", "Ana Patel", None]
START = date(2026, 1, 5)


def make_case(meetings: list[dict[str, Any]], milestones: int = 6) -> Case:
    """A valid case with the given meetings, validated like a file would be."""
    data = case_data(meetings, milestones)
    return validate_case(data, {}, path=Path("generated.yaml"), display="generated.yaml").case


def case_data(meetings: list[dict[str, Any]], milestones: int = 6) -> dict[str, Any]:
    """The data of a small valid case with the given meetings, as a file holds it."""
    return {
        "id": "generated",
        "title": "Generated case",
        "client": {"organisation": "Acme", "contacts": [{"name": "Dana Okafor"}]},
        "team": {"members": [{"name": "Sam Rivera"}, {"name": "Ana Patel"}]},
        "incident": {"summary": "Something went wrong."},
        "plan": {
            "milestones": [
                {"id": f"m{i}", "title": f"Milestone {i}", "due": START + timedelta(days=30 * i)}
                for i in range(milestones)
            ]
        },
        "meetings": meetings,
    }


def random_meetings(n: int, seed: int, milestones: int = 6) -> list[dict[str, Any]]:
    """``n`` meetings, a week apart, listed in a shuffled order as files may."""
    rnd = random.Random(seed)
    meetings = []
    for k in range(n):
        day = START + timedelta(days=7 * k)
        meeting: dict[str, Any] = {"date": day.isoformat()}
        if rnd.random() < 0.85:  # most meetings are held, some only scheduled
            meeting["summary"] = f"Meeting {k}"
            meeting["decisions"] = [f"Decision {k}.{j}" for j in range(rnd.randrange(3))]
            meeting["actions"] = [
                {
                    "text": f"Action {k}.{j}",
                    "owner": rnd.choice(OWNERS),
                    "due": (day + timedelta(days=rnd.randrange(1, 40))).isoformat()
                    if rnd.random() < 0.8
                    else None,
                    "done": rnd.random() < 0.6,
                }
                for j in range(rnd.randrange(4))
            ]
            meeting["progress"] = [
                {"milestone": f"m{rnd.randrange(milestones)}", "status": rnd.choice(STATUSES)}
                for _ in range(rnd.randrange(4))
            ]
        meetings.append(meeting)
    rnd.shuffle(meetings)
    return meetings


def reference_moves(case: Case) -> dict[date, dict[str, tuple[str, str]]]:
    """Status moves the slow way: the statuses as of each meeting, from progress.py."""
    out = {}
    held = held_meetings(case)
    for k, meeting in enumerate(held):
        before = (
            current_statuses(case, until=held[k - 1].date)
            if k
            else current_statuses(case, until=date.min)
        )
        after = current_statuses(case, until=meeting.date)
        out[meeting.date] = {
            p.milestone: (before[p.milestone], after[p.milestone]) for p in meeting.progress
        }
    return out


def test_status_moves_match_the_statuses_before_and_after_each_of_hundreds_of_meetings():
    case = make_case(random_meetings(400, seed=1))
    moves = status_moves(case)
    expected = reference_moves(case)
    assert set(moves) == set(expected)
    for day, ref in expected.items():
        assert {m.milestone: (m.before, m.after) for m in moves[day]} == ref


def test_changes_are_those_of_the_latest_held_meeting():
    case = make_case(random_meetings(300, seed=2))
    today = START + timedelta(days=7 * 300)
    history = compute(case, today)
    held = held_meetings(case)
    latest, previous = held[-1], held[-2]
    changes = history.changes
    assert changes is not None
    assert (changes.date, changes.previous) == (latest.date, previous.date)
    assert list(changes.decisions) == latest.decisions
    assert [a.text for a in changes.new_actions] == [a.text for a in latest.actions]
    before = current_statuses(case, until=previous.date)
    after = current_statuses(case)
    moved = {m.milestone: (m.before, m.after) for m in changes.moves}
    assert moved == {
        p.milestone: (before[p.milestone], after[p.milestone])
        for p in latest.progress
        if before[p.milestone] != after[p.milestone]
    }
    assert all(not m.changed for m in changes.confirmed)


def test_summary_counts_agree_with_rollup_and_actions():
    case = make_case(random_meetings(250, seed=3))
    today = START + timedelta(days=7 * 120)
    history = compute(case, today)
    assert history.rollup == rollup(case, today)
    numbered = number_actions(case)
    open_actions = [a for a in numbered if not a.done]
    assert history.open_actions == len(open_actions)
    assert history.overdue_actions == sum(a.is_overdue(today) for a in open_actions)
    view = as_view(history)
    status = view["status"]
    assert status["total"] == len(case.plan.milestones)
    assert sum(status[k] for k in ("done", "on_track", "at_risk", "missed", "planned")) == len(
        case.plan.milestones
    )


def test_actions_are_numbered_in_date_order_and_closing_one_renumbers_nothing():
    meetings = random_meetings(200, seed=4)
    case = make_case(meetings)
    numbered = number_actions(case)
    assert [a.number for a in numbered] == list(range(1, len(numbered) + 1))
    assert [a.meeting for a in numbered] == sorted(a.meeting for a in numbered)
    target = next(a for a in numbered if not a.done)
    meetings[target.meeting_index]["actions"][target.index]["done"] = True
    again = number_actions(make_case(meetings))
    assert [(a.number, a.text) for a in again] == [(a.number, a.text) for a in numbered]
    assert again[target.number - 1].done


def test_open_actions_by_owner_overdue_first():
    case = make_case(random_meetings(300, seed=5))
    today = START + timedelta(days=7 * 150)
    groups = open_by_owner(number_actions(case), today)
    owners = [g.owner for g in groups]
    assert len(owners) == len(set(owners))
    # People with overdue actions come before people without.
    flags = [g.overdue > 0 for g in groups]
    assert flags == sorted(flags, reverse=True)
    for group in groups:
        assert all(a.owner == group.owner and not a.done for a in group.actions)
        overdue = [a.is_overdue(today) for a in group.actions]
        assert overdue == sorted(overdue, reverse=True)
        assert group.overdue == sum(overdue)
        dated = [a.due for a in group.actions if not a.is_overdue(today) and a.due]
        assert dated == sorted(dated)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 60),  # day offset
            st.lists(st.tuples(st.integers(0, 2), st.sampled_from(STATUSES)), max_size=4),
        ),
        max_size=12,
        unique_by=lambda t: t[0],
    )
)
def test_status_moves_property(spec):
    meetings = [
        {
            "date": (START + timedelta(days=d)).isoformat(),
            "progress": [{"milestone": f"m{m}", "status": s} for m, s in progress],
        }
        for d, progress in spec
    ]
    case = make_case(meetings, milestones=3)
    moves = status_moves(case)
    expected = reference_moves(case)
    assert {d: {m.milestone: (m.before, m.after) for m in ms} for d, ms in moves.items()} == (
        expected
    )


def test_closed_actions_are_done_actions_still_expected_at_the_previous_meeting():
    d = [START + timedelta(days=7 * k) for k in range(4)]
    meetings = [
        {
            "date": d[0].isoformat(),
            "actions": [
                {"text": "old and long done", "due": d[0].isoformat(), "done": True},
                {"text": "old, due later, done", "due": d[2].isoformat(), "done": True},
            ],
        },
        {
            "date": d[1].isoformat(),
            "actions": [
                {"text": "set last time, done", "done": True},
                {"text": "set last time, open"},
            ],
        },
        {"date": d[2].isoformat(), "actions": [{"text": "new today", "done": True}]},
    ]
    changes = compute(make_case(meetings), d[3]).changes
    assert changes is not None
    assert [a.text for a in changes.closed_actions] == [
        "old, due later, done",
        "set last time, done",
    ]
    assert [a.text for a in changes.new_actions] == ["new today"]


def test_no_meetings_means_no_changes(tmp_path):
    from .conftest import MINIMAL_CASE, TODAY

    history = compute(load(tmp_path, MINIMAL_CASE).case, TODAY)
    assert history.changes is None
    assert history.open_by_owner == ()
    assert as_view(history)["changes"] is None


def test_view_escapes_case_text_with_the_given_function(tmp_path):
    from .conftest import FULL_CASE, TODAY

    case = load(tmp_path, FULL_CASE)
    view = as_view(compute(case.case, TODAY), text=lambda s: f"<{s}>")
    assert view["changes"]["decisions"] == ["<Weekly check-ins on Tuesdays>"]
    assert view["changes"]["moves"][0]["title"] == "<Integration suite green on staging>"
    assert view["changes"]["moves"][0]["before_label"] == "Planned"
