"""Where a case stands: the current status of every milestone.

A milestone's current status is the status of its latest ``progress`` entry
among the meetings (by meeting date), else the status written on the
milestone itself (case-format.md). The plan, the agenda, the index and the
recap all read it from here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from .i18n import N_
from .model import Case, Milestone
from .schedule import meetings_by_date

STATUS_ORDER = ("done", "on-track", "planned", "at-risk", "missed")
#: In English; documents translate them in the case's language (``N_``
#: marks them for the catalog).
STATUS_LABELS = {
    "planned": N_("Planned"),
    "on-track": N_("On track"),
    "at-risk": N_("At risk"),
    "done": N_("Done"),
    "missed": N_("Missed"),
}


def current_statuses(case: Case, until: date | None = None) -> dict[str, str]:
    """Milestone id -> current status, counting meetings up to ``until``."""
    statuses: dict[str, str] = {m.id: m.status for m in case.plan.milestones}
    for meeting in meetings_by_date(case):
        if until is not None and meeting.date > until:
            break
        for progress in meeting.progress:
            statuses[progress.milestone] = progress.status
    return statuses


def is_overdue(milestone: Milestone, status: str, today: date) -> bool:
    return status not in ("done", "missed") and milestone.due < today


@dataclass(frozen=True)
class Rollup:
    """Counts of milestones by current status, for summaries at a glance."""

    total: int
    counts: dict[str, int]
    overdue: int

    @property
    def done(self) -> int:
        return self.counts.get("done", 0)


def rollup(case: Case, today: date) -> Rollup:
    statuses = current_statuses(case)
    counts = Counter(statuses.values())
    overdue = sum(1 for m in case.plan.milestones if is_overdue(m, statuses[m.id], today))
    return Rollup(
        total=len(case.plan.milestones),
        counts={s: counts.get(s, 0) for s in STATUS_ORDER},
        overdue=overdue,
    )
