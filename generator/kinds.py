"""What a document kind is, declared once.

Each kind of document mend writes is one immutable :class:`Kind`: who reads
it, its formats, where its files go, which of them a case has on a given
``--today``, whether its bytes depend on that day, the templates each
format starts from, and how people call it. The build, the manifest's keys,
the index, the CLI's one-document commands and the starter's listing of the
theme all ask the kind instead of keeping their own lists, the way Sphinx
asks a builder and MkDocs asks a page; so a new kind of document is one
entry in a :class:`Registry` plus its templates.

This module knows nothing of how a format is written (``writers/``) or of
what a template sees (``views.py``): it only names things.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from .constants import FORMATS, N_

if TYPE_CHECKING:
    from .constants import Audience
    from .model import Case

#: Which documents of a kind a case has as of a day: a date for each dated
#: document, ``None`` for the one undated document, nothing for none.
Occurrences = Callable[["Case", date], Sequence[date | None]]


def default_templates(name: str, formats: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The theme's usual files for a kind: ``md/NAME.md``, ``html/NAME.html``...

    A PDF is printed from the HTML page, and an email has a plain-text and
    an HTML part. A format absent here is written by code alone.
    """
    by_format = {
        "md": (f"md/{name}.md",),
        "html": (f"html/{name}.html",),
        "pdf": (f"html/{name}.html",),
        "eml": (f"eml/{name}.txt", f"eml/{name}.html"),
    }
    return {fmt: by_format[fmt] for fmt in formats if fmt in by_format}


class _Fields(NamedTuple):
    """What a :class:`Kind` is made of: its fields, checked by :class:`Kind`."""

    name: str
    #: Who may read it: an internal document lives under ``internal/``.
    audience: Audience
    #: The formats it is written in, in the order they are built.
    formats: tuple[str, ...]
    #: Its files under ``output/<case>/``, without suffix; ``{date}`` is the
    #: document's date (``agenda-{date}`` -> ``agenda-2026-11-24``).
    stem: str
    #: Which of these documents the case has on a day.
    occurs: Occurrences
    #: Whether its bytes change with ``--today`` (a new day rebuilds it).
    uses_today: bool
    #: How people call it in a sentence ("the client agenda").
    label: str
    #: Its name on the index page, ``None`` to leave it off the index.
    index_label: str | None = None
    #: Its place among the index's links, lowest first.
    index_rank: int = 0
    #: The index links only the newest one, with a count of all.
    index_latest: bool = False
    #: The help of its ``mend NAME CASE`` command; ``None``: no such command.
    command_help: str | None = None
    #: Why a case may have none, for ``mend NAME CASE`` to say.
    none_reason: str = "nothing in the requested formats"
    #: The templates each format starts from (includes are found from them);
    #: ``None``, the default, is the theme's usual files for the kind's name
    #: and formats (:func:`default_templates`), so the two cannot drift apart.
    templates: dict[str, tuple[str, ...]] | None = None


class Kind(_Fields):
    """One kind of document: everything the rest of mend asks about it.

    An immutable value, compared field by field, as a frozen dataclass is;
    a named tuple because ``mend --help`` imports this module for the
    commands' help, and importing ``dataclasses`` and the code it generates
    for these fields was 8 of that command's 200 million instructions.
    """

    __slots__ = ()

    if not TYPE_CHECKING:  # mypy checks each Kind(...) against _Fields' own signature

        def __new__(cls, *args, **kwargs):
            kind = super().__new__(cls, *args, **kwargs)
            kind._check()
            return kind

    def _check(self) -> None:
        unknown = [f for f in self.formats if f not in FORMATS]
        if unknown:
            raise ValueError(f"kind {self.name}: unknown formats {unknown}")
        if (self.audience == "internal") != self.stem.startswith("internal/"):
            raise ValueError(
                f"kind {self.name}: internal documents, and only they, go in internal/"
            )

    def file_stem(self, day: date | None) -> str:
        return self.stem.format(date=day.isoformat()) if day is not None else self.stem

    def templates_for(self, fmt: str) -> tuple[str, ...]:
        if self.templates is None:
            return default_templates(self.name, (fmt,)).get(fmt, ())
        return self.templates.get(fmt, ())


class Registry:
    """The kinds of one build, in the order they are built."""

    def __init__(self, kinds: Sequence[Kind]) -> None:
        self._kinds = {kind.name: kind for kind in kinds}
        if len(self._kinds) != len(kinds):
            raise ValueError("two kinds share a name")

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._kinds.values())

    def __getitem__(self, name: str) -> Kind:
        return self._kinds[name]

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def indexed(self) -> list[Kind]:
        """The kinds the index links, in its order: what the client opens first."""
        return sorted((k for k in self if k.index_label is not None), key=lambda k: k.index_rank)


# -- the kinds mend ships --------------------------------------------------------------


def _next_meeting_day(case: Case, today: date) -> list[date | None]:
    from .schedule import next_meeting

    nxt = next_meeting(case, today)
    return [] if nxt is None else [nxt.date]


def _next_agenda_day(case: Case, today: date) -> list[date | None]:
    from .schedule import next_meeting

    nxt = next_meeting(case, today, calls=False)
    return [] if nxt is None else [nxt.date]


def _always(case: Case, today: date) -> list[date | None]:
    return [None]


def _held_meeting_days(case: Case, today: date) -> list[date | None]:
    from .schedule import held_meetings

    return [m.date for m in held_meetings(case)]


def _notice_days(case: Case, today: date) -> list[date | None]:
    from .schedule import notice_days

    return list(notice_days(case))


def _with_agreement(case: Case, today: date) -> list[date | None]:
    return [None] if case.agreement is not None else []


def _with_checkins(case: Case, today: date) -> list[date | None]:
    return [None] if case.plan.checkins is not None else []


_NO_NEXT_MEETING = "no next meeting: add plan.checkins or a meeting on or after today"

BRIEF = Kind(
    name="brief",
    audience="internal",
    formats=("md", "html"),
    stem="internal/brief-{date}",
    occurs=_next_meeting_day,
    uses_today=True,
    label="the internal prep brief",
    command_help=(
        "Build the internal prep brief for a case's next meeting (internal/, never for the client)."
    ),
    none_reason=_NO_NEXT_MEETING,
)
AGENDA = Kind(
    name="agenda",
    audience="client",
    formats=("md", "html", "pdf"),
    stem="agenda-{date}",
    occurs=_next_agenda_day,
    uses_today=True,
    label="the client agenda",
    index_label=N_("Agenda"),
    index_rank=1,
    command_help=(
        "Build the client agenda for a case's next meeting: the five-part recovery agenda."
    ),
    none_reason=_NO_NEXT_MEETING + " (a call gets no agenda)",
)
PLAN = Kind(
    name="plan",
    audience="client",
    formats=("md", "html", "pdf"),
    stem="plan",
    occurs=_always,
    uses_today=True,
    label="the living recovery plan",
    index_label=N_("Plan"),
    index_rank=2,
    command_help=(
        "Build a case's living recovery plan: milestones, check-ins and the meeting log."
    ),
)
RECAP = Kind(
    name="recap",
    audience="client",
    formats=("eml",),
    stem="recap-{date}",
    occurs=_held_meeting_days,
    uses_today=False,
    label="the recap email",
    index_label=N_("Latest recap"),
    index_rank=5,
    index_latest=True,
    none_reason="no held meeting matches",
)
NOTICE = Kind(
    name="notice",
    audience="client",
    formats=("eml",),
    stem="notice-{date}",
    occurs=_notice_days,
    uses_today=False,
    label="the notice of a moved or cancelled meeting",
    none_reason="no moved or cancelled meeting that a recap invited to",
)
AGREEMENT = Kind(
    name="agreement",
    audience="client",
    formats=("html", "pdf"),
    stem="agreement",
    occurs=_with_agreement,
    uses_today=False,
    label="the agreement",
    index_label=N_("Agreement"),
    index_rank=3,
    command_help=(
        "Build a case's agreement, with an empty signature field per signatory in the PDF."
    ),
    none_reason="the case has no agreement section",
)
CALENDAR = Kind(
    name="calendar",
    audience="client",
    formats=("ics",),
    stem="checkins",
    occurs=_with_checkins,
    uses_today=False,
    label="the check-in calendar",
    index_label=N_("Calendar"),
    index_rank=4,
    none_reason="the case has no plan.checkins",
    # Written by code (writers/ics.py): the calendar has no template.
)

#: The kinds a build makes, in the order it makes them.
KINDS = Registry([BRIEF, AGENDA, PLAN, RECAP, NOTICE, AGREEMENT, CALENDAR])
