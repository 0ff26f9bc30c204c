"""Loading and validating a case file.

A case file is read in two steps. :mod:`generator.reader` turns its YAML
into plain values and remembers a line for every field path. Pydantic then
validates the values against the models of :mod:`generator.model`, and
every failure is reported with its file, line and field path, all at once,
with the cross-checks between fields and the warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import CaseError, Problem
from .model import SLUG_RE, Case, Meeting, _unwrap
from .reader import Path_, _line_for, decode_case, format_path, parse_yaml, read_text
from .schedule import checkins_between

# -- "did you mean", for an unknown key ----------------------------------------


def _model_at(loc: Iterable[str | int]) -> type[BaseModel] | None:
    model: Any = Case
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation: Any = info.annotation  # a type form, hashable as _unwrap's cache needs
        model = _unwrap(annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unknown_key_message(loc: tuple[str | int, ...]) -> str:
    key, place = str(loc[-1]), loc[:-1]
    model = _model_at(place)
    known = list(model.model_fields) if model else []
    where = f" at {format_path(place)}" if place else " at the top level"
    import difflib  # only for a message: most commands never need it

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f": did you mean `{close[0]}`?" if close else f" (known keys: {', '.join(known)})"
    return f"unknown key `{key}`{where}{hint}"


# -- turning pydantic's errors into ours ------------------------------------------

_TYPE_NAMES = {
    "string_type": "text",
    "list_type": "a list",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f'"{value}"'


def _message(error: Any) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    value = error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key_message(loc)
    if kind == "missing":
        return "required field is missing"
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"must be one of {expected}, got {_describe(value)}"
    if kind == "too_short":
        return "must list at least one item"
    if kind in ("greater_than", "less_than_equal"):
        return f"out of range: {_describe(value)}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    return error["msg"]


def _error_loc(error: Any) -> tuple[str | int, ...]:
    # Pydantic adds the name of a tagged/union member or a validator to loc;
    # keep only the parts that are real keys and indexes of the case.
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    if error["type"] == "missing":
        return loc
    return loc


# -- loading -----------------------------------------------------------------------


@dataclass
class CaseFile:
    """A validated case with what is needed to point back into its file."""

    path: Path
    display: str
    case: Case
    lines: dict[Path_, int] = field(repr=False)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def id(self) -> str:
        assert self.case.id is not None
        return self.case.id

    def problem(self, path: Path_, message: str) -> Problem:
        return self.where.problem(path, message)

    @property
    def where(self) -> Locator:
        return Locator(self.display, self.lines)


@dataclass(frozen=True)
class Locator:
    """Where each field of a case file is, and no field's value.

    A writer of a client document that finds a field it cannot use blames
    it by file, line and path; it gets this instead of the :class:`CaseFile`,
    which holds the whole case, internal fields included.
    """

    display: str
    lines: dict[Path_, int] = field(repr=False, hash=False, compare=False)

    def problem(self, path: Path_, message: str) -> Problem:
        return Problem(self.display, _line_for(self.lines, path), format_path(path), message)


def load_case(
    path: Path,
    *,
    display: str | None = None,
    today: date | None = None,
    default_timezone: str = "UTC",
    default_language: str = "en",
    languages: Callable[[str], list[str] | None] | None = None,
    raw: bytes | None = None,
) -> CaseFile:
    """Load and validate one case file; raise CaseError with every problem.

    ``raw`` is the file's bytes when the caller has read them already (the
    build hashes them): the case is then the very bytes that were hashed.
    """
    display = display or str(path)
    text = read_text(path, display) if raw is None else decode_case(raw, display)
    data, lines, problems = parse_yaml(text, display)
    return validate_case(
        data,
        lines,
        path=path,
        display=display,
        today=today,
        default_timezone=default_timezone,
        default_language=default_language,
        languages=languages,
        problems=problems,
    )


def validate_case(
    data: dict[str, Any],
    lines: dict[Path_, int],
    *,
    path: Path,
    display: str,
    today: date | None = None,
    default_timezone: str = "UTC",
    default_language: str = "en",
    languages: Callable[[str], list[str] | None] | None = None,
    problems: list[Problem] | None = None,
) -> CaseFile:
    """Validate plain case data; the second half of :func:`load_case`.

    ``languages`` says whether a language has a catalog: None when it does,
    else the languages that do (for "did you mean"). The workspace passes
    it, since a workspace's own catalogs add languages.
    """
    problems = list(problems or [])
    # A value the YAML reader refused (a tag, say) was dropped: one error for
    # it is enough, not a second "expected text, got nothing".
    reported = {p.path for p in problems}
    case: Case | None = None
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = _error_loc(error)
            if format_path(loc) in reported:
                continue
            problems.append(
                Problem(display, _line_for(lines, loc), format_path(loc), _message(error))
            )
    if case is None:
        raise CaseError(_sorted(problems))

    update: dict[str, Any] = {}
    if case.id is None:
        stem = path.stem  # the id a file without one gets
        if SLUG_RE.match(stem):
            update["id"] = stem
        else:
            problems.append(
                Problem(
                    display,
                    1,
                    "id",
                    f'the file name "{stem}" is not a valid case id; rename the file or add `id:` (lower-case letters, digits, hyphens)',
                )
            )
    if case.timezone is None:
        update["timezone"] = default_timezone
    if case.language is None:
        update["language"] = default_language
    elif languages is not None:
        known = languages(case.language)
        if known is not None:
            from .i18n import did_you_mean

            close = did_you_mean(case.language, known)
            problems.append(
                Problem(
                    display,
                    _line_for(lines, ("language",)),
                    "language",
                    f'no catalog for language "{case.language}" (known: {", ".join(known)})'
                    + (f": did you mean `{close}`?" if close else "")
                    + "; add templates/locale/<lang>/LC_MESSAGES/mend.po to the workspace for another",
                )
            )
    if update:
        case = case.model_copy(update=update)
    casefile = CaseFile(path=path, display=display, case=case, lines=lines)
    problems.extend(_cross_check(casefile))
    if problems:
        raise CaseError(_sorted(problems))
    casefile.warnings = list(_warnings(casefile, today))
    return casefile


def validate_edit(
    before: CaseFile,
    before_data: dict[str, Any],
    data: dict[str, Any],
    lines: dict[Path_, int],
    *,
    display: str,
    today: date | None = None,
    problems: list[Problem] | None = None,
) -> CaseFile:
    """:func:`validate_case` for ``data``, an edit of the valid ``before_data`` (read as ``before``).

    When the edit changed or added meetings and nothing else, only those
    are validated (with the Meeting model, as the Case model validates each
    item of its list) and put into ``before``'s case: validating the whole
    of a 2,000-meeting case a second time took 0.1 s of ``mend log``. The
    rules across fields, and the warnings, still look at the whole case.
    Anything else, and any problem at all, goes to :func:`validate_case`,
    so that every message is the one it gives.
    """

    def in_full() -> CaseFile:
        return validate_case(
            data,
            lines,
            path=before.path,
            display=display,
            today=today,
            default_timezone=before.case.timezone or "UTC",
            default_language=before.case.language or "en",
            problems=problems,
        )

    old = before_data.get("meetings")
    new = data.get("meetings")
    if (
        problems
        or not isinstance(new, list)
        or not (old is None or isinstance(old, list))
        or len(new) < len(old or ())
        or data.keys() - {"meetings"} != before_data.keys() - {"meetings"}
        or any(data[key] != before_data[key] for key in data if key != "meetings")
    ):
        return in_full()
    meetings = list(before.case.meetings)
    try:
        for i, value in enumerate(new):
            if i < len(meetings):
                if value is old[i] or value == old[i]:  # type: ignore[index]
                    continue
                meetings[i] = Meeting.model_validate(value)
            else:
                meetings.append(Meeting.model_validate(value))
    except ValidationError:
        return in_full()
    case = before.case.model_copy(update={"meetings": meetings})
    casefile = CaseFile(path=before.path, display=display, case=case, lines=lines)
    if next(_cross_check(casefile), None) is not None:
        return in_full()
    casefile.warnings = list(_warnings(casefile, today))
    return casefile


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line or 0)


def _duplicates(items: Iterable[tuple[Path_, Any]]) -> Iterator[tuple[Path_, Any]]:
    seen: set[Any] = set()
    for path, key in items:
        if key in seen:
            yield path, key
        seen.add(key)


def _cross_check(cf: CaseFile) -> Iterator[Problem]:
    """Rules that span fields: unique ids and dates, references that exist."""
    case = cf.case
    plan = case.plan
    for path, key in _duplicates(
        ((("plan", "objectives", i, "id"), o.id) for i, o in enumerate(plan.objectives))
    ):
        yield cf.problem(path, f'duplicate objective id "{key}"')
    for path, key in _duplicates(
        ((("plan", "milestones", i, "id"), m.id) for i, m in enumerate(plan.milestones))
    ):
        yield cf.problem(path, f'duplicate milestone id "{key}"')
    objectives = {o.id for o in plan.objectives}
    milestones = {m.id for m in plan.milestones}
    for i, m in enumerate(plan.milestones):
        if m.objective is not None and m.objective not in objectives:
            yield cf.problem(
                ("plan", "milestones", i, "objective"),
                _unknown_ref("objective", m.objective, objectives),
            )
    for path, key in _duplicates(
        ((("meetings", i, "date"), m.date) for i, m in enumerate(case.meetings))
    ):
        yield cf.problem(path, f"two meetings on {key.isoformat()}: record one meeting a day")
    for i, meeting in enumerate(case.meetings):
        for j, progress in enumerate(meeting.progress):
            if progress.milestone not in milestones:
                yield cf.problem(
                    ("meetings", i, "progress", j, "milestone"),
                    _unknown_ref("milestone", progress.milestone, milestones),
                )
    yield from _check_commitments(cf)
    yield from _check_changes(cf)
    checkins = plan.checkins
    if checkins and checkins.until and checkins.until < checkins.starts:
        yield cf.problem(
            ("plan", "checkins", "until"),
            f"ends ({checkins.until}) before check-ins start ({checkins.starts})",
        )
    if (
        case.agreement
        and case.agreement.review
        and case.agreement.review < case.agreement.effective
    ):
        yield cf.problem(
            ("agreement", "review"),
            f"review date {case.agreement.review} is before the agreement takes effect ({case.agreement.effective})",
        )


def _check_commitments(cf: CaseFile) -> Iterator[Problem]:
    """The follow-through's references: commitment ids, their updates, amendments.

    An update or amendment that names no commitment would be a promise's
    history lost, so it is an error, like an unknown milestone. So is an
    update at a meeting before the agreement took effect: nothing had been
    promised yet. (A meeting with updates counts as held, so an update at a
    meeting in the future is the warning every future meeting with notes
    gets.)
    """
    case = cf.case
    agreement = case.agreement
    commitments = agreement.commitments if agreement else []
    for path, key in _duplicates(
        (("agreement", "commitments", i, "id"), c.id)
        for i, c in enumerate(commitments)
        if c.id is not None
    ):
        yield cf.problem(path, f'duplicate commitment id "{key}"')
    ids = {c.id for c in commitments if c.id is not None}
    for i, meeting in enumerate(case.meetings):
        for j, update in enumerate(meeting.commitments):
            if update.commitment not in ids:
                yield cf.problem(
                    ("meetings", i, "commitments", j, "commitment"),
                    _unknown_ref("commitment", update.commitment, ids),
                )
            elif agreement is not None and meeting.date < agreement.effective:
                yield cf.problem(
                    ("meetings", i, "commitments", j),
                    f"an update on {meeting.date} is before the agreement takes effect "
                    f"({agreement.effective}): record it at a meeting on or after that day",
                )
    if agreement is None:
        return
    for i, amendment in enumerate(agreement.amendments):
        if amendment.date < agreement.effective:
            yield cf.problem(
                ("agreement", "amendments", i, "date"),
                f"amendment dated {amendment.date} is before the agreement takes effect "
                f"({agreement.effective})",
            )
        for j, ref in enumerate(amendment.commitments):
            if ref not in ids:
                yield cf.problem(
                    ("agreement", "amendments", i, "commitments", j),
                    _unknown_ref("commitment", ref, ids),
                )


def _check_changes(cf: CaseFile) -> Iterator[Problem]:
    """``replaces`` and ``cancelled``: a move names one real check-in, a cancellation has no notes.

    Each check-in has one event in the client's calendar; a move that names
    a date the series does not have, or a second move of the same
    check-in, would leave the client's calendar and ours disagreeing about
    which one is real.
    """
    case = cf.case
    checkins = case.plan.checkins
    listed = {m.date: m for m in case.meetings}
    moved: dict[date, int] = {}
    for i, meeting in enumerate(case.meetings):
        if meeting.cancelled and meeting.held:
            yield cf.problem(
                ("meetings", i, "cancelled"),
                f"the meeting on {meeting.date} is cancelled but has notes (summary, heard, "
                "decisions, actions, progress or commitment updates): a cancelled meeting is "
                "never held; drop "
                "`cancelled` or the notes",
            )
        day = meeting.replaces
        if day is None:
            continue
        path: Path_ = ("meetings", i, "replaces")
        if checkins is None:
            yield cf.problem(path, "there are no check-ins to move: add plan.checkins")
        elif day == meeting.date:
            yield cf.problem(
                path, f"the meeting replaces its own date ({day}); to change its time, set `time`"
            )
        elif not checkins_between(checkins, day, day):
            near = checkins_between(checkins, day - timedelta(days=31), day + timedelta(days=31))
            hint = (
                f": did you mean {min(near, key=lambda d: abs(d - day))}?"
                if near
                else " (the check-ins generate no date near it)"
            )
            yield cf.problem(path, f"{day} is not a date the check-ins fall on{hint}")
        elif day in moved:
            yield cf.problem(
                path,
                f"the check-in on {day} is already moved by meetings[{moved[day]}]: "
                "a check-in can move only once",
            )
        elif day in listed and not listed[day].cancelled:
            yield cf.problem(
                path,
                f"the check-in on {day} is listed as a meeting of its own; mark that one "
                "`cancelled: true` or remove it",
            )
        else:
            moved[day] = i


def _unknown_ref(kind: str, value: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = (
        f": did you mean `{close[0]}`?"
        if close
        else f" (known: {', '.join(sorted(known)) or 'none'})"
    )
    return f'unknown {kind} "{value}"{hint}'


def _name_uses(case: Case) -> Iterator[tuple[Path_, str]]:
    for i, m in enumerate(case.plan.milestones):
        if m.owner:
            yield ("plan", "milestones", i, "owner"), m.owner
    if case.listening:
        for i, f in enumerate(case.listening.feelings):
            if f.who:
                yield ("listening", "feelings", i, "who"), f.who
    for i, meeting in enumerate(case.meetings):
        for j, name in enumerate(meeting.attendees):
            yield ("meetings", i, "attendees", j), name
        for j, action in enumerate(meeting.actions):
            if action.owner:
                yield ("meetings", i, "actions", j, "owner"), action.owner
    if case.agreement:
        for i, c in enumerate(case.agreement.commitments):
            if c.owner:
                yield ("agreement", "commitments", i, "owner"), c.owner


def _warnings(cf: CaseFile, today: date | None) -> Iterator[Problem]:
    """Things that are valid but probably not what the user meant."""
    case = cf.case
    people = case.people()
    for path, name in _name_uses(case):
        if name not in people:
            import difflib

            close = difflib.get_close_matches(name, sorted(people), n=1)
            hint = (
                f": did you mean `{close[0]}`?"
                if close
                else " (not a client contact or team member)"
            )
            yield cf.problem(path, f'unknown person "{name}"{hint}')
    primaries = [i for i, c in enumerate(case.client.contacts) if c.primary]
    if len(primaries) > 1:
        yield cf.problem(
            ("client", "contacts", primaries[1], "primary"),
            "more than one primary contact; the first is used",
        )
    leads = [i for i, m in enumerate(case.team.members) if m.lead]
    if len(leads) > 1:
        yield cf.problem(
            ("team", "members", leads[1], "lead"),
            "more than one lead; the first is used",
        )
    review = case.agreement.review if case.agreement else None
    if review:
        for i, m in enumerate(case.plan.milestones):
            if m.due > review:
                yield cf.problem(
                    ("plan", "milestones", i, "due"),
                    f"due {m.due} after the agreement's review date {review}",
                )
    if today:
        for i, meeting in enumerate(case.meetings):
            if meeting.date > today and meeting.held:
                yield cf.problem(
                    ("meetings", i, "date"),
                    f"meeting on {meeting.date} is in the future but already has notes (summary, decisions, ...)",
                )
