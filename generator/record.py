"""``agreement.json``: what was agreed, as data, inside the agreement PDF.

A signed agreement is pointed back to months later, when the case file has
moved on: commitments edited, a date pushed, a signatory added. A case file
keeps no history of its own, so the PDF carries its own record of what was
agreed, embedded as an associated file (PDF/A-3, ``AFRelationship /Data``)
that the signatures cover like every other byte. :func:`compare_records`
then tells a signed copy that still says what the case says from one the
case has moved away from, and whether an amendment records each change.

Two promises:

* **Client-facing data only.** The record is cut from the client view of
  the case (:func:`generator.views.build_view` on the redacted case), never
  from the case itself, so an internal field cannot reach a file the client
  holds. It takes the agreement section whole: a field the model gains
  there (a commitment's ``id`` or ``owner``, ``amendments``) flows in with
  no change here.
* **The same case gives the same bytes.** Keys keep the models' order, dates
  are ISO strings, and nothing reads the clock.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import MendError

if TYPE_CHECKING:
    from .case import CaseFile

#: The file name of the record inside the PDF.
RECORD_NAME = "agreement.json"

#: The version of the record's layout, for readers years from now.
RECORD_FORMAT = 1

#: Milestone keys that describe where things stand today, not what was agreed.
_LIVE_MILESTONE_KEYS = ("status",)


def _person(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: raw.get(k) for k in ("name", "role", "email")}


def agreement_record(view: Mapping[str, Any]) -> dict[str, Any]:
    """The record of an agreement, from a client view of its case.

    ``view`` is what the agreement's templates see (:func:`build_view` with
    the client audience): the case in it is redacted already.
    """
    if view.get("audience") != "client":
        raise ValueError("the agreement record is made from the client view only")
    data = view["case"]
    agreement = data["agreement"]
    milestones = [
        {k: v for k, v in m.items() if k not in _LIVE_MILESTONE_KEYS}
        for m in data["plan"]["milestones"]
    ]
    return {
        "format": RECORD_FORMAT,
        "generator": f"mend {__version__}",
        "case": view["id"],
        "title": data["title"],
        "parties": [
            {
                "party": "client",
                "organisation": data["client"]["organisation"],
                "people": [_person(c) for c in data["client"]["contacts"]],
            },
            {
                "party": "us",
                "organisation": data["team"]["organisation"],
                "people": [_person(m) for m in data["team"]["members"]],
            },
        ],
        "agreement": agreement,
        "milestones": milestones,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def record_json(record: Mapping[str, Any]) -> bytes:
    """The record as the UTF-8 JSON embedded in the PDF, the same bytes every time."""
    text = json.dumps(record, ensure_ascii=False, indent=2, default=_plain)
    return (text + "\n").encode("utf-8")


def normalize(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as JSON data (dates as strings), for comparing a fresh one with a read one."""
    result: dict[str, Any] = json.loads(record_json(record))
    return result


# -- Comparing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference between the signed record and the case today."""

    #: Where: "commitment weekly-status", "signatory Dana Okafor", "review date".
    what: str
    #: What happened to it, in words: "text changed", "added", "removed", "due date changed".
    how: str
    #: Before and after, for people; ``None`` when the item is new or gone.
    before: Any = None
    after: Any = None
    #: The date of the amendment that records it, when one does.
    amendment: str | None = None

    def describe(self) -> str:
        detail = ""
        if self.before is not None and self.after is not None:
            detail = f": {_short(self.before)} -> {_short(self.after)}"
        elif self.after is not None:
            detail = f": {_short(self.after)}"
        elif self.before is not None:
            detail = f": was {_short(self.before)}"
        note = (
            f" (recorded by the amendment of {self.amendment})"
            if self.amendment
            else " (no amendment records it)"
        )
        return f"{self.what}: {self.how}{detail}{note}"

    def as_data(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "how": self.how,
            "before": self.before,
            "after": self.after,
            "amendment": self.amendment,
        }


@dataclass(frozen=True)
class Comparison:
    """How a signed record differs from the case's record today."""

    case: str
    changes: list[Change] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return not self.changes

    @property
    def unrecorded(self) -> list[Change]:
        """The changes no amendment accounts for: silent edits of what was signed."""
        return [c for c in self.changes if c.amendment is None]


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _keyed(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """Items by their ``key`` when they have one, else by position ("#2")."""
    keyed: dict[str, dict[str, Any]] = {}
    for i, item in enumerate(items, start=1):
        name = item.get(key) or f"#{i}"
        keyed[str(name)] = item
    return keyed


_FIELD_WORDS = {"text": "text", "due": "due date", "owner": "owner", "party": "party"}


def _compare_items(
    kind: str,
    before: list[dict[str, Any]],
    after: list[dict[str, Any]],
    key: str,
    recorded: Mapping[str, str],
    any_new_amendment: str | None,
) -> list[Change]:
    changes: list[Change] = []
    old, new = _keyed(before, key), _keyed(after, key)

    def amendment_for(name: str) -> str | None:
        return recorded.get(name) or any_new_amendment

    for name, item in old.items():
        label = f"{kind} {name}"
        if name not in new:
            changes.append(Change(label, "removed", before=item, amendment=amendment_for(name)))
            continue
        other = new[name]
        for k in dict.fromkeys([*item, *other]):
            if item.get(k) != other.get(k):
                changes.append(
                    Change(
                        label,
                        f"{_FIELD_WORDS.get(k, k)} changed",
                        before=item.get(k),
                        after=other.get(k),
                        amendment=amendment_for(name),
                    )
                )
    for name, item in new.items():
        if name not in old:
            changes.append(
                Change(f"{kind} {name}", "added", after=item, amendment=amendment_for(name))
            )
    return changes


def compare_records(signed: Mapping[str, Any], current: Mapping[str, Any]) -> Comparison:
    """What changed between the record in a signed PDF and the case's record today.

    An amendment added since signing records a change to a commitment when it
    lists that commitment's id; a change elsewhere (a milestone, the review
    date, a signatory) counts as recorded by any amendment added since.
    """
    signed, current = normalize(signed), normalize(current)
    before, after = signed.get("agreement") or {}, current.get("agreement") or {}
    old_amendments = before.get("amendments") or []
    new_amendments = [a for a in after.get("amendments") or [] if a not in old_amendments]
    recorded: dict[str, str] = {}
    for amendment in new_amendments:
        for cid in amendment.get("commitments") or []:
            recorded.setdefault(str(cid), str(amendment.get("date")))
    latest = str(new_amendments[-1].get("date")) if new_amendments else None
    # An amendment naming no commitment may be about any of them.
    general = [a for a in new_amendments if not a.get("commitments")]
    latest_general = str(general[-1].get("date")) if general else None

    changes: list[Change] = []
    for key, label in (("title", "case title"),):
        if signed.get(key) != current.get(key):
            changes.append(Change(label, "changed", signed.get(key), current.get(key), latest))
    for key in dict.fromkeys([*before, *after]):
        if key in ("commitments", "signatories", "amendments"):
            continue
        if before.get(key) != after.get(key):
            words = {"effective": "effective date", "review": "review date"}.get(key, key)
            changes.append(
                Change(f"agreement {words}", "changed", before.get(key), after.get(key), latest)
            )
    changes += _compare_items(
        "commitment",
        before.get("commitments") or [],
        after.get("commitments") or [],
        "id",
        recorded,
        latest_general,
    )
    changes += _compare_items(
        "signatory",
        before.get("signatories") or [],
        after.get("signatories") or [],
        "name",
        {},
        latest,
    )
    changes += _compare_items(
        "milestone",
        signed.get("milestones") or [],
        current.get("milestones") or [],
        "id",
        {},
        latest,
    )
    if signed.get("parties") != current.get("parties"):
        changes.append(Change("parties", "changed", amendment=latest))
    return Comparison(case=str(current.get("case")), changes=changes)


def format_comparison(comparison: Comparison) -> list[str]:
    """The comparison as lines for a terminal."""
    if comparison.matches:
        return [
            f"agreement.json matches case {comparison.case}: the signed copy is what the case says."
        ]
    lines = [
        f"agreement.json differs from case {comparison.case}: "
        f"{len(comparison.changes)} change{'s' if len(comparison.changes) != 1 else ''} since signing"
    ]
    lines += [f"  - {c.describe()}" for c in comparison.changes]
    if comparison.unrecorded:
        lines.append(
            "  The case was edited after signing without an amendment: add one under "
            "agreement.amendments, or have the agreement signed again."
        )
    return lines


# -- Reading and tying back to the case -------------------------------------------------


class RecordError(MendError):
    """A signed PDF carries no readable agreement.json, or the case has no agreement."""


def read_record(pdf: Path) -> dict[str, Any]:
    """The ``agreement.json`` embedded in ``pdf`` (the latest revision's), as data.

    :raises RecordError: unreadable file, or no such attachment (a PDF built
        with ``archival = false``, or by another tool).
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read {pdf}: {exc.strerror or exc}") from None
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        specs = {str(names[i]): names[i + 1].get_object() for i in range(0, len(names), 2)}
        spec = specs[RECORD_NAME]
        raw = spec["/EF"]["/F"].get_object().data
    except KeyError:
        raise RecordError(
            f"{pdf} carries no {RECORD_NAME}: it was not built as an archival agreement "
            "(see [pdf] archival in mend.toml)"
        ) from None
    except Exception as exc:
        raise RecordError(f"cannot read {RECORD_NAME} in {pdf} ({exc})") from None
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RecordError(f"{RECORD_NAME} in {pdf} is not JSON") from None
    if not isinstance(record, dict):
        raise RecordError(f"{RECORD_NAME} in {pdf} is not a record")
    return record


def case_record(casefile: CaseFile, today: date) -> dict[str, Any]:
    """The record the case's agreement would carry if it were built today."""
    from .views import build_view

    if casefile.case.agreement is None:
        raise RecordError(f"{casefile.display}: the case has no agreement section to compare with")
    return agreement_record(build_view(casefile, "client", today))


def compare_signed(pdf: Path, casefile: CaseFile, today: date) -> Comparison:
    """Whether the agreement signed in ``pdf`` is still what the case says."""
    return compare_records(read_record(pdf), case_record(casefile, today))
