"""The audience rule: what a document's templates are allowed to see.

Client-facing documents are rendered from a view built from a *redacted*
copy of the case, dumped to plain data without the internal keys at all. A
template that names an internal field, by mistake or on purpose, meets
``StrictUndefined`` and fails; it cannot print what is not there. Internal
documents get the whole case.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from pydantic import BaseModel

from .case import CaseFile
from .commitments import (
    COMMITMENT_LABELS,
    PARTIES,
    count,
    counts_view,
    overdue_first,
    recap_groups,
    standing_view,
    standings,
    updates_by_meeting,
)
from .constants import Audience
from .documents import signature_fields
from .history import as_view, compute
from .i18n import Language, get_language
from .model import (
    INTERNAL_FIELDS,
    MARKDOWN,
    Case,
    Listening,
    Markdown,
    Ownership,
    _unwrap,
    is_markdown,
    item_annotation,
    redact,
    strip_annotation,
)
from .progress import STATUS_LABELS, current_statuses, is_overdue
from .render import escape_markdown, sanitize_markdown
from .schedule import (
    changes,
    following_meeting,
    held_meetings,
    meetings_by_date,
    next_meeting,
    upcoming_checkins,
)
from .timeline import timeline_svg

if TYPE_CHECKING:
    from .commitments import Standing
    from .history import History
    from .schedule import NextMeeting


def _exclude_spec() -> dict[str, Any]:
    """INTERNAL_FIELDS as pydantic's nested ``exclude`` argument."""
    spec: dict[str, Any] = {}
    for path in INTERNAL_FIELDS:
        node = spec
        for part in path[:-1]:
            node = node.setdefault("__all__" if part == "*" else part, {})
        node[path[-1]] = True
    return spec


_EXCLUDE = _exclude_spec()


def dump(model: Any, audience: Audience) -> dict[str, Any]:
    """Plain data for templates; without internal keys for the client."""
    return model.model_dump(exclude=_EXCLUDE if audience == "client" else None)


@functools.lru_cache(maxsize=256)
def _schema(annotation: Any) -> tuple[str, Any]:
    """How to make a value of this annotation Markdown-safe, worked out once."""
    if is_markdown(annotation):
        return ("markdown", None)
    item = item_annotation(annotation)
    if typing.get_origin(strip_annotation(annotation)) is list:
        return ("list", item)
    model = _unwrap(annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return ("model", model)
    return ("text", None)


def _field_annotation(info: Any) -> Any:
    # Pydantic moves the metadata of a top-level Annotated into FieldInfo.
    if info is None:
        return None
    return Markdown if MARKDOWN in info.metadata else info.annotation


def markdown_safe(value: Any, annotation: Any, memo: _Memo | None = None) -> Any:
    """Case data made safe to print in Markdown, following the models' types.

    Markdown fields are sanitised (no raw HTML, images or unsafe links);
    every other text is escaped so that it prints as the text it is.

    ``memo`` (from :func:`new_memo`) keeps each text's result, for the
    walks of one case's two audiences, which hold mostly the same texts.
    """
    kind, sub = _schema(annotation)
    return _safe(value, kind, _sub_plan(kind, sub), memo or new_memo())


#: Escaped and sanitised texts, each by the text it was made from: only
#: texts of type ``str`` exactly (a subclass is equal to its plain value,
#: so it would find that value's entry).
_Memo = tuple[dict[str, str], dict[str, str]]


def new_memo() -> _Memo:
    return ({}, {})


def _sub_plan(kind: str, sub: Any) -> Any:
    """What :func:`_safe` needs below a value of this kind, worked out once."""
    if kind == "list":
        item_kind, item_sub = _schema(sub)
        return (item_kind, _sub_plan(item_kind, item_sub))
    if kind == "model":
        return sub  # its fields' plans: _fields_plan(sub), looked up when reached
    return None


@functools.lru_cache(maxsize=256)
def _fields_plan(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """Each field of a model as (kind, sub plan): one dict lookup a key, not a hash of its type."""
    plan = {}
    for name, info in model.model_fields.items():
        kind, sub = _schema(_field_annotation(info))
        plan[name] = (kind, _sub_plan(kind, sub))
    return plan


def _none_plan() -> tuple[str, Any]:
    kind, sub = _schema(None)
    return (kind, _sub_plan(kind, sub))


#: The plan of a value with no annotation (a list item outside a list
#: field, a key no model field has), as markdown_safe(v, None) walks it.
_NONE_PLAN = _none_plan()


#: Values the walk returns as they are (none is a str, list or dict, or a
#: subclass of one), tested by exact type before the isinstance tests.
_LEAVES = frozenset({type(None), bool, int, float, date, datetime, time})


def _safe(value: Any, kind: str, plan: Any, memo: _Memo) -> Any:
    # markdown_safe's walk, with each level's plan at hand: the same
    # isinstance tests in the same order, for every value it reaches, after
    # two shortcuts that give what those tests would: a value of a leaf
    # type as it is, a plain str looked up in the memo first. The items of
    # a list and the values of a dict take both shortcuts here, without a
    # call each (most of a case's values are texts and leaves).
    cls = type(value)
    if cls in _LEAVES:
        return value
    if cls is str:
        return _text(value, kind == "markdown", memo)
    if isinstance(value, str):
        return sanitize_markdown(value) if kind == "markdown" else escape_markdown(value)
    if isinstance(value, list):
        item_kind, item_plan = plan if kind == "list" else _NONE_PLAN
        table = memo[item_kind == "markdown"]
        items = []
        for v in value:
            cls = type(v)
            if cls is str:
                found = table.get(v)
                items.append(_text(v, item_kind == "markdown", memo) if found is None else found)
            elif cls in _LEAVES:
                items.append(v)
            else:
                items.append(_safe(v, item_kind, item_plan, memo))
        return items
    if isinstance(value, dict):
        fields = _fields_plan(plan) if kind == "model" else {}
        out = {}
        for k, v in value.items():
            cls = type(v)
            if cls in _LEAVES:
                out[k] = v
                continue
            sub_kind, sub_plan = fields.get(k, _NONE_PLAN)
            if cls is str:
                found = memo[sub_kind == "markdown"].get(v)
                out[k] = _text(v, sub_kind == "markdown", memo) if found is None else found
            else:
                out[k] = _safe(v, sub_kind, sub_plan, memo)
        return out
    return value


def _text(value: str, markdown: bool, memo: _Memo) -> str:
    table = memo[markdown]
    found = table.get(value)
    if found is None:
        found = table[value] = sanitize_markdown(value) if markdown else escape_markdown(value)
    return found


def build_view(
    casefile: CaseFile,
    audience: Audience,
    today: date,
    *,
    markdown: bool = False,
    language: Language | None = None,
    shared: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """Everything one document's templates may use, for one audience.

    With ``markdown`` every text in the view is already escaped for a
    Markdown document, so templates (and their macros) print it as is.

    ``history`` (where things stand, what changed at the latest meeting,
    open actions) is computed here once, from the same audience's case, so
    the plan and the agenda print one computation and cannot disagree. The
    timeline SVG is drawn from the client's case, for either audience (it
    shows milestones, meetings and commitments, no internal field), and
    only for HTML and PDF: a Markdown document points to it instead.

    ``language`` (default: the case's, with the theme's catalogs only) is
    what the templates speak: ``i18n`` is read by the theme's gettext
    calls and date filters, ``lang`` and ``dir`` go on the page.

    ``shared`` (one dict for the views of one case file) keeps what the
    Markdown and the HTML view of an audience compute alike (the redacted
    case, where things stand, the next meeting, the commitments'
    standings), so that the second view does not compute it again.
    """
    lang = language or get_language(casefile.case.language)
    labels = {key: lang.gettext(label) for key, label in STATUS_LABELS.items()}
    promise_labels = {key: lang.gettext(label) for key, label in COMMITMENT_LABELS.items()}
    basis = _shared_basis(casefile, audience, today, shared)
    case, statuses, history, nxt = basis.case, basis.statuses, basis.history, basis.next
    data = _dump(case, audience, today, markdown, shared)
    milestones = []
    for raw, model in zip(data["plan"]["milestones"], case.plan.milestones, strict=True):
        status = statuses[model.id]
        milestones.append(
            {
                **raw,
                "current": status,
                "current_label": labels[status],
                "overdue": is_overdue(model, status, today),
            }
        )
    meetings = {m.date: m for m in case.meetings}
    by_date = {m["date"]: m for m in data["meetings"]}
    held = [by_date[m.date] for m in held_meetings(case)]
    next_view = None
    if nxt is not None:
        listed = by_date.get(nxt.date) if nxt.date in meetings else None
        next_view = {
            "date": nxt.date,
            "time": nxt.time,
            "kind": nxt.kind,
            "duration": nxt.duration,
            "channel": data["plan"]["checkins"]["channel"] if data["plan"]["checkins"] else None,
            "link": nxt.link,
            "meeting": listed,
            "is_checkin": nxt.is_checkin,
        }
    last_held = held[-1] if held else None
    contacts = data["client"]["contacts"]
    members = data["team"]["members"]
    primary = next((c for c in contacts if c["primary"]), contacts[0])
    lead = next((m for m in members if m["lead"]), members[0])
    signatures = []
    if case.agreement is not None:
        fields = signature_fields(case.agreement.signatories)
        for raw, name in zip(data["agreement"]["signatories"], fields, strict=True):
            organisation = (
                data["client"]["organisation"]
                if raw["party"] == "client"
                else data["team"]["organisation"]
            )
            signatures.append({**raw, "field": name, "organisation": organisation})
    return {
        "commitments": _commitments_view(
            case, data, today, nxt.date if nxt else None, markdown, promise_labels, basis.standings
        ),
        "audience": audience,
        "signatures": signatures,
        "today": today,
        "id": case.id,
        "case": data,
        "milestones": milestones,
        "objectives": {o["id"]: o for o in data["plan"]["objectives"]},
        "rollup": history.rollup,
        "history": as_view(history, escape_markdown if markdown else str, labels, promise_labels),
        "timeline": None if markdown else _timeline(casefile, basis, today, lang, shared),
        "status_labels": labels,
        "i18n": lang,
        "lang": lang.code,
        "dir": lang.direction,
        "next": next_view,
        "upcoming": upcoming_checkins(case, today),
        "rescheduled": [vars(c) for c in changes(case, today)],
        "meetings": [by_date[m.date] for m in meetings_by_date(case)],
        "held": held,
        "held_newest_first": list(reversed(held)),
        "last_held": last_held,
        "primary": primary,
        "lead": lead,
        "us": data["team"]["organisation"] or lead["name"],
        "them": data["client"]["organisation"],
    }


def _dump(
    case: Case, audience: Audience, today: date, markdown: bool, shared: dict[Any, Any] | None
) -> dict[str, Any]:
    """The audience's case as plain data, Markdown-safe for a Markdown view; dumped once if it can be.

    The Markdown view's walk copies every dict and list of the dump before
    any template sees it, so the dump itself can go to the HTML view of the
    same audience (which takes it from ``shared``, once). Dumped for an
    HTML view built first, it is not kept: a template could change what it
    was given (the sandbox allows ``list.append``), and the Markdown view
    must not print that.
    """
    key = ("dump", audience, today)
    if markdown:
        data = dump(case, audience)
        if shared is None:
            return markdown_safe(data, Case)
        shared[key] = data
        return markdown_safe(data, Case, shared.setdefault("markdown memo", new_memo()))
    kept = shared.pop(key, None) if shared is not None else None
    return kept if kept is not None else dump(case, audience)


@dataclass(frozen=True)
class _Basis:
    """What one audience's views compute alike, whichever format they are for."""

    audience: Audience
    case: Case  # the audience's case, its optional sections filled in
    statuses: dict[str, str]
    history: History
    next: NextMeeting | None
    standings: list[Standing]


def _basis(casefile: CaseFile, audience: Audience, today: date) -> _Basis:
    case = casefile.case if audience == "internal" else redact(casefile.case)
    # Optional sections become empty ones, so templates need no guards.
    if case.ownership is None:
        case = case.model_copy(update={"ownership": Ownership()})
    if audience == "internal" and case.listening is None:
        case = case.model_copy(update={"listening": Listening()})
    return _Basis(
        audience=audience,
        case=case,
        statuses=current_statuses(case),
        history=compute(case, today),
        # The brief (the one internal document) prepares a call too; the client
        # documents' next meeting is the agenda's, which a call never is.
        next=next_meeting(case, today, calls=audience == "internal"),
        standings=standings(case, today),
    )


def _shared_basis(
    casefile: CaseFile, audience: Audience, today: date, shared: dict[Any, Any] | None
) -> _Basis:
    """The audience's basis from ``shared``, computed and kept there the first time."""
    basis = shared.get((audience, today)) if shared is not None else None
    if basis is None:
        basis = _basis(casefile, audience, today)
        if shared is not None:
            shared[(audience, today)] = basis
    return basis


def _timeline(
    casefile: CaseFile,
    basis: _Basis,
    today: date,
    lang: Language,
    shared: dict[Any, Any] | None,
) -> Markup:
    """The timeline, drawn once a case from the client's basis and shared by both audiences.

    From the client's case, so that whichever view draws it first, no
    internal field can be in it; the internal view's is the same drawing.
    """
    key = ("timeline", today, lang.code, id(lang))
    found = shared.get(key) if shared is not None else None
    if found is not None:
        return found[1]
    client = (
        basis if basis.audience == "client" else _shared_basis(casefile, "client", today, shared)
    )
    svg = Markup(timeline_svg(client.case, today, lang))
    if shared is not None:
        shared[key] = (lang, svg)  # the Language kept, so its id is not reused
    return svg


def _commitments_view(
    case: Case,
    data: dict[str, Any],
    today: date,
    next_day: date | None,
    markdown: bool,
    labels: Mapping[str, str] = COMMITMENT_LABELS,
    items: list[Standing] | None = None,
) -> dict[str, Any]:
    """The follow-through, for templates: every commitment and where it stands.

    ``by_party`` is the plan's three columns, overdue ones first in each;
    ``due`` is the agenda's: those not yet kept that fall due before the
    meeting after the next one (every dated one when there is none), and
    those at risk or broken; ``attention`` is the brief's: broken and
    overdue, overdue first.
    """
    text = escape_markdown if markdown else str
    if items is None:
        items = standings(case, today)
    raws = data["agreement"]["commitments"] if data["agreement"] else []
    views = {
        s.index: standing_view(s, raw, text, labels) for s, raw in zip(items, raws, strict=True)
    }
    ordered = overdue_first(items)
    after = following_meeting(case, next_day) if next_day is not None else None
    horizon = after[0] if after else None
    due = [
        s
        for s in ordered
        if s.status in ("at-risk", "broken")
        or (
            s.status not in ("kept", "renegotiated")
            and s.commitment.due is not None
            and (horizon is None or s.commitment.due < horizon)
        )
    ]
    attention = [s for s in ordered if s.status == "broken" or s.overdue]
    return {
        "all": [views[s.index] for s in items],
        "by_party": {
            p: [views[s.index] for s in ordered if s.commitment.party == p] for p in PARTIES
        },
        "counts": counts_view(count(items)),
        "due": [views[s.index] for s in due],
        "due_before": horizon,
        "attention": [views[s.index] for s in attention],
        "amendments": _amendments_view(case, text),
        # What each held meeting recorded, as its recap tells it.
        "at_meeting": _at_meeting(case, today, text, labels),
    }


def _amendments_view(case: Case, text: Any) -> list[dict[str, Any]]:
    """The agreement's amendments, oldest first, with the texts of the commitments they changed."""
    if case.agreement is None:
        return []
    texts = {c.id: c.text for c in case.agreement.commitments if c.id}
    return [
        {
            "date": a.date,
            "summary": text(a.summary),
            "commitments": [text(texts[ref]) for ref in a.commitments if ref in texts],
        }
        for a in sorted(case.agreement.amendments, key=lambda a: a.date)
    ]


def _at_meeting(
    case: Case, today: date, text: Any, labels: Mapping[str, str] = COMMITMENT_LABELS
) -> dict[date, dict[str, list[dict[str, Any]]]]:
    """Every held meeting's commitment updates, grouped as its recap says them."""
    by_day = updates_by_meeting(case, today)
    return {m.date: recap_groups(by_day.get(m.date, []), text, labels) for m in held_meetings(case)}
