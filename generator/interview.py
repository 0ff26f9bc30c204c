"""The questions of ``mend new``, in the order of the method, and their checks.

The interview walks DESIGN.md's method in order: be prepared, get the
facts, find the feelings, what was left unsaid, questions, restatements,
framing, what we own, affirmations, the plan, the check-ins. Each answer is
checked with the same rules as the case file (:func:`field_check` uses the
case format's own validators), so a mistake is re-asked on the spot rather
than reported after twenty questions. With ``--from``, the answers of an
existing case are offered as suggestions. The result is plain data, in the
case format's shape; writing it is ``scaffold.py``'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import time
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from .constants import WEEKDAYS
from .documents import slugify
from .model import Checkins, Client, Contact, Fact, Feeling, Incident, Milestone, TimeZone
from .prompts import END, Check, Interview, numbered

#: A case id, and an id of a plan's item: what :func:`generator.documents.slugify` makes.
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


# -- checking an answer ---------------------------------------------------------------


def field_check(model: type[BaseModel], name: str) -> Check:
    """Check an answer with the rules of one field of the case format.

    The same validators as the case file's, so an answer accepted here is
    never an error in the file, and the messages are the ones `mend check`
    would give. A time stays the text typed ("09:30"); a date becomes a date.
    """
    info = model.model_fields[name]
    # A type form built at run time, which no static type describes.
    annotation: Any = (
        Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    )
    return _adapter_check(TypeAdapter(annotation))


def _adapter_check(adapter: TypeAdapter[Any]) -> Check:
    def check(answer: str) -> Any:
        try:
            value = adapter.validate_python(answer)
        except ValidationError as exc:
            error = exc.errors()[0]
            if error["type"] == "value_error":
                raise ValueError(str(error["ctx"]["error"])) from None
            if error["type"] == "literal_error":
                raise ValueError(f"choose one of {error['ctx']['expected']}") from None
            raise ValueError(error["msg"]) from None
        return answer if isinstance(value, time) else value

    return check


def choice(options: tuple[str, ...] | list[str]) -> Check:
    """One of ``options``, or an unambiguous start of one ("fort" -> "fortnightly")."""

    def check(answer: str) -> str:
        word = answer.strip().lower()
        matches = [o for o in options if o == word] or [o for o in options if o.startswith(word)]
        if len(matches) != 1:
            raise ValueError(f"choose one of {', '.join(options)}")
        return matches[0]

    return check


def yes_no(answer: Any) -> bool:
    if isinstance(answer, bool):
        return answer
    word = str(answer).strip().lower()
    if word in ("y", "yes", "true"):
        return True
    if word in ("n", "no", "false"):
        return False
    raise ValueError("answer yes or no")


def minutes(answer: Any) -> int:
    try:
        value = int(str(answer).strip())
    except ValueError:
        raise ValueError(f'not a number of minutes: "{answer}"') from None
    if not 0 < value <= 24 * 60:
        raise ValueError("between 1 and 1440 minutes")
    return value


# -- reading the --from case ----------------------------------------------------------


def _get(data: Any, *path: str | int) -> Any:
    """A value from a parsed case, or None where the file has no such thing."""
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def _text(data: Any, *path: str | int) -> str | None:
    value = _get(data, *path)
    return value if isinstance(value, str) and value.strip() else None


def _texts(data: Any, *path: str | int) -> list[str]:
    value = _get(data, *path)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v.strip()]


def _records(data: Any, *path: str | int) -> list[dict[str, Any]]:
    value = _get(data, *path)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _unique_slug(text: str, taken: set[str], fallback: str, keep: str | None = None) -> str:
    """A short id from a title: its first words, made unique in the case.

    ``keep`` is the id the ``--from`` case gave the same item: kept when it is
    still a free, valid slug, so ids a user chose (and maybe cites in
    progress entries of other files) survive the copy.
    """
    if keep and SLUG_RE.match(keep) and keep not in taken:
        taken.add(keep)
        return keep
    slug = slugify(text)
    if len(slug) > 30:
        slug = slug[:31].rsplit("-", 1)[0]
    slug = slug or fallback
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate


def _prune(value: Any) -> Any:
    """Drop empty answers: None, empty strings, and lists or mappings left empty."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if v not in (None, "", [], {})]
    return value


# -- the questions --------------------------------------------------------------------


class CaseInterview:
    """The questions of ``mend new``, in the order of the method."""

    def __init__(self, ui: Interview, source: dict[str, Any], default_timezone: str) -> None:
        self.ui = ui
        self.src = source
        self.default_timezone = default_timezone

    def run(self, case_id: Callable[[str, str], str]) -> tuple[str, dict[str, Any]]:
        """Ask everything; return the case id and the case as plain data."""
        ui, src = self.ui, self.src
        ui.section(
            "1. Be prepared",
            "What the project is, who is involved, how the client works, and what went wrong.",
        )
        title = ui.ask(
            "Title of the case",
            example="Getting the Acme portal relaunch back on track",
            default=_text(src, "title"),
            required=True,
            check=_text_check,
        )
        organisation = ui.ask(
            "Client organisation",
            example="Acme Logistics Ltd",
            default=_text(src, "client", "organisation"),
            required=True,
            check=field_check(Client, "organisation"),
        )
        cid = case_id(title, organisation)
        timezone = ui.ask(
            f"Time zone of the check-ins (empty: {self.default_timezone}, from mend.toml)",
            example="Europe/London",
            default=_text(src, "timezone"),
            check=_timezone_check,
        )
        culture = ui.ask(
            "Internal: how the client decides and what they value",
            example="Anything over £25k goes to the monthly steering committee",
            default=_text(src, "client", "culture"),
        )
        ui.note("The client's people. The first is the main contact, who the recaps address.")
        contacts = self.people("Client contact", _records(src, "client", "contacts"), "Dana Okafor")
        team_organisation = ui.ask(
            "Our organisation",
            example="Brightline Studio",
            default=_text(src, "team", "organisation"),
            check=_text_check,
        )
        ui.note("Our people. The first leads the recovery and sends the recaps.")
        members = self.people("Team member", _records(src, "team", "members"), "Sam Rivera")
        summary = ui.ask(
            "What happened, in a sentence or two",
            example="The relaunch slipped three weeks and we told Acme on launch day",
            default=_text(src, "incident", "summary"),
            required=True,
        )
        occurred = ui.ask(
            "When it happened (YYYY-MM-DD)",
            example="2026-10-30",
            default=_text(src, "incident", "occurred"),
            check=field_check(Incident, "occurred"),
        )
        impact = ui.ask(
            "What it cost the client",
            example="1,200 customers were told the portal was live; 300 called support",
            default=_text(src, "incident", "impact"),
        )

        ui.section(
            "2. Get the facts",
            "What happened, from whose account. Internal. Mark the facts the two sides dispute.",
        )
        facts = self.facts()
        ui.section(
            "3. Find the feelings",
            "Who feels what, and what shows it. Internal: for your preparation only.",
        )
        feelings = self.feelings()
        unsaid = self.texts(
            ("4. What was left unsaid", "Unfinished sentences, avoided subjects, unanswered questions. Internal."),
            "Unsaid",
            "Whether they are talking to another agency",
            ("listening", "unsaid"),
        )  # fmt: skip
        questions = self.texts(
            ("5. Questions to ask", "Open questions that let the client put the problem in their own words."),
            "Question",
            "Help me understand what the board needs to see from us",
            ("listening", "questions"),
        )  # fmt: skip
        restatements = self.texts(
            ("6. Let them know you got it", "Restatements to read back in the meeting, to confirm you understood."),
            "Restatement",
            "You need a date you can trust, not an optimistic one",
            ("listening", "restatements"),
        )  # fmt: skip
        ui.section(
            "7. Frame the problem",
            "The client's view and ours side by side (internal), and the framing both can agree on.",
        )
        client_view = ui.ask(
            "Internal: the problem as the client sees it",
            example="The agency hides bad news until it is too late",
            default=_text(src, "framing", "client_view"),
        )
        our_view = ui.ask(
            "Internal: the problem as we see it",
            example="The scope grew without anyone re-planning the dates",
            default=_text(src, "framing", "our_view"),
        )
        shared = ui.ask(
            "The framing both sides can agree on (client-facing)",
            example="The release process gave neither of us an early warning",
            default=_text(src, "framing", "shared"),
        )
        mistakes = self.texts(
            ("8. What we own", "Our mistakes in our own words, and the apology. Both go to the client."),
            "Mistake",
            "We did not warn you early enough that the date was at risk",
            ("ownership", "mistakes"),
        )  # fmt: skip
        apology = ui.ask(
            "The apology",
            example="We are sorry: the delay was ours, and so was telling you so late",
            default=_text(src, "ownership", "apology"),
        )
        affirmations = self.texts(
            ("9. Affirmations", "What is going well, and thanks for specific things: the agenda opens with them."),
            "Affirmation",
            "Your team tested the beta within a day",
            ("affirmations",),
        )  # fmt: skip
        ui.section(
            "10. The plan",
            "Objectives, and milestones with an owner and a due date: what back on track looks like.",
        )
        lead = members[0]["name"]
        objectives, milestones = self.plan(lead)
        ui.section(
            "11. Check-ins",
            "A steady rhythm of check-ins is how trust comes back. Empty cadence: none yet.",
        )
        checkins = self.checkins()

        contacts[0]["primary"] = True
        members[0]["lead"] = True
        data = {
            "title": title,
            "status": "open",
            "timezone": timezone,
            "client": {"organisation": organisation, "culture": culture, "contacts": contacts},
            "team": {"organisation": team_organisation, "members": members},
            "incident": {"summary": summary, "occurred": occurred, "impact": impact},
            "listening": {
                "facts": facts,
                "feelings": feelings,
                "unsaid": unsaid,
                "questions": questions,
                "restatements": restatements,
            },
            "ownership": {"mistakes": mistakes, "apology": apology},
            "framing": {"client_view": client_view, "our_view": our_view, "shared": shared},
            "affirmations": affirmations,
            "plan": {"objectives": objectives, "milestones": milestones, "checkins": checkins},
        }
        return cid, _prune(data)

    def texts(
        self, section: tuple[str, str], label: str, example: str, path: tuple[str, ...]
    ) -> list[str]:
        """A section that is one list of texts, suggested from ``path`` of the --from case."""
        self.ui.section(*section)
        return self.ui.ask_list(
            label, example=example, defaults=_texts(self.src, *path), check=_text_check
        )

    def people(self, label: str, defaults: list[dict[str, Any]], example: str) -> list[dict]:
        ui = self.ui
        people: list[dict[str, Any]] = []
        ui.note(f"  e.g. {example}")
        question = label + " {n}, name"
        for _, name, old in self.items(
            question, defaults, "name", needed="  At least one is needed."
        ):
            people.append(
                {
                    "name": name,
                    "role": ui.ask("  role", default=_text(old, "role"), check=_text_check),
                    "email": ui.ask(
                        "  email", default=_text(old, "email"), check=field_check(Contact, "email")
                    ),
                    "phone": ui.ask("  phone", default=_text(old, "phone"), check=_text_check),
                }
            )
        return people

    def items(
        self,
        label: str,
        records: list[dict[str, Any]],
        key: str,
        *,
        needed: str | None = None,
    ) -> Iterator[tuple[int, str, dict[str, Any]]]:
        """A list's items, one by one: its number, the first answer about it,
        and the item of the --from case it was suggested from (``records``; ``key``
        gives the suggestion). ``label`` is the question, ``{n}`` the item's
        number. An item dropped with "-" is skipped; an empty answer with
        nothing suggested ends the list, but for the first item when the list
        is ``needed`` (the message that says so)."""
        given = 0
        for n, old in numbered(records):
            old = old or {}
            question = label.format(n=n)
            if needed and not given and not old:  # the first is required: no "(empty: done)"
                first = self.ui.ask(question, required=True, check=_text_check)
            else:
                first = self.ui.item(question, _text(old, key), check=_text_check)
            if first is END and needed and not given:
                self.ui.echo(needed)
                first = self.ui.ask(question, required=True, check=_text_check)
            if first is END:
                return
            if first is not None:
                given += 1
                yield n, first, old

    def facts(self) -> list[dict[str, Any]]:
        ui = self.ui
        ui.note("  e.g. The launch moved from 9 to 30 October")
        facts = []
        for _, text, old in self.items(
            "Fact {n}", _records(self.src, "listening", "facts"), "text"
        ):
            source = ui.ask(
                "  whose account: client, us or record",
                default=_text(old, "source"),
                check=choice(("client", "us", "record")),
            )
            disputed = ui.ask(
                "  disputed? (y/n)",
                default=_get(old, "disputed") in ("true", "yes", True),
                check=yes_no,
            )
            note = ui.ask(
                "  note: why it is disputed, or anything to remember"
                if disputed
                else "  note (optional)",
                default=_text(old, "note"),
            )
            facts.append(
                {"text": text, "source": source, "disputed": disputed or None, "note": note}
            )
        return facts

    def feelings(self) -> list[dict[str, Any]]:
        ui = self.ui
        ui.note("  e.g. embarrassed in front of her board")
        feelings = []
        records = _records(self.src, "listening", "feelings")
        for _, feeling, old in self.items("Feeling {n}", records, "feeling"):
            who = ui.ask("  who feels it", default=_text(old, "who"), check=_text_check)
            evidence = ui.ask(
                "  what shows it",
                default=_text(old, "evidence"),
                check=field_check(Feeling, "evidence"),
            )
            feelings.append({"who": who, "feeling": feeling, "evidence": evidence})
        return feelings

    def plan(self, lead: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ui = self.ui
        src = self.src
        ids: set[str] = set()
        objective_texts = ui.ask_list(
            "Objective",
            example="A release that passes the client's acceptance tests",
            defaults=[o["text"] for o in _records(src, "plan", "objectives") if _text(o, "text")],
            check=_text_check,
        )
        old_objectives = {
            _text(o, "id"): _text(o, "text") for o in _records(src, "plan", "objectives")
        }
        old_ids = {text: oid for oid, text in old_objectives.items() if oid and text}
        objectives = [
            {"id": _unique_slug(text, ids, f"objective-{n}", keep=old_ids.get(text)), "text": text}
            for n, text in enumerate(objective_texts, 1)
        ]
        new_ids = {o["text"]: o["id"] for o in objectives}
        ui.note("Milestones: at least one, each with a due date.")
        ui.note("  e.g. Integration suite green on staging")
        milestones: list[dict[str, Any]] = []
        records = _records(src, "plan", "milestones")
        needed = "  At least one milestone is needed."
        for n, title, old in self.items("Milestone {n}", records, "title", needed=needed):
            due = ui.ask(
                "  due (YYYY-MM-DD)",
                default=_text(old, "due"),
                required=True,
                check=field_check(Milestone, "due"),
            )
            owner = ui.ask(
                "  owner",
                default=_text(old, "owner") or lead,
                check=_text_check,
            )
            objective = None
            if objectives:
                old_text = old_objectives.get(_text(old, "objective"))
                choices = [o["id"] for o in objectives]
                objective = ui.ask(
                    f"  objective ({', '.join(f'{i}: {o}' for i, o in enumerate(choices, 1))})",
                    default=new_ids.get(old_text) if old_text else None,
                    check=_pick(choices),
                )
            milestones.append(
                {
                    "id": _unique_slug(title, ids, f"milestone-{n}", keep=_text(old, "id")),
                    "title": title,
                    "due": due,
                    "owner": owner,
                    "objective": objective,
                }
            )
        return objectives, milestones

    def checkins(self) -> dict[str, Any] | None:
        ui = self.ui
        old = _get(self.src, "plan", "checkins") or {}
        cadence = ui.ask(
            "Cadence: weekly, fortnightly or monthly",
            example="weekly",
            default=_text(old, "cadence"),
            check=choice(("weekly", "fortnightly", "monthly")),
        )
        if cadence is None:
            return None
        starts = ui.ask(
            "  first check-in on or after (YYYY-MM-DD)",
            default=_text(old, "starts"),
            required=True,
            check=field_check(Checkins, "starts"),
        )
        weekday = ui.ask(
            "  weekday (empty: the weekday of that date)",
            default=_text(old, "weekday"),
            check=choice(WEEKDAYS),
        )
        at = ui.ask(
            "  time (HH:MM)", default=_text(old, "time"), check=field_check(Checkins, "time")
        )
        duration = ui.ask("  minutes", default=_text(old, "duration") or 30, check=minutes)
        channel = ui.ask(
            "  channel",
            example="video call",
            default=_text(old, "channel"),
            check=_text_check,
        )
        link = ui.ask("  link", default=_text(old, "link"), check=field_check(Checkins, "link"))
        while True:
            until = ui.ask(
                "  last check-in by (YYYY-MM-DD, optional)",
                default=_text(old, "until"),
                check=field_check(Checkins, "until"),
            )
            if until is None or until >= starts:
                break
            ui.echo(f"  that is before the first check-in ({starts})", fg="red")
            old = {}
        return {
            "cadence": cadence,
            "weekday": weekday,
            "time": at,
            "duration": duration,
            "channel": channel,
            "link": link,
            "starts": starts,
            "until": until,
        }


_text_check = field_check(Fact, "text")
_timezone_check = _adapter_check(TypeAdapter(TimeZone))


def _pick(ids: list[str]) -> Check:
    def check(answer: str) -> str:
        word = answer.strip()
        if word.isdigit() and 1 <= int(word) <= len(ids):
            return ids[int(word) - 1]
        return choice(ids)(word)

    return check
