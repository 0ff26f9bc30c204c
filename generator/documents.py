"""Which documents a case yields, for which audience, under which names.

This is the output layout of DESIGN.md in code: the agenda and brief exist
only while a next meeting does, a recap exists for each held meeting, the
agreement only when the case has one, the calendar only with check-ins.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from .case import Audience, Case, Signatory
from .schedule import held_meetings, next_meeting

#: Every format mend writes, in the order it builds them.
FORMATS = ("md", "html", "pdf", "eml", "ics")

#: Document kinds a user can ask for one at a time (``mend agenda CASE``).
KINDS = ("brief", "agenda", "plan", "recap", "agreement", "calendar")


@dataclass(frozen=True)
class Document:
    """One document of one case: what it is and where its files go."""

    case_id: str
    kind: str
    audience: Audience
    stem: str  # path under output/<case>/ without suffix, e.g. "internal/brief-2026-11-24"
    formats: tuple[str, ...]
    date: date | None = None

    @property
    def template(self) -> str:
        return self.kind

    def path(self, fmt: str) -> PurePosixPath:
        """The output file of one format, relative to the output folder."""
        return PurePosixPath(self.case_id) / f"{self.stem}.{fmt}"


def documents_for(case: Case, today: date) -> list[Document]:
    """Every document the case yields as of ``today``."""
    cid = case.id
    assert cid is not None
    docs: list[Document] = []
    nxt = next_meeting(case, today)
    if nxt is not None:
        day = nxt.date.isoformat()
        docs.append(
            Document(cid, "brief", "internal", f"internal/brief-{day}", ("md", "html"), nxt.date)
        )
        docs.append(
            Document(cid, "agenda", "client", f"agenda-{day}", ("md", "html", "pdf"), nxt.date)
        )
    docs.append(Document(cid, "plan", "client", "plan", ("md", "html", "pdf")))
    for meeting in held_meetings(case):
        day = meeting.date.isoformat()
        docs.append(Document(cid, "recap", "client", f"recap-{day}", ("eml",), meeting.date))
    if case.agreement is not None:
        docs.append(Document(cid, "agreement", "client", "agreement", ("html", "pdf")))
    if case.plan.checkins is not None:
        docs.append(Document(cid, "calendar", "client", "checkins", ("ics",)))
    return docs


def slugify(text: str) -> str:
    """A name as lower-case ASCII words joined by hyphens ("Siobhán O'Neill" -> "siobhan-oneill")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    ascii_text = re.sub(r"['\u2019]", "", ascii_text.lower())
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:50].strip("-")


def signature_fields(signatories: list[Signatory]) -> list[str]:
    """The PDF form field of each signatory: ``sig-<slug of the name>``, unique.

    A name with no Latin letters (any script may appear) falls back to its
    position, and a repeated slug gets a number, so every field is distinct.
    """
    names: list[str] = []
    for i, signatory in enumerate(signatories, start=1):
        base = f"sig-{slugify(signatory.name) or f'signatory-{i}'}"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return names
