"""What changed in a case, and what is still open.

The recovery plan and the agenda's "review of the current state" both tell
the client where things stand and what moved since the previous meeting.
They read it from this one computation, made from the same case and the same
``--today``, so the two documents cannot tell different stories.

The log is read in one pass over the meetings in date order, so a case with
hundreds of meetings costs no more than reading it once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from datetime import date as Day
from typing import Any

from .commitments import COMMITMENT_LABELS, Standing, Update, update_view, updates_at
from .model import Action, Case
from .progress import STATUS_LABELS, Rollup, rollup
from .schedule import held_meetings


@dataclass(frozen=True)
class NumberedAction:
    """An action of the case with the number users know it by.

    Every action of the case is numbered from 1 in meeting-date order (file
    order within a meeting), done ones included, so that closing an action
    never renumbers the others. ``mend log --list-actions`` prints these
    numbers and ``mend log --action-done N`` takes them.
    """

    number: int
    meeting: date  # the date of the meeting that set it
    meeting_index: int  # where that meeting is in the file's ``meetings`` list
    index: int  # where the action is in that meeting's ``actions`` list
    action: Action

    @property
    def text(self) -> str:
        return self.action.text

    @property
    def owner(self) -> str | None:
        return self.action.owner

    @property
    def due(self) -> date | None:
        return self.action.due

    @property
    def done(self) -> bool:
        return self.action.done

    def is_overdue(self, today: date) -> bool:
        """Open and past its due date, as of ``today``."""
        return not self.done and self.due is not None and self.due < today


def number_actions(case: Case) -> list[NumberedAction]:
    """Every action of the case, numbered (see :class:`NumberedAction`)."""
    order = sorted(range(len(case.meetings)), key=lambda i: (case.meetings[i].date, i))
    numbered: list[NumberedAction] = []
    for i in order:
        meeting = case.meetings[i]
        for j, action in enumerate(meeting.actions):
            numbered.append(NumberedAction(len(numbered) + 1, meeting.date, i, j, action))
    return numbered


@dataclass(frozen=True)
class StatusMove:
    """A milestone's status as recorded at one meeting, against the one before."""

    milestone: str
    title: str
    before: str
    after: str
    note: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class MeetingChanges:
    """What one held meeting changed, compared with the held meeting before it."""

    date: Day  # the field's name would hide the type in the class body
    previous: Day | None
    moves: tuple[StatusMove, ...]  # statuses that changed
    confirmed: tuple[StatusMove, ...]  # statuses restated unchanged
    decisions: tuple[str, ...]
    new_actions: tuple[NumberedAction, ...]
    closed_actions: tuple[NumberedAction, ...]
    #: The commitments updated at that meeting, each with its update.
    commitments: tuple[tuple[Standing, Update], ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.moves
            or self.decisions
            or self.new_actions
            or self.closed_actions
            or self.commitments
        )


@dataclass(frozen=True)
class OwnerActions:
    """One person's open actions, overdue ones first."""

    owner: str | None
    actions: tuple[NumberedAction, ...]
    overdue: int


@dataclass(frozen=True)
class History:
    """Where a case stands and what changed, as of one day."""

    today: date
    rollup: Rollup
    #: The latest held meeting against the one before it; None before any.
    changes: MeetingChanges | None
    #: Status moves recorded at every held meeting, for the meeting log.
    moves: dict[date, tuple[StatusMove, ...]]
    open_by_owner: tuple[OwnerActions, ...]
    open_actions: int
    overdue_actions: int


def status_moves(case: Case) -> dict[date, tuple[StatusMove, ...]]:
    """Every held meeting's progress entries with the status each replaced.

    A milestone named twice in one meeting counts once, with its last entry,
    as :func:`generator.progress.current_statuses` reads it.
    """
    titles = {m.id: m.title for m in case.plan.milestones}
    statuses = {m.id: m.status for m in case.plan.milestones}
    out: dict[date, tuple[StatusMove, ...]] = {}
    for meeting in held_meetings(case):
        latest = {p.milestone: p for p in meeting.progress}
        moves = []
        for milestone, entry in latest.items():
            moves.append(
                StatusMove(
                    milestone=milestone,
                    title=titles.get(milestone, milestone),
                    before=statuses.get(milestone, "planned"),
                    after=entry.status,
                    note=entry.note,
                )
            )
        for milestone, entry in latest.items():
            statuses[milestone] = entry.status
        out[meeting.date] = tuple(moves)
    return out


def _closed_since(
    actions: Iterable[NumberedAction], previous: date, latest: date
) -> tuple[NumberedAction, ...]:
    # A case file says whether an action is done, not when it was done, so
    # "closed since the previous meeting" is read as: done, set before the
    # latest meeting, and still expected at the previous one (set there, or
    # set earlier and due on or after it).
    return tuple(
        a
        for a in actions
        if a.done
        and a.meeting < latest
        and (a.meeting == previous or (a.due is not None and a.due >= previous))
    )


def _owner_key(group: OwnerActions) -> tuple[int, int, str]:
    name = group.owner or ""
    return (0 if group.overdue else 1, 1 if group.owner is None else 0, name.casefold())


def open_by_owner(actions: Iterable[NumberedAction], today: date) -> tuple[OwnerActions, ...]:
    """Open actions grouped by owner: people with overdue actions first.

    Within a person, overdue actions come first, then by due date (undated
    last), then by number. Actions without an owner form the last group of
    their tier.
    """
    groups: dict[str | None, list[NumberedAction]] = {}
    for action in actions:
        if not action.done:
            groups.setdefault(action.owner, []).append(action)
    result = []
    for owner, items in groups.items():
        items.sort(
            key=lambda a: (
                not a.is_overdue(today),
                a.due is None,
                a.due or date.max,
                a.number,
            )
        )
        overdue = sum(1 for a in items if a.is_overdue(today))
        result.append(OwnerActions(owner, tuple(items), overdue))
    return tuple(sorted(result, key=_owner_key))


def compute(case: Case, today: date) -> History:
    """The history of a case as of ``today``: one call for every document."""
    actions = number_actions(case)
    moves = status_moves(case)
    held = held_meetings(case)
    changes = None
    if held:
        latest = held[-1]
        previous = held[-2] if len(held) > 1 else None
        all_moves = moves[latest.date]
        changes = MeetingChanges(
            date=latest.date,
            previous=previous.date if previous else None,
            moves=tuple(m for m in all_moves if m.changed),
            confirmed=tuple(m for m in all_moves if not m.changed),
            decisions=tuple(latest.decisions),
            new_actions=tuple(a for a in actions if a.meeting == latest.date),
            closed_actions=(_closed_since(actions, previous.date, latest.date) if previous else ()),
            commitments=tuple(updates_at(case, latest.date, today)),
        )
    by_owner = open_by_owner(actions, today)
    return History(
        today=today,
        rollup=rollup(case, today),
        changes=changes,
        moves=moves,
        open_by_owner=by_owner,
        open_actions=sum(len(g.actions) for g in by_owner),
        overdue_actions=sum(g.overdue for g in by_owner),
    )


# -- for templates -----------------------------------------------------------------


def _action_view(a: NumberedAction, today: date, text: Callable[[str], str]) -> dict[str, Any]:
    return {
        "number": a.number,
        "text": text(a.text),
        "owner": text(a.owner) if a.owner else None,
        "due": a.due,
        "done": a.done,
        "overdue": a.is_overdue(today),
        "meeting": a.meeting,
    }


def _move_view(
    m: StatusMove, text: Callable[[str], str], labels: Mapping[str, str] = STATUS_LABELS
) -> dict[str, Any]:
    return {
        "milestone": m.milestone,
        "title": text(m.title),
        "before": m.before,
        "after": m.after,
        "before_label": labels[m.before],
        "after_label": labels[m.after],
        "changed": m.changed,
        "note": text(m.note) if m.note else None,
    }


def as_view(
    history: History,
    text: Callable[[str], str] = str,
    labels: Mapping[str, str] = STATUS_LABELS,
    promise_labels: Mapping[str, str] = COMMITMENT_LABELS,
) -> dict[str, Any]:
    """The history as plain data for templates.

    ``text`` is applied to every string that comes from the case: the
    Markdown view passes its escaping function, so a decision that looks
    like a heading prints as the text it is. ``labels`` are the status
    labels (``promise_labels``, a commitment's) in the document's language.
    """
    today = history.today
    changes = history.changes
    changes_view = None
    if changes is not None:
        changes_view = {
            "date": changes.date,
            "previous": changes.previous,
            "moves": [_move_view(m, text, labels) for m in changes.moves],
            "confirmed": [_move_view(m, text, labels) for m in changes.confirmed],
            "decisions": [text(d) for d in changes.decisions],
            "new_actions": [_action_view(a, today, text) for a in changes.new_actions],
            "closed_actions": [_action_view(a, today, text) for a in changes.closed_actions],
            "commitments": [
                {"text": text(s.commitment.text), **update_view(u, text, promise_labels)}
                for s, u in changes.commitments
            ],
            "kept": [text(s.commitment.text) for s, u in changes.commitments if u.status == "kept"],
            "empty": changes.empty,
        }
    r = history.rollup
    return {
        "changes": changes_view,
        "moves": {
            day: [_move_view(m, text, labels) for m in moves]
            for day, moves in history.moves.items()
        },
        "open_by_owner": [
            {
                "owner": text(g.owner) if g.owner else None,
                "actions": [_action_view(a, today, text) for a in g.actions],
                "overdue": g.overdue,
            }
            for g in history.open_by_owner
        ],
        "open_actions": history.open_actions,
        "overdue_actions": history.overdue_actions,
        "status": {
            "total": r.total,
            "done": r.counts["done"],
            "on_track": r.counts["on-track"],
            "at_risk": r.counts["at-risk"],
            "missed": r.counts["missed"],
            "planned": r.counts["planned"],
            "overdue": r.overdue,
        },
    }
