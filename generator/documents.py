"""Which documents a case yields as of a day, and where their files go.

What each kind of document is (its audience, formats, file name, when a
case has one) is declared in :mod:`generator.kinds`; this module applies a
registry of kinds to one case.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from .kinds import KINDS, Kind, Registry

if TYPE_CHECKING:
    from .constants import Audience
    from .model import Case, Signatory


@dataclass(frozen=True)
class Document:
    """One document of one case: its kind, and its date when it has one."""

    case_id: str
    spec: Kind
    date: date | None = None

    @property
    def kind(self) -> str:
        return self.spec.name

    @property
    def audience(self) -> Audience:
        return self.spec.audience

    @property
    def formats(self) -> tuple[str, ...]:
        return self.spec.formats

    @property
    def stem(self) -> str:
        """The path under ``output/<case>/`` without suffix (``internal/brief-2026-11-24``)."""
        return self.spec.file_stem(self.date)

    def path(self, fmt: str) -> PurePosixPath:
        """The output file of one format, relative to the output folder."""
        return PurePosixPath(self.case_id) / f"{self.stem}.{fmt}"


def documents_for(case: Case, today: date, registry: Registry = KINDS) -> list[Document]:
    """Every document the case yields as of ``today``, kind by kind."""
    cid = case.id
    assert cid is not None
    return [Document(cid, kind, day) for kind in registry for day in kind.occurs(case, today)]


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
