"""Following through: where each commitment of the agreement stands.

A commitment's *current* status is the status of its latest update among
the held meetings (by meeting date), else ``open``; it is *overdue* when its
due date is before ``--today`` and it is not ``kept`` (case-format.md). The
plan, the agenda, the recap, the brief, the timeline and the coaching all
read it from here, so no two documents can disagree about a promise.

Like :mod:`generator.history`, the meetings are read in one pass in date
order, so a case with hundreds of meetings costs no more than reading it
once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .constants import COMMITMENT_STATUSES
from .i18n import N_
from .model import Case, Commitment, Meeting
from .schedule import held_meetings

COMMITMENT_LABELS = {
    "open": N_("Open"),
    "on-track": N_("On track"),
    "at-risk": N_("At risk"),
    "kept": N_("Kept"),
    "broken": N_("Broken"),
    "renegotiated": N_("Renegotiated"),
}
#: The order of the plan's count: what is settled well, then what needs work.
COUNT_ORDER = ("kept", "on-track", "open", "at-risk", "broken", "renegotiated")
#: The plan's three columns, in the order it prints them.
PARTIES = ("us", "client", "both")


@dataclass(frozen=True)
class Update:
    """One meeting's word on a commitment, with the status it replaced."""

    date: date
    before: str
    status: str
    note: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.status


@dataclass(frozen=True)
class Standing:
    """One commitment as it stands: its current status and its history."""

    index: int  # where it is in the agreement's ``commitments`` list
    commitment: Commitment
    status: str
    history: tuple[Update, ...]
    overdue: bool

    @property
    def id(self) -> str | None:
        return self.commitment.id

    @property
    def last_note(self) -> str | None:
        return next((u.note for u in reversed(self.history) if u.note), None)

    @property
    def last_update(self) -> date | None:
        return self.history[-1].date if self.history else None


def is_overdue(commitment: Commitment, status: str, today: date) -> bool:
    return commitment.due is not None and commitment.due < today and status != "kept"


def standings(case: Case, today: date, *, until: date | None = None) -> list[Standing]:
    """Every commitment of the agreement as it stands, in the agreement's order.

    Only held meetings up to ``until`` (inclusive) count, so a recap says
    what was true at its meeting. A commitment without an id can have no
    updates: it stays ``open``.
    """
    agreement = case.agreement
    if agreement is None:
        return []
    histories: dict[str, list[Update]] = {c.id: [] for c in agreement.commitments if c.id}
    current: dict[str, str] = dict.fromkeys(histories, "open")
    for meeting in held_meetings(case):
        if until is not None and meeting.date > until:
            break
        for cid, entry in _latest(meeting).items():
            if cid not in histories:
                continue
            histories[cid].append(Update(meeting.date, current[cid], entry.status, entry.note))
            current[cid] = entry.status
    out = []
    for i, c in enumerate(agreement.commitments):
        status = current.get(c.id, "open") if c.id else "open"
        history = tuple(histories.get(c.id, ())) if c.id else ()
        out.append(Standing(i, c, status, history, is_overdue(c, status, today)))
    return out


def _latest(meeting: Meeting) -> dict[str, Any]:
    """A meeting's updates, one a commitment: the last, as for milestone progress."""
    return {u.commitment: u for u in meeting.commitments}


def overdue_first(items: list[Standing]) -> list[Standing]:
    """Overdue ones first, then by due date (undated last), then the agreement's order."""
    return sorted(
        items,
        key=lambda s: (
            not s.overdue,
            s.commitment.due is None,
            s.commitment.due or date.max,
            s.index,
        ),
    )


def updates_by_meeting(case: Case, today: date) -> dict[date, list[tuple[Standing, Update]]]:
    """Every held meeting's updates, each with its commitment, from one walk of the log.

    An update's ``before`` is the status it replaced, so what a meeting
    changed does not depend on the meetings after it: a recap asks for its
    own day's and says what was true that day.
    """
    out: dict[date, list[tuple[Standing, Update]]] = {}
    for standing in standings(case, today):
        for update in standing.history:
            out.setdefault(update.date, []).append((standing, update))
    return out


def updates_at(case: Case, day: date, today: date) -> list[tuple[Standing, Update]]:
    """The updates recorded at the meeting of ``day``, each with its commitment.

    In the agreement's order of the commitments. A meeting without updates
    answers at once.
    """
    if case.agreement is None or not any(m.commitments for m in case.meetings if m.date == day):
        return []
    return updates_by_meeting(case, today).get(day, [])


@dataclass(frozen=True)
class Counts:
    """Commitments by current status, for the plan's summary at a glance."""

    total: int
    counts: dict[str, int]
    overdue: int


def count(items: list[Standing]) -> Counts:
    tally = Counter(s.status for s in items)
    return Counts(
        total=len(items),
        counts={s: tally.get(s, 0) for s in COMMITMENT_STATUSES},
        overdue=sum(1 for s in items if s.overdue),
    )


# -- for templates -----------------------------------------------------------------


def update_view(
    u: Update, text: Callable[[str], str] = str, labels: Mapping[str, str] = COMMITMENT_LABELS
) -> dict[str, Any]:
    return {
        "date": u.date,
        "before": u.before,
        "status": u.status,
        "before_label": labels[u.before],
        "label": labels[u.status],
        "changed": u.changed,
        "note": text(u.note) if u.note else None,
    }


def standing_view(
    s: Standing,
    raw: dict[str, Any],
    text: Callable[[str], str] = str,
    labels: Mapping[str, str] = COMMITMENT_LABELS,
) -> dict[str, Any]:
    """A commitment for templates: its (audience's, escaped) fields and where it stands.

    ``raw`` is the commitment as the view dumped it, so the text is already
    what this audience and format may print.
    """
    return {
        **raw,
        "status": s.status,
        "label": labels[s.status],
        "overdue": s.overdue,
        "last_note": text(s.last_note) if s.last_note else None,
        "last_update": s.last_update,
        "history": [update_view(u, text, labels) for u in s.history],
    }


def counts_view(c: Counts) -> dict[str, Any]:
    return {
        "total": c.total,
        "kept": c.counts["kept"],
        "on_track": c.counts["on-track"],
        "open": c.counts["open"],
        "at_risk": c.counts["at-risk"],
        "broken": c.counts["broken"],
        "renegotiated": c.counts["renegotiated"],
        "overdue": c.overdue,
    }


def recap_groups(
    updates: list[tuple[Standing, Update]],
    text: Callable[[str], str] = str,
    labels: Mapping[str, str] = COMMITMENT_LABELS,
) -> dict[str, list[dict[str, Any]]]:
    """One meeting's updates as its recap tells them: kept, moved, renegotiated, confirmed.

    ``moved`` is any other status than before; ``confirmed`` is a status
    restated unchanged.
    """
    groups: dict[str, list[dict[str, Any]]] = {
        "kept": [],
        "moved": [],
        "renegotiated": [],
        "confirmed": [],
    }
    for standing, update in updates:
        c = standing.commitment
        if update.status in ("kept", "renegotiated"):
            group = update.status
        else:
            group = "moved" if update.changed else "confirmed"
        groups[group].append(
            {
                "text": text(c.text),
                "party": c.party,
                "owner": text(c.owner) if c.owner else None,
                "due": c.due,
                "before": labels[update.before],
                "label": labels[update.status],
                "status": update.status,
                "note": text(update.note) if update.note else None,
            }
        )
    return groups
