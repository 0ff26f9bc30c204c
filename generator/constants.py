"""The closed lists of the case format and of the build, one of each.

Kept apart from ``model.py`` so that the CLI can offer them as choices
without importing pydantic (``mend --help`` stays fast, see
tests/test_startup.py). Each list is a ``Literal`` type that the models
use, and a tuple of its values derived from it, so the two cannot drift.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

#: Every format mend writes, in the order it builds them.
Format = Literal["md", "html", "pdf", "eml", "ics"]
FORMATS: tuple[str, ...] = get_args(Format)

Status = Literal["planned", "on-track", "at-risk", "done", "missed"]
#: A milestone's statuses, in the order a plan counts them.
STATUSES: tuple[str, ...] = get_args(Status)

MeetingKind = Literal["kickoff", "check-in", "review", "closing", "call"]
MEETING_KINDS: tuple[str, ...] = get_args(MeetingKind)

#: What a meeting can record about a commitment of the agreement.
CommitmentUpdateStatus = Literal["kept", "on-track", "at-risk", "broken", "renegotiated"]
COMMITMENT_UPDATE_STATUSES: tuple[str, ...] = get_args(CommitmentUpdateStatus)
#: A commitment's current statuses: ``open`` until a meeting records one.
COMMITMENT_STATUSES: tuple[str, ...] = ("open", *COMMITMENT_UPDATE_STATUSES)

CaseStatus = Literal["open", "resolved", "closed"]
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)

Cadence = Literal["weekly", "fortnightly", "monthly"]
CADENCES: tuple[str, ...] = get_args(Cadence)

Audience = Literal["client", "internal"]

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)

#: A language tag, BCP 47 as far as mend needs it: a language subtag, then
#: subtags. Here rather than in ``model.py`` because the theme's catalogs
#: (``i18n.py``, which ``kinds.py`` and so ``mend --help`` import) check
#: tags too, and must not import pydantic's models for one pattern.
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def N_(message: str) -> str:
    """Mark a string for the catalog (``pybabel extract`` finds it); translate it later.

    Here rather than in ``i18n.py``, which offers it too: ``kinds.py`` marks
    its labels with it, and ``mend --help`` needs the kinds but not the
    catalogs (``i18n.py`` and the dataclass it builds were 4 ms of it).
    """
    return message
