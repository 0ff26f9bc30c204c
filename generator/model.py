"""The case file's schema: its field types, its models, and who each field is for.

The models say what a case holds and which of its fields are internal;
everything that keeps internal text out of client documents (the redacted
case, the keys a view leaves out, the table in the README) is derived from
them here. Reading YAML is :mod:`generator.reader`'s, and validating a file
against these models :mod:`generator.case`'s.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from datetime import date, time
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from .constants import (
    Audience,
    Cadence,
    CaseStatus,
    CommitmentUpdateStatus,
    MeetingKind,
    Status,
    Weekday,
)
from .fieldtypes import LanguageTag, TimeZone, empty_list
from .plugins import defer_plugin_lookup

defer_plugin_lookup()  # before the first model is built: see plugins.py

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029\x85]")

Party = Literal["us", "client"]


# -- field types ---------------------------------------------------------------


def _one_line(value: str) -> str:
    if _CONTROL_RE.search(value):
        raise ValueError("must be one line of text (it holds a line break or control character)")
    return value


def _slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(
            f'not a valid id: "{value}" (lower-case letters, digits and hyphens, '
            "starting with a letter or digit)"
        )
    return value


def _date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if DATE_RE.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError(f'not a date: "{value}" (expected YYYY-MM-DD)')
    raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD)")


def _time(value: Any) -> Any:
    if isinstance(value, str):
        match = TIME_RE.match(value)
        if match:
            return time(int(match[1]), int(match[2]))
        raise ValueError(f'not a time: "{value}" (expected HH:MM, 24-hour)')
    raise ValueError(f"not a time: {value!r} (expected HH:MM, 24-hour, in quotes)")


def _email(value: str) -> str:
    if not EMAIL_RE.match(value):
        raise ValueError(f'not an email address: "{value}"')
    return value


def _url(value: str) -> str:
    if not re.match(r"^https?://[^\s<>\"]+$", value):
        raise ValueError(f'not a web link: "{value}" (expected http:// or https://)')
    return value


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Text = Annotated[str, AfterValidator(_one_line)]
#: A text the format requires: an empty one would print as a gap in a
#: document the client reads (a nameless signatory, an untitled milestone).
RequiredText = Annotated[str, AfterValidator(_one_line), AfterValidator(_not_blank)]
#: Marks a field as Markdown in the models, so the Markdown writer knows to
#: sanitise it as Markdown instead of escaping it as plain text.
MARKDOWN = object()
Markdown = Annotated[str, MARKDOWN]
RequiredMarkdown = Annotated[str, MARKDOWN, AfterValidator(_not_blank)]
Name = Text
Slug = Annotated[str, AfterValidator(_slug)]
Day = Annotated[date, BeforeValidator(_date)]
Clock = Annotated[time, BeforeValidator(_time)]
Email = Annotated[str, AfterValidator(_one_line), AfterValidator(_email)]
Url = Annotated[str, AfterValidator(_url)]
T = typing.TypeVar("T")
List = Annotated[list[T], BeforeValidator(_none_is_empty)]


#: Marks a field as internal: it may appear only in documents under
#: ``internal/``. A model declares the audience of its other fields in
#: ``AUDIENCE``; a field whose model is internal is internal too. Everything
#: that keeps internal text out of client documents (the redacted case, the
#: keys a view leaves out, the table in the README) is derived from these
#: declarations by :func:`internal_paths` and :func:`redact`.
INTERNAL = object()


class _Model(BaseModel):
    # Empty lists default through ``Field(default_factory=empty_list)``, not ``= []``:
    # pydantic deep-copies a mutable default each time a value leaves it out
    # (4,000 ``copy.deepcopy`` calls reading a 2,000-meeting case).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)
    #: Every model says who its fields are for (there is no default, so a
    #: new model cannot forget: tests/test_case.py walks them all).
    AUDIENCE: ClassVar[Audience]


# -- the case file, version 1 --------------------------------------------------


class Person(_Model):
    AUDIENCE = "client"
    name: RequiredText
    role: Text | None = None
    email: Email | None = None
    phone: Text | None = None


class Contact(Person):
    AUDIENCE = "client"
    primary: bool = False


class Member(Person):
    AUDIENCE = "client"
    lead: bool = False


class Client(_Model):
    AUDIENCE = "client"
    organisation: RequiredText
    culture: Annotated[Markdown | None, INTERNAL] = None
    contacts: Annotated[List[Contact], Field(min_length=1)]


class Team(_Model):
    AUDIENCE = "client"
    organisation: Text | None = None
    members: Annotated[List[Member], Field(min_length=1)]


class Incident(_Model):
    AUDIENCE = "client"
    summary: RequiredMarkdown
    occurred: Day | None = None
    impact: Markdown | None = None


class Fact(_Model):
    AUDIENCE = "internal"
    text: RequiredText
    source: Literal["client", "us", "record"] | None = None
    disputed: bool = False
    note: Markdown | None = None


class Feeling(_Model):
    AUDIENCE = "internal"
    who: Name | None = None
    feeling: Text
    evidence: Text | None = None


class Listening(_Model):
    AUDIENCE = "internal"
    facts: List[Fact] = Field(default_factory=empty_list)
    feelings: List[Feeling] = Field(default_factory=empty_list)
    unsaid: List[Text] = Field(default_factory=empty_list)
    questions: List[Text] = Field(default_factory=empty_list)
    restatements: List[Text] = Field(default_factory=empty_list)


class Ownership(_Model):
    AUDIENCE = "client"
    mistakes: List[Text] = Field(default_factory=empty_list)
    apology: Markdown | None = None


class Framing(_Model):
    AUDIENCE = "client"
    client_view: Annotated[Markdown | None, INTERNAL] = None
    our_view: Annotated[Markdown | None, INTERNAL] = None
    shared: Markdown | None = None


class Objective(_Model):
    AUDIENCE = "client"
    id: Slug
    text: RequiredText


class Milestone(_Model):
    AUDIENCE = "client"
    id: Slug
    title: RequiredText
    due: Day
    owner: Name | None = None
    status: Status = "planned"
    objective: Slug | None = None


class Checkins(_Model):
    AUDIENCE = "client"
    cadence: Cadence
    weekday: Weekday | None = None
    time: Clock | None = None
    duration: Annotated[int, Field(gt=0, le=24 * 60)] = 30
    channel: Text | None = None
    link: Url | None = None
    starts: Day
    until: Day | None = None


class Plan(_Model):
    AUDIENCE = "client"
    objectives: List[Objective] = Field(default_factory=empty_list)
    milestones: Annotated[List[Milestone], Field(min_length=1)]
    checkins: Checkins | None = None


class Action(_Model):
    AUDIENCE = "client"
    text: RequiredText
    owner: Name | None = None
    due: Day | None = None
    done: bool = False


class Progress(_Model):
    AUDIENCE = "client"
    milestone: Slug
    status: Status
    note: Text | None = None


class CommitmentUpdate(_Model):
    AUDIENCE = "client"
    commitment: Slug
    status: CommitmentUpdateStatus
    note: Text | None = None


class Meeting(_Model):
    AUDIENCE = "client"
    date: Day
    time: Clock | None = None
    kind: MeetingKind = "check-in"
    #: The check-in this meeting moves: that date leaves the series, this one takes its place.
    replaces: Day | None = None
    #: The meeting (or check-in) will not take place: no agenda, and it leaves the calendar.
    cancelled: bool = False
    attendees: List[Name] = Field(default_factory=empty_list)
    summary: Markdown | None = None
    heard: List[Text] = Field(default_factory=empty_list)
    decisions: List[Text] = Field(default_factory=empty_list)
    actions: List[Action] = Field(default_factory=empty_list)
    progress: List[Progress] = Field(default_factory=empty_list)
    commitments: List[CommitmentUpdate] = Field(default_factory=empty_list)
    positives: List[Text] = Field(default_factory=empty_list)
    concerns: List[Text] = Field(default_factory=empty_list)
    internal_notes: Annotated[Markdown | None, INTERNAL] = None

    @property
    def held(self) -> bool:
        """A meeting is held once anything about it was recorded."""
        return bool(
            self.summary
            or self.heard
            or self.decisions
            or self.actions
            or self.progress
            or self.commitments
        )


class Commitment(_Model):
    AUDIENCE = "client"
    #: Needed to record updates on the commitment at meetings.
    id: Slug | None = None
    party: Literal["us", "client", "both"]
    text: RequiredText
    due: Day | None = None
    owner: Name | None = None


class Amendment(_Model):
    """A change both sides made after signing: the commitments hold the current text."""

    AUDIENCE = "client"
    date: Day
    summary: RequiredText
    commitments: List[Slug] = Field(default_factory=empty_list)


class Signatory(_Model):
    AUDIENCE = "client"
    name: RequiredText
    party: Party
    role: Text | None = None
    email: Email | None = None


class Agreement(_Model):
    AUDIENCE = "client"
    title: Text = "Recovery agreement"
    effective: Day
    background: Markdown | None = None
    commitments: Annotated[List[Commitment], Field(min_length=1)]
    amendments: List[Amendment] = Field(default_factory=empty_list)
    review: Day | None = None
    signatories: Annotated[List[Signatory], Field(min_length=1)]


class Case(_Model):
    AUDIENCE = "client"
    id: Slug | None = None
    title: RequiredText
    status: CaseStatus = "open"
    timezone: TimeZone | None = None
    #: The client-facing documents' language; filled from mend.toml, else "en".
    language: LanguageTag | None = None
    client: Client
    team: Team
    incident: Incident
    listening: Listening | None = None
    ownership: Ownership | None = None
    framing: Framing | None = None
    affirmations: List[Text] = Field(default_factory=empty_list)
    plan: Plan
    meetings: List[Meeting] = Field(default_factory=empty_list)
    agreement: Agreement | None = None

    @property
    def primary_contact(self) -> Contact:
        return next((c for c in self.client.contacts if c.primary), self.client.contacts[0])

    @property
    def lead(self) -> Member:
        return next((m for m in self.team.members if m.lead), self.team.members[0])

    def people(self) -> set[str]:
        """Every name a case may refer to: client contacts and team members."""
        return {p.name for p in self.client.contacts} | {m.name for m in self.team.members}


# -- knowing the schema -------------------------------------------------------


@functools.lru_cache(maxsize=512)
def is_markdown(annotation: Any) -> bool:
    """Whether a field annotation is (an optional) :data:`Markdown`."""
    if typing.get_origin(annotation) is Annotated:
        return MARKDOWN in typing.get_args(annotation)[1:]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(is_markdown(a) for a in typing.get_args(annotation))
    return False


@functools.lru_cache(maxsize=512)
def item_annotation(annotation: Any) -> Any:
    """The annotation of a list field's items (through Optional and Annotated)."""
    annotation = strip_annotation(annotation)
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0]
    return annotation


@functools.lru_cache(maxsize=512)
def _unwrap(annotation: Any) -> Any:
    """The model class an annotation holds, through Optional, list and Annotated."""
    annotation = strip_annotation(annotation)
    while typing.get_origin(annotation) is list:
        annotation = strip_annotation(typing.get_args(annotation)[0])
    return annotation


# -- the audience of each field --------------------------------------------------


def field_model(annotation: Any) -> type[_Model] | None:
    """The model a field holds (itself, in a list, or optional), if any."""
    model = _unwrap(annotation)
    return model if isinstance(model, type) and issubclass(model, _Model) else None


def is_internal(model: type[_Model], name: str) -> bool:
    """Whether a field may appear only in internal documents."""
    info = model.model_fields[name]
    held = field_model(info.annotation)
    return (
        INTERNAL in info.metadata
        or model.AUDIENCE == "internal"
        or (held is not None and held.AUDIENCE == "internal")
    )


@functools.cache
def internal_paths(model: type[_Model] | None = None) -> tuple[tuple[str, ...], ...]:
    """Every internal field, as a path into a case ("*" for every item of a list).

    A path stops at the first internal field: what it holds is internal too.
    """
    model = model or Case
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        if is_internal(model, name):
            paths.append((name,))
            continue
        held = field_model(info.annotation)
        if held is not None:
            step = (name, "*") if _is_list(info.annotation) else (name,)
            paths.extend((*step, *rest) for rest in internal_paths(held))
    return tuple(paths)


@functools.cache
def _redaction(model: type[_Model]) -> tuple[tuple[str, ...], tuple[tuple[str, bool], ...]]:
    """A model's internal fields, and the fields holding models that have some."""
    internal = tuple(name for name in model.model_fields if is_internal(model, name))
    inner = []
    for name, info in model.model_fields.items():
        held = field_model(info.annotation)
        if name not in internal and held is not None and internal_paths(held):
            inner.append((name, _is_list(info.annotation)))
    return internal, tuple(inner)


M = typing.TypeVar("M", bound=_Model)


def redact(value: M) -> M:
    """A copy of a model with every internal field emptied, at any depth.

    Every internal field is optional, so a redacted case is still a valid
    case: writers and views handle it like any other.
    """
    internal, inner = _redaction(type(value))
    if not internal and not inner:
        return value
    update: dict[str, Any] = dict.fromkeys(internal)
    for name, is_list in inner:
        held = getattr(value, name)
        if held is not None:
            update[name] = [redact(item) for item in held] if is_list else redact(held)
    return value.model_copy(update=update)


def strip_annotation(annotation: Any) -> Any:
    """An annotation without Annotated and Optional around it."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(strip_annotation(annotation)) is list


#: Fields that may appear only in internal documents, as paths into a case
#: ("*" stands for every item of a list), derived from the models.
INTERNAL_FIELDS: tuple[tuple[str, ...], ...] = internal_paths()
